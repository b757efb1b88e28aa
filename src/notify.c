// SPDX-License-Identifier: Apache-2.0
/*
 * notify.c - receive seccomp user notifications and dispatch them.
 *
 * Theory of operation
 *
 * The container's filter traps a few syscalls with SCMP_ACT_NOTIFY; each
 * trapped call blocks its thread and queues a notification on the notify
 * fd.  The fd is watched with uv_poll: when it is readable one
 * notification is taken with SECCOMP_IOCTL_NOTIF_RECV (then up to
 * NOTIFY_DRAIN_MAX more already queued, in the same loop turn) and handed
 * to the one handler given to notify_start(), which picks what to do by ABI and
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
 *
 * Every notification is received into a slot of the journal
 * (notify-journal.h) and its slot freed with the answer; the time between
 * the two and the answer's errno are counted.  Under `nsbypass oci` the
 * slots and counters are in memory shared with the daemon (agent-shm.h):
 * an agent started after a crash finds, before it receives anything, the
 * notifications its predecessor received and never answered, drops those
 * the kernel no longer holds (NOTIF_ID_VALID: answered, or the thread was
 * interrupted or died) and hands the rest to the recovery callback.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "notify.h"

/* With every journal slot in use, receive again after this long. */
#define NOTIFY_FULL_RETRY_MS 10
/* At most this many more notifications taken in one loop turn. */
#define NOTIFY_DRAIN_MAX 8
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

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The latency bucket of @ns: the smallest b with ns <= 2^b us, or the
 * last one. */
static unsigned int latency_bucket(uint64_t ns)
{
	uint64_t us = (ns + 999) / 1000;
	unsigned int b = us <= 1 ? 0 :
				   64 - (unsigned int)__builtin_clzll(us - 1);

	return MIN(b, AGENT_LATENCY_BUCKETS - 1u);
}

/* Count an answer to the notification of @slot (NULL: not journaled) and
 * free the slot.  Single writer: plain increments, which the daemon reads
 * with atomic loads (agent_shm_read()). */
static void count_answer(struct notify *n, struct agent_slot *slot, int error)
{
	struct agent_counters *c = n->counters;
	uint64_t ns;

	if (error)
		c->errors[error < 0 && -error <= AGENT_ERRNO_MAX ? -error : 0]++;
	if (!slot)
		return;
	ns = now_ns() - slot->recv_ns;
	c->latency_sum_ns += ns;
	c->latency[latency_bucket(ns)]++;
	notify_journal_release(&n->journal, slot);
}

static int send_resp(struct notify *n, uint64_t id, int64_t val, int error,
		     uint32_t flags)
{
	struct agent_slot *slot;
	int r = 0;

	/* Stopped and released: what was held died with the fd. */
	if (!n->resp)
		return -ENOENT;
	memset(n->resp, 0, n->sizes.seccomp_notif_resp);
	n->resp->id = id;
	n->resp->val = val;
	n->resp->error = error;
	n->resp->flags = flags;
	if (ioctl(n->fd, SECCOMP_IOCTL_NOTIF_SEND, n->resp) < 0) {
		r = -errno;
		if (r == -ENOENT)
			n->stats->gone++;
	}
	/* Answered, or never to be: the slot is free either way. */
	slot = notify_journal_find(&n->journal, id);
	count_answer(n, slot, r == 0 ? error : 0);
	return r;
}

int notify_continue(struct notify *n, uint64_t id)
{
	n->stats->continued++;
	return send_resp(n, id, 0, 0, SECCOMP_USER_NOTIF_FLAG_CONTINUE);
}

int notify_answer(struct notify *n, uint64_t id, int64_t val, int error)
{
	n->stats->answered++;
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

void notify_forget(struct notify *n, uint64_t id)
{
	struct agent_slot *slot = notify_journal_find(&n->journal, id);

	if (slot)
		notify_journal_release(&n->journal, slot);
}

int notify_addfd_journaled(struct notify *n, uint64_t id, int srcfd, int newfd,
			   bool cloexec, uint64_t cookie, int answer)
{
	struct agent_slot *slot = notify_journal_find(&n->journal, id);
	int r;

	if (slot) {
		slot->answer = answer;
		slot->installed_fd = newfd;
		/* The cookie last, and before the ioctl: a successor that
		 * finds it trusts the answer next to it. */
		__atomic_store_n(&slot->installed_cookie, cookie,
				 __ATOMIC_RELEASE);
	}
	r = notify_addfd(n, id, srcfd, newfd, cloexec);
	if (r < 0 && slot)
		slot->installed_cookie = 0;
	return r;
}

/* Give the answer a handler asked for, unless it answered itself. */
static void finish(struct notify *n, uint64_t id, int r)
{
	int s;

	if (r == HANDLER_DONE)
		return;
	if (r == HANDLER_GONE) {
		/* Nothing to answer: the kernel dropped it. */
		notify_forget(n, id);
		return;
	}
	if (r == HANDLER_CONTINUE)
		s = notify_continue(n, id);
	else
		s = notify_answer(n, id, 0, r < 0 ? r : 0);
	if (s < 0 && s != -ENOENT)
		log_warn_errno(s, "answering notification %llu, ignoring",
			       (unsigned long long)id);
}

static void dispatch(struct notify *n, const struct seccomp_notif *req)
{
	n->stats->received++;
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

static void on_recover(uv_timer_t *t);

/* Is a notification waiting, and nothing else (a hang-up) to see? */
static bool fd_readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 0) == 1 && p.revents == POLLIN;
}

/* More in flight than connects may be: a slot lost (a bug).  Never
 * unrecorded, and never a spin on a readable fd: receive again a little
 * later. */
static void journal_full(struct notify *n)
{
	if (!n->full_warned)
		log_error("every journal slot is in use: notifications wait");
	n->full_warned = true;
	uv_poll_stop(&n->poll);
	if (!n->recover_timer_made) {
		uv_timer_init(n->poll.loop, &n->recover_timer);
		n->recover_timer_made = true;
	}
	uv_timer_start(&n->recover_timer, on_recover, NOTIFY_FULL_RETRY_MS, 0);
}

/* Receive one notification into a journal slot and dispatch it.
 * Return: 0, -ENOSPC (the journal is full), or NOTIF_RECV's -errno */
static int receive_one(struct notify *n)
{
	struct agent_slot *slot = notify_journal_take(&n->journal);
	int e;

	if (!slot) {
		journal_full(n);
		return -ENOSPC;
	}
	if (ioctl(n->fd, SECCOMP_IOCTL_NOTIF_RECV, &slot->u.notif) == 0) {
		slot->recv_ns = now_ns();
		dispatch(n, &slot->u.notif);
		return 0;
	}
	e = errno;
	notify_journal_release(&n->journal, slot);
	return -e;
}

static void on_readable(uv_poll_t *poll, int status, int events)
{
	struct notify *n = container_of(poll, struct notify, poll);

	if (n->closing)
		return;
	if (status >= 0 && (events & UV_READABLE)) {
		int r = receive_one(n);

		/* Those already queued in this same turn: a caller that
		 * traps again at once (a loop of setsockopt()s, threads)
		 * is served without another epoll_wait() and loop turn.
		 * Bounded, so timers and other fds wait for 8 at most. */
		for (int i = 0; r == 0 && i < NOTIFY_DRAIN_MAX && !n->closing &&
				fd_readable(n->fd);
		     i++)
			r = receive_one(n);
		if (r == 0 || r == -ENOSPC || n->closing)
			return;
		/* ENOENT: the thread died between poll and RECV. */
		if (r != -ENOENT && r != -EINTR && r != -EAGAIN)
			log_warn("NOTIF_RECV failed: %s, ignoring",
				 strerror(-r));
		if (!fd_hung_up(n->fd))
			return;
	}
	log_debug("notify fd hung up: no process left under the filter");
	notify_stop(n);
	if (n->on_hup)
		n->on_hup(n);
}

/* Free what notify_start() made; the fd last, once nothing watches it.
 * The journal's slots stay as they are: a successor may need them. */
static void release(struct notify *n)
{
	closep(&n->fd);
	free(n->resp);
	n->resp = NULL;
	notify_journal_fini(&n->journal);
}

static void on_closed(uv_handle_t *h)
{
	struct notify *n = container_of((uv_poll_t *)h, struct notify, poll);

	if (n->recover_timer_made)
		uv_close((uv_handle_t *)&n->recover_timer, NULL);
	/* Only now: never close an fd a uv_poll_t is still watching. */
	release(n);
}

void notify_stop(struct notify *n)
{
	if (n->closing)
		return;
	n->closing = true;
	if (n->recover_timer_made)
		uv_timer_stop(&n->recover_timer);
	uv_poll_stop(&n->poll);
	uv_close((uv_handle_t *)&n->poll, on_closed);
}

/*
 * What a dead agent left: the kernel still holds the notifications whose
 * ids are valid (pending, received, unanswered: only an answer, or the
 * thread's interruption or death, ends them); the rest were answered
 * after all, or ended.  Then, and only then, new ones are received.
 */
static void on_recover(uv_timer_t *t)
{
	struct notify *n = container_of(t, struct notify, recover_timer);
	struct notify_journal *j = &n->journal;

	for (uint32_t k = 0; k < j->n_left && !n->closing; k++) {
		struct agent_slot *slot = &j->slots[j->left[k]];
		uint64_t id = slot->u.notif.id;

		if (!notify_id_valid(n, id)) {
			notify_journal_release(j, slot);
			continue;
		}
		log_info("notification %llu (syscall %d of thread %u) was "
			 "left unanswered by the last agent: answering it",
			 (unsigned long long)id, slot->u.notif.data.nr,
			 slot->u.notif.pid);
		n->stats->received++;
		/* Its latency counts from now: the old clock is another
		 * agent's, and the wait is counted as a restart. */
		slot->recv_ns = now_ns();
		/* The container shares our network (agent_start()): its
		 * calls continue, recovered ones too. */
		finish(n, id,
		       n->continue_all ? HANDLER_CONTINUE :
		       n->recover      ? n->recover(n->ctx, slot) :
					 n->handler(n->ctx, &slot->u.notif));
	}
	j->n_left = 0;
	if (!n->closing && uv_poll_start(&n->poll, UV_READABLE | UV_DISCONNECT,
					 on_readable) < 0)
		notify_stop(n);
}

int notify_start(struct notify *n, uv_loop_t *loop, int fd,
		 notify_handler_cb handler, void *ctx, notify_hup_cb on_hup)
{
	static const struct notify_store private_store;

	return notify_start_stored(n, loop, fd, handler, ctx, on_hup,
				   &private_store);
}

int notify_start_stored(struct notify *n, uv_loop_t *loop, int fd,
			notify_handler_cb handler, void *ctx,
			notify_hup_cb on_hup, const struct notify_store *store)
{
	int r;

	memset(n, 0, sizeof(*n));
	n->fd = fd;
	n->handler = handler;
	n->recover = store->recover;
	n->ctx = ctx;
	n->on_hup = on_hup;
	n->counters = store->counters ? store->counters : &n->own_counters;
	n->stats = &n->counters->notify;
	r = seccomp_get_sizes(&n->sizes);
	if (r < 0)
		goto fail;
	/* The kernel may be newer than our headers: use its sizes. */
	if (n->sizes.seccomp_notif > AGENT_SLOT_NOTIF_MAX) {
		r = -EOVERFLOW;
		goto fail;
	}
	r = notify_journal_init(&n->journal, store->slots,
				store->slots && store->predecessor);
	if (r < 0)
		goto fail;
	n->resp = calloc(1, MAX(n->sizes.seccomp_notif_resp,
				sizeof(struct seccomp_notif_resp)));
	if (!n->resp) {
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
	if (n->journal.n_left) {
		/* Recovery first, on the loop's first turn (the caller has
		 * set up all it decides with by then). */
		uv_timer_init(loop, &n->recover_timer);
		n->recover_timer_made = true;
		r = uv_timer_start(&n->recover_timer, on_recover, 0, 0);
	} else {
		r = uv_poll_start(&n->poll, UV_READABLE | UV_DISCONNECT,
				  on_readable);
	}
	if (r < 0)
		notify_stop(n);
	return r;
fail:
	release(n);
	return r;
}
