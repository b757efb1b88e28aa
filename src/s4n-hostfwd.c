// SPDX-License-Identifier: Apache-2.0
/*
 * s4n-hostfwd.c - the table of host port forwards behind the slirp4netns API.
 *
 * A plain array kept in the order of the ids (new ids are always the
 * largest), grown on demand up to HOSTFWD_MAX entries.  Removal shifts the
 * tail down.  Tables are small and requests are rare, so nothing cleverer
 * is needed.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "s4n-hostfwd.h"

struct hostfwd_table {
	const struct hostfwd_ops *ops;
	void *opaque;
	struct in_addr guest;
	bool has_guest6;
	struct in6_addr guest6;
	unsigned int next_id;
	size_t n, cap;
	struct hostfwd *v;
};

struct hostfwd_table *hostfwd_table_new(const struct hostfwd_ops *ops,
					void *opaque, struct in_addr guest,
					const struct in6_addr *guest6)
{
	struct hostfwd_table *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->ops = ops;
	t->opaque = opaque;
	t->guest = guest;
	t->has_guest6 = guest6 != NULL;
	if (guest6)
		t->guest6 = *guest6;
	t->next_id = 1;
	return t;
}

struct hostfwd_table *hostfwd_table_free(struct hostfwd_table *t)
{
	if (t)
		free(t->v);
	free(t);
	return NULL;
}

struct in_addr hostfwd_default_guest(const struct hostfwd_table *t)
{
	return t->guest;
}

bool hostfwd_default_guest6(const struct hostfwd_table *t, struct in6_addr *ret)
{
	if (t->has_guest6)
		*ret = t->guest6;
	return t->has_guest6;
}

static in_port_t port_of(const union hostfwd_addr *a)
{
	return a->sa.sa_family == AF_INET ? a->in.sin_port : a->in6.sin6_port;
}

static in_port_t host_port(const struct hostfwd *f)
{
	return port_of(&f->host);
}

/* Same protocol, host address and port: what the backend matches on. */
static bool same_host(const struct hostfwd *a, const struct hostfwd *b)
{
	if (a->udp != b->udp || a->host.sa.sa_family != b->host.sa.sa_family ||
	    host_port(a) != host_port(b))
		return false;
	if (a->host.sa.sa_family == AF_INET)
		return a->host.in.sin_addr.s_addr == b->host.in.sin_addr.s_addr;
	return memcmp(&a->host.in6.sin6_addr, &b->host.in6.sin6_addr,
		      sizeof(struct in6_addr)) == 0;
}

int hostfwd_add(struct hostfwd_table *t, struct hostfwd *fwd)
{
	int family = fwd->host.sa.sa_family;
	int r;

	if ((family != AF_INET && family != AF_INET6) || host_port(fwd) == 0 ||
	    fwd->guest.sa.sa_family != family || port_of(&fwd->guest) == 0)
		return -EINVAL;
	if (family == AF_INET6 && (!t->has_guest6 || fwd->udp))
		return -EAFNOSUPPORT;
	for (size_t i = 0; i < t->n; i++)
		if (same_host(&t->v[i], fwd))
			return -EADDRINUSE;
	if (t->n >= HOSTFWD_MAX || t->next_id == UINT_MAX)
		return -ENOSPC;
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 8;
		struct hostfwd *v = realloc(t->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		t->v = v;
		t->cap = cap;
	}
	r = t->ops->add(t->opaque, fwd);
	if (r < 0)
		return r;
	fwd->id = t->next_id++;
	t->v[t->n++] = *fwd;
	return 0;
}

int hostfwd_remove(struct hostfwd_table *t, unsigned int id)
{
	size_t i;
	int r;

	for (i = 0; i < t->n && t->v[i].id != id; i++)
		;
	if (i == t->n)
		return -ENOENT;
	r = t->ops->remove(t->opaque, &t->v[i]);
	memmove(&t->v[i], &t->v[i + 1], (t->n - i - 1) * sizeof(t->v[0]));
	t->n--;
	return r;
}

size_t hostfwd_count(const struct hostfwd_table *t)
{
	return t->n;
}

const struct hostfwd *hostfwd_at(const struct hostfwd_table *t, size_t i)
{
	return i < t->n ? &t->v[i] : NULL;
}
