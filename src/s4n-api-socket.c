// SPDX-License-Identifier: Apache-2.0
/*
 * s4n-api-socket.c - the API socket of the slirp4netns-compatible mode.
 *
 * slirp4netns answers its API socket synchronously: it "stops the world"
 * while it reads a request, so one client that never shuts down its side
 * stalls the network.  Here every connection is a slot with its own
 * uv_pipe_t and uv_timer_t on the loop:
 *
 *   accept  -> read into the slot's 4096-byte buffer until EOF
 *   EOF, or the buffer full (too large), or the timer (too slow)
 *           -> api_handle() or an error reply -> write -> close
 *
 * The timer allows API_SOCKET_TIMEOUT_MS for the request and as long
 * again for the reply to be written; then the connection is closed.
 * After the reply to a request that is too large, the rest of it is read
 * and dropped until EOF: a client that is still writing would otherwise
 * get EPIPE or ECONNRESET instead of its reply.
 * The slots are allocated once, with the socket: serving a connection
 * allocates nothing but the reply text.  When every slot is busy, the
 * next connection is left to libuv, which stops accepting until a slot
 * frees up: clients wait in the listen backlog instead of being turned
 * away.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"
#include "s4n-api-socket.h"
#include "s4n-api.h"
#include "sandbox.h"
#include "unix-path.h"
#include "util.h"

#define API_SOCKET_BACKLOG 16

/* Sent when even the reply could not be allocated. */
static const char oom_reply[] = "{\"error\":{\"desc\":\"out of memory\"}}";

struct api_conn {
	uv_pipe_t pipe;
	uv_timer_t timer;
	uv_write_t write;
	struct api_socket *s;
	bool in_use, answered, closing;
	bool draining; /* too large: drop the rest until EOF */
	bool eof, written;
	int open_handles;
	char *reply; /* NULL: oom_reply */
	size_t len;
	char buf[API_REQUEST_MAX];
};

struct api_socket {
	uv_pipe_t server;
	uv_loop_t *loop;
	struct hostfwd_table *table;
	char *path;
	bool stopping, server_closed;
	bool waiting; /* libuv holds a connection we did not take */
	unsigned int nconns;
	struct api_conn conns[API_SOCKET_CONN_MAX];
};

static void accept_one(struct api_socket *s);

static void free_socket(struct api_socket *s)
{
	free(s->path);
	free(s);
}

static void on_conn_closed(uv_handle_t *h)
{
	struct api_conn *c = h->data;
	struct api_socket *s = c->s;

	if (--c->open_handles > 0)
		return;
	free(c->reply);
	c->reply = NULL;
	c->in_use = false;
	s->nconns--;
	if (s->stopping) {
		if (s->server_closed && s->nconns == 0)
			free_socket(s);
		return;
	}
	if (s->waiting) {
		s->waiting = false;
		accept_one(s);
	}
}

static void conn_close(struct api_conn *c)
{
	if (c->closing)
		return;
	c->closing = true;
	uv_close((uv_handle_t *)&c->pipe, on_conn_closed);
	uv_close((uv_handle_t *)&c->timer, on_conn_closed);
}

static void on_written(uv_write_t *w, int status)
{
	struct api_conn *c = w->data;

	if (status < 0 && status != UV_ECANCELED)
		log_debug("api socket: reply not sent: %s",
			  uv_strerror(status));
	c->written = true;
	if (!c->draining || c->eof || status < 0)
		conn_close(c);
}

/* Send @reply (owned from now on; NULL: out of memory), then close. */
static void conn_reply(struct api_conn *c, char *reply)
{
	uv_buf_t b;
	int r;

	c->answered = true;
	if (!c->draining)
		uv_read_stop((uv_stream_t *)&c->pipe);
	c->reply = reply;
	b = uv_buf_init(reply ? reply : (char *)oom_reply,
			(unsigned int)strlen(reply ? reply : oom_reply));
	c->write.data = c;
	r = uv_write(&c->write, (uv_stream_t *)&c->pipe, &b, 1, on_written);
	if (r < 0) {
		log_debug("api socket: cannot reply: %s", uv_strerror(r));
		conn_close(c);
	}
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct api_conn *c = h->data;

	/* Once draining, the request is answered: its buffer is scratch. */
	if (c->draining)
		*buf = uv_buf_init(c->buf, sizeof(c->buf));
	else
		*buf = uv_buf_init(c->buf + c->len,
				   (unsigned int)(sizeof(c->buf) - c->len));
}

static void on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
	struct api_conn *c = st->data;

	if (c->draining) {
		if (nread >= 0)
			return;
		c->eof = true;
		uv_read_stop(st);
		if (c->written)
			conn_close(c);
		return;
	}
	if (c->answered || nread == 0)
		return;
	if (nread == UV_EOF ||
	    (nread > 0 && c->len + (size_t)nread == sizeof(c->buf))) {
		c->len += nread > 0 ? (size_t)nread : 0;
		/* A full buffer is a request too large: api_handle()
		 * refuses it by its length. */
		c->draining = c->len == sizeof(c->buf);
		conn_reply(c, api_handle(c->s->table, c->buf, c->len));
		return;
	}
	if (nread < 0) {
		log_debug("api socket: read: %s", uv_strerror((int)nread));
		conn_close(c);
		return;
	}
	c->len += (size_t)nread;
}

static void on_timeout(uv_timer_t *t)
{
	struct api_conn *c = t->data;

	if (c->answered) { /* the client does not read its reply */
		conn_close(c);
		return;
	}
	conn_reply(c, api_error_reply("bad request: no complete request in "
				      "time (shut down the sending side "
				      "after the request)"));
	if (!c->closing)
		uv_timer_start(&c->timer, on_timeout, API_SOCKET_TIMEOUT_MS, 0);
}

static void accept_one(struct api_socket *s)
{
	struct api_conn *c = NULL;
	int r;

	for (size_t i = 0; i < ARRAY_SIZE(s->conns) && !c; i++)
		if (!s->conns[i].in_use)
			c = &s->conns[i];
	if (!c) {
		s->waiting = true;
		return;
	}
	c->s = s;
	c->in_use = true;
	c->answered = c->closing = c->draining = false;
	c->eof = c->written = false;
	c->len = 0;
	c->open_handles = 2;
	s->nconns++;
	uv_pipe_init(s->loop, &c->pipe, 0);
	uv_timer_init(s->loop, &c->timer);
	c->pipe.data = c->timer.data = c;
	r = uv_accept((uv_stream_t *)&s->server, (uv_stream_t *)&c->pipe);
	if (r == 0)
		r = uv_read_start((uv_stream_t *)&c->pipe, on_alloc, on_read);
	if (r == 0)
		r = uv_timer_start(&c->timer, on_timeout, API_SOCKET_TIMEOUT_MS,
				   0);
	if (r < 0) {
		log_debug("api socket: accept: %s", uv_strerror(r));
		conn_close(c);
	}
}

static void on_connection(uv_stream_t *server, int status)
{
	struct api_socket *s = server->data;

	if (status < 0) {
		log_debug("api socket: listen: %s", uv_strerror(status));
		return;
	}
	if (!s->stopping)
		accept_one(s);
}

static void on_server_closed(uv_handle_t *h)
{
	struct api_socket *s = h->data;

	s->server_closed = true;
	if (s->nconns == 0)
		free_socket(s);
}

/* A socket left at @path by a server that died is in the way of bind():
 * removed, as slirp4netns does, but only if nobody answers on it, and
 * never anything that is not a socket (slirp4netns would unlink that too). */
static int remove_stale(const char *path, const char *short_path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };

	memcpy(sun.sun_path, short_path, strlen(short_path) + 1);
	return unix_remove_stale(path, &sun);
}

/*
 * A path too long for sun_path (podman's $XDG_RUNTIME_DIR/libpod/tmp/
 * <64 hex digits>.net is close to the limit) is reached through its
 * directory instead: "/proc/self/fd/N/NAME", with N an O_PATH fd of the
 * directory, which the caller closes once bound.
 */
static int short_path(const char *path, char *buf, size_t size, int *ret_dirfd)
{
	_cleanup_free_ char *dir = strdup(path);
	const char *name = strrchr(path, '/');
	char *slash;
	int fd, n;

	*ret_dirfd = -1;
	if (strlen(path) < size) {
		memcpy(buf, path, strlen(path) + 1);
		return 0;
	}
	if (!dir)
		return -ENOMEM;
	if (!name || !name[1])
		return -ENAMETOOLONG;
	slash = strrchr(dir, '/');
	slash[slash == dir ? 1 : 0] = '\0';
	fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = snprintf(buf, size, "/proc/self/fd/%d%s", fd, name);
	if (n < 0 || (size_t)n >= size) {
		close(fd);
		return -ENAMETOOLONG;
	}
	*ret_dirfd = fd;
	return 0;
}

/*
 * Bind a socket at @bind_path and hand it to @server.  Not uv_pipe_bind():
 * libuv would unlink() the path when the handle closes, which the
 * sandbox's filter forbids (a kill) and which is api_socket_stop()'s (or
 * the cleaner's) to do.
 */
static int bind_socket(uv_pipe_t *server, const char *bind_path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd, r;

	memcpy(sun.sun_path, bind_path, strlen(bind_path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	r = uv_pipe_open(server, fd);
	if (r < 0)
		close(fd);
	return r;
}

int api_socket_start(uv_loop_t *loop, const char *path,
		     struct hostfwd_table *table, struct api_socket **ret)
{
	struct sockaddr_un sun;
	char bind_path[sizeof(sun.sun_path)];
	_cleanup_close_ int dirfd = -1;
	struct api_socket *s;
	int r;

	if (!*path)
		return -EINVAL;
	/* libuv would cut a long path short without a word. */
	r = short_path(path, bind_path, sizeof(bind_path), &dirfd);
	if (r < 0)
		return r;
	r = remove_stale(path, bind_path);
	if (r < 0)
		return r;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->path = strdup(path);
	if (!s->path) {
		free(s);
		return -ENOMEM;
	}
	s->loop = loop;
	s->table = table;
	r = uv_pipe_init(loop, &s->server, 0);
	if (r < 0) {
		free_socket(s);
		return r;
	}
	s->server.data = s;
	r = bind_socket(&s->server, bind_path);
	if (r == 0) {
		r = uv_listen((uv_stream_t *)&s->server, API_SOCKET_BACKLOG,
			      on_connection);
		if (r < 0)
			unlink(path);
	}
	if (r < 0) {
		s->stopping = true;
		uv_close((uv_handle_t *)&s->server, on_server_closed);
		return r;
	}
	*ret = s;
	return 0;
}

void api_socket_stop(struct api_socket *s)
{
	if (!s || s->stopping)
		return;
	s->stopping = true;
	/* Confined, unlink() is not ours (the filter would kill us): the
	 * cleaner removes the socket (s4n-cleaner.h). */
	if (!sandbox_active() && unlink(s->path) < 0 && errno != ENOENT)
		log_debug("api socket: cannot remove %s: %s", s->path,
			  strerror(errno));
	for (size_t i = 0; i < ARRAY_SIZE(s->conns); i++)
		if (s->conns[i].in_use)
			conn_close(&s->conns[i]);
	uv_close((uv_handle_t *)&s->server, on_server_closed);
}
