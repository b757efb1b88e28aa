// SPDX-License-Identifier: Apache-2.0
/*
 * host-addr.c - the host's own non-loopback addresses, from one
 * RTM_GETADDR dump.  The kernel fills a dump while it is read, so the
 * blocking reads below never wait for anything but the kernel.
 */
#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "host-addr.h"
#include "route.h"
#include "util.h"

#define HOST_ADDR_UNUSABLE \
	(IFA_F_TENTATIVE | IFA_F_DEPRECATED | IFA_F_DADFAILED)

void host_addr_consider(struct service_host *h, int family, int scope,
			int ifindex, uint32_t flags, const uint8_t *addr)
{
	if (scope != RT_SCOPE_UNIVERSE || ifindex == ROUTE_LOOPBACK_IFINDEX ||
	    (flags & HOST_ADDR_UNUSABLE))
		return;
	if (family == AF_INET && !h->has_v4) {
		memcpy(h->v4, addr, 4);
		h->has_v4 = true;
	} else if (family == AF_INET6 && !h->has_v6) {
		memcpy(h->v6, addr, 16);
		h->has_v6 = true;
	}
}

/* One RTM_NEWADDR message.  IFA_LOCAL is an IPv4 address's own (IFA_ADDRESS
 * is the peer's on a point-to-point link); IPv6 has IFA_ADDRESS only. */
static void take_msg(struct service_host *h, struct nlmsghdr *m)
{
	struct ifaddrmsg *ifa = NLMSG_DATA(m);
	int len = (int)IFA_PAYLOAD(m);
	const uint8_t *addr = NULL, *local = NULL;
	size_t want = ifa->ifa_family == AF_INET ? 4 : 16;
	uint32_t flags = ifa->ifa_flags;

	for (struct rtattr *a = IFA_RTA(ifa); RTA_OK(a, len);
	     a = RTA_NEXT(a, len)) {
		if (a->rta_type == IFA_FLAGS && RTA_PAYLOAD(a) >= 4)
			memcpy(&flags, RTA_DATA(a), 4);
		else if (a->rta_type == IFA_ADDRESS && RTA_PAYLOAD(a) >= want)
			addr = RTA_DATA(a);
		else if (a->rta_type == IFA_LOCAL && RTA_PAYLOAD(a) >= want)
			local = RTA_DATA(a);
	}
	if (local)
		addr = local;
	if (addr)
		host_addr_consider(h, ifa->ifa_family, ifa->ifa_scope,
				   (int)ifa->ifa_index, flags, addr);
}

int host_addr_read(struct service_host *ret)
{
	struct {
		struct nlmsghdr h;
		struct ifaddrmsg a;
	} req = {
		.h = {
			.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifaddrmsg)),
			.nlmsg_type = RTM_GETADDR,
			.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
			.nlmsg_seq = 1,
		},
		.a = { .ifa_family = AF_UNSPEC },
	};
	char buf[16384] __attribute__((aligned(NLMSG_ALIGNTO)));
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	_cleanup_close_ int fd = -1;

	memset(ret, 0, sizeof(*ret));
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	if (sendto(fd, &req, req.h.nlmsg_len, 0, (struct sockaddr *)&kernel,
		   sizeof(kernel)) < 0)
		return -errno;
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		int len;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EPROTO;
		len = (int)n;
		for (struct nlmsghdr *m = (struct nlmsghdr *)buf;
		     NLMSG_OK(m, len); m = NLMSG_NEXT(m, len)) {
			if (m->nlmsg_seq != req.h.nlmsg_seq)
				continue;
			if (m->nlmsg_type == NLMSG_DONE)
				return 0;
			if (m->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = NLMSG_DATA(m);

				return e->error ? e->error : -EPROTO;
			}
			if (m->nlmsg_type == RTM_NEWADDR &&
			    m->nlmsg_len >=
				    NLMSG_LENGTH(sizeof(struct ifaddrmsg)))
				take_msg(ret, m);
		}
	}
}
