// SPDX-License-Identifier: Apache-2.0
/*
 * notify.c - receive seccomp user notifications and dispatch them.
 *
 * Theory of operation
 *
 * The container's filter traps a few syscalls with SCMP_ACT_NOTIFY; each
 * trapped call blocks its thread and queues a notification on the notify
 * fd.  The fd is watched with uv_poll: when it is readable one
 * notification is taken with SECCOMP_IOCTL_NOTIF_RECV and handed to the
 * one handler given to notify_start(), which picks what to do by ABI and
 * syscall number (the agent's is traps_dispatch(), over the table in
 * traps.c); this file knows no syscall.  A handler answers at once (CONTINUE,
 * an errno, a value) or keeps the notification and answers later from
 * another libuv callback (a blocking connect() waiting for the handshake).
 * Answers may therefore go out in any order, and a slow connect never
 * holds up the others: the loop never blocks.
 *
 * The id in a notification is the only handle on the trapped call.  It
 * stays valid until the answer, or until the thread dies or is
 * interrupted; every ioctl on a stale id fails with ENOENT, which is
 * normal and not logged as an error.  Handlers that read the thread's
 * memory check the id again afterwards (SECCOMP_IOCTL_NOTIF_ID_VALID)
 * so that a recycled thread id cannot feed them another process's data.
 *
 * When the last process using the filter exits the fd reports POLLHUP and
 * NOTIF_RECV would fail with ENOENT forever: the watcher stops and calls
 * on_hup instead of spinning.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"
#include "notify.h"
#include "seccomp-compat.h"
#include "util.h"

static int seccomp_get_sizes(struct seccomp_notif_sizes *sizes)
{
	if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, sizes) < 0)
		return -errno;
	return 0;
}

bool notify_id_valid(struct notify *n, uint64_t id)
{
	return n->fd >= 0 &&
	       ioctl(n->fd, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0;
}

static int send_resp(struct notify *n, uint64_t id, int64_t val, int error,
		     uint32_t flags)
{
	/* Stopped and released: what was held died with the fd. */
	if (!n->resp)
		return -ENOENT;
	memset(n->resp, 0, n->sizes.seccomp_notif_resp);
	n->resp->id = id;
	n->resp->val = val;
	n->resp->error = error;
	n->resp->flags = flags;
	if (ioctl(n->fd, SECCOMP_IOCTL_NOTIF_SEND, n->resp) < 0) {
		if (errno == ENOENT)
			n->stats.gone++;
		return -errno;
	}
	return 0;
}

int notify_continue(struct notify *n, uint64_t id)
{
	n->stats.continued++;
	return send_resp(n, id, 0, 0, SECCOMP_USER_NOTIF_FLAG_CONTINUE);
}

int notify_answer(struct notify *n, uint64_t id, int64_t val, int error)
{
	n->stats.answered++;
	return send_resp(n, id, error ? -1 : val, error, 0);
}

int notify_addfd(struct notify *n, uint64_t id, int srcfd, int newfd,
		 bool cloexec)
{
	struct seccomp_notif_addfd addfd = {
		.id = id,
		.flags = SECCOMP_ADDFD_FLAG_SETFD,
		.srcfd = (uint32_t)srcfd,
		.newfd = (uint32_t)newfd,
		.newfd_flags = cloexec ? O_CLOEXEC : 0,
	};

	if (n->fd < 0)
		return -ENOENT;
	if (ioctl(n->fd, SECCOMP_IOCTL_NOTIF_ADDFD, &addfd) < 0)
		return -errno;
	return 0;
}

/* Give the answer a handler asked for, unless it answered itself. */
static void finish(struct notify *n, uint64_t id, int r)
{
	int s;

	if (r == HANDLER_DONE || r == HANDLER_GONE)
		return;
	if (r == HANDLER_CONTINUE)
		s = notify_continue(n, id);
	else
		s = notify_answer(n, id, 0, r < 0 ? r : 0);
	if (s < 0 && s != -ENOENT)
		log_warn_errno(s, "answering notification %llu, ignoring",
			       (unsigned long long)id);
}

static void dispatch(struct notify *n)
{
	const struct seccomp_notif *req = n->req;

	n->stats.received++;
	if (n->continue_all) {
		finish(n, req->id, HANDLER_CONTINUE);
		return;
	}
	finish(n, req->id, n->handler(n->ctx, req));
}

static bool fd_hung_up(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 0) == 1 && (p.revents & (POLLHUP | POLLERR));
}

static void on_readable(uv_poll_t *poll, int status, int events)
{
	struct notify *n = container_of(poll, struct notify, poll);

	if (n->closing)
		return;
	if (status >= 0 && (events & UV_READABLE)) {
		memset(n->req, 0, n->sizes.seccomp_notif);
		if (ioctl(n->fd, SECCOMP_IOCTL_NOTIF_RECV, n->req) == 0) {
			dispatch(n);
			return;
		}
		/* ENOENT: the thread died between poll and RECV. */
		if (errno != ENOENT && errno != EINTR && errno != EAGAIN)
			log_warn("NOTIF_RECV failed: %s, ignoring",
				 strerror(errno));
		if (!fd_hung_up(n->fd))
			return;
	}
	log_debug("notify fd hung up: no process left under the filter");
	notify_stop(n);
	if (n->on_hup)
		n->on_hup(n);
}

/* Free what notify_start() made; the fd last, once nothing watches it. */
static void release(struct notify *n)
{
	closep(&n->fd);
	free(n->req);
	free(n->resp);
	n->req = NULL;
	n->resp = NULL;
}

static void on_closed(uv_handle_t *h)
{
	struct notify *n = container_of((uv_poll_t *)h, struct notify, poll);

	/* Only now: never close an fd a uv_poll_t is still watching. */
	release(n);
}

void notify_stop(struct notify *n)
{
	if (n->closing)
		return;
	n->closing = true;
	uv_poll_stop(&n->poll);
	uv_close((uv_handle_t *)&n->poll, on_closed);
}

int notify_start(struct notify *n, uv_loop_t *loop, int fd,
		 notify_handler_cb handler, void *ctx, notify_hup_cb on_hup)
{
	int r;

	memset(n, 0, sizeof(*n));
	n->fd = fd;
	n->handler = handler;
	n->ctx = ctx;
	n->on_hup = on_hup;
	r = seccomp_get_sizes(&n->sizes);
	if (r < 0)
		goto fail;
	/* The kernel may be newer than our headers: use its sizes. */
	n->req = calloc(1, MAX(n->sizes.seccomp_notif,
			       sizeof(struct seccomp_notif)));
	n->resp = calloc(1, MAX(n->sizes.seccomp_notif_resp,
				sizeof(struct seccomp_notif_resp)));
	if (!n->req || !n->resp) {
		r = -ENOMEM;
		goto fail;
	}
	/*
	 * Synchronous wake-ups (Linux >= 6.6) hand the CPU straight from
	 * the trapped thread to the agent and back, instead of waking the
	 * other on whichever CPU the scheduler picks.
	 */
	if (ioctl(fd, SECCOMP_IOCTL_NOTIF_SET_FLAGS,
		  SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP) < 0)
		log_debug("no synchronous wake-ups: %s", strerror(errno));
	/* A failed init leaves nothing to close; from a good one on, the
	 * handle owns @n's resources and frees them in on_closed(). */
	r = uv_poll_init(loop, &n->poll, fd);
	if (r < 0)
		goto fail;
	r = uv_poll_start(&n->poll, UV_READABLE | UV_DISCONNECT, on_readable);
	if (r < 0)
		notify_stop(n);
	return r;
fail:
	release(n);
	return r;
}
