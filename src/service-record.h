/* SPDX-License-Identifier: Apache-2.0 */
/*
 * service-record.h - one network namespace's part of the service map, as
 * text, for the agents of other containers (docs/design.md §3.4).
 *
 * A record is what one agent knows of its own container: the namespace's
 * cookie, whether it takes part in container-to-container switching, its
 * addresses and the host listeners it made.  The same text goes over the
 * `nsbypass oci` channel (agent <-> daemon) and into the per-user registry
 * files of separate `nsbypass run` instances:
 *
 *   nsbypass-services 1
 *   netns 0123456789abcdef
 *   c2c 1
 *   addr 10.0.2.100
 *   addr fd00::100
 *   entry SERVER-ADDR CPORT V6ONLY LISTENER-ADDR HPORT V6ONLY COOKIE
 *   end
 *
 * (cookies in hex; a v6only flag 0 or 1; an IPv4 server on an IPv6
 * socket as ::ffff:a.b.c.d).  A registry file can be written by any
 * container of the user, so the parser is strict: every line is one of
 * these, in this order, within the bounds below, or the whole record is
 * refused with -EINVAL.
 */
#ifndef NB_SERVICE_RECORD_H
#define NB_SERVICE_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "service-map.h"

/* Host listeners one record carries. */
#define SERVICE_RECORD_ENTRIES_MAX 256
/* The longest text a record can take (every line at its longest). */
#define SERVICE_RECORD_TEXT_MAX                  \
	(64 + 32 + 16 + SERVICE_ADDRS_MAX * 48 + \
	 SERVICE_RECORD_ENTRIES_MAX * 160 + 8)

struct service_record {
	uint64_t netns;
	bool c2c;
	struct service_addr addrs[SERVICE_ADDRS_MAX];
	size_t n_addrs;
	struct service_entry entries[SERVICE_RECORD_ENTRIES_MAX];
	size_t n_entries;
};

/**
 * service_record_format() - @r as text
 * @r:		the record (at most the bounds above)
 * @buf:	where to write, @size bytes (SERVICE_RECORD_TEXT_MAX is enough)
 * @size:	its size
 *
 * Return: the length written (no NUL counted; one is written), or
 * -ENOSPC if @buf is too small, -EINVAL for a record out of bounds
 */
int service_record_format(const struct service_record *r, char *buf,
			  size_t size);

/**
 * service_record_parse() - a record from text, strictly
 * @buf:	the text, @len bytes, not necessarily NUL-terminated
 * @len:	its length; over SERVICE_RECORD_TEXT_MAX is refused
 * @origin:	what the entries' origin becomes (enum service_origin)
 * @r:		filled
 *
 * Return: 0, or -EINVAL for anything but a well-formed record within the
 * bounds (an unknown or misplaced line, a bad address, a port 0, a zero
 * cookie, an entry whose two addresses are of different families, too
 * many lines of a kind, a missing "end", text after it, a NUL)
 */
int service_record_parse(const char *buf, size_t len, uint8_t origin,
			 struct service_record *r);

/**
 * service_record_collect() - the record of @netns from @m: its addresses
 * and c2c flag, and the entries of @netns the agent made itself
 * (SERVICE_OWN); past SERVICE_RECORD_ENTRIES_MAX the rest are left out.
 * Return: the number of entries left out
 */
size_t service_record_collect(const struct service_map *m, uint64_t netns,
			      struct service_record *r);

/**
 * service_record_apply() - put @r into @m, replacing what @m had of @r's
 * namespace from the same origin as @r's entries
 * @m:		the map
 * @r:		the record
 * @origin:	where it came from (enum service_origin, not SERVICE_OWN):
 *		its entries get this origin; a SERVICE_PARENT entry
 *		replaces a SERVICE_REGISTRY one of the same listener cookie
 *		(the parent is trusted), any other one already there is
 *		kept
 * @own_netns:	the agent's own namespace: its addresses and c2c flag are
 *		the agent's own (not replaced), and entries the agent made
 *		itself are kept as they are
 *
 * Return: 0; -ENOSPC if the map could not take all (what fit is in);
 * -EINVAL for @origin SERVICE_OWN
 */
int service_record_apply(struct service_map *m, const struct service_record *r,
			 uint8_t origin, uint64_t own_netns);

/**
 * service_record_withdraw() - drop what @m has of @netns from @origin (its
 * source is gone); the namespace's addresses go too unless it is
 * @own_netns or entries of another origin remain.
 * Return: the number of entries dropped
 */
size_t service_record_withdraw(struct service_map *m, uint64_t netns,
			       uint8_t origin, uint64_t own_netns);

#endif /* NB_SERVICE_RECORD_H */
