/* SPDX-License-Identifier: Apache-2.0 */
/*
 * traps.h - the one table of what the agent traps.
 *
 * Each trapped syscall: its name, its handler, whether it is trapped
 * whole or only for some arguments, and what a foreign ABI gets.  Then
 * the calls refused outright (io_uring).  Three readers, nothing else
 * names a trapped call:
 *
 *   filter.c     the filter `nsbypass run` loads (filter_build())
 *   profile.c    the JSON profiles for a listenerPath agent
 *   traps.c      traps_dispatch(), the agent's notify_handler_cb
 *
 * Adding a trapped call is one entry in traps[] (traps.c) and its
 * handler in a handle-*.c.
 */
#ifndef NB_TRAPS_H
#define NB_TRAPS_H

#include <errno.h>
#include <linux/seccomp.h>
#include <stddef.h>

#include "handlers.h"

/* Which calls of a trapped syscall reach the agent. */
enum trap_match {
	TRAP_WHOLE,	    /* every call: the filter cannot decide */
	TRAP_SOCKOPT_PAIRS, /* only the (level, name) pairs in args[1]
				 * and args[2] that sockopt.c records */
};

/**
 * struct trap - one trapped syscall
 * @name:	the syscall, as libseccomp names it
 * @handler:	its handler in the agent's own (native) ABI
 * @match:	which calls are trapped, in the native ABI
 * @foreign:	the handler for the call from a foreign ABI (i386 and x32
 *		on x86_64, arm on aarch64), with its arguments made native
 *		by handle_foreign(); NULL: not trapped in foreign ABIs.
 *		A foreign trap is always whole (libseccomp cannot compare
 *		socketcall()'s arguments, which are in memory).
 * @socketcall:	its call number in i386's socketcall() (SYS_CONNECT, ...)
 * @nargs:	how many arguments socketcall()'s array holds for it
 */
struct trap {
	const char *name;
	handler_cb handler;
	enum trap_match match;
	handler_cb foreign;
	int socketcall;
	unsigned int nargs;
};

/* More entries than traps[] will ever have: for arrays of its names. */
#define TRAPS_MAX 16

/** traps - the trapped syscalls, @traps_len (<= TRAPS_MAX) entries */
extern const struct trap traps[];
extern const size_t traps_len;

/*
 * The calls refused with TRAPS_DENIED_ERRNO, in every ABI: io_uring's
 * entry points.  An io_uring operation (IORING_OP_CONNECT, _BIND, _LISTEN)
 * never passes through seccomp, so on a switched socket it would do what
 * the trapped calls refuse; ENOSYS is what podman's default profile
 * answers and what every io_uring user falls back on (docs/design.md).
 */
extern const char *const traps_denied[];
extern const size_t traps_denied_len;
#define TRAPS_DENIED_ERRNO ENOSYS

/**
 * traps_resolve() - look up the native syscall numbers of traps[] once
 *
 * Later calls return the first one's answer.  Single-threaded, as every
 * agent is.
 *
 * Return: 0, or -ENOSYS when libseccomp does not know one of the names
 */
int traps_resolve(void);

/**
 * traps_nr() - the native syscall number of @t, an entry of traps[]
 * Return: the number, or -ENOSYS (see traps_resolve())
 */
int traps_nr(const struct trap *t);

/**
 * traps_find() - the entry of traps[] named @name
 * Return: the entry, or NULL
 */
const struct trap *traps_find(const char *name);

/**
 * traps_dispatch() - hand a notification to its handler
 * @agent:	the struct agent the handlers act for
 * @req:	the notification
 *
 * Implements notify_handler_cb.  A call of the native ABI goes to its
 * entry's @handler; anything else (another ABI, socketcall(), x32's
 * numbers, which arrive under the native AUDIT_ARCH) goes to
 * handle_foreign(), which answers CONTINUE for what it does not know.
 * traps_resolve() must have succeeded.
 *
 * Return: the handler's answer
 */
int traps_dispatch(void *agent, const struct seccomp_notif *req);

#endif /* NB_TRAPS_H */
