// SPDX-License-Identifier: Apache-2.0
/*
 * etcd-client.c - POSTs to etcd's gateway on a libuv loop with libcurl's
 * multi interface (see etcd-client.h).
 *
 * curl tells which of its sockets to watch (CURLMOPT_SOCKETFUNCTION: one
 * uv_poll each) and when to call it back (CURLMOPT_TIMERFUNCTION: one
 * uv_timer); the loop hands every event to curl_multi_socket_action(),
 * then reads what finished.  Two rules keep the two libraries apart:
 *  - a poll is closed before its socket: curl closes its sockets through
 *    CURLOPT_CLOSESOCKETFUNCTION, which closes the poll first (whether or
 *    not curl said "remove" before), so a socket number curl reuses never
 *    meets a handle still open on it;
 *  - no easy handle is added or removed while curl runs: a call started
 *    or cancelled from a callback is only marked, and added or removed
 *    once curl has returned.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "etcd-client.h"
#include "etcd-msg.h"
#include "log.h"
#include "util.h"

struct etcd_call {
	struct etcd_client *c;
	struct etcd_call *next;
	CURL *easy;
	struct curl_slist *headers;
	char *body;
	char *buf; /* the answer, or a stream's unfinished line */
	size_t len, cap;
	etcd_line_cb line;
	etcd_done_cb done;
	void *opaque;
	bool canceled;
	bool pending;  /* started from a callback: added once curl returns */
	int abort_err; /* why the write callback stopped the transfer */
};

struct etcd_sock {
	uv_poll_t poll;
	curl_socket_t fd;
	struct etcd_client *c;
	struct etcd_sock *next;
};

static void free_sock(uv_handle_t *h)
{
	free(h->data);
}

/* Stop polling @sk and forget it (its socket stays curl's). */
static void sock_close(struct etcd_client *c, struct etcd_sock *sk)
{
	for (struct etcd_sock **p = &c->socks; *p; p = &(*p)->next)
		if (*p == sk) {
			*p = sk->next;
			break;
		}
	c->api->multi_assign(c->multi, sk->fd, NULL);
	uv_close((uv_handle_t *)&sk->poll, free_sock);
}

static struct etcd_sock *sock_find(struct etcd_client *c, curl_socket_t fd)
{
	for (struct etcd_sock *sk = c->socks; sk; sk = sk->next)
		if (sk->fd == fd)
			return sk;
	return NULL;
}

static int errno_of(CURLcode r)
{
	switch (r) {
	case CURLE_COULDNT_CONNECT:
		return -ECONNREFUSED;
	case CURLE_OPERATION_TIMEDOUT:
		return -ETIMEDOUT;
	case CURLE_COULDNT_RESOLVE_HOST:
		return -EHOSTUNREACH;
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
		return -ECONNRESET;
	case CURLE_OUT_OF_MEMORY:
		return -ENOMEM;
	default:
		return -EPROTO; /* TLS, HTTP, a bad URL */
	}
}

static void call_free(struct etcd_call *call)
{
	const struct curl_dl *api = call->c->api;

	if (call->easy)
		api->easy_cleanup(call->easy);
	api->slist_free_all(call->headers);
	free(call->body);
	free(call->buf);
	free(call);
}

/* Take @call off the multi handle and the list. */
static void call_unlink(struct etcd_call *call)
{
	struct etcd_client *c = call->c;

	for (struct etcd_call **p = &c->calls; *p; p = &(*p)->next)
		if (*p == call) {
			*p = call->next;
			break;
		}
	if (!call->pending)
		c->api->multi_remove_handle(c->multi, call->easy);
}

/* A status other than 200: its answer says why.  NOT_FOUND is a lease
 * etcd does not know, -ENOENT as in a 200's "error"; the rest -EIO. */
static int error_status(const struct etcd_call *call)
{
	int64_t rev;

	if (call->len &&
	    etcd_parse_answer(call->buf, call->len, &rev) == -ENOENT)
		return -ENOENT;
	return -EIO;
}

static void call_finish(struct etcd_call *call, CURLcode res)
{
	const struct curl_dl *api = call->c->api;
	long status = 0;
	int err;

	if (call->abort_err)
		err = call->abort_err;
	else if (res != CURLE_OK)
		err = errno_of(res);
	else if (api->easy_getinfo(call->easy, CURLINFO_RESPONSE_CODE,
				   &status) != CURLE_OK ||
		 status != 200)
		err = error_status(call);
	else
		err = 0;
	call_unlink(call);
	if (!call->canceled)
		call->done(call, err, call->buf ? call->buf : "", call->len,
			   call->opaque);
	call_free(call);
}

/* Read what curl finished; reap the calls cancelled meanwhile. */
static void check_done(struct etcd_client *c)
{
	CURLMsg *msg;
	int left;

	while ((msg = c->api->multi_info_read(c->multi, &left))) {
		struct etcd_call *call = NULL;

		if (msg->msg != CURLMSG_DONE)
			continue;
		c->api->easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
				     (char **)&call);
		if (call)
			call_finish(call, msg->data.result);
	}
	for (struct etcd_call *call = c->calls, *next; call; call = next) {
		next = call->next;
		if (call->canceled) {
			call_unlink(call);
			call_free(call);
		}
	}
}

/* Add the calls started while curl ran. */
static void add_pending(struct etcd_client *c)
{
	for (struct etcd_call *call = c->calls, *next; call; call = next) {
		next = call->next;
		if (!call->pending)
			continue;
		call->pending = false;
		if (c->api->multi_add_handle(c->multi, call->easy) !=
		    CURLM_OK) {
			call_unlink(call);
			call->done(call, -ENOMEM, "", 0, call->opaque);
			call_free(call);
		}
	}
}

static void run_action(struct etcd_client *c, curl_socket_t fd, int flags)
{
	int running;

	c->in_curl = true;
	c->api->multi_socket_action(c->multi, fd, flags, &running);
	c->in_curl = false;
	check_done(c);
	add_pending(c);
}

static void on_poll(uv_poll_t *h, int status, int events)
{
	struct etcd_sock *sk = h->data;
	int flags = 0;

	if (status < 0)
		flags = CURL_CSELECT_ERR;
	if (events & UV_READABLE)
		flags |= CURL_CSELECT_IN;
	if (events & UV_WRITABLE)
		flags |= CURL_CSELECT_OUT;
	run_action(sk->c, sk->fd, flags);
}

static void on_timer(uv_timer_t *t)
{
	struct etcd_client *c = container_of(t, struct etcd_client, timer);

	run_action(c, CURL_SOCKET_TIMEOUT, 0);
}

static int on_curl_timer(CURLM *m, long ms, void *userp)
{
	struct etcd_client *c = userp;

	if (c->closing)
		return 0;
	if (ms < 0)
		uv_timer_stop(&c->timer);
	else
		uv_timer_start(&c->timer, on_timer, (uint64_t)ms, 0);
	return 0;
}

static int on_curl_socket(CURL *e, curl_socket_t fd, int what, void *userp,
			  void *socketp)
{
	struct etcd_client *c = userp;
	struct etcd_sock *sk = socketp;
	int events = 0, r;

	if (what == CURL_POLL_REMOVE) {
		if (sk)
			sock_close(c, sk);
		return 0;
	}
	if (c->closing)
		return 0;
	if (!sk) {
		sk = calloc(1, sizeof(*sk));
		if (!sk)
			return -1;
		if (uv_poll_init_socket(c->loop, &sk->poll, fd) < 0) {
			free(sk);
			return -1;
		}
		sk->fd = fd;
		sk->c = c;
		sk->poll.data = sk;
		sk->next = c->socks;
		c->socks = sk;
		c->api->multi_assign(c->multi, fd, sk);
	}
	if (what & CURL_POLL_IN)
		events |= UV_READABLE;
	if (what & CURL_POLL_OUT)
		events |= UV_WRITABLE;
	r = uv_poll_start(&sk->poll, events, on_poll);
	if (r < 0) {
		log_warn("etcd: poll: %s", uv_strerror(r));
		return -1;
	}
	return 0;
}

static int on_close_socket(void *clientp, curl_socket_t fd)
{
	struct etcd_client *c = clientp;
	struct etcd_sock *sk = sock_find(c, fd);

	/* The poll goes before the socket: see the top of the file. */
	if (sk)
		sock_close(c, sk);
	return close(fd);
}

/* Hand the complete lines of a stream's buffer to its callback. */
static int take_lines(struct etcd_call *call)
{
	size_t start = 0;

	for (size_t i = 0; i < call->len && !call->canceled; i++) {
		size_t n;

		if (call->buf[i] != '\n')
			continue;
		n = i - start;
		if (n && call->buf[start + n - 1] == '\r')
			n--;
		if (n && call->line(call->buf + start, n, call->opaque) < 0)
			return -ECONNABORTED;
		start = i + 1;
	}
	memmove(call->buf, call->buf + start, call->len - start);
	call->len -= start;
	call->buf[call->len] = '\0';
	return 0;
}

static size_t on_write(char *p, size_t size, size_t n, void *userdata)
{
	struct etcd_call *call = userdata;
	size_t len = size * n;

	if (call->canceled)
		return 0;
	if (call->len + len > ETCD_ANSWER_MAX) {
		call->abort_err = -EMSGSIZE;
		return 0;
	}
	if (call->len + len + 1 > call->cap) {
		size_t cap = call->cap ? call->cap : 4096;
		char *b;

		while (cap < call->len + len + 1)
			cap *= 2;
		b = realloc(call->buf, cap);
		if (!b) {
			call->abort_err = -ENOMEM;
			return 0;
		}
		call->buf = b;
		call->cap = cap;
	}
	memcpy(call->buf + call->len, p, len);
	call->len += len;
	call->buf[call->len] = '\0';
	if (call->line && take_lines(call) < 0) {
		call->abort_err = -ECONNABORTED;
		return 0;
	}
	return call->canceled ? 0 : len;
}

int etcd_client_init(struct etcd_client *c, uv_loop_t *loop,
		     const struct curl_dl *api, const struct etcd_tls *tls)
{
	memset(c, 0, sizeof(*c));
	c->loop = loop;
	c->api = api;
	if (tls)
		c->tls = *tls;
	c->multi = api->multi_init();
	if (!c->multi)
		return -ENOMEM;
	api->multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, on_curl_socket);
	api->multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
	api->multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer);
	api->multi_setopt(c->multi, CURLMOPT_TIMERDATA, c);
	uv_timer_init(loop, &c->timer);
	return 0;
}

/* The options of every call. */
static int call_setup(struct etcd_call *call, const char *url, long timeout_ms)
{
	const struct curl_dl *api = call->c->api;
	const struct etcd_tls *tls = &call->c->tls;
	CURL *e = call->easy;
	CURLcode r = CURLE_OK;

#define SET(opt, val)                                      \
	do {                                               \
		if (r == CURLE_OK)                         \
			r = api->easy_setopt(e, opt, val); \
	} while (0)
	SET(CURLOPT_URL, url);
	/* Only the gateway's own schemes; etcd is reached directly,
	 * whatever proxy the environment names. */
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
	SET(CURLOPT_NOPROXY, "*");
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	SET(CURLOPT_POSTFIELDS, call->body);
	SET(CURLOPT_POSTFIELDSIZE, (long)strlen(call->body));
	SET(CURLOPT_HTTPHEADER, call->headers);
	SET(CURLOPT_WRITEFUNCTION, on_write);
	SET(CURLOPT_WRITEDATA, call);
	SET(CURLOPT_PRIVATE, call);
	SET(CURLOPT_CLOSESOCKETFUNCTION, on_close_socket);
	SET(CURLOPT_CLOSESOCKETDATA, call->c);
	SET(CURLOPT_CONNECTTIMEOUT_MS, 2000L);
	SET(CURLOPT_TIMEOUT_MS, timeout_ms);
	/* A watch can be idle for good: TCP keepalive finds a dead peer. */
	SET(CURLOPT_TCP_KEEPALIVE, 1L);
	SET(CURLOPT_TCP_KEEPIDLE, 10L);
	SET(CURLOPT_TCP_KEEPINTVL, 5L);
	if (tls->cacert)
		SET(CURLOPT_CAINFO, tls->cacert);
	if (tls->cert)
		SET(CURLOPT_SSLCERT, tls->cert);
	if (tls->key)
		SET(CURLOPT_SSLKEY, tls->key);
#undef SET
	return r == CURLE_OK ? 0 : -EINVAL;
}

struct etcd_call *etcd_call_start(struct etcd_client *c, const char *url,
				  char *body, long timeout_ms,
				  etcd_line_cb line, etcd_done_cb done,
				  void *opaque)
{
	const struct curl_dl *api = c->api;
	struct etcd_call *call;
	struct curl_slist *h = NULL;
	static const char *const headers[] = {
		"Content-Type: application/json",
		/* No 100-continue round trip before the body. */
		"Expect:",
		/* A member cut off from its quorum ends a watch instead of
		 * keeping it silently open (etcd's "hasleader"). */
		"Grpc-Metadata-hasleader: true",
	};

	if (!body || c->closing) {
		free(body);
		return NULL;
	}
	call = calloc(1, sizeof(*call));
	if (!call) {
		free(body);
		return NULL;
	}
	call->c = c;
	call->body = body;
	call->line = line;
	call->done = done;
	call->opaque = opaque;
	for (size_t i = 0; i < ARRAY_SIZE(headers); i++) {
		struct curl_slist *n = api->slist_append(h, headers[i]);

		if (!n)
			goto out_fail;
		h = n;
	}
	call->headers = h;
	call->easy = api->easy_init();
	if (!call->easy || call_setup(call, url, timeout_ms) < 0)
		goto out_fail;
	if (c->in_curl)
		call->pending = true;
	else if (api->multi_add_handle(c->multi, call->easy) != CURLM_OK)
		goto out_fail;
	call->next = c->calls;
	c->calls = call;
	return call;

out_fail:
	if (!call->headers)
		api->slist_free_all(h);
	call_free(call);
	return NULL;
}

void etcd_call_cancel(struct etcd_call *call)
{
	struct etcd_client *c = call->c;

	call->canceled = true;
	if (c->in_curl)
		return; /* reaped once curl returns (check_done()) */
	call_unlink(call);
	call_free(call);
}

void etcd_client_close(struct etcd_client *c)
{
	if (c->closing)
		return;
	c->closing = true;
	while (c->calls) {
		struct etcd_call *call = c->calls;

		call_unlink(call);
		call_free(call);
	}
	while (c->socks)
		sock_close(c, c->socks);
	uv_timer_stop(&c->timer);
	uv_close((uv_handle_t *)&c->timer, NULL);
}

void etcd_client_fini(struct etcd_client *c)
{
	if (c->multi)
		c->api->multi_cleanup(c->multi);
	c->multi = NULL;
}
