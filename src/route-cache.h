/* SPDX-License-Identifier: Apache-2.0 */
/*
 * route-cache.h - the device a destination routes through, remembered.
 *
 * Every switched socket is pinned to the device of its route (route.h),
 * which costs a netlink request and its answer per connect().  A
 * container connects to the same few destinations again and again, so the
 * answers are kept per destination address.  They are kept exactly as
 * long as they are true: a second netlink socket listens to every change
 * of links, addresses and routes (v4 and v6), and any message on it,
 * including an overrun (ENOBUFS), empties the cache.  The owner polls
 * route_cache_monitor_fd() and calls route_cache_drain() when it is
 * readable.
 *
 * A change the loop has not read yet can let one connect use the old
 * device.  That costs reachability, not safety: a cached device is never
 * loopback (those lookups are not cached), and a socket pinned to a
 * non-loopback device cannot reach 127.0.0.0/8 or ::1 whatever the
 * routes say.
 */
#ifndef NB_ROUTE_CACHE_H
#define NB_ROUTE_CACHE_H

#include <stdint.h>
#include <sys/socket.h>

#define ROUTE_CACHE_SIZE 16

struct route_cache {
	struct {
		int family; /* 0: free */
		uint8_t addr[16];
		int ifindex;
		uint64_t used; /* cache clock at last use */
	} e[ROUTE_CACHE_SIZE];
	uint64_t clock;
	int mon_fd;	  /* -1: no monitor, nothing is cached */
	uint64_t lookups; /* netlink requests made (for tests) */
	uint64_t flushes;
};

/**
 * route_cache_init() - an empty cache with its change monitor
 *
 * Without a monitor (the socket or its groups refused) the cache still
 * works, as a pass-through that remembers nothing.
 * Return: 0, or -errno when there is no monitor (the cache is usable)
 */
int route_cache_init(struct route_cache *c);

/** route_cache_monitor_fd() - the fd to poll for changes, or -1 */
int route_cache_monitor_fd(const struct route_cache *c);

/**
 * route_cache_device() - route_device() for @dst, from the cache if known
 * @c:		the cache
 * @nlfd:	the request socket (route_open())
 * @dst:	AF_INET or AF_INET6 destination
 * @ret_ifindex: the device
 * Return: as route_device()
 */
int route_cache_device(struct route_cache *c, int nlfd,
		       const struct sockaddr *dst, int *ret_ifindex);

/** route_cache_drain() - read every pending change; any empties the cache */
void route_cache_drain(struct route_cache *c);

/** route_cache_fini() - close the monitor */
void route_cache_fini(struct route_cache *c);

#endif /* NB_ROUTE_CACHE_H */
