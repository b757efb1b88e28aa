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

struct notify_stats {
	uint64_t received;
	uint64_t continued;
	uint64_t answered;
	uint64_t gone; /* the trapped thread died before the answer */
};

struct notify {
	uv_poll_t poll;
	int fd;
	bool closing;
	struct seccomp_notif_sizes sizes;
	struct seccomp_notif *req; /* sizes.seccomp_notif bytes */
	struct seccomp_notif_resp *resp;
	notify_handler_cb handler;
	void *ctx; /* the handler's */
	notify_hup_cb on_hup;
	struct notify_stats stats;
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

#endif /* NB_NOTIFY_H */
