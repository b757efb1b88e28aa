// SPDX-License-Identifier: Apache-2.0
/*
 * cluster-view.c - the service map across nodes as one node sees it: what
 * it writes of its own containers, what it takes of the others' (see
 * cluster-view.h and docs/design.md §6.8).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster-view.h"
#include "inaddr.h"
#include "log.h"
#include "util.h"

/* Entry numbers inside a remote namespace's cookies: a record has at most
 * SERVICE_RECORD_ENTRIES_MAX (256) entries. */
#define ENTRY_BITS 8

struct cluster_remote {
	char key[CLUSTER_KEY_MAX + 1];
	struct cluster_key k;
	uint64_t id;
	bool mark;
	/* Addresses whose collision was logged (bit i: rec.addrs[i]). */
	uint32_t logged_local, logged_remote;
	/* Those that collided at the last cluster_view_emit(). */
	uint32_t colliding;
	struct service_record rec;
};

_Static_assert(SERVICE_ADDRS_MAX <= 32, "one bit an address");
_Static_assert(SERVICE_RECORD_ENTRIES_MAX <= 1 << ENTRY_BITS,
	       "entry numbers fit");

bool cluster_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > CLUSTER_NAME_MAX || strcmp(s, ".") == 0 ||
	    strcmp(s, "..") == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || strchr("._-", s[i])))
			return false;
	return true;
}

int cluster_key_format(const struct cluster_config *c, uint64_t netns,
		       char *buf, size_t size)
{
	int n = snprintf(buf, size, "%sns/%s/%s/%016" PRIx64, c->prefix,
			 c->node, c->writer, netns);

	return n < 0 || (size_t)n >= size ? -ENOSPC : n;
}

/* The next '/'-ended name of @p (up to @end) into @ret. */
static int take_name(const char **p, const char *end, char *ret)
{
	const char *slash = memchr(*p, '/', (size_t)(end - *p));
	size_t n;

	if (!slash)
		return -EINVAL;
	n = (size_t)(slash - *p);
	if (n == 0 || n > CLUSTER_NAME_MAX)
		return -EINVAL;
	memcpy(ret, *p, n);
	ret[n] = '\0';
	if (!cluster_name_ok(ret))
		return -EINVAL;
	*p = slash + 1;
	return 0;
}

int cluster_key_parse(const char *prefix, const uint8_t *key, size_t len,
		      struct cluster_key *ret)
{
	const char *p = (const char *)key, *end = p + len;
	size_t pl = strlen(prefix);
	uint64_t v = 0;

	memset(ret, 0, sizeof(*ret));
	/* A NUL would end a name early in every string function after. */
	if (memchr(key, '\0', len))
		return -EINVAL;
	if (len < pl + 3 || memcmp(p, prefix, pl) != 0 ||
	    memcmp(p + pl, "ns/", 3) != 0)
		return -EINVAL;
	p += pl + 3;
	if (take_name(&p, end, ret->node) < 0 ||
	    take_name(&p, end, ret->writer) < 0 || end - p != 16)
		return -EINVAL;
	for (; p < end; p++) {
		if (*p >= '0' && *p <= '9')
			v = v << 4 | (uint64_t)(*p - '0');
		else if (*p >= 'a' && *p <= 'f')
			v = v << 4 | (uint64_t)(*p - 'a' + 10);
		else
			return -EINVAL;
	}
	if (v == 0)
		return -EINVAL;
	ret->netns = v;
	return 0;
}

/* @family/@a (sockdiag's form, v4-mapped allowed) as a plain address. */
static struct service_addr plain(int family, const uint8_t *a)
{
	struct service_addr raw = { .family = family }, r;

	memcpy(raw.a, a, sizeof(raw.a));
	service_addr_normal(&raw, &r);
	return r;
}

static bool is_unspecified(const struct service_addr *a)
{
	return inaddr_is_zero(a->a, a->family == AF_INET ? 4 : 16);
}

bool cluster_addr_routable(const struct service_addr *a)
{
	if (service_addr_is_loopback(a) || is_unspecified(a))
		return false;
	if (a->family == AF_INET)
		return a->a[0] < 224;
	return a->a[0] != 0xff &&
	       !(a->a[0] == 0xfe && (a->a[1] & 0xc0) == 0x80);
}

/* Is @a inside the cluster subnets of @c (all, if none are given)? */
static bool in_subnets(const struct cluster_config *c,
		       const struct service_addr *a)
{
	if (c->n_subnets == 0)
		return true;
	for (size_t i = 0; i < c->n_subnets; i++)
		if (cidr_contains(&c->subnets[i], a->family, a->a))
			return true;
	return false;
}

/* The addresses of @r another node can use, into @ret. */
static void export_addrs(const struct cluster_config *c,
			 const struct service_record *r,
			 struct service_record *ret)
{
	for (size_t i = 0; i < r->n_addrs; i++) {
		struct service_addr a = plain(r->addrs[i].family,
					      r->addrs[i].a);

		if (!!cluster_addr_routable(&a) && in_subnets(c, &a))
			ret->addrs[ret->n_addrs++] = a;
	}
}

/* @server (one family) reached at @listener:@port: one more entry. */
static void add_entry(struct service_record *ret,
		      const struct service_entry *from,
		      const struct service_addr *server, bool server_v6only,
		      const struct service_addr *listener)
{
	struct service_entry *e;

	if (ret->n_entries == SERVICE_RECORD_ENTRIES_MAX)
		return;
	e = &ret->entries[ret->n_entries++];
	*e = *from;
	e->server.family = server->family;
	memset(e->server.addr, 0, sizeof(e->server.addr));
	memcpy(e->server.addr, server->a, server->family == AF_INET ? 4 : 16);
	e->server.v6only = server->family == AF_INET6 && server_v6only;
	e->listener.family = listener->family;
	memset(e->listener.addr, 0, sizeof(e->listener.addr));
	memcpy(e->listener.addr, listener->a,
	       listener->family == AF_INET ? 4 : 16);
	e->listener.v6only = listener->family == AF_INET6;
}

/* @server reached at every node address of its family. */
static void add_per_node(const struct cluster_config *c,
			 struct service_record *ret,
			 const struct service_entry *from,
			 const struct service_addr *server, bool v6only)
{
	for (size_t i = 0; i < c->n_node_addrs; i++)
		if (c->node_addrs[i].family == server->family)
			add_entry(ret, from, server, v6only, &c->node_addrs[i]);
}

static void export_entry(const struct cluster_config *c,
			 const struct service_entry *e,
			 struct service_record *ret)
{
	struct service_addr srv = plain(e->server.family, e->server.addr);
	struct service_addr lis = plain(e->listener.family, e->listener.addr);
	bool dual = e->server.family == AF_INET6 && srv.family == AF_INET6 &&
		    !e->server.v6only && is_unspecified(&srv);

	if (service_addr_is_loopback(&lis))
		return; /* host loopback is no other node's */
	if (!is_unspecified(&lis)) {
		/* A listener on one host address: there, if the server
		 * is of its family. */
		if (!cluster_addr_routable(&lis) || lis.family != srv.family)
			return;
		add_entry(ret, e, &srv, e->server.v6only, &lis);
		return;
	}
	if (!dual) {
		add_per_node(c, ret, e, &srv, e->server.v6only);
		return;
	}
	/* A dual-stack server: its IPv6 half and its IPv4 half, each at
	 * the node addresses of its family (the host listener is
	 * dual-stack too unless it is IPV6_V6ONLY). */
	add_per_node(c, ret, e, &srv, true);
	if (!e->listener.v6only) {
		struct service_addr any4 = { .family = AF_INET };

		add_per_node(c, ret, e, &any4, false);
	}
}

int cluster_export(const struct cluster_config *c,
		   const struct service_record *r, struct service_record *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->netns = r->netns;
	ret->c2c = true;
	if (!r->c2c)
		return -ENOENT;
	export_addrs(c, r, ret);
	if (ret->n_addrs == 0)
		return -ENOENT;
	for (size_t i = 0; i < r->n_entries; i++)
		export_entry(c, &r->entries[i], ret);
	return ret->n_entries ? 0 : -ENOENT;
}

int cluster_view_init(struct cluster_view *v, const struct cluster_config *c)
{
	memset(v, 0, sizeof(*v));
	v->cfg = c;
	v->next_id = 1;
	v->local = calloc(CLUSTER_LOCAL_MAX, sizeof(*v->local));
	v->scratch = malloc(sizeof(*v->scratch));
	if (!v->local || !v->scratch) {
		cluster_view_fini(v);
		return -ENOMEM;
	}
	return 0;
}

void cluster_view_fini(struct cluster_view *v)
{
	for (size_t i = 0; i < v->n_remote; i++)
		free(v->remote[i]);
	v->n_remote = 0;
	free(v->local);
	free(v->scratch);
	v->local = NULL;
	v->scratch = NULL;
}

static struct cluster_remote *find_key(const struct cluster_view *v,
				       const uint8_t *key, size_t len,
				       size_t *idx)
{
	for (size_t i = 0; i < v->n_remote; i++)
		if (strlen(v->remote[i]->key) == len &&
		    memcmp(v->remote[i]->key, key, len) == 0) {
			if (idx)
				*idx = i;
			return v->remote[i];
		}
	return NULL;
}

static struct cluster_remote *find_id(const struct cluster_view *v, uint64_t id)
{
	for (size_t i = 0; i < v->n_remote; i++)
		if (v->remote[i]->id == id)
			return v->remote[i];
	return NULL;
}

static void drop_at(struct cluster_view *v, size_t i)
{
	free(v->remote[i]);
	v->remote[i] = v->remote[--v->n_remote];
}

/* Check a parsed remote record and make it this node's: routable
 * listeners only, addresses inside the subnets, our own numbers. */
static int adopt(const struct cluster_config *c, struct service_record *r,
		 uint64_t id)
{
	size_t n = 0;

	for (size_t i = 0; i < r->n_entries; i++) {
		struct service_entry *e = &r->entries[i];
		struct service_addr l = plain(e->listener.family,
					      e->listener.addr);

		if (!cluster_addr_routable(&l))
			return -EINVAL;
		e->netns = id;
		e->origin = SERVICE_CLUSTER;
		e->listener.cookie = id << ENTRY_BITS | i |
				     SERVICE_NETNS_REMOTE;
	}
	for (size_t i = 0; i < r->n_addrs; i++) {
		struct service_addr a = plain(r->addrs[i].family,
					      r->addrs[i].a);

		if (!!cluster_addr_routable(&a) && in_subnets(c, &a))
			r->addrs[n++] = a;
	}
	r->n_addrs = n;
	r->netns = id;
	return 0;
}

static bool record_eq(const struct service_record *a,
		      const struct service_record *b)
{
	return a->netns == b->netns && a->c2c == b->c2c &&
	       a->n_addrs == b->n_addrs && a->n_entries == b->n_entries &&
	       memcmp(a->addrs, b->addrs, a->n_addrs * sizeof(a->addrs[0])) ==
		       0 &&
	       memcmp(a->entries, b->entries,
		      a->n_entries * sizeof(a->entries[0])) == 0;
}

int cluster_view_put(struct cluster_view *v, const uint8_t *key, size_t key_len,
		     const uint8_t *value, size_t value_len, uint64_t *id)
{
	struct cluster_remote *rm;
	struct cluster_key k;
	size_t idx = 0;
	uint64_t nid;

	*id = 0;
	if (key_len > CLUSTER_KEY_MAX ||
	    cluster_key_parse(v->cfg->prefix, key, key_len, &k) < 0)
		return -EINVAL;
	if (strcmp(k.node, v->cfg->node) == 0 &&
	    strcmp(k.writer, v->cfg->writer) == 0)
		return 0; /* what this daemon wrote */
	rm = find_key(v, key, key_len, &idx);
	if (rm)
		rm->mark = true;
	nid = rm ? rm->id :
		   (v->next_id & ~SERVICE_NETNS_REMOTE) | SERVICE_NETNS_REMOTE;
	/* The ids' low bits and the entry numbers make the cookies. */
	if (!rm && (v->next_id >> (63 - ENTRY_BITS)) != 0)
		return -ENOSPC;
	memset(v->scratch, 0, sizeof(*v->scratch));
	if (service_record_parse((const char *)value, value_len,
				 SERVICE_CLUSTER, v->scratch) < 0 ||
	    !v->scratch->c2c || adopt(v->cfg, v->scratch, nid) < 0) {
		if (rm) {
			*id = rm->id;
			drop_at(v, idx);
		}
		return -EINVAL;
	}
	if (rm) {
		if (record_eq(&rm->rec, v->scratch))
			return 0;
		rm->rec = *v->scratch;
		rm->logged_local = rm->logged_remote = rm->colliding = 0;
		*id = rm->id;
		return 1;
	}
	if (v->n_remote == CLUSTER_REMOTE_MAX)
		return -ENOSPC;
	rm = malloc(sizeof(*rm));
	if (!rm)
		return -ENOMEM;
	memset(rm, 0, offsetof(struct cluster_remote, rec));
	memcpy(rm->key, key, key_len);
	rm->key[key_len] = '\0';
	rm->k = k;
	rm->id = nid;
	rm->mark = true;
	rm->rec = *v->scratch;
	v->next_id++;
	v->remote[v->n_remote++] = rm;
	*id = nid;
	return 1;
}

uint64_t cluster_view_delete(struct cluster_view *v, const uint8_t *key,
			     size_t key_len)
{
	size_t idx;
	uint64_t id;

	if (!find_key(v, key, key_len, &idx))
		return 0;
	id = v->remote[idx]->id;
	drop_at(v, idx);
	return id;
}

void cluster_view_mark_begin(struct cluster_view *v)
{
	for (size_t i = 0; i < v->n_remote; i++)
		v->remote[i]->mark = false;
}

void cluster_view_mark_end(struct cluster_view *v,
			   void (*gone)(uint64_t id, void *opaque),
			   void *opaque)
{
	for (size_t i = 0; i < v->n_remote;) {
		if (v->remote[i]->mark) {
			i++;
			continue;
		}
		gone(v->remote[i]->id, opaque);
		drop_at(v, i);
	}
}

/* Does a remote record hold @a? */
static bool remote_has(const struct cluster_view *v,
		       const struct service_addr *a)
{
	for (size_t i = 0; i < v->n_remote; i++)
		for (size_t j = 0; j < v->remote[i]->rec.n_addrs; j++)
			if (service_addr_eq(&v->remote[i]->rec.addrs[j], a))
				return true;
	return false;
}

bool cluster_view_set_local(struct cluster_view *v, uint64_t netns,
			    const struct service_addr *addrs, size_t n)
{
	struct cluster_local *l = NULL;
	bool touched = false;
	size_t i;

	for (i = 0; i < v->n_local; i++)
		if (v->local[i].netns == netns) {
			l = &v->local[i];
			break;
		}
	if (l)
		for (size_t j = 0; j < l->n_addrs; j++)
			touched = touched || remote_has(v, &l->addrs[j]);
	if (!addrs) {
		if (l)
			v->local[i] = v->local[--v->n_local];
		return touched;
	}
	if (!l) {
		if (v->n_local == CLUSTER_LOCAL_MAX)
			return touched;
		l = &v->local[v->n_local++];
	}
	l->netns = netns;
	l->n_addrs = 0;
	for (size_t j = 0; j < n && j < SERVICE_ADDRS_MAX; j++) {
		l->addrs[l->n_addrs] = plain(addrs[j].family, addrs[j].a);
		touched = touched || remote_has(v, &l->addrs[l->n_addrs]);
		l->n_addrs++;
	}
	return touched;
}

static bool local_has(const struct cluster_view *v,
		      const struct service_addr *a)
{
	for (size_t i = 0; i < v->n_local; i++)
		for (size_t j = 0; j < v->local[i].n_addrs; j++)
			if (service_addr_eq(&v->local[i].addrs[j], a))
				return true;
	return false;
}

/* Another remote record than @rm holds @a: its node's name. */
static const char *other_remote(const struct cluster_view *v,
				const struct cluster_remote *rm,
				const struct service_addr *a)
{
	for (size_t i = 0; i < v->n_remote; i++) {
		if (v->remote[i] == rm)
			continue;
		for (size_t j = 0; j < v->remote[i]->rec.n_addrs; j++)
			if (service_addr_eq(&v->remote[i]->rec.addrs[j], a))
				return v->remote[i]->k.node;
	}
	return NULL;
}

int cluster_view_emit(struct cluster_view *v, uint64_t id, char *buf,
		      size_t size)
{
	struct cluster_remote *rm = find_id(v, id);
	struct service_record *out = v->scratch;
	char text[INET6_ADDRSTRLEN];

	if (!rm)
		return -ENOENT;
	*out = rm->rec;
	out->n_addrs = 0;
	rm->colliding = 0;
	for (size_t i = 0; i < rm->rec.n_addrs; i++) {
		const struct service_addr *a = &rm->rec.addrs[i];
		const char *other;

		inet_ntop(a->family, a->a, text, sizeof(text));
		if (local_has(v, a)) {
			if (!(rm->logged_local & 1U << i))
				log_warn("cluster: %s is a container's of "
					 "node %s and of this node: a "
					 "connect to it stays on this node",
					 text, rm->k.node);
			rm->logged_local |= 1U << i;
			rm->colliding |= 1U << i;
			continue;
		}
		other = other_remote(v, rm, a);
		if (other && !(rm->logged_remote & 1U << i))
			log_warn("cluster: %s is a container's of node %s "
				 "and of node %s: a connect to it is not "
				 "switched",
				 text, rm->k.node, other);
		if (other) {
			rm->logged_remote |= 1U << i;
			rm->colliding |= 1U << i;
		}
		out->addrs[out->n_addrs++] = *a;
	}
	return service_record_format(out, buf, size);
}

uint64_t cluster_view_id(const struct cluster_view *v, size_t i)
{
	return i < v->n_remote ? v->remote[i]->id : 0;
}

void cluster_view_counts(const struct cluster_view *v, uint32_t *nodes,
			 uint32_t *collisions)
{
	*nodes = 0;
	*collisions = 0;
	for (size_t i = 0; i < v->n_remote; i++) {
		const struct cluster_remote *rm = v->remote[i];
		size_t j = 0;

		/* A node counts at its first namespace. */
		while (j < i && strcmp(v->remote[j]->k.node, rm->k.node) != 0)
			j++;
		*nodes += j == i;
		*collisions += (uint32_t)__builtin_popcount(rm->colliding);
	}
}
