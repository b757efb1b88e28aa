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
 * connect(), bind() and listen() are trapped whole: the family is in
 * memory or in the socket, which a filter cannot read (see
 * handle-listen.c for why bind() and listen() are the agent's).  setsockopt() is trapped only for the recorded (level,
 * name) pairs.  Foreign ABIs (32-bit processes on a 64-bit host) run
 * untrapped and keep their sockets in the container's namespace.
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
