// SPDX-License-Identifier: Apache-2.0
/*
 * test-service-map.c - the service map: which published server a
 * connect() reaches from each vantage point (issue 12: the same network
 * namespace by 127.0.0.1, ::1, 0.0.0.0, ::, its own IPv4 and IPv6
 * addresses; another container by the server's addresses; a pod-mate,
 * whose agent asks with the same netns cookie, is the same namespace),
 * the cases of the point 4, where a host socket aims (never
 * loopback when something else takes the listener), and the proof of a
 * live listener against real sockets: a stale entry fails like a refused
 * connect.
 *
 * The last tests also pin the kernel facts the loopback exception relies
 * on (docs/design.md §3.4): a settled connected TCP socket cannot be
 * re-aimed with sendto(MSG_FASTOPEN), a connecting or failed one can.
 * They run in a private user and network namespace, or skip.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "nbtest.h"
#include "pending-connect.h"
#include "servicetest.h"
#include "socktest.h"
#include "service-map.h"
#include "sockdiag.h"
#include "util.h"

/* Container A (the server), its pod-mate sharing the namespace, and
 * containers B and C elsewhere. */
#define NS_A 0xa1
#define NS_B 0xb2
#define NS_C 0xc3
#define HOST_PORT 18091

static void add(struct service_map *m, uint64_t netns, const char *bind,
		uint16_t port, bool v6only, const char *host, uint16_t hport,
		uint64_t cookie)
{
	struct service_entry e = svctest_entry(netns, bind, port, v6only, host,
					       hport, cookie);

	ASSERT_OK(service_map_add(m, &e));
}

static void set_netns(struct service_map *m, uint64_t netns, bool c2c,
		      const char *a4, const char *a6)
{
	struct service_addr a[2];
	size_t n = 0;

	if (a4)
		a[n++] = svctest_addr(a4);
	if (a6)
		a[n++] = svctest_addr(a6);
	ASSERT_OK(service_map_set_netns(m, netns, a, n, c2c));
}

/* The cookie of the entry a connect() from @netns to @dst:@port reaches,
 * 0 for none (-ENOENT), -1 for an ambiguous address (-ENOTUNIQ). */
static long long reach(const struct service_map *m, uint64_t netns,
		       const char *dst, uint16_t port, bool v6only)
{
	struct sockaddr_storage d = nbtest_sockaddr(dst, port);
	const struct service_entry *e;
	int r = service_map_lookup(m, netns, (struct sockaddr *)&d,
				   nbtest_sockaddr_len(&d), v6only, &e);

	if (r == -ENOENT)
		return 0;
	if (r == -ENOTUNIQ)
		return -1;
	ASSERT_OK(r);
	return (long long)e->listener.cookie;
}

/* A server bound to :: (dual-stack), as `python3 -m http.server --bind
 * ::` in the issue: every vantage point of its namespace reaches it. */
NBTEST(same_namespace_vantage_points)
{
	struct service_map *m = service_map_new();

	ASSERT_TRUE(m != NULL);
	set_netns(m, NS_A, true, "10.0.2.100", "fd00::100");
	add(m, NS_A, "::", 18090, false, "::", HOST_PORT, 1);
	ASSERT_EQ(reach(m, NS_A, "127.0.0.1", 18090, false), 1);
	ASSERT_EQ(reach(m, NS_A, "127.0.0.2", 18090, false), 1);
	ASSERT_EQ(reach(m, NS_A, "0.0.0.0", 18090, false), 1);
	ASSERT_EQ(reach(m, NS_A, "::1", 18090, false), 1);
	ASSERT_EQ(reach(m, NS_A, "::", 18090, false), 1);
	ASSERT_EQ(reach(m, NS_A, "10.0.2.100", 18090, false), 1);
	ASSERT_EQ(reach(m, NS_A, "fd00::100", 18090, false), 1);
	/* An IPv6 socket to v4-mapped forms, unless it is IPV6_V6ONLY. */
	ASSERT_EQ(reach(m, NS_A, "::ffff:127.0.0.1", 18090, false), 1);
	ASSERT_EQ(reach(m, NS_A, "::ffff:10.0.2.100", 18090, false), 1);
	ASSERT_EQ(reach(m, NS_A, "::ffff:0.0.0.0", 18090, false), 1);
	ASSERT_EQ(reach(m, NS_A, "::ffff:127.0.0.1", 18090, true), 0);
	/* Not a service: another port, port 0, not an address of ours. */
	ASSERT_EQ(reach(m, NS_A, "127.0.0.1", 18091, false), 0);
	ASSERT_EQ(reach(m, NS_A, "127.0.0.1", 0, false), 0);
	ASSERT_EQ(reach(m, NS_A, "10.0.2.101", 18090, false), 0);
	ASSERT_EQ(reach(m, NS_A, "93.184.216.34", 18090, false), 0);
	service_map_free(m);
}

/* A server bound to 0.0.0.0 takes IPv4 only; one with IPV6_V6ONLY on ::
 * takes IPv6 only. */
NBTEST(family_of_the_server)
{
	struct service_map *m = service_map_new();

	set_netns(m, NS_A, true, "10.0.2.100", "fd00::100");
	add(m, NS_A, "0.0.0.0", 80, false, "0.0.0.0", 8080, 1);
	ASSERT_EQ(reach(m, NS_A, "127.0.0.1", 80, false), 1);
	ASSERT_EQ(reach(m, NS_A, "::ffff:127.0.0.1", 80, false), 1);
	ASSERT_EQ(reach(m, NS_A, "::1", 80, false), 0);
	ASSERT_EQ(reach(m, NS_A, "fd00::100", 80, false), 0);
	add(m, NS_A, "::", 81, true, "::", 8081, 2);
	ASSERT_EQ(reach(m, NS_A, "::1", 81, false), 2);
	ASSERT_EQ(reach(m, NS_A, "fd00::100", 81, false), 2);
	ASSERT_EQ(reach(m, NS_A, "127.0.0.1", 81, false), 0);
	ASSERT_EQ(reach(m, NS_A, "::ffff:127.0.0.1", 81, false), 0);
	service_map_free(m);
}

/* Issue 12 point 4: a server bound to one container address. */
NBTEST(server_bound_to_one_address)
{
	struct service_map *m = service_map_new();

	ASSERT_OK(service_map_set_netns(m, NS_A,
					(struct service_addr[]){
						svctest_addr("10.0.2.100"),
						svctest_addr("10.0.3.1"),
						svctest_addr("fd00::100") },
					3, true));
	set_netns(m, NS_B, true, "10.0.5.100", NULL);
	add(m, NS_A, "10.0.2.100", 80, false, "0.0.0.0", 8080, 1);
	add(m, NS_A, "fd00::100", 80, true, "::", 8080, 2);
	ASSERT_EQ(reach(m, NS_A, "10.0.2.100", 80, false), 1);
	ASSERT_EQ(reach(m, NS_A, "fd00::100", 80, false), 2);
	/* Not there in Linux either: loopback, another own address. */
	ASSERT_EQ(reach(m, NS_A, "127.0.0.1", 80, false), 0);
	ASSERT_EQ(reach(m, NS_A, "::1", 80, false), 0);
	ASSERT_EQ(reach(m, NS_A, "10.0.3.1", 80, false), 0);
	/* From B, by A's addresses. */
	ASSERT_EQ(reach(m, NS_B, "10.0.2.100", 80, false), 1);
	ASSERT_EQ(reach(m, NS_B, "fd00::100", 80, false), 2);
	ASSERT_EQ(reach(m, NS_B, "10.0.3.1", 80, false), 0);
	service_map_free(m);
}

/* Other containers: by the server's addresses only, with c2c on both
 * sides, never by loopback, and never when the address is ambiguous or
 * one of the client's own. */
NBTEST(other_containers)
{
	struct service_map *m = service_map_new();

	set_netns(m, NS_A, true, "10.88.0.2", "fd88::2");
	set_netns(m, NS_B, true, "10.88.0.3", "fd88::3");
	add(m, NS_A, "::", 80, false, "::", 8080, 1);
	add(m, NS_B, "0.0.0.0", 81, false, "0.0.0.0", 8081, 2);
	ASSERT_EQ(reach(m, NS_B, "10.88.0.2", 80, false), 1);
	ASSERT_EQ(reach(m, NS_B, "fd88::2", 80, false), 1);
	ASSERT_EQ(reach(m, NS_B, "::ffff:10.88.0.2", 80, false), 1);
	ASSERT_EQ(reach(m, NS_A, "10.88.0.3", 81, false), 2);
	/* B's loopback is B's: A's service is not there. */
	ASSERT_EQ(reach(m, NS_B, "127.0.0.1", 80, false), 0);
	ASSERT_EQ(reach(m, NS_B, "::1", 80, false), 0);
	/* A namespace the map has no record of does no c2c. */
	ASSERT_EQ(reach(m, NS_C, "10.88.0.2", 80, false), 0);

	/* Opted out (nsbypass.c2c=false): neither reached nor reaching. */
	set_netns(m, NS_A, false, "10.88.0.2", "fd88::2");
	ASSERT_EQ(reach(m, NS_B, "10.88.0.2", 80, false), 0);
	ASSERT_EQ(reach(m, NS_A, "10.88.0.3", 81, false), 0);
	ASSERT_EQ(reach(m, NS_A, "127.0.0.1", 80, false), 1); /* its own */
	set_netns(m, NS_A, true, "10.88.0.2", "fd88::2");

	/* Two others with the address (every `nsbypass run` has
	 * 10.0.2.100): no guess. */
	set_netns(m, NS_C, true, "10.88.0.2", NULL);
	ASSERT_EQ(reach(m, NS_B, "10.88.0.2", 80, false), -1);
	/* The client's own address is its own, whoever else has it. */
	set_netns(m, NS_C, true, "10.88.0.3", NULL);
	ASSERT_EQ(reach(m, NS_B, "10.88.0.3", 80, false), 0);
	ASSERT_EQ(reach(m, NS_C, "10.88.0.3", 81, false), 0);
	service_map_free(m);
}

/* SO_REUSEPORT (nginx `reuseport`): two host listeners per family, one
 * entry each; any member serves, all are ours. */
NBTEST(reuseport_groups)
{
	struct service_map *m = service_map_new();
	long long c;

	set_netns(m, NS_A, true, "10.0.2.100", "fd00::100");
	add(m, NS_A, "0.0.0.0", 80, false, "0.0.0.0", 8080, 11);
	add(m, NS_A, "0.0.0.0", 80, false, "0.0.0.0", 8080, 12);
	add(m, NS_A, "::", 80, true, "::", 8080, 13);
	add(m, NS_A, "::", 80, true, "::", 8080, 14);
	c = reach(m, NS_A, "127.0.0.1", 80, false);
	ASSERT_TRUE(c == 11 || c == 12);
	c = reach(m, NS_A, "::1", 80, false);
	ASSERT_TRUE(c == 13 || c == 14);
	for (uint64_t k = 11; k <= 14; k++)
		ASSERT_TRUE(service_map_owns(m, k));
	ASSERT_OK(service_map_remove(m, 11));
	ASSERT_EQ(reach(m, NS_A, "10.0.2.100", 80, false), 12);
	ASSERT_EQ(service_map_remove(m, 11), -ENOENT);
	service_map_free(m);
}

/* The kernel's preferences: a bound address over the wildcard (a
 * REUSEPORT pair may hold both), IPv4 over a dual-stack IPv6 socket. */
NBTEST(most_specific_server_wins)
{
	struct service_map *m = service_map_new();

	set_netns(m, NS_A, true, "10.0.2.100", NULL);
	add(m, NS_A, "0.0.0.0", 80, false, "0.0.0.0", 8080, 1);
	add(m, NS_A, "10.0.2.100", 80, false, "0.0.0.0", 8081, 2);
	ASSERT_EQ(reach(m, NS_A, "10.0.2.100", 80, false), 2);
	ASSERT_EQ(reach(m, NS_A, "127.0.0.1", 80, false), 1);
	add(m, NS_A, "::", 90, false, "::", 9090, 3);
	add(m, NS_A, "0.0.0.0", 90, false, "0.0.0.0", 9091, 4);
	ASSERT_EQ(reach(m, NS_A, "127.0.0.1", 90, false), 4);
	ASSERT_EQ(reach(m, NS_A, "::1", 90, false), 3);
	service_map_free(m);
}

/* Issue 12 point 4: one container port published twice (two host
 * ports): two listeners, either serves; a server that closes and opens
 * its port again: a new cookie, the old entry goes. */
NBTEST(published_twice_and_reopened)
{
	struct service_map *m = service_map_new();
	struct service_entry e = svctest_entry(NS_A, "0.0.0.0", 80, false,
					       "0.0.0.0", 8080, 21);
	long long c;

	set_netns(m, NS_A, true, "10.0.2.100", NULL);
	ASSERT_OK(service_map_add(m, &e));
	ASSERT_EQ(service_map_add(m, &e), -EEXIST);
	add(m, NS_A, "0.0.0.0", 80, false, "0.0.0.0", 8081, 22);
	c = reach(m, NS_A, "127.0.0.1", 80, false);
	ASSERT_TRUE(c == 21 || c == 22);
	ASSERT_OK(service_map_remove(m, (uint64_t)c));
	ASSERT_EQ(reach(m, NS_A, "127.0.0.1", 80, false), c == 21 ? 22 : 21);
	add(m, NS_A, "0.0.0.0", 80, false, "0.0.0.0", 8080, 23);
	ASSERT_OK(service_map_remove(m, c == 21 ? 22 : 21));
	ASSERT_EQ(reach(m, NS_A, "127.0.0.1", 80, false), 23);
	service_map_free(m);
}

/* Does the listener @cookie take a connect() from @netns's entry chosen
 * for @dst:@port (service_map_takes())? */
static bool takes(const struct service_map *m, uint64_t netns, const char *dst,
		  uint16_t port, uint64_t cookie)
{
	struct sockaddr_storage d = nbtest_sockaddr(dst, port);
	const struct service_entry *e;

	ASSERT_OK(service_map_lookup(m, netns, (struct sockaddr *)&d,
				     nbtest_sockaddr_len(&d), false, &e));
	return service_map_takes(m, e, cookie, (struct sockaddr *)&d,
				 nbtest_sockaddr_len(&d), false);
}

/* A server on :: closes and binds its port again to 10.0.2.100 only,
 * before the sweep: the host kernel hands the host address to the new
 * listener, which must not get 127.0.0.1 (refused inside); a REUSEPORT
 * sibling of the chosen entry takes what it takes. */
NBTEST(rebound_narrower_is_not_reached_by_the_stale_entry)
{
	struct service_map *m = service_map_new();

	set_netns(m, NS_A, true, "10.0.2.100", NULL);
	add(m, NS_A, "::", 80, false, "::", 8080, 31);
	add(m, NS_A, "10.0.2.100", 80, false, "0.0.0.0", 8080, 32);
	ASSERT_EQ(reach(m, NS_A, "127.0.0.1", 80, false), 31);
	ASSERT_TRUE(!takes(m, NS_A, "127.0.0.1", 80, 32));
	ASSERT_TRUE(takes(m, NS_A, "10.0.2.100", 80, 32));
	ASSERT_TRUE(takes(m, NS_A, "127.0.0.1", 80, 31));
	ASSERT_TRUE(!takes(m, NS_A, "127.0.0.1", 80, 99)); /* not ours */
	add(m, NS_A, "::", 80, false, "::", 8080, 33);
	ASSERT_TRUE(takes(m, NS_A, "::1", 80, 33));
	add(m, NS_B, "::", 80, false, "::", 8080, 34);
	ASSERT_TRUE(!takes(m, NS_A, "::1", 80, 34)); /* another netns */
	service_map_free(m);
}

/* service_entry_init() of a server bound to @bind (cut to @bind_len if
 * not 0), a listener on @host, with @protocol and @cookie. */
static int init_entry(int protocol, const char *bind, uint16_t port,
		      socklen_t bind_len, const char *host, uint64_t cookie)
{
	struct sockaddr_storage b = nbtest_sockaddr(bind, port);
	struct sockaddr_storage h = nbtest_sockaddr(host, 5353);
	struct service_entry e;

	return service_entry_init(&e, NS_A, protocol, (struct sockaddr *)&b,
				  bind_len ? bind_len : nbtest_sockaddr_len(&b),
				  false, (struct sockaddr *)&h,
				  nbtest_sockaddr_len(&h), false, cookie);
}

/* Port 0 and UDP are not in the map; nor are malformed entries. */
NBTEST(what_is_not_mapped)
{
	ASSERT_OK(init_entry(IPPROTO_TCP, "0.0.0.0", 53, 0, "0.0.0.0", 7));
	ASSERT_EQ(init_entry(IPPROTO_UDP, "0.0.0.0", 53, 0, "0.0.0.0", 7),
		  -EPROTONOSUPPORT);
	ASSERT_EQ(init_entry(IPPROTO_TCP, "0.0.0.0", 0, 0, "0.0.0.0", 7),
		  -EINVAL);
	ASSERT_EQ(init_entry(IPPROTO_TCP, "0.0.0.0", 53, 0, "0.0.0.0", 0),
		  -EINVAL);
	/* The host listener is of the server socket's family. */
	ASSERT_EQ(init_entry(IPPROTO_TCP, "0.0.0.0", 53, 0, "::", 7), -EINVAL);
	ASSERT_EQ(init_entry(IPPROTO_TCP, "0.0.0.0", 53, 8, "0.0.0.0", 7),
		  -EINVAL);
}

/* Every table is bounded, with a clear errno past it. */
NBTEST(bounded)
{
	struct service_map *m = service_map_new();
	struct service_addr many[SERVICE_ADDRS_MAX + 1];
	struct service_addr bad = { .family = AF_UNIX };
	struct service_entry e;

	for (uint64_t i = 1; i <= SERVICE_MAP_MAX; i++) {
		e = svctest_entry(NS_A, "0.0.0.0", 80, false, "0.0.0.0", 8080,
				  i);
		ASSERT_OK(service_map_add(m, &e));
	}
	e = svctest_entry(NS_A, "0.0.0.0", 80, false, "0.0.0.0", 8080,
			  SERVICE_MAP_MAX + 1);
	ASSERT_EQ(service_map_add(m, &e), -ENOSPC);
	ASSERT_EQ(service_map_drop_netns(m, NS_A), SERVICE_MAP_MAX);
	ASSERT_OK(service_map_add(m, &e));

	for (size_t i = 0; i < ARRAY_SIZE(many); i++)
		many[i] = svctest_addr("10.0.2.100");
	ASSERT_EQ(service_map_set_netns(m, NS_A, many, ARRAY_SIZE(many), true),
		  -ENOSPC);
	ASSERT_OK(
		service_map_set_netns(m, NS_A, many, SERVICE_ADDRS_MAX, true));
	ASSERT_EQ(service_map_set_netns(m, NS_B, &bad, 1, true), -EINVAL);
	for (uint64_t i = 1; i < SERVICE_NETNS_MAX; i++)
		ASSERT_OK(service_map_set_netns(m, 0x1000 + i, NULL, 0, true));
	ASSERT_EQ(service_map_set_netns(m, NS_B, NULL, 0, true), -ENOSPC);
	/* A namespace already known may still change. */
	ASSERT_OK(service_map_set_netns(m, NS_A, NULL, 0, false));
	service_map_free(m);
}

/* Where the host socket aims: "@want" and whether it is loopback (1), or
 * @want NULL for -EAFNOSUPPORT. */
static void aim(const struct service_entry *e, int family, bool v6only,
		const struct service_host *h, const char *want, int loopback)
{
	struct sockaddr_storage t, w;
	socklen_t len = 0;
	int r = service_map_target(e, family, v6only, h, &t, &len);

	if (!want) {
		ASSERT_EQ(r, -EAFNOSUPPORT);
		return;
	}
	ASSERT_EQ(r, loopback);
	w = nbtest_sockaddr(want, e->listener.port);
	ASSERT_EQ(t.ss_family, family);
	ASSERT_EQ(len, nbtest_sockaddr_len(&w));
	ASSERT_EQ(w.ss_family, family);
	ASSERT_EQ(memcmp(&t, &w, len), 0);
}

NBTEST(target_prefers_a_host_address)
{
	struct service_host both = { .has_v4 = true, .has_v6 = true };
	struct service_host v4only = { .has_v4 = true };
	struct service_entry any4 = svctest_entry(NS_A, "0.0.0.0", 80, false,
						  "0.0.0.0", 8080, 1);
	struct service_entry dual = svctest_entry(NS_A, "::", 80, false,
						  "::", 8080, 2);
	struct service_entry only6 = svctest_entry(NS_A, "::", 80, true,
						   "::", 8080, 3);

	memcpy(both.v4, (uint8_t[]){ 192, 0, 2, 1 }, 4);
	memcpy(v4only.v4, both.v4, 4);
	ASSERT_EQ(inet_pton(AF_INET6, "2001:db8::1", both.v6), 1);

	aim(&any4, AF_INET, false, &both, "192.0.2.1", 0);
	aim(&any4, AF_INET6, false, &both, "::ffff:192.0.2.1", 0);
	aim(&any4, AF_INET6, true, &both, NULL, 0);
	aim(&any4, AF_INET, false, NULL, "127.0.0.1", 1);
	aim(&dual, AF_INET, false, &both, "192.0.2.1", 0);
	aim(&dual, AF_INET6, false, &both, "2001:db8::1", 0);
	aim(&dual, AF_INET6, false, &v4only, "::ffff:192.0.2.1", 0);
	aim(&dual, AF_INET6, true, &v4only, "::1", 1);
	aim(&dual, AF_INET6, false, NULL, "::1", 1);
	aim(&only6, AF_INET6, false, &v4only, "::1", 1);
	aim(&only6, AF_INET6, false, &both, "2001:db8::1", 0);
	aim(&only6, AF_INET, false, &both, NULL, 0);
}

/* A listener bound to one host address is reached there; bound to
 * loopback (-p 127.0.0.1:...), only by the exception. */
NBTEST(target_of_a_bound_listener)
{
	struct service_host both = { .has_v4 = true, .has_v6 = true };
	struct service_entry lo = svctest_entry(NS_A, "0.0.0.0", 80, false,
						"127.0.0.1", 8080, 1);
	struct service_entry lo6 = svctest_entry(NS_A, "::", 80, false, "::1",
						 8080, 2);
	struct service_entry mapped = svctest_entry(NS_A, "::", 80, false,
						    "::ffff:127.0.0.1", 8080,
						    3);
	struct service_entry one = svctest_entry(NS_A, "0.0.0.0", 80, false,
						 "198.51.100.7", 8080, 4);
	struct service_entry one6 = svctest_entry(NS_A, "::", 80, false,
						  "2001:db8::7", 8080, 5);

	memcpy(both.v4, (uint8_t[]){ 192, 0, 2, 1 }, 4);
	aim(&lo, AF_INET, false, &both, "127.0.0.1", 1);
	aim(&lo, AF_INET6, false, &both, "::ffff:127.0.0.1", 1);
	aim(&lo6, AF_INET6, false, &both, "::1", 1);
	aim(&lo6, AF_INET, false, &both, NULL, 0);
	aim(&mapped, AF_INET, false, &both, "127.0.0.1", 1);
	aim(&mapped, AF_INET6, false, &both, "::ffff:127.0.0.1", 1);
	aim(&one, AF_INET, false, &both, "198.51.100.7", 0);
	aim(&one, AF_INET6, false, &both, "::ffff:198.51.100.7", 0);
	aim(&one6, AF_INET6, false, &both, "2001:db8::7", 0);
	aim(&one6, AF_INET, false, &both, NULL, 0);
}

static struct sockdiag_sock lsock(const char *a, uint16_t port, bool v6only,
				  uint64_t cookie, int state)
{
	struct sockaddr_storage ss = nbtest_sockaddr(a, port);
	struct sockdiag_sock s = { .state = state,
				   .v6only = v6only,
				   .cookie = cookie };

	ASSERT_OK(sockdiag_sock_set_addr(&s, (struct sockaddr *)&ss,
					 nbtest_sockaddr_len(&ss)));
	return s;
}

/* Only our listeners may take the target, and one must. */
NBTEST(verify_listeners)
{
	struct service_map *m = service_map_new();
	struct sockaddr_storage t = nbtest_sockaddr("127.0.0.1", 8080);
	struct sockaddr_storage t6 = nbtest_sockaddr("::1", 8080);
	struct sockdiag_sock s[3];

	add(m, NS_A, "0.0.0.0", 80, false, "0.0.0.0", 8080, 1);
	add(m, NS_A, "::", 80, true, "::", 8080, 2);
	s[0] = lsock("0.0.0.0", 8080, false, 1, TCP_LISTEN);
	s[1] = lsock("::", 8080, true, 2, TCP_LISTEN);
	ASSERT_OK(service_map_verify(m, (struct sockaddr *)&t, s, 2));
	ASSERT_OK(service_map_verify(m, (struct sockaddr *)&t6, s, 2));
	/* A foreign listener that takes the target (a same-uid REUSEPORT
	 * member, a more specific bind): refused. */
	s[2] = lsock("127.0.0.1", 8080, false, 99, TCP_LISTEN);
	ASSERT_EQ(service_map_verify(m, (struct sockaddr *)&t, s, 3),
		  -ECONNREFUSED);
	/* One that does not take it is no matter. */
	s[2] = lsock("127.0.0.2", 8080, false, 99, TCP_LISTEN);
	ASSERT_OK(service_map_verify(m, (struct sockaddr *)&t, s, 3));
	/* Ours gone (stale): refused, though the port has a listener. */
	ASSERT_EQ(service_map_verify(m, (struct sockaddr *)&t, s + 1, 2),
		  -ECONNREFUSED);
	ASSERT_EQ(service_map_verify(m, (struct sockaddr *)&t, s, 0),
		  -ECONNREFUSED);
	s[0].state = TCP_CLOSE;
	ASSERT_EQ(service_map_verify(m, (struct sockaddr *)&t, s, 1),
		  -ECONNREFUSED);
	service_map_free(m);
}

NBTEST(sweep_and_namespace_end)
{
	struct service_map *m = service_map_new();
	struct sockdiag_sock alive = lsock("0.0.0.0", 8080, false, 2,
					   TCP_LISTEN);
	struct sockdiag_sock closed = lsock("0.0.0.0", 8081, false, 3,
					    TCP_CLOSE);

	set_netns(m, NS_A, true, "10.0.2.100", NULL);
	set_netns(m, NS_B, true, "10.0.3.100", NULL);
	add(m, NS_A, "0.0.0.0", 80, false, "0.0.0.0", 8080, 1);
	add(m, NS_A, "0.0.0.0", 81, false, "0.0.0.0", 8080, 2);
	add(m, NS_A, "0.0.0.0", 82, false, "0.0.0.0", 8081, 3);
	add(m, NS_B, "0.0.0.0", 80, false, "0.0.0.0", 8082, 4);
	service_map_mark_begin(m);
	ASSERT_OK(service_map_mark(&alive, m));
	ASSERT_OK(service_map_mark(&closed, m));
	alive.cookie = 4;
	ASSERT_OK(service_map_mark(&alive, m));
	ASSERT_EQ(service_map_mark_end(m), 2);
	ASSERT_TRUE(service_map_owns(m, 2));
	ASSERT_TRUE(service_map_owns(m, 4));
	ASSERT_EQ(service_map_drop_netns(m, NS_B), 1);
	ASSERT_EQ(reach(m, NS_A, "10.0.3.100", 80, false), 0);
	ASSERT_EQ(service_map_drop_netns(m, NS_B), 0);
	service_map_free(m);
}

static int tcp_listen(const char *a, uint16_t port)
{
	struct sockaddr_storage ss = nbtest_sockaddr(a, port);
	int one = 1, fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);

	ASSERT_TRUE(fd >= 0);
	ASSERT_OK(setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)));
	ASSERT_OK(bind(fd, (struct sockaddr *)&ss, nbtest_sockaddr_len(&ss)));
	ASSERT_OK(listen(fd, 16));
	return fd;
}

static int verify_now(struct service_map *m, struct sockdiag *d,
		      const struct sockaddr_storage *t)
{
	struct sockdiag_sock s[8];
	size_t n;
	int r = sockdiag_tcp_listeners(d, AF_UNSPEC,
				       ntohs(((struct sockaddr_in *)t)
						     ->sin_port),
				       s, ARRAY_SIZE(s), &n);

	if (r < 0)
		return r;
	return service_map_verify(m, (const struct sockaddr *)t, s, n);
}

/* Against real sockets: our listener proves itself; once it is closed
 * the entry fails like a refused connect, and stays refused when another
 * listener takes the port; the sweep then drops it. */
NBTEST(stale_entry_is_refused)
{
	struct service_map *m = service_map_new();
	struct sockaddr_storage t = nbtest_sockaddr("127.0.0.1", 18095);
	struct sockdiag d;
	int l, other;

	nbtest_enter_netns();
	ASSERT_OK(sockdiag_open(&d));
	l = tcp_listen("0.0.0.0", 18095);
	add(m, NS_A, "0.0.0.0", 80, false, "0.0.0.0", 18095, nbtest_cookie(l));
	ASSERT_OK(verify_now(m, &d, &t));
	close(l);
	ASSERT_EQ(verify_now(m, &d, &t), -ECONNREFUSED);
	other = tcp_listen("127.0.0.1", 18095);
	ASSERT_EQ(verify_now(m, &d, &t), -ECONNREFUSED);
	service_map_mark_begin(m);
	ASSERT_OK(sockdiag_tcp_dump(&d, AF_UNSPEC, 0, 1U << TCP_LISTEN,
				    service_map_mark, m));
	ASSERT_EQ(service_map_mark_end(m), 1);
	ASSERT_EQ(m->n, 0);
	close(other);
	sockdiag_close(&d);
	service_map_free(m);
}

static bool loopback_service_reached(int svc)
{
	struct pollfd p = { .fd = svc, .events = POLLIN };
	int c;

	if (poll(&p, 1, 100) <= 0)
		return false;
	c = accept4(svc, NULL, NULL, SOCK_CLOEXEC);
	if (c < 0)
		return false;
	close(c);
	return true;
}

/* Aim @c at @svc_addr with sendto(MSG_FASTOPEN), twice (the first call
 * may only clear a pending error). */
static void fastopen_at(int c, const struct sockaddr_storage *to)
{
	for (int i = 0; i < 2; i++)
		(void)sendto(c, "x", 1, MSG_FASTOPEN | MSG_DONTWAIT,
			     (const struct sockaddr *)to,
			     nbtest_sockaddr_len(to));
}

/*
 * The loopback exception installs only a connected socket that a second
 * connect() settled (docs/design.md §3.4).  This is why: a host TCP socket
 * in SYN_SENT that is shut down, or whose connect failed, can be aimed
 * anywhere with sendto(MSG_FASTOPEN), untrapped; a settled one gets
 * EISCONN for good, even after the peer reset it.
 */
NBTEST(only_a_settled_socket_stays_aimed)
{
	struct sockaddr_storage svc_addr = nbtest_sockaddr("127.0.0.1", 18096);
	struct sockaddr_storage ours = nbtest_sockaddr("127.0.0.1", 18097);
	struct sockaddr_storage closed = nbtest_sockaddr("127.0.0.1", 18098);
	struct linger rst = { 1, 0 };
	int svc, l, c, acc;

	nbtest_enter_netns();
	svc = tcp_listen("127.0.0.1", 18096);
	l = tcp_listen("127.0.0.1", 18097);

	/* Failed non-blocking connect: re-aimed. */
	c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	ASSERT_EQ(connect(c, (struct sockaddr *)&closed,
			  nbtest_sockaddr_len(&closed)),
		  -1);
	usleep(10000);
	fastopen_at(c, &svc_addr);
	ASSERT_TRUE(loopback_service_reached(svc));
	close(c);

	/* Connected, not settled, then reset by the peer: re-aimed. */
	c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	ASSERT_EQ(connect(c, (struct sockaddr *)&ours,
			  nbtest_sockaddr_len(&ours)),
		  -1);
	ASSERT_EQ(errno, EINPROGRESS);
	acc = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	ASSERT_TRUE(acc >= 0);
	ASSERT_OK(setsockopt(acc, SOL_SOCKET, SO_LINGER, &rst, sizeof(rst)));
	close(acc);
	usleep(10000);
	fastopen_at(c, &svc_addr);
	ASSERT_TRUE(loopback_service_reached(svc));
	close(c);

	/* Settled (a second connect() says 0), then reset: stays. */
	c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	ASSERT_EQ(connect(c, (struct sockaddr *)&ours,
			  nbtest_sockaddr_len(&ours)),
		  -1);
	ASSERT_OK(connect(c, (struct sockaddr *)&ours,
			  nbtest_sockaddr_len(&ours)));
	acc = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	ASSERT_TRUE(acc >= 0);
	ASSERT_OK(setsockopt(acc, SOL_SOCKET, SO_LINGER, &rst, sizeof(rst)));
	close(acc);
	usleep(10000);
	fastopen_at(c, &svc_addr);
	ASSERT_EQ(sendto(c, "x", 1, MSG_FASTOPEN | MSG_DONTWAIT,
			 (struct sockaddr *)&svc_addr,
			 nbtest_sockaddr_len(&svc_addr)),
		  -1);
	ASSERT_EQ(errno, EISCONN);
	(void)shutdown(c, SHUT_RDWR);
	fastopen_at(c, &svc_addr);
	ASSERT_TRUE(!loopback_service_reached(svc));
	close(c);
	close(l);
	close(svc);
}

/*
 * pending_connect_settle() says whether the socket is settled, which the
 * loopback exception installs only then: 0 for a completed handshake
 * (and again: EISCONN counts), an error for one the peer reset before the
 * settle (such a socket is re-aimed by sendto(MSG_FASTOPEN), above).
 */
NBTEST(settle_tells_a_reset_socket)
{
	struct sockaddr_storage ours = nbtest_sockaddr("127.0.0.1", 18097);
	struct linger rst = { 1, 0 };
	int l, c, acc;

	nbtest_enter_netns();
	l = tcp_listen("127.0.0.1", 18097);
	c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	ASSERT_EQ(connect(c, (struct sockaddr *)&ours,
			  nbtest_sockaddr_len(&ours)),
		  -1);
	ASSERT_EQ(pending_connect_settle(c, &ours, nbtest_sockaddr_len(&ours)),
		  0);
	ASSERT_EQ(pending_connect_settle(c, &ours, nbtest_sockaddr_len(&ours)),
		  0);
	close(c);
	acc = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	ASSERT_TRUE(acc >= 0);
	close(acc);

	c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	ASSERT_EQ(connect(c, (struct sockaddr *)&ours,
			  nbtest_sockaddr_len(&ours)),
		  -1);
	acc = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	ASSERT_TRUE(acc >= 0);
	ASSERT_OK(setsockopt(acc, SOL_SOCKET, SO_LINGER, &rst, sizeof(rst)));
	close(acc);
	usleep(10000);
	ASSERT_TRUE(pending_connect_settle(c, &ours,
					   nbtest_sockaddr_len(&ours)) < 0);
	close(c);
	close(l);
}

/* bind() then listen() of a TCP socket of @family on @a:@port, with
 * @opts (1 SO_REUSEADDR, 2 SO_REUSEPORT, 4 bound to lo); -errno of the
 * first call that fails. */
static int try_listen(const char *a, uint16_t port, int opts, int *ret_fd)
{
	struct sockaddr_storage ss = nbtest_sockaddr(a, port);
	int one = 1, lo = 1, r = 0;
	int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);

	ASSERT_TRUE(fd >= 0);
	if (opts & 1)
		ASSERT_OK(setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
				     sizeof(one)));
	if (opts & 2)
		ASSERT_OK(setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one,
				     sizeof(one)));
	if (opts & 4)
		ASSERT_OK(setsockopt(fd, SOL_SOCKET, SO_BINDTOIFINDEX, &lo,
				     sizeof(lo)));
	if (bind(fd, (struct sockaddr *)&ss, nbtest_sockaddr_len(&ss)) < 0 ||
	    listen(fd, 4) < 0)
		r = -errno;
	if (r < 0 || !ret_fd)
		close(fd);
	else
		*ret_fd = fd;
	return r;
}

/*
 * The loopback exception's proof (docs/design.md §3.4) rests on this:
 * while our listener listens, no other socket can listen on an address
 * that takes its connections, with SO_REUSEADDR or bound to a device,
 * unless both have SO_REUSEPORT (and one owner: here, the same uid).
 */
NBTEST(a_listener_holds_its_port)
{
	int ours, other = -1;

	nbtest_enter_netns();
	ASSERT_OK(try_listen("0.0.0.0", 18099, 1, &ours));
	ASSERT_EQ(try_listen("127.0.0.1", 18099, 1, NULL), -EADDRINUSE);
	ASSERT_EQ(try_listen("0.0.0.0", 18099, 1, NULL), -EADDRINUSE);
	ASSERT_EQ(try_listen("127.0.0.1", 18099, 1 | 4, NULL), -EADDRINUSE);
	ASSERT_EQ(try_listen("::", 18099, 1, NULL), -EADDRINUSE);
	ASSERT_EQ(try_listen("127.0.0.1", 18099, 2, NULL), -EADDRINUSE);
	close(ours);

	ASSERT_OK(try_listen("127.0.0.1", 18100, 1, &ours));
	ASSERT_EQ(try_listen("0.0.0.0", 18100, 1, NULL), -EADDRINUSE);
	ASSERT_EQ(try_listen("::ffff:127.0.0.1", 18100, 1, NULL), -EADDRINUSE);
	ASSERT_OK(try_listen("127.0.0.2", 18100, 1, &other)); /* not ours */
	close(other);
	close(ours);

	/* What remains: REUSEPORT on both, one owner. */
	ASSERT_OK(try_listen("0.0.0.0", 18101, 2, &ours));
	ASSERT_OK(try_listen("127.0.0.1", 18101, 2, &other));
	close(other);
	close(ours);
}

int main(void)
{
	static const struct nbtest tests[] = {
		NBTEST_ENTRY(same_namespace_vantage_points),
		NBTEST_ENTRY(family_of_the_server),
		NBTEST_ENTRY(server_bound_to_one_address),
		NBTEST_ENTRY(other_containers),
		NBTEST_ENTRY(reuseport_groups),
		NBTEST_ENTRY(most_specific_server_wins),
		NBTEST_ENTRY(published_twice_and_reopened),
		NBTEST_ENTRY(
			rebound_narrower_is_not_reached_by_the_stale_entry),
		NBTEST_ENTRY(what_is_not_mapped),
		NBTEST_ENTRY(bounded),
		NBTEST_ENTRY(target_prefers_a_host_address),
		NBTEST_ENTRY(target_of_a_bound_listener),
		NBTEST_ENTRY(verify_listeners),
		NBTEST_ENTRY(sweep_and_namespace_end),
		NBTEST_ENTRY(stale_entry_is_refused),
		NBTEST_ENTRY(only_a_settled_socket_stays_aimed),
		NBTEST_ENTRY(settle_tells_a_reset_socket),
		NBTEST_ENTRY(a_listener_holds_its_port),
	};

	return nbtest_run(tests, ARRAY_SIZE(tests));
}
