/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sockstate.h - what the agent remembers about a container socket.
 *
 * Entries are keyed by the socket's SO_COOKIE, a 64-bit number the kernel
 * gives each socket and never reuses.  The key is the socket itself, not
 * an fd number, so dup(), fork(), exec(), threads and fd reuse (Go closes
 * and reuses fd numbers at once) cannot attach one socket's state to
 * another.  The agent reads the cookie from its pidfd_getfd() copy.
 *
 * States of a socket, and what happens to it:
 *
 *   (no entry)  A socket the agent has not seen, or that set no recorded
 *               option.  connect() to an outside destination switches it.
 *   RECORDING   A container-netns socket that set recorded options (see
 *               sockopt.h), or that the agent bound to the wildcard
 *               address with port 0 (@wildcard_bind).  setsockopt() is
 *               let through to the kernel and its name appended here;
 *               connect() to an outside destination creates the host
 *               socket, copies the named options' values from the
 *               container's socket onto it in order, binds it to
 *               the wildcard with port 0 if @wildcard_bind, connects it,
 *               injects it at the same fd number and moves the entry to the
 *               new socket's cookie.  A socket bound in any other way is
 *               never switched.
 *   SWITCHED    A host-netns socket the agent injected.  Its option names
 *               are kept so that a second switch (UDP re-connect, TCP
 *               connect after a failed non-blocking attempt) copies them
 *               again, from this host socket, which has the values.
 *               A connect() to a destination that is not bypassed fails
 *               with ENETUNREACH: a host socket may never reach the host's
 *               loopback, and the agent cannot turn it back.
 *
 * Caveats: the agent is not told when a socket is closed (close() is not
 * trapped, on purpose: it would cost every close of every fd a round trip).
 * Entries are therefore bounded (SOCKSTATE_MAX, least recently used evicted)
 * and swept by the agent, which drops entries whose last known (pid, fd)
 * no longer holds that socket (by its inode, read from /proc: no copy).  An evicted entry only loses
 * recorded options; whether a socket lives on the host is never taken from
 * this table but from the socket's SO_NETNS_COOKIE.
 */
#ifndef NB_SOCKSTATE_H
#define NB_SOCKSTATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define SOCKSTATE_MAX 4096
/* Each option is named once (at its first setsockopt()): the list size. */
#define SOCKSTATE_OPTS_MAX 64

enum sockstate_kind {
	SOCKSTATE_RECORDING,
	SOCKSTATE_SWITCHED,
	SOCKSTATE_MAX_KIND,
};

/* A recorded option: its name only; the value is read at the switch. */
struct sockopt_rec {
	int level;
	int name;
};

struct sockstate {
	uint64_t cookie;
	enum sockstate_kind kind;
	pid_t pid; /* where it was last seen, for the sweep */
	int fd;
	uint64_t ino;	    /* the socket's inode there: the sweep's proof */
	uint64_t last_used; /* table clock, for LRU eviction */
	bool wildcard_bind; /* its last bind(), done by the agent, asked for
				 * the wildcard address and port 0 */
	size_t n_opts;
	struct sockopt_rec *opts;
	struct sockstate *next; /* hash chain */
};

struct sockstate_table;

struct sockstate_table *sockstate_table_new(size_t max_entries);
struct sockstate_table *sockstate_table_free(struct sockstate_table *t);
size_t sockstate_table_count(const struct sockstate_table *t);

/** sockstate_lookup() - the entry for @cookie, or NULL; marks it used */
struct sockstate *sockstate_lookup(struct sockstate_table *t, uint64_t cookie);

/**
 * sockstate_get() - the entry for @cookie, created if missing
 * @t:		the table
 * @cookie:	SO_COOKIE of the socket
 * @ret:	the entry
 *
 * When the table is full the least recently used entry is evicted.
 * Return: 0 or -ENOMEM
 */
int sockstate_get(struct sockstate_table *t, uint64_t cookie,
		  struct sockstate **ret);

/** sockstate_remove() - forget @cookie (no-op if unknown) */
void sockstate_remove(struct sockstate_table *t, uint64_t cookie);

/**
 * sockstate_rekey() - move the entry of @old_cookie to @new_cookie
 * Any entry already at @new_cookie is replaced.
 * Return: 0, -ENOENT if there is no entry for @old_cookie
 */
int sockstate_rekey(struct sockstate_table *t, uint64_t old_cookie,
		    uint64_t new_cookie);

/**
 * sockstate_record() - remember that @level/@name was set on the socket
 * Only the name: its value is the socket's, read when it is copied.  A
 * name already recorded keeps its place.
 * Return: 0, -ENOSPC if the socket already holds SOCKSTATE_OPTS_MAX
 * distinct options, -ENOMEM
 */
int sockstate_record(struct sockstate *s, int level, int name);

/**
 * sockstate_replay() - copy the recorded options from @from to @to, in
 * the order they were first set (sockopt_copy(): each value is read from
 * @from now, as the kernel holds it)
 * @s:		the record
 * @from:	the agent's copy of the socket the options were set on (a
 *		container socket, or the host socket a switched one is)
 * @to:		the new host socket
 *
 * Return: the number of options that failed to copy (each logged at
 * debug level); a failure does not stop the others.
 */
int sockstate_replay(const struct sockstate *s, int from, int to);

typedef bool (*sockstate_alive_cb)(const struct sockstate *s, void *opaque);

/**
 * sockstate_sweep() - drop every entry for which @alive returns false
 * Return: the number of entries dropped
 */
size_t sockstate_sweep(struct sockstate_table *t, sockstate_alive_cb alive,
		       void *opaque);

const char *sockstate_kind_to_string(enum sockstate_kind k);

#endif /* NB_SOCKSTATE_H */
