/* SPDX-License-Identifier: Apache-2.0 */
/*
 * idmap.h - the uid and gid maps of `nsbypass run`'s user namespace:
 * the caller's own ids and, when /etc/subuid and /etc/subgid give the
 * caller ranges and newuidmap/newgidmap are installed, those ranges too,
 * as rootless podman and rootlesskit map them.
 */
#ifndef NB_IDMAP_H
#define NB_IDMAP_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "subid.h"

#define IDMAP_LINES_MAX (1 + SUBID_RANGES_MAX)

/** struct idmap_line - one line of uid_map or gid_map */
struct idmap_line {
	uint32_t inside;
	uint32_t outside;
	uint32_t count;
};

/**
 * struct idmap_side - the map of one kind of id
 * @lines:	the first maps 0 to the caller's own id, the others the
 *		subordinate ranges from 1 on, one after the other
 * @n:		lines in use
 * @helper:	newuidmap or newgidmap (full path) when subordinate ranges
 *		are mapped, else ""
 * @file:	where the ranges come from (/etc/subuid or /etc/subgid)
 */
struct idmap_side {
	struct idmap_line lines[IDMAP_LINES_MAX];
	size_t n;
	char helper[PATH_MAX];
	const char *file;
};

/**
 * struct idmap - the maps of the container's user namespace
 * @subids:	the subordinate ranges are mapped, by the helpers (run by
 *		the parent); false: only the caller's own ids, written by
 *		the child itself (setgroups denied), as `unshare -r`
 * @uid:	uid_map
 * @gid:	gid_map
 */
struct idmap {
	bool subids;
	struct idmap_side uid;
	struct idmap_side gid;
};

/**
 * idmap_build() - @side's lines: 0 to @own, then @ranges from 1 on
 * @side:	filled in (not @side->helper nor @side->file)
 * @own:	the caller's id
 * @ranges:	the subordinate ranges, at most SUBID_RANGES_MAX
 * @n:		how many; 0 gives the single line
 *
 * Ranges past the last id a namespace can map (2^32 - 2) are cut short.
 */
void idmap_build(struct idmap_side *side, uint32_t own,
		 const struct subid_range *ranges, size_t n);

/**
 * idmap_plan() - decide the maps for a namespace of @uid and @gid
 * @m:		filled in
 * @uid:	the caller's uid
 * @gid:	the caller's gid
 * @single:	--single-id: only the caller's own ids
 * @subuid:	the subordinate uid file (/etc/subuid); must outlive @m
 * @subgid:	the subordinate gid file (/etc/subgid); must outlive @m
 *
 * The subordinate ranges are mapped when both files give the user (by
 * name or uid) a range and newuidmap and newgidmap are found in $PATH;
 * else the single mapping, with one info line that says why.
 */
void idmap_plan(struct idmap *m, uid_t uid, gid_t gid, bool single,
		const char *subuid, const char *subgid);

/**
 * idmap_apply() - write @m's subordinate maps for process @pid (in its
 * new user namespace, not yet mapped) with newuidmap and newgidmap
 *
 * Their own messages go to stderr; a failure gets one error line more.
 * Return: 0, or -EPERM when a helper failed, -errno when it did not run
 */
int idmap_apply(const struct idmap *m, pid_t pid);

#endif /* NB_IDMAP_H */
