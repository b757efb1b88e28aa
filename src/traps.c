// SPDX-License-Identifier: Apache-2.0
/*
 * traps.c - the table of trapped syscalls (see traps.h) and the agent's
 * dispatch over it.
 *
 * connect(), bind() and listen() are trapped whole: the family is in
 * memory or in the socket, which a filter cannot read (see handle-listen.c
 * for why bind() and listen() are the agent's).  setsockopt() is trapped
 * only for the recorded pairs, so no other option pays a round trip.  A
 * foreign ABI acts on the same sockets as the native one, host sockets
 * included, so connect(), bind() and listen() are trapped there too
 * (handle-foreign.c); setsockopt() is not: its options are replayed only
 * from the native ABI.
 */
#include <assert.h>
#include <errno.h>
#include <linux/net.h>
#include <seccomp.h>
#include <stdbool.h>
#include <string.h>

#include "traps.h"
#include "util.h"

const struct trap traps[] = {
	{ .name = "connect",
	  .handler = handle_connect,
	  .match = TRAP_WHOLE,
	  .foreign = handle_foreign_connect,
	  .socketcall = SYS_CONNECT,
	  .nargs = 3 },
	{ .name = "bind",
	  .handler = handle_bind,
	  .match = TRAP_WHOLE,
	  .foreign = handle_bind,
	  .socketcall = SYS_BIND,
	  .nargs = 3 },
	{ .name = "listen",
	  .handler = handle_listen,
	  .match = TRAP_WHOLE,
	  .foreign = handle_listen,
	  .socketcall = SYS_LISTEN,
	  .nargs = 2 },
	{ .name = "setsockopt",
	  .handler = handle_setsockopt,
	  .match = TRAP_SOCKOPT_PAIRS,
	  .foreign = NULL,
	  .socketcall = SYS_SETSOCKOPT,
	  .nargs = 5 },
};
const size_t traps_len = ARRAY_SIZE(traps);
static_assert(ARRAY_SIZE(traps) <= TRAPS_MAX, "raise TRAPS_MAX");

const char *const traps_denied[] = {
	"io_uring_setup",
	"io_uring_enter",
	"io_uring_register",
};
const size_t traps_denied_len = ARRAY_SIZE(traps_denied);

/* The native numbers of traps[], and the agent's own AUDIT_ARCH_*. */
static struct {
	bool done;
	int r;
	uint32_t arch;
	int nr[ARRAY_SIZE(traps)];
} resolved;

int traps_resolve(void)
{
	if (resolved.done)
		return resolved.r;
	resolved.done = true;
	resolved.arch = seccomp_arch_native();
	for (size_t i = 0; i < ARRAY_SIZE(traps); i++) {
		resolved.nr[i] = seccomp_syscall_resolve_name(traps[i].name);
		if (resolved.nr[i] < 0)
			resolved.r = -ENOSYS;
	}
	return resolved.r;
}

int traps_nr(const struct trap *t)
{
	int r = traps_resolve();

	return r < 0 ? r : resolved.nr[t - traps];
}

const struct trap *traps_find(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(traps); i++)
		if (strcmp(name, traps[i].name) == 0)
			return &traps[i];
	return NULL;
}

int traps_dispatch(void *agent, const struct seccomp_notif *req)
{
	if (req->data.arch == resolved.arch)
		for (size_t i = 0; i < ARRAY_SIZE(traps); i++)
			if (req->data.nr == resolved.nr[i])
				return traps[i].handler(agent, req);
	return handle_foreign(agent, req);
}
