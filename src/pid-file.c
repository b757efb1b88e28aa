// SPDX-License-Identifier: Apache-2.0
/*
 * pid-file.c - pid files.
 *
 * The path comes from the caller's caller (a BypassSpec's pidFilePath,
 * an --pid-file), so it may name anything: the daemon's own socket, a
 * fifo, a symlink, another bypass's pid file.  So a pid file is opened
 * with O_NOFOLLOW (a symlink is not followed) and O_NONBLOCK (open()
 * waits for no fifo peer and no device), and used only if fstat() says
 * it is a regular file; it is truncated only then, by ftruncate(), never
 * by O_TRUNC.  And it is removed only while it still holds the pid that
 * was written: a second writer's file stays.  Between the read-back and
 * unlink() a writer that rewrites the same inode could still lose its
 * file; one that creates a new file is caught by comparing the inode.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pid-file.h"
#include "util.h"

#define PID_FILE_FLAGS (O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY)

/* Open @path with @flags if it is a regular file; -EEXIST if not. */
static int open_regular(const char *path, int flags, struct stat *ret_st)
{
	_cleanup_close_ int fd = -1;
	struct stat st;

	/* Not even opened: a device's open() may act on its own. */
	if (lstat(path, &st) == 0 && !S_ISREG(st.st_mode))
		return -EEXIST;
	fd = open(path, flags | PID_FILE_FLAGS, 0644);
	if (fd < 0)
		return errno == ELOOP || errno == ENXIO ? -EEXIST : -errno;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EEXIST;
	if (ret_st)
		*ret_st = st;
	return take_fd(&fd);
}

int pid_file_write(const char *path, pid_t pid)
{
	_cleanup_close_ int fd = -1;
	char buf[32];
	int n;

	fd = open_regular(path, O_WRONLY | O_CREAT, NULL);
	if (fd < 0)
		return fd;
	n = snprintf(buf, sizeof(buf), "%d\n", (int)pid);
	if (ftruncate(fd, 0) < 0)
		return -errno;
	if (write(fd, buf, (size_t)n) != n)
		return -EIO;
	return 0;
}

/* Does the pid file at @path hold @pid?  Its stat in @ret_st. */
static bool holds(const char *path, pid_t pid, struct stat *ret_st)
{
	_cleanup_close_ int fd = -1;
	char buf[32], want[32];
	ssize_t n;
	int w;

	fd = open_regular(path, O_RDONLY, ret_st);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	w = snprintf(want, sizeof(want), "%d", (int)pid);
	return strncmp(buf, want, (size_t)w) == 0 &&
	       (buf[w] == '\0' || (buf[w] == '\n' && buf[w + 1] == '\0'));
}

bool pid_file_holds(const char *path, pid_t pid)
{
	return holds(path, pid, NULL);
}

bool pid_file_remove(const char *path, pid_t pid)
{
	struct stat st, now;

	if (!holds(path, pid, &st))
		return false;
	/* Still the file that was read, not one made since.  (holds() fills
	 * st when true; clang 14 takes a failed fstat()'s -errno for success.)
	 * NOLINTNEXTLINE(clang-analyzer-core.*) */
	if (lstat(path, &now) < 0 || now.st_dev != st.st_dev ||
	    now.st_ino != st.st_ino)
		return false;
	return unlink(path) == 0;
}
