/* SPDX-License-Identifier: Apache-2.0 */
/*
 * inaddr.h - tests on raw inet addresses (network order, 16 bytes for
 * IPv6), shared by the modules that keep addresses as bytes.
 */
#ifndef NB_INADDR_H
#define NB_INADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/** inaddr_is_v4mapped() - is @a16 an IPv4-mapped IPv6 address? */
static inline bool inaddr_is_v4mapped(const uint8_t *a16)
{
	static const uint8_t prefix[12] = { [10] = 0xff, [11] = 0xff };

	return memcmp(a16, prefix, sizeof(prefix)) == 0;
}

/** inaddr_is_zero() - are the @n bytes of @a all zero? */
static inline bool inaddr_is_zero(const uint8_t *a, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (a[i])
			return false;
	return true;
}

#endif /* NB_INADDR_H */
