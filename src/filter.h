/* SPDX-License-Identifier: Apache-2.0 */
/*
 * filter.h - the seccomp filter that traps what the agent handles.
 */
#ifndef NB_FILTER_H
#define NB_FILTER_H

#include <seccomp.h>

/**
 * filter_build() - the filter as a libseccomp context
 *
 * What traps.c's table says: in the native ABI each trap whole or for
 * its arguments (setsockopt(): the recorded (level, name) pairs); in the
 * foreign ABIs (i386 and x32 on x86_64, arm on aarch64) the traps that
 * have a foreign handler, whole, socketcall()'s codes included, so that a
 * host socket cannot be rebound through int $0x80 (handle-foreign.c); the
 * denied calls (io_uring) refused with ENOSYS in all of them.
 *
 * Return: 0 or -errno
 */
int filter_build(scmp_filter_ctx *ret);

/**
 * filter_install() - load the filter on the calling thread and return its
 * notify fd (O_CLOEXEC).  The caller must have CAP_SYS_ADMIN in its user
 * namespace or no_new_privs set.  SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
 * is used when the kernel has it (>= 5.19), so that a signal (Go's SIGURG
 * preemption) cannot turn a trapped call into an EINTR loop once the agent
 * has it.
 *
 * Return: the notify fd or -errno
 */
int filter_install(void);

#endif /* NB_FILTER_H */
