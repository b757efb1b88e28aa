// SPDX-License-Identifier: Apache-2.0
/*
 * macaddr.c - parse a MAC address argument.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>

#include "macaddr.h"

int macaddr_parse(const char *s, uint8_t mac[6])
{
	unsigned int any = 0;

	for (int i = 0; i < 6; i++) {
		char *end;
		unsigned long b;

		/* strtoul() would take blanks, a sign or "0x" too. */
		if (!isxdigit((unsigned char)s[0]))
			return -EINVAL;
		b = strtoul(s, &end, 16);
		if (end - s > 2 || *end != (i < 5 ? ':' : '\0'))
			return -EINVAL;
		mac[i] = (uint8_t)b;
		any |= mac[i];
		s = end + 1;
	}
	/* The group bit set: a multicast address, no interface's. */
	if ((mac[0] & 1) || !any)
		return -EINVAL;
	return 0;
}
