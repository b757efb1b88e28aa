// SPDX-License-Identifier: Apache-2.0
/*
 * handle-foreign.c - connect(), bind() and listen() from a foreign ABI:
 * a 32-bit process on a 64-bit host (i386 and x32 on x86_64, arm on
 * aarch64), or a 64-bit process that enters the kernel through int $0x80.
 *
 * Such a call acts on the same sockets as the native one, host sockets
 * included, so leaving it untrapped would let a container rebind, listen
 * on or reconnect a switched socket.  The filter traps the three calls in
 * every ABI the kernel runs (socketcall() included: libseccomp traps its
 * CONNECT, BIND and LISTEN codes), and this file turns the call into its
 * native shape (arguments from the registers, or from socketcall()'s
 * array in memory, zero-extended) for the native handlers:
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
#include <linux/net.h>
#include <sys/socket.h>
#include <seccomp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "handlers.h"
#include "procmem.h"
#include "sockinfo.h"
#include "util.h"

/* Values of their own: a handler's answers are HANDLER_* and -errno. */
enum foreign_call {
	F_CONNECT = 100, F_BIND, F_LISTEN, F_SOCKETCALL, F_END
};
#define F_NCALLS (F_END - F_CONNECT)

static const char *const call_names[F_NCALLS] = {
	[F_CONNECT - F_CONNECT] = "connect", [F_BIND - F_CONNECT] = "bind",
	[F_LISTEN - F_CONNECT] = "listen",
	[F_SOCKETCALL - F_CONNECT] = "socketcall",
};

struct foreign_abi {
	uint32_t token;		/* libseccomp's SCMP_ARCH_* */
	uint32_t audit_arch;	/* what a notification says */
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

/*
 * Which of the calls @req is, or 0.  By name, from the number: libseccomp
 * names i386's direct socket calls (361-363) by number, but resolves
 * their names to pseudo-numbers (they are multiplexed by socketcall()).
 * A foreign call is rare; the lookup's allocation does not matter.
 */
static int which_call(const struct seccomp_notif *req)
{
	int call = 0;

	for (size_t i = 0; !call && i < ARRAY_SIZE(abis); i++) {
		char *name;

		if (abis[i].audit_arch != req->data.arch)
			continue;
		name = seccomp_syscall_resolve_num_arch(abis[i].token,
							req->data.nr);
		for (int c = 0; name && !call && c < F_NCALLS; c++)
			if (strcmp(name, call_names[c]) == 0)
				call = F_CONNECT + c;
		free(name);
	}
	return call;
}

/*
 * socketcall(CALL, ARGS): the call and its arguments, as the kernel reads
 * them (only as many as CALL takes: the array may end at a page's end).
 * Return: the call, or the answer (HANDLER_CONTINUE for other calls, an
 * unreadable array's EFAULT, HANDLER_GONE).  Never CONTINUE on a failed
 * read: the kernel would read the array again, maybe remapped by then.
 */
static int unpack_socketcall(struct agent *a, const struct seccomp_notif *req,
			     struct seccomp_notif *nat)
{
	uint32_t args[3];
	size_t n;
	int call;

	switch ((uint32_t)req->data.args[0]) {
	case SYS_CONNECT:
		call = F_CONNECT, n = 3;
		break;
	case SYS_BIND:
		call = F_BIND, n = 3;
		break;
	case SYS_LISTEN:
		call = F_LISTEN, n = 2;
		break;
	default:
		return HANDLER_CONTINUE;
	}
	if (procmem_read(req->pid, (uint32_t)req->data.args[1], args,
			 n * sizeof(args[0])) != (ssize_t)(n * sizeof(args[0]))) {
		if (!notify_id_valid(&a->notify, req->id))
			return HANDLER_GONE;
		return -EFAULT;
	}
	for (size_t i = 0; i < n && i < ARRAY_SIZE(args); i++)
		nat->data.args[i] = args[i];
	/* Vouched for by agent_copy_fd() in the handler, as for addresses. */
	return call;
}

static int foreign_connect(struct agent *a, const struct seccomp_notif *req)
{
	_cleanup_close_ int sock = -1;
	sa_family_t family = AF_INET;
	struct sockinfo si;
	int r = agent_copy_fd(a, req, &sock);

	if (r != 0)
		return r;
	if (!agent_is_host_socket(a, sockinfo_netns_cookie(sock)))
		return HANDLER_CONTINUE;
	a->stats.refused++;
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
	int call = which_call(req);

	if (call == 0)
		return HANDLER_CONTINUE;
	for (size_t i = 0; i < ARRAY_SIZE(nat.data.args); i++)
		nat.data.args[i] = (uint32_t)req->data.args[i];
	if (call == F_SOCKETCALL) {
		call = unpack_socketcall(a, req, &nat);
		if (call < F_CONNECT)
			return call;
	}
	switch (call) {
	case F_BIND:
		return handle_bind(a, &nat);
	case F_LISTEN:
		return handle_listen(a, &nat);
	default:
		return foreign_connect(a, &nat);
	}
}
