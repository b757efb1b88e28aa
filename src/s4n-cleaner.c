// SPDX-License-Identifier: Apache-2.0
/*
 * s4n-cleaner.c - remove the API socket once the slirp process is gone
 * (see s4n-cleaner.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "s4n-cleaner.h"
#include "sandbox.h"
#include "util.h"

#define CLEANER_WAIT_MS 1000

/* The cleaner itself: wait for EOF on @fd, remove @name in the directory
 * @dir if it is still the socket @st describes.  By @dir, opened before
 * the fork, not by the path: a directory of the path swapped in between
 * (a symlink elsewhere) cannot turn the check and the unlink onto
 * another file. */
static void __attribute__((noreturn))
cleaner(int fd, int dir, const char *name, const struct stat *st)
{
	static const int ignored[] = { SIGINT, SIGTERM, SIGHUP, SIGPIPE };
	const int keep[] = { STDERR_FILENO, fd, dir };
	struct stat now;
	char c;
	ssize_t n;

	/* Ended by the slirp process's end only: a signal to the process
	 * group (a terminal's Ctrl-C) must not leave the socket behind. */
	for (size_t i = 0; i < ARRAY_SIZE(ignored); i++)
		signal(ignored[i], SIG_IGN);
	prctl(PR_SET_NAME, "s4n-cleaner", 0, 0, 0);
	if (sandbox_close_fds(keep, ARRAY_SIZE(keep)) < 0)
		_exit(1);
	do {
		n = read(fd, &c, 1);
	} while (n > 0 || (n < 0 && errno == EINTR));
	/* Not the file we bound (replaced since): not ours to remove. */
	if (fstatat(dir, name, &now, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISSOCK(now.st_mode) && now.st_dev == st->st_dev &&
	    now.st_ino == st->st_ino && unlinkat(dir, name, 0) < 0)
		log_debug("api socket: cannot remove %s: %s", name,
			  strerror(errno));
	_exit(0);
}

/* Open the directory of @path (O_PATH); *@name: its last component. */
static int open_dir(const char *path, const char **name)
{
	const char *slash = strrchr(path, '/');
	char dir[PATH_MAX];

	if (!slash) {
		*name = path;
		return open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	}
	*name = slash + 1;
	if ((size_t)(slash - path) >= sizeof(dir)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	/* "/x": the root; "a//x" is "a/" as good as "a". */
	memcpy(dir, path, (size_t)(slash - path));
	dir[slash - path] = '\0';
	return open(slash == path ? "/" : dir,
		    O_PATH | O_DIRECTORY | O_CLOEXEC);
}

int s4n_cleaner_start(const char *path)
{
	_cleanup_close_ int dir = -1;
	const char *name;
	struct stat st;
	int sv[2];
	pid_t pid;

	dir = open_dir(path, &name);
	if (dir < 0)
		return log_errno(-errno, "api socket %s: its directory", path);
	if (fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return log_errno(-errno, "api socket %s", path);
	if (!S_ISSOCK(st.st_mode))
		return log_errno(-ENOTSOCK, "api socket %s", path);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return log_errno(-errno, "socketpair");
	pid = fork();
	if (pid < 0) {
		int r = -errno;

		close(sv[0]);
		close(sv[1]);
		return log_errno(r, "cannot fork the API socket's cleaner");
	}
	if (pid == 0)
		cleaner(sv[1], dir, name, &st);
	close(sv[1]);
	return sv[0];
}

void s4n_cleaner_finish(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char c;

	if (fd < 0)
		return;
	/* EOF for the cleaner; its exit is EOF for us. */
	shutdown(fd, SHUT_WR);
	while (poll(&p, 1, CLEANER_WAIT_MS) == 1 && read(fd, &c, 1) > 0)
		;
	close(fd);
}
