// SPDX-License-Identifier: Apache-2.0
/*
 * util.c - helpers with no better home: fd flags and strict integer parsing.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>

#include "util.h"

void nb_assert_fail(const char *expr, const char *file, int line)
{
	fprintf(stderr, "nsbypass: assertion failed: %s (%s:%d)\n", expr, file,
		line);
	abort();
}

int parse_int(const char *s, long min, long max, int *ret_value)
{
	char *end;
	long v;

	/* strtol() would also take leading blanks and a '+'. */
	if (!s || !(isdigit((unsigned char)s[0]) ||
		    (s[0] == '-' && isdigit((unsigned char)s[1]))))
		return -EINVAL;
	errno = 0;
	v = strtol(s, &end, 10);
	if (*end != '\0')
		return -EINVAL;
	if (errno == ERANGE || v < min || v > max)
		return -ERANGE;
	*ret_value = (int)v;
	return 0;
}
