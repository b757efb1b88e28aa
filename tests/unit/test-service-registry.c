// SPDX-License-Identifier: Apache-2.0
/*
 * test-service-registry.c - the per-user registry of the service map: its
 * file names, its directory's checks, the strict reads of files any
 * container of the user could have written, the removal of a dead (or
 * reused) pid's file, and an agent's own file written on open and removed
 * on close, with scans coalesced while another process rewrites files in
 * a loop.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "nbtest.h"
#include "service-registry.h"
#include "servicetest.h"
#include "util.h"

#define NS_OWN 0x0a
#define NS_X 0x1b

/* What the hooks saw. */
static struct {
	unsigned int applied, withdrawn, collected;
	uint64_t last_applied, last_withdrawn;
	size_t last_entries;
} seen;

static void hook_collect(void *opaque, struct service_record *r)
{
	memset(r, 0, sizeof(*r));
	r->netns = NS_OWN;
	r->c2c = true;
	r->addrs[r->n_addrs++] = svctest_addr("10.41.0.100");
	seen.collected++;
}

static void hook_apply(void *opaque, const struct service_record *r)
{
	seen.applied++;
	seen.last_applied = r->netns;
	seen.last_entries = r->n_entries;
}

static void hook_withdraw(void *opaque, uint64_t netns)
{
	seen.withdrawn++;
	seen.last_withdrawn = netns;
}

static const struct service_registry_hooks hooks = {
	.collect = hook_collect,
	.apply = hook_apply,
	.withdraw = hook_withdraw,
};

/* A fresh runtime directory (mode 0700) in /tmp; its path in @buf. */
static void make_runtime_dir(char *buf, size_t size)
{
	snprintf(buf, size, "/tmp/nbtest-registry-XXXXXX");
	ASSERT_TRUE(mkdtemp(buf));
}

static void rm_rf(const char *dir)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ASSERT_EQ(system(cmd), 0);
}

/* @text into file @name of @dirfd, by rename() as a writer does. */
static void put_file(int dirfd, const char *name, const char *text)
{
	int fd = openat(dirfd, ".put", O_WRONLY | O_CREAT | O_TRUNC, 0600);

	ASSERT_TRUE(fd >= 0);
	ASSERT_EQ(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	ASSERT_OK(renameat(dirfd, ".put", dirfd, name));
}

/* The name of a file of @netns of this (live) process. */
static void live_name(char *buf, uint64_t netns)
{
	uint64_t start;

	ASSERT_OK(service_registry_proc_start(getpid(), &start));
	service_registry_name(buf, netns, getpid(), start);
}

static const char record_x[] = "nsbypass-services 1\n"
			       "netns 000000000000001b\n"
			       "c2c 1\n"
			       "addr 10.42.0.100\n"
			       "entry :: 80 0 :: 18080 0 00000000000000ff\n"
			       "end\n";

NBTEST(names_round_trip_and_refuse_the_rest)
{
	static const char *const bad[] = {
		"",
		".tmp-000000000000001b-12-34",
		"000000000000001B-12-34", /* upper case */
		"0000000000000000-12-34", /* netns 0 */
		"000000000000001b-0-34",  /* pid 0 */
		"000000000000001b-012-34",
		"000000000000001b-12-",
		"000000000000001b-12",
		"000000000000001b--12-34",
		"000000000000001b-12-34-5",
		"000000000000001b-12-3x",
		"000000000000001b-2147483648-1", /* over INT32_MAX */
		"000000000000001b-12-18446744073709551616",
		"00000000000001b-12-34", /* 15 hex digits */
		"garbage",
	};
	char name[REGISTRY_NAME_MAX];
	uint64_t netns, start;
	pid_t pid;

	service_registry_name(name, UINT64_MAX, 2147483647, UINT64_MAX);
	ASSERT_STREQ(name, "ffffffffffffffff-2147483647-18446744073709551615");
	ASSERT_OK(service_registry_parse_name(name, &netns, &pid, &start));
	ASSERT_EQ(netns, UINT64_MAX);
	ASSERT_EQ(pid, 2147483647);
	ASSERT_EQ(start, UINT64_MAX);
	service_registry_name(name, NS_X, 12, 0);
	ASSERT_STREQ(name, "000000000000001b-12-0");
	ASSERT_OK(service_registry_parse_name(name, &netns, &pid, &start));
	ASSERT_EQ(netns, NS_X);
	ASSERT_EQ(pid, 12);
	ASSERT_EQ(start, 0);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		if (service_registry_parse_name(bad[i], &netns, &pid, &start) !=
		    -EINVAL)
			nbtest_fail(__FILE__, __LINE__, "'%s' taken", bad[i]);
	}
}

NBTEST(a_process_start_time)
{
	uint64_t a, b;
	pid_t child = fork();

	ASSERT_TRUE(child >= 0);
	if (child == 0)
		_exit(0);
	ASSERT_OK(service_registry_proc_start(getpid(), &a));
	ASSERT_OK(service_registry_proc_start(getpid(), &b));
	ASSERT_EQ(a, b);
	ASSERT_TRUE(a > 0);
	/* A zombie is gone, and so is a reaped child.  WNOWAIT: waited
	 * for until it is a zombie, not reaped. */
	ASSERT_OK(waitid(P_PID, (id_t)child, &(siginfo_t){ 0 },
			 WEXITED | WNOWAIT));
	ASSERT_EQ(service_registry_proc_start(child, &a), -ESRCH);
	ASSERT_EQ(waitpid(child, NULL, 0), child);
	ASSERT_EQ(service_registry_proc_start(child, &a), -ESRCH);
}

NBTEST(the_directory_is_ours_and_closed)
{
	char rt[64], path[128];
	struct stat st;
	int fd;

	make_runtime_dir(rt, sizeof(rt));
	fd = service_registry_open_dir(rt);
	ASSERT_TRUE(fd >= 0);
	ASSERT_OK(fstat(fd, &st));
	ASSERT_EQ(st.st_mode & 07777, 0700);
	close(fd);
	snprintf(path, sizeof(path), "%s/nsbypass", rt);
	ASSERT_OK(stat(path, &st));
	ASSERT_EQ(st.st_mode & 07777, 0700);
	/* Opened again: the same directory. */
	fd = service_registry_open_dir(rt);
	ASSERT_TRUE(fd >= 0);
	close(fd);
	/* Group-writable, at either level: refused. */
	snprintf(path, sizeof(path), "%s/nsbypass/services", rt);
	ASSERT_OK(chmod(path, 0770));
	ASSERT_EQ(service_registry_open_dir(rt), -EPERM);
	ASSERT_OK(chmod(path, 0700));
	snprintf(path, sizeof(path), "%s/nsbypass", rt);
	ASSERT_OK(chmod(path, 0702));
	ASSERT_EQ(service_registry_open_dir(rt), -EPERM);
	ASSERT_OK(chmod(path, 0700));
	/* Another user's: refused (root can make one). */
	if (geteuid() == 0) {
		ASSERT_OK(chown(path, 65534, 65534));
		ASSERT_EQ(service_registry_open_dir(rt), -EPERM);
		ASSERT_OK(chown(path, 0, 0));
	}
	/* A symlink in its place: refused. */
	rm_rf(path);
	ASSERT_OK(symlink("/tmp", path));
	fd = service_registry_open_dir(rt);
	ASSERT_TRUE(fd == -ELOOP || fd == -ENOTDIR);
	rm_rf(rt);
}

NBTEST(reads_are_strict_and_bounded)
{
	static char buf[SERVICE_RECORD_TEXT_MAX];
	char rt[64];
	struct stat st;
	int dfd, fd;

	make_runtime_dir(rt, sizeof(rt));
	dfd = service_registry_open_dir(rt);
	ASSERT_TRUE(dfd >= 0);
	put_file(dfd, "ok", record_x);
	ASSERT_EQ(service_registry_read(dfd, "ok", buf, sizeof(buf), &st),
		  (ssize_t)strlen(record_x));
	ASSERT_TRUE(memcmp(buf, record_x, strlen(record_x)) == 0);
	ASSERT_OK(symlinkat("ok", dfd, "link"));
	ASSERT_EQ(service_registry_read(dfd, "link", buf, sizeof(buf), &st),
		  -ELOOP);
	/* A FIFO with no writer: refused, without blocking. */
	ASSERT_OK(mkfifoat(dfd, "fifo", 0600));
	ASSERT_EQ(service_registry_read(dfd, "fifo", buf, sizeof(buf), &st),
		  -EINVAL);
	ASSERT_OK(mkdirat(dfd, "dir", 0700));
	ASSERT_EQ(service_registry_read(dfd, "dir", buf, sizeof(buf), &st),
		  -EINVAL);
	/* One byte over the bound: refused. */
	fd = openat(dfd, "big", O_WRONLY | O_CREAT, 0600);
	ASSERT_TRUE(fd >= 0);
	ASSERT_OK(ftruncate(fd, (off_t)sizeof(buf) + 1));
	close(fd);
	ASSERT_EQ(service_registry_read(dfd, "big", buf, sizeof(buf), &st),
		  -EFBIG);
	/* Exactly the bound: read. */
	fd = openat(dfd, "full", O_WRONLY | O_CREAT, 0600);
	ASSERT_TRUE(fd >= 0);
	ASSERT_OK(ftruncate(fd, (off_t)sizeof(buf)));
	close(fd);
	ASSERT_EQ(service_registry_read(dfd, "full", buf, sizeof(buf), &st),
		  (ssize_t)sizeof(buf));
	if (geteuid() == 0) {
		ASSERT_OK(fchownat(dfd, "ok", 65534, 65534, 0));
		ASSERT_EQ(service_registry_read(dfd, "ok", buf, sizeof(buf),
						&st),
			  -EPERM);
	}
	close(dfd);
	rm_rf(rt);
}

/* A registry on @loop over @rt, its directory fd in @dfd. */
static void open_registry(struct service_registry *g, uv_loop_t *loop,
			  const char *rt, int *dfd)
{
	int fd = service_registry_open_dir(rt);

	ASSERT_TRUE(fd >= 0);
	*dfd = dup(fd);
	ASSERT_OK(service_registry_open(g, loop, fd, NS_OWN, &hooks));
}

NBTEST(scans_apply_refuse_withdraw_and_clean)
{
	static struct service_registry g;
	char rt[64], name[REGISTRY_NAME_MAX], forged[REGISTRY_NAME_MAX],
		own[REGISTRY_NAME_MAX], stale[REGISTRY_NAME_MAX];
	uint64_t start1;
	struct stat st;
	uv_loop_t loop;
	int dfd;

	memset(&seen, 0, sizeof(seen));
	make_runtime_dir(rt, sizeof(rt));
	ASSERT_OK(uv_loop_init(&loop));
	live_name(name, NS_X);
	put_file(dfd = service_registry_open_dir(rt), name, record_x);
	/* Named for another netns than its text's: refused.  One of our
	 * own namespace: forged, refused. */
	live_name(forged, 0x2c);
	put_file(dfd, forged, record_x);
	/* Named for pid 1, live, to be read. */
	ASSERT_OK(service_registry_proc_start(1, &start1));
	service_registry_name(own, NS_OWN, 1, start1);
	/* A dead agent's file: removed unread. */
	snprintf(stale, sizeof(stale), "000000000000003d-%d-1", getpid());
	put_file(dfd, stale, record_x);
	close(dfd);

	open_registry(&g, &loop, rt, &dfd);
	ASSERT_EQ(seen.applied, 1);
	ASSERT_EQ(seen.last_applied, NS_X);
	ASSERT_EQ(seen.collected, 1);
	ASSERT_EQ(fstatat(dfd, stale, &st, AT_SYMLINK_NOFOLLOW), -1);
	ASSERT_EQ(errno, ENOENT);
	/* Its own file: 0600, the record, skipped by its own scans. */
	ASSERT_OK(fstatat(dfd, g.own_name, &st, AT_SYMLINK_NOFOLLOW));
	ASSERT_EQ(st.st_mode & 07777, 0600);
	ASSERT_OK(service_registry_scan(&g));
	ASSERT_EQ(seen.applied, 1);

	/* Unchanged: not read again.  Replaced: taken again (the new
	 * record replaces the old in the map: no withdraw between). */
	put_file(dfd, name, record_x);
	ASSERT_OK(service_registry_scan(&g));
	ASSERT_EQ(seen.applied, 2);
	ASSERT_EQ(seen.withdrawn, 0);
	/* Replaced by garbage: withdrawn, and not taken. */
	put_file(dfd, name, "nsbypass-services 1\nnetns 1b\n");
	ASSERT_OK(service_registry_scan(&g));
	ASSERT_EQ(seen.applied, 2);
	ASSERT_EQ(seen.withdrawn, 1);
	put_file(dfd, name, record_x);
	ASSERT_OK(service_registry_scan(&g));
	ASSERT_EQ(seen.applied, 3);
	/* Gone: withdrawn. */
	ASSERT_OK(unlinkat(dfd, name, 0));
	ASSERT_OK(service_registry_scan(&g));
	ASSERT_EQ(seen.withdrawn, 2);
	ASSERT_EQ(seen.last_withdrawn, NS_X);

	/* A record of our own namespace under another name: refused. */
	put_file(dfd, own,
		 "nsbypass-services 1\nnetns 000000000000000a\nc2c 1\nend\n");
	ASSERT_OK(service_registry_scan(&g));
	ASSERT_EQ(seen.applied, 3);

	/* Closed: its own file is gone. */
	snprintf(name, sizeof(name), "%s", g.own_name);
	service_registry_close(&g);
	service_registry_close(&g);
	ASSERT_EQ(fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW), -1);
	ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
	ASSERT_OK(uv_loop_close(&loop));
	close(dfd);
	rm_rf(rt);
}

/* Rewrites one file in a loop until told to stop (no assertion: a
 * second thread). */
static atomic_bool churn_stop;
static atomic_uint churn_writes;
static int churn_dfd;
static char churn_name[REGISTRY_NAME_MAX];

static void *churn(void *arg)
{
	while (!atomic_load(&churn_stop)) {
		int fd = openat(churn_dfd, ".churn",
				O_WRONLY | O_CREAT | O_TRUNC, 0600);

		if (fd < 0)
			break;
		if (write(fd, record_x, strlen(record_x)) < 0)
			break;
		close(fd);
		if (renameat(churn_dfd, ".churn", churn_dfd, churn_name) < 0)
			break;
		atomic_fetch_add(&churn_writes, 1);
	}
	return NULL;
}

static void on_stop(uv_timer_t *t)
{
	uv_stop(t->loop);
}

/*
 * Several files of one namespace (nsbypass oci: every agent of a pod or
 * an exec writes one): the map gets their union, whatever order they are
 * read in, and one file going leaves the others' services in place.
 */
NBTEST(files_of_one_namespace_are_merged)
{
	static struct service_registry g;
	char rt[64], withe[REGISTRY_NAME_MAX], empty[REGISTRY_NAME_MAX];
	uint64_t start1;
	uv_loop_t loop;
	int dfd;

	memset(&seen, 0, sizeof(seen));
	make_runtime_dir(rt, sizeof(rt));
	ASSERT_OK(uv_loop_init(&loop));
	live_name(withe, NS_X);
	ASSERT_OK(service_registry_proc_start(1, &start1));
	service_registry_name(empty, NS_X, 1, start1);
	dfd = service_registry_open_dir(rt);
	put_file(dfd, withe, record_x);
	put_file(dfd, empty,
		 "nsbypass-services 1\nnetns 000000000000001b\nc2c 1\n"
		 "addr 10.42.0.100\nend\n");
	close(dfd);

	open_registry(&g, &loop, rt, &dfd);
	ASSERT_EQ(seen.applied, 1);
	ASSERT_EQ(seen.last_applied, NS_X);
	ASSERT_EQ(seen.last_entries, 1);
	/* The empty one goes: the service stays. */
	ASSERT_OK(unlinkat(dfd, empty, 0));
	ASSERT_OK(service_registry_scan(&g));
	ASSERT_EQ(seen.withdrawn, 0);
	ASSERT_EQ(seen.applied, 2);
	ASSERT_EQ(seen.last_entries, 1);
	/* It comes back, then the one with the service goes. */
	put_file(dfd, empty,
		 "nsbypass-services 1\nnetns 000000000000001b\nc2c 1\n"
		 "addr 10.42.0.100\nend\n");
	ASSERT_OK(service_registry_scan(&g));
	ASSERT_EQ(seen.last_entries, 1);
	ASSERT_OK(unlinkat(dfd, withe, 0));
	ASSERT_OK(service_registry_scan(&g));
	ASSERT_EQ(seen.withdrawn, 0);
	ASSERT_EQ(seen.last_entries, 0);
	/* None left: withdrawn. */
	ASSERT_OK(unlinkat(dfd, empty, 0));
	ASSERT_OK(service_registry_scan(&g));
	ASSERT_EQ(seen.withdrawn, 1);
	ASSERT_EQ(seen.last_withdrawn, NS_X);
	service_registry_close(&g);
	uv_run(&loop, UV_RUN_DEFAULT);
	ASSERT_OK(uv_loop_close(&loop));
	close(dfd);
	rm_rf(rt);
}

NBTEST(a_writer_in_a_loop_is_coalesced)
{
	static struct service_registry g;
	uint64_t start_ms, elapsed_ms;
	uv_timer_t stop;
	uv_loop_t loop;
	pthread_t th;
	char rt[64];
	int dfd;

	memset(&seen, 0, sizeof(seen));
	make_runtime_dir(rt, sizeof(rt));
	ASSERT_OK(uv_loop_init(&loop));
	open_registry(&g, &loop, rt, &dfd);
	churn_dfd = dfd;
	live_name(churn_name, NS_X);
	atomic_store(&churn_stop, false);
	atomic_store(&churn_writes, 0);
	ASSERT_OK(pthread_create(&th, NULL, churn, NULL));
	uv_timer_init(&loop, &stop);
	/* At least a second, and on until the writer and the scans have
	 * had their turns (a loaded CI machine may starve either): the
	 * bound below is on scans per elapsed time, not on a count. */
	start_ms = nbtest_now_ms();
	do {
		uv_timer_start(&stop, on_stop, 1000, 0);
		uv_run(&loop, UV_RUN_DEFAULT);
		elapsed_ms = nbtest_now_ms() - start_ms;
	} while ((atomic_load(&churn_writes) <= 100 || seen.applied < 2) &&
		 elapsed_ms < 30000);
	atomic_store(&churn_stop, true);
	pthread_join(th, NULL);
	printf("# %u writes in %llu ms, %u applied, %u withdrawn\n",
	       atomic_load(&churn_writes), (unsigned long long)elapsed_ms,
	       seen.applied, seen.withdrawn);
	/* One scan per REGISTRY_SCAN_MS at most, and it does see them. */
	ASSERT_TRUE(atomic_load(&churn_writes) > 100);
	ASSERT_TRUE(seen.applied >= 2);
	ASSERT_TRUE(seen.applied <= elapsed_ms / REGISTRY_SCAN_MS + 2);
	/* A file replaced between a scan's two reads of it is taken as it
	 * is then, never withdrawn: its services stay in the map. */
	ASSERT_EQ(seen.withdrawn, 0);
	/* The agent's own writes are rate-limited the same way. */
	seen.collected = 0;
	for (int i = 0; i < 1000; i++)
		service_registry_changed(&g);
	uv_timer_start(&stop, on_stop, 250, 0);
	uv_run(&loop, UV_RUN_DEFAULT);
	ASSERT_TRUE(seen.collected >= 1 && seen.collected <= 2);
	service_registry_close(&g);
	uv_close((uv_handle_t *)&stop, NULL);
	ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
	ASSERT_OK(uv_loop_close(&loop));
	close(dfd);
	rm_rf(rt);
}

NBTEST(no_runtime_dir_no_registry)
{
	static struct service_registry g;
	const char *old = getenv("XDG_RUNTIME_DIR");
	char *keep = old ? strdup(old) : NULL;

	ASSERT_OK(unsetenv("XDG_RUNTIME_DIR"));
	ASSERT_TRUE(service_registry_runtime_dir() == NULL);
	ASSERT_OK(setenv("XDG_RUNTIME_DIR", "relative", 1));
	ASSERT_TRUE(service_registry_runtime_dir() == NULL);
	ASSERT_OK(setenv("XDG_RUNTIME_DIR", "/run/user/1", 1));
	ASSERT_STREQ(service_registry_runtime_dir(), "/run/user/1");
	if (keep)
		setenv("XDG_RUNTIME_DIR", keep, 1);
	else
		unsetenv("XDG_RUNTIME_DIR");
	free(keep);
	/* Never opened: every call is a no-op. */
	service_registry_init(&g);
	service_registry_changed(&g);
	ASSERT_OK(service_registry_scan(&g));
	service_registry_close(&g);
}

int main(void)
{
	static const struct nbtest tests[] = {
		NBTEST_ENTRY(names_round_trip_and_refuse_the_rest),
		NBTEST_ENTRY(a_process_start_time),
		NBTEST_ENTRY(the_directory_is_ours_and_closed),
		NBTEST_ENTRY(reads_are_strict_and_bounded),
		NBTEST_ENTRY(scans_apply_refuse_withdraw_and_clean),
		NBTEST_ENTRY(files_of_one_namespace_are_merged),
		NBTEST_ENTRY(a_writer_in_a_loop_is_coalesced),
		NBTEST_ENTRY(no_runtime_dir_no_registry),
	};

	return nbtest_run(tests, ARRAY_SIZE(tests));
}
