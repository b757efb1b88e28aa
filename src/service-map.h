/* SPDX-License-Identifier: Apache-2.0 */
/*
 * service-map.h - published services, and the host listeners that serve
 * them (docs/design.md §3.4).
 *
 * When a container's server binds a published TCP port, the agent takes
 * the bind to the host (handle-publish.c): the server then listens on a
 * host socket and is gone from its own namespace.  The map remembers each
 * such listener as
 *
 *   (netns, server address, container port) -> (host listener, its cookie)
 *
 * so that a connect() to the service from inside the same network
 * namespace (127.0.0.1, ::1, 0.0.0.0, ::, an address of the namespace) or
 * from another container (an address of the server's namespace) can be
 * switched to a host socket connected to the listener.
 *
 * The map decides by the rules Linux itself applies to a SYN: the server's
 * bound address takes the destination or not (the wildcard of its family
 * takes every local address; an IPv6 one takes IPv4 unless IPV6_V6ONLY);
 * a more specific bind wins over the wildcard, an IPv4 socket over a
 * dual-stack one.  Only TCP is mapped: UDP published ports go through
 * slirp and stay reachable inside (§3.2).
 *
 * The map holds no socket.  An entry may outlive its listener (close()
 * is not trapped): service_map_verify() against a sock_diag answer tells
 * a live listener from a stale entry, which then fails like a refused
 * connect; service_map_mark_*() sweep such entries out.
 *
 * Wired for nsbypass run by handle-service.c (the ordinary path and the
 * loopback exception).
 */
#ifndef NB_SERVICE_MAP_H
#define NB_SERVICE_MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "sockdiag.h"

/* Host listeners the map holds (a server per port and family, REUSEPORT
 * groups counting each member, across every container it knows). */
#define SERVICE_MAP_MAX 1024
/* Network namespaces whose addresses it knows. */
#define SERVICE_NETNS_MAX 256
/* Addresses of one namespace. */
#define SERVICE_ADDRS_MAX 32

/* One address; a v4-mapped IPv6 one is stored as the IPv4 one. */
struct service_addr {
	int family;    /* AF_INET or AF_INET6 */
	uint8_t a[16]; /* network order; IPv4 in the first 4 bytes */
};

/* Where an entry came from. */
enum service_origin {
	SERVICE_OWN = 0,  /* this agent's publish_bind() */
	SERVICE_PARENT,	  /* the agent's nsbypass oci parent (trusted) */
	SERVICE_REGISTRY, /* the per-user registry: files a container of the
			    * user can write, so ordinary paths only */
	SERVICE_CLUSTER,  /* another node, through the daemon's etcd client
			    * (cluster-view.h): its listener is on that node,
			    * so sock_diag cannot prove it; ordinary paths
			    * only, never swept */
};

/*
 * One host listener of a published port.  @server and @listener are in
 * sock_diag's form, so that sockdiag_receives() answers for both "would
 * the server have taken this connection in its namespace" and "does the
 * host listener take this host address".
 */
struct service_entry {
	uint64_t netns; /* SO_NETNS_COOKIE of the server's namespace */
	/* The server's socket as it bound inside: family, the address it
	 * asked for (its own address or the wildcard), the container port,
	 * IPV6_V6ONLY.  Its cookie and state are not used. */
	struct sockdiag_sock server;
	/* The host listener: family, bound address, host port, IPV6_V6ONLY
	 * and SO_COOKIE. */
	struct sockdiag_sock listener;
	/* Who made it (enum service_origin): the loopback exception of
	 * docs/design.md §3.4 serves only entries the agent trusts. */
	uint8_t origin;
	bool mark; /* seen by the current sweep */
};

/* A network namespace the map knows the addresses of. */
struct service_netns {
	uint64_t netns;
	bool c2c; /* its services reach, and it reaches, other namespaces */
	struct service_addr addrs[SERVICE_ADDRS_MAX];
	size_t n_addrs;
};

/* The host's own addresses a host socket aims at (not loopback). */
struct service_host {
	bool has_v4, has_v6;
	uint8_t v4[4];
	uint8_t v6[16];
};

struct service_map {
	struct service_entry entries[SERVICE_MAP_MAX];
	size_t n;
	struct service_netns netns[SERVICE_NETNS_MAX];
	size_t n_netns;
};

/**
 * service_addr_normal() - @a with a v4-mapped IPv6 address turned into
 * the IPv4 one (the form the map stores)
 * Return: 0, or -EINVAL for a family other than AF_INET/AF_INET6
 */
int service_addr_normal(const struct service_addr *a, struct service_addr *ret);

/** service_addr_eq() - the same family and address? */
bool service_addr_eq(const struct service_addr *a,
		     const struct service_addr *b);

/** service_addr_is_loopback() - 127.0.0.0/8 or ::1 (@a normal)? */
bool service_addr_is_loopback(const struct service_addr *a);

/** service_map_new() - an empty map; NULL without memory */
struct service_map *service_map_new(void);

/** service_map_free() - free @m (NULL is fine); returns NULL */
struct service_map *service_map_free(struct service_map *m);

/**
 * service_entry_init() - an entry for a bind taken to the host
 * @e:		filled
 * @netns:	SO_NETNS_COOKIE of the container socket that bound
 * @protocol:	its protocol; only IPPROTO_TCP is mapped
 * @bind:	the address the container asked for (its port is the
 *		container port)
 * @bind_len:	its length
 * @v6only:	IPV6_V6ONLY of the container socket
 * @host:	the host listener's bound address and port
 * @host_len:	its length
 * @host_v6only: IPV6_V6ONLY of the host listener
 * @cookie:	SO_COOKIE of the host listener
 *
 * The families of @bind and @host must be the socket's (a v4-mapped IPv6
 * address is an IPv6 socket's).
 *
 * Return: 0; -EPROTONOSUPPORT for anything but TCP; -EINVAL for port 0
 * (on either side), a short or mismatched address, or a zero cookie
 */
int service_entry_init(struct service_entry *e, uint64_t netns, int protocol,
		       const struct sockaddr *bind, socklen_t bind_len,
		       bool v6only, const struct sockaddr *host,
		       socklen_t host_len, bool host_v6only, uint64_t cookie);

/**
 * service_map_add() - insert @e
 * Return: 0, -EEXIST if its cookie is already there, -ENOSPC when the map
 * holds SERVICE_MAP_MAX entries
 */
int service_map_add(struct service_map *m, const struct service_entry *e);

/**
 * service_map_remove() - drop the entry of host listener @cookie
 * Return: 0 or -ENOENT
 */
int service_map_remove(struct service_map *m, uint64_t cookie);

/**
 * service_map_set_netns() - the addresses of @netns, replacing the last
 * ones (an empty list is fine: loopback still reaches its services)
 * @m:		the map
 * @netns:	SO_NETNS_COOKIE
 * @addrs:	its addresses, @n of them (v4-mapped ones are stored as IPv4)
 * @n:		how many
 * @c2c:	whether other namespaces reach its services and it theirs
 *
 * Return: 0; -ENOSPC when @n is over SERVICE_ADDRS_MAX or a new namespace
 * finds SERVICE_NETNS_MAX known (nothing changed); -EINVAL for a family
 * other than AF_INET/AF_INET6
 */
int service_map_set_netns(struct service_map *m, uint64_t netns,
			  const struct service_addr *addrs, size_t n, bool c2c);

/**
 * service_map_drop_netns() - forget @netns and every entry of it (its
 * container ended, or its agent restarted and will publish again)
 * Return: the number of entries dropped
 */
size_t service_map_drop_netns(struct service_map *m, uint64_t netns);

/**
 * service_map_lookup() - the service a connect() to @dst reaches
 * @m:		the map
 * @netns:	SO_NETNS_COOKIE of the connecting socket
 * @dst:	the agent's copy of the destination (AF_INET, AF_INET6;
 *		v4-mapped is taken as IPv4, as Linux takes it)
 * @len:	its length
 * @client_v6only: IPV6_V6ONLY of the connecting socket: an IPv6 one
 *		cannot reach a v4-mapped address
 * @ret:	the entry (valid until the map changes)
 *
 * Same namespace: a loopback address (127.0.0.0/8, ::1), the unspecified
 * one (0.0.0.0 and :: are connected as loopback) or an address of @netns;
 * then only @netns's services can answer, as in Linux.  Another
 * namespace: an address of exactly one other namespace, both with c2c on.
 * Among the servers that take @dst, a bound address equal to @dst beats
 * the wildcard, and a server of @dst's family a dual-stack one.
 *
 * Return: 0; -ENOENT if no service takes @dst (the caller goes on as
 * without the map); -ENOTUNIQ when @dst is an address of several other
 * namespaces (c2c needs distinct addresses: no guess is made)
 */
int service_map_lookup(const struct service_map *m, uint64_t netns,
		       const struct sockaddr *dst, socklen_t len,
		       bool client_v6only, const struct service_entry **ret);

/**
 * service_map_target() - where a host socket of @family reaches @e
 * @e:		the entry
 * @family:	the connecting socket's family (the host socket's too)
 * @client_v6only: its IPV6_V6ONLY
 * @host:	the host's own addresses, or NULL if it has none
 * @ret:	the host address and port to connect to, in @family
 * @ret_len:	its length
 *
 * A listener bound to one address is reached there.  A wildcard one is
 * reached at a non-loopback address of the host (of @family first, then
 * v4-mapped), which needs no exception to "no host socket reaches host
 * loopback" (docs/design.md §7); loopback only when nothing else takes it.
 *
 * Return: 0 for a non-loopback target, 1 for a loopback one (the caller
 * must then prove the listener with service_map_verify() before and after
 * the handshake), -EAFNOSUPPORT if no address of @family reaches the
 * listener (an IPv4 client and a listener bound to an IPv6 address)
 */
int service_map_target(const struct service_entry *e, int family,
		       bool client_v6only, const struct service_host *host,
		       struct sockaddr_storage *ret, socklen_t *ret_len);

/**
 * service_map_owns() - is @cookie the SO_COOKIE of a listener in the map?
 */
bool service_map_owns(const struct service_map *m, uint64_t cookie);

/**
 * service_map_takes() - would the server of the listener @cookie take @dst?
 * @m:			the map
 * @e:			the entry service_map_lookup() chose for @dst
 * @cookie:		SO_COOKIE of the host listener that takes the target
 * @dst:		the destination the container asked for (@len long)
 * @len:		its length
 * @client_v6only:	the client socket has IPV6_V6ONLY
 *
 * The host kernel picks the listener among those on the host port, not
 * the container's: when @e's listener has closed and the port was bound
 * again to a narrower address (:: then 10.0.2.100), the new listener
 * takes the host address too, though its server would not take @dst
 * inside (127.0.0.1).  Members of one SO_REUSEPORT group take the same
 * destinations, so any of them passes.
 *
 * Return: true if @cookie is in the map, in @e's network namespace, and
 * its server takes @dst as the kernel would inside
 */
bool service_map_takes(const struct service_map *m,
		       const struct service_entry *e, uint64_t cookie,
		       const struct sockaddr *dst, socklen_t len,
		       bool client_v6only);

/**
 * service_map_verify() - do only our listeners take a connection to
 * @target, and does one of them?
 * @m:		the map
 * @target:	the host address and port about to be connected
 * @socks:	the host's TCP listeners of that port (sock_diag), @n of them
 * @n:		how many
 *
 * Return: 0, or -ECONNREFUSED: no listener in @socks takes @target (the
 * entry is stale), or one that does is not in the map (another service
 * holds the port or shares it)
 */
int service_map_verify(const struct service_map *m,
		       const struct sockaddr *target,
		       const struct sockdiag_sock *socks, size_t n);

/**
 * service_map_mark_begin() - start a sweep: clear every entry's mark
 */
void service_map_mark_begin(struct service_map *m);

/**
 * service_map_mark() - @cookie is a listener alive now (sockdiag_cb for
 * a dump of the host's TCP listeners; @opaque is the map)
 * Return: 0
 */
int service_map_mark(const struct sockdiag_sock *s, void *opaque);

/**
 * service_map_mark_end() - end a sweep: drop every entry not marked since
 * service_map_mark_begin().  Call it only after a dump read to its end.
 * Return: the number dropped
 */
size_t service_map_mark_end(struct service_map *m);

#endif /* NB_SERVICE_MAP_H */
