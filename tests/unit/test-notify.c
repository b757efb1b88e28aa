// SPDX-License-Identifier: Apache-2.0
/*
 * test-notify.c - the notify layer alone: a real filter, a fake handler.
 *
 * A forked child sets no_new_privs, loads the filter `nsbypass run` loads
 * (filter_install()), passes its notify fd back and makes trapped calls.
 * This process watches the fd with notify.c on a libuv loop and answers
 * through a fake handler, which records what it was given and picks its
 * answer from listen()'s backlog, so that the child knows what to expect:
 * 0 (the call returns 0, the kernel never ran it), -EPERM, CONTINUE (the
 * kernel runs it), an answer given later from another callback, or one
 * given after the child was killed.  The child asserts what each call returned;
 * this process asserts what the handler saw, the stats and the hang-up
 * once the child is gone.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <seccomp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <uv.h>

#include "filtered-child.h"
#include "int80.h"
#include "nbtest.h"
#include "notify.h"
#include "util.h"

/* listen() backlogs that tell the fake handler what to answer. */
enum {
	B_ZERO = 1001, /* 0 */
	B_EPERM,       /* -EPERM */
	B_CONTINUE,    /* HANDLER_CONTINUE */
	B_LATER,       /* HANDLER_DONE, then 42 from a timer */
	B_HOLD,	       /* HANDLER_DONE, then SIGKILL to the caller */
};

#define LATER_VAL 42
#define FOREIGN_ERRNO EPROTO /* the answer to a foreign ABI's call */
/* The child's sockets, at fixed numbers the handler can check. */
#define FD_TCP 100
#define FD_UDP 101
#define MAX_CALLS 16

struct call {
	uint32_t arch;
	int nr;
	uint64_t args[6];
	uint32_t pid;
};

/* One run: the loop, the watcher and what the handler saw. */
static struct {
	uv_loop_t loop;
	struct notify n;
	uv_timer_t reap, later, watchdog;
	pid_t child;
	int status; /* the child's, once reaped */
	bool reaped, timed_out;
	void *ctx_seen;
	struct call calls[MAX_CALLS];
	size_t ncalls;
	int hups;
	uint64_t held_id; /* B_LATER's or B_HOLD's notification */
	bool held;	  /* B_HOLD's was seen */
	bool held_valid;  /* NOTIF_ID_VALID just before the answer */
	int later_r;	  /* notify_answer() of B_LATER */
	int gone_r;	  /* notify_answer() of B_HOLD, after the kill */
	uv_timer_t tick;
	unsigned int ticks; /* of a 1 ms timer while the child lives */
} t;

static void on_tick(uv_timer_t *h)
{
	t.ticks++;
}

static void on_later(uv_timer_t *h)
{
	t.held_valid = notify_id_valid(&t.n, t.held_id);
	t.later_r = notify_answer(&t.n, t.held_id, LATER_VAL, 0);
	uv_close((uv_handle_t *)h, NULL);
}

/* Kill the caller of @id, wait until the kernel has dropped the
 * notification, then answer it. */
static void answer_after_kill(uint64_t id)
{
	t.held_id = id;
	t.held = true;
	kill(t.child, SIGKILL);
	for (int i = 0; i < 5000 && notify_id_valid(&t.n, id); i++)
		usleep(1000);
	t.held_valid = notify_id_valid(&t.n, id);
	t.gone_r = notify_answer(&t.n, id, 0, 0);
}

/* implements notify_handler_cb */
static int fake_handler(void *ctx, const struct seccomp_notif *req)
{
	struct call *c =
		&t.calls[t.ncalls < MAX_CALLS ? t.ncalls++ : MAX_CALLS - 1];

	t.ctx_seen = ctx;
	c->arch = req->data.arch;
	c->nr = req->data.nr;
	c->pid = req->pid;
	memcpy(c->args, req->data.args, sizeof(c->args));
	if (req->data.arch != seccomp_arch_native())
		return -FOREIGN_ERRNO;
	if (req->data.nr != SYS_listen)
		return HANDLER_CONTINUE;
	switch (req->data.args[1]) {
	case B_ZERO:
		return 0;
	case B_EPERM:
		return -EPERM;
	case B_LATER:
		t.held_id = req->id;
		uv_timer_init(&t.loop, &t.later);
		uv_timer_start(&t.later, on_later, 10, 0);
		return HANDLER_DONE;
	case B_HOLD:
		answer_after_kill(req->id);
		return HANDLER_DONE;
	default:
		return HANDLER_CONTINUE;
	}
}

static void on_hup(struct notify *n)
{
	if (n == &t.n)
		t.hups++;
}

/* Reap the child, for its exit status; the fd hangs up once it has
 * exited, before or after. */
static void on_reap(uv_timer_t *h)
{
	if (waitpid(t.child, &t.status, WNOHANG) != t.child)
		return;
	t.reaped = true;
	uv_close((uv_handle_t *)h, NULL);
}

static void on_watchdog(uv_timer_t *h)
{
	t.timed_out = true;
	kill(t.child, SIGKILL);
	notify_stop(&t.n);
}

/*
 * Fork a child that runs @script under the filter, serve its fd with
 * fake_handler until it has hung up, and leave what happened in @t.
 */
static void serve(void (*script)(void), bool continue_all)
{
	int nfd = -1;

	memset(&t, 0, sizeof(t));
	t.child = nbtest_filtered_child(script, &nfd);

	ASSERT_EQ(uv_loop_init(&t.loop), 0);
	ASSERT_EQ(notify_start(&t.n, &t.loop, nfd, fake_handler, &t, on_hup),
		  0);
	t.n.continue_all = continue_all;
	uv_timer_init(&t.loop, &t.reap);
	uv_timer_start(&t.reap, on_reap, 5, 5);
	uv_timer_init(&t.loop, &t.tick);
	uv_timer_start(&t.tick, on_tick, 1, 1);
	uv_unref((uv_handle_t *)&t.tick);
	uv_timer_init(&t.loop, &t.watchdog);
	uv_timer_start(&t.watchdog, on_watchdog, 10000, 0);
	uv_unref((uv_handle_t *)&t.watchdog);

	uv_run(&t.loop, UV_RUN_DEFAULT);
	uv_close((uv_handle_t *)&t.watchdog, NULL);
	uv_close((uv_handle_t *)&t.tick, NULL);
	uv_run(&t.loop, UV_RUN_DEFAULT);
	ASSERT_EQ(uv_loop_close(&t.loop), 0); /* every handle closed */

	ASSERT_TRUE(!t.timed_out);
	ASSERT_TRUE(t.reaped);
	ASSERT_EQ(t.hups, 1);
	ASSERT_EQ(t.n.fd, -1); /* closed once the watcher was */
	ASSERT_TRUE(t.n.journal.slots == NULL && t.n.resp == NULL);
}

/* The child's exit status: what its own assertions said. */
static void assert_child_passed(void)
{
	if (WIFSIGNALED(t.status))
		nbtest_fail(__FILE__, __LINE__, "child killed by signal %d",
			    WTERMSIG(t.status));
	ASSERT_TRUE(WIFEXITED(t.status));
	ASSERT_EQ(WEXITSTATUS(t.status), 0);
}

static void assert_call(size_t i, int nr, uint64_t fd)
{
	ASSERT_TRUE(i < t.ncalls);
	ASSERT_EQ(t.calls[i].arch, seccomp_arch_native());
	ASSERT_EQ(t.calls[i].nr, nr);
	ASSERT_EQ(t.calls[i].pid, t.child);
	ASSERT_EQ(t.calls[i].args[0], fd);
}

/* A socket of @type at fd number @fd. */
static void socket_at(int type, int fd)
{
	int s = socket(AF_INET, type | SOCK_CLOEXEC, 0);

	ASSERT_OK(s);
	ASSERT_OK(dup2(s, fd));
	close(s);
}

static int sockopt_int(int fd, int level, int name)
{
	socklen_t len = sizeof(int);
	int v = -1;

	ASSERT_OK(getsockopt(fd, level, name, &v, &len));
	return v;
}

static bool foreign; /* have_int80(), for the child's script */

static void script_answers(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sin);
	int one = 1;

	socket_at(SOCK_STREAM, FD_TCP);
	socket_at(SOCK_DGRAM, FD_UDP);
	/* Answered 0: the kernel never ran it. */
	ASSERT_EQ(listen(FD_TCP, B_ZERO), 0);
	ASSERT_EQ(sockopt_int(FD_TCP, SOL_SOCKET, SO_ACCEPTCONN), 0);
	ASSERT_EQ(listen(FD_TCP, B_EPERM), -1);
	ASSERT_EQ(errno, EPERM);
	ASSERT_EQ(listen(FD_TCP, B_LATER), LATER_VAL);
	ASSERT_EQ(sockopt_int(FD_TCP, SOL_SOCKET, SO_ACCEPTCONN), 0);
	/* Continued: the kernel ran them. */
	ASSERT_EQ(listen(FD_TCP, B_CONTINUE), 0);
	ASSERT_EQ(sockopt_int(FD_TCP, SOL_SOCKET, SO_ACCEPTCONN), 1);
	ASSERT_EQ(setsockopt(FD_TCP, SOL_SOCKET, SO_KEEPALIVE, &one,
			     sizeof(one)),
		  0);
	ASSERT_EQ(sockopt_int(FD_TCP, SOL_SOCKET, SO_KEEPALIVE), 1);
	ASSERT_EQ(bind(FD_UDP, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ASSERT_OK(getsockname(FD_UDP, (struct sockaddr *)&sin, &len));
	ASSERT_TRUE(sin.sin_port != 0);
	ASSERT_EQ(connect(FD_UDP, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ASSERT_OK(getpeername(FD_UDP, (struct sockaddr *)&sin, &len));
#if defined(__x86_64__)
	/* Another ABI reaches the same handler, which answers it. */
	if (foreign)
		ASSERT_EQ(int80(I386_LISTEN, FD_TCP, B_ZERO), -FOREIGN_ERRNO);
#endif
}

NBTEST(answers_reach_the_caller)
{
	static const int listens[] = { B_ZERO, B_EPERM, B_LATER, B_CONTINUE };
	size_t i = 0;

	foreign = have_int80();
	if (!foreign)
		printf("# no i386 ABI here: no foreign call is made\n");
	serve(script_answers, false);
	assert_child_passed();
	ASSERT_TRUE(t.ctx_seen == &t);
	ASSERT_EQ(t.ncalls, 7 + foreign);
	for (; i < ARRAY_SIZE(listens); i++) {
		assert_call(i, SYS_listen, FD_TCP);
		ASSERT_EQ(t.calls[i].args[1], listens[i]);
	}
	assert_call(i, SYS_setsockopt, FD_TCP);
	ASSERT_EQ(t.calls[i].args[1], SOL_SOCKET);
	ASSERT_EQ(t.calls[i].args[2], SO_KEEPALIVE);
	ASSERT_EQ(t.calls[i++].args[4], sizeof(int));
	assert_call(i, SYS_bind, FD_UDP);
	ASSERT_EQ(t.calls[i++].args[2], sizeof(struct sockaddr_in));
	assert_call(i, SYS_connect, FD_UDP);
	ASSERT_EQ(t.calls[i++].args[2], sizeof(struct sockaddr_in));
#if defined(__x86_64__)
	if (foreign) {
		ASSERT_EQ(t.calls[i].arch, SCMP_ARCH_X86);
		ASSERT_EQ(t.calls[i].nr, I386_LISTEN);
		ASSERT_EQ(t.calls[i].args[0], FD_TCP);
		ASSERT_EQ(t.calls[i].args[1], B_ZERO);
	}
#endif
	/* The later answer went to a thread that still waited. */
	ASSERT_TRUE(t.held_valid);
	ASSERT_EQ(t.later_r, 0);
	ASSERT_EQ(t.n.stats->received, 7 + foreign);
	ASSERT_EQ(t.n.stats->answered, 3 + foreign);
	ASSERT_EQ(t.n.stats->continued, 4);
	ASSERT_EQ(t.n.stats->gone, 0);
}

static void script_continue_all(void)
{
	socket_at(SOCK_STREAM, FD_TCP);
	ASSERT_EQ(listen(FD_TCP, B_EPERM), 0);
	ASSERT_EQ(sockopt_int(FD_TCP, SOL_SOCKET, SO_ACCEPTCONN), 1);
}

/* continue_all: every call continues, the handler is never called. */
NBTEST(continue_all_calls_no_handler)
{
	serve(script_continue_all, true);
	assert_child_passed();
	ASSERT_EQ(t.ncalls, 0);
	ASSERT_EQ(t.n.stats->received, 1);
	ASSERT_EQ(t.n.stats->continued, 1);
	ASSERT_EQ(t.n.stats->answered, 0);
}

static void script_hold(void)
{
	socket_at(SOCK_STREAM, FD_TCP);
	(void)listen(FD_TCP, B_HOLD); /* killed while it waits */
	_exit(3);
}

/* A thread killed while its call is held: the late answer is ENOENT,
 * counted as gone, and the fd hangs up all the same. */
#define FLOOD_THREADS 64
#define FLOOD_CALLS 200

static void *flood_thread(void *arg)
{
	long bad = 0;

	for (int i = 0; i < FLOOD_CALLS; i++)
		bad += !(listen(FD_TCP, B_EPERM) == -1 && errno == EPERM);
	return (void *)bad;
}

/* Threads that trap again as soon as they are answered. */
static void script_flood(void)
{
	pthread_t th[FLOOD_THREADS];

	socket_at(SOCK_STREAM, FD_TCP);
	for (int i = 0; i < FLOOD_THREADS; i++)
		ASSERT_EQ(pthread_create(&th[i], NULL, flood_thread, NULL), 0);
	for (int i = 0; i < FLOOD_THREADS; i++) {
		void *bad;

		ASSERT_EQ(pthread_join(th[i], &bad), 0);
		ASSERT_EQ((long)bad, 0);
	}
}

/*
 * Notifications already queued are taken in the same loop turn (a
 * bounded drain), and every one is answered; the loop's timers still run
 * while threads keep the fd readable all the time.
 */
NBTEST(a_flood_is_answered_and_starves_no_timer)
{
	uint64_t t0 = nbtest_now_ms(), ms;

	serve(script_flood, false);
	ms = nbtest_now_ms() - t0;
	assert_child_passed();
	ASSERT_EQ(t.n.stats->received, FLOOD_THREADS * FLOOD_CALLS);
	ASSERT_EQ(t.n.stats->answered, FLOOD_THREADS * FLOOD_CALLS);
	printf("# %d calls in %llu ms, %u ticks of a 1 ms timer\n",
	       FLOOD_THREADS * FLOOD_CALLS, (unsigned long long)ms, t.ticks);
	/* A turn ends after 9 notifications at most: the timer fires about
	 * every millisecond (a quarter of that, on a loaded machine). */
	ASSERT_TRUE(t.ticks * 4 >= ms / 2);
}

NBTEST(answer_after_death_is_gone)
{
	serve(script_hold, false);
	ASSERT_TRUE(WIFSIGNALED(t.status));
	ASSERT_EQ(WTERMSIG(t.status), SIGKILL);
	ASSERT_EQ(t.ncalls, 1);
	ASSERT_TRUE(t.held && !t.held_valid);
	ASSERT_EQ(t.gone_r, -ENOENT);
	ASSERT_EQ(t.n.stats->received, 1);
	ASSERT_EQ(t.n.stats->answered, 1);
	ASSERT_EQ(t.n.stats->gone, 1);
}

/* Once stopped (the fd closed, the buffers freed), a late answer from a
 * handler that deferred one is refused as "gone", not a crash. */
NBTEST(answer_after_stop_is_gone)
{
	serve(script_hold, false);
	ASSERT_EQ(notify_answer(&t.n, 1, 0, 0), -ENOENT);
	ASSERT_EQ(notify_continue(&t.n, 1), -ENOENT);
	ASSERT_EQ(notify_addfd(&t.n, 1, 0, 3, true), -ENOENT);
	ASSERT_TRUE(!notify_id_valid(&t.n, 1));
}

/* An fd the loop cannot watch: the error, the fd closed, nothing left. */
NBTEST(start_fails_cleanly)
{
	struct notify n;
	uv_loop_t loop;
	int fds = nbtest_count_fds();
	int fd = memfd_create("not-a-notify-fd", MFD_CLOEXEC);

	ASSERT_OK(fd);
	ASSERT_EQ(uv_loop_init(&loop), 0);
	ASSERT_EQ(notify_start(&n, &loop, fd, fake_handler, NULL, on_hup),
		  UV_EPERM);
	ASSERT_TRUE(fcntl(fd, F_GETFD) < 0 && errno == EBADF);
	ASSERT_TRUE(n.journal.slots == NULL && n.resp == NULL);
	ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
	ASSERT_EQ(uv_loop_close(&loop), 0);
	ASSERT_EQ(nbtest_count_fds(), fds);
}

int main(void)
{
	static const struct nbtest tests[] = {
		NBTEST_ENTRY(answers_reach_the_caller),
		NBTEST_ENTRY(continue_all_calls_no_handler),
		NBTEST_ENTRY(a_flood_is_answered_and_starves_no_timer),
		NBTEST_ENTRY(answer_after_death_is_gone),
		NBTEST_ENTRY(answer_after_stop_is_gone),
		NBTEST_ENTRY(start_fails_cleanly),
	};

	return nbtest_run(tests, ARRAY_SIZE(tests));
}
