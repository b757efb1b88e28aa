// SPDX-License-Identifier: Apache-2.0
/*
 * bench-syscall.c - what one trapped system call costs.
 *
 * Under `nsbypass run`, the seccomp filter sends connect() and setsockopt()
 * of a fixed list of options to the agent, which answers each one through
 * the notify fd: two context switches and a round through its event loop.
 * Every other call is allowed by the filter without a notification.  Three
 * modes time single calls, each one individually between two
 * clock_gettime() calls, on the host and under nsbypass alike:
 *
 *   setsockopt N    setsockopt(TCP_NODELAY) on an unconnected TCP socket:
 *                   trapped under nsbypass (the agent records the option).
 *   untrapped N     getsockopt(SO_TYPE), which the filter never traps: the
 *                   baseline showing that other calls pay nothing extra.
 *   connect-unix N  connect() of an AF_UNIX socket to a listener in the same
 *                   process: connect() is trapped for every family, so this
 *                   is what a connect() that is not bypassed pays.
 *   floor N         the mechanism's own floor: the same setsockopt() as
 *                   above, trapped by a filter of our own (the agent's
 *                   flags: NEW_LISTENER, WAIT_KILLABLE_RECV) whose
 *                   supervisor does no work: a blocking NOTIF_RECV, then
 *                   NOTIF_SEND of success, SYNC_WAKE_UP set as the agent
 *                   sets it.  No agent can answer faster; run on the host,
 *                   it is what `setsockopt` under nsbypass is compared to.
 *
 * Each mode prints the clock's own cost, the median and the 99th percentile,
 * then the median again as the headline `name: value ns` line (STYLE.md
 * section 8).  The times include one clock_gettime() (see
 * clock_overhead_ns).  A failure prints `FAIL ...` on stdout and exits 1; a
 * usage error prints one line on stderr and exits 2.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <inttypes.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "seccomp-compat.h"

#define MAX_ITERATIONS (20UL * 1000 * 1000)
#define WARMUP_ITERATIONS 1000
#define CLOCK_PAIRS 10000
#define TIME_LIMIT_SECONDS 600
#define NSEC_PER_SEC 1000000000ULL

/* One measured operation: prepare untimed, run timed, finish untimed. */
struct op {
	const char *name; /* headline name, prefix of the other lines */
	void (*setup)(void);
	void (*timed)(void);
	void (*after)(void); /* may be NULL */
};

static int sock_fd = -1;   /* the socket the calls are made on */
static int listen_fd = -1; /* connect-unix: the listener */
static struct sockaddr_un unix_addr;
static socklen_t unix_addr_len;

/* Print the usage line and exit 2. */
static void __attribute__((noreturn)) usage(void)
{
	fputs("usage: bench-syscall setsockopt|untrapped|connect-unix|floor"
	      " ITERATIONS\n",
	      stderr);
	exit(2);
}

/* The symbolic name of errno value @e, such as "EPERM". */
static const char *errno_name(int e)
{
	const char *n = strerrorname_np(e);

	return n ? n : "EUNKNOWN";
}

/* Report a failed call on stdout, where the harness looks, and exit 1. */
static void __attribute__((noreturn)) fail(const char *what, int e)
{
	printf("FAIL %s: %s\n", what, errno_name(e));
	fflush(stdout);
	exit(1);
}

/* implements SIGALRM: the run overstayed its bound. */
static void on_alarm(int sig)
{
	static const char msg[] = "FAIL timeout\n";

	(void)sig;
	if (write(STDOUT_FILENO, msg, sizeof(msg) - 1) < 0) {
		/* Nothing left to do about it: we are exiting anyway. */
	}
	_exit(1);
}

/* The monotonic clock in nanoseconds. */
static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

/* qsort() comparator for uint64_t. */
static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* The @pct percentile (nearest rank) of the @n sorted samples @s. */
static uint64_t percentile(const uint64_t *s, size_t n, unsigned int pct)
{
	size_t rank = (n * pct + 99) / 100;

	return s[rank ? rank - 1 : 0];
}

/* Median cost of an empty timed region: two back-to-back clock reads. */
static uint64_t clock_overhead(uint64_t *buf, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t t0 = now_ns();

		buf[i] = now_ns() - t0;
	}
	qsort(buf, n, sizeof(*buf), cmp_u64);
	return percentile(buf, n, 50);
}

/* setsockopt and untrapped: one unconnected TCP socket for all calls. */
static void tcp_socket_open(void)
{
	sock_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (sock_fd < 0)
		fail("socket", errno);
}

/* setsockopt: the call the filter traps (TCP_NODELAY is recorded). */
static void do_setsockopt(void)
{
	int one = 1;

	if (setsockopt(sock_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)))
		fail("setsockopt TCP_NODELAY", errno);
}

/* untrapped: a socket call the filter lets through untouched. */
static void do_getsockopt(void)
{
	socklen_t len = sizeof(int);
	int type;

	if (getsockopt(sock_fd, SOL_SOCKET, SO_TYPE, &type, &len))
		fail("getsockopt SO_TYPE", errno);
}

/*
 * connect-unix: a non-blocking listener at an abstract address (no file to
 * clean up), named after our pid so that parallel runs do not collide.
 */
static void unix_listen(void)
{
	struct sockaddr_un *a = &unix_addr;
	int n;

	a->sun_family = AF_UNIX;
	n = snprintf(a->sun_path + 1, sizeof(a->sun_path) - 1,
		     "nsbypass-bench-syscall-%ld", (long)getpid());
	unix_addr_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
				    (size_t)n);
	listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
			   0);
	if (listen_fd < 0)
		fail("socket AF_UNIX", errno);
	if (bind(listen_fd, (struct sockaddr *)a, unix_addr_len) < 0)
		fail("bind", errno);
	if (listen(listen_fd, 16) < 0)
		fail("listen", errno);
}

/* connect-unix, untimed: the socket to connect. */
static void unix_socket_open(void)
{
	sock_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (sock_fd < 0)
		fail("socket AF_UNIX", errno);
}

/* connect-unix, timed: the connect() alone. */
static void do_connect_unix(void)
{
	if (connect(sock_fd, (struct sockaddr *)&unix_addr, unix_addr_len))
		fail("connect", errno);
}

/*
 * connect-unix, untimed: accept the connection (an AF_UNIX connect() has
 * queued it by the time it returns) and close both ends.
 */
static void unix_drain(void)
{
	int a = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);

	if (a < 0)
		fail("accept4", errno);
	close(a);
	close(sock_fd);
	sock_fd = -1;
}

/*
 * floor, in the child: trap setsockopt() with a listener of our own and
 * pass the listener to the parent.  The filter's flags are the agent's
 * (src/filter.c), WAIT_KILLABLE_RECV dropped where the kernel lacks it.
 */
static void floor_trap(int chan)
{
	struct sock_filter insns[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_setsockopt, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = sizeof(insns) / sizeof(insns[0]),
				   .filter = insns };
	unsigned long flags = SECCOMP_FILTER_FLAG_NEW_LISTENER |
			      SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;
	char c[CMSG_SPACE(sizeof(int))] = { 0 };
	char one = 1;
	struct iovec iov = { .iov_base = &one, .iov_len = 1 };
	struct msghdr m = { .msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = c,
			    .msg_controllen = sizeof(c) };
	int fd;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		fail("PR_SET_NO_NEW_PRIVS", errno);
	fd = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
	if (fd < 0 && errno == EINVAL) {
		flags &= ~SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;
		fd = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags,
				  &prog);
	}
	if (fd < 0)
		fail("seccomp", errno);
	CMSG_FIRSTHDR(&m)->cmsg_level = SOL_SOCKET;
	CMSG_FIRSTHDR(&m)->cmsg_type = SCM_RIGHTS;
	CMSG_FIRSTHDR(&m)->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(CMSG_FIRSTHDR(&m)), &fd, sizeof(int));
	if (sendmsg(chan, &m, 0) != 1)
		fail("sendmsg", errno);
	close(fd);
	close(chan);
}

/* floor, in the parent: the listener the child sent. */
static int floor_listener(int chan)
{
	char c[CMSG_SPACE(sizeof(int))] = { 0 };
	char one;
	struct iovec iov = { .iov_base = &one, .iov_len = 1 };
	struct msghdr m = { .msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = c,
			    .msg_controllen = sizeof(c) };
	struct cmsghdr *h;
	int fd;

	if (recvmsg(chan, &m, MSG_CMSG_CLOEXEC) != 1)
		return -1;
	h = CMSG_FIRSTHDR(&m);
	if (!h || h->cmsg_type != SCM_RIGHTS ||
	    h->cmsg_len != CMSG_LEN(sizeof(int)))
		return -1;
	memcpy(&fd, CMSG_DATA(h), sizeof(int));
	return fd;
}

/*
 * floor, the supervisor: answer every notification with success at once,
 * until the child is gone (NOTIF_RECV fails with ENOENT once no process
 * uses the filter).  Exits with the child's status.
 */
static void __attribute__((noreturn)) floor_supervise(int chan, pid_t child)
{
	struct seccomp_notif_sizes sz;
	struct seccomp_notif *req;
	struct seccomp_notif_resp *resp;
	int fd = floor_listener(chan), status;

	if (fd < 0)
		fail("the listener from the child", errno ? errno : EPROTO);
	if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sz) < 0)
		fail("SECCOMP_GET_NOTIF_SIZES", errno);
	req = calloc(1, sz.seccomp_notif > sizeof(*req) ? sz.seccomp_notif :
							  sizeof(*req));
	resp = calloc(1, sz.seccomp_notif_resp > sizeof(*resp) ?
				 sz.seccomp_notif_resp :
				 sizeof(*resp));
	if (!req || !resp)
		fail("calloc", ENOMEM);
	/* What the agent sets (src/notify.c); Linux 6.6, else without. */
	(void)ioctl(fd, SECCOMP_IOCTL_NOTIF_SET_FLAGS,
		    SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP);
	for (;;) {
		memset(req, 0, sz.seccomp_notif);
		if (ioctl(fd, SECCOMP_IOCTL_NOTIF_RECV, req) < 0) {
			if (errno == EINTR)
				continue;
			break; /* ENOENT: the child has exited */
		}
		memset(resp, 0, sz.seccomp_notif_resp);
		resp->id = req->id;
		(void)ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, resp);
	}
	if (waitpid(child, &status, 0) < 0)
		fail("waitpid", errno);
	exit(WIFEXITED(status) ? WEXITSTATUS(status) : 1);
}

/* floor: the timed process is a child under the trap; we supervise. */
static void floor_start(void)
{
	int sv[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		fail("socketpair", errno);
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		fail("fork", errno);
	if (pid > 0) {
		close(sv[1]);
		floor_supervise(sv[0], pid);
	}
	close(sv[0]);
	floor_trap(sv[1]);
}

/* Run @op @n times after a warm-up, and print its lines. */
static void measure(const struct op *op, size_t n)
{
	size_t warmup = n < WARMUP_ITERATIONS ? n : WARMUP_ITERATIONS;
	size_t len = n > CLOCK_PAIRS ? n : CLOCK_PAIRS;
	uint64_t *s = malloc(len * sizeof(*s));
	uint64_t clk;

	if (!s)
		fail("malloc", ENOMEM);
	clk = clock_overhead(s, CLOCK_PAIRS);
	for (size_t i = 0; i < warmup + n; i++) {
		uint64_t t0;

		if (op->setup)
			op->setup();
		t0 = now_ns();
		op->timed();
		if (i >= warmup)
			s[i - warmup] = now_ns() - t0;
		if (op->after)
			op->after();
	}
	qsort(s, n, sizeof(*s), cmp_u64);
	printf("clock_overhead_ns: %" PRIu64 " ns\n", clk);
	printf("%s_p50_ns: %" PRIu64 " ns\n", op->name, percentile(s, n, 50));
	printf("%s_p99_ns: %" PRIu64 " ns\n", op->name, percentile(s, n, 99));
	printf("%s: %" PRIu64 " ns\n", op->name, percentile(s, n, 50));
	free(s);
}

int main(int argc, char **argv)
{
	static const struct op ops[] = {
		{ "setsockopt", NULL, do_setsockopt, NULL },
		{ "getsockopt", NULL, do_getsockopt, NULL },
		{ "connect_unix", unix_socket_open, do_connect_unix,
		  unix_drain },
		{ "floor", NULL, do_setsockopt, NULL },
	};
	static const char *const modes[] = {
		"setsockopt",
		"untrapped",
		"connect-unix",
		"floor",
	};
	struct sigaction sa = { .sa_handler = on_alarm };
	unsigned long n;
	size_t m;
	char *end;

	if (argc != 3 || argv[2][0] < '0' || argv[2][0] > '9')
		usage();
	errno = 0;
	n = strtoul(argv[2], &end, 10);
	if (errno || *end || n < 1 || n > MAX_ITERATIONS)
		usage();
	for (m = 0; m < sizeof(modes) / sizeof(modes[0]); m++)
		if (strcmp(argv[1], modes[m]) == 0)
			break;
	if (m == sizeof(modes) / sizeof(modes[0]))
		usage();

	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGALRM, &sa, NULL) < 0)
		fail("sigaction", errno);
	alarm(TIME_LIMIT_SECONDS);
	if (m == 3)
		floor_start(); /* returns in the child, under the trap */
	if (m == 2)
		unix_listen();
	else
		tcp_socket_open();
	measure(&ops[m], n);
	return 0;
}
