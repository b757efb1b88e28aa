/* SPDX-License-Identifier: Apache-2.0 */
/*
 * s4n-api-socket.h - slirp4netns's API socket (--api-socket PATH) on a libuv
 * loop: a unix stream socket, one request per connection (read until the
 * client shuts down its sending side), one reply, then close.  The
 * requests themselves are s4n-api.c's.
 */
#ifndef NB_S4N_API_SOCKET_H
#define NB_S4N_API_SOCKET_H

#include <uv.h>

#include "s4n-hostfwd.h"

/* Connections served at once; more wait in the listen backlog. */
#define API_SOCKET_CONN_MAX 64
/* A client has this long to send its request and to read the reply. */
#define API_SOCKET_TIMEOUT_MS 5000

struct api_socket;

/**
 * api_socket_start() - listen on @path and answer requests on @loop
 * @loop:	the loop
 * @path:	where to create the socket
 * @table:	the forwards the requests act on; must outlive the socket
 * @ret:	the socket, for api_socket_stop()
 *
 * A socket at @path that nobody listens on (left by a server that died)
 * is replaced.  A path longer than a sockaddr_un holds is bound through
 * its directory's fd.
 *
 * Return: 0, -ENAMETOOLONG when even the file name is too long,
 * -EADDRINUSE when a server listens at @path, -EEXIST when something
 * that is not a socket is there, or another -errno
 */
int api_socket_start(uv_loop_t *loop, const char *path,
		     struct hostfwd_table *table, struct api_socket **ret);

/**
 * api_socket_stop() - close the socket and every connection, remove the
 * socket file (not under the seccomp filter: see s4n-cleaner.h); the
 * memory goes once libuv has closed the handles.
 * @s:		the socket, or NULL
 */
void api_socket_stop(struct api_socket *s);

#endif /* NB_S4N_API_SOCKET_H */
