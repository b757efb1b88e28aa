/* SPDX-License-Identifier: Apache-2.0 */
/*
 * s4n-hostfwd.h - the table of host port forwards of the slirp4netns API:
 * each forward gets an id, and the table remembers what it forwards so
 * that list_hostfwd can show it and remove_hostfwd can undo it by id.
 *
 * The forwards themselves are made by a backend (the fallback network's
 * slirp, see fallback_add_hostfwd()); the table only calls it through
 * struct hostfwd_ops, so it can be tested without slirp.
 */
#ifndef NB_S4N_HOSTFWD_H
#define NB_S4N_HOSTFWD_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

/* At most this many forwards at a time: each one is a host socket. */
#define HOSTFWD_MAX 1024

/**
 * struct hostfwd - one forward
 * @id:		its id, from 1 up, never reused while the table lives
 * @udp:	UDP, else TCP
 * @host:	the host address and port it listens on (AF_INET or AF_INET6)
 * @guest:	the container's address and port it forwards to, of the
 *		same family as @host (libslirp 4.7 cannot translate: a
 *		forward from IPv6 to IPv4 drops TCP and crashes on UDP)
 */
struct hostfwd {
	unsigned int id;
	bool udp;
	union hostfwd_addr {
		struct sockaddr sa;
		struct sockaddr_in in;
		struct sockaddr_in6 in6;
	} host, guest;
};

/**
 * struct hostfwd_ops - what makes and undoes the forwards
 * @add:	start forwarding as @fwd says; 0 or -errno
 * @remove:	stop forwarding @fwd (as given to add before); 0 or -errno
 */
struct hostfwd_ops {
	int (*add)(void *opaque, const struct hostfwd *fwd);
	int (*remove)(void *opaque, const struct hostfwd *fwd);
};

struct hostfwd_table;

/**
 * hostfwd_table_new() - an empty table
 * @ops:	the backend; must outlive the table
 * @opaque:	handed to every @ops call
 * @guest:	the default guest address (the container's)
 * @guest6:	the default IPv6 guest address, or NULL without IPv6
 *
 * Return: the table, or NULL without memory
 */
struct hostfwd_table *hostfwd_table_new(const struct hostfwd_ops *ops,
					void *opaque, struct in_addr guest,
					const struct in6_addr *guest6);

/**
 * hostfwd_table_free() - free the table; the forwards are not removed
 * (they end with the backend)
 * Return: NULL
 */
struct hostfwd_table *hostfwd_table_free(struct hostfwd_table *t);

/** hostfwd_default_guest() - the guest address given to hostfwd_table_new() */
struct in_addr hostfwd_default_guest(const struct hostfwd_table *t);

/**
 * hostfwd_default_guest6() - the IPv6 guest address, if there is IPv6
 * Return: true and *@ret set, or false without IPv6
 */
bool hostfwd_default_guest6(const struct hostfwd_table *t,
			    struct in6_addr *ret);

/**
 * hostfwd_add() - make a forward and give it an id
 * @t:		the table
 * @fwd:	what to forward; @fwd->id is set on success
 *
 * A forward of the same protocol, host address and port as an existing
 * one is refused here: the backend tells forwards apart by exactly that.
 *
 * Return: 0, -EADDRINUSE for such a duplicate, -ENOSPC when the table is
 * full, -EINVAL for a family other than AF_INET/AF_INET6, families that
 * differ or port 0, -EAFNOSUPPORT for IPv6 without an IPv6 guest address
 * or for UDP over IPv6 (libslirp 4.7 forwards the datagrams in but never
 * routes the replies back), or the backend's -errno
 */
int hostfwd_add(struct hostfwd_table *t, struct hostfwd *fwd);

/**
 * hostfwd_remove() - undo the forward @id
 * Return: 0, -ENOENT if there is no such id, or the backend's -errno (the
 * entry is dropped all the same: the backend has no such forward then)
 */
int hostfwd_remove(struct hostfwd_table *t, unsigned int id);

/** hostfwd_count() - how many forwards the table holds */
size_t hostfwd_count(const struct hostfwd_table *t);

/**
 * hostfwd_at() - the forward at position @i, in the order of their ids
 * Return: the forward, or NULL if @i >= hostfwd_count()
 */
const struct hostfwd *hostfwd_at(const struct hostfwd_table *t, size_t i);

#endif /* NB_S4N_HOSTFWD_H */
