// SPDX-License-Identifier: Apache-2.0
/*
 * route.c - one RTM_GETROUTE request with RTM_F_FIB_MATCH.
 *
 * The kernel answers a route request on a netlink socket synchronously, so
 * the reply is already queued when sendto() returns: the loop does not
 * block.  A reply that is not for our sequence number is skipped.
 */
#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "route.h"
#include "util.h"

#ifndef RTM_F_FIB_MATCH
#define RTM_F_FIB_MATCH 0x2000
#endif

int route_open(void)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK,
			NETLINK_ROUTE);

	return fd < 0 ? -errno : fd;
}

int route_dst_bytes(const struct sockaddr *dst, int *family, const void **addr,
		    size_t *len)
{
	static const uint8_t v4mapped[12] = { [10] = 0xff, [11] = 0xff };

	if (dst->sa_family == AF_INET) {
		*family = AF_INET;
		*addr = &((const struct sockaddr_in *)dst)->sin_addr;
		*len = 4;
		return 0;
	}
	if (dst->sa_family == AF_INET6) {
		const uint8_t *a =
			((const struct sockaddr_in6 *)dst)->sin6_addr.s6_addr;

		if (memcmp(a, v4mapped, 12) == 0) {
			*family = AF_INET;
			*addr = a + 12;
			*len = 4;
		} else {
			*family = AF_INET6;
			*addr = a;
			*len = 16;
		}
		return 0;
	}
	return -EAFNOSUPPORT;
}

/* Find RTA_OIF in a RTM_NEWROUTE reply. */
static int reply_oif(struct nlmsghdr *h, int *ret)
{
	struct rtmsg *rtm = NLMSG_DATA(h);
	int alen = (int)RTM_PAYLOAD(h);

	for (struct rtattr *a = RTM_RTA(rtm); RTA_OK(a, alen);
	     a = RTA_NEXT(a, alen)) {
		if (a->rta_type == RTA_OIF && RTA_PAYLOAD(a) >= sizeof(int)) {
			memcpy(ret, RTA_DATA(a), sizeof(int));
			return 0;
		}
	}
	return -ENETUNREACH;
}

int route_device(int nlfd, const struct sockaddr *dst, int *ret_ifindex)
{
	static uint32_t seq;
	struct {
		struct nlmsghdr h;
		struct rtmsg r;
		char attrs[64];
	} req;
	char buf[4096] __attribute__((aligned(NLMSG_ALIGNTO)));
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	const void *addr;
	struct rtattr *rta;
	size_t alen;
	int family, r;
	ssize_t n;

	r = route_dst_bytes(dst, &family, &addr, &alen);
	if (r < 0)
		return r;
	memset(&req, 0, sizeof(req));
	req.h.nlmsg_len = NLMSG_LENGTH(sizeof(struct rtmsg));
	req.h.nlmsg_type = RTM_GETROUTE;
	req.h.nlmsg_flags = NLM_F_REQUEST;
	req.h.nlmsg_seq = ++seq;
	req.r.rtm_family = (unsigned char)family;
	req.r.rtm_dst_len = (unsigned char)(alen * 8);
	req.r.rtm_flags = RTM_F_FIB_MATCH;
	rta = (struct rtattr *)((char *)&req + NLMSG_ALIGN(req.h.nlmsg_len));
	rta->rta_type = RTA_DST;
	rta->rta_len = (unsigned short)RTA_LENGTH(alen);
	memcpy(RTA_DATA(rta), addr, alen);
	req.h.nlmsg_len = NLMSG_ALIGN(req.h.nlmsg_len) +
			  RTA_ALIGN(rta->rta_len);

	if (sendto(nlfd, &req, req.h.nlmsg_len, 0, (struct sockaddr *)&kernel,
		   sizeof(kernel)) < 0)
		return -errno;
	/* Non-blocking: ends with EAGAIN if no reply of ours is queued. */
	for (;;) {
		int len;

		n = recv(nlfd, buf, sizeof(buf), 0);
		if (n < 0)
			return -errno;
		len = (int)n;
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf;
		     NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
			if (h->nlmsg_seq != req.h.nlmsg_seq)
				continue;
			if (h->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = NLMSG_DATA(h);

				return e->error ? e->error : -ENETUNREACH;
			}
			if (h->nlmsg_type == RTM_NEWROUTE)
				return reply_oif(h, ret_ifindex);
		}
	}
}
