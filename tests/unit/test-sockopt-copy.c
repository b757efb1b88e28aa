// SPDX-License-Identifier: Apache-2.0
/*
 * test-sockopt-copy.c - sockopt_copy(): an option read from the socket it
 * was set on and set on another one gives what the same setsockopt() gives
 * there directly.
 *
 * At the switch the agent reads each recorded option from the caller's
 * socket and sets it on the host socket (sockopt.c).  For every option
 * whose getsockopt() does not give back what setsockopt() took (doubled
 * buffers, timeouts in jiffies, linger, the MSS) and for the plain ones
 * clients set, three sockets of a kind: A gets the value and is copied
 * onto B; C gets the value directly; B must read what C reads.  A value
 * set back to its default must copy as the default, and an option only
 * named (its setsockopt() failed) must leave B as a fresh socket.
 */
#include <errno.h>
#include <linux/time_types.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "nbtest.h"
#include "sockopt.h"
#include "util.h"

enum kind { TCP4, TCP6, UDP4, UDP6 };

struct optcase {
	const char *what;
	enum kind kind;
	int level;
	int name;
	int len; /* 0: an int */
	union {
		int i;
		struct linger l;
		struct timeval tv;
		struct __kernel_sock_timeval ktv;
	} v;
};

#define INT(k, l, n, x)         \
	{                       \
#n, k, l, n, 0, \
		{               \
			.i = x  \
		}               \
	}

static const struct optcase cases[] = {
	INT(TCP4, SOL_SOCKET, SO_RCVBUF, 50000),
	INT(TCP4, SOL_SOCKET, SO_RCVBUF, 1 << 30), /* over rmem_max */
	INT(TCP4, SOL_SOCKET, SO_RCVBUF, 1),	   /* under the minimum */
	INT(TCP4, SOL_SOCKET, SO_SNDBUF, 50000),
	INT(TCP4, SOL_SOCKET, SO_SNDBUF, 1 << 30),
	INT(TCP4, SOL_SOCKET, SO_SNDBUF, 1),
	INT(UDP4, SOL_SOCKET, SO_RCVBUF, 212993), /* odd */
	INT(TCP4, IPPROTO_TCP, TCP_NODELAY, 1),
	INT(TCP4, SOL_SOCKET, SO_KEEPALIVE, 1),
	INT(TCP4, IPPROTO_TCP, TCP_KEEPIDLE, 77),
	INT(TCP4, IPPROTO_TCP, TCP_KEEPINTVL, 11),
	INT(TCP4, IPPROTO_TCP, TCP_KEEPCNT, 5),
	INT(TCP4, IPPROTO_TCP, TCP_SYNCNT, 3),
	INT(TCP4, IPPROTO_TCP, TCP_LINGER2, 17),
	INT(TCP4, IPPROTO_TCP, TCP_USER_TIMEOUT, 12345),
	INT(TCP4, IPPROTO_TCP, TCP_WINDOW_CLAMP, 5000),
	INT(TCP4, IPPROTO_TCP, TCP_NOTSENT_LOWAT, 4096),
	INT(TCP4, IPPROTO_TCP, TCP_MAXSEG, 1000),
	INT(TCP4, IPPROTO_TCP, TCP_CORK, 1),
	INT(TCP4, SOL_SOCKET, SO_RCVLOWAT, 1000),
	INT(TCP4, SOL_SOCKET, SO_REUSEADDR, 1),
	INT(TCP4, SOL_SOCKET, SO_REUSEPORT, 1),
	INT(TCP4, SOL_SOCKET, SO_OOBINLINE, 1),
	INT(TCP4, IPPROTO_IP, IP_TOS, 0x10),
	INT(TCP4, IPPROTO_IP, IP_TTL, 9),
	INT(TCP4, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, 1),
	{ "SO_LINGER",
	  TCP4,
	  SOL_SOCKET,
	  SO_LINGER,
	  sizeof(struct linger),
	  { .l = { 1, 7 } } },
	{ "SO_RCVTIMEO_OLD",
	  TCP4,
	  SOL_SOCKET,
	  SO_RCVTIMEO_OLD,
	  sizeof(struct timeval),
	  { .tv = { 1, 234567 } } },
	{ "SO_SNDTIMEO_OLD",
	  UDP4,
	  SOL_SOCKET,
	  SO_SNDTIMEO_OLD,
	  sizeof(struct timeval),
	  { .tv = { 0, 1 } } },
	{ "SO_RCVTIMEO_NEW",
	  UDP6,
	  SOL_SOCKET,
	  SO_RCVTIMEO_NEW,
	  sizeof(struct __kernel_sock_timeval),
	  { .ktv = { 2, 500001 } } },
	{ "SO_SNDTIMEO_NEW",
	  TCP6,
	  SOL_SOCKET,
	  SO_SNDTIMEO_NEW,
	  sizeof(struct __kernel_sock_timeval),
	  { .ktv = { 3, 0 } } },
	INT(TCP6, IPPROTO_IPV6, IPV6_TCLASS, 0x20),
	INT(TCP6, IPPROTO_IPV6, IPV6_V6ONLY, 1),
	INT(TCP6, IPPROTO_IPV6, IPV6_UNICAST_HOPS, 9),
	INT(TCP6, IPPROTO_IP, IP_TOS, 0x10), /* IPv4 level, IPv6 socket */
	INT(UDP4, IPPROTO_IP, IP_RECVERR, 1),
	INT(UDP4, IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_OMIT),
	INT(UDP4, IPPROTO_IP, IP_MULTICAST_ALL, 0),
	INT(UDP4, IPPROTO_IP, IP_PKTINFO, 1),
	INT(UDP4, IPPROTO_IP, IP_RECVTOS, 1),
	INT(UDP4, SOL_SOCKET, SO_BROADCAST, 1),
	INT(UDP6, IPPROTO_IPV6, IPV6_RECVERR, 1),
	INT(UDP6, IPPROTO_IPV6, IPV6_MTU_DISCOVER, IP_PMTUDISC_OMIT),
	INT(UDP6, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1),
	INT(UDP6, IPPROTO_IPV6, IPV6_RECVTCLASS, 1),
	INT(UDP6, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, 7),
	INT(UDP6, IPPROTO_IPV6, IPV6_V6ONLY, 0),
};

static int kind_socket(enum kind k)
{
	int fam = k == TCP4 || k == UDP4 ? AF_INET : AF_INET6;
	int type = k == TCP4 || k == TCP6 ? SOCK_STREAM : SOCK_DGRAM;
	int fd = socket(fam, type | SOCK_CLOEXEC, 0);

	if (fd < 0 && fam == AF_INET6 && errno == EAFNOSUPPORT)
		nbtest_skip("no IPv6 in this kernel");
	ASSERT_OK(fd);
	return fd;
}

/* getsockopt() of @c's option on @fd, as bytes into @buf; the length. */
static socklen_t read_opt(int fd, const struct optcase *c, void *buf)
{
	socklen_t len = SOCKOPT_VAL_MAX;

	memset(buf, 0, SOCKOPT_VAL_MAX);
	if (getsockopt(fd, c->level, c->name, buf, &len) < 0)
		nbtest_fail(__FILE__, __LINE__, "%s: getsockopt: %s", c->what,
			    strerror(errno));
	return len;
}

static void set_opt(int fd, const struct optcase *c)
{
	ASSERT_OK(setsockopt(fd, c->level, c->name, &c->v,
			     c->len ? (socklen_t)c->len : sizeof(int)));
}

/* B (copied from A) must read as @ref does. */
static void expect_same(const struct optcase *c, int b, int ref)
{
	uint8_t got[SOCKOPT_VAL_MAX], want[SOCKOPT_VAL_MAX];
	socklen_t gl = read_opt(b, c, got), wl = read_opt(ref, c, want);

	if (gl != wl || memcmp(got, want, wl) != 0)
		nbtest_fail(__FILE__, __LINE__,
			    "%s: copied reads %d (len %u), direct %d (len %u)",
			    c->what, *(int *)got, gl, *(int *)want, wl);
}

NBTEST(copy_gives_what_a_direct_set_gives)
{
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct optcase *c = &cases[i];
		int a = kind_socket(c->kind), b = kind_socket(c->kind);
		int ref = kind_socket(c->kind), fresh = kind_socket(c->kind);
		uint8_t v[SOCKOPT_VAL_MAX], d[SOCKOPT_VAL_MAX];
		socklen_t vl, dl;

		set_opt(a, c);
		set_opt(ref, c);
		ASSERT_EQ(sockopt_copy(a, b, c->level, c->name), 0);
		expect_same(c, b, ref);
		/* The case changes something, or it proves nothing. */
		vl = read_opt(ref, c, v);
		dl = read_opt(fresh, c, d);
		if (vl == dl && memcmp(v, d, vl) == 0 &&
		    !(c->name == IPV6_V6ONLY && c->v.i == 0))
			nbtest_fail(__FILE__, __LINE__, "%s: %d is the default",
				    c->what, c->v.i);
		close(a);
		close(b);
		close(ref);
		close(fresh);
	}
}

/* Each case set, then set back to what a new socket has. */
static void set_back(int fd, const struct optcase *c)
{
	uint8_t d[SOCKOPT_VAL_MAX];
	int fresh = kind_socket(c->kind);
	socklen_t dl = read_opt(fresh, c, d);

	close(fresh);
	set_opt(fd, c);
	if (c->level == SOL_SOCKET &&
	    (c->name == SO_RCVBUF || c->name == SO_SNDBUF))
		*(int *)d /= 2;
	if (c->level == IPPROTO_TCP && c->name == TCP_MAXSEG)
		*(int *)d = 0; /* no user MSS */
	ASSERT_OK(setsockopt(fd, c->level, c->name, d, dl));
}

NBTEST(set_back_to_default_copies_the_default)
{
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct optcase *c = &cases[i];
		int a = kind_socket(c->kind), b = kind_socket(c->kind);
		int ref = kind_socket(c->kind);

		set_back(a, c);
		set_back(ref, c);
		ASSERT_EQ(sockopt_copy(a, b, c->level, c->name), 0);
		expect_same(c, b, ref);
		close(a);
		close(b);
		close(ref);
	}
}

/* An option named but never set (its setsockopt() failed): B stays as a
 * new socket reads, for every option of the list on every kind. */
NBTEST(unset_copies_as_new)
{
	for (enum kind k = TCP4; k <= UDP6; k++) {
		for (size_t i = 0; i < sockopt_recorded_len; i++) {
			const struct sockopt_desc *o = &sockopt_recorded[i];
			struct optcase c = { o->str,  k, o->level,
					     o->name, 0, { .i = 0 } };
			int a = kind_socket(k), b = kind_socket(k);
			int ref = kind_socket(k);
			uint8_t probe[SOCKOPT_VAL_MAX];
			socklen_t pl = sizeof(probe);

			if (getsockopt(a, o->level, o->name, probe, &pl) < 0) {
				/* Not of this kind: nothing copied. */
				ASSERT_TRUE(sockopt_copy(a, b, o->level,
							 o->name) < 0);
			} else {
				int r = sockopt_copy(a, b, o->level, o->name);

				/* Read on this kind but never set on it
				 * (IPV6_MULTICAST_HOPS on TCP): it fails as
				 * the caller's call did. */
				if (r < 0 &&
				    setsockopt(ref, o->level, o->name, probe,
					       pl) < 0 &&
				    errno == -r)
					r = 0;
				if (r < 0)
					nbtest_fail(__FILE__, __LINE__,
						    "%s on kind %d: %s", o->str,
						    k, strerror(-r));
				expect_same(&c, b, ref);
			}
			close(a);
			close(b);
			close(ref);
		}
	}
}

/* TCP_MAXSEG never set reads the cached MSS (536): copying that would cap
 * the host connection's segments.  Over loopback the MSS is far above. */
NBTEST(maxseg_unset_not_copied)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(sin), l = sizeof(int);
	int lst = kind_socket(TCP4), a = kind_socket(TCP4);
	int b = kind_socket(TCP4), mss = 0;

	ASSERT_OK(bind(lst, (struct sockaddr *)&sin, sizeof(sin)));
	ASSERT_OK(listen(lst, 1));
	ASSERT_OK(getsockname(lst, (struct sockaddr *)&sin, &sl));
	ASSERT_EQ(sockopt_copy(a, b, IPPROTO_TCP, TCP_MAXSEG), 0);
	ASSERT_OK(connect(b, (struct sockaddr *)&sin, sizeof(sin)));
	ASSERT_OK(getsockopt(b, IPPROTO_TCP, TCP_MAXSEG, &mss, &l));
	if (mss <= 536)
		nbtest_fail(__FILE__, __LINE__, "MSS %d: the default copied",
			    mss);
	close(lst);
	close(a);
	close(b);
}

static const struct nbtest tests[] = {
	NBTEST_ENTRY(copy_gives_what_a_direct_set_gives),
	NBTEST_ENTRY(set_back_to_default_copies_the_default),
	NBTEST_ENTRY(unset_copies_as_new),
	NBTEST_ENTRY(maxseg_unset_not_copied),
};

int main(void)
{
	return nbtest_run(tests, ARRAY_SIZE(tests));
}
