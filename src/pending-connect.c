// SPDX-License-Identifier: Apache-2.0
/*
 * pending-connect.c - blocking connects in flight (see pending-connect.h).
 *
 * Each pending connect watches its host socket for the end of the
 * handshake (uv_poll, writable) and ticks every PENDING_TICK_MS to check
 * that its caller still waits, has no signal to handle and has time left
 * (SO_SNDTIMEO).  The list is the agent's, so that stopping the agent
 * abandons every one of them (pending_connect_cancel_all()).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agent.h"
#include "log.h"
#include "pending-connect.h"
#include "sockinfo.h"
#include "target.h"
#include "util.h"

/*
 * How often a pending connect checks that its caller still waits and has
 * no signal to handle: a caught signal must interrupt it within 50 ms.
 */
#define PENDING_TICK_MS 25

/* The kernel's "restart the call, or EINTR without SA_RESTART" code
 * (include/linux/errno.h: not in the uapi headers). */
#define ERESTARTSYS 512

struct pending_connect {
	struct agent *agent;
	struct pending_connect_call call;
	int hs;		   /* our host socket, or our copy of it */
	bool installed;	   /* the container has it already */
	uint64_t deadline; /* uv_now() ms, 0: none */
	uv_poll_t poll;
	uv_timer_t timer;
	int open_handles;
	/* The answer, given once @hs is closed (pending_end()). */
	bool reply;
	int reply_r, reply_ok;
	struct pending_connect *prev, *next;
};

/*
 * Raise the soft fd limit to the hard one (pending connects hold host
 * sockets) and derive the pending bound from it, leaving room for the
 * fds one notification needs.
 */
static unsigned int pending_bound(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return 64;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
		(void)getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur == RLIM_INFINITY ||
	    rl.rlim_cur > 64 + 2 * PENDING_CONNECT_MAX)
		return PENDING_CONNECT_MAX;
	return rl.rlim_cur > 128 ? (unsigned int)(rl.rlim_cur - 64) / 2 : 32;
}

void pending_connects_init(struct pending_connects *pc)
{
	memset(pc, 0, sizeof(*pc));
	pc->max = pending_bound();
}

bool pending_connects_full(const struct pending_connects *pc)
{
	return pc->n >= pc->max;
}

/* Answer after the install or its failure; -ENOENT means the caller left. */
static void answer(struct agent *a, uint64_t id, int r, int ok_error)
{
	if (r == -ENOENT)
		return;
	r = notify_answer(&a->notify, id, 0, r < 0 ? r : ok_error);
	if (r < 0 && r != -ENOENT)
		log_warn_errno(r, "answering connect, ignoring");
}

/*
 * Both handles are closed: close the host socket, then answer.  Never the
 * other way round: the caller runs again at the answer, and a socket the
 * agent still holds then can outlive the caller's own close() for good
 * (docs/design.md §4, "No copy outlives the answer").
 */
static void pending_on_close(uv_handle_t *h)
{
	struct pending_connect *p = h->data;

	if (--p->open_handles > 0)
		return;
	close(p->hs);
	if (p->reply)
		answer(p->agent, p->call.id, p->reply_r, p->reply_ok);
	free(p);
}

/* End @p: answer (@r, @ok_error) as answer() does if @reply, once its
 * host socket is closed (pending_on_close()). */
static void pending_end(struct pending_connect *p, bool reply, int r,
			int ok_error)
{
	struct agent *a = p->agent;

	p->reply = reply && r != -ENOENT;
	p->reply_r = r;
	p->reply_ok = ok_error;
	/* Never to be answered: its caller is gone, or the agent stops
	 * with its container. */
	if (!p->reply)
		notify_forget(&a->notify, p->call.id);
	if (p->prev)
		p->prev->next = p->next;
	else
		a->pending.list = p->next;
	if (p->next)
		p->next->prev = p->prev;
	a->pending.n--;
	uv_poll_stop(&p->poll);
	uv_timer_stop(&p->timer);
	uv_close((uv_handle_t *)&p->poll, pending_on_close);
	uv_close((uv_handle_t *)&p->timer, pending_on_close);
}

/* End @p without an answer. */
static void pending_end_quiet(struct pending_connect *p)
{
	pending_end(p, false, 0, 0);
}

int pending_connect_settle(int hs, const struct sockaddr_storage *dst,
			   socklen_t len)
{
	if (connect(hs, (const struct sockaddr *)dst, len) == 0 ||
	    errno == EISCONN)
		return 0;
	return -errno;
}

/*
 * Give the container @p's host socket unless it has it already, counted
 * as a switch, and answer: the install's error, else @ok_error.
 */
static void pending_finish(struct pending_connect *p, int ok_error)
{
	struct agent *a = p->agent;
	const struct pending_connect_call *c = &p->call;
	int r = 0;

	if (!p->installed) {
		r = agent_install_host_socket(a, c->id, p->hs, c->fd,
					      c->cloexec, false, c->old_cookie,
					      ok_error);
		if (r == 0) {
			a->stats->switched++;
			a->stats->served += c->served;
		}
	}
	pending_end(p, true, r, ok_error);
}

/*
 * Settled-only mode, the handshake complete: settle, verify, then install
 * with the caller's O_NONBLOCK, counted as a switch and a served connect,
 * and answer 0, or EINPROGRESS to a non-blocking caller.  Nothing is
 * installed on a failure.
 */
static void pending_settled(struct pending_connect *p)
{
	struct agent *a = p->agent;
	const struct pending_connect_call *c = &p->call;
	int r = pending_connect_settle(p->hs, &c->dst, c->dst_len);

	if (r == 0)
		r = c->verify(a, &c->dst, c->dst_len);
	if (r == 0) {
		r = agent_install_host_socket(a, c->id, p->hs, c->fd,
					      c->cloexec, c->nonblock,
					      c->old_cookie,
					      c->nonblock ? -EINPROGRESS : 0);
		if (r == 0) {
			a->stats->switched++;
			a->stats->served += c->served;
		}
	}
	pending_end(p, true, r, c->nonblock ? -EINPROGRESS : 0);
}

/* The handshake is over: install on success, else answer the error. */
static void pending_done(struct pending_connect *p, int err)
{
	if (err) {
		pending_end(p, true, -err, 0);
		return;
	}
	if (p->call.verify) {
		pending_settled(p);
		return;
	}
	(void)pending_connect_settle(p->hs, &p->call.dst, p->call.dst_len);
	pending_finish(p, 0);
}

/*
 * Give the container the socket still connecting, and answer @err: what
 * a blocking connect() returns when its wait ends early.  The handshake
 * goes on, as on Linux.  In settled-only mode nothing is installed (a
 * connecting socket could be aimed anywhere on loopback by
 * sendto(MSG_FASTOPEN) after shutdown()): the timeout is ETIMEDOUT, as
 * the container's socket is not connecting.
 */
static void pending_cut_short(struct pending_connect *p, int err)
{
	if (p->call.verify) {
		pending_end(p, true, err == -EINPROGRESS ? -ETIMEDOUT : err, 0);
		return;
	}
	pending_finish(p, err);
}

static void pending_on_writable(uv_poll_t *h, int status, int events)
{
	struct pending_connect *p = h->data;
	struct sockaddr_storage peer;
	socklen_t len = sizeof(int);
	int err = 0;

	if (getsockopt(p->hs, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	if (err == 0) {
		/* uv_poll may wake early: connected means a peer exists. */
		len = sizeof(peer);
		if (getpeername(p->hs, (struct sockaddr *)&peer, &len) < 0) {
			if (errno == ENOTCONN && status >= 0)
				return;
			err = errno;
		}
	}
	pending_done(p, err);
}

static void pending_on_tick(uv_timer_t *t)
{
	struct pending_connect *p = t->data;
	struct agent *a = p->agent;
	int r;

	if (!notify_id_valid(&a->notify, p->call.id)) {
		/* Killed: nobody waits any more. */
		pending_end_quiet(p);
		return;
	}
	/*
	 * A signal with a handler: Linux's connect() returns -ERESTARTSYS,
	 * which becomes EINTR, or a restart under SA_RESTART (the restarted
	 * call finds the socket connecting and waits again: wait_again() in
	 * handle-connect.c).  The answer carries that code: the kernel's
	 * signal delivery does the rest exactly as for its own connect().
	 */
	r = target_caught_signal(p->call.tid);
	if (r > 0) {
		/* sock_intr_errno(): a socket with SO_SNDTIMEO gets EINTR,
		 * never a restart. */
		pending_cut_short(p, p->deadline ? -EINTR : -ERESTARTSYS);
		return;
	}
	if (p->deadline && uv_now(a->loop) >= p->deadline) {
		/* SO_SNDTIMEO ran out: Linux returns EINPROGRESS and lets
		 * the handshake go on. */
		pending_cut_short(p, -EINPROGRESS);
	}
}

/* SO_SNDTIMEO in ms, clamped to a day (the kernel's own limit is far). */
static uint64_t timeval_ms(const struct timeval *tv)
{
	const uint64_t day = 24ULL * 3600 * 1000;

	if (tv->tv_sec < 0 || (uint64_t)tv->tv_sec >= day / 1000)
		return tv->tv_sec < 0 ? 0 : day;
	return (uint64_t)tv->tv_sec * 1000 + (uint64_t)tv->tv_usec / 1000;
}

int pending_connect_start(struct agent *a, const struct pending_connect_call *c,
			  int sock, int hs, bool installed)
{
	struct pending_connect *p = calloc(1, sizeof(*p));
	struct timeval sndtimeo = sockinfo_sndtimeo(sock);
	uint64_t tmo = timeval_ms(&sndtimeo);
	int r;

	if (!p) {
		close(hs);
		return -ENOMEM;
	}
	p->agent = a;
	p->call = *c;
	p->hs = hs;
	p->installed = installed;
	if (tmo)
		p->deadline = uv_now(a->loop) + tmo;
	r = uv_poll_init(a->loop, &p->poll, hs);
	if (r < 0) {
		close(hs);
		free(p);
		return r;
	}
	p->poll.data = p;
	uv_timer_init(a->loop, &p->timer);
	p->timer.data = p;
	p->open_handles = 2;
	p->next = a->pending.list;
	if (a->pending.list)
		a->pending.list->prev = p;
	a->pending.list = p;
	a->pending.n++;
	r = uv_poll_start(&p->poll, UV_WRITABLE | UV_DISCONNECT,
			  pending_on_writable);
	if (r == 0)
		r = uv_timer_start(&p->timer, pending_on_tick,
				   MIN(PENDING_TICK_MS,
				       tmo ? tmo : PENDING_TICK_MS),
				   PENDING_TICK_MS);
	if (r < 0) {
		pending_end_quiet(p);
		return -ENOBUFS;
	}
	return HANDLER_DONE;
}

void pending_connect_cancel_all(struct agent *a)
{
	while (a->pending.list)
		pending_end_quiet(a->pending.list);
}
