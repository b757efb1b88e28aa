// SPDX-License-Identifier: Apache-2.0
/*
 * oci-listener.c - the listenerPath socket: accept, check the peer, read
 * the state and its fds until EOF, hand them over.
 *
 * Every connection is a slot with its own uv_poll_t and uv_timer_t.  The
 * reads are recvmsg() calls on a non-blocking socket with room for
 * OCI_FDS_MAX fds of control data each, so that fds sent with any chunk
 * are taken, and MSG_CMSG_CLOEXEC, so that none of them reaches a child
 * the daemon forks without being meant to.  The buffer grows by doubling
 * up to OCI_PAYLOAD_MAX + 1 bytes: one byte past the limit tells a
 * payload that is too large from one that is exactly at it.  When every
 * slot is busy the listening socket is not watched: new peers wait in
 * the backlog.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"
#include "oci-listener.h"
#include "unix-path.h"
#include "util.h"

#define OCI_LISTENER_BACKLOG 64
#define OCI_BUF_INITIAL 4096

struct oci_conn {
	uv_poll_t poll;
	uv_timer_t timer;
	struct oci_listener *l;
	int fd;
	pid_t peer;
	bool in_use, closing;
	int open_handles;
	char *buf;
	size_t len, cap;
	int fds[OCI_FDS_MAX];
	size_t n_fds;
};

static void listener_resume(struct oci_listener *l);

static void free_listener_memory(struct oci_listener *l)
{
	free(l->conns);
	free(l->path);
	l->conns = NULL;
	l->path = NULL;
}

static void on_conn_closed(uv_handle_t *h)
{
	struct oci_conn *c = h->data;
	struct oci_listener *l = c->l;

	if (--c->open_handles > 0)
		return;
	closep(&c->fd);
	for (size_t i = 0; i < c->n_fds; i++)
		close(c->fds[i]);
	free(c->buf);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	l->n_conns--;
	if (l->stopping) {
		if (l->fd < 0 && l->n_conns == 0)
			free_listener_memory(l);
		return;
	}
	if (l->paused)
		listener_resume(l);
}

static void conn_close(struct oci_conn *c)
{
	if (c->closing)
		return;
	c->closing = true;
	uv_close((uv_handle_t *)&c->poll, on_conn_closed);
	uv_close((uv_handle_t *)&c->timer, on_conn_closed);
}

static void conn_refuse(struct oci_conn *c, const char *why)
{
	log_warn("listener: refused the connection of pid %d: %s", (int)c->peer,
		 why);
	conn_close(c);
}

/* Take the fds of every SCM_RIGHTS message in @msg; false: too many. */
static bool take_fds(struct oci_conn *c, struct msghdr *msg)
{
	bool ok = true;

	for (struct cmsghdr *cm = CMSG_FIRSTHDR(msg); cm;
	     cm = CMSG_NXTHDR(msg, cm)) {
		size_t n;
		int fd;

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < n; i++) {
			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int),
			       sizeof(fd));
			if (c->n_fds < ARRAY_SIZE(c->fds)) {
				c->fds[c->n_fds++] = fd;
			} else {
				close(fd);
				ok = false;
			}
		}
	}
	return ok && !(msg->msg_flags & MSG_CTRUNC);
}

/*
 * Room for at least one more byte and the NUL.  Return: 0, -EFBIG when
 * the payload is over the limit, -ENOMEM.
 */
static int make_room(struct oci_conn *c)
{
	size_t cap;
	char *p;

	if (c->len > OCI_PAYLOAD_MAX)
		return -EFBIG;
	if (c->len + 1 < c->cap)
		return 0;
	/* len <= MAX here, so MAX + 2 always leaves that room. */
	cap = c->cap ? MIN(c->cap * 2, (size_t)OCI_PAYLOAD_MAX + 2) :
		       OCI_BUF_INITIAL;
	p = realloc(c->buf, cap);
	if (!p)
		return -ENOMEM;
	c->buf = p;
	c->cap = cap;
	return 0;
}

static void conn_finish(struct oci_conn *c)
{
	struct oci_listener *l = c->l;
	size_t n = c->n_fds;

	if (c->len > OCI_PAYLOAD_MAX) {
		conn_refuse(c, "the state is larger than 1.06 MiB");
		return;
	}
	c->buf[c->len] = '\0'; /* make_room() left the byte */
	c->n_fds = 0;	       /* the callback owns them now */
	l->on_payload(l, c->buf, c->len, c->fds, n, c->peer);
	conn_close(c);
}

static void on_conn_readable(uv_poll_t *h, int status, int events)
{
	struct oci_conn *c = h->data;
	char cbuf[CMSG_SPACE(sizeof(int) * OCI_FDS_MAX)];
	struct iovec iov;
	struct msghdr msg;
	ssize_t r;

	(void)status;
	(void)events;
	while (!c->closing) {
		r = make_room(c);
		if (r < 0) {
			conn_refuse(c,
				    r == -EFBIG ?
					    "the state is larger than 1.06 MiB" :
					    "out of memory");
			return;
		}
		iov.iov_base = c->buf + c->len;
		iov.iov_len = c->cap - c->len - 1;
		memset(&msg, 0, sizeof(msg));
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		msg.msg_control = cbuf;
		msg.msg_controllen = sizeof(cbuf);
		r = recvmsg(c->fd, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (r < 0) {
			log_warn_errno(-errno, "listener: reading from pid %d",
				       (int)c->peer);
			conn_close(c);
			return;
		}
		if (!take_fds(c, &msg)) {
			conn_refuse(c, "more than 64 fds");
			return;
		}
		if (r == 0) {
			conn_finish(c);
			return;
		}
		c->len += (size_t)r;
	}
}

static void on_conn_timeout(uv_timer_t *t)
{
	conn_refuse(t->data, "no complete state within 10 s (the sender "
			     "must shut down its side)");
}

/* Serve the accepted socket @fd of a peer of pid @pid in a free slot. */
static void conn_start(struct oci_listener *l, struct oci_conn *c, int fd,
		       pid_t pid)
{
	int r;

	c->l = l;
	c->fd = fd;
	c->peer = pid;
	c->in_use = true;
	c->open_handles = 2;
	l->n_conns++;
	uv_timer_init(l->loop, &c->timer);
	c->timer.data = c->poll.data = c;
	r = uv_poll_init(l->loop, &c->poll, fd);
	if (r < 0) {
		/* Only the timer is a handle: close it alone. */
		c->open_handles = 1;
		c->closing = true;
		uv_close((uv_handle_t *)&c->timer, on_conn_closed);
		return;
	}
	uv_timer_start(&c->timer, on_conn_timeout, OCI_LISTENER_TIMEOUT_MS, 0);
	r = uv_poll_start(&c->poll, UV_READABLE | UV_DISCONNECT,
			  on_conn_readable);
	if (r < 0)
		conn_close(c);
}

static struct oci_conn *free_slot(struct oci_listener *l)
{
	for (size_t i = 0; i < OCI_LISTENER_CONN_MAX; i++)
		if (!l->conns[i].in_use)
			return &l->conns[i];
	return NULL;
}

static void on_listen_readable(uv_poll_t *h, int status, int events)
{
	struct oci_listener *l = h->data;
	struct ucred cred;
	socklen_t len;
	struct oci_conn *c;
	int fd;

	(void)status;
	(void)events;
	while (!l->stopping) {
		c = free_slot(l);
		if (!c) {
			uv_poll_stop(&l->poll);
			l->paused = true;
			return;
		}
		fd = accept4(l->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR && errno != ECONNABORTED)
				log_warn_errno(-errno,
					       "listener: accept, ignoring");
			return;
		}
		len = sizeof(cred);
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
			log_warn_errno(-errno,
				       "listener: SO_PEERCRED, refused");
			close(fd);
			continue;
		}
		if (cred.uid != l->uid) {
			log_warn("listener: refused the connection of pid %d: "
				 "uid %u is not ours (%u)",
				 (int)cred.pid, (unsigned int)cred.uid,
				 (unsigned int)l->uid);
			close(fd);
			continue;
		}
		conn_start(l, c, fd, cred.pid);
	}
}

static void listener_resume(struct oci_listener *l)
{
	l->paused = false;
	if (uv_poll_start(&l->poll, UV_READABLE, on_listen_readable) < 0)
		log_warn("listener: cannot watch the socket again");
}

int oci_listener_start(struct oci_listener *l, uv_loop_t *loop,
		       const char *path, oci_payload_cb cb)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	_cleanup_close_ int fd = -1;
	int r;

	memset(l, 0, sizeof(*l));
	l->fd = -1;
	if (!*path)
		return -EINVAL;
	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	r = unix_bind_private(fd, &sun);
	if (r < 0)
		return r;
	if (listen(fd, OCI_LISTENER_BACKLOG) < 0) {
		r = -errno;
		unlink(path);
		return r;
	}
	l->conns = calloc(OCI_LISTENER_CONN_MAX, sizeof(*l->conns));
	l->path = strdup(path);
	if (!l->conns || !l->path) {
		unlink(path);
		free_listener_memory(l);
		return -ENOMEM;
	}
	for (size_t i = 0; i < OCI_LISTENER_CONN_MAX; i++)
		l->conns[i].fd = -1;
	l->loop = loop;
	l->uid = getuid();
	l->on_payload = cb;
	l->poll.data = l;
	r = uv_poll_init(loop, &l->poll, fd);
	if (r < 0) {
		unlink(path);
		free_listener_memory(l);
		return r;
	}
	l->fd = take_fd(&fd);
	r = uv_poll_start(&l->poll, UV_READABLE, on_listen_readable);
	if (r < 0) {
		oci_listener_stop(l);
		return r;
	}
	return 0;
}

static void on_listener_closed(uv_handle_t *h)
{
	struct oci_listener *l = h->data;

	closep(&l->fd);
	if (l->n_conns == 0)
		free_listener_memory(l);
}

void oci_listener_stop(struct oci_listener *l)
{
	if (l->stopping || l->fd < 0)
		return;
	l->stopping = true;
	if (unlink(l->path) < 0 && errno != ENOENT)
		log_debug("listener: cannot remove %s: %s", l->path,
			  strerror(errno));
	for (size_t i = 0; i < OCI_LISTENER_CONN_MAX; i++)
		if (l->conns[i].in_use)
			conn_close(&l->conns[i]);
	uv_close((uv_handle_t *)&l->poll, on_listener_closed);
}
