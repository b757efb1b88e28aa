// SPDX-License-Identifier: Apache-2.0
/*
 * test-sockdiag.c - the sock_diag client against real listeners: found
 * while they listen, gone once closed or shut down, a new listener on the
 * same port told apart by its cookie, IPv4 and IPv6 (dual-stack and
 * IPV6_V6ONLY), SO_REUSEPORT groups, and dumps larger than one buffer or
 * than the caller's array.
 *
 * The process moves to its own user and network namespace, so that the
 * ports are its own and the dumps see only its sockets, as root and as a
 * normal user alike; without one the tests that need it skip.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "nbtest.h"
#include "socktest.h"
#include "sockdiag.h"
#include "util.h"

#define LISTEN_REUSEPORT 1
#define LISTEN_V6ONLY 2
#define LISTEN_DUALSTACK 4
#define LISTEN_NOLISTEN 8

/* A TCP socket bound to @a:@port that listens (unless told not to). */
static int listener(const char *a, uint16_t port, int flags)
{
	struct sockaddr_storage ss = nbtest_sockaddr(a, port);
	int one = 1, zero = 0;
	int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);

	ASSERT_TRUE(fd >= 0);
	ASSERT_OK(setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)));
	if (flags & LISTEN_REUSEPORT)
		ASSERT_OK(setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one,
				     sizeof(one)));
	if (flags & (LISTEN_V6ONLY | LISTEN_DUALSTACK))
		ASSERT_OK(setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY,
				     (flags & LISTEN_V6ONLY) ? &one : &zero,
				     sizeof(int)));
	ASSERT_OK(bind(fd, (struct sockaddr *)&ss, nbtest_sockaddr_len(&ss)));
	if (!(flags & LISTEN_NOLISTEN))
		ASSERT_OK(listen(fd, 16));
	return fd;
}

static void diag_open(struct sockdiag *d)
{
	int r = sockdiag_open(d);

	if (r == -EPROTONOSUPPORT)
		nbtest_skip("no NETLINK_SOCK_DIAG in this kernel");
	ASSERT_OK(r);
}

/* sockdiag_tcp_lookup() of "@a" port @port. */
static int lookup(struct sockdiag *d, const char *a, uint16_t port,
		  uint64_t cookie, struct sockdiag_sock *ret)
{
	struct sockaddr_storage ss = nbtest_sockaddr(a, port);

	return sockdiag_tcp_lookup(d, (struct sockaddr *)&ss,
				   nbtest_sockaddr_len(&ss), cookie, ret);
}

NBTEST(lookup_found_then_gone_v4)
{
	struct sockdiag d;
	struct sockdiag_sock s;
	uint8_t lo[4] = { 127, 0, 0, 1 };
	int fd;
	uint64_t c;

	nbtest_enter_netns();
	diag_open(&d);
	fd = listener("127.0.0.1", 20001, 0);
	c = nbtest_cookie(fd);
	ASSERT_OK(lookup(&d, "127.0.0.1", 20001, SOCKDIAG_NOCOOKIE, &s));
	ASSERT_EQ(s.family, AF_INET);
	ASSERT_EQ(s.state, TCP_LISTEN);
	ASSERT_EQ(s.port, 20001);
	ASSERT_EQ(s.cookie, c);
	ASSERT_EQ(s.ifindex, 0);
	ASSERT_EQ(memcmp(s.addr, lo, 4), 0);
	ASSERT_OK(lookup(&d, "127.0.0.1", 20001, c, &s));
	ASSERT_EQ(lookup(&d, "127.0.0.1", 20001, c + 1, &s), -ENOENT);
	ASSERT_EQ(lookup(&d, "127.0.0.1", 20002, SOCKDIAG_NOCOOKIE, &s),
		  -ENOENT);
	/* Bound to 127.0.0.1: 127.0.0.2 is not its address. */
	ASSERT_EQ(lookup(&d, "127.0.0.2", 20001, SOCKDIAG_NOCOOKIE, &s),
		  -ENOENT);
	close(fd);
	ASSERT_EQ(lookup(&d, "127.0.0.1", 20001, c, &s), -ENOENT);
	ASSERT_EQ(lookup(&d, "127.0.0.1", 20001, SOCKDIAG_NOCOOKIE, NULL),
		  -ENOENT);
	sockdiag_close(&d);
}

NBTEST(new_listener_on_the_port_has_another_cookie)
{
	struct sockdiag d;
	struct sockdiag_sock s;
	int fd;
	uint64_t old, now;

	nbtest_enter_netns();
	diag_open(&d);
	fd = listener("0.0.0.0", 20011, 0);
	old = nbtest_cookie(fd);
	close(fd);
	fd = listener("0.0.0.0", 20011, 0);
	now = nbtest_cookie(fd);
	ASSERT_TRUE(now != old);
	ASSERT_EQ(lookup(&d, "127.0.0.1", 20011, old, &s), -ENOENT);
	ASSERT_OK(lookup(&d, "127.0.0.1", 20011, SOCKDIAG_NOCOOKIE, &s));
	ASSERT_EQ(s.cookie, now);
	close(fd);
	sockdiag_close(&d);
}

/* A wildcard listener takes any local address of its family; a more
 * specific one (a REUSEPORT pair may share the port) takes its own. */
NBTEST(lookup_is_the_kernels_choice)
{
	struct sockdiag d;
	struct sockdiag_sock s;
	int any, one;

	nbtest_enter_netns();
	diag_open(&d);
	any = listener("0.0.0.0", 20021, LISTEN_REUSEPORT);
	one = listener("127.0.0.1", 20021, LISTEN_REUSEPORT);
	ASSERT_OK(lookup(&d, "127.0.0.1", 20021, SOCKDIAG_NOCOOKIE, &s));
	ASSERT_EQ(s.cookie, nbtest_cookie(one));
	ASSERT_OK(lookup(&d, "127.0.0.2", 20021, SOCKDIAG_NOCOOKIE, &s));
	ASSERT_EQ(s.cookie, nbtest_cookie(any));
	/* A v4-mapped destination is looked up as the IPv4 one. */
	ASSERT_OK(
		lookup(&d, "::ffff:127.0.0.2", 20021, nbtest_cookie(any), &s));
	close(one);
	ASSERT_OK(lookup(&d, "127.0.0.1", 20021, SOCKDIAG_NOCOOKIE, &s));
	ASSERT_EQ(s.cookie, nbtest_cookie(any));
	close(any);
	sockdiag_close(&d);
}

NBTEST(lookup_v6_dual_stack_and_v6only)
{
	struct sockdiag d;
	struct sockdiag_sock s;
	int fd;

	nbtest_enter_netns();
	diag_open(&d);
	fd = listener("::1", 20031, 0);
	ASSERT_OK(lookup(&d, "::1", 20031, nbtest_cookie(fd), &s));
	ASSERT_EQ(s.family, AF_INET6);
	ASSERT_EQ(lookup(&d, "127.0.0.1", 20031, SOCKDIAG_NOCOOKIE, &s),
		  -ENOENT);
	close(fd);

	fd = listener("::", 20032, LISTEN_DUALSTACK);
	ASSERT_OK(lookup(&d, "::1", 20032, nbtest_cookie(fd), &s));
	ASSERT_TRUE(!s.v6only);
	ASSERT_OK(lookup(&d, "127.0.0.1", 20032, nbtest_cookie(fd), &s));
	ASSERT_EQ(s.family, AF_INET6);
	ASSERT_OK(lookup(&d, "::ffff:127.0.0.1", 20032, nbtest_cookie(fd), &s));
	close(fd);

	fd = listener("::", 20033, LISTEN_V6ONLY);
	ASSERT_OK(lookup(&d, "::1", 20033, nbtest_cookie(fd), &s));
	ASSERT_TRUE(s.v6only);
	ASSERT_EQ(lookup(&d, "127.0.0.1", 20033, SOCKDIAG_NOCOOKIE, &s),
		  -ENOENT);
	close(fd);
	sockdiag_close(&d);
}

/* Only a listening socket is a listener: bound and idle is not, and
 * neither is one whose listen() was undone by shutdown(SHUT_RD), though
 * its fd is open and it keeps its port. */
NBTEST(only_listening_sockets_count)
{
	struct sockdiag d;
	struct sockdiag_sock s[4];
	size_t n;
	int idle, fd;

	nbtest_enter_netns();
	diag_open(&d);
	idle = listener("0.0.0.0", 20041, LISTEN_NOLISTEN);
	ASSERT_EQ(lookup(&d, "127.0.0.1", 20041, SOCKDIAG_NOCOOKIE, s),
		  -ENOENT);
	ASSERT_OK(sockdiag_tcp_listeners(&d, AF_UNSPEC, 20041, s, 4, &n));
	ASSERT_EQ(n, 0);
	close(idle);

	fd = listener("0.0.0.0", 20042, 0);
	ASSERT_OK(sockdiag_tcp_listeners(&d, AF_UNSPEC, 20042, s, 4, &n));
	ASSERT_EQ(n, 1);
	ASSERT_OK(shutdown(fd, SHUT_RD));
	ASSERT_OK(sockdiag_tcp_listeners(&d, AF_UNSPEC, 20042, s, 4, &n));
	ASSERT_EQ(n, 0);
	ASSERT_EQ(lookup(&d, "127.0.0.1", 20042, SOCKDIAG_NOCOOKIE, s),
		  -ENOENT);
	close(fd);
	sockdiag_close(&d);
}

static bool has_cookie(const struct sockdiag_sock *s, size_t n, uint64_t c)
{
	for (size_t i = 0; i < n; i++)
		if (s[i].cookie == c && s[i].state == TCP_LISTEN)
			return true;
	return false;
}

/* Every member of a REUSEPORT group, both families, nothing else. */
NBTEST(listeners_of_a_port)
{
	struct sockdiag d;
	struct sockdiag_sock s[8];
	size_t n;
	int a, b, v6, other, client, acc;
	struct sockaddr_storage to = nbtest_sockaddr("127.0.0.1", 20051);

	nbtest_enter_netns();
	diag_open(&d);
	a = listener("0.0.0.0", 20051, LISTEN_REUSEPORT);
	b = listener("0.0.0.0", 20051, LISTEN_REUSEPORT);
	v6 = listener("::", 20051, LISTEN_V6ONLY);
	other = listener("0.0.0.0", 20052, 0);
	/* An established connection on the port is not a listener. */
	client = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ASSERT_OK(connect(client, (struct sockaddr *)&to,
			  nbtest_sockaddr_len(&to)));

	ASSERT_OK(sockdiag_tcp_listeners(&d, AF_UNSPEC, 20051, s, 8, &n));
	ASSERT_EQ(n, 3);
	ASSERT_TRUE(has_cookie(s, n, nbtest_cookie(a)));
	ASSERT_TRUE(has_cookie(s, n, nbtest_cookie(b)));
	ASSERT_TRUE(has_cookie(s, n, nbtest_cookie(v6)));
	ASSERT_OK(sockdiag_tcp_listeners(&d, AF_INET, 20051, s, 8, &n));
	ASSERT_EQ(n, 2);
	ASSERT_OK(sockdiag_tcp_listeners(&d, AF_INET6, 20051, s, 8, &n));
	ASSERT_EQ(n, 1);
	ASSERT_TRUE(s[0].v6only);

	/* The connection went to one member of the group. */
	ASSERT_OK(fcntl(a, F_SETFL, O_NONBLOCK));
	acc = accept(a, NULL, NULL);
	if (acc < 0)
		acc = accept(b, NULL, NULL);
	ASSERT_TRUE(acc >= 0);
	close(acc);
	close(client);
	close(a);
	ASSERT_OK(sockdiag_tcp_listeners(&d, AF_UNSPEC, 20051, s, 8, &n));
	ASSERT_EQ(n, 2);
	ASSERT_TRUE(!has_cookie(s, n, nbtest_cookie(b) ^ 1));
	close(b);
	close(v6);
	close(other);
	ASSERT_EQ(sockdiag_tcp_listeners(&d, AF_UNSPEC, 0, s, 8, &n), -EINVAL);
	sockdiag_close(&d);
}

/* More listeners than the array holds: ENOSPC, the first ones stored, and
 * the dump read to its end, so the next request is answered. */
NBTEST(listeners_bounded_by_the_array)
{
	struct sockdiag d;
	struct sockdiag_sock s[8];
	int fds[5];
	size_t n;

	nbtest_enter_netns();
	diag_open(&d);
	for (size_t i = 0; i < ARRAY_SIZE(fds); i++)
		fds[i] = listener("0.0.0.0", 20061, LISTEN_REUSEPORT);
	ASSERT_EQ(sockdiag_tcp_listeners(&d, AF_UNSPEC, 20061, s, 3, &n),
		  -ENOSPC);
	ASSERT_EQ(n, 3);
	ASSERT_OK(sockdiag_tcp_listeners(&d, AF_UNSPEC, 20061, s, 8, &n));
	ASSERT_EQ(n, 5);
	ASSERT_OK(lookup(&d, "127.0.0.1", 20061, SOCKDIAG_NOCOOKIE, s));
	for (size_t i = 0; i < ARRAY_SIZE(fds); i++)
		close(fds[i]);
	sockdiag_close(&d);
}

struct count {
	size_t n;
	size_t stop_after; /* 0: never */
};

static int count_one(const struct sockdiag_sock *s, void *opaque)
{
	struct count *c = opaque;

	(void)s;
	c->n++;
	return c->stop_after && c->n >= c->stop_after ? -ECANCELED : 0;
}

/* A dump of more sockets than fit one read (SOCKDIAG_BUF_SIZE) comes in
 * several messages, all read; a callback that stops early still leaves
 * the socket ready for the next request. */
NBTEST(dump_larger_than_the_buffer)
{
	enum { N = 600 };
	static int fds[N];
	struct sockdiag d;
	struct sockdiag_sock s;
	struct count c = { 0 };

	nbtest_enter_netns();
	diag_open(&d);
	for (int i = 0; i < N; i++)
		fds[i] = listener(i % 2 ? "::" : "0.0.0.0",
				  (uint16_t)(21000 + i),
				  LISTEN_V6ONLY * (i % 2));
	ASSERT_OK(sockdiag_tcp_dump(&d, AF_UNSPEC, 0, 1U << TCP_LISTEN,
				    count_one, &c));
	ASSERT_EQ(c.n, N);
	c = (struct count){ .stop_after = 10 };
	ASSERT_EQ(sockdiag_tcp_dump(&d, AF_INET, 0, 1U << TCP_LISTEN, count_one,
				    &c),
		  -ECANCELED);
	ASSERT_EQ(c.n, 10);
	ASSERT_OK(lookup(&d, "127.0.0.1", 21000, nbtest_cookie(fds[0]), &s));
	c = (struct count){ 0 };
	ASSERT_OK(sockdiag_tcp_dump(&d, AF_INET6, 21001, 1U << TCP_LISTEN,
				    count_one, &c));
	ASSERT_EQ(c.n, 1);
	for (int i = 0; i < N; i++)
		close(fds[i]);
	sockdiag_close(&d);
}

static double now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

/* What each request costs here (not checked: printed for the design). */
NBTEST(cost)
{
	enum { ROUNDS = 2000 };
	struct sockdiag d;
	struct sockdiag_sock s[4];
	double t0, t1, t2;
	size_t n;
	int fd;

	nbtest_enter_netns();
	diag_open(&d);
	fd = listener("0.0.0.0", 20071, 0);
	t0 = now_us();
	for (int i = 0; i < ROUNDS; i++)
		ASSERT_OK(lookup(&d, "127.0.0.1", 20071, SOCKDIAG_NOCOOKIE, s));
	t1 = now_us();
	for (int i = 0; i < ROUNDS; i++)
		ASSERT_OK(
			sockdiag_tcp_listeners(&d, AF_UNSPEC, 20071, s, 4, &n));
	t2 = now_us();
	printf("# exact lookup %.1f us, listeners of a port (2 dumps) %.1f "
	       "us\n",
	       (t1 - t0) / ROUNDS, (t2 - t1) / ROUNDS);
	close(fd);
	sockdiag_close(&d);
}

NBTEST(bad_input)
{
	struct sockaddr_storage ss = nbtest_sockaddr("127.0.0.1", 1);
	struct sockaddr_storage un = { .ss_family = AF_UNIX };
	struct sockdiag d = { .fd = -1 };
	struct sockdiag_sock s;
	size_t n;

	ASSERT_EQ(sockdiag_tcp_lookup(&d, (struct sockaddr *)&un, sizeof(un),
				      SOCKDIAG_NOCOOKIE, &s),
		  -EAFNOSUPPORT);
	ASSERT_EQ(sockdiag_tcp_lookup(&d, (struct sockaddr *)&ss, 8,
				      SOCKDIAG_NOCOOKIE, &s),
		  -EINVAL);
	ASSERT_EQ(sockdiag_tcp_lookup(&d, (struct sockaddr *)&ss,
				      nbtest_sockaddr_len(&ss),
				      SOCKDIAG_NOCOOKIE, &s),
		  -EBADF);
	ASSERT_EQ(sockdiag_tcp_listeners(&d, AF_UNIX, 1, &s, 1, &n),
		  -EAFNOSUPPORT);
	sockdiag_close(&d); /* closing a closed one is harmless */
}

/* clang-format off: one row per case reads as a table */
static const struct {
	const char *laddr;
	uint16_t lport;
	bool v6only;
	const char *dst;
	bool receives;
} receives_cases[] = {
	{ "0.0.0.0", 80, false, "127.0.0.1", true },
	{ "0.0.0.0", 80, false, "10.0.2.100", true },
	{ "0.0.0.0", 81, false, "127.0.0.1", false }, /* another port */
	{ "0.0.0.0", 80, false, "::1", false },
	{ "0.0.0.0", 80, false, "::ffff:127.0.0.1", true },
	{ "127.0.0.1", 80, false, "127.0.0.1", true },
	{ "127.0.0.1", 80, false, "127.0.0.2", false },
	{ "::", 80, false, "::1", true },
	{ "::", 80, false, "127.0.0.1", true },
	{ "::", 80, true, "127.0.0.1", false },
	{ "::", 80, true, "::1", true },
	{ "::1", 80, false, "::1", true },
	{ "::1", 80, false, "127.0.0.1", false },
	{ "::ffff:127.0.0.1", 80, false, "127.0.0.1", true },
	{ "::ffff:127.0.0.1", 80, false, "::1", false },
	{ "::ffff:0.0.0.0", 80, false, "10.0.2.100", true },
	{ "::ffff:0.0.0.0", 80, false, "fd00::1", false },
	{ "fd00::1", 80, false, "fd00::1", true },
	{ "fd00::1", 80, false, "fd00::2", false },
};
/* clang-format on */

NBTEST(receives)
{
	for (size_t i = 0; i < ARRAY_SIZE(receives_cases); i++) {
		struct sockaddr_storage l =
			nbtest_sockaddr(receives_cases[i].laddr, 1);
		struct sockaddr_storage dst =
			nbtest_sockaddr(receives_cases[i].dst, 80);
		struct sockdiag_sock s = {
			.family = l.ss_family,
			.state = TCP_LISTEN,
			.port = receives_cases[i].lport,
			.v6only = receives_cases[i].v6only,
		};

		if (l.ss_family == AF_INET)
			memcpy(s.addr, &((struct sockaddr_in *)&l)->sin_addr,
			       4);
		else
			memcpy(s.addr, &((struct sockaddr_in6 *)&l)->sin6_addr,
			       16);
		if (sockdiag_receives(&s, (struct sockaddr *)&dst) !=
		    receives_cases[i].receives)
			nbtest_fail(__FILE__, __LINE__, "case %zu: %s:%u <- %s",
				    i, receives_cases[i].laddr,
				    receives_cases[i].lport,
				    receives_cases[i].dst);
	}
}

int main(void)
{
	static const struct nbtest tests[] = {
		NBTEST_ENTRY(receives),
		NBTEST_ENTRY(bad_input),
		NBTEST_ENTRY(lookup_found_then_gone_v4),
		NBTEST_ENTRY(new_listener_on_the_port_has_another_cookie),
		NBTEST_ENTRY(lookup_is_the_kernels_choice),
		NBTEST_ENTRY(lookup_v6_dual_stack_and_v6only),
		NBTEST_ENTRY(only_listening_sockets_count),
		NBTEST_ENTRY(listeners_of_a_port),
		NBTEST_ENTRY(listeners_bounded_by_the_array),
		NBTEST_ENTRY(dump_larger_than_the_buffer),
		NBTEST_ENTRY(cost),
	};

	return nbtest_run(tests, ARRAY_SIZE(tests));
}
