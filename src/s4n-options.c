// SPDX-License-Identifier: Apache-2.0
/*
 * s4n-options.c - slirp4netns's checks of --cidr, --macaddress and
 * --outbound-addr[6], with its messages where it has them.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "s4n-options.h"

/* @n digits, @min <= @n <= @max, at @s; returns the end or NULL. */
static const char *digits(const char *s, int min, int max)
{
	int n = 0;

	while (isdigit((unsigned char)s[n]))
		n++;
	return n >= min && n <= max ? s + n : NULL;
}

/* slirp4netns's ^(([0-9]{1,3}\.){3}[0-9]{1,3})/([0-9]{1,2})$ */
static bool cidr_shape(const char *s, const char **slash)
{
	for (int i = 0; i < 4; i++) {
		s = digits(s, 1, 3);
		if (!s || *s != (i < 3 ? '.' : '/'))
			return false;
		if (i == 3)
			*slash = s;
		s++;
	}
	s = digits(s, 1, 2);
	return s && !*s;
}

int s4n_parse_cidr(const char *s, struct in_addr *ret_net,
		   unsigned int *ret_prefix, char *err, size_t size)
{
	const char *slash = NULL;
	char addr[16];
	unsigned int prefix;
	uint32_t mask;

	if (!cidr_shape(s, &slash)) {
		snprintf(err, size, "invalid CIDR: %s", s);
		return -EINVAL;
	}
	/* The shape bounds it: at most 15 characters. */
	memcpy(addr, s, (size_t)(slash - s));
	addr[slash - s] = '\0';
	if (inet_pton(AF_INET, addr, ret_net) != 1) {
		snprintf(err, size, "invalid network address: %s", addr);
		return -EINVAL;
	}
	prefix = (unsigned int)strtoul(slash + 1, NULL, 10);
	if (prefix < S4N_PREFIX_MIN || prefix > S4N_PREFIX_MAX) {
		snprintf(err, size, "prefix length needs to be %d-%d",
			 S4N_PREFIX_MIN, S4N_PREFIX_MAX);
		return -EINVAL;
	}
	mask = ~((1U << (32 - prefix)) - 1);
	if (ntohl(ret_net->s_addr) & ~mask) {
		snprintf(err, size,
			 "CIDR needs to be a network address like "
			 "10.0.2.0/24, not like 10.0.2.100/24");
		return -EINVAL;
	}
	*ret_prefix = prefix;
	return 0;
}

/* The first usable address of @family on the interface @name. */
static int interface_addr(const char *name, int family, void *ret)
{
	struct ifaddrs *all, *a;
	int r = -EINVAL;

	if (getifaddrs(&all) < 0)
		return -errno;
	for (a = all; a && r < 0; a = a->ifa_next) {
		if (!a->ifa_addr || a->ifa_addr->sa_family != family ||
		    !a->ifa_name || strcmp(a->ifa_name, name) != 0)
			continue;
		if (family == AF_INET) {
			memcpy(ret,
			       &((struct sockaddr_in *)a->ifa_addr)->sin_addr,
			       sizeof(struct in_addr));
			r = 0;
		} else {
			const struct in6_addr *in6 =
				&((struct sockaddr_in6 *)a->ifa_addr)->sin6_addr;

			if (IN6_IS_ADDR_LINKLOCAL(in6))
				continue;
			memcpy(ret, in6, sizeof(*in6));
			r = 0;
		}
	}
	freeifaddrs(all);
	return r;
}

int s4n_outbound_addr(const char *s, int family, void *ret)
{
	if (inet_pton(family, s, ret) == 1)
		return 0;
	/* Not an address: an interface name, if it can be one. */
	if (!*s || strlen(s) >= IFNAMSIZ || strchr(s, '/'))
		return -EINVAL;
	return interface_addr(s, family, ret);
}
