/* SPDX-License-Identifier: Apache-2.0 */
/*
 * http-server.h - libmicrohttpd on a listening socket, driven from a
 * libuv loop: what `nsbypass daemon`'s API (daemon-http.c) and `nsbypass
 * oci`'s control and metrics endpoints (oci-control.c) share.
 *
 * The server accepts, checks the peer, bounds the connections and runs
 * MHD; the owner's MHD_AccessHandlerCallback answers the requests.
 */
#ifndef NB_HTTP_SERVER_H
#define NB_HTTP_SERVER_H

#include <microhttpd.h>
#include <stdbool.h>
#include <uv.h>

/* Connections served at once; more wait in the listen backlog, and one
 * that waits makes the idlest of them (no request in progress) close. */
#define HTTP_SERVER_CONN_MAX 64
/* Seconds a connection may stay idle (not while its request waits). */
#define HTTP_SERVER_IDLE_TIMEOUT 30
/* What MHD may use per connection: the request line and headers must
 * fit (past it: 414 or 431). */
#define HTTP_SERVER_CONN_MEMORY (32 * 1024)

struct http_server;

/**
 * struct http_server_ops - who answers, and how the server behaves
 * @name:	what its log lines start with ("daemon")
 * @on_request:	MHD's access handler; called with @cls.  *req_cls is NULL
 *		at the first call of a request (its headers), as in MHD,
 *		and must be set non-NULL there (or the handler fails)
 * @on_completed: MHD's completion callback for requests; NULL: none
 * @on_closed:	called with @cls once the server is gone (after
 *		http_server_stop(), or a failed start); NULL: none
 * @cls:	the owner's
 * @same_uid:	serve only peers of our effective uid (SO_PEERCRED: a
 *		unix socket); else every peer
 * @suspend:	requests may be suspended (MHD_suspend_connection())
 */
struct http_server_ops {
	const char *name;
	MHD_AccessHandlerCallback on_request;
	MHD_RequestCompletedCallback on_completed;
	void (*on_closed)(void *cls);
	void *cls;
	bool same_uid;
	bool suspend;
};

/**
 * http_listen_unix() - create a listening unix socket at @path
 *
 * Mode 0600.  A socket left there by a server that died (nobody
 * answers) is replaced; a live one, or anything that is not a socket,
 * is an error.
 *
 * Return: the fd, -ENAMETOOLONG, -EADDRINUSE (a server answers there),
 * -EEXIST (not a socket), or another -errno
 */
int http_listen_unix(const char *path);

/**
 * http_listen_tcp() - a listening TCP socket on @addr (numeric IPv4, or
 * IPv6 without brackets) and @port, SO_REUSEADDR
 * Return: the fd, -EINVAL (not a numeric address), or another -errno
 */
int http_listen_tcp(const char *addr, unsigned int port);

/**
 * http_server_start() - serve HTTP on @listen_fd
 * @loop:	the loop
 * @listen_fd:	a listening stream socket, taken in every case
 * @ops:	who answers (copied); its @cls must outlive the server
 * @ret:	the server
 *
 * A peer refused by @ops->same_uid is logged and closed unanswered.  The
 * socket is closed with the server.  On failure @ops->on_closed has been
 * called, or will be from the loop.
 *
 * Return: 0 or -errno
 */
int http_server_start(uv_loop_t *loop, int listen_fd,
		      const struct http_server_ops *ops,
		      struct http_server **ret);

/**
 * http_server_busy() - the whole request on @conn is in: its connection
 * is not closed to make room until the request completes
 */
void http_server_busy(struct MHD_Connection *conn);

/**
 * http_server_wake() - run MHD on the next turn of the loop (after a
 * suspended connection was resumed)
 */
void http_server_wake(struct http_server *s);

/**
 * http_server_stop() - close the server, its socket and connections
 * (answers already queued are sent first where the socket takes them);
 * the memory goes once libuv has closed the handles.  NULL is fine.
 */
void http_server_stop(struct http_server *s);

#endif /* NB_HTTP_SERVER_H */
