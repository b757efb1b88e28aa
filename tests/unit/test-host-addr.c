// SPDX-License-Identifier: Apache-2.0
/*
 * test-host-addr.c - which of the host's addresses a host socket aims at
 * to reach a wildcard host listener (host-addr.h): global scope, not on
 * lo, usable, the first of each family; and a real dump agrees.
 */
#include <arpa/inet.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <string.h>

#include "host-addr.h"
#include "nbtest.h"
#include "util.h"

static const uint8_t a4[4] = { 192, 0, 2, 2 };
static const uint8_t b4[4] = { 198, 51, 100, 7 };
static uint8_t a6[16], b6[16];

static void addrs6(void)
{
	inet_pton(AF_INET6, "2001:db8::2", a6);
	inet_pton(AF_INET6, "2001:db8::7", b6);
}

NBTEST(first_global_of_each_family)
{
	struct service_host h = { 0 };

	addrs6();
	host_addr_consider(&h, AF_INET, RT_SCOPE_UNIVERSE, 2, 0, a4);
	host_addr_consider(&h, AF_INET, RT_SCOPE_UNIVERSE, 3, 0, b4);
	host_addr_consider(&h, AF_INET6, RT_SCOPE_UNIVERSE, 2, 0, a6);
	host_addr_consider(&h, AF_INET6, RT_SCOPE_UNIVERSE, 3, 0, b6);
	ASSERT_TRUE(h.has_v4 && h.has_v6);
	ASSERT_EQ(memcmp(h.v4, a4, 4), 0);
	ASSERT_EQ(memcmp(h.v6, a6, 16), 0);
}

NBTEST(loopback_link_and_unusable_are_skipped)
{
	static const uint8_t lo4[4] = { 127, 0, 0, 1 };
	struct service_host h = { 0 };
	uint8_t ll[16], lo6[16];

	addrs6();
	inet_pton(AF_INET6, "fe80::1", ll);
	inet_pton(AF_INET6, "::1", lo6);
	/* lo's addresses: host scope, and its device, either excludes */
	host_addr_consider(&h, AF_INET, RT_SCOPE_HOST, 1, 0, lo4);
	host_addr_consider(&h, AF_INET, RT_SCOPE_UNIVERSE, 1, 0, b4);
	host_addr_consider(&h, AF_INET6, RT_SCOPE_HOST, 1, 0, lo6);
	host_addr_consider(&h, AF_INET6, RT_SCOPE_LINK, 2, 0, ll);
	host_addr_consider(&h, AF_INET6, RT_SCOPE_UNIVERSE, 2, IFA_F_TENTATIVE,
			   b6);
	host_addr_consider(&h, AF_INET6, RT_SCOPE_UNIVERSE, 2, IFA_F_DEPRECATED,
			   b6);
	host_addr_consider(&h, AF_INET6, RT_SCOPE_UNIVERSE, 2, IFA_F_DADFAILED,
			   b6);
	host_addr_consider(&h, AF_PACKET, RT_SCOPE_UNIVERSE, 2, 0, b6);
	ASSERT_TRUE(!h.has_v4 && !h.has_v6);
	host_addr_consider(&h, AF_INET, RT_SCOPE_UNIVERSE, 2, 0, a4);
	host_addr_consider(&h, AF_INET6, RT_SCOPE_UNIVERSE, 2, IFA_F_NODAD, a6);
	ASSERT_TRUE(h.has_v4 && h.has_v6);
	ASSERT_EQ(memcmp(h.v4, a4, 4), 0);
	ASSERT_EQ(memcmp(h.v6, a6, 16), 0);
}

/* The real dump never yields loopback, and leaves no fd open. */
NBTEST(dump_of_this_host)
{
	int before = nbtest_count_fds();
	struct service_host h;

	ASSERT_OK(host_addr_read(&h));
	ASSERT_EQ(nbtest_count_fds(), before);
	if (h.has_v4)
		ASSERT_TRUE(h.v4[0] != 127);
	if (h.has_v6) {
		uint8_t lo6[16] = { [15] = 1 };

		ASSERT_TRUE(memcmp(h.v6, lo6, 16) != 0);
		ASSERT_TRUE(!(h.v6[0] == 0xfe && (h.v6[1] & 0xc0) == 0x80));
	}
}

int main(void)
{
	static const struct nbtest tests[] = {
		NBTEST_ENTRY(first_global_of_each_family),
		NBTEST_ENTRY(loopback_link_and_unusable_are_skipped),
		NBTEST_ENTRY(dump_of_this_host),
	};

	return nbtest_run(tests, ARRAY_SIZE(tests));
}
