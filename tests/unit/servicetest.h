/* SPDX-License-Identifier: Apache-2.0 */
/*
 * servicetest.h - service-map entries and addresses from text, for the
 * unit tests of the service map and its records.
 */
#ifndef NB_SERVICETEST_H
#define NB_SERVICETEST_H

#include <netinet/in.h>
#include <string.h>

#include "nbtest.h"
#include "service-map.h"
#include "socktest.h"

/** svctest_addr() - "@a" (IPv4 or IPv6 text) as a service address */
static inline struct service_addr svctest_addr(const char *a)
{
	struct sockaddr_storage ss = nbtest_sockaddr(a, 1);
	struct service_addr r = { .family = ss.ss_family };

	if (ss.ss_family == AF_INET)
		memcpy(r.a, &((struct sockaddr_in *)&ss)->sin_addr, 4);
	else
		memcpy(r.a, &((struct sockaddr_in6 *)&ss)->sin6_addr, 16);
	return r;
}

/** svctest_entry() - @netns's server bound @bind:@port, on host
 * @host:@hport (listener @cookie), both IPV6_V6ONLY as @v6only */
static inline struct service_entry
svctest_entry(uint64_t netns, const char *bind, uint16_t port, bool v6only,
	      const char *host, uint16_t hport, uint64_t cookie)
{
	struct sockaddr_storage b = nbtest_sockaddr(bind, port),
				h = nbtest_sockaddr(host, hport);
	struct service_entry e;

	ASSERT_OK(service_entry_init(&e, netns, IPPROTO_TCP,
				     (struct sockaddr *)&b,
				     nbtest_sockaddr_len(&b), v6only,
				     (struct sockaddr *)&h,
				     nbtest_sockaddr_len(&h), v6only, cookie));
	return e;
}

#endif /* NB_SERVICETEST_H */
