/* SPDX-License-Identifier: Apache-2.0 */
/*
 * notify.h - the seccomp user-notification fd on a libuv loop.
 */
#ifndef NB_NOTIFY_H
#define NB_NOTIFY_H

#include <linux/seccomp.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "agent-counters.h"
#include "notify-journal.h"

struct notify;

/*
 * Handler return values: 0 answers success (the call returns 0), a
 * negative errno fails the call with it, and:
 */
#define HANDLER_CONTINUE 1 /* let the kernel run the syscall */
#define HANDLER_GONE 2	   /* the notification is no longer valid */
#define HANDLER_DONE 3	   /* answered already, or the answer is pending */

/**
 * typedef notify_handler_cb - handle one notification
 * @ctx:	notify_start()'s @ctx
 * @req:	the notification; valid only until the callback returns
 *
 * Called for every notification, whatever its ABI and syscall number:
 * the caller's table decides (traps_dispatch() for the agent).
 *
 * Return: 0, -errno, HANDLER_CONTINUE, HANDLER_GONE or HANDLER_DONE
 */
typedef int (*notify_handler_cb)(void *ctx, const struct seccomp_notif *req);

/** typedef notify_hup_cb - every process under the filter is gone */
typedef void (*notify_hup_cb)(struct notify *n);

/**
 * typedef notify_recover_cb - answer a notification a dead agent left
 * @ctx:	notify_start()'s @ctx
 * @slot:	its journal slot (notify-journal.h): the notification, and
 *		the cookie of the host socket being installed with the answer
 *		that was to follow, if any
 *
 * Called once per notification still pending, from the loop, before any
 * new one is received.  Return: as notify_handler_cb.
 */
typedef int (*notify_recover_cb)(void *ctx, const struct agent_slot *slot);

/* Where the journal and the counters live, and what recovers. */
struct notify_store {
	struct agent_slot *slots; /* shared slots, or NULL: private */
	bool predecessor;	  /* an agent may have used @slots before */
	struct agent_counters *counters; /* shared, or NULL: private */
	notify_recover_cb recover;	 /* NULL: handled as new ones */
};

struct notify {
	uv_poll_t poll;
	int fd;
	bool closing;
	struct seccomp_notif_sizes sizes;
	struct seccomp_notif_resp *resp;
	notify_handler_cb handler;
	notify_recover_cb recover;
	void *ctx; /* the handler's */
	notify_hup_cb on_hup;
	/* Notifications in flight (each received into a slot), and what
	 * is counted: in the agent's shared memory, or our own. */
	struct notify_journal journal;
	struct agent_counters *counters;
	struct agent_counters own_counters;
	struct notify_stats *stats; /* &counters->notify */
	/* Runs the recovery once; then, should every slot be in use,
	 * receives again later. */
	uv_timer_t recover_timer;
	bool recover_timer_made;
	bool full_warned;
	bool continue_all; /* answer CONTINUE, call no handler */
};

/**
 * notify_start() - watch @fd and hand its notifications to @handler
 * @n:		the watcher (embedded in the agent)
 * @loop:	the loop to watch on
 * @fd:		the notify fd; owned by @n from now on, closed on stop
 * @handler:	called for each notification; its return value is the
 *		answer (see notify_handler_cb)
 * @ctx:	passed to @handler
 * @on_hup:	called once when every trapped process is gone, or NULL
 *
 * Return: 0 or -errno (@fd is closed on error too)
 */
int notify_start(struct notify *n, uv_loop_t *loop, int fd,
		 notify_handler_cb handler, void *ctx, notify_hup_cb on_hup);

/**
 * notify_start_stored() - notify_start() with the journal and counters
 * in @store (agent-shm.h): notifications left pending by a dead agent
 * are handed to @store->recover first
 */
int notify_start_stored(struct notify *n, uv_loop_t *loop, int fd,
			notify_handler_cb handler, void *ctx,
			notify_hup_cb on_hup, const struct notify_store *store);

/** notify_stop() - stop watching and close the fd (after the loop turns) */
void notify_stop(struct notify *n);

/** notify_id_valid() - is the trapped thread still waiting for @id? */
bool notify_id_valid(struct notify *n, uint64_t id);

/** notify_continue() - let the kernel run the syscall. Return: 0/-errno
 * (-ENOENT once @n is stopped) */
int notify_continue(struct notify *n, uint64_t id);

/**
 * notify_answer() - fail the syscall with @error (< 0), or return @val
 * Return: 0, -ENOENT when the thread is gone or @n stopped, other -errno
 */
int notify_answer(struct notify *n, uint64_t id, int64_t val, int error);

/**
 * notify_addfd() - install @srcfd in the target as fd number @newfd,
 * replacing what is there (dup2() semantics), without answering.
 * Return: 0, -ENOENT when the thread is gone or @n stopped, other -errno
 */
int notify_addfd(struct notify *n, uint64_t id, int srcfd, int newfd,
		 bool cloexec);

/**
 * notify_forget() - a notification ends without an answer of ours (its
 * caller is gone): free its journal slot, if it still has one
 */
void notify_forget(struct notify *n, uint64_t id);

/**
 * notify_addfd_journaled() - notify_addfd() that first writes down, in
 * the notification's journal slot, the cookie of @srcfd and @answer, the
 * error the caller answers once it is installed (0 for success): a
 * successor finds the socket installed and gives that answer
 */
int notify_addfd_journaled(struct notify *n, uint64_t id, int srcfd, int newfd,
			   bool cloexec, uint64_t cookie, int answer);

#endif /* NB_NOTIFY_H */
