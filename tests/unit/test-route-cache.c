// SPDX-License-Identifier: Apache-2.0
/*
 * test-route-cache.c - the route cache against a real kernel: answers are
 * remembered, loopback is not, and a real route change empties it.
 *
 * The process moves to its own user and network namespace, where it may
 * make a veth pair and change routes with ip(8), as root in CI and as a
 * normal user alike.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nbtest.h"
#include "route-cache.h"
#include "route.h"
#include "util.h"

static bool netns_ready;

static int write_file(const char *path, const char *s)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	return write(fd, s, strlen(s)) == (ssize_t)strlen(s) ? 0 : -EIO;
}

/* Root of a new user namespace, in a new network namespace with a veth. */
static void enter_netns(void)
{
	char map[64];
	uid_t uid = getuid();
	gid_t gid = getgid();

	if (netns_ready)
		return;
	if (unshare(CLONE_NEWUSER | CLONE_NEWNET) < 0)
		nbtest_skip("no user+network namespace (unshare failed)");
	snprintf(map, sizeof(map), "0 %u 1", (unsigned int)uid);
	ASSERT_OK(write_file("/proc/self/uid_map", map));
	ASSERT_OK(write_file("/proc/self/setgroups", "deny"));
	snprintf(map, sizeof(map), "0 %u 1", (unsigned int)gid);
	ASSERT_OK(write_file("/proc/self/gid_map", map));
	if (system("ip link set lo up && ip link add rc0 type veth peer name rc1 &&"
		   " ip addr add 10.77.0.1/24 dev rc0 && ip link set rc0 up &&"
		   " ip link set rc1 up") != 0)
		nbtest_skip("ip(8) could not make a veth in the namespace");
	netns_ready = true;
}

static struct sockaddr_in v4(const char *a)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };

	inet_pton(AF_INET, a, &sa.sin_addr);
	return sa;
}

/* Wait until the monitor has something to read, then drain it. */
static void drain_after_change(struct route_cache *c)
{
	struct pollfd p = { .fd = route_cache_monitor_fd(c), .events = POLLIN };

	ASSERT_EQ(poll(&p, 1, 2000), 1);
	route_cache_drain(c);
}

/*
 * The veth's late events first: its carrier comes up through the kernel's
 * linkwatch, up to a second after `ip link set up` (a CI run on a loaded
 * machine saw one after the first drain). Quiet for 300 ms, 5 s at most.
 */
static void wait_for_quiet(struct route_cache *c)
{
	for (uint64_t t0 = nbtest_now_ms(), quiet = t0;
	     nbtest_now_ms() - quiet < 300 && nbtest_now_ms() - t0 < 5000;) {
		uint64_t before = c->flushes;

		route_cache_drain(c);
		if (c->flushes != before)
			quiet = nbtest_now_ms();
		usleep(10 * 1000);
	}
}

NBTEST(cached_until_a_route_changes)
{
	_cleanup_close_ int nl = -1;
	struct route_cache c;
	struct sockaddr_in d = v4("10.77.0.2");
	int ifindex = 0, rc0;
	uint64_t flushes;

	enter_netns();
	rc0 = (int)if_nametoindex("rc0");
	ASSERT_TRUE(rc0 > 1);
	nl = route_open();
	ASSERT_TRUE(nl >= 0);
	ASSERT_OK(route_cache_init(&c));
	wait_for_quiet(&c);
	flushes = c.flushes;
	route_cache_drain(&c); /* nothing pending: nothing flushed */
	ASSERT_EQ(c.flushes, flushes);

	ASSERT_OK(route_cache_device(&c, nl, (struct sockaddr *)&d, &ifindex));
	ASSERT_EQ(ifindex, rc0);
	ASSERT_EQ(c.lookups, 1);
	ifindex = 0;
	ASSERT_OK(route_cache_device(&c, nl, (struct sockaddr *)&d, &ifindex));
	ASSERT_EQ(ifindex, rc0);
	ASSERT_EQ(c.lookups, 1); /* from the cache */

	/* A more specific route through the other end of the pair. */
	ASSERT_EQ(system("ip route add 10.77.0.2/32 dev rc1"), 0);
	drain_after_change(&c);
	ASSERT_TRUE(c.flushes >= 1);
	ASSERT_OK(route_cache_device(&c, nl, (struct sockaddr *)&d, &ifindex));
	ASSERT_EQ(c.lookups, 2);
	ASSERT_EQ(ifindex, (int)if_nametoindex("rc1"));
	ASSERT_EQ(system("ip route del 10.77.0.2/32 dev rc1"), 0);
	drain_after_change(&c);
	ASSERT_OK(route_cache_device(&c, nl, (struct sockaddr *)&d, &ifindex));
	ASSERT_EQ(ifindex, rc0);
	route_cache_fini(&c);
}

NBTEST(loopback_is_never_cached)
{
	_cleanup_close_ int nl = -1;
	struct route_cache c;
	struct sockaddr_in lo = v4("127.0.0.1"), own = v4("10.77.0.1");
	int ifindex = 0;

	enter_netns();
	nl = route_open();
	ASSERT_TRUE(nl >= 0);
	ASSERT_OK(route_cache_init(&c));
	for (int i = 0; i < 3; i++) {
		ASSERT_OK(route_cache_device(&c, nl, (struct sockaddr *)&lo,
					     &ifindex));
		ASSERT_EQ(ifindex, ROUTE_LOOPBACK_IFINDEX);
	}
	ASSERT_EQ(c.lookups, 3);
	/* An address of our own: the device that owns it (not lo). */
	ASSERT_OK(
		route_cache_device(&c, nl, (struct sockaddr *)&own, &ifindex));
	ASSERT_EQ(ifindex, (int)if_nametoindex("rc0"));
	route_cache_fini(&c);
}

NBTEST(lru_keeps_the_recent_ones)
{
	_cleanup_close_ int nl = -1;
	struct route_cache c;
	char a[32];
	int ifindex;

	enter_netns();
	nl = route_open();
	ASSERT_TRUE(nl >= 0);
	ASSERT_OK(route_cache_init(&c));
	/* One more destination than fits: the first is evicted. */
	for (int i = 0; i <= ROUTE_CACHE_SIZE; i++) {
		struct sockaddr_in d;

		snprintf(a, sizeof(a), "10.77.0.%d", 10 + i);
		d = v4(a);
		ASSERT_OK(route_cache_device(&c, nl, (struct sockaddr *)&d,
					     &ifindex));
	}
	ASSERT_EQ(c.lookups, ROUTE_CACHE_SIZE + 1);
	{
		struct sockaddr_in last = v4(a), first = v4("10.77.0.10");

		ASSERT_OK(route_cache_device(&c, nl, (struct sockaddr *)&last,
					     &ifindex));
		ASSERT_EQ(c.lookups, ROUTE_CACHE_SIZE + 1);
		ASSERT_OK(route_cache_device(&c, nl, (struct sockaddr *)&first,
					     &ifindex));
		ASSERT_EQ(c.lookups, ROUTE_CACHE_SIZE + 2);
	}
	route_cache_fini(&c);
}

NBTEST(no_fd_left_behind)
{
	struct route_cache c;
	int before = nbtest_count_fds();

	ASSERT_OK(route_cache_init(&c));
	ASSERT_TRUE(route_cache_monitor_fd(&c) >= 0);
	route_cache_fini(&c);
	route_cache_fini(&c); /* twice is harmless */
	ASSERT_EQ(nbtest_count_fds(), before);
}

int main(void)
{
	static const struct nbtest tests[] = {
		NBTEST_ENTRY(cached_until_a_route_changes),
		NBTEST_ENTRY(loopback_is_never_cached),
		NBTEST_ENTRY(lru_keeps_the_recent_ones),
		NBTEST_ENTRY(no_fd_left_behind),
	};

	return nbtest_run(tests, ARRAY_SIZE(tests));
}
