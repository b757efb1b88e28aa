/* SPDX-License-Identifier: Apache-2.0 */
/*
 * daemon-children.h - the bypasses of `nsbypass daemon`: one
 * `nsbypass oci` process per BypassSpec, on a libuv loop.
 *
 * A child goes through three states:
 *   starting  spawned with a pipe as fd 3 (--ready-fd 3); the POST waits
 *             for its ready byte, DAEMON_READY_TIMEOUT_MS at most
 *   running   listed by GET, stopped by DELETE
 *   stopping  SIGTERM sent (SIGKILL after DAEMON_STOP_TIMEOUT_MS), or
 *             failed to start; gone once reaped
 * A child that exits by itself is reaped and dropped from the list.
 * Every state keeps the id and the socketPath taken: a second spec with
 * either is refused until the child is reaped.
 *
 * With a state directory (daemon-state.h) each running bypass has its
 * file there, and the next daemon takes them back with
 * daemon_children_restore(): a child still running is adopted (not ours
 * to reap: a pidfd says when it ends, and signals go through it), the
 * others are started again from their specs (their containers' agents,
 * which outlived them, are adopted in turn: docs/design.md §6.6).
 */
#ifndef NB_DAEMON_CHILDREN_H
#define NB_DAEMON_CHILDREN_H

#include <uv.h>

#include "daemon-api.h"

/* How long a child may take to listen: its ready byte. */
#define DAEMON_READY_TIMEOUT_MS 10000
/* How long a child may take to exit on SIGTERM before SIGKILL. */
#define DAEMON_STOP_TIMEOUT_MS 5000
/* Children at once; more specs are refused. */
#define DAEMON_CHILDREN_MAX 1024

/**
 * typedef daemon_reply_cb - the answer to a request that had to wait
 * @opaque:	as given with the request
 * @status:	the HTTP status
 * @body:	malloc'd JSON text, the callee's; NULL for an empty body
 */
typedef void (*daemon_reply_cb)(void *opaque, unsigned int status, char *body);

struct daemon_children;

/**
 * daemon_children_new() - an empty set of children
 * @loop:	the loop that runs them
 * @exe:	the program to run as `nsbypass oci` (argv[0] is "nsbypass")
 * Return: the set, or NULL when out of memory
 */
struct daemon_children *daemon_children_new(uv_loop_t *loop, const char *exe);

/**
 * daemon_children_set_extra_args() - arguments every child gets after its
 * own (the daemon's --cluster options); @args are kept, not copied
 */
void daemon_children_set_extra_args(struct daemon_children *c,
				    char *const *args, size_t n);

/**
 * daemon_children_set_state() - keep each running bypass in @dirfd
 * (owned; -1: nowhere)
 */
void daemon_children_set_state(struct daemon_children *c, int dirfd);

/**
 * daemon_children_restore() - the bypasses of the state directory back:
 * adopted if their child runs, else started again
 * Return: how many, or -errno (logged)
 */
int daemon_children_restore(struct daemon_children *c);

/**
 * daemon_children_create() - start a child for @spec (POST)
 * @c:		the set
 * @spec:	the spec; taken in every case
 * @cb:		called once, later, with 201 and the BypassStatus, or with
 *		an error (500 when the child failed to start, 503 when the
 *		daemon is shutting down meanwhile)
 * @opaque:	for @cb
 *
 * Return: 0 (@cb will be called), or at once: -EEXIST (the id is taken),
 * -EADDRINUSE (the socketPath is taken), -ENOSPC (too many children),
 * -ESHUTDOWN, or the -errno of a failed spawn
 */
int daemon_children_create(struct daemon_children *c, struct daemon_spec *spec,
			   daemon_reply_cb cb, void *opaque);

/**
 * daemon_children_delete() - stop the running child of @id (DELETE)
 * @cb:		called once, later, with 200 when it has exited
 * Return: 0 (@cb will be called), or -ENOENT (no running child has @id)
 */
int daemon_children_delete(struct daemon_children *c, const char *id,
			   daemon_reply_cb cb, void *opaque);

/**
 * daemon_children_list() - the running children as a JSON array of
 * BypassStatus (GET)
 * Return: malloc'd text, or NULL when out of memory
 */
char *daemon_children_list(struct daemon_children *c);

/**
 * daemon_children_shutdown() - stop every child; answer the requests
 * still waiting (503 for a create); refuse new ones.  @done is called
 * once no child is left (maybe at once).
 */
void daemon_children_shutdown(struct daemon_children *c,
			      void (*done)(void *opaque), void *opaque);

/**
 * daemon_children_free() - free the set, which must be empty (after
 * daemon_children_shutdown() called back); NULL is fine.  Returns NULL.
 */
struct daemon_children *daemon_children_free(struct daemon_children *c);

#endif /* NB_DAEMON_CHILDREN_H */
