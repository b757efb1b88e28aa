/* SPDX-License-Identifier: Apache-2.0 */
/*
 * filter.h - the seccomp filter that traps what the agent handles.
 */
#ifndef NB_FILTER_H
#define NB_FILTER_H

#include <seccomp.h>

#include <stddef.h>

/* The calls trapped whole, in every ABI: connect, bind, listen. */
extern const char *const filter_notified[];
extern const size_t filter_notified_len;

/*
 * The calls refused with ENOSYS, in every ABI: io_uring's entry points.
 * An io_uring operation (IORING_OP_CONNECT, _BIND, _LISTEN) never passes
 * through seccomp, so on a switched socket it would do what the trapped
 * calls refuse; ENOSYS is what podman's default profile answers and what
 * every io_uring user falls back on (docs/design.md, section 2).
 */
extern const char *const filter_denied[];
extern const size_t filter_denied_len;

/**
 * filter_build() - the filter as a libseccomp context
 *
 * connect(), bind() and listen() are trapped whole: the family is in
 * memory or in the socket, which a filter cannot read (see
 * handle-listen.c for why bind() and listen() are the agent's).
 * setsockopt() is trapped only for the recorded (level, name) pairs, in
 * the native ABI.  The foreign ABIs (i386 and x32 on x86_64, arm on
 * aarch64) have the same connect/bind/listen traps, socketcall()'s
 * included, so that a host socket cannot be rebound through int $0x80
 * (handle-foreign.c); io_uring is refused in all of them.
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
