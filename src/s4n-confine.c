// SPDX-License-Identifier: Apache-2.0
/*
 * s4n-confine.c - the seccomp filter of
 * `nsbypass slirp4netns --enable-seccomp`.
 *
 * A deny list rather than an allow list: libslirp, libuv and libc (and
 * the sanitizers in test builds) make calls we do not control, and an
 * allow list that missed one would break the network at run time.  What
 * is denied is what turns a compromised slirp into more than a process
 * that can open host sockets, which slirp can do anyway.
 */
#include <errno.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/socket.h>

#include "s4n-confine.h"
#include "util.h"

/* 32-bit arguments: compare only the low half (the upper is garbage). */
#define ARG32_EQ(i, v) SCMP_CMP64((i), SCMP_CMP_MASKED_EQ, 0xffffffffULL, (v))

static const char *const denied[] = {
	"execve",
	"execveat",
	"process_vm_readv",
	"process_vm_writev",
	"pidfd_getfd",
	"pidfd_open",
	"kcmp",
	"setns",
	"unshare",
	"mount",
	"umount2",
	"pivot_root",
	"chroot",
	"open_tree",
	"move_mount",
	"fsopen",
	"fsconfig",
	"fsmount",
	"fspick",
	"mount_setattr",
	"kexec_load",
	"kexec_file_load",
	"init_module",
	"finit_module",
	"delete_module",
	"bpf",
	"perf_event_open",
	"userfaultfd",
	"keyctl",
	"add_key",
	"request_key",
	"socketpair",
#ifndef __SANITIZE_ADDRESS__
	"ptrace",
#endif
};

static const unsigned long clone_new_flags[] = {
	CLONE_NEWNS,  CLONE_NEWUSER, CLONE_NEWNET,    CLONE_NEWPID,
	CLONE_NEWIPC, CLONE_NEWUTS,  CLONE_NEWCGROUP,
};

/* socket(): only AF_INET (2) and AF_INET6 (10) pass. */
static int add_socket_rules(scmp_filter_ctx ctx)
{
	int r;

	r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EAFNOSUPPORT),
			     SCMP_SYS(socket), 1,
			     SCMP_A0(SCMP_CMP_LT, AF_INET));
	if (r == 0)
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EAFNOSUPPORT),
				     SCMP_SYS(socket), 1,
				     SCMP_A0(SCMP_CMP_GT, AF_INET6));
	for (int af = AF_INET + 1; r == 0 && af < AF_INET6; af++)
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EAFNOSUPPORT),
				     SCMP_SYS(socket), 1,
				     ARG32_EQ(0, (unsigned)af));
	return r;
}

int confine_seccomp(void)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	int r = 0;

	if (!ctx)
		return -ENOMEM;
	for (size_t i = 0; r == 0 && i < ARRAY_SIZE(denied); i++) {
		int nr = seccomp_syscall_resolve_name(denied[i]);

		if (nr != __NR_SCMP_ERROR)
			r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0);
	}
	for (size_t i = 0; r == 0 && i < ARRAY_SIZE(clone_new_flags); i++)
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM),
				     SCMP_SYS(clone), 1,
				     SCMP_A0(SCMP_CMP_MASKED_EQ,
					     clone_new_flags[i],
					     clone_new_flags[i]));
	/* clone3() keeps its flags in memory, out of the filter's reach. */
	if (r == 0)
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS),
				     SCMP_SYS(clone3), 0);
	if (r == 0)
		r = add_socket_rules(ctx);
	if (r == 0)
		r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH,
				     SCMP_ACT_KILL_PROCESS);
	if (r == 0)
		r = seccomp_load(ctx);
	seccomp_release(ctx);
	return r;
}
