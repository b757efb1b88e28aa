/* SPDX-License-Identifier: Apache-2.0 */
/*
 * s4n-options.h - the values of slirp4netns's options that need more than
 * a number: --cidr, --outbound-addr and --outbound-addr6 (--macaddress:
 * macaddr.h),
 * checked as slirp4netns checks them and refused with its words (clients
 * and scripts grep for them).  Pure functions, but for the interface
 * lookup of s4n_outbound_addr(); cmd-slirp4netns.c prints the messages.
 */
#ifndef NB_S4N_OPTIONS_H
#define NB_S4N_OPTIONS_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

/* slirp4netns's --cidr bounds: the container's .100 must fit. */
#define S4N_PREFIX_MIN 1
#define S4N_PREFIX_MAX 25

/**
 * s4n_parse_cidr() - slirp4netns's --cidr: "A.B.C.D/N"
 * @s:		the argument
 * @ret_net:	the network address
 * @ret_prefix:	N
 * @err:	on failure, slirp4netns's message ("invalid CIDR: @s",
 *		"invalid network address: A.B.C.D", "prefix length needs to
 *		be 1-25", "CIDR needs to be a network address like
 *		10.0.2.0/24, not like 10.0.2.100/24")
 * @size:	the size of @err
 *
 * The grammar is slirp4netns's: one to three digits per byte, one or two
 * for N, nothing else; N from 1 to 25; no host bits set.
 *
 * Return: 0 or -EINVAL
 */
int s4n_parse_cidr(const char *s, struct in_addr *ret_net,
		   unsigned int *ret_prefix, char *err, size_t size);

/**
 * s4n_outbound_addr() - --outbound-addr (@family AF_INET) or
 * --outbound-addr6 (AF_INET6): a numeric address, or the name of a host
 * interface whose address of @family is taken, as slirp4netns does
 * (getifaddrs() in the caller's network namespace, the first address of
 * the family; IPv6 link-local addresses are passed over: they cannot be
 * the source of a connection that leaves the link)
 * @s:		the argument
 * @family:	AF_INET or AF_INET6
 * @ret:	struct in_addr or struct in6_addr, as @family says
 *
 * Return: 0, -EINVAL (neither an address nor an interface with one), or
 * another -errno from getifaddrs()
 */
int s4n_outbound_addr(const char *s, int family, void *ret);

#endif /* NB_S4N_OPTIONS_H */
