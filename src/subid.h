/* SPDX-License-Identifier: Apache-2.0 */
/*
 * subid.h - a user's subordinate id ranges, as /etc/subuid and
 * /etc/subgid (shadow's subuid(5)) give them to newuidmap/newgidmap.
 */
#ifndef NB_SUBID_H
#define NB_SUBID_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* The ranges of one user that are used; more lines are ignored. */
#define SUBID_RANGES_MAX 16

/**
 * struct subid_range - @count ids from @start, outside (in the caller's
 * user namespace)
 */
struct subid_range {
	uint32_t start;
	uint32_t count;
};

/**
 * subid_find() - the ranges that subordinate id file @f gives the user
 * named @name or numbered @id
 * @f:		the file (subuid(5) format: "OWNER:START:COUNT" lines)
 * @name:	the user's (or group's owner's) name; NULL: match by @id only
 * @id:		the user's uid
 * @out:	at most @max ranges, in the file's order
 * @max:	room in @out
 *
 * As shadow matches them: OWNER is the name or the decimal uid.  Blank
 * lines and lines starting with '#' are skipped, and so are malformed
 * ones (not three fields, a number that is not all decimal digits, a
 * zero COUNT, a range past 2^32 - 1): a bad line of another user must
 * not hide ours.
 * Return: the number of ranges stored (0: none), or -errno on a read error
 */
int subid_find(FILE *f, const char *name, uint32_t id, struct subid_range *out,
	       size_t max);

#endif /* NB_SUBID_H */
