// SPDX-License-Identifier: Apache-2.0
/*
 * test-policy.c - CIDR parsing and matching, and the bypass decision.
 *
 * The policy is the wall between the container and the host: a wrong
 * verdict hands a container a socket that reaches the host's loopback.
 * So the built-in ranges are checked address by address, including the
 * IPv4-mapped and IPv4-compatible IPv6 spellings of them, and the tests
 * check that no user list can turn a built-in range into a bypass.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/un.h>

#include "nbtest.h"
#include "policy.h"
#include "util.h"

/* Parse @s, which the test expects to be valid. */
static struct cidr must_parse(const char *s)
{
	struct cidr c;

	memset(&c, 0xaa, sizeof(c));
	ASSERT_EQ(cidr_parse(s, &c), 0);
	return c;
}

/* Parse @s and check its family, prefix and canonical address text. */
static void check_parse(const char *s, int family, const char *addr, int prefix)
{
	struct cidr c = must_parse(s);
	uint8_t want[16] = { 0 };

	ASSERT_EQ(c.family, family);
	ASSERT_EQ(c.prefix, prefix);
	ASSERT_EQ(inet_pton(family, addr, want), 1);
	ASSERT_EQ(memcmp(c.addr, want, family == AF_INET ? 4 : 16), 0);
	/* Bytes past an IPv4 address must be zero too: structs get copied
	 * and compared whole. */
	if (family == AF_INET)
		ASSERT_EQ(memcmp(c.addr + 4, want + 4, 12), 0);
}

NBTEST(cidr_parse_v4)
{
	check_parse("10.1.0.0/16", AF_INET, "10.1.0.0", 16);
	check_parse("192.0.2.0/24", AF_INET, "192.0.2.0", 24);
	check_parse("255.255.255.255/32", AF_INET, "255.255.255.255", 32);
}

NBTEST(cidr_parse_v6)
{
	check_parse("2001:db8::/32", AF_INET6, "2001:db8::", 32);
	check_parse("fd00:1:2:3::/64", AF_INET6, "fd00:1:2:3::", 64);
	check_parse("2001:db8::1/128", AF_INET6, "2001:db8::1", 128);
}

NBTEST(cidr_parse_bare_is_host)
{
	check_parse("192.0.2.7", AF_INET, "192.0.2.7", 32);
	check_parse("2001:db8::7", AF_INET6, "2001:db8::7", 128);
	check_parse("::", AF_INET6, "::", 128);
}

NBTEST(cidr_parse_prefix_zero)
{
	check_parse("0.0.0.0/0", AF_INET, "0.0.0.0", 0);
	check_parse("10.1.2.3/0", AF_INET, "0.0.0.0", 0);
	check_parse("::/0", AF_INET6, "::", 0);
	check_parse("2001:db8::1/0", AF_INET6, "::", 0);
}

NBTEST(cidr_parse_bad)
{
	static const char *const bad[] = {
		"1.2.3.4/33",
		"::/129",
		"/8",
		"1.2.3.4/",
		"1.2.3.4/-1",
		"1.2.3.4/08x",
		"1.2.3.4/ 8",
		"1.2.3.4/+8",
		"1.2.3.4/8/8",
		"1.2.3.4/0x8",
		"garbage",
		"1.2.3",
		"1.2.3.4.5",
		"256.1.1.1",
		"::g",
		"1.2.3.4 /8",
		"",
		"/",
		"10.0.0.0/99999999999999999999",
		"2001:db8::/128x",
	};
	char long_s[4096];
	struct cidr c;

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		memset(&c, 0x55, sizeof(c));
		if (cidr_parse(bad[i], &c) != -EINVAL)
			nbtest_fail(__FILE__, __LINE__,
				    "cidr_parse(\"%s\") accepted", bad[i]);
	}
	ASSERT_EQ(cidr_parse(NULL, &c), -EINVAL);

	/* A long address part must not overflow the parse buffer. */
	memset(long_s, 'a', sizeof(long_s) - 1);
	long_s[sizeof(long_s) - 1] = '\0';
	ASSERT_EQ(cidr_parse(long_s, &c), -EINVAL);
	memset(long_s, '1', sizeof(long_s) - 1);
	memcpy(long_s, "10.0.0.0/", 9);
	ASSERT_EQ(cidr_parse(long_s, &c), -EINVAL);
	/* 46 characters: one more than the longest IPv6 text. */
	ASSERT_EQ(cidr_parse("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.2555",
			     &c),
		  -EINVAL);
	/* The longest valid text still fits. */
	check_parse("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255/128",
		    AF_INET6, "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255",
		    128);
}

NBTEST(cidr_parse_clears_host_bits)
{
	check_parse("10.1.2.3/8", AF_INET, "10.0.0.0", 8);
	check_parse("10.1.2.255/25", AF_INET, "10.1.2.128", 25);
	check_parse("10.255.255.255/9", AF_INET, "10.128.0.0", 9);
	check_parse("255.255.255.255/1", AF_INET, "128.0.0.0", 1);
	check_parse("10.0.0.3/31", AF_INET, "10.0.0.2", 31);
	check_parse("2001:db8:ffff::1/33", AF_INET6, "2001:db8:8000::", 33);
	check_parse("2001:db8::ffff/127", AF_INET6, "2001:db8::fffe", 127);
}

NBTEST(cidr_parse_v4mapped)
{
	check_parse("::ffff:10.0.0.0/104", AF_INET, "10.0.0.0", 8);
	check_parse("::ffff:10.1.2.3/104", AF_INET, "10.0.0.0", 8);
	check_parse("::ffff:10.1.2.3", AF_INET, "10.1.2.3", 32);
	check_parse("::ffff:0.0.0.0/96", AF_INET, "0.0.0.0", 0);
	/* Under /96 the prefix covers more than the mapped range. */
	check_parse("::ffff:0:0/95", AF_INET6, "::fffe:0:0", 95);
}

NBTEST(cidr_format_round_trip)
{
	static const char *const in[][2] = {
		{ "10.1.2.3/8", "10.0.0.0/8" },
		{ "192.0.2.1", "192.0.2.1/32" },
		{ "0.0.0.0/0", "0.0.0.0/0" },
		{ "2001:DB8::1/64", "2001:db8::/64" },
		{ "::1", "::1/128" },
		{ "::/0", "::/0" },
		{ "::ffff:10.0.0.0/104", "10.0.0.0/8" },
	};
	char buf[64], buf2[64];

	for (size_t i = 0; i < ARRAY_SIZE(in); i++) {
		struct cidr a = must_parse(in[i][0]), b;

		ASSERT_TRUE(cidr_format(&a, buf, sizeof(buf)) == buf);
		ASSERT_STREQ(buf, in[i][1]);
		b = must_parse(buf);
		ASSERT_EQ(memcmp(&a, &b, sizeof(a)), 0);
		ASSERT_STREQ(cidr_format(&b, buf2, sizeof(buf2)), buf);
	}
	/* A short buffer is truncated, never overrun. */
	{
		struct cidr c = must_parse("192.0.2.0/24");
		char small[8];

		memset(small, 'x', sizeof(small));
		cidr_format(&c, small, 5);
		ASSERT_STREQ(small, "192.");
		ASSERT_EQ(small[5], 'x');
	}
}

/* Does the CIDR @cidr contain the address @addr (either family)? */
static bool contains(const char *cidr, const char *addr)
{
	struct cidr c = must_parse(cidr);
	uint8_t a[16] = { 0 };
	int family = strchr(addr, ':') ? AF_INET6 : AF_INET;

	ASSERT_EQ(inet_pton(family, addr, a), 1);
	return cidr_contains(&c, family, a);
}

NBTEST(cidr_contains_v4_boundaries)
{
	ASSERT_TRUE(contains("0.0.0.0/0", "0.0.0.0"));
	ASSERT_TRUE(contains("0.0.0.0/0", "255.255.255.255"));
	ASSERT_TRUE(contains("0.0.0.0/1", "127.255.255.255"));
	ASSERT_TRUE(!contains("0.0.0.0/1", "128.0.0.0"));
	ASSERT_TRUE(contains("128.0.0.0/1", "255.255.255.255"));
	ASSERT_TRUE(!contains("128.0.0.0/1", "127.255.255.255"));
	ASSERT_TRUE(contains("10.0.0.0/7", "11.255.255.255"));
	ASSERT_TRUE(!contains("10.0.0.0/7", "12.0.0.0"));
	ASSERT_TRUE(!contains("10.0.0.0/7", "9.255.255.255"));
	ASSERT_TRUE(contains("10.0.0.0/8", "10.0.0.0"));
	ASSERT_TRUE(contains("10.0.0.0/8", "10.255.255.255"));
	ASSERT_TRUE(!contains("10.0.0.0/8", "11.0.0.0"));
	ASSERT_TRUE(!contains("10.0.0.0/8", "9.255.255.255"));
	ASSERT_TRUE(contains("10.0.0.0/9", "10.127.255.255"));
	ASSERT_TRUE(!contains("10.0.0.0/9", "10.128.0.0"));
	ASSERT_TRUE(contains("10.128.0.0/9", "10.128.0.0"));
	ASSERT_TRUE(!contains("10.128.0.0/9", "10.127.255.255"));
	ASSERT_TRUE(contains("10.0.0.2/31", "10.0.0.3"));
	ASSERT_TRUE(!contains("10.0.0.2/31", "10.0.0.1"));
	ASSERT_TRUE(!contains("10.0.0.2/31", "10.0.0.4"));
	ASSERT_TRUE(contains("10.0.0.1/32", "10.0.0.1"));
	ASSERT_TRUE(!contains("10.0.0.1/32", "10.0.0.0"));
	ASSERT_TRUE(!contains("10.0.0.1/32", "10.0.0.2"));
	ASSERT_TRUE(!contains("10.0.0.1/32", "138.0.0.1"));
}

NBTEST(cidr_contains_v6_boundaries)
{
	ASSERT_TRUE(contains("::/0", "::"));
	ASSERT_TRUE(
		contains("::/0", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
	ASSERT_TRUE(contains("::/1", "7fff::1"));
	ASSERT_TRUE(!contains("::/1", "8000::"));
	ASSERT_TRUE(contains("2001:db8::/32", "2001:db8:ffff:ffff::1"));
	ASSERT_TRUE(!contains("2001:db8::/32", "2001:db9::"));
	ASSERT_TRUE(contains("2001:db8::/33", "2001:db8:7fff::"));
	ASSERT_TRUE(!contains("2001:db8::/33", "2001:db8:8000::"));
	ASSERT_TRUE(contains("2001:db8::/127", "2001:db8::1"));
	ASSERT_TRUE(!contains("2001:db8::/127", "2001:db8::2"));
	ASSERT_TRUE(contains("2001:db8::1/128", "2001:db8::1"));
	ASSERT_TRUE(!contains("2001:db8::1/128", "2001:db8::"));
	ASSERT_TRUE(!contains("2001:db8::1/128", "2001:db8::3"));
	ASSERT_TRUE(!contains("2001:db8::1/128", "2001:db8:1::1"));
}

NBTEST(cidr_contains_family_mismatch)
{
	ASSERT_TRUE(!contains("0.0.0.0/0", "::"));
	ASSERT_TRUE(!contains("0.0.0.0/0", "2001:db8::1"));
	ASSERT_TRUE(!contains("::/0", "0.0.0.0"));
	ASSERT_TRUE(!contains("::/0", "10.0.0.1"));
}

/* Classify @addr (v4 or v6 text) with port 80 and the full sockaddr size. */
static enum policy_dest classify(const struct policy *p, const char *addr)
{
	if (strchr(addr, ':')) {
		struct sockaddr_in6 s6 = { .sin6_family = AF_INET6,
					   .sin6_port = htons(80) };

		ASSERT_EQ(inet_pton(AF_INET6, addr, &s6.sin6_addr), 1);
		return policy_classify(p, (struct sockaddr *)&s6, sizeof(s6));
	} else {
		struct sockaddr_in s4 = { .sin_family = AF_INET,
					  .sin_port = htons(80) };

		ASSERT_EQ(inet_pton(AF_INET, addr, &s4.sin_addr), 1);
		return policy_classify(p, (struct sockaddr *)&s4, sizeof(s4));
	}
}

struct verdict {
	const char *addr;
	enum policy_dest want;
};

static void check_verdicts(const struct policy *p, const struct verdict *v,
			   size_t n)
{
	for (size_t i = 0; i < n; i++) {
		enum policy_dest d = classify(p, v[i].addr);

		if (d != v[i].want)
			nbtest_fail(__FILE__, __LINE__, "%s: %s, want %s",
				    v[i].addr, policy_dest_to_string(d),
				    policy_dest_to_string(v[i].want));
	}
}

static const struct verdict builtin_v4[] = {
	{ "127.0.0.1", POLICY_DEST_LOOPBACK },
	{ "127.255.255.254", POLICY_DEST_LOOPBACK },
	{ "0.0.0.0", POLICY_DEST_UNSPECIFIED },
	{ "0.1.2.3", POLICY_DEST_UNSPECIFIED },
	{ "169.254.1.1", POLICY_DEST_LINKLOCAL },
	{ "224.0.0.1", POLICY_DEST_MULTICAST },
	{ "239.255.255.255", POLICY_DEST_MULTICAST },
	{ "240.0.0.1", POLICY_DEST_RESERVED },
	{ "255.255.255.255", POLICY_DEST_MULTICAST },
	{ "10.99.0.1", POLICY_DEST_BYPASS },
	{ "126.255.255.255", POLICY_DEST_BYPASS },
	{ "128.0.0.1", POLICY_DEST_BYPASS },
	{ "169.253.255.255", POLICY_DEST_BYPASS },
	{ "223.255.255.255", POLICY_DEST_BYPASS },
};

static const struct verdict builtin_v6[] = {
	{ "::1", POLICY_DEST_LOOPBACK },
	{ "::", POLICY_DEST_UNSPECIFIED },
	{ "::ffff:127.0.0.1", POLICY_DEST_LOOPBACK },
	{ "::ffff:0.0.0.0", POLICY_DEST_UNSPECIFIED },
	{ "::ffff:169.254.1.1", POLICY_DEST_LINKLOCAL },
	{ "::ffff:224.0.0.1", POLICY_DEST_MULTICAST },
	{ "::ffff:10.99.0.1", POLICY_DEST_BYPASS },
	{ "::127.0.0.1", POLICY_DEST_RESERVED },
	{ "::10.0.0.1", POLICY_DEST_RESERVED },
	{ "fe80::1", POLICY_DEST_LINKLOCAL },
	{ "febf::1", POLICY_DEST_LINKLOCAL },
	{ "ff02::1", POLICY_DEST_MULTICAST },
	{ "fd99::1", POLICY_DEST_BYPASS },
	{ "2001:db8::1", POLICY_DEST_BYPASS },
};

NBTEST(policy_classify_builtin_v4)
{
	struct policy p;

	policy_init(&p);
	check_verdicts(&p, builtin_v4, ARRAY_SIZE(builtin_v4));
}

NBTEST(policy_classify_builtin_v6)
{
	struct policy p;

	policy_init(&p);
	check_verdicts(&p, builtin_v6, ARRAY_SIZE(builtin_v6));
}

NBTEST(policy_ignore)
{
	static const struct verdict v[] = {
		{ "10.99.0.1", POLICY_DEST_IGNORED },
		{ "10.99.255.255", POLICY_DEST_IGNORED },
		{ "10.100.0.1", POLICY_DEST_BYPASS },
		{ "192.0.2.1", POLICY_DEST_IGNORED },
		{ "192.0.2.2", POLICY_DEST_BYPASS },
		{ "fd99::1", POLICY_DEST_IGNORED },
		{ "fd98::1", POLICY_DEST_BYPASS },
		{ "2001:db8::1", POLICY_DEST_BYPASS },
	};
	struct policy p;
	struct cidr c;

	policy_init(&p);
	c = must_parse("10.99.0.0/16");
	ASSERT_EQ(policy_add_ignore(&p, &c), 0);
	c = must_parse("192.0.2.1");
	ASSERT_EQ(policy_add_ignore(&p, &c), 0);
	c = must_parse("fd99::/16");
	ASSERT_EQ(policy_add_ignore(&p, &c), 0);
	check_verdicts(&p, v, ARRAY_SIZE(v));
}

NBTEST(policy_ignore_everything)
{
	static const struct verdict v[] = {
		{ "10.99.0.1", POLICY_DEST_IGNORED },
		{ "8.8.8.8", POLICY_DEST_IGNORED },
		{ "::ffff:10.99.0.1", POLICY_DEST_IGNORED },
		/* ::/0 was not ignored: IPv6 is still bypassed. */
		{ "2001:db8::1", POLICY_DEST_BYPASS },
	};
	struct policy p;
	struct cidr c;

	policy_init(&p);
	c = must_parse("0.0.0.0/0");
	ASSERT_EQ(policy_add_ignore(&p, &c), 0);
	check_verdicts(&p, v, ARRAY_SIZE(v));

	c = must_parse("::/0");
	ASSERT_EQ(policy_add_ignore(&p, &c), 0);
	ASSERT_EQ(classify(&p, "2001:db8::1"), POLICY_DEST_IGNORED);
	ASSERT_EQ(classify(&p, "fd99::1"), POLICY_DEST_IGNORED);
	/* Nothing at all is bypassed any more. */
	for (size_t i = 0; i < ARRAY_SIZE(builtin_v4); i++)
		ASSERT_TRUE(classify(&p, builtin_v4[i].addr) !=
			    POLICY_DEST_BYPASS);
	for (size_t i = 0; i < ARRAY_SIZE(builtin_v6); i++)
		ASSERT_TRUE(classify(&p, builtin_v6[i].addr) !=
			    POLICY_DEST_BYPASS);
}

NBTEST(policy_ignore_keeps_builtin_reason)
{
	static const char *const wide[] = { "0.0.0.0/0", "127.0.0.0/8", "::/0",
					    "::1" };
	struct policy p;

	policy_init(&p);
	for (size_t i = 0; i < ARRAY_SIZE(wide); i++) {
		struct cidr c = must_parse(wide[i]);

		ASSERT_EQ(policy_add_ignore(&p, &c), 0);
	}
	/* The built-in verdicts are unchanged, reason included. */
	for (size_t i = 0; i < ARRAY_SIZE(builtin_v4); i++)
		if (builtin_v4[i].want != POLICY_DEST_BYPASS)
			check_verdicts(&p, &builtin_v4[i], 1);
	ASSERT_EQ(classify(&p, "::1"), POLICY_DEST_LOOPBACK);
	ASSERT_EQ(classify(&p, "::ffff:127.0.0.1"), POLICY_DEST_LOOPBACK);
	ASSERT_EQ(classify(&p, "fe80::1"), POLICY_DEST_LINKLOCAL);
}

NBTEST(policy_ignore_v4_matches_mapped)
{
	struct policy p;
	struct cidr c;

	policy_init(&p);
	c = must_parse("10.99.0.0/16");
	ASSERT_EQ(policy_add_ignore(&p, &c), 0);
	ASSERT_EQ(classify(&p, "::ffff:10.99.0.1"), POLICY_DEST_IGNORED);
	ASSERT_EQ(classify(&p, "::ffff:10.98.0.1"), POLICY_DEST_BYPASS);

	/* And a mapped-form ignore matches the plain IPv4 address. */
	policy_init(&p);
	c = must_parse("::ffff:10.99.0.0/112");
	ASSERT_EQ(policy_add_ignore(&p, &c), 0);
	ASSERT_EQ(classify(&p, "10.99.0.1"), POLICY_DEST_IGNORED);
	ASSERT_EQ(classify(&p, "::ffff:10.99.0.1"), POLICY_DEST_IGNORED);
	ASSERT_EQ(classify(&p, "10.98.0.1"), POLICY_DEST_BYPASS);
}

NBTEST(policy_ignore_bound)
{
	struct policy p;
	struct cidr c;

	policy_init(&p);
	for (unsigned int i = 0; i < POLICY_LIST_MAX; i++) {
		char s[32];

		snprintf(s, sizeof(s), "10.%u.%u.0/24", i / 256, i % 256);
		c = must_parse(s);
		ASSERT_EQ(policy_add_ignore(&p, &c), 0);
	}
	c = must_parse("192.0.2.0/24");
	ASSERT_EQ(policy_add_ignore(&p, &c), -ENOSPC);
	ASSERT_EQ(p.n_ignore, POLICY_LIST_MAX);
	ASSERT_EQ(classify(&p, "192.0.2.1"), POLICY_DEST_BYPASS);
	/* The last one that fit is still matched. */
	ASSERT_EQ(classify(&p, "10.0.255.1"), POLICY_DEST_IGNORED);
}

/* Add @s to @list: a CIDR, or a bare address as a full-length one. */
static void view_add(struct cidr *list, size_t *n, const char *s)
{
	list[(*n)++] = must_parse(s);
}

/* pasta's copy: the host's LAN 192.168.1.0/24 with the host's address
 * and gateway, beside a network of the container's own (a bridge). */
static void pasta_views(struct policy_view *in, struct policy_view *host)
{
	memset(in, 0, sizeof(*in));
	memset(host, 0, sizeof(*host));
	view_add(host->subnets, &host->n_subnets, "192.168.1.0/24");
	view_add(host->subnets, &host->n_subnets, "172.17.0.0/16");
	view_add(host->addrs, &host->n_addrs, "192.168.1.10");
	view_add(host->addrs, &host->n_addrs, "172.17.0.1");
	view_add(host->gateways, &host->n_gateways, "192.168.1.254");
	view_add(in->subnets, &in->n_subnets, "192.168.1.0/24");
	view_add(in->subnets, &in->n_subnets, "10.88.0.0/16");
	view_add(in->subnets, &in->n_subnets, "172.17.0.0/16");
	view_add(in->addrs, &in->n_addrs, "192.168.1.10");
	view_add(in->addrs, &in->n_addrs, "10.88.0.5");
	view_add(in->addrs, &in->n_addrs, "172.17.0.5");
	view_add(in->gateways, &in->n_gateways, "192.168.1.254");
	view_add(in->gateways, &in->n_gateways, "172.17.0.1");
}

NBTEST(policy_mirrored_subnets)
{
	static struct policy_view in, host;
	static struct policy p;

	policy_init(&p);
	pasta_views(&in, &host);
	policy_set_view(&p, &in, &host);
	/* The host's LAN, copied by pasta: its peers are bypassed... */
	ASSERT_EQ(classify(&p, "192.168.1.20"), POLICY_DEST_BYPASS);
	ASSERT_EQ(classify(&p, "::ffff:192.168.1.20"), POLICY_DEST_BYPASS);
	/* ...but not the container's own address, nor the gateway, which
	 * pasta maps to the host itself. */
	ASSERT_EQ(classify(&p, "192.168.1.10"), POLICY_DEST_LOCAL);
	ASSERT_EQ(classify(&p, "192.168.1.254"), POLICY_DEST_LOCAL);
	/* A network only inside stays inside. */
	ASSERT_EQ(classify(&p, "10.88.0.9"), POLICY_DEST_SUBNET);
	/* The host has 172.17.0.0/16 too (docker0), but shares neither an
	 * address nor a gateway of it with the container: inside. */
	ASSERT_EQ(classify(&p, "172.17.0.9"), POLICY_DEST_SUBNET);
	/* --ignore still wins on a mirrored subnet. */
	{
		struct cidr c = must_parse("192.168.1.128/25");

		ASSERT_EQ(policy_add_ignore(&p, &c), 0);
		ASSERT_EQ(classify(&p, "192.168.1.200"), POLICY_DEST_IGNORED);
		ASSERT_EQ(classify(&p, "192.168.1.20"), POLICY_DEST_BYPASS);
	}
	/* The override: none keeps every subnet inside, all bypasses
	 * every one but the local addresses. */
	p.mirrored_mode = POLICY_MIRRORED_NEVER;
	ASSERT_EQ(classify(&p, "192.168.1.20"), POLICY_DEST_SUBNET);
	p.mirrored_mode = POLICY_MIRRORED_ALWAYS;
	ASSERT_EQ(classify(&p, "10.88.0.9"), POLICY_DEST_BYPASS);
	ASSERT_EQ(classify(&p, "10.88.0.5"), POLICY_DEST_LOCAL);
	ASSERT_EQ(classify(&p, "172.17.0.1"), POLICY_DEST_LOCAL);
	/* Without the host's view nothing is mirrored. */
	p.mirrored_mode = POLICY_MIRRORED_AUTO;
	policy_set_view(&p, &in, NULL);
	ASSERT_EQ(classify(&p, "192.168.1.20"), POLICY_DEST_SUBNET);
	/* A pasta -a with another address: the gateway in common is enough. */
	in.addrs[0] = must_parse("192.168.1.77");
	policy_set_view(&p, &in, &host);
	ASSERT_EQ(classify(&p, "192.168.1.20"), POLICY_DEST_BYPASS);
	ASSERT_EQ(classify(&p, "192.168.1.10"), POLICY_DEST_BYPASS);
	ASSERT_EQ(classify(&p, "192.168.1.77"), POLICY_DEST_LOCAL);
	/* Neither in common (slirp4netns's 10.0.2.0/24 on a host that has
	 * it too, other gateway): inside. */
	in.gateways[0] = must_parse("192.168.1.2");
	policy_set_view(&p, &in, &host);
	ASSERT_EQ(classify(&p, "192.168.1.20"), POLICY_DEST_SUBNET);
	/* A destination on a mirrored and on an inside-only subnet stays
	 * inside. */
	pasta_views(&in, &host);
	view_add(in.subnets, &in.n_subnets, "192.168.0.0/16");
	policy_set_view(&p, &in, &host);
	ASSERT_EQ(classify(&p, "192.168.1.20"), POLICY_DEST_SUBNET);
	/* policy_set_subnets() (nsagent's reports) marks nothing mirrored. */
	pasta_views(&in, &host);
	policy_set_view(&p, &in, &host);
	ASSERT_EQ(policy_set_subnets(&p, in.subnets, in.n_subnets), 0);
	ASSERT_EQ(classify(&p, "192.168.1.20"), POLICY_DEST_SUBNET);
}

NBTEST(policy_parse_mirrored)
{
	enum policy_mirrored m;

	ASSERT_EQ(policy_parse_mirrored("auto", &m), 0);
	ASSERT_EQ(m, POLICY_MIRRORED_AUTO);
	ASSERT_EQ(policy_parse_mirrored("none", &m), 0);
	ASSERT_EQ(m, POLICY_MIRRORED_NEVER);
	ASSERT_EQ(policy_parse_mirrored("all", &m), 0);
	ASSERT_EQ(m, POLICY_MIRRORED_ALWAYS);
	ASSERT_EQ(policy_parse_mirrored("always", &m), -EINVAL);
	ASSERT_EQ(policy_parse_mirrored("", &m), -EINVAL);
	ASSERT_EQ(policy_parse_mirrored(NULL, &m), -EINVAL);
}

NBTEST(policy_subnets)
{
	static struct cidr many[POLICY_LIST_MAX + 1];
	struct cidr set[2];
	struct policy p;

	policy_init(&p);
	set[0] = must_parse("10.88.0.0/16");
	set[1] = must_parse("fd88::/64");
	ASSERT_EQ(policy_set_subnets(&p, set, 2), 0);
	ASSERT_EQ(classify(&p, "10.88.0.5"), POLICY_DEST_SUBNET);
	ASSERT_EQ(classify(&p, "::ffff:10.88.0.5"), POLICY_DEST_SUBNET);
	ASSERT_EQ(classify(&p, "fd88::5"), POLICY_DEST_SUBNET);
	ASSERT_EQ(classify(&p, "10.89.0.5"), POLICY_DEST_BYPASS);
	/* Built-in ranges still win over a subnet that covers them. */
	set[0] = must_parse("0.0.0.0/0");
	ASSERT_EQ(policy_set_subnets(&p, set, 1), 0);
	ASSERT_EQ(classify(&p, "127.0.0.1"), POLICY_DEST_LOOPBACK);

	/* Replace, not append. */
	set[0] = must_parse("10.77.0.0/16");
	ASSERT_EQ(policy_set_subnets(&p, set, 1), 0);
	ASSERT_EQ(p.n_subnets, 1);
	ASSERT_EQ(classify(&p, "10.77.0.5"), POLICY_DEST_SUBNET);
	ASSERT_EQ(classify(&p, "10.88.0.5"), POLICY_DEST_BYPASS);
	ASSERT_EQ(classify(&p, "fd88::5"), POLICY_DEST_BYPASS);

	/* Too many: refused, and the old list stays. */
	for (size_t i = 0; i < ARRAY_SIZE(many); i++)
		many[i] = must_parse("192.0.2.0/24");
	ASSERT_EQ(policy_set_subnets(&p, many, POLICY_LIST_MAX + 1), -ENOSPC);
	ASSERT_EQ(p.n_subnets, 1);
	ASSERT_EQ(classify(&p, "10.77.0.5"), POLICY_DEST_SUBNET);
	ASSERT_EQ(classify(&p, "192.0.2.1"), POLICY_DEST_BYPASS);
	/* Exactly the maximum fits. */
	ASSERT_EQ(policy_set_subnets(&p, many, POLICY_LIST_MAX), 0);
	ASSERT_EQ(classify(&p, "192.0.2.1"), POLICY_DEST_SUBNET);
	ASSERT_EQ(classify(&p, "10.77.0.5"), POLICY_DEST_BYPASS);

	/* A subnet is reported as such even when also ignored. */
	set[0] = must_parse("10.66.0.0/16");
	ASSERT_EQ(policy_add_ignore(&p, &set[0]), 0);
	ASSERT_EQ(policy_set_subnets(&p, set, 1), 0);
	ASSERT_EQ(classify(&p, "10.66.0.1"), POLICY_DEST_SUBNET);

	/* An empty list clears it. */
	ASSERT_EQ(policy_set_subnets(&p, set, 0), 0);
	ASSERT_EQ(classify(&p, "192.0.2.1"), POLICY_DEST_BYPASS);
	ASSERT_EQ(classify(&p, "10.66.0.1"), POLICY_DEST_IGNORED);
}

NBTEST(policy_classify_invalid)
{
	struct sockaddr_in s4 = { .sin_family = AF_INET };
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6 };
	struct sockaddr_un su = { .sun_family = AF_UNIX, .sun_path = "/tmp/x" };
	struct policy p;

	policy_init(&p);
	ASSERT_EQ(inet_pton(AF_INET, "10.99.0.1", &s4.sin_addr), 1);
	ASSERT_EQ(inet_pton(AF_INET6, "2001:db8::1", &s6.sin6_addr), 1);

	ASSERT_EQ(policy_classify(&p, NULL, sizeof(s4)), POLICY_DEST_INVALID);
	ASSERT_EQ(policy_classify(&p, (struct sockaddr *)&s4, 0),
		  POLICY_DEST_INVALID);
	ASSERT_EQ(policy_classify(&p, (struct sockaddr *)&s4, 1),
		  POLICY_DEST_INVALID);
	ASSERT_EQ(policy_classify(&p, (struct sockaddr *)&s4, 15),
		  POLICY_DEST_INVALID);
	ASSERT_EQ(policy_classify(&p, (struct sockaddr *)&s4, 16),
		  POLICY_DEST_BYPASS);
	ASSERT_EQ(policy_classify(&p, (struct sockaddr *)&s6, 23),
		  POLICY_DEST_INVALID);
	ASSERT_EQ(policy_classify(&p, (struct sockaddr *)&s6, 24),
		  POLICY_DEST_BYPASS);
	ASSERT_EQ(policy_classify(&p, (struct sockaddr *)&s6, sizeof(s6)),
		  POLICY_DEST_BYPASS);
	/* A short IPv6 length under an IPv4-sized buffer. */
	ASSERT_EQ(policy_classify(&p, (struct sockaddr *)&s6, 16),
		  POLICY_DEST_INVALID);
	ASSERT_EQ(policy_classify(&p, (struct sockaddr *)&su, sizeof(su)),
		  POLICY_DEST_INVALID);
	su.sun_family = AF_UNSPEC;
	ASSERT_EQ(policy_classify(&p, (struct sockaddr *)&su, sizeof(su)),
		  POLICY_DEST_INVALID);
}

NBTEST(policy_dest_to_string)
{
	static const char *const want[] = {
		[POLICY_DEST_BYPASS] = "bypass",
		[POLICY_DEST_LOOPBACK] = "loopback",
		[POLICY_DEST_UNSPECIFIED] = "unspecified",
		[POLICY_DEST_LINKLOCAL] = "link-local",
		[POLICY_DEST_MULTICAST] = "multicast",
		[POLICY_DEST_RESERVED] = "reserved",
		[POLICY_DEST_SUBNET] = "container-subnet",
		[POLICY_DEST_LOCAL] = "container-or-pasta-host",
		[POLICY_DEST_IGNORED] = "ignored",
		[POLICY_DEST_INVALID] = "invalid",
	};

	ASSERT_EQ(ARRAY_SIZE(want), POLICY_DEST_MAX);
	for (int i = 0; i < POLICY_DEST_MAX; i++)
		ASSERT_STREQ(policy_dest_to_string(i), want[i]);
	ASSERT_STREQ(policy_dest_to_string(POLICY_DEST_MAX), "?");
	ASSERT_STREQ(policy_dest_to_string(POLICY_DEST_MAX + 100), "?");
	ASSERT_STREQ(policy_dest_to_string((enum policy_dest) - 1), "?");
}

static const struct nbtest tests[] = {
	NBTEST_ENTRY(cidr_parse_v4),
	NBTEST_ENTRY(cidr_parse_v6),
	NBTEST_ENTRY(cidr_parse_bare_is_host),
	NBTEST_ENTRY(cidr_parse_prefix_zero),
	NBTEST_ENTRY(cidr_parse_bad),
	NBTEST_ENTRY(cidr_parse_clears_host_bits),
	NBTEST_ENTRY(cidr_parse_v4mapped),
	NBTEST_ENTRY(cidr_format_round_trip),
	NBTEST_ENTRY(cidr_contains_v4_boundaries),
	NBTEST_ENTRY(cidr_contains_v6_boundaries),
	NBTEST_ENTRY(cidr_contains_family_mismatch),
	NBTEST_ENTRY(policy_classify_builtin_v4),
	NBTEST_ENTRY(policy_classify_builtin_v6),
	NBTEST_ENTRY(policy_ignore),
	NBTEST_ENTRY(policy_ignore_everything),
	NBTEST_ENTRY(policy_ignore_keeps_builtin_reason),
	NBTEST_ENTRY(policy_ignore_v4_matches_mapped),
	NBTEST_ENTRY(policy_ignore_bound),
	NBTEST_ENTRY(policy_subnets),
	NBTEST_ENTRY(policy_mirrored_subnets),
	NBTEST_ENTRY(policy_parse_mirrored),
	NBTEST_ENTRY(policy_classify_invalid),
	NBTEST_ENTRY(policy_dest_to_string),
};

int main(void)
{
	return nbtest_run(tests, ARRAY_SIZE(tests));
}
