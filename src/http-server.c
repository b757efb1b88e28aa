// SPDX-License-Identifier: Apache-2.0
/*
 * http-server.c - libmicrohttpd glue: MHD on a libuv loop.
 *
 * libmicrohttpd (MHD) parses HTTP/1.1: request line, headers, chunked
 * and Content-Length bodies, keep-alive, "Expect: 100-continue".  It runs
 * in "external polling" mode with epoll: its single epoll fd is watched
 * by a uv_poll_t and MHD_get_timeout() sets a uv_timer_t, and both call
 * MHD_run().  So a server is one thread on its owner's libuv loop: no
 * locks, and no request blocks another.  A request that must wait (the
 * daemon's POST until a child is ready) suspends its connection; the
 * owner queues the reply, resumes it and wakes the server up.
 *
 * The listening socket is ours, not MHD's: a uv_poll_t watches it, we
 * accept() and hand each connection to MHD_add_connection(), up to
 * HTTP_SERVER_CONN_MAX at once.  MHD, left to accept by itself, takes
 * the listening socket out of its epoll set at its connection limit and
 * puts it back only at the start of a later MHD_run(): if the last
 * connections all closed within one MHD_run(), nothing ran it again and
 * the server never accepted again (0.9.75 and 1.0.x alike).  Here the
 * socket is watched again as soon as a connection closes.
 *
 * At the limit, a client that waits in the backlog makes room: the
 * connection that has gone without a request the longest (a partial
 * request, or an idle keep-alive) is shut down, MHD reads EOF and closes
 * it.  One that is being answered, or waits, is never taken.  So a flood
 * of connections that send nothing (a slowloris) delays a client by a
 * round of the loop, not by the idle timeout.  Running out of fds below
 * the limit counts as reaching it.  A request line and headers larger
 * than HTTP_SERVER_CONN_MEMORY get MHD's own 414 or 431.
 *
 * The peer check (unix sockets): the socket file is 0600, and every
 * connection's SO_PEERCRED uid must be ours; any other (root can connect
 * whatever the mode) is logged and closed before MHD sees it.
 */
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "http-server.h"
#include "log.h"
#include "unix-path.h"
#include "util.h"

#define HTTP_SERVER_BACKLOG 16
/* accept() out of fds or memory: the next try, this much later. */
#define HTTP_SERVER_ACCEPT_RETRY_MS 100

/* One connection MHD serves, from its STARTED to its CLOSED notice. */
struct slot {
	struct MHD_Connection *conn; /* NULL: free */
	int fd;
	uint64_t idle_since; /* uv_now() when it last had no request */
	bool busy;	     /* a whole request is being answered */
	bool evicted;	     /* shut down to make room */
};

struct http_server {
	uv_loop_t *loop;
	struct MHD_Daemon *mhd;
	struct http_server_ops ops;
	uv_poll_t poll;	       /* MHD's epoll fd */
	uv_timer_t timer;      /* MHD_get_timeout() */
	uv_poll_t listen_poll; /* the listening socket */
	uv_timer_t retry;      /* accept() again after running out */
	int listen_fd;
	uid_t uid;
	struct slot slots[HTTP_SERVER_CONN_MAX];
	unsigned int conns;  /* slots in use */
	unsigned int adding; /* handed to MHD, not STARTED yet */
	bool evicting;	     /* an evicted connection is not closed yet */
	bool accept_failing; /* logged once until accept() works */
	bool watch_failing;  /* logged once until listen_poll starts */
	int open_handles;
	bool stopping;
};

static void run_mhd(struct http_server *h);

static void on_timer(uv_timer_t *t)
{
	run_mhd(container_of(t, struct http_server, timer));
}

static void on_poll(uv_poll_t *p, int status, int events)
{
	run_mhd(container_of(p, struct http_server, poll));
}

/* Let MHD do its work, then wait no longer than it allows. */
static void run_mhd(struct http_server *h)
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
static void listen_resume(struct http_server *h)
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
			       "%s: cannot watch the listening socket, "
			       "retrying every %d ms",
			       h->ops.name, HTTP_SERVER_ACCEPT_RETRY_MS);
	h->watch_failing = true;
	uv_timer_start(&h->retry, on_retry, HTTP_SERVER_ACCEPT_RETRY_MS, 0);
}

static void on_retry(uv_timer_t *t)
{
	listen_resume(container_of(t, struct http_server, retry));
}

static bool is_full(const struct http_server *h)
{
	return h->conns + h->adding >= HTTP_SERVER_CONN_MAX;
}

/* Is the peer on @fd of our uid?  Logs the refusal. */
static bool peer_allowed(struct http_server *h, int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
		log_warn("%s: cannot tell who connected (%s), "
			 "refusing the connection",
			 h->ops.name, strerror(errno));
		return false;
	}
	if (cred.uid != h->uid) {
		log_warn("%s: refused a connection from uid %u (pid %d): "
			 "only uid %u is served",
			 h->ops.name, (unsigned int)cred.uid, (int)cred.pid,
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
static int accept_one(struct http_server *h)
{
	struct sockaddr_storage sa;
	socklen_t len = sizeof(sa);
	int fd;

	fd = accept4(h->listen_fd, (struct sockaddr *)&sa, &len,
		     SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	if (h->ops.same_uid && !peer_allowed(h, fd)) {
		close(fd);
		return 0;
	}
	/* MHD closes the fd when it fails. */
	if (MHD_add_connection(h->mhd, fd, (struct sockaddr *)&sa, len) !=
	    MHD_YES) {
		log_debug("%s: libmicrohttpd refused a connection (%s)",
			  h->ops.name, strerror(errno));
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
static void evict_idlest(struct http_server *h)
{
	struct slot *s, *idlest = NULL;

	if (h->evicting)
		return;
	for (s = h->slots; s < h->slots + HTTP_SERVER_CONN_MAX; s++)
		if (s->conn && !s->busy && !s->evicted &&
		    (!idlest || s->idle_since < idlest->idle_since))
			idlest = s;
	/* Every connection is being answered: the client waits for one. */
	if (!idlest)
		return;
	log_debug("%s: %u connections, a client waits: closing one "
		  "idle for %llu ms",
		  h->ops.name, h->conns,
		  (unsigned long long)(uv_now(h->loop) - idlest->idle_since));
	idlest->evicted = true;
	h->evicting = true;
	shutdown(idlest->fd, SHUT_RDWR);
}

/* The listening socket is readable: a client waits in the backlog. */
static void on_listen(uv_poll_t *p, int status, int events)
{
	struct http_server *h = container_of(p, struct http_server,
					     listen_poll);
	bool full = is_full(h);
	int i, n = 0, r = 0;

	/* Bounded: refused peers could keep the backlog full forever. */
	for (i = 0; i < 2 * HTTP_SERVER_CONN_MAX && !is_full(h); i++) {
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
				       "%s: cannot accept a connection, "
				       "retrying every %d ms",
				       h->ops.name,
				       HTTP_SERVER_ACCEPT_RETRY_MS);
		h->accept_failing = true;
		uv_poll_stop(&h->listen_poll);
		uv_timer_start(&h->retry, on_retry, HTTP_SERVER_ACCEPT_RETRY_MS,
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
 * implements MHD_UnescapeCallback: leaves the path (and the query) as
 * sent.  MHD's own decoding writes a %00 as a NUL into a C string, which
 * then ends there; an owner that decodes does it itself
 * (daemon_path_decode()).
 */
static size_t on_unescape(void *cls, struct MHD_Connection *conn, char *s)
{
	return strlen(s);
}

/* The slot of @conn, if it has one. */
static struct slot *slot_of(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci;

	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return ci ? ci->socket_context : NULL;
}

void http_server_busy(struct MHD_Connection *conn)
{
	struct slot *s = slot_of(conn);

	if (s)
		s->busy = true;
}

/* implements MHD_AccessHandlerCallback: the owner's, for our slots */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
				  const char *url, const char *method,
				  const char *version, const char *upload_data,
				  size_t *upload_data_size, void **req_cls)
{
	struct http_server *h = cls;

	/* A connection without a slot is not ours to serve. */
	if (!*req_cls && !slot_of(conn))
		return MHD_NO;
	return h->ops.on_request(h->ops.cls, conn, url, method, version,
				 upload_data, upload_data_size, req_cls);
}

/* implements MHD_RequestCompletedCallback */
static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct http_server *h = cls;
	struct slot *s = slot_of(conn);

	if (h->ops.on_completed)
		h->ops.on_completed(h->ops.cls, conn, req_cls, toe);
	if (s && s->conn == conn) {
		s->busy = false;
		s->idle_since = uv_now(h->loop);
		/* Room for a client that waited while all were busy. */
		listen_resume(h);
	}
}

/* A connection starts: give it a slot. */
static void slot_take(struct http_server *h, struct MHD_Connection *conn,
		      void **socket_context)
{
	const union MHD_ConnectionInfo *ci;
	struct slot *s;

	if (h->adding)
		h->adding--;
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	for (s = h->slots; s < h->slots + HTTP_SERVER_CONN_MAX; s++)
		if (!s->conn)
			break;
	if (!ci || s == h->slots + HTTP_SERVER_CONN_MAX) {
		/* Not one of ours (cannot happen): MHD reads EOF and
		 * closes it, and on_request() refuses it meanwhile. */
		log_warn("%s: a connection beyond the limit, closing it",
			 h->ops.name);
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
static void slot_release(struct http_server *h, void **socket_context)
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
	struct http_server *h = cls;

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
	log_debug("%s: libmicrohttpd: %s",
		  ((struct http_server *)cls)->ops.name, msg);
}

int http_listen_unix(const char *path)
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
	if (listen(fd, HTTP_SERVER_BACKLOG) < 0) {
		r = -errno;
		unlink(path);
		return r;
	}
	return take_fd(&fd);
}

int http_listen_tcp(const char *addr, unsigned int port)
{
	union {
		struct sockaddr sa;
		struct sockaddr_in in;
		struct sockaddr_in6 in6;
	} u = { 0 };
	socklen_t len;
	_cleanup_close_ int fd = -1;
	int one = 1;

	if (port == 0 || port > 65535)
		return -EINVAL;
	if (inet_pton(AF_INET, addr, &u.in.sin_addr) == 1) {
		u.in.sin_family = AF_INET;
		u.in.sin_port = htons((uint16_t)port);
		len = sizeof(u.in);
	} else if (inet_pton(AF_INET6, addr, &u.in6.sin6_addr) == 1) {
		u.in6.sin6_family = AF_INET6;
		u.in6.sin6_port = htons((uint16_t)port);
		len = sizeof(u.in6);
	} else {
		return -EINVAL;
	}
	fd = socket(u.sa.sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* Only the address given ([::] would take IPv4 too otherwise). */
	if (u.sa.sa_family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, &u.sa, len) < 0 || listen(fd, HTTP_SERVER_BACKLOG) < 0)
		return -errno;
	return take_fd(&fd);
}

/* MHD goes once libuv no longer watches its epoll fd. */
static void on_closed(uv_handle_t *handle)
{
	struct http_server *h = handle->data;

	if (--h->open_handles > 0)
		return;
	MHD_stop_daemon(h->mhd);
	close(h->listen_fd);
	if (h->ops.on_closed)
		h->ops.on_closed(h->ops.cls);
	free(h);
}

/* Close the four handles: h goes with the last (on_closed()). */
static void close_handles(struct http_server *h)
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

int http_server_start(uv_loop_t *loop, int listen_fd,
		      const struct http_server_ops *ops,
		      struct http_server **ret)
{
	const union MHD_DaemonInfo *di;
	struct http_server *h;
	int r;

	h = calloc(1, sizeof(*h));
	if (!h) {
		close(listen_fd);
		return -ENOMEM;
	}
	h->loop = loop;
	h->ops = *ops;
	h->listen_fd = listen_fd;
	h->uid = geteuid();
	h->mhd = MHD_start_daemon(MHD_USE_EPOLL | MHD_USE_NO_LISTEN_SOCKET |
					  (ops->suspend ?
						   MHD_ALLOW_SUSPEND_RESUME :
						   0) |
					  MHD_USE_ERROR_LOG,
				  0, NULL, NULL, on_request, h,
				  MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, h,
				  MHD_OPTION_UNESCAPE_CALLBACK, on_unescape, h,
				  MHD_OPTION_NOTIFY_CONNECTION, on_connection,
				  h, MHD_OPTION_NOTIFY_COMPLETED, on_completed,
				  h, MHD_OPTION_CONNECTION_LIMIT,
				  (unsigned int)HTTP_SERVER_CONN_MAX,
				  MHD_OPTION_CONNECTION_TIMEOUT,
				  (unsigned int)HTTP_SERVER_IDLE_TIMEOUT,
				  MHD_OPTION_CONNECTION_MEMORY_LIMIT,
				  (size_t)HTTP_SERVER_CONN_MEMORY,
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
	if (ops->on_closed)
		ops->on_closed(ops->cls);
	free(h);
	return r;
}

void http_server_wake(struct http_server *h)
{
	/* MHD's channel wakes the poll up too; this is sooner. */
	if (!h->stopping)
		uv_timer_start(&h->timer, on_timer, 0, 0);
}

void http_server_stop(struct http_server *h)
{
	if (!h || h->stopping)
		return;
	h->stopping = true;
	/* Send what is queued, where the sockets take it at once. */
	MHD_run(h->mhd);
	close_handles(h);
}
