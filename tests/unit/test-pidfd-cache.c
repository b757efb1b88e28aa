// SPDX-License-Identifier: Apache-2.0
/*
 * test-pidfd-cache.c - the agent's pidfd cache, on real child processes.
 *
 * What makes the cache safe is a kernel property: a pidfd of a thread
 * that is gone fails pidfd_getfd() with ESRCH, so a stale entry is never
 * mistaken for a live thread of the same id.  The tests check that
 * property, hits and misses, LRU eviction, and that pruning closes the
 * pidfds of exited children and nothing else.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "nbtest.h"
#include "pidfd-cache.h"
#include "target.h"
#include "util.h"

/* The fd numbers spawn() gives the child, with known flags. */
#define FD_PLAIN 60
#define FD_CLOEXEC_NONBLOCK 61

/* A child that sleeps until killed. */
static pid_t spawn(void)
{
	pid_t pid = fork();

	ASSERT_TRUE(pid >= 0);
	if (pid == 0) {
		int p[2];

		if (pipe(p) == 0) {
			dup2(p[0], FD_PLAIN);
			dup3(p[1], FD_CLOEXEC_NONBLOCK, O_CLOEXEC);
			fcntl(FD_CLOEXEC_NONBLOCK, F_SETFL, O_NONBLOCK);
		}
		pause();
		_exit(0);
	}
	return pid;
}

static void reap(pid_t pid)
{
	int status;

	kill(pid, SIGKILL);
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
}

NBTEST(hit_and_miss)
{
	struct pidfd_cache c;
	pid_t pid = spawn();
	int fd, fd2, fresh;

	pidfd_cache_init(&c);
	fd = pidfd_cache_get(&c, pid, &fresh);
	ASSERT_TRUE(fd >= 0);
	ASSERT_EQ(fresh, 1);
	fd2 = pidfd_cache_get(&c, pid, &fresh);
	ASSERT_EQ(fd2, fd);
	ASSERT_EQ(fresh, 0);
	/* The cached pidfd really names the child: it can copy its stdin. */
	fd2 = target_getfd(fd, 0);
	ASSERT_TRUE(fd2 >= 0);
	close(fd2);
	reap(pid);
	pidfd_cache_clear(&c);
}

NBTEST(stale_entry_gets_esrch)
{
	struct pidfd_cache c;
	pid_t pid = spawn();
	int fd, fresh;

	pidfd_cache_init(&c);
	fd = pidfd_cache_get(&c, pid, &fresh);
	ASSERT_TRUE(fd >= 0);
	reap(pid);
	/* The id is free for reuse now; the pidfd must not follow it. */
	ASSERT_EQ(target_getfd(fd, 0), -ESRCH);
	pidfd_cache_drop(&c, pid);
	ASSERT_EQ(pidfd_cache_get(&c, pid, &fresh), -ESRCH);
	pidfd_cache_clear(&c);
}

/* The fdinfo directory of a cached thread reads the flags the path
 * does; an uncached thread has none; a dropped entry's is closed. */
NBTEST(fdinfo_dir_of_a_cached_thread)
{
	struct pidfd_cache c;
	pid_t pid = spawn(), other = spawn();
	int dir, fresh, f;

	pidfd_cache_init(&c);
	ASSERT_EQ(pidfd_cache_fdinfo_dir(&c, pid), -ENOENT);
	ASSERT_TRUE(pidfd_cache_get(&c, pid, &fresh) >= 0);
	dir = pidfd_cache_fdinfo_dir(&c, pid);
	ASSERT_TRUE(dir >= 0);
	ASSERT_EQ(pidfd_cache_fdinfo_dir(&c, pid), dir); /* kept */
	ASSERT_EQ(pidfd_cache_fdinfo_dir(&c, other), -ENOENT);
	/* Wait until the child has made its fds. */
	for (int i = 0; i < 1000; i++) {
		f = target_fd_flags(pid, FD_CLOEXEC_NONBLOCK);
		if (f >= 0 && (f & O_NONBLOCK))
			break;
		usleep(2000);
	}
	f = target_fd_flags_at(dir, FD_CLOEXEC_NONBLOCK);
	ASSERT_EQ(f, target_fd_flags(pid, FD_CLOEXEC_NONBLOCK));
	ASSERT_TRUE(f >= 0 && (f & O_CLOEXEC) && (f & O_NONBLOCK));
	f = target_fd_flags_at(dir, FD_PLAIN);
	ASSERT_TRUE(f >= 0 && !(f & O_CLOEXEC) && !(f & O_NONBLOCK));
	ASSERT_EQ(target_fd_flags_at(dir, 1000), -ENOENT);
	pidfd_cache_drop(&c, pid);
	ASSERT_TRUE(fcntl(dir, F_GETFD) < 0 && errno == EBADF);
	ASSERT_EQ(pidfd_cache_fdinfo_dir(&c, pid), -ENOENT);
	reap(pid);
	reap(other);
	pidfd_cache_clear(&c);
}

NBTEST(prune_closes_exited_only)
{
	struct pidfd_cache c;
	pid_t live = spawn(), dead = spawn();
	int before = nbtest_count_fds(), fresh, status;

	pidfd_cache_init(&c);
	ASSERT_TRUE(pidfd_cache_get(&c, live, &fresh) >= 0);
	ASSERT_TRUE(pidfd_cache_get(&c, dead, &fresh) >= 0);
	ASSERT_EQ(nbtest_count_fds(), before + 2);
	ASSERT_EQ(pidfd_cache_prune(&c), 2u);
	/* Exited but not reaped yet (a zombie) counts as exited. */
	kill(dead, SIGKILL);
	ASSERT_EQ(waitid(P_PID, (id_t)dead, NULL, WEXITED | WNOWAIT), 0);
	ASSERT_EQ(pidfd_cache_prune(&c), 1u);
	ASSERT_EQ(nbtest_count_fds(), before + 1);
	ASSERT_EQ(waitpid(dead, &status, 0), dead);
	ASSERT_EQ(pidfd_cache_get(&c, live, &fresh) >= 0, 1);
	ASSERT_EQ(fresh, 0);
	reap(live);
	ASSERT_EQ(pidfd_cache_prune(&c), 0u);
	ASSERT_EQ(nbtest_count_fds(), before);
	pidfd_cache_clear(&c);
}

NBTEST(evicts_least_recently_used)
{
	struct pidfd_cache c;
	pid_t pids[PIDFD_CACHE_SIZE + 1];
	int before = nbtest_count_fds(), fresh;

	pidfd_cache_init(&c);
	for (size_t i = 0; i < ARRAY_SIZE(pids); i++) {
		pids[i] = spawn();
		ASSERT_TRUE(pidfd_cache_get(&c, pids[i], &fresh) >= 0);
		ASSERT_EQ(fresh, 1);
		if (i == 0) /* keep the first one the most recent */
			continue;
		ASSERT_TRUE(pidfd_cache_get(&c, pids[0], &fresh) >= 0);
		ASSERT_EQ(fresh, 0);
	}
	/* One more than fits: the oldest but pids[0] went, fds bounded. */
	ASSERT_EQ(nbtest_count_fds(), before + PIDFD_CACHE_SIZE);
	ASSERT_TRUE(pidfd_cache_get(&c, pids[0], &fresh) >= 0);
	ASSERT_EQ(fresh, 0);
	ASSERT_TRUE(pidfd_cache_get(&c, pids[1], &fresh) >= 0);
	ASSERT_EQ(fresh, 1);
	for (size_t i = 0; i < ARRAY_SIZE(pids); i++)
		reap(pids[i]);
	pidfd_cache_clear(&c);
	ASSERT_EQ(nbtest_count_fds(), before);
}

static const struct nbtest tests[] = {
	NBTEST_ENTRY(hit_and_miss),
	NBTEST_ENTRY(stale_entry_gets_esrch),
	NBTEST_ENTRY(fdinfo_dir_of_a_cached_thread),
	NBTEST_ENTRY(prune_closes_exited_only),
	NBTEST_ENTRY(evicts_least_recently_used),
};

int main(void)
{
	return nbtest_run(tests, ARRAY_SIZE(tests));
}
