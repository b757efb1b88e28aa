// SPDX-License-Identifier: Apache-2.0
/*
 * test-fallback.c - the fallback network's configuration: slirp4netns's
 * defaults and its --cidr rule (gateway .2, DNS .3, container .100); a
 * start that fails half-way frees what it made.
 */
#include <arpa/inet.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>
#include <uv.h>

#include "fallback.h"
#include "nbtest.h"
#include "util.h"

static const char *ip(struct in_addr a, char *buf)
{
	return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

NBTEST(defaults_are_slirp4netns)
{
	struct fallback_config c;
	char b[INET_ADDRSTRLEN];

	fallback_config_default(&c);
	ASSERT_STREQ(ip(c.network, b), "10.0.2.0");
	ASSERT_EQ(c.prefix, 24);
	ASSERT_STREQ(ip(c.host, b), "10.0.2.2");
	ASSERT_STREQ(ip(c.dns, b), "10.0.2.3");
	ASSERT_STREQ(ip(c.guest, b), "10.0.2.100");
	ASSERT_EQ(c.mtu, 65520);
	ASSERT_TRUE(!c.enable_host_loopback);
	ASSERT_TRUE(!c.enable_ipv6);
}

NBTEST(cidr_sets_addresses)
{
	struct fallback_config c;
	char b[INET_ADDRSTRLEN];

	fallback_config_default(&c);
	ASSERT_EQ(fallback_config_set_cidr(&c, "10.10.7.33/20"), 0);
	ASSERT_STREQ(ip(c.network, b), "10.10.0.0");
	ASSERT_EQ(c.prefix, 20);
	ASSERT_STREQ(ip(c.host, b), "10.10.0.2");
	ASSERT_STREQ(ip(c.dns, b), "10.10.0.3");
	ASSERT_STREQ(ip(c.guest, b), "10.10.0.100");
	ASSERT_EQ(fallback_config_set_cidr(&c, "192.168.5.0/25"), 0);
	ASSERT_STREQ(ip(c.guest, b), "192.168.5.100");
}

NBTEST(cidr_rejects_bad)
{
	static const char *const bad[] = {
		"10.0.2.0",    "10.0.2.0/", "10.0.2.0/26",  "10.0.2.0/0",
		"10.0.2.0/33", "fd00::/64", "10.0.2.0/24x", "garbage/24",
		"10.0.2.0/-1", "",
	};
	struct fallback_config c;

	fallback_config_default(&c);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		if (fallback_config_set_cidr(&c, bad[i]) != -EINVAL)
			nbtest_fail(__FILE__, __LINE__, "accepted \"%s\"",
				    bad[i]);
	/* A rejected CIDR leaves the configuration as it was. */
	ASSERT_EQ(c.prefix, 24);
}

/* A "tap" fd that is not open: the second poll's init fails (EBADF) and
 * the half-made fallback is closed and freed on the loop (the sanitizer
 * build sees a leak or a use of an unset handle); before, the failure was
 * ignored and the unset handle started. */
NBTEST(start_fails_cleanly)
{
	struct fallback_config c;
	struct fallback *f = NULL;
	uv_loop_t loop;
	int bad = 1000; /* above every fd this test opens */

	ASSERT_TRUE(fcntl(bad, F_GETFD) < 0);
	fallback_config_default(&c);
	ASSERT_EQ(uv_loop_init(&loop), 0);
	ASSERT_EQ(fallback_start(&loop, &c, bad, &f), UV_EBADF);
	ASSERT_TRUE(f == NULL);
	ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
	ASSERT_EQ(uv_loop_close(&loop), 0);
}

int main(void)
{
	static const struct nbtest tests[] = {
		NBTEST_ENTRY(defaults_are_slirp4netns),
		NBTEST_ENTRY(cidr_sets_addresses),
		NBTEST_ENTRY(cidr_rejects_bad),
		NBTEST_ENTRY(start_fails_cleanly),
	};

	return nbtest_run(tests, ARRAY_SIZE(tests));
}
