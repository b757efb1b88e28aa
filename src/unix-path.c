// SPDX-License-Identifier: Apache-2.0
/*
 * unix-path.c - see unix-path.h.
 */
#include <errno.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unix-path.h"
#include "util.h"

int unix_remove_stale(const char *path, const struct sockaddr_un *sun)
{
	_cleanup_close_ int probe = -1;
	struct stat st;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode))
		return -EEXIST;
	probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (probe < 0)
		return -errno;
	if (connect(probe, (const struct sockaddr *)sun, sizeof(*sun)) == 0 ||
	    errno != ECONNREFUSED)
		return -EADDRINUSE;
	return unlink(path) < 0 ? -errno : 0;
}

int unix_bind_private(int fd, const struct sockaddr_un *sun)
{
	mode_t old;
	int r;

	for (int tries = 0; tries < 2; tries++) {
		old = umask(0177); /* born 0600: no window for others */
		r = bind(fd, (const struct sockaddr *)sun, sizeof(*sun));
		umask(old);
		if (r == 0)
			return chmod(sun->sun_path, 0600) < 0 ? -errno : 0;
		if (errno != EADDRINUSE || tries)
			return -errno;
		r = unix_remove_stale(sun->sun_path, sun);
		if (r < 0)
			return r;
	}
	return -EADDRINUSE;
}
