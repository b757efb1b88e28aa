/* SPDX-License-Identifier: Apache-2.0 */
/*
 * policy.h - the bypass decision: is a destination outside the container?
 *
 * A destination is bypassed (reached through a socket made in the host
 * network namespace) only when it is a unicast address that is not on the
 * container's side of the wall.  Whatever the user passes, these are never
 * bypassed: loopback (127.0.0.0/8, ::1), unspecified (0.0.0.0/8, ::),
 * link-local, multicast, broadcast and reserved ranges, IPv4-compatible
 * and IPv4-mapped forms of all of those, the container's own subnets, and
 * every --ignore CIDR.  The built-in list cannot be replaced, only extended.
 */
#ifndef NB_POLICY_H
#define NB_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct cidr {
	int family;	  /* AF_INET or AF_INET6 */
	uint8_t addr[16]; /* network byte order, host bits cleared */
	uint8_t prefix;	  /* 0..32 or 0..128 */
};

enum policy_dest {
	POLICY_DEST_BYPASS, /* outside: make the socket on the host */
	POLICY_DEST_LOOPBACK,
	POLICY_DEST_UNSPECIFIED,
	POLICY_DEST_LINKLOCAL,
	POLICY_DEST_MULTICAST, /* includes broadcast */
	POLICY_DEST_RESERVED,
	POLICY_DEST_SUBNET,  /* one of the container's own subnets */
	POLICY_DEST_LOCAL,   /* on a mirrored subnet, but the container's
			      * own address or one pasta maps to the host */
	POLICY_DEST_IGNORED, /* --ignore CIDR */
	POLICY_DEST_INVALID, /* not an inet address we understand */
	POLICY_DEST_MAX,
};

/* At most this many CIDRs in each list: bounds memory and lookup time. */
#define POLICY_LIST_MAX 256

/*
 * Which of the container's subnets are bypassed as "mirrored from the
 * host" (docs/design.md §5): pasta copies the host's addresses and
 * routes into the container, so a subnet inside can be the host's LAN.
 */
enum policy_mirrored {
	POLICY_MIRRORED_AUTO,	/* those that look mirrored (the default) */
	POLICY_MIRRORED_NEVER,	/* none: every subnet stays inside */
	POLICY_MIRRORED_ALWAYS, /* all: every subnet is the host's */
};

struct policy {
	struct cidr ignore[POLICY_LIST_MAX];
	size_t n_ignore;
	struct cidr subnets[POLICY_LIST_MAX];
	size_t n_subnets;
	/* Parallel to subnets: mirrored from the host (policy_set_view()). */
	bool mirrored[POLICY_LIST_MAX];
	/* Kept even on a mirrored subnet: the container's own addresses and
	 * its routes' gateways (pasta maps the gateway to the host). */
	struct cidr local[POLICY_LIST_MAX];
	size_t n_local;
	enum policy_mirrored mirrored_mode;
};

/**
 * struct policy_view - what one network namespace's addresses and routes
 * say, for policy_set_view()
 * @subnets:	the networks of its addresses and its routes without a
 *		gateway (on-link), @n_subnets of them
 * @addrs:	its own addresses (full-length CIDRs), @n_addrs of them
 * @gateways:	the gateways of its routes (full-length), @n_gateways
 */
struct policy_view {
	struct cidr subnets[POLICY_LIST_MAX];
	size_t n_subnets;
	struct cidr addrs[POLICY_LIST_MAX];
	size_t n_addrs;
	struct cidr gateways[POLICY_LIST_MAX];
	size_t n_gateways;
};

/**
 * cidr_parse() - parse "ADDR/PREFIX" or a bare address (a host route)
 * @s:		the text, IPv4 or IPv6
 * @ret:	the CIDR, host bits cleared; IPv4-mapped IPv6 CIDRs of prefix
 *		>= 96 are stored as their IPv4 equivalent
 *
 * Return: 0 or -EINVAL
 */
int cidr_parse(const char *s, struct cidr *ret);

/** cidr_format() - write a CIDR as text; returns @buf */
char *cidr_format(const struct cidr *c, char *buf, size_t len);

/** cidr_equal() - same family, prefix and network? */
bool cidr_equal(const struct cidr *a, const struct cidr *b);

/**
 * cidr_contains() - is @addr (@family, network byte order) inside @c?
 */
bool cidr_contains(const struct cidr *c, int family, const uint8_t *addr);

/** policy_init() - an empty policy: only the built-in rules apply */
void policy_init(struct policy *p);

/**
 * policy_add_ignore() - never bypass @c
 * Return: 0, or -ENOSPC when the list is full
 */
int policy_add_ignore(struct policy *p, const struct cidr *c);

/**
 * policy_set_subnets() - replace the container's own subnets
 * Return: 0, or -ENOSPC when @n is over POLICY_LIST_MAX (nothing changed)
 */
int policy_set_subnets(struct policy *p, const struct cidr *c, size_t n);

/**
 * policy_set_view() - replace the container's subnets and local addresses
 * from the container's view, and mark which subnets the host mirrors
 * @p:		the policy
 * @in:		the container's network namespace
 * @host:	the host's (the agent's) network namespace, or NULL: unknown,
 *		no subnet is mirrored unless the mode says always
 *
 * A subnet inside is mirrored when the host has the same subnet (same
 * network and prefix) and the container shares an address or a gateway
 * of it with the host: what pasta's copy gives, and what a network of
 * the container's own (slirp4netns, a bridge in a rootless netns) does
 * not.
 */
void policy_set_view(struct policy *p, const struct policy_view *in,
		     const struct policy_view *host);

/**
 * policy_parse_mirrored() - "auto", "none" (never) or "all" (always), as
 * `nsbypass run --host-subnets` and the host-subnets setting spell it
 * Return: 0 or -EINVAL
 */
int policy_parse_mirrored(const char *s, enum policy_mirrored *ret);

/**
 * policy_classify() - decide for a destination socket address
 * @p:		the policy
 * @sa:		the agent's own copy of the address
 * @len:	its length as given by the caller
 *
 * Return: POLICY_DEST_BYPASS when the destination is outside, else the
 * reason it is not bypassed.
 */
enum policy_dest policy_classify(const struct policy *p,
				 const struct sockaddr *sa, socklen_t len);

const char *policy_dest_to_string(enum policy_dest d);

#endif /* NB_POLICY_H */
