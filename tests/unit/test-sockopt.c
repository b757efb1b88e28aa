// SPDX-License-Identifier: Apache-2.0
/*
 * test-sockopt.c - the recorded socket option list and the seccomp filter
 * built from it.
 *
 * The agent applies recorded options with its own credentials in the
 * host's network namespace, so the list must never hold a privileged or
 * netns-bound option.  The filter must trap connect() and exactly the
 * recorded setsockopt() pairs: that is checked on the libseccomp text
 * and then on the kernel, in a forked child (a filter cannot be removed)
 * that loads it and answers a grandchild's trapped calls.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "filter.h"
#include "nbtest.h"
#include "seccomp-compat.h"
#include "sockopt.h"
#include "util.h"

NBTEST(recorded_list_consistent)
{
	ASSERT_TRUE(sockopt_recorded_len > 0);
	for (size_t i = 0; i < sockopt_recorded_len; i++) {
		const struct sockopt_desc *d = &sockopt_recorded[i];

		ASSERT_TRUE(d->str != NULL);
		ASSERT_TRUE(strchr(d->str, '/') != NULL);
		ASSERT_TRUE(sockopt_is_recorded(d->level, d->name));
		ASSERT_STREQ(sockopt_name(d->level, d->name), d->str);
		for (size_t j = i + 1; j < sockopt_recorded_len; j++)
			if (sockopt_recorded[j].level == d->level &&
			    sockopt_recorded[j].name == d->name)
				nbtest_fail(__FILE__, __LINE__,
					    "%s listed twice (%zu, %zu)",
					    d->str, i, j);
	}
	ASSERT_STREQ(sockopt_name(IPPROTO_TCP, TCP_NODELAY),
		     "IPPROTO_TCP/TCP_NODELAY");
	ASSERT_STREQ(sockopt_name(SOL_SOCKET, SO_KEEPALIVE),
		     "SOL_SOCKET/SO_KEEPALIVE");
}

/* A socket option, named for the messages. */
struct optname {
	int level, name;
	const char *str;
};

NBTEST(privileged_not_recorded)
{
	static const struct optname never[] = {
		{ SOL_SOCKET, SO_BINDTODEVICE, "SO_BINDTODEVICE" },
		{ SOL_SOCKET, SO_BINDTOIFINDEX, "SO_BINDTOIFINDEX" },
		{ SOL_SOCKET, SO_MARK, "SO_MARK" },
		{ SOL_SOCKET, SO_PRIORITY, "SO_PRIORITY" },
		{ SOL_SOCKET, SO_RCVBUFFORCE, "SO_RCVBUFFORCE" },
		{ SOL_SOCKET, SO_SNDBUFFORCE, "SO_SNDBUFFORCE" },
		{ SOL_SOCKET, SO_DEBUG, "SO_DEBUG" },
		{ SOL_SOCKET, SO_ATTACH_FILTER, "SO_ATTACH_FILTER" },
		{ IPPROTO_IP, IP_TRANSPARENT, "IP_TRANSPARENT" },
		{ IPPROTO_IPV6, IPV6_TRANSPARENT, "IPV6_TRANSPARENT" },
		{ IPPROTO_TCP, TCP_CONGESTION, "TCP_CONGESTION" },
		{ SOL_SOCKET, SO_BUSY_POLL, "SO_BUSY_POLL" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(never); i++) {
		if (sockopt_is_recorded(never[i].level, never[i].name) ||
		    sockopt_name(never[i].level, never[i].name))
			nbtest_fail(__FILE__, __LINE__, "%s is recorded",
				    never[i].str);
	}
	/* A known name at the wrong level is not a match. */
	ASSERT_TRUE(!sockopt_is_recorded(IPPROTO_UDP, SO_KEEPALIVE));
	ASSERT_TRUE(!sockopt_is_recorded(-1, SO_KEEPALIVE));
	ASSERT_TRUE(sockopt_name(9999, TCP_NODELAY) == NULL);
}

/* What common clients set before connect() (docs/design.md section 4's
 * review) is recorded, so that it survives the switch. */
NBTEST(client_options_recorded)
{
	static const struct optname want[] = {
		/* curl */
		{ IPPROTO_TCP, TCP_NODELAY, "TCP_NODELAY" },
		{ SOL_SOCKET, SO_KEEPALIVE, "SO_KEEPALIVE" },
		{ IPPROTO_TCP, TCP_KEEPIDLE, "TCP_KEEPIDLE" },
		{ IPPROTO_TCP, TCP_KEEPINTVL, "TCP_KEEPINTVL" },
		{ IPPROTO_TCP, TCP_KEEPCNT, "TCP_KEEPCNT" },
		{ IPPROTO_TCP, TCP_FASTOPEN_CONNECT, "TCP_FASTOPEN_CONNECT" },
		{ IPPROTO_TCP, TCP_FASTOPEN_NO_COOKIE,
		  "TCP_FASTOPEN_NO_COOKIE" },
		/* OpenSSH, curl --ip-tos, Java's setTrafficClass */
		{ IPPROTO_IP, IP_TOS, "IP_TOS" },
		{ IPPROTO_IPV6, IPV6_TCLASS, "IPV6_TCLASS" },
		/* glibc's resolver */
		{ IPPROTO_IP, IP_RECVERR, "IP_RECVERR" },
		{ IPPROTO_IPV6, IPV6_RECVERR, "IPV6_RECVERR" },
		/* Go, Java, node */
		{ IPPROTO_IPV6, IPV6_V6ONLY, "IPV6_V6ONLY" },
		{ SOL_SOCKET, SO_BROADCAST, "SO_BROADCAST" },
		{ IPPROTO_IPV6, IPV6_RECVPKTINFO, "IPV6_RECVPKTINFO" },
		{ IPPROTO_IPV6, IPV6_MULTICAST_HOPS, "IPV6_MULTICAST_HOPS" },
		{ IPPROTO_IP, IP_MULTICAST_ALL, "IP_MULTICAST_ALL" },
		/* nginx, dig */
		{ SOL_SOCKET, SO_RCVBUF, "SO_RCVBUF" },
		{ SOL_SOCKET, SO_REUSEADDR, "SO_REUSEADDR" },
		{ SOL_SOCKET, SO_REUSEPORT, "SO_REUSEPORT" },
		{ IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT,
		  "IP_BIND_ADDRESS_NO_PORT" },
		{ IPPROTO_IP, IP_MTU_DISCOVER, "IP_MTU_DISCOVER" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(want); i++)
		if (!sockopt_is_recorded(want[i].level, want[i].name))
			nbtest_fail(__FILE__, __LINE__, "%s is not recorded",
				    want[i].str);
}

/* The filter as libseccomp's pseudo filter code, NUL-terminated. */
static char *filter_pfc(void)
{
	scmp_filter_ctx ctx = NULL;
	struct stat st;
	char *text;
	int fd;

	ASSERT_EQ(filter_build(&ctx), 0);
	ASSERT_TRUE(ctx != NULL);
	fd = memfd_create("test-pfc", MFD_CLOEXEC);
	ASSERT_OK(fd);
	ASSERT_EQ(seccomp_export_pfc(ctx, fd), 0);
	seccomp_release(ctx);
	ASSERT_OK(fstat(fd, &st));
	ASSERT_TRUE(st.st_size > 0);
	text = calloc(1, (size_t)st.st_size + 1);
	ASSERT_TRUE(text != NULL);
	ASSERT_EQ(pread(fd, text, (size_t)st.st_size, 0), st.st_size);
	close(fd);
	return text;
}

NBTEST(filter_build_pfc)
{
	char *pfc = filter_pfc(), notify[32], *p;
	size_t n = 0;

	ASSERT_TRUE(strstr(pfc, "\"connect\"") != NULL);
	ASSERT_TRUE(strstr(pfc, "\"setsockopt\"") != NULL);
	ASSERT_TRUE(strstr(pfc, "\"bind\"") != NULL);
	ASSERT_TRUE(strstr(pfc, "\"listen\"") != NULL);
	/* libseccomp 2.5 prints the notify action as its number. */
	snprintf(notify, sizeof(notify), "action 0x%x;", SCMP_ACT_NOTIFY);
	ASSERT_TRUE(strstr(pfc, notify) || strstr(pfc, "action NOTIFY;"));
	/* Nothing else is trapped; an ABI the kernel does not run is let
	 * through (nothing can call it). */
	ASSERT_TRUE(strstr(pfc, "\"socket\"") == NULL);
	ASSERT_TRUE(strstr(pfc, "\"close\"") == NULL);
	ASSERT_TRUE(
		strstr(pfc, "# invalid architecture action\naction ALLOW;"));
	/* io_uring gets ENOSYS in every ABI. */
	for (p = pfc; (p = strstr(p, "\"io_uring_setup\"")); p++)
		n++;
#if defined(__x86_64__)
	ASSERT_EQ(n, 3);
	ASSERT_TRUE(strstr(pfc, "# filter for arch x86 ") != NULL);
	ASSERT_TRUE(strstr(pfc, "# filter for arch x32 ") != NULL);
	ASSERT_TRUE(strstr(pfc, "\"socketcall\"") != NULL);
#endif
	ASSERT_TRUE(strstr(pfc, "action ERRNO(38);") != NULL);
	/*
	 * One notify action each for connect, bind and listen, plus one per
	 * recorded option, natively; on x86_64 connect, bind and listen for
	 * x86 and x32 and socketcall's CONNECT, BIND and LISTEN for x86.
	 */
	n = 0;
	for (p = pfc; (p = strstr(p, notify)); p++)
		n++;
	if (n == 0)
		for (p = pfc; (p = strstr(p, "action NOTIFY;")); p++)
			n++;
#if defined(__x86_64__)
	ASSERT_EQ(n, 3 + sockopt_recorded_len + 3 + 3 + 3);
#else
	ASSERT_TRUE(n >= 3 + sockopt_recorded_len);
#endif
	free(pfc);
}

/* What the grandchild saw; each call's return value and errno. */
struct gc_result {
	int debug_r, debug_errno;
	int keep_r, keep_errno;
	int junk_r, junk_errno;
	int keepalive; /* read back: the kernel ran the call */
	int connect_r, connect_errno;
};

/* Runs under the filter.  Reports on @out, waits for a byte on @go. */
static __attribute__((noreturn)) void grandchild(int out, int go)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX,
				   .sun_path = "/nonexistent-nbtest/sock" };
	struct gc_result res = { 0 };
	socklen_t len = sizeof(int);
	int s, zero = 0, one = 1;
	char c;

	alarm(10);
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		_exit(2);
	/* Not recorded: must run without a round trip to the agent. */
	res.debug_r = setsockopt(s, SOL_SOCKET, SO_DEBUG, &zero, sizeof(zero));
	res.debug_errno = errno;
	if (write(out, &res, sizeof(res)) != sizeof(res))
		_exit(2);
	if (read(go, &c, 1) != 1)
		_exit(2);

	res.keep_r = setsockopt(s, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
	res.keep_errno = errno;
	/* The kernel reads an int level: junk in the upper half of the
	 * register must not slip past the filter. */
	res.junk_r = (int)syscall(SYS_setsockopt, s,
				  (long)SOL_SOCKET | (1L << 40),
				  (long)SO_KEEPALIVE, &one, sizeof(one));
	res.junk_errno = errno;
	if (getsockopt(s, SOL_SOCKET, SO_KEEPALIVE, &res.keepalive, &len) < 0)
		res.keepalive = -1;
	res.connect_r = connect(s, (struct sockaddr *)&sun, sizeof(sun));
	res.connect_errno = errno;
	if (write(out, &res, sizeof(res)) != sizeof(res))
		_exit(2);
	_exit(0);
}

/* Receive one notification from @gc and let the kernel run the call. */
static void expect_notif(int nfd, pid_t gc, const char *name,
			 struct seccomp_notif *ret)
{
	struct seccomp_notif_resp resp;
	struct pollfd pfd = { .fd = nfd, .events = POLLIN };

	ASSERT_EQ(poll(&pfd, 1, 5000), 1);
	memset(ret, 0, sizeof(*ret));
	ASSERT_OK(ioctl(nfd, SECCOMP_IOCTL_NOTIF_RECV, ret));
	ASSERT_EQ(ret->pid, gc);
	ASSERT_EQ(ret->data.arch, seccomp_arch_native());
	ASSERT_EQ(ret->data.nr, seccomp_syscall_resolve_name(name));
	ASSERT_OK(ioctl(nfd, SECCOMP_IOCTL_NOTIF_ID_VALID, &ret->id));

	memset(&resp, 0, sizeof(resp));
	resp.id = ret->id;
	resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
	ASSERT_OK(ioctl(nfd, SECCOMP_IOCTL_NOTIF_SEND, &resp));
}

/* Runs in a forked child: the filter stays on it until it exits. */
static void filter_child(void)
{
	int out[2], go[2], nfd, status;
	struct gc_result res;
	struct seccomp_notif n;
	struct pollfd pfd;
	pid_t gc;

	alarm(10);
	if (unshare(CLONE_NEWUSER) < 0) {
		/* No user namespace here: no_new_privs also allows it. */
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
			nbtest_skip(
				"neither a user namespace nor no_new_privs");
	}
	ASSERT_OK(pipe2(out, O_CLOEXEC));
	ASSERT_OK(pipe2(go, O_CLOEXEC));

	nfd = filter_install();
	ASSERT_OK(nfd);
	ASSERT_EQ(fcntl(nfd, F_GETFD), FD_CLOEXEC);

	gc = fork();
	ASSERT_OK(gc);
	if (gc == 0) {
		close(nfd);
		grandchild(out[1], go[0]);
	}

	/* SO_DEBUG: no notification, and the call has returned. */
	pfd = (struct pollfd){ .fd = nfd, .events = POLLIN };
	ASSERT_EQ(poll(&pfd, 1, 200), 0);
	ASSERT_EQ(read(out[0], &res, sizeof(res)), sizeof(res));
	ASSERT_EQ(res.debug_r, 0);
	ASSERT_EQ(write(go[1], "g", 1), 1);

	expect_notif(nfd, gc, "setsockopt", &n);
	ASSERT_EQ(n.data.args[1], SOL_SOCKET);
	ASSERT_EQ(n.data.args[2], SO_KEEPALIVE);
	expect_notif(nfd, gc, "setsockopt", &n);
	ASSERT_EQ(n.data.args[1], (1ULL << 40) | SOL_SOCKET);
	ASSERT_EQ(n.data.args[2], SO_KEEPALIVE);
	expect_notif(nfd, gc, "connect", &n);
	ASSERT_EQ(n.data.args[2], sizeof(struct sockaddr_un));

	ASSERT_EQ(read(out[0], &res, sizeof(res)), sizeof(res));
	ASSERT_EQ(res.keep_r, 0);
	ASSERT_EQ(res.junk_r, 0);
	ASSERT_EQ(res.keepalive, 1);
	ASSERT_EQ(res.connect_r, -1);
	ASSERT_EQ(res.connect_errno, ENOENT);
	ASSERT_EQ(waitpid(gc, &status, 0), gc);
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(WEXITSTATUS(status), 0);
	/* Nothing else was trapped on the way out. */
	pfd = (struct pollfd){ .fd = nfd, .events = POLLIN };
	ASSERT_EQ(poll(&pfd, 1, 0), 0);
}

NBTEST(filter_install_traps)
{
	int status;
	pid_t pid = fork();

	ASSERT_OK(pid);
	if (pid == 0) {
		filter_child();
		_exit(0);
	}
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	if (WIFSIGNALED(status))
		nbtest_fail(__FILE__, __LINE__, "child killed by signal %d",
			    WTERMSIG(status));
	ASSERT_TRUE(WIFEXITED(status));
	if (WEXITSTATUS(status) == 77)
		nbtest_skip("seccomp filter cannot be loaded here");
	ASSERT_EQ(WEXITSTATUS(status), 0);
}

static const struct nbtest tests[] = {
	NBTEST_ENTRY(recorded_list_consistent),
	NBTEST_ENTRY(privileged_not_recorded),
	NBTEST_ENTRY(client_options_recorded),
	NBTEST_ENTRY(filter_build_pfc),
	NBTEST_ENTRY(filter_install_traps),
};

int main(void)
{
	return nbtest_run(tests, ARRAY_SIZE(tests));
}
