// SPDX-License-Identifier: Apache-2.0
/*
 * test-procmem.c - reads of another process's memory, and the pidfd and
 * /proc helpers of target.h, against a real child process.
 *
 * The child maps two pages, fills the first with a known pattern, makes
 * the second PROT_NONE and opens two pipes, then reports the addresses,
 * fd numbers and pipe inodes to the parent and waits for EOF on its
 * control pipe.  The parent is the child's parent with the same uid, so
 * it has the ptrace access process_vm_readv() and pidfd_getfd() need.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "nbtest.h"
#include "procmem.h"
#include "target.h"
#include "util.h"

struct child_report {
	uint64_t buf;	/* readable page */
	uint64_t none;	/* the PROT_NONE page right after it */
	int pipe_fd;	/* a pipe end, not close-on-exec */
	int cloexec_fd; /* a pipe end with O_CLOEXEC */
	ino_t pipe_ino;
	dev_t pipe_dev;
};

struct child {
	pid_t pid;
	int ctl; /* closing it ends the child */
	struct child_report rep;
};

static size_t page_size(void)
{
	return (size_t)sysconf(_SC_PAGESIZE);
}

static uint8_t pattern(size_t i)
{
	return (uint8_t)((i * 7) ^ 0x5a);
}

static __attribute__((noreturn)) void child_main(int rep_fd, int ctl_fd)
{
	struct child_report rep = { 0 };
	int p1[2], p2[2];
	struct stat st;
	size_t ps = page_size();
	uint8_t *m;
	char c;

	m = mmap(NULL, 2 * ps, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		_exit(2);
	for (size_t i = 0; i < ps; i++)
		m[i] = pattern(i);
	if (mprotect(m + ps, ps, PROT_NONE) < 0)
		_exit(2);
	/* Opened after fork(): the parent has no copy of these. */
	if (pipe2(p1, 0) < 0 || pipe2(p2, O_CLOEXEC) < 0)
		_exit(2);
	if (fstat(p1[1], &st) < 0)
		_exit(2);
	rep.buf = (uintptr_t)m;
	rep.none = (uintptr_t)(m + ps);
	rep.pipe_fd = p1[1];
	rep.cloexec_fd = p2[1];
	rep.pipe_ino = st.st_ino;
	rep.pipe_dev = st.st_dev;
	if (write(rep_fd, &rep, sizeof(rep)) != sizeof(rep))
		_exit(2);
	while (read(ctl_fd, &c, 1) > 0)
		;
	_exit(0);
}

static void child_start(struct child *ch)
{
	int rep[2], ctl[2];

	ASSERT_OK(pipe2(rep, O_CLOEXEC));
	ASSERT_OK(pipe2(ctl, O_CLOEXEC));
	ch->pid = fork();
	ASSERT_OK(ch->pid);
	if (ch->pid == 0) {
		close(rep[0]);
		close(ctl[1]);
		child_main(rep[1], ctl[0]);
	}
	close(rep[1]);
	close(ctl[0]);
	ch->ctl = ctl[1];
	ASSERT_EQ(read(rep[0], &ch->rep, sizeof(ch->rep)), sizeof(ch->rep));
	close(rep[0]);
}

/* End and reap the child: afterwards its pid is gone. */
static void child_stop(struct child *ch)
{
	int status;

	close(ch->ctl);
	ASSERT_EQ(waitpid(ch->pid, &status, 0), ch->pid);
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(WEXITSTATUS(status), 0);
}

NBTEST(procmem_read_whole)
{
	size_t ps = page_size();
	uint8_t *buf = malloc(ps);
	struct child ch;

	ASSERT_TRUE(buf != NULL);
	child_start(&ch);
	memset(buf, 0, ps);
	ASSERT_EQ(procmem_read(ch.pid, ch.rep.buf, buf, ps), ps);
	for (size_t i = 0; i < ps; i++)
		if (buf[i] != pattern(i))
			nbtest_fail(__FILE__, __LINE__, "byte %zu: %u != %u", i,
				    buf[i], pattern(i));
	/* A small read from the middle. */
	memset(buf, 0, ps);
	ASSERT_EQ(procmem_read(ch.pid, ch.rep.buf + 100, buf, 3), 3);
	ASSERT_EQ(buf[0], pattern(100));
	ASSERT_EQ(buf[2], pattern(102));
	ASSERT_EQ(buf[3], 0);
	child_stop(&ch);
	free(buf);
}

NBTEST(procmem_read_errors)
{
	size_t ps = page_size();
	uint8_t buf[16];
	struct child ch;

	child_start(&ch);
	ASSERT_EQ(procmem_read(ch.pid, ch.rep.buf, buf, 0), 0);
	ASSERT_EQ(procmem_read(ch.pid, 0, buf, 0), 0);
	ASSERT_EQ(procmem_read(ch.pid, 0, buf, sizeof(buf)), -EFAULT);
	ASSERT_EQ(procmem_read(ch.pid, ch.rep.none, buf, sizeof(buf)), -EFAULT);
	ASSERT_EQ(procmem_read(ch.pid, ch.rep.none + ps - 8, buf, 8), -EFAULT);
	ASSERT_EQ(procmem_read(ch.pid, UINT64_MAX - 4, buf, 16), -EFAULT);
	ASSERT_EQ(procmem_read(ch.pid, UINT64_MAX - 15, buf, 16), -EFAULT);
	/* Kernel (or non-canonical) addresses are never readable. */
	ASSERT_EQ(procmem_read(ch.pid, 1ULL << 63, buf, 8), -EFAULT);
	child_stop(&ch);
}

/* A read that runs into the PROT_NONE page returns what came before. */
NBTEST(procmem_read_partial)
{
	size_t ps = page_size();
	uint8_t buf[16], *big = malloc(3 * ps);
	struct child ch;

	ASSERT_TRUE(big != NULL);
	child_start(&ch);
	memset(buf, 0xee, sizeof(buf));
	ASSERT_EQ(procmem_read(ch.pid, ch.rep.none - 8, buf, 16), 8);
	for (size_t i = 0; i < 8; i++)
		ASSERT_EQ(buf[i], pattern(ps - 8 + i));
	ASSERT_EQ(buf[8], 0xee);

	ASSERT_EQ(procmem_read(ch.pid, ch.rep.none - 1, buf, 2), 1);
	ASSERT_EQ(buf[0], pattern(ps - 1));

	/* Long reads: the fault is far from the start. */
	ASSERT_EQ(procmem_read(ch.pid, ch.rep.buf, big, 2 * ps), ps);
	ASSERT_EQ(procmem_read(ch.pid, ch.rep.none - 8, big, 3 * ps), 8);
	ASSERT_EQ(procmem_read(ch.pid, ch.rep.buf + 1, big, 3 * ps), ps - 1);
	ASSERT_EQ(big[0], pattern(1));
	child_stop(&ch);
	free(big);
}

NBTEST(procmem_read_dead)
{
	uint8_t buf[16];
	struct child ch;

	child_start(&ch);
	child_stop(&ch);
	ASSERT_EQ(procmem_read(ch.pid, ch.rep.buf, buf, sizeof(buf)), -ESRCH);
}

NBTEST(target_pidfd_open_child)
{
	struct child ch;
	int pidfd;

	child_start(&ch);
	pidfd = target_pidfd_open(ch.pid);
	ASSERT_OK(pidfd);
	ASSERT_EQ(fcntl(pidfd, F_GETFD), FD_CLOEXEC);
	/* It is a pidfd for that process: signal 0 goes through. */
	ASSERT_OK(syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0));
	child_stop(&ch);
	/* Reaped: the pidfd stays, the process is gone. */
	ASSERT_EQ(syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0), -1);
	ASSERT_EQ(errno, ESRCH);
	close(pidfd);

	ASSERT_EQ(target_pidfd_open(ch.pid), -ESRCH);
	ASSERT_EQ(target_tgid(ch.pid), -ESRCH);
}

static struct {
	int go[2];    /* the thread waits for EOF here */
	int ready[2]; /* and reports its tid here */
} thr;

static void *thread_main(void *arg)
{
	pid_t tid = gettid();
	char c;

	if (write(thr.ready[1], &tid, sizeof(tid)) != sizeof(tid))
		return NULL;
	while (read(thr.go[0], &c, 1) > 0)
		;
	return NULL;
}

NBTEST(target_thread)
{
	int pidfd, copy, probe[2];
	pthread_t th;
	pid_t tid = 0, tgid, tgid_self;
	struct stat a, b;

	ASSERT_OK(pipe2(thr.go, O_CLOEXEC));
	ASSERT_OK(pipe2(thr.ready, O_CLOEXEC));
	ASSERT_OK(pipe2(probe, O_CLOEXEC));
	ASSERT_EQ(pthread_create(&th, NULL, thread_main, NULL), 0);
	ASSERT_EQ(read(thr.ready[0], &tid, sizeof(tid)), sizeof(tid));

	/* Collect everything first: no assertion while the thread runs. */
	pidfd = target_pidfd_open(tid);
	copy = pidfd >= 0 ? target_getfd(pidfd, probe[0]) : -1;
	tgid = target_tgid(tid);
	tgid_self = target_tgid(getpid());

	close(thr.go[1]);
	ASSERT_EQ(pthread_join(th, NULL), 0);
	close(thr.go[0]);
	close(thr.ready[0]);
	close(thr.ready[1]);

	ASSERT_TRUE(tid != getpid());
	ASSERT_OK(pidfd);
	ASSERT_OK(copy);
	ASSERT_OK(fstat(copy, &a));
	ASSERT_OK(fstat(probe[0], &b));
	ASSERT_EQ(a.st_ino, b.st_ino);
	ASSERT_EQ(tgid, getpid());
	ASSERT_EQ(tgid_self, getpid());
	close(copy);
	close(pidfd);
	close(probe[0]);
	close(probe[1]);
}

NBTEST(target_getfd_child)
{
	struct child ch;
	struct stat st;
	int pidfd, copy;

	child_start(&ch);
	pidfd = target_pidfd_open(ch.pid);
	ASSERT_OK(pidfd);

	copy = target_getfd(pidfd, ch.rep.pipe_fd);
	ASSERT_OK(copy);
	ASSERT_EQ(fcntl(copy, F_GETFD), FD_CLOEXEC);
	ASSERT_OK(fstat(copy, &st));
	ASSERT_TRUE(S_ISFIFO(st.st_mode));
	ASSERT_EQ(st.st_ino, ch.rep.pipe_ino);
	ASSERT_EQ(st.st_dev, ch.rep.pipe_dev);
	close(copy);

	ASSERT_EQ(target_getfd(pidfd, 9999), -EBADF);
	ASSERT_EQ(target_getfd(pidfd, -1), -EBADF);
	ASSERT_EQ(target_getfd(pidfd, INT_MIN), -EBADF);

	/* The child's own close-on-exec flags, which a copy cannot show. */
	ASSERT_EQ(target_fd_cloexec(ch.pid, ch.rep.pipe_fd), 0);
	ASSERT_EQ(target_fd_cloexec(ch.pid, ch.rep.cloexec_fd), 1);
	ASSERT_EQ(target_tgid(ch.pid), ch.pid);
	child_stop(&ch);

	/* The process is gone: its fds are too. */
	ASSERT_TRUE(target_getfd(pidfd, ch.rep.pipe_fd) < 0);
	ASSERT_TRUE(target_fd_cloexec(ch.pid, ch.rep.pipe_fd) < 0);
	close(pidfd);
}

NBTEST(target_fd_cloexec_self)
{
	int with = open("/dev/null", O_RDONLY | O_CLOEXEC);
	int without = open("/dev/null", O_RDONLY);

	ASSERT_OK(with);
	ASSERT_OK(without);
	ASSERT_EQ(target_fd_cloexec(getpid(), with), 1);
	ASSERT_EQ(target_fd_cloexec(getpid(), without), 0);
	/* The flag is per fd, so it follows fcntl(). */
	ASSERT_OK(fcntl(without, F_SETFD, FD_CLOEXEC));
	ASSERT_EQ(target_fd_cloexec(getpid(), without), 1);
	ASSERT_OK(fcntl(with, F_SETFD, 0));
	ASSERT_EQ(target_fd_cloexec(getpid(), with), 0);
	close(with);
	close(without);
	ASSERT_TRUE(target_fd_cloexec(getpid(), without) < 0);
	ASSERT_TRUE(target_fd_cloexec(getpid(), 9999) < 0);
}

static const struct nbtest tests[] = {
	NBTEST_ENTRY(procmem_read_whole),
	NBTEST_ENTRY(procmem_read_errors),
	NBTEST_ENTRY(procmem_read_partial),
	NBTEST_ENTRY(procmem_read_dead),
	NBTEST_ENTRY(target_pidfd_open_child),
	NBTEST_ENTRY(target_thread),
	NBTEST_ENTRY(target_getfd_child),
	NBTEST_ENTRY(target_fd_cloexec_self),
};

int main(void)
{
	return nbtest_run(tests, ARRAY_SIZE(tests));
}
