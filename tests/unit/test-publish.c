// SPDX-License-Identifier: Apache-2.0
/*
 * test-publish.c - the --publish parser, the table and bind matching.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "nbtest.h"
#include "publish.h"
#include "util.h"

static struct sockaddr_in v4(const char *a, uint16_t port)
{
	struct sockaddr_in s = { .sin_family = AF_INET,
				 .sin_port = htons(port) };

	ASSERT_EQ(inet_pton(AF_INET, a, &s.sin_addr), 1);
	return s;
}

static struct sockaddr_in6 v6(const char *a, uint16_t port)
{
	struct sockaddr_in6 s = { .sin6_family = AF_INET6,
				  .sin6_port = htons(port) };

	ASSERT_EQ(inet_pton(AF_INET6, a, &s.sin6_addr), 1);
	return s;
}

NBTEST(parse_good)
{
	static const struct {
		const char *in, *out;
		bool udp;
		uint16_t hp, cp;
	} cases[] = {
		{ "8080:80", "8080:80/tcp", false, 8080, 80 },
		{ "8080:80/tcp", "8080:80/tcp", false, 8080, 80 },
		{ "53:53/udp", "53:53/udp", true, 53, 53 },
		{ "127.0.0.1:8080:80", "127.0.0.1:8080:80/tcp", false, 8080,
		  80 },
		{ "10.99.0.1:1:65535/udp", "10.99.0.1:1:65535/udp", true, 1,
		  65535 },
		{ "[::1]:8080:80", "[::1]:8080:80/tcp", false, 8080, 80 },
		{ "[fd99::1]:9:9/udp", "[fd99::1]:9:9/udp", true, 9, 9 },
		{ "[::]:8080:80", "[::]:8080:80/tcp", false, 8080, 80 },
	};
	char buf[PUBLISH_SPEC_MAX];

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct publish p;

		ASSERT_OK(publish_parse(cases[i].in, &p));
		ASSERT_EQ(p.udp, cases[i].udp);
		ASSERT_EQ(p.host_port, cases[i].hp);
		ASSERT_EQ(p.container_port, cases[i].cp);
		ASSERT_STREQ(publish_to_string(&p, buf), cases[i].out);
	}
}

NBTEST(parse_bad)
{
	static const char *const bad[] = {
		"",
		"80",
		":80",
		"8080:",
		"0:80",
		"8080:0",
		"65536:80",
		"8080:65536",
		"-1:80",
		"8080:80/sctp",
		"8080:80/",
		"8080:80/tcpx",
		"8080-8081:80-81",
		"::1:8080:80",
		"[::1:8080:80",
		"[]:8080:80",
		"1.2.3:8080:80",
		"1.2.3.4.5:8080:80",
		"host:8080:80",
		" 8080:80",
		"8080 :80",
		"+8080:80",
		"08080x:80",
		"1.2.3.4:8080:80:90",
		"[1.2.3.4]:8080:80",
		"[::1]:8080:80/udp/tcp",
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa:1:1",
	};
	struct publish p;

	ASSERT_EQ(publish_parse(NULL, &p), -EINVAL);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		int r = publish_parse(bad[i], &p);

		if (r != -EINVAL)
			nbtest_fail(__FILE__, __LINE__, "'%s' parsed", bad[i]);
	}
}

NBTEST(table_refuses_duplicates)
{
	static struct publish_table t;
	struct publish p;

	ASSERT_OK(publish_parse("8080:80", &p));
	ASSERT_OK(publish_add(&t, &p));
	ASSERT_EQ(publish_add(&t, &p), -EEXIST);
	ASSERT_OK(publish_parse("8080:81/udp", &p)); /* other protocol */
	ASSERT_OK(publish_add(&t, &p));
	ASSERT_OK(publish_parse("127.0.0.1:8080:82", &p)); /* other address */
	ASSERT_OK(publish_add(&t, &p));
	ASSERT_EQ(t.n, 3u);
	t.n = PUBLISH_MAX;
	ASSERT_OK(publish_parse("9090:80", &p));
	ASSERT_EQ(publish_add(&t, &p), -ENOSPC);
}

NBTEST(match_bind)
{
	static struct publish_table t;
	struct sockaddr_in a4;
	struct sockaddr_in6 a6;
	struct publish p;
	const struct publish *m;

	ASSERT_OK(publish_parse("8080:80", &p));
	ASSERT_OK(publish_add(&t, &p));
	ASSERT_OK(publish_parse("5353:53/udp", &p));
	ASSERT_OK(publish_add(&t, &p));
	ASSERT_OK(publish_parse("[::1]:9443:443", &p));
	ASSERT_OK(publish_add(&t, &p));

	a4 = v4("0.0.0.0", 80);
	m = publish_match_bind(&t, (struct sockaddr *)&a4, sizeof(a4));
	ASSERT_TRUE(m && m->host_port == 8080);
	a4 = v4("10.0.2.100", 80); /* the container's own address */
	ASSERT_TRUE(publish_match_bind(&t, (struct sockaddr *)&a4, sizeof(a4)));
	a4 = v4("127.0.0.1", 80); /* private to the container */
	ASSERT_TRUE(
		!publish_match_bind(&t, (struct sockaddr *)&a4, sizeof(a4)));
	m = publish_match_loopback(&t, (struct sockaddr *)&a4, sizeof(a4));
	ASSERT_TRUE(m && m->container_port == 80); /* logged */
	a4 = v4("0.0.0.0", 80);
	ASSERT_TRUE(!publish_match_loopback(&t, (struct sockaddr *)&a4,
					    sizeof(a4)));
	a4 = v4("127.0.0.1", 81);
	ASSERT_TRUE(!publish_match_loopback(&t, (struct sockaddr *)&a4,
					    sizeof(a4)));
	a4 = v4("0.0.0.0", 53); /* UDP entries go through slirp */
	ASSERT_TRUE(
		!publish_match_bind(&t, (struct sockaddr *)&a4, sizeof(a4)));
	a4 = v4("0.0.0.0", 0);
	ASSERT_TRUE(
		!publish_match_bind(&t, (struct sockaddr *)&a4, sizeof(a4)));
	a4 = v4("0.0.0.0", 443); /* a v6 host address: not for v4 */
	ASSERT_TRUE(
		!publish_match_bind(&t, (struct sockaddr *)&a4, sizeof(a4)));
	ASSERT_TRUE(!publish_match_bind(&t, (struct sockaddr *)&a4, 4));

	a6 = v6("::", 443);
	m = publish_match_bind(&t, (struct sockaddr *)&a6, sizeof(a6));
	ASSERT_TRUE(m && m->host_port == 9443);
	a6 = v6("::", 80);
	ASSERT_TRUE(publish_match_bind(&t, (struct sockaddr *)&a6, sizeof(a6)));
	a6 = v6("::1", 80);
	ASSERT_TRUE(
		!publish_match_bind(&t, (struct sockaddr *)&a6, sizeof(a6)));
	a6 = v6("::ffff:127.0.0.1", 80);
	ASSERT_TRUE(
		!publish_match_bind(&t, (struct sockaddr *)&a6, sizeof(a6)));
	ASSERT_TRUE(
		!publish_match_bind(NULL, (struct sockaddr *)&a6, sizeof(a6)));
}

/* One container port on two host ports: no bind bypass for it (one
 * socket, one host listener); UDP on the same number shares nothing. */
NBTEST(port_on_two_host_ports)
{
	static struct publish_table t;
	struct sockaddr_in a4;
	struct sockaddr_in6 a6;
	struct publish p;
	const struct publish *m;

	ASSERT_OK(publish_parse("8080:80", &p));
	ASSERT_OK(publish_add(&t, &p));
	ASSERT_OK(publish_parse("8081:80", &p));
	ASSERT_OK(publish_add(&t, &p));
	ASSERT_OK(publish_parse("9090:90", &p));
	ASSERT_OK(publish_add(&t, &p));
	ASSERT_OK(publish_parse("9091:90/udp", &p));
	ASSERT_OK(publish_add(&t, &p));

	ASSERT_TRUE(publish_port_shared(&t, &t.p[0]));
	ASSERT_TRUE(publish_port_shared(&t, &t.p[1]));
	ASSERT_TRUE(!publish_port_shared(&t, &t.p[2]));
	ASSERT_TRUE(!publish_port_shared(&t, &t.p[3]));
	a4 = v4("0.0.0.0", 80);
	ASSERT_TRUE(
		!publish_match_bind(&t, (struct sockaddr *)&a4, sizeof(a4)));
	a6 = v6("::", 80);
	ASSERT_TRUE(
		!publish_match_bind(&t, (struct sockaddr *)&a6, sizeof(a6)));
	a4 = v4("0.0.0.0", 90);
	m = publish_match_bind(&t, (struct sockaddr *)&a4, sizeof(a4));
	ASSERT_TRUE(m && m->host_port == 9090);
}

NBTEST(host_addr)
{
	struct sockaddr_storage ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	char buf[INET6_ADDRSTRLEN];
	struct publish p;

	ASSERT_OK(publish_parse("8080:80", &p));
	ASSERT_EQ(publish_host_addr(&p, AF_INET, &ss), (int)sizeof(*s4));
	ASSERT_EQ(s4->sin_addr.s_addr, htonl(INADDR_ANY));
	ASSERT_EQ(ntohs(s4->sin_port), 8080);
	ASSERT_EQ(publish_host_addr(&p, AF_INET6, &ss), (int)sizeof(*s6));
	ASSERT_TRUE(IN6_IS_ADDR_UNSPECIFIED(&s6->sin6_addr));
	ASSERT_OK(publish_parse("10.99.0.1:8080:80", &p));
	ASSERT_EQ(publish_host_addr(&p, AF_INET6, &ss), (int)sizeof(*s6));
	ASSERT_STREQ(inet_ntop(AF_INET6, &s6->sin6_addr, buf, sizeof(buf)),
		     "::ffff:10.99.0.1");
	ASSERT_OK(publish_parse("[fd99::1]:8080:80", &p));
	ASSERT_EQ(publish_host_addr(&p, AF_INET, &ss), -EAFNOSUPPORT);
	ASSERT_EQ(publish_host_addr(&p, AF_UNIX, &ss), -EAFNOSUPPORT);
}

static const struct nbtest tests[] = {
	NBTEST_ENTRY(parse_good),
	NBTEST_ENTRY(parse_bad),
	NBTEST_ENTRY(table_refuses_duplicates),
	NBTEST_ENTRY(match_bind),
	NBTEST_ENTRY(port_on_two_host_ports),
	NBTEST_ENTRY(host_addr),
};

int main(void)
{
	return nbtest_run(tests, ARRAY_SIZE(tests));
}
