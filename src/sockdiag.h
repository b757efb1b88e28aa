/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sockdiag.h - what the kernel says about the TCP sockets of our own
 * network namespace, asked over NETLINK_SOCK_DIAG (inet_diag).
 *
 * The service map (service-map.h) needs two answers about a published
 * port's host listener that the agent cannot get from a socket of its own
 * (it keeps no copy of the listener: the container's close() must free
 * it):
 *   - Does it still exist, and is it still listening?  The listener is
 *     named by its SO_COOKIE, which the kernel never reuses.
 *   - Which listeners would take a connection to a given host address and
 *     port?  Every one of them must be ours before a host socket is
 *     aimed there (docs/design.md §3.4).
 *
 * sock_diag sees only the namespace of the netlink socket, here the host's
 * (the agent's).  It needs no privilege: any user may list every TCP
 * socket of the namespace, as ss(8) does.  The kernel answers a request
 * while it is sent and a dump while it is read, so a non-blocking socket
 * never waits and the loop does not block.
 */
#ifndef NB_SOCKDIAG_H
#define NB_SOCKDIAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* No cookie to check (INET_DIAG_NOCOOKIE in both halves). */
#define SOCKDIAG_NOCOOKIE UINT64_MAX

/* The receive buffer: a dump message of the kernel never exceeds it (the
 * kernel sizes them by our largest read, at most 32 KiB). */
#define SOCKDIAG_BUF_SIZE 32768

struct sockdiag {
	int fd; /* NETLINK_SOCK_DIAG, non-blocking, close-on-exec */
	uint32_t seq;
};

/* One TCP socket as the kernel describes it. */
struct sockdiag_sock {
	int family;	  /* AF_INET or AF_INET6 */
	int state;	  /* TCP_LISTEN, TCP_ESTABLISHED, ... (netinet/tcp.h) */
	uint8_t addr[16]; /* local address; IPv4 in the first 4 bytes */
	uint16_t port;	  /* local port, host order */
	uint64_t cookie;  /* SO_COOKIE */
	uint32_t uid;	  /* owner, as seen from our user namespace */
	uint32_t ifindex; /* SO_BINDTODEVICE, 0 if none */
	bool v6only;	  /* IPV6_V6ONLY (AF_INET6 only) */
};

/**
 * typedef sockdiag_cb - called for each socket of a dump
 * @s:		the socket, valid during the call
 * @opaque:	the caller's pointer
 *
 * Return: 0 to go on, or a negative errno: no more calls are made and the
 * dump returns it (the rest of the dump is still read and dropped, so the
 * socket stays usable)
 */
typedef int (*sockdiag_cb)(const struct sockdiag_sock *s, void *opaque);

/**
 * sockdiag_open() - a NETLINK_SOCK_DIAG socket in our network namespace
 * @d:		filled; d->fd is -1 on failure
 *
 * Return: 0 or -errno
 */
int sockdiag_open(struct sockdiag *d);

/** sockdiag_close() - close @d's socket; safe on a closed one */
void sockdiag_close(struct sockdiag *d);

/**
 * sockdiag_tcp_lookup() - the TCP socket that takes a connection to @dst
 * @d:		the socket
 * @dst:	host address and port (AF_INET or AF_INET6; a v4-mapped IPv6
 *		address is looked up as the IPv4 one, as Linux delivers it)
 * @len:	its length
 * @cookie:	the SO_COOKIE it must have, or SOCKDIAG_NOCOOKIE
 * @ret:	the socket found (may be NULL)
 *
 * The kernel's own lookup (inet_diag_find_one_icsk()): the listener a SYN
 * to @dst would find, the most specific bound address first.  In a
 * SO_REUSEPORT group it picks one member by a hash of a zero source, which
 * need not be the member a real SYN picks: see sockdiag_tcp_listeners().
 *
 * Return: 0; -ENOENT if no socket takes @dst, or the one that does is not
 * @cookie's; -EAFNOSUPPORT, -EINVAL for a bad @dst; another -errno
 */
int sockdiag_tcp_lookup(struct sockdiag *d, const struct sockaddr *dst,
			socklen_t len, uint64_t cookie,
			struct sockdiag_sock *ret);

/**
 * sockdiag_tcp_dump() - every TCP socket of our namespace in @states
 * @d:		the socket
 * @family:	AF_INET, AF_INET6, or AF_UNSPEC for both (two dumps)
 * @port:	only sockets of this local port (host order), or 0 for all
 * @states:	a mask of (1 << TCP_state), e.g. 1 << TCP_LISTEN
 * @cb:		called for each socket
 * @opaque:	for @cb
 *
 * A dump is read in messages of at most SOCKDIAG_BUF_SIZE bytes, always to
 * its end: memory does not grow with the number of sockets.
 *
 * Return: 0, what @cb returned, -EMSGSIZE if the kernel sent a message
 * larger than the buffer, -EPROTO for a malformed answer, another -errno
 */
int sockdiag_tcp_dump(struct sockdiag *d, int family, uint16_t port,
		      uint32_t states, sockdiag_cb cb, void *opaque);

/**
 * sockdiag_tcp_listeners() - the TCP listeners of @port, into an array
 * @d:		the socket
 * @family:	AF_INET, AF_INET6, or AF_UNSPEC for both
 * @port:	the local port (host order), not 0
 * @ret:	room for @max sockets
 * @max:	its size
 * @ret_n:	how many were stored
 *
 * Every listener of the port, a SO_REUSEPORT group's members included, so
 * unlike sockdiag_tcp_lookup() nothing is left to a hash.
 *
 * Return: 0, -ENOSPC when the port has more than @max listeners (the first
 * @max are stored), -EINVAL for port 0, another -errno
 */
int sockdiag_tcp_listeners(struct sockdiag *d, int family, uint16_t port,
			   struct sockdiag_sock *ret, size_t max,
			   size_t *ret_n);

/**
 * sockdiag_sock_set_addr() - @s's family, address and port from @sa
 * @s:		the socket description to fill (other members are kept)
 * @sa:		an AF_INET or AF_INET6 address, taken as it is (a v4-mapped
 *		one stays IPv6: it is how an IPv6 socket is bound)
 * @len:	its length
 *
 * Return: 0, -EINVAL if @len is short for the family, -EAFNOSUPPORT
 */
int sockdiag_sock_set_addr(struct sockdiag_sock *s, const struct sockaddr *sa,
			   socklen_t len);

/**
 * sockdiag_receives() - would listener @s take a connection to @dst?
 * @s:		a listener (its state is not looked at)
 * @dst:	the destination (AF_INET or AF_INET6, v4-mapped allowed)
 *
 * By address and port, as Linux matches a SYN to a listener: the same
 * port, and the listener's address is @dst's or the wildcard of a family
 * that takes it (an IPv6 wildcard takes IPv4 unless IPV6_V6ONLY; an IPv6
 * listener bound to ::ffff:a.b.c.d takes a.b.c.d).  A listener bound to a
 * device is taken to receive it too: the caller errs on the side of
 * "someone else could take it".
 */
bool sockdiag_receives(const struct sockdiag_sock *s,
		       const struct sockaddr *dst);

#endif /* NB_SOCKDIAG_H */
