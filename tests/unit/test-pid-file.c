// SPDX-License-Identifier: Apache-2.0
/*
 * test-pid-file.c - pid files on what a pid-file path can name: nothing,
 * a regular file, a file holding another pid, a socket, a fifo with no
 * reader (an open() that would block: the test has an alarm), a symlink.
 * Only a regular file is ever written, and only a file that holds the
 * pid is ever removed.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "nbtest.h"
#include "pid-file.h"
#include "util.h"

static char dir[] = "/tmp/nb-pid-file.XXXXXX";
static char path[128];

static void fresh_path(const char *name)
{
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	unlink(path);
}

static void put(const char *p, const char *text)
{
	_cleanup_close_ int fd = open(p,
				      O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
				      0644);

	ASSERT_TRUE(fd >= 0);
	ASSERT_EQ(write(fd, text, strlen(text)), (ssize_t)strlen(text));
}

/* What @p holds, up to 63 bytes; "" if it cannot be read. */
static const char *get(const char *p)
{
	static char buf[64];
	_cleanup_close_ int fd = open(p, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	ssize_t n = fd < 0 ? 0 : read(fd, buf, sizeof(buf) - 1);

	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

static mode_t type_of(const char *p)
{
	struct stat st;

	return lstat(p, &st) == 0 ? st.st_mode & S_IFMT : 0;
}

NBTEST(write_new_and_remove)
{
	struct stat st;

	fresh_path("new.pid");
	ASSERT_OK(pid_file_write(path, 1234));
	ASSERT_STREQ(get(path), "1234\n");
	ASSERT_EQ(stat(path, &st), 0);
	ASSERT_EQ(st.st_mode & 0777, 0644);
	ASSERT_TRUE(pid_file_holds(path, 1234));
	ASSERT_TRUE(pid_file_remove(path, 1234));
	ASSERT_EQ(type_of(path), 0);
	ASSERT_TRUE(!pid_file_remove(path, 1234));
}

NBTEST(rewrites_a_longer_file)
{
	fresh_path("old.pid");
	put(path, "99999999\nold text\n");
	ASSERT_OK(pid_file_write(path, 77));
	ASSERT_STREQ(get(path), "77\n");
}

/* Two writers of one path: each leaves the other's file alone. */
NBTEST(removes_only_its_own_pid)
{
	fresh_path("shared.pid");
	ASSERT_OK(pid_file_write(path, 100));
	ASSERT_OK(pid_file_write(path, 200));
	ASSERT_TRUE(!pid_file_remove(path, 100));
	ASSERT_STREQ(get(path), "200\n");
	ASSERT_TRUE(pid_file_remove(path, 200));
}

NBTEST(holds_exactly)
{
	fresh_path("exact.pid");
	put(path, "123");
	ASSERT_TRUE(pid_file_holds(path, 123));
	put(path, "123abc");
	ASSERT_TRUE(!pid_file_holds(path, 123));
	put(path, "1234\n");
	ASSERT_TRUE(!pid_file_holds(path, 123));
	put(path, "123\n\n");
	ASSERT_TRUE(!pid_file_holds(path, 123));
	put(path, "");
	ASSERT_TRUE(!pid_file_holds(path, 123));
	ASSERT_TRUE(!pid_file_remove(path, 123));
	ASSERT_EQ(type_of(path), S_IFREG);
}

NBTEST(leaves_a_socket_alone)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	fresh_path("api.sock");
	ASSERT_TRUE(fd >= 0);
	memcpy(sun.sun_path, path, strlen(path) + 1);
	ASSERT_EQ(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	ASSERT_EQ(listen(fd, 1), 0);
	ASSERT_EQ(pid_file_write(path, getpid()), -EEXIST);
	ASSERT_TRUE(!pid_file_holds(path, getpid()));
	ASSERT_TRUE(!pid_file_remove(path, getpid()));
	ASSERT_EQ(type_of(path), S_IFSOCK);
}

/* O_WRONLY (| O_TRUNC) on a fifo without a reader blocks for ever. */
NBTEST(leaves_a_fifo_alone_without_blocking)
{
	fresh_path("fifo");
	ASSERT_EQ(mkfifo(path, 0600), 0);
	alarm(10);
	ASSERT_EQ(pid_file_write(path, 42), -EEXIST);
	ASSERT_TRUE(!pid_file_remove(path, 42));
	alarm(0);
	ASSERT_EQ(type_of(path), S_IFIFO);
}

NBTEST(follows_no_symlink)
{
	char target[160];

	snprintf(target, sizeof(target), "%s/target", dir);
	put(target, "5\n");
	fresh_path("link.pid");
	ASSERT_EQ(symlink(target, path), 0);
	ASSERT_EQ(pid_file_write(path, 6), -EEXIST);
	ASSERT_STREQ(get(target), "5\n");
	ASSERT_TRUE(!pid_file_remove(path, 5));
	ASSERT_EQ(type_of(path), S_IFLNK);
	unlink(target);
	/* A dangling one: nothing is created where it points. */
	ASSERT_EQ(pid_file_write(path, 6), -EEXIST);
	ASSERT_EQ(type_of(target), 0);
}

NBTEST(directory_missing)
{
	char p[160];

	snprintf(p, sizeof(p), "%s/no/such.pid", dir);
	ASSERT_EQ(pid_file_write(p, 1), -ENOENT);
	ASSERT_TRUE(!pid_file_remove(p, 1));
}

NBTEST(no_fd_leaks)
{
	int before = nbtest_count_fds();

	fresh_path("leak.pid");
	for (int i = 0; i < 10; i++) {
		ASSERT_OK(pid_file_write(path, 1000 + i));
		ASSERT_TRUE(!pid_file_remove(path, 1));
		ASSERT_TRUE(pid_file_remove(path, 1000 + i));
	}
	ASSERT_EQ(nbtest_count_fds(), before);
}

static const struct nbtest tests[] = {
	NBTEST_ENTRY(write_new_and_remove),
	NBTEST_ENTRY(rewrites_a_longer_file),
	NBTEST_ENTRY(removes_only_its_own_pid),
	NBTEST_ENTRY(holds_exactly),
	NBTEST_ENTRY(leaves_a_socket_alone),
	NBTEST_ENTRY(leaves_a_fifo_alone_without_blocking),
	NBTEST_ENTRY(follows_no_symlink),
	NBTEST_ENTRY(directory_missing),
	NBTEST_ENTRY(no_fd_leaks),
};

int main(void)
{
	char cmd[64];
	int r;

	umask(022);
	if (!mkdtemp(dir))
		return 1;
	r = nbtest_run(tests, ARRAY_SIZE(tests));
	snprintf(cmd, sizeof(cmd), "rm -rf -- '%s'", dir);
	if (system(cmd) != 0 && r == 0)
		r = 1;
	return r;
}
