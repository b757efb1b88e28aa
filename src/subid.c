// SPDX-License-Identifier: Apache-2.0
/*
 * subid.c - parse /etc/subuid and /etc/subgid (see subid.h).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "subid.h"

/* A whole decimal number (digits only: no sign, no space) below 2^32. */
static bool parse_u32(const char *s, uint32_t *ret)
{
	uint64_t v = 0;

	if (!*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
		if (v > UINT32_MAX)
			return false;
	}
	*ret = (uint32_t)v;
	return true;
}

/* One line, its newline stripped: does it give @name / @id a range? */
static bool parse_line(char *line, const char *name, uint32_t id,
		       struct subid_range *ret)
{
	char *owner = line, *start, *count, *end;
	uint32_t owner_id;

	start = strchr(owner, ':');
	if (!start)
		return false;
	*start++ = '\0';
	count = strchr(start, ':');
	if (!count)
		return false;
	*count++ = '\0';
	end = strchr(count, ':');
	if (end)
		return false; /* a fourth field */
	if (!parse_u32(start, &ret->start) || !parse_u32(count, &ret->count))
		return false;
	/* Ids run up to 2^32 - 2: (uid_t)-1 means "none" to the kernel. */
	if (ret->count == 0 ||
	    (uint64_t)ret->start + ret->count > (uint64_t)UINT32_MAX)
		return false;
	if (name && strcmp(owner, name) == 0)
		return true;
	return parse_u32(owner, &owner_id) && owner_id == id;
}

int subid_find(FILE *f, const char *name, uint32_t id, struct subid_range *out,
	       size_t max)
{
	char *line = NULL;
	size_t cap = 0, n = 0;
	ssize_t len;

	errno = 0;
	while (n < max && (len = getline(&line, &cap, f)) >= 0) {
		if (len > 0 && line[len - 1] == '\n')
			line[--len] = '\0';
		if (len == 0 || line[0] == '#')
			continue;
		if (parse_line(line, name, id, &out[n]))
			n++;
	}
	free(line);
	if (ferror(f))
		return errno ? -errno : -EIO;
	return (int)n;
}
