/* SPDX-License-Identifier: Apache-2.0 */
/*
 * netconf.h - configure links, addresses and routes of the namespace
 * nsbypass-nsagent runs in, with libnl-3 route.
 *
 * Every function returns 0 or a negative errno and logs nothing: the
 * caller knows what it was doing and prints one line.  libnl's own error
 * codes are translated to the nearest errno.
 */
#ifndef NB_NSAGENT_NETCONF_H
#define NB_NSAGENT_NETCONF_H

#include <stdbool.h>
#include <stdint.h>

struct nl_sock;

/**
 * netconf_addr_parse() - check an address argument
 * @s:		"ADDR/PREFIX" if @prefix, else "ADDR"; IPv4 or IPv6
 * @prefix:	whether @s must carry a prefix length
 * @ret_family:	AF_INET or AF_INET6
 *
 * Only the numeric forms of inet_pton() and a decimal prefix length no
 * larger than the address are accepted: no names, no "default".
 *
 * Return: 0 or -EINVAL
 */
int netconf_addr_parse(const char *s, bool prefix, int *ret_family);

/**
 * netconf_link_up() - bring the link @name up, and set its MTU
 * @sk:		a connected NETLINK_ROUTE socket
 * @name:	the link's name
 * @mtu:	the new MTU, or 0 to leave it
 * @ret_ifindex: the link's index, for netconf_addr_add() and
 *		netconf_route_add_default(); may be NULL
 *
 * Return: 0 or -errno (-ENODEV: no such link)
 */
int netconf_link_up(struct nl_sock *sk, const char *name, unsigned int mtu,
		    int *ret_ifindex);

/**
 * netconf_link_set_mac() - give the link @name the MAC address @mac
 * @sk:		a connected NETLINK_ROUTE socket
 * @name:	the link's name
 * @mac:	the address (6 bytes)
 *
 * What slirp4netns --configure --macaddress does to its tap (there with
 * SIOCSIFHWADDR, here over rtnetlink).
 *
 * Return: 0 or -errno (-ENODEV: no such link)
 */
int netconf_link_set_mac(struct nl_sock *sk, const char *name,
			 const uint8_t mac[6]);

/**
 * netconf_lo_up() - bring the loopback link "lo" up
 * @sk:		a connected NETLINK_ROUTE socket
 *
 * Return: 0 or -errno
 */
int netconf_lo_up(struct nl_sock *sk);

/**
 * netconf_addr_add() - add an address to a link
 * @sk:		a connected NETLINK_ROUTE socket
 * @ifindex:	the link
 * @cidr:	"ADDR/PREFIX", IPv4 or IPv6 (see netconf_addr_parse())
 *
 * An IPv6 address is added without duplicate address detection
 * (IFA_F_NODAD): the link is a private point-to-point segment, and a
 * tentative address could not be used yet when the command starts.
 *
 * Return: 0 or -errno (-EEXIST: the address is already there)
 */
int netconf_addr_add(struct nl_sock *sk, int ifindex, const char *cidr);

/**
 * netconf_route_add_default() - add the default route via @gateway
 * @sk:		a connected NETLINK_ROUTE socket
 * @ifindex:	the link the gateway is on
 * @gateway:	"ADDR", IPv4 or IPv6; its family picks the route's
 *
 * The gateway must already be reachable on the link, through the prefix
 * route of an address added with netconf_addr_add() on a link that is up.
 *
 * Return: 0 or -errno (-EEXIST: there is a default route already)
 */
int netconf_route_add_default(struct nl_sock *sk, int ifindex,
			      const char *gateway);

#endif /* NB_NSAGENT_NETCONF_H */
