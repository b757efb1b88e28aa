// SPDX-License-Identifier: Apache-2.0
/*
 * service-map.c - published services and their host listeners.
 *
 * Two small arrays, searched linearly: a connect() to a destination kept
 * inside looks through at most SERVICE_MAP_MAX entries, and a map holds a
 * few in practice.  Whether a server takes a destination is asked of
 * sockdiag_receives(), the same rule that says whether a host listener
 * takes a host address: one rule, Linux's, for both sides.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>

#include "inaddr.h"
#include "service-map.h"
#include "util.h"

static const uint8_t v4mapped_prefix[12] = { [10] = 0xff, [11] = 0xff };
static const uint8_t in6_loopback[16] = { [15] = 1 };

struct service_map *service_map_new(void)
{
	return calloc(1, sizeof(struct service_map));
}

struct service_map *service_map_free(struct service_map *m)
{
	free(m);
	return NULL;
}

/* A bind's address: the wildcard of its family (::ffff:0.0.0.0 is the
 * IPv4 wildcard of an IPv6 socket)? */
static bool is_wildcard(const struct sockdiag_sock *s)
{
	if (s->family == AF_INET)
		return inaddr_is_zero(s->addr, 4);
	return inaddr_is_zero(s->addr, 16) ||
	       (inaddr_is_v4mapped(s->addr) && inaddr_is_zero(s->addr + 12, 4));
}

int service_entry_init(struct service_entry *e, uint64_t netns, int protocol,
		       const struct sockaddr *bind, socklen_t bind_len,
		       bool v6only, const struct sockaddr *host,
		       socklen_t host_len, bool host_v6only, uint64_t cookie)
{
	int r;

	memset(e, 0, sizeof(*e));
	if (protocol != IPPROTO_TCP)
		return -EPROTONOSUPPORT; /* UDP stays with slirp (§3.2) */
	r = sockdiag_sock_set_addr(&e->server, bind, bind_len);
	if (r < 0)
		return -EINVAL;
	r = sockdiag_sock_set_addr(&e->listener, host, host_len);
	if (r < 0)
		return -EINVAL;
	if (e->server.family != e->listener.family || !e->server.port ||
	    !e->listener.port || !cookie)
		return -EINVAL;
	e->netns = netns;
	e->server.state = TCP_LISTEN;
	e->server.v6only = e->server.family == AF_INET6 && v6only;
	e->listener.state = TCP_LISTEN;
	e->listener.v6only = e->listener.family == AF_INET6 && host_v6only;
	e->listener.cookie = cookie;
	return 0;
}

static struct service_entry *find_cookie(const struct service_map *m,
					 uint64_t cookie)
{
	for (size_t i = 0; i < m->n; i++)
		if (m->entries[i].listener.cookie == cookie)
			return (struct service_entry *)&m->entries[i];
	return NULL;
}

int service_map_add(struct service_map *m, const struct service_entry *e)
{
	if (find_cookie(m, e->listener.cookie))
		return -EEXIST;
	if (m->n >= SERVICE_MAP_MAX)
		return -ENOSPC;
	m->entries[m->n++] = *e;
	return 0;
}

static void remove_at(struct service_map *m, size_t i)
{
	m->entries[i] = m->entries[--m->n];
}

int service_map_remove(struct service_map *m, uint64_t cookie)
{
	struct service_entry *e = find_cookie(m, cookie);

	if (!e)
		return -ENOENT;
	remove_at(m, (size_t)(e - m->entries));
	return 0;
}

bool service_map_owns(const struct service_map *m, uint64_t cookie)
{
	return find_cookie(m, cookie) != NULL;
}

static struct service_netns *find_netns(const struct service_map *m,
					uint64_t netns)
{
	for (size_t i = 0; i < m->n_netns; i++)
		if (m->netns[i].netns == netns)
			return (struct service_netns *)&m->netns[i];
	return NULL;
}

int service_addr_normal(const struct service_addr *a, struct service_addr *ret)
{
	memset(ret, 0, sizeof(*ret));
	if (a->family == AF_INET) {
		ret->family = AF_INET;
		memcpy(ret->a, a->a, 4);
	} else if (a->family == AF_INET6 && inaddr_is_v4mapped(a->a)) {
		ret->family = AF_INET;
		memcpy(ret->a, a->a + 12, 4);
	} else if (a->family == AF_INET6) {
		*ret = *a;
	} else {
		return -EINVAL;
	}
	return 0;
}

int service_map_set_netns(struct service_map *m, uint64_t netns,
			  const struct service_addr *addrs, size_t n, bool c2c)
{
	struct service_addr norm[SERVICE_ADDRS_MAX];
	struct service_netns *ns;

	if (n > SERVICE_ADDRS_MAX)
		return -ENOSPC;
	for (size_t i = 0; i < n; i++)
		if (service_addr_normal(&addrs[i], &norm[i]) < 0)
			return -EINVAL;
	ns = find_netns(m, netns);
	if (!ns) {
		if (m->n_netns >= SERVICE_NETNS_MAX)
			return -ENOSPC;
		ns = &m->netns[m->n_netns++];
	}
	ns->netns = netns;
	ns->c2c = c2c;
	memcpy(ns->addrs, norm, n * sizeof(norm[0]));
	ns->n_addrs = n;
	return 0;
}

size_t service_map_drop_netns(struct service_map *m, uint64_t netns)
{
	struct service_netns *ns = find_netns(m, netns);
	size_t dropped = 0;

	if (ns)
		*ns = m->netns[--m->n_netns];
	for (size_t i = 0; i < m->n;) {
		if (m->entries[i].netns == netns) {
			remove_at(m, i);
			dropped++;
		} else {
			i++;
		}
	}
	return dropped;
}

/* A destination as Linux connects to it. */
struct dest {
	struct service_addr addr; /* v4-mapped as IPv4 */
	uint16_t port;
	struct sockaddr_storage ss; /* the same, for sockdiag_receives() */
};

static void dest_fill_ss(struct dest *d)
{
	memset(&d->ss, 0, sizeof(d->ss));
	if (d->addr.family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&d->ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(d->port);
		memcpy(&s4->sin_addr, d->addr.a, 4);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&d->ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(d->port);
		memcpy(&s6->sin6_addr, d->addr.a, 16);
	}
}

/*
 * @sa as the kernel takes it at connect(): a v4-mapped address is IPv4
 * (not for an IPV6_V6ONLY socket: ENETUNREACH), and the unspecified
 * address is loopback (ip_route_connect(), tcp_v6_connect()).
 */
static int dest_parse(const struct sockaddr *sa, socklen_t len,
		      bool client_v6only, struct dest *ret)
{
	struct sockdiag_sock s;
	struct service_addr raw = { 0 };
	int r = sockdiag_sock_set_addr(&s, sa, len);

	if (r < 0)
		return r;
	if (s.port == 0)
		return -ENOENT; /* port 0 is refused by connect() itself */
	if (s.family == AF_INET6 && inaddr_is_v4mapped(s.addr) && client_v6only)
		return -ENOENT;
	raw.family = s.family;
	memcpy(raw.a, s.addr, sizeof(raw.a));
	service_addr_normal(&raw, &ret->addr);
	ret->port = s.port;
	if (ret->addr.family == AF_INET && inaddr_is_zero(ret->addr.a, 4)) {
		ret->addr.a[0] = 127;
		ret->addr.a[3] = 1;
	} else if (ret->addr.family == AF_INET6 &&
		   inaddr_is_zero(ret->addr.a, 16)) {
		ret->addr.a[15] = 1;
	}
	dest_fill_ss(ret);
	return 0;
}

bool service_addr_is_loopback(const struct service_addr *a)
{
	if (a->family == AF_INET)
		return a->a[0] == 127;
	return memcmp(a->a, in6_loopback, 16) == 0;
}

bool service_addr_eq(const struct service_addr *a, const struct service_addr *b)
{
	return a->family == b->family &&
	       memcmp(a->a, b->a, a->family == AF_INET ? 4 : 16) == 0;
}

static bool has_addr(const struct service_netns *ns,
		     const struct service_addr *a)
{
	for (size_t i = 0; i < ns->n_addrs; i++)
		if (service_addr_eq(&ns->addrs[i], a))
			return true;
	return false;
}

/*
 * The server of @netns that takes @d, as the kernel's listener lookup
 * picks it: a bound address equal to the destination before the
 * wildcard, then a socket of the destination's family before a
 * dual-stack one.  Members of a REUSEPORT group score alike: the first.
 */
static const struct service_entry *
best_server(const struct service_map *m, uint64_t netns, const struct dest *d)
{
	const struct service_entry *best = NULL;
	int best_score = -1;

	for (size_t i = 0; i < m->n; i++) {
		const struct service_entry *e = &m->entries[i];
		int score;

		if (e->netns != netns || e->server.port != d->port ||
		    !sockdiag_receives(&e->server,
				       (const struct sockaddr *)&d->ss))
			continue;
		score = (is_wildcard(&e->server) ? 0 : 2) +
			(e->server.family == d->addr.family ? 1 : 0);
		if (score > best_score) {
			best = e;
			best_score = score;
		}
	}
	return best;
}

int service_map_lookup(const struct service_map *m, uint64_t netns,
		       const struct sockaddr *dst, socklen_t len,
		       bool client_v6only, const struct service_entry **ret)
{
	const struct service_netns *own, *other = NULL;
	const struct service_entry *e;
	struct dest d;

	if (m->n == 0 || dest_parse(dst, len, client_v6only, &d) < 0)
		return -ENOENT;
	own = find_netns(m, netns);
	if (service_addr_is_loopback(&d.addr) ||
	    (own && has_addr(own, &d.addr))) {
		/* Local in the client's namespace: only its own servers
		 * can take it, whatever else the map holds. */
		e = best_server(m, netns, &d);
		if (!e)
			return -ENOENT;
		*ret = e;
		return 0;
	}
	if (!own || !own->c2c)
		return -ENOENT;
	for (size_t i = 0; i < m->n_netns; i++) {
		const struct service_netns *ns = &m->netns[i];

		if (ns->netns == netns || !ns->c2c || !has_addr(ns, &d.addr))
			continue;
		if (other)
			return -ENOTUNIQ;
		other = ns;
	}
	if (!other)
		return -ENOENT;
	e = best_server(m, other->netns, &d);
	if (!e)
		return -ENOENT;
	*ret = e;
	return 0;
}

bool service_map_takes(const struct service_map *m,
		       const struct service_entry *e, uint64_t cookie,
		       const struct sockaddr *dst, socklen_t len,
		       bool client_v6only)
{
	const struct service_entry *owner = find_cookie(m, cookie);
	struct dest d;

	if (!owner || owner->netns != e->netns ||
	    owner->server.port != e->server.port ||
	    dest_parse(dst, len, client_v6only, &d) < 0)
		return false;
	return sockdiag_receives(&owner->server,
				 (const struct sockaddr *)&d.ss);
}

/* @a (IPv4 or IPv6) as an address of a socket of @family, with @port. */
static bool target_fill(int family, bool client_v6only, int afamily,
			const uint8_t *a, uint16_t port,
			struct sockaddr_storage *ret, socklen_t *ret_len)
{
	memset(ret, 0, sizeof(*ret));
	if (family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ret;

		if (afamily != AF_INET)
			return false;
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		memcpy(&s4->sin_addr, a, 4);
		*ret_len = sizeof(*s4);
		return true;
	}
	if (family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ret;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		if (afamily == AF_INET6) {
			memcpy(&s6->sin6_addr, a, 16);
		} else {
			if (client_v6only)
				return false;
			memcpy(s6->sin6_addr.s6_addr, v4mapped_prefix, 12);
			memcpy(s6->sin6_addr.s6_addr + 12, a, 4);
		}
		*ret_len = sizeof(*s6);
		return true;
	}
	return false;
}

/* A host address a wildcard listener may be reached at. */
struct candidate {
	int family;
	const uint8_t *a;
	bool loopback;
};

int service_map_target(const struct service_entry *e, int family,
		       bool client_v6only, const struct service_host *host,
		       struct sockaddr_storage *ret, socklen_t *ret_len)
{
	static const uint8_t lo4[4] = { 127, 0, 0, 1 };
	const struct sockdiag_sock *l = &e->listener;
	struct candidate cand[4];
	size_t n = 0;

	if (!is_wildcard(l)) {
		struct service_addr raw = { .family = l->family }, a;

		memcpy(raw.a, l->addr, sizeof(raw.a));
		service_addr_normal(&raw, &a);
		if (!target_fill(family, client_v6only, a.family, a.a, l->port,
				 ret, ret_len))
			return -EAFNOSUPPORT;
		return service_addr_is_loopback(&a) ? 1 : 0;
	}
	/* The host's own address reaches a wildcard listener without
	 * touching a service bound to loopback; loopback comes last. */
	if (family == AF_INET6 && host && host->has_v6)
		cand[n++] = (struct candidate){ AF_INET6, host->v6, false };
	if (host && host->has_v4)
		cand[n++] = (struct candidate){ AF_INET, host->v4, false };
	if (family == AF_INET6)
		cand[n++] = (struct candidate){ AF_INET6, in6_loopback, true };
	cand[n++] = (struct candidate){ AF_INET, lo4, true };
	for (size_t i = 0; i < n; i++) {
		if (!target_fill(family, client_v6only, cand[i].family,
				 cand[i].a, l->port, ret, ret_len) ||
		    !sockdiag_receives(l, (const struct sockaddr *)ret))
			continue;
		return cand[i].loopback ? 1 : 0;
	}
	return -EAFNOSUPPORT;
}

int service_map_verify(const struct service_map *m,
		       const struct sockaddr *target,
		       const struct sockdiag_sock *socks, size_t n)
{
	bool ours = false;

	for (size_t i = 0; i < n; i++) {
		if (socks[i].state != TCP_LISTEN ||
		    !sockdiag_receives(&socks[i], target))
			continue;
		if (!service_map_owns(m, socks[i].cookie))
			return -ECONNREFUSED;
		ours = true;
	}
	return ours ? 0 : -ECONNREFUSED;
}

void service_map_mark_begin(struct service_map *m)
{
	/* Another node's listeners are not in this host's dump: they stay
	 * until their record is withdrawn. */
	for (size_t i = 0; i < m->n; i++)
		m->entries[i].mark = m->entries[i].origin == SERVICE_CLUSTER;
}

int service_map_mark(const struct sockdiag_sock *s, void *opaque)
{
	struct service_entry *e;

	if (s->state != TCP_LISTEN)
		return 0;
	e = find_cookie(opaque, s->cookie);
	if (e)
		e->mark = true;
	return 0;
}

size_t service_map_mark_end(struct service_map *m)
{
	size_t dropped = 0;

	for (size_t i = 0; i < m->n;) {
		if (!m->entries[i].mark) {
			remove_at(m, i);
			dropped++;
		} else {
			i++;
		}
	}
	return dropped;
}
