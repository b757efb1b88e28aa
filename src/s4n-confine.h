/* SPDX-License-Identifier: Apache-2.0 */
/*
 * s4n-confine.h - a seccomp filter for a process that only runs libslirp on
 * its loop from now on: what `nsbypass slirp4netns --enable-seccomp` loads
 * once its set-up is done.
 */
#ifndef NB_S4N_CONFINE_H
#define NB_S4N_CONFINE_H

/**
 * confine_seccomp() - deny what slirp never needs, for good
 *
 * The calls a compromised slirp would use to get further are refused
 * with EPERM: exec, ptrace and access to other processes' memory and
 * fds, namespaces (setns, unshare, clone with a CLONE_NEW* flag), mounts,
 * modules, kexec, bpf, keys, new unix socket pairs.  socket() is limited
 * to AF_INET and AF_INET6 (EAFNOSUPPORT otherwise), clone3() answers
 * ENOSYS so that libc falls back to clone(), whose flags can be checked,
 * and foreign system call ABIs kill the process.  In sanitizer builds
 * ptrace stays allowed: LeakSanitizer stops the world with it at exit.
 *
 * Return: 0 or -errno
 */
int confine_seccomp(void);

#endif /* NB_S4N_CONFINE_H */
