/* SPDX-License-Identifier: Apache-2.0 */
/*
 * daemon-state.h - the bypasses of `nsbypass daemon`, on disk, for the
 * daemon that comes after it (docs/design.md §6.4, "A daemon that
 * restarts").
 *
 * One file per running bypass, ID.json in a 0700 directory of ours:
 * {"spec": BYPASSSPEC, "pid": PID, "start": STARTTIME}, the spec as the
 * client posted it (checked again by daemon_spec_parse() when read), the
 * child's pid and its start time (/proc/PID/stat field 22), so that a
 * reused pid is never taken for it.  Written by rename() once the child
 * listens, removed when the bypass is deleted or its child dies; kept
 * when the daemon stops.
 */
#ifndef NB_DAEMON_STATE_H
#define NB_DAEMON_STATE_H

#include <stdint.h>
#include <sys/types.h>

#include "daemon-api.h"

/* A state file's largest size: a spec and a few numbers. */
#define DAEMON_STATE_MAX (DAEMON_BODY_MAX + 256)

/**
 * daemon_state_save() - write the file of @spec's bypass, run by @pid
 * Return: 0 or -errno
 */
int daemon_state_save(int dirfd, const struct daemon_spec *spec, pid_t pid);

/** daemon_state_remove() - remove the file of bypass @id, if any */
void daemon_state_remove(int dirfd, const char *id);

/**
 * typedef daemon_state_cb - one bypass read back
 * @spec:	its spec (owned by the callee)
 * @pid:	its child's pid when it was saved
 * @alive:	that process still runs (the same start time), and is an
 *		`nsbypass oci`
 */
typedef void (*daemon_state_cb)(void *opaque, struct daemon_spec *spec,
				pid_t pid, bool alive);

/**
 * daemon_state_load() - every bypass of @dirfd, to @cb
 *
 * A file that is not a well-formed state of ours is logged, removed and
 * skipped.
 *
 * Return: how many were given to @cb, or -errno
 */
int daemon_state_load(int dirfd, daemon_state_cb cb, void *opaque);

/**
 * daemon_state_parse() - a state file's text: its spec, pid and start
 * Return: 0 or -EINVAL
 */
int daemon_state_parse(const char *text, size_t len, struct daemon_spec **spec,
		       pid_t *pid, uint64_t *start);

#endif /* NB_DAEMON_STATE_H */
