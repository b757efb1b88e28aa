/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sandbox.h - confinement of a process that from now on only runs
 * libslirp on a libuv loop: the fallback network's process under
 * `nsbypass run`, and `nsbypass slirp4netns --enable-sandbox`.
 *
 * Four steps, each a function of its own, sandbox_enter() does them all
 * in this order:
 *   1. every fd but a keep-list is closed;
 *   2. an empty root: a new mount (and IPC) namespace, made inside a new
 *      user namespace when the caller has no CAP_SYS_ADMIN where it is,
 *      pivot_root() into a read-only tmpfs that holds only the host files
 *      asked for (read-only binds: /etc/resolv.conf for libslirp's DNS);
 *      the network namespace stays the caller's, so sockets libslirp
 *      opens are host sockets as before;
 *   3. no capabilities (bounding, ambient, effective, permitted,
 *      inheritable) but a keep-mask, and no_new_privs;
 *   4. a seccomp allow-list: what libslirp, libuv, glibc and the
 *      sanitizers call at run time; the escapes a compromised process
 *      would try answer EPERM (EAFNOSUPPORT for socket families), and
 *      anything else kills the process (in -Dtest_hooks builds: reports
 *      the call on stderr, then dies of SIGSYS all the same).
 * docs/design.md §7 (and §6.1 for the slirp4netns mode) says what each
 * process can reach afterwards.
 */
#ifndef NB_SANDBOX_H
#define NB_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <uv.h>

#include "config.h"

/**
 * struct sandbox_file - a host file seen, read-only, in the empty root
 * @path:	where it is seen (absolute)
 * @source:	the host file (symlinks followed); NULL: @path itself; "":
 *		none, @path is an empty directory (what programs or tests
 *		expect to find, with nothing of the host's in it)
 *
 * A file that is missing on the host is left out without an error.
 * Replacing the host file by rename() (what some resolvers' managers do)
 * is not seen inside: the bind holds the old inode; writes in place are.
 */
struct sandbox_file {
	const char *path;
	const char *source;
};

/*
 * The files libslirp reads at run time: resolv.conf (its DNS forwarder
 * stat()s and reads it at most once a second) and /dev/urandom (glib
 * seeds the instance's random generator from it in slirp_new()).
 */
/* The formatter would break this brace-initializer macro apart. */
/* clang-format off */
#define SANDBOX_SLIRP_FILES                                          \
	{ { "/etc/resolv.conf", NULL }, { "/dev/urandom", NULL },    \
	  { NULL, NULL } }
/* clang-format on */

/**
 * struct sandbox_config - what sandbox_enter() keeps
 * @keep_fds:	fds that stay open (stdio is not implied); NULL: close
 *		nothing (the caller did, with sandbox_close_fds(), before it
 *		made fds it cannot name, such as its libuv loop's)
 * @n_keep_fds:	how many
 * @files:	host files seen inside, terminated by a NULL @path; NULL: none
 * @keep_caps:	capabilities kept, as a mask of 1ULL << CAP_*: 0 normally
 * @loop:	a libuv loop made before, or NULL: see sandbox_enter()
 */
struct sandbox_config {
	const int *keep_fds;
	size_t n_keep_fds;
	const struct sandbox_file *files;
	uint64_t keep_caps;
	uv_loop_t *loop;
};

/**
 * sandbox_enter() - all four steps of the top of this file, for good
 * @c:		what to keep
 *
 * Call it once the process holds everything it needs from the host (its
 * loop, the tap, listening sockets that need a privilege) and before it
 * reads anything from the container.  It must be single-threaded: the
 * namespaces and the capabilities are per thread, and the filter is
 * loaded for this thread only.  Every failure is logged; the process is
 * then partly confined and should exit.
 *
 * libuv 1.45 and later give every loop an io_uring to batch epoll_ctl()
 * (UV_USE_IO_URING does not turn that one off), and io_uring operations
 * are out of a seccomp filter's reach: the filter refuses io_uring, and
 * a loop made before it would abort on its next batch.  So @c->loop, if
 * given, is rebuilt under the filter with uv_loop_fork(): a new epoll
 * set, no ring (io_uring_setup() answers ENOSYS, libuv falls back to
 * epoll_ctl()), every watcher re-armed.  A loop made after needs nothing.
 *
 * Return: 0 or -errno
 */
int sandbox_enter(const struct sandbox_config *c);

/**
 * sandbox_close_fds() - close every fd but @keep (step 1)
 * @keep:	the fds to keep, in any order
 * @n:		how many (at most 64)
 *
 * Return: 0 or -errno (close_range(): Linux >= 5.9)
 */
int sandbox_close_fds(const int *keep, size_t n);

/**
 * sandbox_enter_root() - an empty, read-only root (step 2)
 * @files:	host files to see inside, NULL-@path terminated; NULL: none
 *
 * Without CAP_SYS_ADMIN in its user namespace (the usual rootless case:
 * the host's user namespace, as the user), the process first makes a new
 * user namespace that maps its uid and gid onto themselves; that gives
 * it the capabilities to mount there, over nothing of anyone else's.
 * The cwd is the new root afterwards.
 *
 * Return: 0 or -errno
 */
int sandbox_enter_root(const struct sandbox_file *files);

/**
 * sandbox_drop_caps() - keep only @keep of the capabilities (step 3)
 * @keep:	mask of 1ULL << CAP_*
 *
 * Drops them from the bounding set too (needs CAP_SETPCAP, which step 2
 * gives), clears the ambient set and sets no_new_privs.
 *
 * Return: 0 or -errno
 */
int sandbox_drop_caps(uint64_t keep);

/**
 * sandbox_load_filter() - the seccomp allow-list (step 4)
 *
 * Needs no_new_privs (step 3) or CAP_SYS_ADMIN.  Other system call ABIs
 * (i386, x32 on x86-64) kill the process.
 *
 * Return: 0 or -errno
 */
int sandbox_load_filter(void);

/**
 * sandbox_active() - has this process loaded the filter?
 * Return: true once sandbox_load_filter() succeeded
 */
bool sandbox_active(void);

#ifdef NB_TEST_HOOKS
/**
 * struct sandbox_probe - what the test hook tries from inside
 * @file:	a file of the user's (in the home directory) to open
 * @fd:		an fd number the process must not hold (the agent's notify
 *		fd), or -1
 * @pid:	a process to ptrace and take @fd from (the agent), or 0
 */
struct sandbox_probe {
	const char *file;
	int fd;
	pid_t pid;
};

/**
 * sandbox_probe() - try what confinement refuses, log each outcome
 * @p:		the targets
 *
 * Only in -Dtest_hooks builds.  Opens @p->file and /etc/passwd, writes
 * a file, execs /bin/sh, ptraces @p->pid, reads its memory, takes its
 * @p->fd with pidfd_getfd(), signals it, uses @p->fd, makes AF_UNIX,
 * AF_NETLINK and AF_PACKET sockets and a socket pair.  One log line each
 * ("sandbox probe: ...: refused (...)"), then a summary line
 * "sandbox probe: N of M refused" at warn level.
 *
 * Return: how many were not refused (0: all were)
 */
int sandbox_probe(const struct sandbox_probe *p);

/**
 * sandbox_probe_env() - sandbox_probe() on NSBYPASS_TEST_SANDBOX_PROBE
 *
 * The variable holds "file=PATH,fd=N,pid=P" (any of them); unset, nothing
 * is tried.  For the integration tests: the confined process calls this
 * right after sandbox_enter().
 *
 * Return: as sandbox_probe(), 0 when unset, -EINVAL when malformed
 */
int sandbox_probe_env(void);
#endif

#endif /* NB_SANDBOX_H */
