/* SPDX-License-Identifier: Apache-2.0 */
/*
 * publish.h - published ports: a host address and port that reach a port
 * of the container, as `podman run -p` and `nerdctl run -p` give them.
 *
 * Two ways to carry them (docs/design.md §3.2, "Published ports"):
 *   bind bypass  (TCP, the default): when a container socket binds the
 *                container port, the agent binds a host socket to the host
 *                address and port instead and installs it; accept() then
 *                runs at host speed.
 *   slirp        (UDP, and TCP with --ignore-bind): a libslirp host
 *                forward to the container's slirp address.
 */
#ifndef NB_PUBLISH_H
#define NB_PUBLISH_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define PUBLISH_MAX 256
/* Longest spec text: "[v6 address]:65535:65535/tcp" and a NUL. */
#define PUBLISH_SPEC_MAX 64

struct publish {
	bool udp;
	int family; /* of the host address */
	union {
		struct in_addr v4;
		struct in6_addr v6;
	} host;		 /* the wildcard when none was given */
	bool host_given; /* an address was written */
	uint16_t host_port;
	uint16_t container_port;
};

struct publish_table {
	struct publish p[PUBLISH_MAX];
	size_t n;
};

/**
 * publish_parse() - parse "[HOSTIP:]HOSTPORT:CONTAINERPORT[/tcp|/udp]"
 *
 * HOSTIP is an IPv4 address or an IPv6 address in brackets
 * ("[::1]:8080:80"); ports are 1 to 65535; the protocol defaults to tcp.
 * Port ranges are not supported.
 *
 * Return: 0, or -EINVAL with nothing written to @ret
 */
int publish_parse(const char *spec, struct publish *ret);

/**
 * publish_add() - append @p to @t; a second entry with the same protocol,
 * host address and host port is refused.
 * Return: 0, -EEXIST or -ENOSPC
 */
int publish_add(struct publish_table *t, const struct publish *p);

/**
 * publish_match_bind() - the TCP entry a container bind() of @addr
 * should take to the host, or NULL
 *
 * It matches when the port is an entry's container port, the socket is
 * TCP, and the address is not loopback (a server bound to 127.0.0.1 or ::1
 * wants to stay private).  An IPv4 socket cannot take an entry whose host
 * address is IPv6.  A container port published on two host ports matches
 * nothing (publish_port_shared()): one socket cannot be two listeners.
 */
const struct publish *publish_match_bind(const struct publish_table *t,
					 const struct sockaddr *addr,
					 socklen_t len);

/**
 * publish_port_shared() - is @p's container port also published, over
 * TCP, on another host port?  Such a port cannot take the bind bypass (the
 * container's one socket becomes one host listener); `nsbypass run`
 * forwards it through slirp instead, to the server bound inside.
 */
bool publish_port_shared(const struct publish_table *t,
			 const struct publish *p);

/**
 * publish_match_loopback() - the entry a bind() of @addr would have taken
 * had its address not been loopback, or NULL: such a server stays
 * private, which the agent says in one log line
 */
const struct publish *publish_match_loopback(const struct publish_table *t,
					     const struct sockaddr *addr,
					     socklen_t len);

/**
 * publish_host_addr() - the host address and port of @p for a socket of
 * @domain: the entry's address, or the wildcard of @domain; an IPv4 one
 * on an IPv6 socket as ::ffff:a.b.c.d.
 * Return: the address length, or -EAFNOSUPPORT
 */
int publish_host_addr(const struct publish *p, int domain,
		      struct sockaddr_storage *ret);

/** publish_to_string() - "[HOSTIP:]HOSTPORT:CONTAINERPORT/PROTO" */
const char *publish_to_string(const struct publish *p,
			      char buf[PUBLISH_SPEC_MAX]);

#endif /* NB_PUBLISH_H */
