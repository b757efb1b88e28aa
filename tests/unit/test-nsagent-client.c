// SPDX-License-Identifier: Apache-2.0
/*
 * test-nsagent-client.c - parsing nsagent's subnet and address reports.
 *
 * Reports come from a helper that runs inside the container's namespaces,
 * so they are treated as hostile input: a malformed report must be
 * rejected whole (the agent keeps its previous list), and the number of
 * subnets is bounded.
 *
 * The tap hand-over ("tap NAME\n" with one fd) is hostile input too: every
 * fd of any other message, and a tap fd that is not the announced tap, is
 * closed (the tests count /proc/self/fd), and the callback gets exactly
 * one checked tap fd.  A real tap comes from a child in its own user and
 * network namespaces; without /dev/net/tun that test skips.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "fdpass.h"
#include "nbtest.h"
#include "nsagent-client.h"
#include "policy.h"
#include "util.h"

static int parse(const char *msg, struct cidr *out, size_t max, size_t *n)
{
	return nsagent_parse_report(msg, strlen(msg), out, max, n);
}

NBTEST(parses_snapshot)
{
	struct cidr c[4];
	char buf[64];
	size_t n = 99;

	ASSERT_EQ(parse("subnets 127.0.0.0/8 10.5.6.0/24 fd00:1::/64\n", c, 4,
			&n),
		  0);
	ASSERT_EQ(n, 3);
	ASSERT_STREQ(cidr_format(&c[0], buf, sizeof(buf)), "127.0.0.0/8");
	ASSERT_STREQ(cidr_format(&c[1], buf, sizeof(buf)), "10.5.6.0/24");
	ASSERT_STREQ(cidr_format(&c[2], buf, sizeof(buf)), "fd00:1::/64");
}

NBTEST(empty_snapshot_clears)
{
	struct cidr c[1];
	size_t n = 99;

	ASSERT_EQ(parse("subnets\n", c, 1, &n), 0);
	ASSERT_EQ(n, 0);
	ASSERT_EQ(parse("subnets", c, 1, &n), 0);
	ASSERT_EQ(n, 0);
}

NBTEST(rejects_malformed)
{
	static const char *const bad[] = {
		"",
		"subnet 10.0.0.0/8\n",
		"SUBNETS 10.0.0.0/8\n",
		"subnets10.0.0.0/8\n",
		"subnets 10.0.0.0/33\n",
		"subnets 10.0.0.0/8 garbage\n",
		"subnets 10.0.0.0/8\n10.1.0.0/16\n",
		"subnets 10.0.0.0/8\t10.1.0.0/16\n",
		"subnets 111111111111111111111111111111111111111111111111111111111111111111111111/8\n",
	};
	struct cidr c[8];
	size_t n;

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		if (parse(bad[i], c, 8, &n) != -EINVAL)
			nbtest_fail(__FILE__, __LINE__, "accepted \"%s\"",
				    bad[i]);
}

NBTEST(not_nul_terminated)
{
	/* The message is a byte buffer: parsing stops at @len. */
	const char msg[] = "subnets 10.0.0.0/8 10.1.0.0/16";
	struct cidr c[4];
	size_t n;

	ASSERT_EQ(nsagent_parse_report(msg, strlen("subnets 10.0.0.0/8"), c, 4,
				       &n),
		  0);
	ASSERT_EQ(n, 1);
}

NBTEST(bounded)
{
	struct cidr c[2];
	size_t n;

	ASSERT_EQ(parse("subnets 10.0.0.0/8 10.1.0.0/16 10.2.0.0/16\n", c, 2,
			&n),
		  -ENOSPC);
	ASSERT_EQ(parse("subnets 10.0.0.0/8 10.1.0.0/16\n", c, 2, &n), 0);
	ASSERT_EQ(n, 2);
}

NBTEST(report_feeds_policy)
{
	struct cidr c[4];
	struct policy *p = calloc(1, sizeof(*p));
	struct sockaddr_in sin = { .sin_family = AF_INET };
	size_t n;

	ASSERT_TRUE(p != NULL);
	policy_init(p);
	inet_pton(AF_INET, "10.5.6.9", &sin.sin_addr);
	ASSERT_EQ(policy_classify(p, (struct sockaddr *)&sin, sizeof(sin)),
		  POLICY_DEST_BYPASS);
	ASSERT_EQ(parse("subnets 10.5.6.0/24\n", c, 4, &n), 0);
	ASSERT_EQ(policy_set_subnets(p, c, n), 0);
	ASSERT_EQ(policy_classify(p, (struct sockaddr *)&sin, sizeof(sin)),
		  POLICY_DEST_SUBNET);
	free(p);
}

static int parse_addrs(const char *msg, struct service_addr *out, size_t max,
		       size_t *n)
{
	return nsagent_parse_addrs(msg, strlen(msg), out, max, n);
}

NBTEST(parses_addrs)
{
	struct service_addr a[4];
	uint8_t want[16];
	size_t n = 99;

	ASSERT_EQ(parse_addrs("addrs 10.0.2.100  fd00::100 ::ffff:10.0.9.7\n",
			      a, 4, &n),
		  0);
	ASSERT_EQ(n, 3);
	ASSERT_EQ(a[0].family, AF_INET);
	inet_pton(AF_INET, "10.0.2.100", want);
	ASSERT_EQ(memcmp(a[0].a, want, 4), 0);
	ASSERT_EQ(a[1].family, AF_INET6);
	inet_pton(AF_INET6, "fd00::100", want);
	ASSERT_EQ(memcmp(a[1].a, want, 16), 0);
	/* v4-mapped is stored as IPv4, the rest zero. */
	ASSERT_EQ(a[2].family, AF_INET);
	memset(want, 0, sizeof(want));
	inet_pton(AF_INET, "10.0.9.7", want);
	ASSERT_EQ(memcmp(a[2].a, want, 16), 0);
	/* An empty snapshot: the container has no address of its own. */
	ASSERT_EQ(parse_addrs("addrs\n", a, 4, &n), 0);
	ASSERT_EQ(n, 0);
	ASSERT_EQ(parse_addrs("addrs", a, 4, &n), 0);
	ASSERT_EQ(n, 0);
}

NBTEST(rejects_malformed_addrs)
{
	static const char *const bad[] = {
		"",
		"addr 10.0.0.1\n",
		"ADDRS 10.0.0.1\n",
		"addrs10.0.0.1\n",
		"addrs 10.0.0.1/32\n",
		"addrs 10.0.0.256\n",
		"addrs fd00::100/64\n",
		"addrs fe80::1%eth0\n",
		"addrs 10.0.0.1 garbage\n",
		"addrs 10.0.0.1\n10.0.0.2\n",
		"addrs 10.0.0.1\t10.0.0.2\n",
		"subnets 10.0.0.0/8\n",
		"addrs 1111111111111111111111111111111111111111111111111111111111111111111111\n",
	};
	struct service_addr a[8];
	size_t n;

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		if (parse_addrs(bad[i], a, 8, &n) != -EINVAL)
			nbtest_fail(__FILE__, __LINE__, "accepted \"%s\"",
				    bad[i]);
	/* Nor is an addrs report a subnets one. */
	ASSERT_EQ(parse("addrs 10.0.0.1\n", (struct cidr[1]){ 0 }, 1, &n),
		  -EINVAL);
}

NBTEST(addrs_bounded)
{
	const char msg[] = "addrs 10.0.0.1 10.0.0.2 10.0.0.3";
	struct service_addr a[2];
	size_t n;

	ASSERT_EQ(parse_addrs("addrs 10.0.0.1 10.0.0.2 10.0.0.3\n", a, 2, &n),
		  -ENOSPC);
	ASSERT_EQ(parse_addrs("addrs 10.0.0.1 10.0.0.2\n", a, 2, &n), 0);
	ASSERT_EQ(n, 2);
	/* Parsing stops at @len. */
	ASSERT_EQ(nsagent_parse_addrs(msg, strlen("addrs 10.0.0.1"), a, 2, &n),
		  0);
	ASSERT_EQ(n, 1);
}

NBTEST(parses_tap)
{
	char name[NSAGENT_TAP_NAME_SIZE];
	const char msg[] = "tap tap0\nXXXX";

	ASSERT_EQ(nsagent_parse_tap("tap tap0\n", 9, name), 0);
	ASSERT_STREQ(name, "tap0");
	ASSERT_EQ(nsagent_parse_tap("tap 0123456789abcde\n", 20, name), 0);
	ASSERT_STREQ(name, "0123456789abcde");
	/* The message is a byte buffer: parsing stops at @len. */
	ASSERT_EQ(nsagent_parse_tap(msg, 9, name), 0);
	ASSERT_STREQ(name, "tap0");
}

NBTEST(rejects_malformed_tap)
{
	static const struct {
		const char *msg;
		size_t len;
	} bad[] = {
/* The formatter would break this brace-initializer macro apart. */
/* clang-format off */
#define BAD(s) { s, sizeof(s) - 1 }
		/* clang-format on */
		BAD(""),
		BAD("tap"),
		BAD("tap "),
		BAD("tap \n"),
		BAD("tap tap0"),
		BAD("TAP tap0\n"),
		BAD("tap  tap0\n"),
		BAD("tap tap0 \n"),
		BAD("tap\ttap0\n"),
		BAD("taptap0\n"),
		BAD("tap tap0\n\n"),
		BAD("tap tap0\nsubnets\n"),
		BAD("tap 0123456789abcdef\n"),
		BAD("tap a/b\n"),
		BAD("tap a:b\n"),
		BAD("tap .\n"),
		BAD("tap ..\n"),
		BAD("tap ta\0p\n"),
		BAD("tap tap\x80\n"),
		BAD("tap tap\x7f\n"),
		BAD("subnets 10.0.0.0/8\n"),
#undef BAD
	};
	char name[NSAGENT_TAP_NAME_SIZE];

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		if (nsagent_parse_tap(bad[i].msg, bad[i].len, name) != -EINVAL)
			nbtest_fail(__FILE__, __LINE__, "accepted bad[%zu]", i);
	/* ".x" and "..." are fine names. */
	ASSERT_EQ(nsagent_parse_tap("tap .x\n", 7, name), 0);
	ASSERT_EQ(nsagent_parse_tap("tap ...\n", 8, name), 0);
}

/* Send @text with @n fds attached (none if @n is 0). */
static void send_with_fds(int sock, const char *text, size_t len,
			  const int *fds, size_t n)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int) * 16)];
	} control;
	struct iovec iov = { .iov_base = (void *)text, .iov_len = len };
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
	};
	struct cmsghdr *cm;

	ASSERT_TRUE(n <= 16);
	if (n) {
		memset(&control, 0, sizeof(control));
		msg.msg_control = control.buf;
		msg.msg_controllen = CMSG_SPACE(sizeof(int) * n);
		cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int) * n);
		memcpy(CMSG_DATA(cm), fds, sizeof(int) * n);
	}
	ASSERT_EQ(sendmsg(sock, &msg, 0), (ssize_t)len);
}

/* A client on its own loop, reading the agent's end of a socket pair. */
struct fixture {
	uv_loop_t loop;
	struct policy policy;
	struct nsagent_client client;
	int nsagent; /* nsagent's end */
	int taps;    /* on_tap calls */
	int tap_fd;  /* the last one's fd */
	char tap_name[NSAGENT_TAP_NAME_SIZE];
	int addr_calls; /* on_addrs calls */
	size_t n_addrs; /* the last one's */
	struct service_addr addrs[4];
};

/* implements nsagent_addrs_cb */
static void record_addrs(struct nsagent_client *c,
			 const struct service_addr *addrs, size_t n)
{
	struct fixture *f = container_of(c, struct fixture, client);

	f->addr_calls++;
	f->n_addrs = n;
	memcpy(f->addrs, addrs, MIN(n, ARRAY_SIZE(f->addrs)) * sizeof(*addrs));
}

/* implements nsagent_tap_cb */
static void record_tap(struct nsagent_client *c, int tap_fd, const char *name)
{
	struct fixture *f = container_of(c, struct fixture, client);

	f->taps++;
	f->tap_fd = tap_fd;
	snprintf(f->tap_name, sizeof(f->tap_name), "%s", name);
}

/* libuv keeps a pipe of its own from the first loop on: open it first. */
static void uv_warm_up(void)
{
	uv_loop_t loop;

	ASSERT_EQ(uv_loop_init(&loop), 0);
	ASSERT_EQ(uv_loop_close(&loop), 0);
}

static struct fixture *fixture_new(bool with_cb)
{
	struct fixture *f = calloc(1, sizeof(*f));
	int sv[2];

	ASSERT_TRUE(f != NULL);
	f->tap_fd = -1;
	policy_init(&f->policy);
	ASSERT_EQ(uv_loop_init(&f->loop), 0);
	ASSERT_OK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv));
	f->nsagent = sv[1];
	f->client.on_tap = with_cb ? record_tap : NULL;
	f->client.on_addrs = with_cb ? record_addrs : NULL;
	ASSERT_EQ(nsagent_client_start(&f->client, &f->loop, sv[0], &f->policy),
		  0);
	/* start() keeps the callback set before it. */
	ASSERT_TRUE(f->client.on_tap == (with_cb ? record_tap : NULL));
	ASSERT_TRUE(f->client.on_addrs == (with_cb ? record_addrs : NULL));
	return f;
}

/* Let the client read one message. */
static void fixture_turn(struct fixture *f)
{
	uv_run(&f->loop, UV_RUN_ONCE);
}

static void fixture_free(struct fixture *f)
{
	nsagent_client_stop(&f->client);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	ASSERT_EQ(uv_loop_close(&f->loop), 0);
	close(f->nsagent);
	free(f);
}

NBTEST(fds_never_leak)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct fixture *f;
	int before, fds[4], n;

	inet_pton(AF_INET, "10.5.6.9", &sin.sin_addr);
	uv_warm_up();
	before = nbtest_count_fds();
	f = fixture_new(true);
	n = nbtest_count_fds();
	for (int i = 0; i < 4; i++) {
		fds[i] = open("/dev/null", O_RDONLY | O_CLOEXEC);
		ASSERT_OK(fds[i]);
	}

	/* A report with an fd is refused whole: neither fd nor subnets. */
	send_with_fds(f->nsagent, "subnets 10.5.0.0/16\n", 20, fds, 1);
	fixture_turn(f);
	ASSERT_EQ(nbtest_count_fds(), n + 4);
	ASSERT_EQ(f->client.reports, 0);
	/* A tap message with two fds, or with a fd that is not a tap. */
	send_with_fds(f->nsagent, "tap tap0\n", 9, fds, 2);
	fixture_turn(f);
	ASSERT_EQ(nbtest_count_fds(), n + 4);
	send_with_fds(f->nsagent, "tap tap0\n", 9, fds, 1);
	fixture_turn(f);
	ASSERT_EQ(nbtest_count_fds(), n + 4);
	/* Garbage, an empty message and an oversized one, all with fds. */
	send_with_fds(f->nsagent, "\x01\x02garbage", 9, fds, 4);
	fixture_turn(f);
	ASSERT_EQ(nbtest_count_fds(), n + 4);
	send_with_fds(f->nsagent, "", 0, fds, 3);
	fixture_turn(f);
	ASSERT_EQ(nbtest_count_fds(), n + 4);
	{
		char *big = malloc(NSAGENT_REPORT_MAX + 100);

		ASSERT_TRUE(big != NULL);
		memset(big, ' ', NSAGENT_REPORT_MAX + 100);
		memcpy(big, "tap tap0\n", 9);
		send_with_fds(f->nsagent, big, NSAGENT_REPORT_MAX + 100, fds,
			      1);
		free(big);
	}
	fixture_turn(f);
	ASSERT_EQ(nbtest_count_fds(), n + 4);
	/* A tap message without its fd. */
	send_with_fds(f->nsagent, "tap tap0\n", 9, NULL, 0);
	fixture_turn(f);
	ASSERT_EQ(nbtest_count_fds(), n + 4);
	ASSERT_EQ(f->taps, 0);
	ASSERT_EQ(f->client.reports, 0);
	ASSERT_EQ(policy_classify(&f->policy, (struct sockaddr *)&sin,
				  sizeof(sin)),
		  POLICY_DEST_BYPASS);

	/* The next plain report still works. */
	send_with_fds(f->nsagent, "subnets 10.5.0.0/16\n", 20, NULL, 0);
	fixture_turn(f);
	ASSERT_EQ(f->client.reports, 1);
	ASSERT_EQ(policy_classify(&f->policy, (struct sockaddr *)&sin,
				  sizeof(sin)),
		  POLICY_DEST_SUBNET);
	for (int i = 0; i < 4; i++)
		close(fds[i]);
	fixture_free(f);
	ASSERT_EQ(nbtest_count_fds(), before);
}

/*
 * A tap fd from a child in its own user and network namespaces, like
 * nsagent's.  Skips if the child cannot make one.
 */
static int make_tap(const char *name)
{
	int sv[2], fd = -1, status, r;
	pid_t pid;

	ASSERT_OK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv));
	pid = fork();
	ASSERT_OK(pid);
	if (pid == 0) {
		struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI };
		int tap;

		close(sv[0]);
		if (unshare(CLONE_NEWUSER | CLONE_NEWNET) < 0)
			_exit(77);
		tap = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
		if (tap < 0 || ioctl(tap, TUNSETIFF, &ifr) < 0)
			_exit(77);
		_exit(fdpass_send(sv[1], &tap, 1) < 0 ? 1 : 0);
	}
	close(sv[1]);
	r = fdpass_recv(sv[0], &fd, 1);
	close(sv[0]);
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	if (r < 0)
		nbtest_skip("cannot create a tap in a new user+net namespace "
			    "(/dev/net/tun missing or not usable)");
	return fd;
}

NBTEST(tap_handed_over)
{
	struct fixture *f;
	struct ifreq ifr;
	int before, tap, n;

	uv_warm_up();
	before = nbtest_count_fds();
	tap = make_tap("tap0");
	f = fixture_new(true);
	n = nbtest_count_fds();

	/* The wrong name for this fd: closed. */
	send_with_fds(f->nsagent, "tap tap1\n", 9, &tap, 1);
	fixture_turn(f);
	ASSERT_EQ(f->taps, 0);
	ASSERT_EQ(nbtest_count_fds(), n);

	send_with_fds(f->nsagent, "tap tap0\n", 9, &tap, 1);
	fixture_turn(f);
	ASSERT_EQ(f->taps, 1);
	ASSERT_STREQ(f->tap_name, "tap0");
	ASSERT_EQ(nbtest_count_fds(), n + 1);
	ASSERT_EQ(fcntl(f->tap_fd, F_GETFD), FD_CLOEXEC);
	memset(&ifr, 0, sizeof(ifr));
	ASSERT_OK(ioctl(f->tap_fd, TUNGETIFF, &ifr));
	ASSERT_STREQ(ifr.ifr_name, "tap0");
	ASSERT_TRUE(ifr.ifr_flags & IFF_TAP);
	close(f->tap_fd);
	fixture_free(f);

	/* Nobody wants a tap: closed, with a warning. */
	f = fixture_new(false);
	n = nbtest_count_fds();
	send_with_fds(f->nsagent, "tap tap0\n", 9, &tap, 1);
	fixture_turn(f);
	ASSERT_EQ(nbtest_count_fds(), n);
	fixture_free(f);
	close(tap);
	ASSERT_EQ(nbtest_count_fds(), before);
}

/* nsagent_recv_tap(): the synchronous hand-over of the compat mode. */
NBTEST(recv_tap_sync)
{
	char name[NSAGENT_TAP_NAME_SIZE];
	int sv[2], before, tap, got = -1, other;

	before = nbtest_count_fds();
	tap = make_tap("tap0");
	/* Nothing comes: a timeout. */
	ASSERT_OK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv));
	ASSERT_EQ(nsagent_recv_tap(sv[0], 50, &got, name), -ETIMEDOUT);
	/* A report first, or a tap message without its fd: refused. */
	send_with_fds(sv[1], "subnets 10.0.2.0/24\n", 20, NULL, 0);
	ASSERT_EQ(nsagent_recv_tap(sv[0], 1000, &got, name), -EPROTO);
	send_with_fds(sv[1], "tap tap0\n", 9, NULL, 0);
	ASSERT_EQ(nsagent_recv_tap(sv[0], 1000, &got, name), -EPROTO);
	/* An fd that is not a tap, two fds, the wrong name: refused and
	 * closed. */
	other = open("/dev/null", O_RDONLY | O_CLOEXEC);
	ASSERT_OK(other);
	send_with_fds(sv[1], "tap tap0\n", 9, &other, 1);
	ASSERT_EQ(nsagent_recv_tap(sv[0], 1000, &got, name), -EPROTO);
	send_with_fds(sv[1], "tap tap0\n", 9, (int[]){ tap, other }, 2);
	ASSERT_EQ(nsagent_recv_tap(sv[0], 1000, &got, name), -EPROTO);
	send_with_fds(sv[1], "tap tap1\n", 9, &tap, 1);
	ASSERT_EQ(nsagent_recv_tap(sv[0], 1000, &got, name), -EPROTO);
	/* An oversized message with the tap: refused. */
	{
		char big[200];

		memset(big, 'x', sizeof(big));
		memcpy(big, "tap tap0\n", 9);
		send_with_fds(sv[1], big, sizeof(big), &tap, 1);
		ASSERT_EQ(nsagent_recv_tap(sv[0], 1000, &got, name), -EPROTO);
	}
	close(other);
	ASSERT_EQ(nbtest_count_fds(), before + 3); /* tap and the pair */
	/* The real thing. */
	send_with_fds(sv[1], "tap tap0\n", 9, &tap, 1);
	ASSERT_OK(nsagent_recv_tap(sv[0], 1000, &got, name));
	ASSERT_STREQ(name, "tap0");
	ASSERT_EQ(fcntl(got, F_GETFD), FD_CLOEXEC);
	close(got);
	/* nsagent gone first: -EPIPE. */
	close(sv[1]);
	ASSERT_EQ(nsagent_recv_tap(sv[0], 1000, &got, name), -EPIPE);
	close(sv[0]);
	close(tap);
	ASSERT_EQ(nbtest_count_fds(), before);
}

/* A report as nsagent sends it: the addresses, then the subnets. */
NBTEST(addrs_report_to_callback)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct fixture *f;

	inet_pton(AF_INET, "10.0.9.7", &sin.sin_addr);
	f = fixture_new(true);
	send_with_fds(f->nsagent, "addrs 10.0.2.100 10.0.9.7\n", 26, NULL, 0);
	send_with_fds(f->nsagent, "subnets 10.0.2.0/24 10.0.9.7/32\n", 32, NULL,
		      0);
	fixture_turn(f);
	fixture_turn(f);
	ASSERT_EQ(f->addr_calls, 1);
	ASSERT_EQ(f->n_addrs, 2);
	ASSERT_EQ(f->addrs[1].family, AF_INET);
	ASSERT_EQ(memcmp(f->addrs[1].a, &sin.sin_addr, 4), 0);
	/* The subnets still go to the policy, and only they count there. */
	ASSERT_EQ(f->client.reports, 1);
	ASSERT_EQ(f->client.addr_reports, 1);
	ASSERT_EQ(policy_classify(&f->policy, (struct sockaddr *)&sin,
				  sizeof(sin)),
		  POLICY_DEST_SUBNET);
	/* A malformed one is ignored whole: no call, the last list stays. */
	send_with_fds(f->nsagent, "addrs 10.0.2.100 bogus\n", 23, NULL, 0);
	fixture_turn(f);
	ASSERT_EQ(f->addr_calls, 1);
	ASSERT_EQ(f->client.reports, 1);
	/* An empty snapshot is one (the addresses were removed). */
	send_with_fds(f->nsagent, "addrs\n", 6, NULL, 0);
	fixture_turn(f);
	ASSERT_EQ(f->addr_calls, 2);
	ASSERT_EQ(f->n_addrs, 0);
	fixture_free(f);

	/* Without a callback an address report is dropped quietly. */
	f = fixture_new(false);
	send_with_fds(f->nsagent, "addrs 10.0.2.100\n", 17, NULL, 0);
	fixture_turn(f);
	ASSERT_EQ(f->addr_calls, 0);
	ASSERT_EQ(f->client.addr_reports, 1);
	ASSERT_EQ(f->client.reports, 0);
	fixture_free(f);
}

int main(void)
{
	static const struct nbtest tests[] = {
		NBTEST_ENTRY(parses_snapshot),
		NBTEST_ENTRY(empty_snapshot_clears),
		NBTEST_ENTRY(rejects_malformed),
		NBTEST_ENTRY(not_nul_terminated),
		NBTEST_ENTRY(bounded),
		NBTEST_ENTRY(report_feeds_policy),
		NBTEST_ENTRY(parses_addrs),
		NBTEST_ENTRY(rejects_malformed_addrs),
		NBTEST_ENTRY(addrs_bounded),
		NBTEST_ENTRY(addrs_report_to_callback),
		NBTEST_ENTRY(parses_tap),
		NBTEST_ENTRY(rejects_malformed_tap),
		NBTEST_ENTRY(fds_never_leak),
		NBTEST_ENTRY(tap_handed_over),
		NBTEST_ENTRY(recv_tap_sync),
	};

	return nbtest_run(tests, ARRAY_SIZE(tests));
}
