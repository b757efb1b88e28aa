// SPDX-License-Identifier: Apache-2.0
/*
 * route-cache.c - see route-cache.h.
 */
#include <errno.h>
#include <stdbool.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "route-cache.h"
#include "route.h"
#include "util.h"

/* Changes that can move a destination to another device. */
static const unsigned int watched_groups[] = {
	RTNLGRP_LINK,	    RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR,
	RTNLGRP_IPV4_ROUTE, RTNLGRP_IPV6_ROUTE,	 RTNLGRP_IPV4_RULE,
	RTNLGRP_IPV6_RULE,  RTNLGRP_NEXTHOP,
};

static void flush(struct route_cache *c)
{
	for (size_t i = 0; i < ROUTE_CACHE_SIZE; i++)
		c->e[i].family = 0;
	c->flushes++;
}

int route_cache_init(struct route_cache *c)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	_cleanup_close_ int fd = -1;

	memset(c, 0, sizeof(*c));
	c->mon_fd = -1;
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK,
		    NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	for (size_t i = 0; i < ARRAY_SIZE(watched_groups); i++) {
		unsigned int g = watched_groups[i];

		if (setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &g,
			       sizeof(g)) < 0)
			return -errno;
	}
	c->mon_fd = take_fd(&fd);
	return 0;
}

int route_cache_monitor_fd(const struct route_cache *c)
{
	return c->mon_fd;
}

static int find(const struct route_cache *c, int family, const void *addr,
		size_t len)
{
	for (int i = 0; i < ROUTE_CACHE_SIZE; i++)
		if (c->e[i].family == family &&
		    memcmp(c->e[i].addr, addr, len) == 0)
			return i;
	return -1;
}

/* A free slot, else the least recently used one. */
static int victim(const struct route_cache *c)
{
	int v = 0;

	for (int i = 0; i < ROUTE_CACHE_SIZE; i++) {
		if (c->e[i].family == 0)
			return i;
		if (c->e[i].used < c->e[v].used)
			v = i;
	}
	return v;
}

int route_cache_device(struct route_cache *c, int nlfd,
		       const struct sockaddr *dst, int *ret_ifindex)
{
	const void *addr;
	size_t len;
	int family, i, r;

	r = route_dst_bytes(dst, &family, &addr, &len);
	if (r < 0)
		return r;
	if (c->mon_fd >= 0) {
		i = find(c, family, addr, len);
		if (i >= 0) {
			c->e[i].used = ++c->clock;
			*ret_ifindex = c->e[i].ifindex;
			return 0;
		}
	}
	c->lookups++;
	r = route_device(nlfd, dst, ret_ifindex);
	if (r < 0 || c->mon_fd < 0 || *ret_ifindex == ROUTE_LOOPBACK_IFINDEX)
		return r;
	i = victim(c);
	c->e[i].family = family;
	memset(c->e[i].addr, 0, sizeof(c->e[i].addr));
	memcpy(c->e[i].addr, addr, len);
	c->e[i].ifindex = *ret_ifindex;
	c->e[i].used = ++c->clock;
	return 0;
}

void route_cache_drain(struct route_cache *c)
{
	char buf[8192];
	bool changed = false;

	if (c->mon_fd < 0)
		return;
	for (;;) {
		ssize_t n = recv(c->mon_fd, buf, sizeof(buf), 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		/* Data, an overrun (ENOBUFS: changes were lost) or any
		 * other error: the cache can no longer be trusted. */
		changed = true;
		if (n < 0 && errno != ENOBUFS)
			break;
	}
	if (changed)
		flush(c);
}

void route_cache_fini(struct route_cache *c)
{
	closep(&c->mon_fd);
}
