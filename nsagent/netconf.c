// SPDX-License-Identifier: Apache-2.0
/*
 * netconf.c - link, address and route set-up with libnl-3 route.
 *
 * nsbypass-nsagent gives the tap of the slirp fallback network its MTU,
 * address and default route, the way slirp4netns --configure does, but
 * over rtnetlink only: no ioctl on an inet socket (its sandbox allows only
 * netlink sockets) and no "ip" command (it may not exec).  Each function
 * sends one request and waits for the kernel's acknowledgement, so when
 * it returns the change is in place.
 *
 * libnl turns the kernel's errno into its own, coarser codes (ENETUNREACH
 * becomes "unspecific failure").  While a request runs, the socket's
 * callbacks are a copy with an error handler that keeps the kernel's own
 * errno, so that the caller's one line says what the kernel said.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netlink/addr.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/nexthop.h>
#include <netlink/route/route.h>
#include <stdlib.h>
#include <string.h>

#include "netconf.h"

/* libnl's error codes, back to the errno the kernel most likely sent. */
static const struct {
	int nle, err;
} nle_errno[] = {
	{ NLE_INTR, EINTR },
	{ NLE_BAD_SOCK, EBADF },
	{ NLE_AGAIN, EAGAIN },
	{ NLE_NOMEM, ENOMEM },
	{ NLE_EXIST, EEXIST },
	{ NLE_INVAL, EINVAL },
	{ NLE_RANGE, ERANGE },
	{ NLE_MSGSIZE, EMSGSIZE },
	{ NLE_OPNOTSUPP, EOPNOTSUPP },
	{ NLE_AF_NOSUPPORT, EAFNOSUPPORT },
	{ NLE_OBJ_NOTFOUND, ENOENT },
	{ NLE_AF_MISMATCH, EINVAL },
	{ NLE_NOADDR, EADDRNOTAVAIL },
	{ NLE_BUSY, EBUSY },
	{ NLE_PROTO_MISMATCH, EPROTONOSUPPORT },
	{ NLE_NOACCESS, EACCES },
	{ NLE_PERM, EPERM },
	{ NLE_NODEV, ENODEV },
};

static int nle_to_errno(int nle)
{
	for (size_t i = 0; i < sizeof(nle_errno) / sizeof(nle_errno[0]); i++)
		if (nle_errno[i].nle == abs(nle))
			return -nle_errno[i].err;
	return -EIO;
}

/* The kernel's errno of the request that is running (see errcap_begin()). */
struct errcap {
	struct nl_cb *orig;
	int kerr;
};

/* implements nl_recvmsg_err_cb_t */
static int on_kernel_error(struct sockaddr_nl *nla, struct nlmsgerr *e,
			   void *arg)
{
	*(int *)arg = e->error;
	return NL_STOP;
}

/* Capture the kernel's errno on @sk until errcap_end(). */
static int errcap_begin(struct nl_sock *sk, struct errcap *ec)
{
	struct nl_cb *cb;

	ec->kerr = 0;
	ec->orig = nl_socket_get_cb(sk);
	cb = nl_cb_clone(ec->orig);
	if (!cb) {
		nl_cb_put(ec->orig);
		return -ENOMEM;
	}
	nl_cb_err(cb, NL_CB_CUSTOM, on_kernel_error, &ec->kerr);
	nl_socket_set_cb(sk, cb);
	nl_cb_put(cb);
	return 0;
}

/* Restore @sk's callbacks; turn libnl's result @r into 0 or -errno. */
static int errcap_end(struct nl_sock *sk, struct errcap *ec, int r)
{
	nl_socket_set_cb(sk, ec->orig);
	nl_cb_put(ec->orig);
	if (r >= 0)
		return 0;
	return ec->kerr < 0 ? ec->kerr : nle_to_errno(r);
}

/* Split "ADDR[/PREFIX]" into its binary address and prefix length. */
static int addr_parse(const char *s, bool prefix, int *ret_family,
		      unsigned char ret_bin[16], unsigned int *ret_plen)
{
	char buf[INET6_ADDRSTRLEN];
	const char *slash = strchr(s, '/');
	size_t len = slash ? (size_t)(slash - s) : strlen(s);
	unsigned int max;
	unsigned long plen;
	char *end;
	int family;

	if (!!slash != prefix || len == 0 || len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (inet_pton(AF_INET, buf, ret_bin) == 1) {
		family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, buf, ret_bin) == 1) {
		family = AF_INET6;
		max = 128;
	} else {
		return -EINVAL;
	}
	plen = max;
	if (slash) {
		/* strtoul() would take a sign or leading blanks. */
		if (slash[1] < '0' || slash[1] > '9')
			return -EINVAL;
		errno = 0;
		plen = strtoul(slash + 1, &end, 10);
		if (errno || *end || plen > max)
			return -EINVAL;
	}
	*ret_family = family;
	*ret_plen = (unsigned int)plen;
	return 0;
}

int netconf_addr_parse(const char *s, bool prefix, int *ret_family)
{
	unsigned char bin[16];
	unsigned int plen;

	return addr_parse(s, prefix, ret_family, bin, &plen);
}

/* A libnl address from "ADDR[/PREFIX]" (no prefix: a full-length one). */
static int addr_build(const char *s, bool prefix, struct nl_addr **ret)
{
	unsigned char bin[16];
	unsigned int plen;
	int family, r;
	struct nl_addr *a;

	r = addr_parse(s, prefix, &family, bin, &plen);
	if (r < 0)
		return r;
	a = nl_addr_build(family, bin, family == AF_INET ? 4 : 16);
	if (!a)
		return -ENOMEM;
	nl_addr_set_prefixlen(a, (int)plen);
	*ret = a;
	return 0;
}

/* Apply @change to the link @name; its index to @ret_ifindex if given. */
static int link_change(struct nl_sock *sk, const char *name,
		       struct rtnl_link *change, int *ret_ifindex)
{
	struct rtnl_link *link = NULL;
	struct errcap ec;
	int r;

	r = errcap_begin(sk, &ec);
	if (r < 0)
		return r;
	r = rtnl_link_get_kernel(sk, 0, name, &link);
	if (r >= 0)
		r = rtnl_link_change(sk, link, change, 0);
	r = errcap_end(sk, &ec, r);
	if (r == 0 && ret_ifindex)
		*ret_ifindex = rtnl_link_get_ifindex(link);
	if (link)
		rtnl_link_put(link);
	return r;
}

int netconf_link_up(struct nl_sock *sk, const char *name, unsigned int mtu,
		    int *ret_ifindex)
{
	struct rtnl_link *change;
	int r;

	if (strnlen(name, IFNAMSIZ) >= IFNAMSIZ || mtu > INT_MAX)
		return -EINVAL;
	change = rtnl_link_alloc();
	if (!change)
		return -ENOMEM;
	rtnl_link_set_flags(change, IFF_UP);
	if (mtu)
		rtnl_link_set_mtu(change, mtu);
	r = link_change(sk, name, change, ret_ifindex);
	rtnl_link_put(change);
	return r;
}

int netconf_link_set_mac(struct nl_sock *sk, const char *name,
			 const uint8_t mac[6])
{
	struct nl_addr *addr;
	struct rtnl_link *change;
	int r = -ENOMEM;

	if (strnlen(name, IFNAMSIZ) >= IFNAMSIZ)
		return -EINVAL;
	addr = nl_addr_build(AF_LLC, mac, 6);
	change = rtnl_link_alloc();
	if (addr && change) {
		rtnl_link_set_addr(change, addr);
		r = link_change(sk, name, change, NULL);
	}
	rtnl_link_put(change);
	nl_addr_put(addr);
	return r;
}

int netconf_lo_up(struct nl_sock *sk)
{
	return netconf_link_up(sk, "lo", 0, NULL);
}

int netconf_addr_add(struct nl_sock *sk, int ifindex, const char *cidr)
{
	struct nl_addr *local = NULL;
	struct rtnl_addr *addr;
	struct errcap ec;
	int r;

	if (ifindex <= 0)
		return -EINVAL;
	r = addr_build(cidr, true, &local);
	if (r < 0)
		return r;
	addr = rtnl_addr_alloc();
	if (!addr) {
		r = -ENOMEM;
		goto out_put_local;
	}
	rtnl_addr_set_ifindex(addr, ifindex);
	/* This also sets the prefix length, from @local's. */
	r = rtnl_addr_set_local(addr, local);
	if (r < 0) {
		r = nle_to_errno(r);
		goto out_put_addr;
	}
	if (nl_addr_get_family(local) == AF_INET6)
		rtnl_addr_set_flags(addr, IFA_F_NODAD);
	r = errcap_begin(sk, &ec);
	if (r == 0)
		r = errcap_end(sk, &ec, rtnl_addr_add(sk, addr, NLM_F_EXCL));
out_put_addr:
	rtnl_addr_put(addr);
out_put_local:
	nl_addr_put(local);
	return r;
}

int netconf_route_add_default(struct nl_sock *sk, int ifindex,
			      const char *gateway)
{
	static const unsigned char zero[16];
	struct nl_addr *gw = NULL, *dst = NULL;
	struct rtnl_route *route = NULL;
	struct rtnl_nexthop *nh = NULL;
	struct errcap ec;
	int family, r;

	if (ifindex <= 0)
		return -EINVAL;
	r = addr_build(gateway, false, &gw);
	if (r < 0)
		return r;
	family = nl_addr_get_family(gw);
	/* libnl wants a destination: 0.0.0.0/0 or ::/0 is the default. */
	dst = nl_addr_build(family, zero, family == AF_INET ? 4 : 16);
	route = rtnl_route_alloc();
	nh = rtnl_route_nh_alloc();
	if (!dst || !route || !nh) {
		r = -ENOMEM;
		goto out;
	}
	nl_addr_set_prefixlen(dst, 0);
	rtnl_route_nh_set_ifindex(nh, ifindex);
	rtnl_route_nh_set_gateway(nh, gw);
	rtnl_route_add_nexthop(route, nh);
	nh = NULL; /* @route owns it now */
	rtnl_route_set_family(route, (uint8_t)family);
	rtnl_route_set_table(route, RT_TABLE_MAIN);
	rtnl_route_set_protocol(route, RTPROT_BOOT);
	rtnl_route_set_scope(route, RT_SCOPE_UNIVERSE);
	rtnl_route_set_type(route, RTN_UNICAST);
	r = rtnl_route_set_dst(route, dst);
	if (r < 0) {
		r = nle_to_errno(r);
		goto out;
	}
	r = errcap_begin(sk, &ec);
	if (r == 0)
		r = errcap_end(sk, &ec, rtnl_route_add(sk, route, NLM_F_EXCL));
out:
	if (nh)
		rtnl_route_nh_free(nh);
	if (route)
		rtnl_route_put(route);
	if (dst)
		nl_addr_put(dst);
	nl_addr_put(gw);
	return r;
}
