/* SPDX-License-Identifier: Apache-2.0 */
/*
 * host-addr.h - the host's own addresses a host socket aims at to reach a
 * wildcard host listener without loopback (docs/design.md §3.4).
 *
 * One address per family: the first of global scope, on a device other
 * than lo, usable (not tentative, deprecated or failed DAD).  A socket
 * connected there is routed through lo but pinned to the device that owns
 * the address (route.h's FIB match names it), so it cannot reach a
 * service bound to loopback.
 */
#ifndef NB_HOST_ADDR_H
#define NB_HOST_ADDR_H

#include <stdint.h>

#include "service-map.h"

/**
 * host_addr_consider() - take one address of an RTM_NEWADDR message into
 * @h if it is the first usable one of its family
 * @h:		the selection so far
 * @family:	ifa_family (AF_INET or AF_INET6; others are ignored)
 * @scope:	ifa_scope (only RT_SCOPE_UNIVERSE is taken)
 * @ifindex:	ifa_index (the loopback device's is not taken)
 * @flags:	IFA_FLAGS, or ifa_flags
 * @addr:	the address, 4 or 16 bytes by @family
 */
void host_addr_consider(struct service_host *h, int family, int scope,
			int ifindex, uint32_t flags, const uint8_t *addr);

/**
 * host_addr_read() - the host's addresses, from one RTM_GETADDR dump of
 * our network namespace
 * @ret:	filled (has_v4/has_v6 false for a family without one)
 *
 * Return: 0 or -errno
 */
int host_addr_read(struct service_host *ret);

#endif /* NB_HOST_ADDR_H */
