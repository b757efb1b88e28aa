/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cluster-view.h - the service map across nodes, as one node sees it
 * (docs/design.md §6.8).
 *
 * Each `nsbypass oci` of a cluster writes the records of its containers
 * (service-record.h's text) into etcd, one key per network namespace:
 *
 *   PREFIX ns/NODE/WRITER/NETNS  ->  the record, listeners at NODE's
 *                                    addresses
 *
 * (PREFIX "nsbypass/v1/" unless told otherwise; NODE the node's name,
 * WRITER one daemon of that node, NETNS the namespace's cookie in hex.)
 * Every key lives under its writer's lease: a node that dies drops out
 * when the lease ends.
 *
 * Going out (cluster_export()), a record keeps only what another node can
 * use: container addresses inside the cluster subnets, and each host
 * listener at the node's own addresses: a wildcard one once per node
 * address of its family, a listener on a host address as it is, one on
 * host loopback not at all.  A dual-stack server becomes an IPv6-only one
 * and an IPv4 one, so that every entry's listener is of its server's
 * family.
 *
 * Coming in (cluster_view_put()), a value is another node's word: parsed
 * strictly, its namespace and listener cookies replaced by numbers of
 * this node's own with SERVICE_NETNS_REMOTE set (a cookie is a counter of
 * one kernel: two nodes have the same ones), listeners on a loopback,
 * unspecified or multicast address refused, addresses outside the
 * cluster subnets left out.  An address that a container of this node
 * has too is left out of the remote record (the local container is the
 * one a connect reaches, as on its own network) and the collision logged
 * once; one that two remote namespaces claim stays in both, so agents
 * refuse to guess (service_map_lookup()'s -ENOTUNIQ), and is logged too.
 */
#ifndef NB_CLUSTER_VIEW_H
#define NB_CLUSTER_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy.h"
#include "service-record.h"

/* Set in every namespace id and listener cookie of a remote record: the
 * kernel's cookies are counters that never get there. */
#define SERVICE_NETNS_REMOTE (UINT64_C(1) << 63)
/* Remote namespaces one node keeps. */
#define CLUSTER_REMOTE_MAX 1024
/* Local namespaces (one daemon's). */
#define CLUSTER_LOCAL_MAX 1024
/* A node's or writer's name: [A-Za-z0-9._-], this long at most. */
#define CLUSTER_NAME_MAX 63
/* Addresses of this node (--node-address). */
#define CLUSTER_NODE_ADDRS_MAX 8
/* The key prefix's longest. */
#define CLUSTER_PREFIX_MAX 128
/* A key: prefix, "ns/", two names, 16 hex digits and the slashes. */
#define CLUSTER_KEY_MAX (CLUSTER_PREFIX_MAX + 3 + 2 * CLUSTER_NAME_MAX + 16 + 3)

struct cluster_config {
	char prefix[CLUSTER_PREFIX_MAX + 1];
	char node[CLUSTER_NAME_MAX + 1];
	char writer[CLUSTER_NAME_MAX + 1];
	struct service_addr node_addrs[CLUSTER_NODE_ADDRS_MAX];
	size_t n_node_addrs;
	/* Container addresses that are cluster-wide; none: every one. */
	struct cidr subnets[POLICY_LIST_MAX];
	size_t n_subnets;
};

/* A key of the schema, split. */
struct cluster_key {
	char node[CLUSTER_NAME_MAX + 1];
	char writer[CLUSTER_NAME_MAX + 1];
	uint64_t netns;
};

/** cluster_name_ok() - is @s a node or writer name (1..63 of [A-Za-z0-9._-],
 * not "." or "..")? */
bool cluster_name_ok(const char *s);

/**
 * cluster_addr_routable() - can another node reach @a (normal form)?  Not
 * loopback, unspecified, multicast, the IPv4 broadcast range or IPv6
 * link-local (whose scope is one link of one host).
 */
bool cluster_addr_routable(const struct service_addr *a);

/**
 * cluster_key_format() - the key of @netns's record written by @c
 * Return: its length, or -ENOSPC
 */
int cluster_key_format(const struct cluster_config *c, uint64_t netns,
		       char *buf, size_t size);

/**
 * cluster_key_parse() - split a key of the schema under @prefix
 * Return: 0, or -EINVAL for any other key
 */
int cluster_key_parse(const char *prefix, const uint8_t *key, size_t len,
		      struct cluster_key *ret);

/**
 * cluster_export() - what other nodes get of local record @r
 * @c:		this node
 * @r:		the merged record of one local namespace
 * @ret:	filled (its netns and c2c are @r's)
 * Return: 0; -ENOENT when nothing of it is for the cluster (c2c off, no
 * address inside the subnets, or no listener another node can reach)
 */
int cluster_export(const struct cluster_config *c,
		   const struct service_record *r, struct service_record *ret);

struct cluster_remote;

struct cluster_view {
	const struct cluster_config *cfg;
	struct cluster_remote *remote[CLUSTER_REMOTE_MAX];
	size_t n_remote;
	/* The addresses of this node's containers, by namespace. */
	struct cluster_local {
		uint64_t netns;
		struct service_addr addrs[SERVICE_ADDRS_MAX];
		size_t n_addrs;
	} * local;
	size_t n_local;
	uint64_t next_id;
	struct service_record *scratch;
};

/** cluster_view_init() - an empty view for node @c; 0 or -ENOMEM */
int cluster_view_init(struct cluster_view *v, const struct cluster_config *c);

/** cluster_view_fini() - free what @v holds */
void cluster_view_fini(struct cluster_view *v);

/**
 * cluster_view_put() - a key-value read from etcd
 * @v:		the view
 * @key:	the key, @key_len bytes
 * @key_len:	its length
 * @value:	the value, @value_len bytes
 * @value_len:	its length
 * @id:		the remote namespace's id in this view (SERVICE_NETNS_REMOTE
 *		set), for cluster_view_emit()
 *
 * Keys of this node's own writer are not remote (ignored); a key outside
 * the schema or a value that is not a good record is refused (and what
 * the key held before is dropped: the writer changed it).
 *
 * Return: 1 if what the view sends for @id changed, 0 if not (or the
 * key is ours), -EINVAL for a refused one (then *@id is the id to
 * withdraw, or 0), -ENOSPC past CLUSTER_REMOTE_MAX, -ENOMEM
 */
int cluster_view_put(struct cluster_view *v, const uint8_t *key, size_t key_len,
		     const uint8_t *value, size_t value_len, uint64_t *id);

/**
 * cluster_view_delete() - a key left etcd
 * Return: the id of its remote namespace (to withdraw), or 0 if the view
 * did not hold it
 */
uint64_t cluster_view_delete(struct cluster_view *v, const uint8_t *key,
			     size_t key_len);

/**
 * cluster_view_mark_begin() / cluster_view_mark_end() - a fresh read of
 * the whole prefix: keys cluster_view_put() did not see between the two
 * are dropped, each one's id through @gone
 */
void cluster_view_mark_begin(struct cluster_view *v);
void cluster_view_mark_end(struct cluster_view *v,
			   void (*gone)(uint64_t id, void *opaque),
			   void *opaque);

/**
 * cluster_view_set_local() - the addresses of local namespace @r->netns
 * (NULL addresses: the namespace is gone)
 * Return: true if a remote record's addresses now collide or stop
 * colliding: every remote record is to be sent again
 */
bool cluster_view_set_local(struct cluster_view *v, uint64_t netns,
			    const struct service_addr *addrs, size_t n);

/**
 * cluster_view_emit() - the record this node's agents get for @id, as
 * text: the remote record less the addresses of local containers
 * Return: its length, -ENOENT for an id the view does not hold, -ENOSPC
 */
int cluster_view_emit(struct cluster_view *v, uint64_t id, char *buf,
		      size_t size);

/** cluster_view_ids() - the id of remote namespace @i (for a resend), or 0
 * past the last one */
uint64_t cluster_view_id(const struct cluster_view *v, size_t i);

/**
 * cluster_view_counts() - for the status: how many other nodes the remote
 * namespaces are of, and how many of their addresses collide (with a
 * local container's or another remote one's) as last sent
 */
void cluster_view_counts(const struct cluster_view *v, uint32_t *nodes,
			 uint32_t *collisions);

#endif /* NB_CLUSTER_VIEW_H */
