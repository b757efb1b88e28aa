// SPDX-License-Identifier: Apache-2.0
/*
 * test-s4n-cleaner.c - the API socket's cleaner (s4n-cleaner.h) removes
 * the socket it was started on, in the directory it was bound in, and
 * nothing else: not a file that took the socket's place, and not what
 * the path names once a directory on it was swapped (the attack: replace
 * a directory of the path, between the cleaner's check and its unlink,
 * by one where another file of that name lives).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "nbtest.h"
#include "s4n-cleaner.h"
#include "util.h"

static char tmpdir[] = "/tmp/test-s4n-cleaner-XXXXXX";

/* A unix socket bound at @path; the fd stays open (leaked to the end). */
static void bind_at(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	ASSERT_TRUE(fd >= 0);
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	ASSERT_EQ(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
}

static bool exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

static void dir_path(char *buf, size_t size, const char *name)
{
	snprintf(buf, size, "%s/%s", tmpdir, name);
}

/* A directory @name with a socket api.sock in it; @sock: its path. */
static void socket_in_dir(const char *name, char *sock, size_t size)
{
	char d[96];

	dir_path(d, sizeof(d), name);
	ASSERT_EQ(mkdir(d, 0700), 0);
	snprintf(sock, size, "%s/api.sock", d);
	bind_at(sock);
}

NBTEST(removes_its_socket)
{
	char sock[128];

	socket_in_dir("a", sock, sizeof(sock));
	s4n_cleaner_finish(s4n_cleaner_start(sock));
	ASSERT_TRUE(!exists(sock));
}

NBTEST(leaves_a_replacement)
{
	char sock[128];

	socket_in_dir("b", sock, sizeof(sock));
	int fd = s4n_cleaner_start(sock);

	ASSERT_TRUE(fd >= 0);
	ASSERT_EQ(unlink(sock), 0);
	bind_at(sock); /* another socket, same name */
	s4n_cleaner_finish(fd);
	ASSERT_TRUE(exists(sock));
}

/*
 * The directory is moved away and the path now leads, through a symlink,
 * to another directory holding a file of the same name.  The cleaner
 * works in the directory it was started in: it removes its own socket
 * (moved along) and not the other file.  Walking the path again, it
 * would find the other file: its device and inode check keeps that one,
 * but its own socket is left behind, and a walk of the path between the
 * check and the unlink is the race that check cannot close.
 */
NBTEST(works_in_its_directory)
{
	char d[96], moved[96], other[96], sock[128], moved_sock[128],
		victim[128];

	dir_path(d, sizeof(d), "c");
	dir_path(moved, sizeof(moved), "c.moved");
	dir_path(other, sizeof(other), "victim");
	ASSERT_EQ(mkdir(d, 0700), 0);
	ASSERT_EQ(mkdir(other, 0700), 0);
	snprintf(sock, sizeof(sock), "%s/api.sock", d);
	snprintf(moved_sock, sizeof(moved_sock), "%s/api.sock", moved);
	snprintf(victim, sizeof(victim), "%s/api.sock", other);
	bind_at(sock);
	bind_at(victim);
	int fd = s4n_cleaner_start(sock);

	ASSERT_TRUE(fd >= 0);
	ASSERT_EQ(rename(d, moved), 0);
	ASSERT_EQ(symlink(other, d), 0);
	s4n_cleaner_finish(fd);
	ASSERT_TRUE(exists(victim));
	ASSERT_TRUE(!exists(moved_sock));
	unlink(victim);
	unlink(d);
}

static void cleanup(void)
{
	char cmd[96];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "# cannot remove %s\n", tmpdir);
}

int main(void)
{
	static const struct nbtest tests[] = {
		NBTEST_ENTRY(removes_its_socket),
		NBTEST_ENTRY(leaves_a_replacement),
		NBTEST_ENTRY(works_in_its_directory),
	};
	int r;

	if (!mkdtemp(tmpdir))
		return 1;
	r = nbtest_run(tests, ARRAY_SIZE(tests));
	cleanup();
	return r;
}
