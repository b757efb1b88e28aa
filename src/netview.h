/* SPDX-License-Identifier: Apache-2.0 */
/*
 * netview.h - one network namespace's addresses and routes, read over
 * rtnetlink, kept current without a window (docs/design.md §5, "Subnets
 * without a lag").
 *
 * A netview holds two NETLINK_ROUTE sockets made in the namespace it
 * watches (a socket stays in the netns it was created in, whoever uses
 * it): one subscribed to the address and route groups, one for dumps.
 * The kernel queues a change's notification while it handles the request
 * that made the change, so once `ip addr add` has returned, the event is
 * in the monitor's queue.  netview_sync() drains that queue without
 * blocking and dumps again only if anything was there: a connect decided
 * after a change inside sees it.
 */
#ifndef NB_NETVIEW_H
#define NB_NETVIEW_H

#include <stdbool.h>
#include <linux/netlink.h>
#include <stddef.h>
#include <stdint.h>

#include "policy.h"

struct netview {
	int mon_fd;  /* subscribed to the groups; -1: none */
	int dump_fd; /* requests */
	bool stale;  /* dump at the next netview_sync() */
	uint32_t seq;
	uint64_t dumps; /* for tests and the debug log */
	struct policy_view *view;
};

/**
 * netview_open_fds() - make the two sockets in the calling thread's netns
 * @ret_mon:	the monitor, subscribed to IPv4/IPv6 address and route
 *		changes, non-blocking
 * @ret_dump:	the request socket
 *
 * For a process that joins another namespace to make them (run.c's
 * child) and hands them over.
 *
 * Return: 0 or -errno
 */
int netview_open_fds(int *ret_mon, int *ret_dump);

/**
 * netview_init() - a view over @mon_fd and @dump_fd (owned from now on)
 * @v:		the view; stale, so the first netview_sync() dumps
 * @mon_fd:	from netview_open_fds()
 * @dump_fd:	from netview_open_fds()
 *
 * Return: 0 or -ENOMEM (both fds are closed)
 */
int netview_init(struct netview *v, int mon_fd, int dump_fd);

/**
 * netview_sync() - make @v->view current
 * @v:		the view
 *
 * Drains the monitor without blocking; an event, an overrun (ENOBUFS) or
 * a view never read makes it dump the addresses and routes again,
 * synchronously.  If a dump fails the view stays stale and the previous
 * one is kept.
 *
 * Return: 1 if the view changed, 0 if not, -errno if a dump failed
 */
int netview_sync(struct netview *v);

/**
 * netview_parse() - add what one RTM_NEWADDR or RTM_NEWROUTE message says
 * to @view
 * @h:		the message (its nlmsg_len checked against @len)
 * @len:	bytes available at @h
 * @view:	the view to add to
 *
 * An address gives its network (host bits cleared) to the subnets and
 * itself to the addresses.  A unicast route of the main table gives its
 * gateway, if it has one, to the gateways, or else (on-link, not the
 * default route) its destination to the subnets.  Each list stops at
 * POLICY_LIST_MAX; other messages are ignored.
 */
void netview_parse(const struct nlmsghdr *h, size_t len,
		   struct policy_view *view);

/** netview_fini() - close the sockets, free the view */
void netview_fini(struct netview *v);

#endif /* NB_NETVIEW_H */
