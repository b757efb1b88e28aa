// SPDX-License-Identifier: Apache-2.0
/*
 * test-fdpass.c - SCM_RIGHTS send and receive over a SOCK_SEQPACKET pair.
 *
 * The receiving side talks to a container runtime it does not trust, so
 * a message with the wrong number of fds must be refused without leaking
 * the fds that did arrive: the error cases count the entries of
 * /proc/self/fd before and after.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fdpass.h"
#include "nbtest.h"
#include "util.h"

static void pair(int sv[2])
{
	ASSERT_OK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv));
}

/* Do @a and @b refer to the same open file? */
static bool same_file(int a, int b)
{
	struct stat sa, sb;

	ASSERT_OK(fstat(a, &sa));
	ASSERT_OK(fstat(b, &sb));
	return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* Send @n fds with a raw sendmsg(), to build messages fdpass_send() won't. */
static void send_raw(int sock, const int *fds, size_t n)
{
	char cbuf[CMSG_SPACE(sizeof(int) * 16)];
	char byte = 'R';
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = cbuf,
		.msg_controllen = CMSG_SPACE(sizeof(int) * n),
	};
	struct cmsghdr *cm;

	ASSERT_TRUE(n <= 16);
	memset(cbuf, 0, sizeof(cbuf));
	cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int) * n);
	memcpy(CMSG_DATA(cm), fds, sizeof(int) * n);
	ASSERT_EQ(sendmsg(sock, &msg, 0), 1);
}

NBTEST(round_trip_one)
{
	int sv[2], fd, got = -1;

	pair(sv);
	fd = open("/dev/null", O_RDONLY); /* no O_CLOEXEC on purpose */
	ASSERT_OK(fd);
	ASSERT_EQ(fdpass_send(sv[0], &fd, 1), 0);
	ASSERT_EQ(fdpass_recv(sv[1], &got, 1), 0);
	ASSERT_OK(got);
	ASSERT_TRUE(got != fd);
	ASSERT_TRUE(same_file(fd, got));
	ASSERT_EQ(fcntl(got, F_GETFD), FD_CLOEXEC);
	close(got);
	close(fd);
	close(sv[0]);
	close(sv[1]);
}

NBTEST(round_trip_two)
{
	int sv[2], p[2], got[2] = { -1, -1 };
	char c = 0;

	pair(sv);
	ASSERT_OK(pipe(p));
	ASSERT_EQ(fdpass_send(sv[0], p, 2), 0);
	ASSERT_EQ(fdpass_recv(sv[1], got, 2), 0);
	ASSERT_EQ(fcntl(got[0], F_GETFD), FD_CLOEXEC);
	ASSERT_EQ(fcntl(got[1], F_GETFD), FD_CLOEXEC);
	/* In order: the read end first. */
	ASSERT_EQ(fcntl(got[0], F_GETFL) & O_ACCMODE, O_RDONLY);
	ASSERT_EQ(fcntl(got[1], F_GETFL) & O_ACCMODE, O_WRONLY);
	ASSERT_EQ(write(got[1], "x", 1), 1);
	ASSERT_EQ(read(p[0], &c, 1), 1);
	ASSERT_EQ(c, 'x');
	for (int i = 0; i < 2; i++) {
		close(got[i]);
		close(p[i]);
	}
	close(sv[0]);
	close(sv[1]);
}

NBTEST(round_trip_max)
{
	int sv[2], fds[FDPASS_MAX], got[FDPASS_MAX];

	pair(sv);
	for (int i = 0; i < FDPASS_MAX; i++) {
		fds[i] = open(i % 2 ? "/dev/null" : "/dev/zero", O_RDONLY);
		ASSERT_OK(fds[i]);
	}
	ASSERT_EQ(fdpass_send(sv[0], fds, FDPASS_MAX), 0);
	ASSERT_EQ(fdpass_recv(sv[1], got, FDPASS_MAX), 0);
	for (int i = 0; i < FDPASS_MAX; i++) {
		ASSERT_TRUE(same_file(fds[i], got[i]));
		close(got[i]);
		close(fds[i]);
	}
	close(sv[0]);
	close(sv[1]);
}

NBTEST(wrong_count)
{
	int sv[2], fds[FDPASS_MAX + 1], got[FDPASS_MAX], before, fd = -1;

	pair(sv);
	for (int i = 0; i < FDPASS_MAX + 1; i++) {
		fds[i] = open("/dev/null", O_RDONLY | O_CLOEXEC);
		ASSERT_OK(fds[i]);
	}
	before = nbtest_count_fds();

	ASSERT_EQ(fdpass_send(sv[0], fds, 3), 0);
	ASSERT_EQ(fdpass_recv(sv[1], got, 2), -EBADMSG);
	ASSERT_EQ(nbtest_count_fds(), before);

	ASSERT_EQ(fdpass_send(sv[0], fds, 1), 0);
	ASSERT_EQ(fdpass_recv(sv[1], got, 2), -EBADMSG);
	ASSERT_EQ(nbtest_count_fds(), before);

	ASSERT_EQ(fdpass_send(sv[0], fds, FDPASS_MAX), 0);
	ASSERT_EQ(fdpass_recv(sv[1], got, 1), -EBADMSG);
	ASSERT_EQ(nbtest_count_fds(), before);

	/* More than fit in the receive buffer: truncated, so refused. */
	send_raw(sv[0], fds, FDPASS_MAX + 1);
	ASSERT_EQ(fdpass_recv(sv[1], got, FDPASS_MAX), -EBADMSG);
	ASSERT_EQ(nbtest_count_fds(), before);

	/* A refused message does not upset the next one. */
	ASSERT_EQ(fdpass_send(sv[0], fds, 1), 0);
	ASSERT_EQ(fdpass_recv(sv[1], &fd, 1), 0);
	ASSERT_TRUE(same_file(fd, fds[0]));
	ASSERT_EQ(nbtest_count_fds(), before + 1);
	close(fd);
	for (int i = 0; i < FDPASS_MAX + 1; i++)
		close(fds[i]);
	close(sv[0]);
	close(sv[1]);
}

NBTEST(no_fds)
{
	int sv[2], got = -1, before;

	pair(sv);
	before = nbtest_count_fds();
	ASSERT_EQ(send(sv[0], "x", 1, 0), 1);
	ASSERT_EQ(fdpass_recv(sv[1], &got, 1), -EBADMSG);
	ASSERT_EQ(nbtest_count_fds(), before);
	close(sv[0]);
	close(sv[1]);
}

NBTEST(eof)
{
	int sv[2], got = -1, fd, before, r, sigpipe;
	sigset_t pipe_set, old_set, pending;

	pair(sv);
	close(sv[0]);
	before = nbtest_count_fds();
	ASSERT_EQ(fdpass_recv(sv[1], &got, 1), -EPIPE);
	ASSERT_EQ(nbtest_count_fds(), before);
	close(sv[1]);

	/* Sending to a closed peer fails without SIGPIPE.  The kernel only
	 * raises it on stream sockets, hence the stream pair.  Blocked, a
	 * SIGPIPE stays pending even if the test runner ignores it. */
	ASSERT_OK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	close(sv[0]);
	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	ASSERT_OK(fd);
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	ASSERT_OK(sigprocmask(SIG_BLOCK, &pipe_set, &old_set));
	r = fdpass_send(sv[1], &fd, 1);
	ASSERT_OK(sigpending(&pending));
	sigpipe = sigismember(&pending, SIGPIPE);
	if (sigpipe)
		sigtimedwait(&pipe_set, NULL, &(struct timespec){ 0 });
	ASSERT_OK(sigprocmask(SIG_SETMASK, &old_set, NULL));
	ASSERT_EQ(r, -EPIPE);
	ASSERT_EQ(sigpipe, 0);
	close(fd);
	close(sv[1]);
}

NBTEST(bad_n)
{
	int sv[2], fds[FDPASS_MAX + 1], got[FDPASS_MAX + 1], before, null;

	pair(sv);
	null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	ASSERT_OK(null);
	for (int i = 0; i < FDPASS_MAX + 1; i++)
		fds[i] = null;
	before = nbtest_count_fds();
	ASSERT_EQ(fdpass_send(sv[0], fds, 0), -EINVAL);
	ASSERT_EQ(fdpass_send(sv[0], fds, FDPASS_MAX + 1), -EINVAL);

	/* A refused receive consumes nothing. */
	ASSERT_EQ(fdpass_send(sv[0], fds, 1), 0);
	ASSERT_EQ(fdpass_recv(sv[1], got, 0), -EINVAL);
	ASSERT_EQ(fdpass_recv(sv[1], got, FDPASS_MAX + 1), -EINVAL);
	ASSERT_EQ(fdpass_recv(sv[1], got, 1), 0);
	ASSERT_TRUE(same_file(got[0], null));
	close(got[0]);
	ASSERT_EQ(nbtest_count_fds(), before);

	/* Nothing queued on a non-blocking socket. */
	ASSERT_EQ(fcntl(sv[1], F_SETFL, O_NONBLOCK), 0);
	ASSERT_EQ(fdpass_recv(sv[1], got, 1), -EAGAIN);
	ASSERT_EQ(fdpass_recv(-1, got, 1), -EBADF);
	close(null);
	close(sv[0]);
	close(sv[1]);
}

static const struct nbtest tests[] = {
	NBTEST_ENTRY(round_trip_one), NBTEST_ENTRY(round_trip_two),
	NBTEST_ENTRY(round_trip_max), NBTEST_ENTRY(wrong_count),
	NBTEST_ENTRY(no_fds),	      NBTEST_ENTRY(eof),
	NBTEST_ENTRY(bad_n),
};

int main(void)
{
	return nbtest_run(tests, ARRAY_SIZE(tests));
}
