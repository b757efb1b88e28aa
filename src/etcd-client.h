/* SPDX-License-Identifier: Apache-2.0 */
/*
 * etcd-client.h - HTTP calls to etcd's v3 gateway on a libuv loop, through
 * libcurl's multi interface (docs/design.md §6.8).
 *
 * One call is one POST with a JSON body (etcd-msg.h writes them).  A
 * unary call gets its whole answer; a stream call (watch, keepalive) gets
 * each line of its answer as it comes, then the end.  Nothing blocks: the
 * sockets are libuv polls, curl's timeouts a libuv timer.  libcurl comes
 * through curl-dl.h (loaded by the process that runs the client).
 */
#ifndef NB_ETCD_CLIENT_H
#define NB_ETCD_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

#include "curl-dl.h"

/* TLS as etcd's clients have it; NULL fields are not used. */
struct etcd_tls {
	const char *cacert; /* PEM: the CAs that sign etcd's certificate */
	const char *cert;   /* PEM: this client's certificate ... */
	const char *key;    /* ... and its key */
};

struct etcd_call;
struct etcd_sock;

/**
 * typedef etcd_done_cb - a call ended
 * @call:	the call; freed when this returns
 * @err:	0 for an answer with HTTP status 200; -ENOENT for another
 *		status whose answer says gRPC's NOT_FOUND (a lease etcd does
 *		not know: a 404); -EIO for any other status (@body is the
 *		answer, etcd's {"error":...}); else the
 *		transport's failure: -ECONNREFUSED, -ETIMEDOUT, -EHOSTUNREACH,
 *		-EPROTO (TLS, HTTP), -EMSGSIZE (an answer over
 *		ETCD_ANSWER_MAX), -ECONNABORTED (a line callback ended it)
 * @body:	a unary call's answer (NUL-terminated), a stream's
 *		unfinished last line; @len bytes
 * @len:	its length
 * @opaque:	as given to etcd_call_start()
 */
typedef void (*etcd_done_cb)(struct etcd_call *call, int err, const char *body,
			     size_t len, void *opaque);

/* One line of a stream (no newline, not NUL-terminated); a negative
 * return ends the call (its done callback gets -ECONNABORTED). */
typedef int (*etcd_line_cb)(const char *line, size_t len, void *opaque);

struct etcd_client {
	uv_loop_t *loop;
	const struct curl_dl *api;
	CURLM *multi;
	uv_timer_t timer;
	struct etcd_tls tls;
	struct etcd_call *calls; /* under way */
	struct etcd_sock *socks; /* curl's sockets being polled */
	bool in_curl;		 /* inside curl_multi_socket_action() */
	bool closing;
};

/**
 * etcd_client_init() - a client on @loop
 * @c:		the client
 * @loop:	its loop
 * @api:	libcurl, loaded (curl_dl_open(); global_init done)
 * @tls:	TLS files (copied pointers: keep them), or NULL
 * Return: 0, or -ENOMEM
 */
int etcd_client_init(struct etcd_client *c, uv_loop_t *loop,
		     const struct curl_dl *api, const struct etcd_tls *tls);

/**
 * etcd_call_start() - POST @body to @url
 * @c:		the client
 * @url:	the endpoint and path ("http://10.0.0.1:2379/v3/kv/put")
 * @body:	the JSON body, taken over (freed with the call), not NULL
 * @timeout_ms:	the whole call's bound; 0 for none (a watch)
 * @line:	each line of a stream, or NULL for a unary call
 * @done:	the end; not called for a call cancelled
 * @opaque:	for the callbacks
 *
 * Return: the call, or NULL (@body freed) without memory or when curl
 * refused it
 */
struct etcd_call *etcd_call_start(struct etcd_client *c, const char *url,
				  char *body, long timeout_ms,
				  etcd_line_cb line, etcd_done_cb done,
				  void *opaque);

/**
 * etcd_call_cancel() - end @call now, its done callback not called; from
 * its own line callback too
 */
void etcd_call_cancel(struct etcd_call *call);

/**
 * etcd_client_close() - cancel every call and close the handles; the
 * loop runs their close callbacks, then etcd_client_fini()
 */
void etcd_client_close(struct etcd_client *c);

/** etcd_client_fini() - free curl's state, after the loop ended */
void etcd_client_fini(struct etcd_client *c);

#endif /* NB_ETCD_CLIENT_H */
