/* SPDX-License-Identifier: Apache-2.0 */
/*
 * target.h - handles on the trapped thread: its pidfd, a copy of one of its
 * fds, and the per-fd flags only /proc shows.
 */
#ifndef NB_TARGET_H
#define NB_TARGET_H

#include <stdbool.h>
#include <sys/types.h>

/**
 * target_pidfd_open() - a pidfd whose fd table is the one of thread @tid
 *
 * On Linux >= 6.9 this is a thread pidfd (PIDFD_THREAD), so a thread that
 * unshared its fd table is served right.  Older kernels refuse pidfds of
 * non-leader threads: the thread group leader is looked up in
 * /proc/TID/status and used instead.
 *
 * Return: the pidfd (O_CLOEXEC) or -errno (-ESRCH when gone)
 */
int target_pidfd_open(pid_t tid);

/**
 * target_pidfd_open_exact() - target_pidfd_open(), and whether the pidfd
 * names thread @tid itself (*@ret_exact true) or, on old kernels, its
 * thread group leader.  Only an exact one may be cached by thread id: a
 * leader's pidfd stays valid after the thread's id is recycled.
 */
int target_pidfd_open_exact(pid_t tid, bool *ret_exact);

/**
 * target_getfd() - a copy of @fd of the target (pidfd_getfd())
 * Return: the new fd (O_CLOEXEC) or -errno (-EBADF when not open)
 */
int target_getfd(int pidfd, int fd);

/**
 * target_fd_cloexec() - is FD_CLOEXEC set on @fd in thread @tid?
 *
 * The close-on-exec flag belongs to the fd table entry, not to the file,
 * so a pidfd_getfd() copy cannot show it; /proc/TID/fdinfo/FD does.
 *
 * Return: 1, 0, or -errno
 */
int target_fd_cloexec(pid_t tid, int fd);

/**
 * target_fd_flags() - the open flags of @fd in thread @tid, O_CLOEXEC
 * included when the fd has it, as /proc/TID/fdinfo/FD shows them: the
 * file status flags (O_NONBLOCK) and close-on-exec in one read
 * Return: the flags, or -errno
 */
int target_fd_flags(pid_t tid, int fd);

/**
 * target_fd_flags_at() - target_fd_flags() through @fdinfo_dir, an open
 * /proc/TID/fdinfo directory (pidfd_cache_fdinfo_dir())
 * Return: the flags, or -errno
 */
int target_fd_flags_at(int fdinfo_dir, int fd);

/**
 * target_caught_signal() - will thread @tid run a signal handler as soon
 * as it leaves the kernel?
 *
 * True for a signal that is pending, caught (SigCgt) and not blocked: sent
 * to the thread (SigPnd), or to the process (ShdPnd) when the thread is
 * its main thread or its only one, which is where Linux sends it then
 * (complete_signal() tries the main thread first), so that the thread's
 * TIF_SIGPENDING is set.  Read from /proc/TID/status.
 *
 * Return: 1, 0, or -errno
 */
int target_caught_signal(pid_t tid);

/** target_tgid() - the thread group id of @tid from /proc; -errno on error */
pid_t target_tgid(pid_t tid);

#endif /* NB_TARGET_H */
