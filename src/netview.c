// SPDX-License-Identifier: Apache-2.0
/*
 * netview.c - dump a namespace's addresses and routes over rtnetlink, and
 * dump again only when its change monitor has something queued.
 *
 * What the messages say is the kernel's, not the container's: the
 * container can only choose how many addresses and routes there are, and
 * every list stops at POLICY_LIST_MAX.
 */
#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "netview.h"
#include "util.h"

#define NETVIEW_BUF 32768

static int nl_socket(unsigned int groups, int flags)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK,
				  .nl_groups = groups };
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | flags,
			NETLINK_ROUTE);

	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int r = -errno;

		close(fd);
		return r;
	}
	return fd;
}

int netview_open_fds(int *ret_mon, int *ret_dump)
{
	int mon = nl_socket(RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR |
				    RTMGRP_IPV4_ROUTE | RTMGRP_IPV6_ROUTE,
			    SOCK_NONBLOCK);
	int dump;

	if (mon < 0)
		return mon;
	dump = nl_socket(0, 0);
	if (dump < 0) {
		close(mon);
		return dump;
	}
	*ret_mon = mon;
	*ret_dump = dump;
	return 0;
}

int netview_init(struct netview *v, int mon_fd, int dump_fd)
{
	memset(v, 0, sizeof(*v));
	v->mon_fd = mon_fd;
	v->dump_fd = dump_fd;
	v->stale = true;
	v->view = calloc(1, sizeof(*v->view));
	if (!v->view) {
		close(mon_fd);
		close(dump_fd);
		v->mon_fd = v->dump_fd = -1;
		return -ENOMEM;
	}
	return 0;
}

void netview_fini(struct netview *v)
{
	closep(&v->mon_fd);
	closep(&v->dump_fd);
	free(v->view);
	v->view = NULL;
}

static void put(struct cidr *list, size_t *n, int family, const void *addr,
		unsigned int prefix)
{
	struct cidr c = { .family = family };
	unsigned int bits = family == AF_INET ? 32 : 128;

	if (*n >= POLICY_LIST_MAX || prefix > bits)
		return;
	memcpy(c.addr, addr, bits / 8);
	c.prefix = (uint8_t)prefix;
	for (unsigned int i = prefix; i < bits; i++)
		c.addr[i / 8] &= (uint8_t) ~(0x80 >> (i % 8));
	for (size_t i = 0; i < *n; i++)
		if (cidr_equal(&list[i], &c))
			return;
	list[(*n)++] = c;
}

static size_t family_len(int family)
{
	return family == AF_INET ? 4 : family == AF_INET6 ? 16 : 0;
}

static void parse_addr(const struct nlmsghdr *h, struct policy_view *v)
{
	const struct ifaddrmsg *ifa = NLMSG_DATA(h);
	const void *local = NULL, *address = NULL;
	size_t want;
	int alen;

	/* The length first: nothing past it is read, not even the family. */
	if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*ifa)))
		return;
	want = family_len(ifa->ifa_family);
	alen = (int)IFA_PAYLOAD(h);
	if (!want)
		return;
	for (const struct rtattr *a = IFA_RTA(ifa); RTA_OK(a, alen);
	     a = RTA_NEXT(a, alen)) {
		if (RTA_PAYLOAD(a) != want)
			continue;
		if (a->rta_type == IFA_LOCAL)
			local = RTA_DATA(a);
		else if (a->rta_type == IFA_ADDRESS)
			address = RTA_DATA(a);
	}
	/* IFA_LOCAL is the address itself (IFA_ADDRESS a point-to-point
	 * link's peer); IPv6 has IFA_ADDRESS only. */
	if (!local)
		local = address;
	if (!local)
		return;
	put(v->subnets, &v->n_subnets, ifa->ifa_family, local,
	    ifa->ifa_prefixlen);
	put(v->addrs, &v->n_addrs, ifa->ifa_family, local,
	    (unsigned int)want * 8);
}

static void parse_route(const struct nlmsghdr *h, struct policy_view *v)
{
	const struct rtmsg *rtm = NLMSG_DATA(h);
	const void *dst = NULL, *gw = NULL;
	static const uint8_t zero[16];
	unsigned int table;
	size_t want;
	int alen;

	/* As parse_addr(): the length before any field. */
	if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*rtm)))
		return;
	want = family_len(rtm->rtm_family);
	alen = (int)RTM_PAYLOAD(h);
	table = rtm->rtm_table;
	if (!want || rtm->rtm_type != RTN_UNICAST)
		return;
	for (const struct rtattr *a = RTM_RTA(rtm); RTA_OK(a, alen);
	     a = RTA_NEXT(a, alen)) {
		if (a->rta_type == RTA_TABLE && RTA_PAYLOAD(a) >= 4)
			memcpy(&table, RTA_DATA(a), 4);
		else if (RTA_PAYLOAD(a) != want)
			continue;
		else if (a->rta_type == RTA_DST)
			dst = RTA_DATA(a);
		else if (a->rta_type == RTA_GATEWAY)
			gw = RTA_DATA(a);
	}
	if (table != RT_TABLE_MAIN)
		return;
	if (gw) {
		put(v->gateways, &v->n_gateways, rtm->rtm_family, gw,
		    (unsigned int)want * 8);
		return;
	}
	/* On-link: the prefix routes of addresses, and any the user adds. */
	if (rtm->rtm_dst_len == 0 || rtm->rtm_scope != RT_SCOPE_LINK)
		return;
	put(v->subnets, &v->n_subnets, rtm->rtm_family, dst ? dst : zero,
	    rtm->rtm_dst_len);
}

void netview_parse(const struct nlmsghdr *h, size_t len,
		   struct policy_view *view)
{
	if (len < sizeof(*h) || h->nlmsg_len > len)
		return;
	if (h->nlmsg_type == RTM_NEWADDR)
		parse_addr(h, view);
	else if (h->nlmsg_type == RTM_NEWROUTE)
		parse_route(h, view);
}

/* One dump of @type (RTM_GETADDR or RTM_GETROUTE) into @view. */
static int dump(struct netview *v, int type, struct policy_view *view,
		char *buf)
{
	struct {
		struct nlmsghdr h;
		struct rtgenmsg g;
	} req = {
		.h = { .nlmsg_len = NLMSG_LENGTH(sizeof(struct rtgenmsg)),
		       .nlmsg_type = (uint16_t)type,
		       .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
		       .nlmsg_seq = ++v->seq },
		.g = { .rtgen_family = AF_UNSPEC },
	};

	if (send(v->dump_fd, &req, req.h.nlmsg_len, 0) < 0)
		return -errno;
	for (;;) {
		ssize_t n = recv(v->dump_fd, buf, NETVIEW_BUF, 0);
		int left;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EPIPE;
		left = (int)n;
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf;
		     NLMSG_OK(h, left); h = NLMSG_NEXT(h, left)) {
			if (h->nlmsg_seq != v->seq)
				continue;
			if (h->nlmsg_type == NLMSG_DONE)
				return 0;
			if (h->nlmsg_type == NLMSG_ERROR)
				return -EIO;
			netview_parse(h, (size_t)left, view);
		}
	}
}

/* Read everything queued on the monitor: did anything change? */
static bool drain(int fd, char *buf, size_t len)
{
	bool changed = false;

	for (;;) {
		ssize_t n = recv(fd, buf, len, MSG_DONTWAIT | MSG_TRUNC);

		if (n > 0 || (n < 0 && errno == ENOBUFS)) {
			changed = true;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		return changed;
	}
}

int netview_sync(struct netview *v)
{
	struct policy_view *next;
	char small[64], *buf;
	int r;

	/* Without a monitor every decision dumps. */
	if (v->mon_fd < 0 || drain(v->mon_fd, small, sizeof(small)))
		v->stale = true;
	if (!v->stale)
		return 0;
	next = calloc(1, sizeof(*next));
	buf = malloc(NETVIEW_BUF);
	r = next && buf ? 0 : -ENOMEM;
	if (r == 0)
		r = dump(v, RTM_GETADDR, next, buf);
	if (r == 0)
		r = dump(v, RTM_GETROUTE, next, buf);
	free(buf);
	if (r < 0) {
		free(next);
		return r;
	}
	free(v->view);
	v->view = next;
	v->stale = false;
	v->dumps++;
	return 1;
}
