// SPDX-License-Identifier: Apache-2.0
/*
 * handle-foreign.c - connect(), bind() and listen() from a foreign ABI:
 * a 32-bit process on a 64-bit host (i386 and x32 on x86_64, arm on
 * aarch64), or a 64-bit process that enters the kernel through int $0x80.
 *
 * Such a call acts on the same sockets as the native one, host sockets
 * included, so leaving it untrapped would let a container rebind, listen
 * on or reconnect a switched socket.  The filter traps the calls whose
 * entry in traps.c has a foreign handler in every ABI the kernel runs
 * (socketcall() included: libseccomp traps their codes), and this file
 * turns the call into its native shape (arguments from the registers, or
 * from socketcall()'s array in memory, zero-extended) for that handler:
 *
 *   bind(), listen():  handle-listen.c, as native: the agent performs them
 *                      on its own copy of the socket and of the address.
 *   connect():         not switched (the recorded setsockopt() pairs are
 *                      trapped in the native ABI only, and i386's
 *                      SO_RCVTIMEO has its own layout): CONTINUE for a
 *                      container socket; for a host socket EOPNOTSUPP for
 *                      a disconnect (as natively), what Linux answers a
 *                      second connect (EISCONN, EALREADY), else
 *                      EOPNOTSUPP.
 */
#include <errno.h>
#include <sys/socket.h>
#include <seccomp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "handlers.h"
#include "procmem.h"
#include "sockinfo.h"
#include "traps.h"
#include "util.h"

struct foreign_abi {
	uint32_t token;	     /* libseccomp's SCMP_ARCH_* */
	uint32_t audit_arch; /* what a notification says */
};

static const struct foreign_abi abis[] = {
#if defined(__x86_64__)
	{ .token = SCMP_ARCH_X86, .audit_arch = SCMP_ARCH_X86 },
	/* x32 calls arrive as AUDIT_ARCH_X86_64 with the x32 bit set. */
	{ .token = SCMP_ARCH_X32, .audit_arch = SCMP_ARCH_X86_64 },
#elif defined(__aarch64__)
	{ .token = SCMP_ARCH_ARM, .audit_arch = SCMP_ARCH_ARM },
#endif
};

#define SOCKETCALL "socketcall"

/*
 * The trap @req is a call of, NULL if none; *@ret_socketcall tells a
 * socketcall().  By name, from the number: libseccomp names i386's direct
 * socket calls (361-363) by number, but resolves their names to
 * pseudo-numbers (they are multiplexed by socketcall()).  A foreign call
 * is rare; the lookup's allocation does not matter.
 */
static const struct trap *which_call(const struct seccomp_notif *req,
				     bool *ret_socketcall)
{
	const struct trap *t = NULL;

	*ret_socketcall = false;
	for (size_t i = 0; !t && !*ret_socketcall && i < ARRAY_SIZE(abis);
	     i++) {
		char *name;

		if (abis[i].audit_arch != req->data.arch)
			continue;
		name = seccomp_syscall_resolve_num_arch(abis[i].token,
							req->data.nr);
		if (name) {
			t = traps_find(name);
			*ret_socketcall = strcmp(name, SOCKETCALL) == 0;
		}
		free(name);
	}
	return t && t->foreign ? t : NULL;
}

/*
 * socketcall(CALL, ARGS): the trap of CALL and its arguments, as the
 * kernel reads them (only as many as CALL takes: the array may end at a
 * page's end).
 * Return: 0 with *@ret set, or the answer (HANDLER_CONTINUE for calls not
 * trapped, an unreadable array's EFAULT, HANDLER_GONE).  Never CONTINUE on
 * a failed read: the kernel would read the array again, maybe remapped by
 * then.
 */
static int unpack_socketcall(struct agent *a, const struct seccomp_notif *req,
			     struct seccomp_notif *nat, const struct trap **ret)
{
	uint32_t args[ARRAY_SIZE(nat->data.args)];
	const struct trap *t = NULL;
	size_t n;

	for (size_t i = 0; !t && i < traps_len; i++)
		if (traps[i].foreign &&
		    traps[i].socketcall == (int)(uint32_t)req->data.args[0])
			t = &traps[i];
	if (!t)
		return HANDLER_CONTINUE;
	n = MIN((size_t)t->nargs, ARRAY_SIZE(args));
	if (procmem_read(req->pid, (uint32_t)req->data.args[1], args,
			 n * sizeof(args[0])) !=
	    (ssize_t)(n * sizeof(args[0]))) {
		if (!notify_id_valid(&a->notify, req->id))
			return HANDLER_GONE;
		return -EFAULT;
	}
	for (size_t i = 0; i < n; i++)
		nat->data.args[i] = args[i];
	/* Vouched for by agent_copy_fd() in the handler, as for addresses. */
	*ret = t;
	return 0;
}

int handle_foreign_connect(struct agent *a, const struct seccomp_notif *req)
{
	_cleanup_close_ int sock = -1;
	sa_family_t family = AF_INET;
	struct sockinfo si;
	int r = agent_copy_fd(a, req, &sock);

	if (r != 0)
		return r;
	if (!agent_is_host_socket(a, sockinfo_netns_cookie(sock)))
		return HANDLER_CONTINUE;
	a->stats->refused++;
	/* A disconnect is refused as natively (handle-connect.c); the family
	 * is read only for that answer, never to act on. */
	if ((int)req->data.args[2] >= (int)sizeof(family) &&
	    procmem_read(req->pid, req->data.args[1], &family,
			 sizeof(family)) == sizeof(family) &&
	    family == AF_UNSPEC)
		return -EOPNOTSUPP;
	r = sockinfo_query_kind(sock, &si);
	if (r < 0)
		return r;
	r = host_tcp_busy(sock, &si);
	return r < 0 ? r : -EOPNOTSUPP;
}

int handle_foreign(struct agent *a, const struct seccomp_notif *req)
{
	struct seccomp_notif nat = *req;
	bool socketcall;
	const struct trap *t = which_call(req, &socketcall);
	int r;

	if (!t && !socketcall)
		return HANDLER_CONTINUE;
	for (size_t i = 0; i < ARRAY_SIZE(nat.data.args); i++)
		nat.data.args[i] = (uint32_t)req->data.args[i];
	if (socketcall) {
		r = unpack_socketcall(a, req, &nat, &t);
		if (r != 0)
			return r;
	}
	return t->foreign(a, &nat);
}
