// SPDX-License-Identifier: Apache-2.0
/*
 * test-s4n-options.c - the values of slirp4netns's --cidr, --macaddress
 * and --outbound-addr[6]: what slirp4netns 1.2.0 accepts and refuses
 * (tried against Debian's /usr/bin/slirp4netns), with its words.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "macaddr.h"
#include "nbtest.h"
#include "s4n-options.h"
#include "util.h"

/* @s is refused with a message that contains @words. */
static void cidr_refused(int line, const char *s, const char *words)
{
	struct in_addr net;
	unsigned int prefix;
	char err[128] = "";

	if (s4n_parse_cidr(s, &net, &prefix, err, sizeof(err)) != -EINVAL ||
	    !strstr(err, words)) {
		printf("# --cidr %s: \"%s\", want \"%s\"\n", s, err, words);
		nbtest_fail(__FILE__, line, "not refused with those words");
	}
}

#define CIDR_REFUSED(s, words) cidr_refused(__LINE__, s, words)

NBTEST(cidr_accepted)
{
	static const struct {
		const char *s, *net;
		unsigned int prefix;
	} ok[] = {
		{ "10.0.2.0/24", "10.0.2.0", 24 },
		{ "10.0.135.128/25", "10.0.135.128", 25 },
		{ "0.0.0.0/1", "0.0.0.0", 1 },
		{ "192.168.0.0/16", "192.168.0.0", 16 },
		{ "10.0.0.0/08", "10.0.0.0", 8 }, /* two digits */
	};

	for (size_t i = 0; i < ARRAY_SIZE(ok); i++) {
		struct in_addr net, want;
		unsigned int prefix = 0;
		char err[128];

		ASSERT_OK(s4n_parse_cidr(ok[i].s, &net, &prefix, err,
					 sizeof(err)));
		inet_pton(AF_INET, ok[i].net, &want);
		ASSERT_EQ(net.s_addr, want.s_addr);
		ASSERT_EQ(prefix, ok[i].prefix);
	}
}

NBTEST(cidr_refused)
{
	/* Host bits: main accepted these and took the network. */
	CIDR_REFUSED("10.0.2.100/24",
		     "CIDR needs to be a network address like 10.0.2.0/24, "
		     "not like 10.0.2.100/24");
	CIDR_REFUSED("10.0.2.0/8", "CIDR needs to be a network address");
	CIDR_REFUSED("10.0.2.0/08", "CIDR needs to be a network address");
	/* The shape. */
	CIDR_REFUSED("24", "invalid CIDR: 24");
	CIDR_REFUSED("foo", "invalid CIDR: foo");
	CIDR_REFUSED("10.0.2.0", "invalid CIDR: 10.0.2.0");
	CIDR_REFUSED("10.0.2.0/024", "invalid CIDR: 10.0.2.0/024");
	CIDR_REFUSED("10.0.2.0/", "invalid CIDR");
	CIDR_REFUSED("10.0.2.0/24 ", "invalid CIDR");
	CIDR_REFUSED(" 10.0.2.0/24", "invalid CIDR");
	CIDR_REFUSED("10.0.2/24", "invalid CIDR");
	CIDR_REFUSED("10.0.2.0.0/24", "invalid CIDR");
	CIDR_REFUSED("1000.0.2.0/24", "invalid CIDR");
	CIDR_REFUSED("10.0.2.0/+4", "invalid CIDR");
	CIDR_REFUSED("fd00::/64", "invalid CIDR: fd00::/64");
	/* The right shape, not an address. */
	CIDR_REFUSED("300.0.2.0/24", "invalid network address: 300.0.2.0");
	CIDR_REFUSED("010.0.2.0/24", "invalid network address: 010.0.2.0");
	/* The prefix. */
	CIDR_REFUSED("10.0.2.0/26", "prefix length needs to be 1-25");
	CIDR_REFUSED("10.0.2.0/0", "prefix length needs to be 1-25");
	CIDR_REFUSED("10.0.2.0/99", "prefix length needs to be 1-25");
}

NBTEST(mac)
{
	uint8_t m[6];
	static const char *const bad[] = {
		"",
		"zz",
		"0e:d4:18:d9:38",
		"0e:d4:18:d9:38:fb:00",
		"0e:d4:18:d9:38:fb:",
		"0e-d4-18-d9-38-fb",
		"0e:d4:18:d9:38:1fb",
		"0e:d4:18:d9:38: fb",
		"0e:d4:18:d9:38:+f",
		"0x:d4:18:d9:38:fb",
		"01:00:5e:00:00:01", /* multicast */
		"ff:ff:ff:ff:ff:ff",
		"00:00:00:00:00:00",
	};

	ASSERT_OK(macaddr_parse("0e:d4:18:d9:38:fb", m));
	ASSERT_EQ(m[0], 0x0e);
	ASSERT_EQ(m[5], 0xfb);
	ASSERT_OK(macaddr_parse("2:0:0:0:0:A", m));
	ASSERT_EQ(m[0], 2);
	ASSERT_EQ(m[5], 10);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		if (macaddr_parse(bad[i], m) != -EINVAL) {
			printf("# %s\n", bad[i]);
			nbtest_fail(__FILE__, __LINE__, "accepted");
		}
	}
}

NBTEST(outbound)
{
	struct in_addr a;
	struct in6_addr a6;

	ASSERT_OK(s4n_outbound_addr("10.99.0.1", AF_INET, &a));
	ASSERT_EQ(ntohl(a.s_addr), 0x0a630001);
	ASSERT_OK(s4n_outbound_addr("fd99::1", AF_INET6, &a6));
	ASSERT_EQ(a6.s6_addr[0], 0xfd);
	/* An interface: lo has 127.0.0.1 wherever this runs. */
	ASSERT_OK(s4n_outbound_addr("lo", AF_INET, &a));
	ASSERT_EQ(ntohl(a.s_addr), INADDR_LOOPBACK);
	/* Neither. */
	ASSERT_EQ(s4n_outbound_addr("fd99::1", AF_INET, &a), -EINVAL);
	ASSERT_EQ(s4n_outbound_addr("10.99.0.1", AF_INET6, &a6), -EINVAL);
	ASSERT_EQ(s4n_outbound_addr("no-such-if0", AF_INET, &a), -EINVAL);
	ASSERT_EQ(s4n_outbound_addr("", AF_INET, &a), -EINVAL);
	ASSERT_EQ(s4n_outbound_addr("a/b", AF_INET, &a), -EINVAL);
	ASSERT_EQ(s4n_outbound_addr("a-name-too-long-for-ifnamsiz", AF_INET,
				    &a),
		  -EINVAL);
}

int main(void)
{
	static const struct nbtest tests[] = {
		NBTEST_ENTRY(cidr_accepted),
		NBTEST_ENTRY(cidr_refused),
		NBTEST_ENTRY(mac),
		NBTEST_ENTRY(outbound),
	};

	return nbtest_run(tests, ARRAY_SIZE(tests));
}
