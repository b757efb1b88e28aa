// SPDX-License-Identifier: Apache-2.0
/*
 * daemon-http.c - libmicrohttpd glue of `nsbypass daemon`.
 *
 * libmicrohttpd (MHD) parses HTTP/1.1: request line, headers, chunked
 * and Content-Length bodies, keep-alive, "Expect: 100-continue".  It runs
 * in "external polling" mode with epoll: its single epoll fd is watched
 * by a uv_poll_t and MHD_get_timeout() sets a uv_timer_t, and both call
 * MHD_run().  So the whole daemon is one thread on one libuv loop, the
 * same loop on which daemon-children.c spawns and reaps children: no
 * locks, and no request blocks another.
 *
 * A request that must wait for a child (POST until the child's ready
 * byte, DELETE until it has exited) suspends its connection
 * (MHD_suspend_connection()); the child's callback queues the reply and
 * resumes it, and MHD's inter-thread channel, which is in its epoll set,
 * wakes the loop up.
 *
 * The listening socket is ours, not MHD's: a uv_poll_t watches it, we
 * accept() and hand each connection to MHD_add_connection(), up to
 * DAEMON_HTTP_CONN_MAX at once.  MHD, left to accept by itself, takes
 * the listening socket out of its epoll set at its connection limit and
 * puts it back only at the start of a later MHD_run(): if the last
 * connections all closed within one MHD_run(), nothing ran it again and
 * the daemon never accepted again (0.9.75 and 1.0.x alike).  Here the
 * socket is watched again as soon as a connection closes.
 *
 * At the limit, a client that waits in the backlog makes room: the
 * connection that has gone without a request the longest (a partial
 * request, or an idle keep-alive) is shut down, MHD reads EOF and closes
 * it.  One that is being answered, or waits for a child, is never taken.
 * So a flood of connections that send nothing delays a client by a
 * round of the loop, not by the 30 s idle timeout.  Running out of fds
 * below the limit counts as reaching it.
 *
 * The peer check: the socket file is 0600, and every connection's
 * SO_PEERCRED uid must be ours; any other (root can connect whatever the
 * mode) is logged and closed before MHD sees it.
 *
 * The request body (POST) is collected up to DAEMON_BODY_MAX bytes.  A
 * longer one is read to its end and dropped, then gets 413: answering
 * before it is read would close a socket with unread data, and the
 * client would see a reset instead of the answer.  Only past
 * DAEMON_HTTP_DISCARD_MAX is it cut short: a Content-Length above that
 * gets 413 at once, a chunked body that grows past it a closed
 * connection.
 */
#include <errno.h>
#include <microhttpd.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "daemon-api.h"
#include "daemon-http.h"
#include "log.h"
#include "unix-path.h"
#include "util.h"

#define DAEMON_HTTP_BACKLOG 16
/* Bytes of a body that is too large read and dropped, to answer it. */
#define DAEMON_HTTP_DISCARD_MAX (1024 * 1024)
/* accept() out of fds or memory: the next try, this much later. */
#define DAEMON_HTTP_ACCEPT_RETRY_MS 100

/* Sent when even an error reply could not be allocated. */
static const char oom_body[] = "{\"message\":\"out of memory\"}\n";

/* One connection MHD serves, from its STARTED to its CLOSED notice. */
struct slot {
	struct MHD_Connection *conn; /* NULL: free */
	int fd;
	uint64_t idle_since; /* uv_now() when it last had no request */
	bool busy;	     /* a whole request is being answered */
	bool evicted;	     /* shut down to make room */
};

struct daemon_http {
	uv_loop_t *loop;
	struct MHD_Daemon *mhd;
	struct daemon_children *children;
	uv_poll_t poll;	       /* MHD's epoll fd */
	uv_timer_t timer;      /* MHD_get_timeout() */
	uv_poll_t listen_poll; /* the listening socket */
	uv_timer_t retry;      /* accept() again after running out */
	int listen_fd;
	uid_t uid;
	struct slot slots[DAEMON_HTTP_CONN_MAX];
	unsigned int conns;  /* slots in use */
	unsigned int adding; /* handed to MHD, not STARTED yet */
	bool evicting;	     /* an evicted connection is not closed yet */
	bool accept_failing; /* logged once until accept() works */
	bool watch_failing;  /* logged once until listen_poll starts */
	int open_handles;
	bool stopping;
};

/* One request, from its headers until MHD completes it. */
struct request {
	struct daemon_http *h;
	struct MHD_Connection *conn;
	struct slot *slot;
	char *path;   /* decoded */
	int path_err; /* of daemon_path_decode() */
	enum daemon_route route;
	const char *id;	   /* of a DELETE, in @path */
	const char *allow; /* Allow header of a 405 */
	char *body;
	size_t len;
	size_t seen; /* body bytes, kept or not */
	bool too_large;
	bool suspended;
};

static void run_mhd(struct daemon_http *h);

static void on_timer(uv_timer_t *t)
{
	run_mhd(container_of(t, struct daemon_http, timer));
}

static void on_poll(uv_poll_t *p, int status, int events)
{
	run_mhd(container_of(p, struct daemon_http, poll));
}

/* Let MHD do its work, then wait no longer than it allows. */
static void run_mhd(struct daemon_http *h)
{
	MHD_UNSIGNED_LONG_LONG ms;

	if (h->stopping)
		return;
	MHD_run(h->mhd);
	/* MHD 1.0 queues an added connection until its next run: it has
	 * been STARTED now, or dropped without a notice. */
	h->adding = 0;
	if (MHD_get_timeout(h->mhd, &ms) == MHD_YES)
		uv_timer_start(&h->timer, on_timer, ms, 0);
	else
		uv_timer_stop(&h->timer);
}

static void on_listen(uv_poll_t *p, int status, int events);
static void on_retry(uv_timer_t *t);

/*
 * Watch the listening socket again, unless accept() waits to retry.  If
 * libuv refuses (another handle on the loop watching the fd), try again
 * on the retry timer rather than never accept again.
 */
static void listen_resume(struct daemon_http *h)
{
	int r;

	if (h->stopping || uv_is_active((uv_handle_t *)&h->retry))
		return;
	r = uv_poll_start(&h->listen_poll, UV_READABLE, on_listen);
	if (r == 0) {
		h->watch_failing = false;
		return;
	}
	if (!h->watch_failing)
		log_warn_errno(r,
			       "daemon: cannot watch the API socket, "
			       "retrying every %d ms",
			       DAEMON_HTTP_ACCEPT_RETRY_MS);
	h->watch_failing = true;
	uv_timer_start(&h->retry, on_retry, DAEMON_HTTP_ACCEPT_RETRY_MS, 0);
}

static void on_retry(uv_timer_t *t)
{
	listen_resume(container_of(t, struct daemon_http, retry));
}

static bool is_full(const struct daemon_http *h)
{
	return h->conns + h->adding >= DAEMON_HTTP_CONN_MAX;
}

/* Is the peer on @fd of our uid?  Logs the refusal. */
static bool peer_allowed(struct daemon_http *h, int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
		log_warn("daemon: cannot tell who connected (%s), "
			 "refusing the connection",
			 strerror(errno));
		return false;
	}
	if (cred.uid != h->uid) {
		log_warn("daemon: refused a connection from uid %u (pid %d): "
			 "only uid %u is served",
			 (unsigned int)cred.uid, (int)cred.pid,
			 (unsigned int)h->uid);
		return false;
	}
	return true;
}

/*
 * Take one client from the backlog and hand it to MHD (a refused peer is
 * closed unanswered).  Return: 0, -EAGAIN if none waits, or the -errno
 * of accept().
 */
static int accept_one(struct daemon_http *h)
{
	struct sockaddr_un sun;
	socklen_t len = sizeof(sun);
	int fd;

	fd = accept4(h->listen_fd, (struct sockaddr *)&sun, &len,
		     SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	if (!peer_allowed(h, fd)) {
		close(fd);
		return 0;
	}
	/* MHD closes the fd when it fails. */
	if (MHD_add_connection(h->mhd, fd, (struct sockaddr *)&sun, len) !=
	    MHD_YES) {
		log_debug("daemon: libmicrohttpd refused a connection (%s)",
			  strerror(errno));
		return 0;
	}
	h->adding++;
	return 0;
}

/*
 * Make room for a client that waits: shut down the connection that has
 * gone without a request the longest.  MHD reads EOF and closes it, and
 * its CLOSED notice watches the listening socket again.
 */
static void evict_idlest(struct daemon_http *h)
{
	struct slot *s, *idlest = NULL;

	if (h->evicting)
		return;
	for (s = h->slots; s < h->slots + DAEMON_HTTP_CONN_MAX; s++)
		if (s->conn && !s->busy && !s->evicted &&
		    (!idlest || s->idle_since < idlest->idle_since))
			idlest = s;
	/* Every connection is being answered: the client waits for one. */
	if (!idlest)
		return;
	log_debug("daemon: %u connections, a client waits: closing one "
		  "idle for %llu ms",
		  h->conns,
		  (unsigned long long)(uv_now(h->loop) - idlest->idle_since));
	idlest->evicted = true;
	h->evicting = true;
	shutdown(idlest->fd, SHUT_RDWR);
}

/* The listening socket is readable: a client waits in the backlog. */
static void on_listen(uv_poll_t *p, int status, int events)
{
	struct daemon_http *h = container_of(p, struct daemon_http,
					     listen_poll);
	bool full = is_full(h);
	int i, n = 0, r = 0;

	/* Bounded: refused peers could keep the backlog full forever. */
	for (i = 0; i < 2 * DAEMON_HTTP_CONN_MAX && !is_full(h); i++) {
		r = accept_one(h);
		/* That client gave up, or was refused: the next one. */
		if (r == -ECONNABORTED || r == -EINTR || r == -EPROTO ||
		    r == -EPERM)
			r = 0;
		else if (r < 0)
			break;
		else
			n++;
	}
	if (r == 0 || r == -EAGAIN) {
		h->accept_failing = false;
	} else {
		/* Out of fds or memory: try again a little later (the
		 * socket stays readable, watching it would spin). */
		if (!h->accept_failing)
			log_warn_errno(r,
				       "daemon: cannot accept a connection, "
				       "retrying every %d ms",
				       DAEMON_HTTP_ACCEPT_RETRY_MS);
		h->accept_failing = true;
		uv_poll_stop(&h->listen_poll);
		uv_timer_start(&h->retry, on_retry, DAEMON_HTTP_ACCEPT_RETRY_MS,
			       0);
		/* Out of fds below the limit: the limit is reached. */
		if (r == -EMFILE || r == -ENFILE)
			full = true;
	}
	if (full) {
		/* Called at the limit: someone waits.  Until a slot frees,
		 * the readable socket would only call us again. */
		uv_poll_stop(&h->listen_poll);
		evict_idlest(h);
	}
	if (n)
		run_mhd(h);
}

/*
 * Queue @status with @body (malloc'd JSON text, taken; NULL: empty).
 * Errors are JSON, and so is everything with a body, as in bypass4netnsd.
 */
static enum MHD_Result queue_reply(struct request *req, unsigned int status,
				   char *body)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	if (body)
		resp = MHD_create_response_from_buffer_with_free_callback(
			strlen(body), body, free);
	else if (status >= 300)
		resp = MHD_create_response_from_buffer(sizeof(oom_body) - 1,
						       (void *)oom_body,
						       MHD_RESPMEM_PERSISTENT);
	else
		resp = MHD_create_response_from_buffer(0, NULL,
						       MHD_RESPMEM_PERSISTENT);
	if (!resp) {
		free(body);
		return MHD_NO;
	}
	if ((body || status >= 300) &&
	    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
				    "application/json") != MHD_YES) {
		MHD_destroy_response(resp);
		return MHD_NO;
	}
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED && req->allow)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW,
					req->allow);
	ret = MHD_queue_response(req->conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result queue_error(struct request *req, unsigned int status,
				   const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static enum MHD_Result queue_error(struct request *req, unsigned int status,
				   const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return queue_reply(req, status, daemon_error_json(msg));
}

/* implements daemon_reply_cb: the answer to a suspended request */
static void on_reply(void *opaque, unsigned int status, char *body)
{
	struct request *req = opaque;

	ASSERT(req->suspended);
	req->suspended = false;
	queue_reply(req, status, body);
	MHD_resume_connection(req->conn);
	/* MHD's channel wakes the poll up too; this is sooner. */
	if (!req->h->stopping)
		uv_timer_start(&req->h->timer, on_timer, 0, 0);
}

static enum MHD_Result wait_reply(struct request *req)
{
	req->suspended = true;
	MHD_suspend_connection(req->conn);
	return MHD_YES;
}

static enum MHD_Result handle_create(struct request *req)
{
	struct daemon_spec *spec;
	char err[256];
	int r;

	if (req->too_large)
		return queue_error(req, MHD_HTTP_CONTENT_TOO_LARGE,
				   "the body is longer than %d bytes",
				   DAEMON_BODY_MAX);
	r = daemon_spec_parse(req->body ? req->body : "", req->len, &spec, err,
			      sizeof(err));
	if (r == -EINVAL)
		return queue_error(req, MHD_HTTP_BAD_REQUEST, "%s", err);
	if (r < 0)
		return queue_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR,
				   "out of memory");
	r = daemon_children_create(req->h->children, spec, on_reply, req);
	switch (r) {
	case 0:
		return wait_reply(req);
	case -EEXIST:
		return queue_error(req, MHD_HTTP_BAD_REQUEST,
				   "id: a bypass with this id exists");
	case -EADDRINUSE:
		return queue_error(req, MHD_HTTP_BAD_REQUEST,
				   "socketPath: another bypass uses it");
	case -ENOSPC:
		return queue_error(req, MHD_HTTP_SERVICE_UNAVAILABLE,
				   "too many bypasses (at most %d)",
				   DAEMON_CHILDREN_MAX);
	case -ESHUTDOWN:
		return queue_error(req, MHD_HTTP_SERVICE_UNAVAILABLE,
				   "the daemon is shutting down");
	default:
		return queue_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR,
				   "cannot start nsbypass oci: %s",
				   strerror(-r));
	}
}

static enum MHD_Result handle(struct request *req, const char *id)
{
	char *list;

	switch (req->route) {
	case DAEMON_ROUTE_LIST:
		list = daemon_children_list(req->h->children);
		if (!list)
			return queue_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR,
					   "out of memory");
		return queue_reply(req, MHD_HTTP_OK, list);
	case DAEMON_ROUTE_CREATE:
		return handle_create(req);
	case DAEMON_ROUTE_DELETE:
		/* bypass4netnsd answers an unknown id with 400. */
		if (daemon_children_delete(req->h->children, id, on_reply,
					   req) < 0)
			return queue_error(req, MHD_HTTP_BAD_REQUEST,
					   "no bypass with this id");
		return wait_reply(req);
	case DAEMON_ROUTE_BAD_METHOD:
		return queue_error(req, MHD_HTTP_METHOD_NOT_ALLOWED,
				   "method not allowed");
	default:
		return queue_error(req, MHD_HTTP_NOT_FOUND, "no such path");
	}
}

/* The first call for a request: its headers are in. */
static enum MHD_Result start_request(struct daemon_http *h,
				     struct MHD_Connection *conn,
				     const char *url, const char *method,
				     void **req_cls)
{
	const union MHD_ConnectionInfo *ci;
	struct request *req;
	const char *cl;

	/* A connection without a slot is not ours to serve. */
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	if (!ci || !ci->socket_context)
		return MHD_NO;
	req = calloc(1, sizeof(*req));
	if (!req)
		return MHD_NO;
	req->h = h;
	req->conn = conn;
	req->slot = ci->socket_context;
	*req_cls = req;
	/* The path as sent (on_unescape()): decoded here, and a NUL in
	 * it is refused rather than cut short. */
	req->path = strdup(url);
	if (!req->path)
		return MHD_NO;
	req->path_err = daemon_path_decode(req->path);
	if (req->path_err < 0)
		req->route = DAEMON_ROUTE_NOT_FOUND;
	else
		req->route = daemon_route(method, req->path, &req->id);
	if (req->route == DAEMON_ROUTE_BAD_METHOD)
		req->allow = daemon_route_allow(req->path);
	cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
					 MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (cl && strtoull(cl, NULL, 10) > DAEMON_HTTP_DISCARD_MAX)
		return queue_error(req, MHD_HTTP_CONTENT_TOO_LARGE,
				   "the body is longer than %d bytes",
				   DAEMON_BODY_MAX);
	return MHD_YES;
}

/* implements MHD_AccessHandlerCallback */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
				  const char *url, const char *method,
				  const char *version, const char *upload_data,
				  size_t *upload_data_size, void **req_cls)
{
	struct request *req = *req_cls;
	size_t n = *upload_data_size;

	if (!req)
		return start_request(cls, conn, url, method, req_cls);
	if (n) {
		/* Only a POST's body is kept, and only up to the limit. */
		*upload_data_size = 0;
		if (n > DAEMON_HTTP_DISCARD_MAX - req->seen)
			return MHD_NO;
		req->seen += n;
		if (req->route != DAEMON_ROUTE_CREATE || req->too_large)
			return MHD_YES;
		if (n > DAEMON_BODY_MAX - req->len) {
			req->too_large = true;
			free(req->body);
			req->body = NULL;
			return MHD_YES;
		}
		char *b = realloc(req->body, req->len + n + 1);

		if (!b)
			return MHD_NO;
		memcpy(b + req->len, upload_data, n);
		req->body = b;
		req->len += n;
		return MHD_YES;
	}
	/* The whole request is in: it is not evicted to make room. */
	req->slot->busy = true;
	if (req->path_err == -EILSEQ)
		return queue_error(req, MHD_HTTP_BAD_REQUEST,
				   "the path has an escape that decodes to "
				   "a NUL byte");
	if (req->path_err < 0)
		return queue_error(req, MHD_HTTP_BAD_REQUEST,
				   "the path has a malformed escape ('%%' "
				   "and two hex digits)");
	return handle(req, req->id);
}

/*
 * implements MHD_UnescapeCallback: leaves the path (and the query) as
 * sent.  MHD's own decoding writes a %00 as a NUL into a C string, which
 * then ends there; start_request() decodes it with daemon_path_decode().
 */
static size_t on_unescape(void *cls, struct MHD_Connection *conn, char *s)
{
	return strlen(s);
}

/* implements MHD_RequestCompletedCallback */
static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct request *req = *req_cls;

	if (!req)
		return;
	ASSERT(!req->suspended);
	free(req->path);
	if (req->slot->conn == conn) {
		req->slot->busy = false;
		req->slot->idle_since = uv_now(req->h->loop);
		/* Room for a client that waited while all were busy. */
		listen_resume(req->h);
	}
	free(req->body);
	free(req);
	*req_cls = NULL;
}

/* A connection starts: give it a slot. */
static void slot_take(struct daemon_http *h, struct MHD_Connection *conn,
		      void **socket_context)
{
	const union MHD_ConnectionInfo *ci;
	struct slot *s;

	if (h->adding)
		h->adding--;
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	for (s = h->slots; s < h->slots + DAEMON_HTTP_CONN_MAX; s++)
		if (!s->conn)
			break;
	if (!ci || s == h->slots + DAEMON_HTTP_CONN_MAX) {
		/* Not one of ours (cannot happen): MHD reads EOF and
		 * closes it, and start_request() refuses it meanwhile. */
		log_warn("daemon: a connection beyond the limit, closing it");
		if (ci)
			shutdown(ci->connect_fd, SHUT_RDWR);
		return;
	}
	*s = (struct slot){
		.conn = conn,
		.fd = ci->connect_fd,
		.idle_since = uv_now(h->loop),
	};
	*socket_context = s;
	h->conns++;
}

/* A connection is gone: free its slot, and accept again. */
static void slot_release(struct daemon_http *h, void **socket_context)
{
	struct slot *s = *socket_context;

	if (!s)
		return;
	if (s->evicted)
		h->evicting = false;
	*s = (struct slot){ .fd = -1 };
	*socket_context = NULL;
	h->conns--;
	/* Its fd is free again: no need to wait for the retry. */
	if (!h->stopping)
		uv_timer_stop(&h->retry);
	listen_resume(h);
}

/* implements MHD_NotifyConnectionCallback */
static void on_connection(void *cls, struct MHD_Connection *conn,
			  void **socket_context,
			  enum MHD_ConnectionNotificationCode toe)
{
	struct daemon_http *h = cls;

	if (toe == MHD_CONNECTION_NOTIFY_STARTED)
		slot_take(h, conn, socket_context);
	else if (toe == MHD_CONNECTION_NOTIFY_CLOSED)
		slot_release(h, socket_context);
}

/* MHD's own messages: at debug level. */
static void on_mhd_log(void *cls, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[256];
	size_t n;

	if (!log_enabled(LOG_LEVEL_DEBUG))
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	if (n && msg[n - 1] == '\n')
		msg[n - 1] = '\0';
	log_debug("daemon: libmicrohttpd: %s", msg);
}

int daemon_http_listen(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	_cleanup_close_ int fd = -1;
	int r;

	if (!*path)
		return -EINVAL;
	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	r = unix_bind_private(fd, &sun);
	if (r < 0)
		return r;
	if (listen(fd, DAEMON_HTTP_BACKLOG) < 0) {
		r = -errno;
		unlink(path);
		return r;
	}
	return take_fd(&fd);
}

/* MHD goes once libuv no longer watches its epoll fd. */
static void on_closed(uv_handle_t *handle)
{
	struct daemon_http *h = handle->data;

	if (--h->open_handles > 0)
		return;
	MHD_stop_daemon(h->mhd);
	close(h->listen_fd);
	free(h);
}

/* Close the four handles: h goes with the last (on_closed()). */
static void close_handles(struct daemon_http *h)
{
	h->poll.data = h;
	h->timer.data = h;
	h->listen_poll.data = h;
	h->retry.data = h;
	uv_close((uv_handle_t *)&h->poll, on_closed);
	uv_close((uv_handle_t *)&h->timer, on_closed);
	uv_close((uv_handle_t *)&h->listen_poll, on_closed);
	uv_close((uv_handle_t *)&h->retry, on_closed);
}

int daemon_http_start(uv_loop_t *loop, int listen_fd,
		      struct daemon_children *children,
		      struct daemon_http **ret)
{
	const union MHD_DaemonInfo *di;
	struct daemon_http *h;
	int r;

	h = calloc(1, sizeof(*h));
	if (!h) {
		close(listen_fd);
		return -ENOMEM;
	}
	h->loop = loop;
	h->children = children;
	h->listen_fd = listen_fd;
	h->uid = geteuid();
	h->mhd = MHD_start_daemon(MHD_USE_EPOLL | MHD_USE_NO_LISTEN_SOCKET |
					  MHD_ALLOW_SUSPEND_RESUME |
					  MHD_USE_ERROR_LOG,
				  0, NULL, NULL, on_request, h,
				  MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, h,
				  MHD_OPTION_UNESCAPE_CALLBACK, on_unescape, h,
				  MHD_OPTION_NOTIFY_CONNECTION, on_connection,
				  h, MHD_OPTION_NOTIFY_COMPLETED, on_completed,
				  h, MHD_OPTION_CONNECTION_LIMIT,
				  (unsigned int)DAEMON_HTTP_CONN_MAX,
				  MHD_OPTION_CONNECTION_TIMEOUT,
				  (unsigned int)DAEMON_HTTP_IDLE_TIMEOUT,
				  MHD_OPTION_END);
	if (!h->mhd) {
		r = -EIO;
		goto out_free;
	}
	di = MHD_get_daemon_info(h->mhd, MHD_DAEMON_INFO_EPOLL_FD);
	r = di ? uv_poll_init(loop, &h->poll, di->epoll_fd) : -ENOTSUP;
	if (r < 0)
		goto out_stop_mhd;
	r = uv_poll_init(loop, &h->listen_poll, listen_fd);
	if (r < 0) {
		/* h goes in on_closed(), with MHD and the socket. */
		h->stopping = true;
		h->open_handles = 1;
		h->poll.data = h;
		uv_close((uv_handle_t *)&h->poll, on_closed);
		return r;
	}
	uv_timer_init(loop, &h->timer);
	uv_timer_init(loop, &h->retry);
	h->open_handles = 4;
	r = uv_poll_start(&h->poll, UV_READABLE, on_poll);
	if (r == 0)
		r = uv_poll_start(&h->listen_poll, UV_READABLE, on_listen);
	if (r < 0) {
		/* h goes in on_closed(), with MHD and the socket. */
		h->stopping = true;
		close_handles(h);
		return r;
	}
	run_mhd(h);
	*ret = h;
	return 0;

out_stop_mhd:
	MHD_stop_daemon(h->mhd);
out_free:
	close(listen_fd);
	free(h);
	return r;
}

void daemon_http_stop(struct daemon_http *h)
{
	if (!h || h->stopping)
		return;
	h->stopping = true;
	/* Send what is queued, where the sockets take it at once. */
	MHD_run(h->mhd);
	close_handles(h);
}
