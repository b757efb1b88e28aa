/* SPDX-License-Identifier: Apache-2.0 */
/*
 * daemon-http.h - the HTTP server of `nsbypass daemon`: libmicrohttpd on
 * a listening unix socket, driven from a libuv loop (http-server.h, at
 * most HTTP_SERVER_CONN_MAX connections at once), answering with
 * daemon-api.c and daemon-children.c.
 */
#ifndef NB_DAEMON_HTTP_H
#define NB_DAEMON_HTTP_H

#include <uv.h>

#include "daemon-children.h"

struct daemon_http;

/**
 * daemon_http_listen() - create the listening unix socket at @path
 *
 * Mode 0600.  A socket left there by a daemon that died (nobody
 * answers) is replaced; a live one, or anything that is not a socket,
 * is an error.
 *
 * Return: the fd, -ENAMETOOLONG, -EADDRINUSE (a daemon answers there),
 * -EEXIST (not a socket), or another -errno
 */
int daemon_http_listen(const char *path);

/**
 * daemon_http_start() - serve the API on @listen_fd
 * @loop:	the loop
 * @listen_fd:	a listening unix stream socket, taken in every case
 * @children:	what the requests act on; must outlive the server
 * @ret:	the server
 *
 * Only peers of our own effective uid are served (SO_PEERCRED); any
 * other, root included, is logged and closed unanswered.  The socket
 * is closed with the server.
 *
 * Return: 0 or -errno
 */
int daemon_http_start(uv_loop_t *loop, int listen_fd,
		      struct daemon_children *children,
		      struct daemon_http **ret);

/**
 * daemon_http_stop() - close the server, its socket and connections
 * (answers already queued are sent first where the socket takes them);
 * the memory goes once libuv has closed the handles.  NULL is fine.
 */
void daemon_http_stop(struct daemon_http *h);

#endif /* NB_DAEMON_HTTP_H */
