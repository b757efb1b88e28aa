// SPDX-License-Identifier: Apache-2.0
/*
 * policy.c - CIDR parsing and matching, and the bypass decision.
 *
 * The built-in ranges are checked before the user's lists so that no
 * option can turn them into bypassed destinations.  IPv4-mapped IPv6
 * addresses (::ffff:a.b.c.d) are judged as the IPv4 address they carry,
 * so that ::ffff:127.0.0.1 is loopback like 127.0.0.1.  The deprecated
 * IPv4-compatible form (::a.b.c.d, RFC 4291) is never bypassed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"
#include "util.h"

static const char *const policy_dest_str[] = {
	[POLICY_DEST_BYPASS] = "bypass",
	[POLICY_DEST_LOOPBACK] = "loopback",
	[POLICY_DEST_UNSPECIFIED] = "unspecified",
	[POLICY_DEST_LINKLOCAL] = "link-local",
	[POLICY_DEST_MULTICAST] = "multicast",
	[POLICY_DEST_RESERVED] = "reserved",
	[POLICY_DEST_SUBNET] = "container-subnet",
	[POLICY_DEST_LOCAL] = "container-or-pasta-host",
	[POLICY_DEST_IGNORED] = "ignored",
	[POLICY_DEST_INVALID] = "invalid",
};
_Static_assert(ARRAY_SIZE(policy_dest_str) == POLICY_DEST_MAX,
	       "policy_dest_str must name every verdict");

const char *policy_dest_to_string(enum policy_dest d)
{
	return d < POLICY_DEST_MAX ? policy_dest_str[d] : "?";
}

static unsigned int family_bits(int family)
{
	return family == AF_INET ? 32 : 128;
}

/* Clear every bit after the first @prefix bits of @addr. */
static void mask_host_bits(uint8_t *addr, unsigned int bits,
			   unsigned int prefix)
{
	for (unsigned int i = 0; i < bits / 8; i++) {
		if (prefix >= (i + 1) * 8)
			continue;
		if (prefix <= i * 8)
			addr[i] = 0;
		else
			addr[i] &= (uint8_t)(0xff << (8 - (prefix - i * 8)));
	}
}

static const uint8_t v4mapped_prefix[12] = { 0, 0, 0, 0, 0,    0,
					     0, 0, 0, 0, 0xff, 0xff };

static bool is_v4mapped(const uint8_t *a)
{
	return memcmp(a, v4mapped_prefix, 12) == 0;
}

int cidr_parse(const char *s, struct cidr *ret)
{
	char buf[INET6_ADDRSTRLEN + 8];
	struct cidr c = { 0 };
	const char *slash;
	size_t alen;
	int prefix = -1;

	if (!s)
		return -EINVAL;
	slash = strchr(s, '/');
	alen = slash ? (size_t)(slash - s) : strlen(s);
	if (alen == 0 || alen >= INET6_ADDRSTRLEN)
		return -EINVAL;
	memcpy(buf, s, alen);
	buf[alen] = '\0';

	if (inet_pton(AF_INET, buf, c.addr) == 1)
		c.family = AF_INET;
	else if (inet_pton(AF_INET6, buf, c.addr) == 1)
		c.family = AF_INET6;
	else
		return -EINVAL;

	if (slash) {
		int r = parse_int(slash + 1, 0, family_bits(c.family), &prefix);

		if (r < 0)
			return -EINVAL;
	} else {
		prefix = (int)family_bits(c.family);
	}

	if (c.family == AF_INET6 && prefix >= 96 && is_v4mapped(c.addr)) {
		memmove(c.addr, c.addr + 12, 4);
		memset(c.addr + 4, 0, 12);
		c.family = AF_INET;
		prefix -= 96;
	}
	c.prefix = (uint8_t)prefix;
	mask_host_bits(c.addr, family_bits(c.family), c.prefix);
	*ret = c;
	return 0;
}

char *cidr_format(const struct cidr *c, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	if (!inet_ntop(c->family, c->addr, a, sizeof(a)))
		snprintf(a, sizeof(a), "?");
	snprintf(buf, len, "%s/%u", a, c->prefix);
	return buf;
}

bool cidr_contains(const struct cidr *c, int family, const uint8_t *addr)
{
	unsigned int full, rest;

	if (c->family != family)
		return false;
	full = c->prefix / 8;
	rest = c->prefix % 8;
	if (memcmp(c->addr, addr, full) != 0)
		return false;
	if (rest) {
		uint8_t m = (uint8_t)(0xff << (8 - rest));

		if ((c->addr[full] & m) != (addr[full] & m))
			return false;
	}
	return true;
}

void policy_init(struct policy *p)
{
	memset(p, 0, sizeof(*p));
}

int policy_add_ignore(struct policy *p, const struct cidr *c)
{
	if (p->n_ignore >= POLICY_LIST_MAX)
		return -ENOSPC;
	p->ignore[p->n_ignore++] = *c;
	return 0;
}

int policy_set_subnets(struct policy *p, const struct cidr *c, size_t n)
{
	if (n > POLICY_LIST_MAX)
		return -ENOSPC;
	memcpy(p->subnets, c, n * sizeof(*c));
	memset(p->mirrored, 0, sizeof(p->mirrored));
	p->n_subnets = n;
	return 0;
}

bool cidr_equal(const struct cidr *a, const struct cidr *b)
{
	return a->family == b->family && a->prefix == b->prefix &&
	       memcmp(a->addr, b->addr, sizeof(a->addr)) == 0;
}

static bool list_has(const struct cidr *list, size_t n, const struct cidr *c)
{
	for (size_t i = 0; i < n; i++)
		if (cidr_equal(&list[i], c))
			return true;
	return false;
}

/* Does @list hold a full-length address inside @net that @other has too? */
static bool shares_in(const struct cidr *net, const struct cidr *list, size_t n,
		      const struct cidr *other, size_t n_other)
{
	for (size_t i = 0; i < n; i++)
		if (cidr_contains(net, list[i].family, list[i].addr) &&
		    list_has(other, n_other, &list[i]))
			return true;
	return false;
}

/* Is the container's subnet @net a copy of one of the host's? */
static bool is_mirrored(const struct cidr *net, const struct policy_view *in,
			const struct policy_view *host)
{
	if (!host || !list_has(host->subnets, host->n_subnets, net))
		return false;
	return shares_in(net, in->addrs, in->n_addrs, host->addrs,
			 host->n_addrs) ||
	       shares_in(net, in->gateways, in->n_gateways, host->gateways,
			 host->n_gateways);
}

void policy_set_view(struct policy *p, const struct policy_view *in,
		     const struct policy_view *host)
{
	size_t n = 0;

	p->n_subnets = in->n_subnets < POLICY_LIST_MAX ? in->n_subnets :
							 POLICY_LIST_MAX;
	memcpy(p->subnets, in->subnets, p->n_subnets * sizeof(*p->subnets));
	for (size_t i = 0; i < p->n_subnets; i++)
		p->mirrored[i] = is_mirrored(&p->subnets[i], in, host);
	for (size_t i = 0; i < in->n_addrs && n < POLICY_LIST_MAX; i++)
		p->local[n++] = in->addrs[i];
	for (size_t i = 0; i < in->n_gateways && n < POLICY_LIST_MAX; i++)
		p->local[n++] = in->gateways[i];
	p->n_local = n;
}

int policy_parse_mirrored(const char *s, enum policy_mirrored *ret)
{
	static const char *const names[] = {
		[POLICY_MIRRORED_AUTO] = "auto",
		[POLICY_MIRRORED_NEVER] = "none",
		[POLICY_MIRRORED_ALWAYS] = "all",
	};

	for (size_t i = 0; s && i < ARRAY_SIZE(names); i++)
		if (strcmp(s, names[i]) == 0) {
			*ret = (enum policy_mirrored)i;
			return 0;
		}
	return -EINVAL;
}

/* The ranges no option can bypass, for an IPv4 address. */
static enum policy_dest classify_v4_builtin(const uint8_t *a)
{
	if (a[0] == 127)
		return POLICY_DEST_LOOPBACK;
	if (a[0] == 0) /* 0.0.0.0/8: Linux sends 0.0.0.0 to loopback */
		return POLICY_DEST_UNSPECIFIED;
	if (a[0] == 169 && a[1] == 254)
		return POLICY_DEST_LINKLOCAL;
	if (a[0] >= 224 && a[0] <= 239)
		return POLICY_DEST_MULTICAST;
	if (a[0] >= 240) /* 240.0.0.0/4 and 255.255.255.255 */
		return a[0] == 255 && a[1] == 255 && a[2] == 255 &&
				       a[3] == 255 ?
			       POLICY_DEST_MULTICAST :
			       POLICY_DEST_RESERVED;
	return POLICY_DEST_BYPASS;
}

static enum policy_dest classify_v6_builtin(const uint8_t *a)
{
	static const uint8_t any[16];
	static const uint8_t loop[16] = { [15] = 1 };

	if (memcmp(a, any, 16) == 0)
		return POLICY_DEST_UNSPECIFIED;
	if (memcmp(a, loop, 16) == 0)
		return POLICY_DEST_LOOPBACK;
	if (memcmp(a, any, 12) == 0) /* ::/96, IPv4-compatible */
		return POLICY_DEST_RESERVED;
	if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80)
		return POLICY_DEST_LINKLOCAL;
	if (a[0] == 0xff)
		return POLICY_DEST_MULTICAST;
	return POLICY_DEST_BYPASS;
}

static bool subnet_mirrored(const struct policy *p, size_t i)
{
	switch (p->mirrored_mode) {
	case POLICY_MIRRORED_NEVER:
		return false;
	case POLICY_MIRRORED_ALWAYS:
		return true;
	default:
		return p->mirrored[i];
	}
}

/*
 * A destination on one of the container's subnets stays inside, unless
 * every subnet it is on is mirrored from the host: then only the
 * container's own addresses and its gateways (which pasta maps to the
 * host itself) stay inside.
 */
static enum policy_dest match_subnets(const struct policy *p, int family,
				      const uint8_t *a)
{
	bool on_mirrored = false;

	for (size_t i = 0; i < p->n_subnets; i++) {
		if (!cidr_contains(&p->subnets[i], family, a))
			continue;
		if (!subnet_mirrored(p, i))
			return POLICY_DEST_SUBNET;
		on_mirrored = true;
	}
	if (!on_mirrored)
		return POLICY_DEST_BYPASS;
	for (size_t i = 0; i < p->n_local; i++)
		if (cidr_contains(&p->local[i], family, a))
			return POLICY_DEST_LOCAL;
	return POLICY_DEST_BYPASS;
}

static enum policy_dest match_lists(const struct policy *p, int family,
				    const uint8_t *a)
{
	enum policy_dest d = match_subnets(p, family, a);

	if (d != POLICY_DEST_BYPASS)
		return d;
	for (size_t i = 0; i < p->n_ignore; i++)
		if (cidr_contains(&p->ignore[i], family, a))
			return POLICY_DEST_IGNORED;
	return POLICY_DEST_BYPASS;
}

enum policy_dest policy_classify(const struct policy *p,
				 const struct sockaddr *sa, socklen_t len)
{
	const uint8_t *a;
	enum policy_dest d;
	int family;

	if (!sa || len < sizeof(sa_family_t))
		return POLICY_DEST_INVALID;

	if (sa->sa_family == AF_INET) {
		if (len < sizeof(struct sockaddr_in))
			return POLICY_DEST_INVALID;
		family = AF_INET;
		a = (const uint8_t *)&((const struct sockaddr_in *)sa)->sin_addr;
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)sa;

		/* The kernel accepts RFC 2133's 24-byte form without scope. */
		if (len < 24)
			return POLICY_DEST_INVALID;
		a = s6->sin6_addr.s6_addr;
		family = AF_INET6;
		if (is_v4mapped(a)) {
			a += 12;
			family = AF_INET;
		}
	} else {
		return POLICY_DEST_INVALID;
	}

	d = family == AF_INET ? classify_v4_builtin(a) : classify_v6_builtin(a);
	if (d != POLICY_DEST_BYPASS)
		return d;
	return match_lists(p, family, a);
}
