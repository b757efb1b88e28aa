// SPDX-License-Identifier: Apache-2.0
/*
 * target.c - pidfd and /proc helpers for the trapped thread.
 */
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "seccomp-compat.h"
#include "target.h"
#include "util.h"

static int sys_pidfd_open(pid_t pid, unsigned int flags)
{
	return (int)syscall(SYS_pidfd_open, pid, flags);
}

/* Read a small /proc file into @buf, NUL-terminated; "" if that fails
 * (clang 14 takes a failed open()'s -errno for success). */
static int read_small_at(int dirfd, const char *path, char *buf, size_t len)
{
	_cleanup_close_ int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	buf[0] = '\0';
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return 0;
}

static int read_small(const char *path, char *buf, size_t len)
{
	return read_small_at(AT_FDCWD, path, buf, len);
}

/* The value after "@key:" on its own line in @text, or NULL. */
static const char *find_field(const char *text, const char *key)
{
	size_t klen = strlen(key);

	for (const char *p = text; p && *p; p = strchr(p, '\n')) {
		if (*p == '\n')
			p++;
		if (strncmp(p, key, klen) == 0 && p[klen] == ':')
			return p + klen + 1;
	}
	return NULL;
}

pid_t target_tgid(pid_t tid)
{
	char path[64], buf[2048];
	const char *v;
	int r;

	snprintf(path, sizeof(path), "/proc/%d/status", tid);
	r = read_small(path, buf, sizeof(buf));
	if (r < 0)
		return r == -ENOENT ? -ESRCH : r;
	v = find_field(buf, "Tgid");
	if (!v)
		return -EIO;
	return (pid_t)strtol(v, NULL, 10);
}

int target_pidfd_open_exact(pid_t tid, bool *ret_exact)
{
	static bool no_thread_pidfd;
	pid_t tgid;
	int fd;

	*ret_exact = true;
	if (!no_thread_pidfd) {
		fd = sys_pidfd_open(tid, PIDFD_THREAD);
		if (fd >= 0)
			return fd;
		if (errno != EINVAL)
			return -errno;
		/* FIXME: drop when Linux 6.9 is the baseline. */
		no_thread_pidfd = true;
	}
	fd = sys_pidfd_open(tid, 0);
	if (fd >= 0)
		return fd;
	if (errno != EINVAL)
		return -errno;
	tgid = target_tgid(tid);
	if (tgid < 0)
		return tgid;
	fd = sys_pidfd_open(tgid, 0);
	*ret_exact = false;
	return fd >= 0 ? fd : -errno;
}

int target_pidfd_open(pid_t tid)
{
	bool exact;

	return target_pidfd_open_exact(tid, &exact);
}

int target_getfd(int pidfd, int fd)
{
	int r;

	if (fd < 0)
		return -EBADF;
	r = (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0);
	return r >= 0 ? r : -errno;
}

/* The "flags:" of the fdinfo file @name under @dirfd. */
static int fdinfo_flags(int dirfd, const char *name)
{
	char buf[1024];
	const char *v;
	unsigned long flags;
	int r;

	r = read_small_at(dirfd, name, buf, sizeof(buf));
	if (r < 0)
		return r;
	v = find_field(buf, "flags");
	if (!v)
		return -EIO;
	flags = strtoul(v, NULL, 8);
	return (int)(flags & INT_MAX);
}

int target_fd_flags_at(int fdinfo_dir, int fd)
{
	char name[16];

	snprintf(name, sizeof(name), "%d", fd);
	return fdinfo_flags(fdinfo_dir, name);
}

int target_fd_flags(pid_t tid, int fd)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", tid, fd);
	return fdinfo_flags(AT_FDCWD, path);
}

int target_fd_cloexec(pid_t tid, int fd)
{
	int flags = target_fd_flags(tid, fd);

	if (flags < 0)
		return flags;
	return (flags & O_CLOEXEC) ? 1 : 0;
}

/* A hex signal set field of /proc/TID/status; 0 when absent. */
static uint64_t sigset_field(const char *buf, const char *name)
{
	const char *v = find_field(buf, name);

	return v ? strtoull(v, NULL, 16) : 0;
}

int target_caught_signal(pid_t tid)
{
	char path[64], buf[4096];
	uint64_t caught, blocked, thread, shared;
	const char *v;
	long tgid, threads;
	int r;

	snprintf(path, sizeof(path), "/proc/%d/status", tid);
	r = read_small(path, buf, sizeof(buf));
	if (r < 0)
		return r;
	caught = sigset_field(buf, "SigCgt");
	blocked = sigset_field(buf, "SigBlk");
	thread = sigset_field(buf, "SigPnd") & caught & ~blocked;
	if (thread)
		return 1;
	shared = sigset_field(buf, "ShdPnd") & caught & ~blocked;
	if (!shared)
		return 0;
	v = find_field(buf, "Tgid");
	tgid = v ? strtol(v, NULL, 10) : 0;
	v = find_field(buf, "Threads");
	threads = v ? strtol(v, NULL, 10) : 0;
	return tgid == tid || threads == 1;
}
