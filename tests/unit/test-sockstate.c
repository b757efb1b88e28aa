// SPDX-License-Identifier: Apache-2.0
/*
 * test-sockstate.c - the socket table and option replay.
 *
 * The table must stay bounded whatever the container does (LRU eviction,
 * sweep), keep one entry per cookie across rekeys, and replay recorded
 * options onto a real socket so that the host socket behaves like the one
 * the container configured.  Every test frees what it made, so running
 * this under valgrind shows leaks in the table code.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "nbtest.h"
#include "sockstate.h"
#include "util.h"

static int getopt_int(int fd, int level, int name)
{
	int v = -1;
	socklen_t len = sizeof(v);

	ASSERT_OK(getsockopt(fd, level, name, &v, &len));
	ASSERT_EQ(len, sizeof(v));
	return v;
}

static void record(struct sockstate *s, int level, int name)
{
	ASSERT_EQ(sockstate_record(s, level, name), 0);
}

static void setopt_int(int fd, int level, int name, int v)
{
	ASSERT_OK(setsockopt(fd, level, name, &v, sizeof(v)));
}

static int tcp_socket(void)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	ASSERT_OK(fd);
	return fd;
}

NBTEST(table_new_free)
{
	struct sockstate_table *t = sockstate_table_new(10);

	ASSERT_TRUE(t != NULL);
	ASSERT_EQ(sockstate_table_count(t), 0);
	ASSERT_TRUE(sockstate_table_free(t) == NULL);
	ASSERT_TRUE(sockstate_table_free(NULL) == NULL);
}

NBTEST(table_default_max)
{
	struct sockstate_table *t = sockstate_table_new(0);
	struct sockstate *s;

	ASSERT_TRUE(t != NULL);
	for (uint64_t c = 1; c <= SOCKSTATE_MAX + 10; c++)
		ASSERT_EQ(sockstate_get(t, c, &s), 0);
	ASSERT_EQ(sockstate_table_count(t), SOCKSTATE_MAX);
	ASSERT_TRUE(sockstate_lookup(t, 1) == NULL);
	ASSERT_TRUE(sockstate_lookup(t, SOCKSTATE_MAX + 10) != NULL);
	sockstate_table_free(t);
}

NBTEST(get_creates_lookup_finds)
{
	struct sockstate_table *t = sockstate_table_new(10);
	struct sockstate *s = NULL, *s2 = NULL;

	ASSERT_TRUE(sockstate_lookup(t, 42) == NULL);
	ASSERT_EQ(sockstate_get(t, 42, &s), 0);
	ASSERT_TRUE(s != NULL);
	ASSERT_EQ(s->cookie, 42);
	ASSERT_EQ(s->kind, SOCKSTATE_RECORDING);
	ASSERT_EQ(s->fd, -1);
	ASSERT_EQ(s->n_opts, 0);
	ASSERT_EQ(sockstate_table_count(t), 1);

	ASSERT_EQ(sockstate_get(t, 42, &s2), 0);
	ASSERT_TRUE(s2 == s);
	ASSERT_EQ(sockstate_table_count(t), 1);
	ASSERT_TRUE(sockstate_lookup(t, 42) == s);
	ASSERT_TRUE(sockstate_lookup(t, 43) == NULL);
	ASSERT_TRUE(sockstate_lookup(t, 0) == NULL);

	/* Cookie 0 and the largest cookie are ordinary keys. */
	ASSERT_EQ(sockstate_get(t, UINT64_MAX, &s2), 0);
	ASSERT_EQ(s2->cookie, UINT64_MAX);
	ASSERT_TRUE(sockstate_lookup(t, UINT64_MAX) == s2);
	ASSERT_EQ(sockstate_table_count(t), 2);
	sockstate_table_free(t);
}

NBTEST(remove)
{
	struct sockstate_table *t = sockstate_table_new(10);
	struct sockstate *s;

	ASSERT_EQ(sockstate_get(t, 7, &s), 0);
	record(s, SOL_SOCKET, SO_KEEPALIVE);
	ASSERT_EQ(sockstate_get(t, 8, &s), 0);
	sockstate_remove(t, 7);
	ASSERT_EQ(sockstate_table_count(t), 1);
	ASSERT_TRUE(sockstate_lookup(t, 7) == NULL);
	ASSERT_TRUE(sockstate_lookup(t, 8) != NULL);
	sockstate_remove(t, 7);
	sockstate_remove(t, 1234);
	ASSERT_EQ(sockstate_table_count(t), 1);
	sockstate_remove(t, 8);
	ASSERT_EQ(sockstate_table_count(t), 0);
	sockstate_table_free(t);
}

/* Keys that land in one hash chain, whatever the hash: many of them. */
NBTEST(chains)
{
	struct sockstate_table *t = sockstate_table_new(1000);
	struct sockstate *s;

	for (uint64_t i = 0; i < 64; i++) {
		ASSERT_EQ(sockstate_get(t, 5 + i * 1024, &s), 0);
		s->fd = (int)i;
	}
	/* Remove from the middle, the head and the tail of each chain. */
	sockstate_remove(t, 5 + 31 * 1024);
	sockstate_remove(t, 5);
	sockstate_remove(t, 5 + 63 * 1024);
	ASSERT_EQ(sockstate_table_count(t), 61);
	for (uint64_t i = 0; i < 64; i++) {
		s = sockstate_lookup(t, 5 + i * 1024);
		if (i == 0 || i == 31 || i == 63) {
			ASSERT_TRUE(s == NULL);
		} else {
			ASSERT_TRUE(s != NULL);
			ASSERT_EQ(s->fd, i);
		}
	}
	sockstate_table_free(t);
}

NBTEST(rekey)
{
	struct sockstate_table *t = sockstate_table_new(10);
	struct sockstate *s, *s2;

	ASSERT_EQ(sockstate_get(t, 1, &s), 0);
	record(s, SOL_SOCKET, SO_KEEPALIVE);
	s->kind = SOCKSTATE_SWITCHED;
	ASSERT_EQ(sockstate_rekey(t, 1, 2), 0);
	ASSERT_TRUE(sockstate_lookup(t, 1) == NULL);
	s = sockstate_lookup(t, 2);
	ASSERT_TRUE(s != NULL);
	ASSERT_EQ(s->cookie, 2);
	ASSERT_EQ(s->n_opts, 1);
	ASSERT_EQ(s->kind, SOCKSTATE_SWITCHED);
	ASSERT_EQ(sockstate_table_count(t), 1);

	/* Onto an existing key: that entry is replaced, not duplicated. */
	ASSERT_EQ(sockstate_get(t, 3, &s2), 0);
	record(s2, IPPROTO_TCP, TCP_NODELAY);
	record(s2, IPPROTO_TCP, TCP_CORK);
	ASSERT_EQ(sockstate_table_count(t), 2);
	ASSERT_EQ(sockstate_rekey(t, 2, 3), 0);
	ASSERT_EQ(sockstate_table_count(t), 1);
	ASSERT_TRUE(sockstate_lookup(t, 2) == NULL);
	s = sockstate_lookup(t, 3);
	ASSERT_TRUE(s != NULL);
	ASSERT_EQ(s->cookie, 3);
	ASSERT_EQ(s->n_opts, 1);
	ASSERT_EQ(s->opts[0].name, SO_KEEPALIVE);

	/* From a missing key: nothing changes. */
	ASSERT_EQ(sockstate_rekey(t, 99, 100), -ENOENT);
	ASSERT_EQ(sockstate_rekey(t, 99, 3), -ENOENT);
	ASSERT_EQ(sockstate_table_count(t), 1);
	ASSERT_TRUE(sockstate_lookup(t, 100) == NULL);
	ASSERT_TRUE(sockstate_lookup(t, 3) != NULL);

	/* Onto itself. */
	ASSERT_EQ(sockstate_rekey(t, 3, 3), 0);
	ASSERT_EQ(sockstate_table_count(t), 1);
	s = sockstate_lookup(t, 3);
	ASSERT_TRUE(s != NULL);
	ASSERT_EQ(s->n_opts, 1);
	ASSERT_EQ(sockstate_rekey(t, 99, 99), -ENOENT);

	/* Across hash chains and back. */
	ASSERT_EQ(sockstate_rekey(t, 3, 3 + 1024), 0);
	ASSERT_EQ(sockstate_rekey(t, 3 + 1024, 0xdeadbeefcafeULL), 0);
	ASSERT_TRUE(sockstate_lookup(t, 3 + 1024) == NULL);
	ASSERT_TRUE(sockstate_lookup(t, 0xdeadbeefcafeULL) != NULL);
	ASSERT_EQ(sockstate_table_count(t), 1);
	sockstate_table_free(t);
}

NBTEST(record)
{
	struct sockstate_table *t = sockstate_table_new(10);
	struct sockstate *s;

	ASSERT_EQ(sockstate_get(t, 1, &s), 0);
	record(s, SOL_SOCKET, SO_KEEPALIVE);
	ASSERT_EQ(s->n_opts, 1);
	ASSERT_EQ(s->opts[0].level, SOL_SOCKET);
	ASSERT_EQ(s->opts[0].name, SO_KEEPALIVE);

	/* Each name once, in the order first set. */
	record(s, IPPROTO_TCP, TCP_NODELAY);
	record(s, SOL_SOCKET, SO_KEEPALIVE);
	ASSERT_EQ(s->n_opts, 2);
	ASSERT_EQ(s->opts[0].name, SO_KEEPALIVE);
	ASSERT_EQ(s->opts[1].name, TCP_NODELAY);

	/* Same name at another level is another option. */
	record(s, IPPROTO_TCP, SO_KEEPALIVE);
	ASSERT_EQ(s->n_opts, 3);
	ASSERT_EQ(s->opts[2].level, IPPROTO_TCP);
	sockstate_table_free(t);
}

NBTEST(record_bound)
{
	struct sockstate_table *t = sockstate_table_new(10);
	struct sockstate *s;

	ASSERT_EQ(sockstate_get(t, 1, &s), 0);
	for (int i = 0; i < SOCKSTATE_OPTS_MAX; i++)
		record(s, SOL_SOCKET, 1000 + i);
	ASSERT_EQ(s->n_opts, SOCKSTATE_OPTS_MAX);
	ASSERT_EQ(sockstate_record(s, SOL_SOCKET, 5000), -ENOSPC);
	ASSERT_EQ(s->n_opts, SOCKSTATE_OPTS_MAX);
	/* A full list still takes a name it holds. */
	record(s, SOL_SOCKET, 1000);
	ASSERT_EQ(s->n_opts, SOCKSTATE_OPTS_MAX);
	sockstate_table_free(t);
}

NBTEST(replay_real_socket)
{
	struct sockstate_table *t = sockstate_table_new(10);
	int from = tcp_socket(), fd = tcp_socket(), ref = tcp_socket();
	struct sockstate *s;

	/* The defaults, so that the replay is seen to change them. */
	ASSERT_EQ(getopt_int(fd, SOL_SOCKET, SO_KEEPALIVE), 0);
	ASSERT_EQ(getopt_int(fd, IPPROTO_TCP, TCP_NODELAY), 0);

	ASSERT_EQ(sockstate_get(t, 1, &s), 0);
	setopt_int(from, SOL_SOCKET, SO_KEEPALIVE, 1);
	setopt_int(from, IPPROTO_TCP, TCP_NODELAY, 1);
	setopt_int(from, SOL_SOCKET, SO_RCVBUF, 65536);
	record(s, SOL_SOCKET, SO_KEEPALIVE);
	record(s, IPPROTO_TCP, TCP_NODELAY);
	record(s, SOL_SOCKET, SO_RCVBUF);
	ASSERT_EQ(sockstate_replay(s, from, fd), 0);

	ASSERT_EQ(getopt_int(fd, SOL_SOCKET, SO_KEEPALIVE), 1);
	ASSERT_EQ(getopt_int(fd, IPPROTO_TCP, TCP_NODELAY), 1);
	/* The kernel doubles SO_RCVBUF: compare with a direct setsockopt. */
	setopt_int(ref, SOL_SOCKET, SO_RCVBUF, 65536);
	ASSERT_EQ(getopt_int(fd, SOL_SOCKET, SO_RCVBUF),
		  getopt_int(ref, SOL_SOCKET, SO_RCVBUF));

	/* Nothing recorded, nothing to fail. */
	ASSERT_EQ(sockstate_get(t, 2, &s), 0);
	ASSERT_EQ(sockstate_replay(s, from, fd), 0);
	close(from);
	close(fd);
	close(ref);
	sockstate_table_free(t);
}

NBTEST(replay_reads_the_value_now)
{
	struct sockstate_table *t = sockstate_table_new(10);
	int from = tcp_socket(), fd = tcp_socket();
	struct sockstate *s;

	ASSERT_EQ(sockstate_get(t, 1, &s), 0);
	setopt_int(from, SOL_SOCKET, SO_KEEPALIVE, 1);
	record(s, SOL_SOCKET, SO_KEEPALIVE);
	setopt_int(from, IPPROTO_TCP, TCP_NODELAY, 1);
	record(s, IPPROTO_TCP, TCP_NODELAY);
	/* Set back: the value the socket has now is the one copied. */
	setopt_int(from, SOL_SOCKET, SO_KEEPALIVE, 0);
	record(s, SOL_SOCKET, SO_KEEPALIVE);
	ASSERT_EQ(s->n_opts, 2);

	setopt_int(fd, SOL_SOCKET, SO_KEEPALIVE, 1);
	ASSERT_EQ(sockstate_replay(s, from, fd), 0);
	ASSERT_EQ(getopt_int(fd, SOL_SOCKET, SO_KEEPALIVE), 0);
	ASSERT_EQ(getopt_int(fd, IPPROTO_TCP, TCP_NODELAY), 1);
	close(from);
	close(fd);
	sockstate_table_free(t);
}

NBTEST(replay_counts_failures)
{
	struct sockstate_table *t = sockstate_table_new(10);
	int from = tcp_socket(), fd = tcp_socket();
	struct sockstate *s;

	ASSERT_EQ(sockstate_get(t, 1, &s), 0);
	setopt_int(from, SOL_SOCKET, SO_KEEPALIVE, 1);
	setopt_int(from, IPPROTO_TCP, TCP_NODELAY, 1);
	record(s, SOL_SOCKET, SO_KEEPALIVE);
	/* An IPv6 option on an IPv4 socket cannot be read. */
	record(s, IPPROTO_IPV6, IPV6_TCLASS);
	record(s, IPPROTO_TCP, TCP_NODELAY);
	ASSERT_EQ(sockstate_replay(s, from, fd), 1);
	ASSERT_EQ(getopt_int(fd, SOL_SOCKET, SO_KEEPALIVE), 1);
	ASSERT_EQ(getopt_int(fd, IPPROTO_TCP, TCP_NODELAY), 1);

	/* From or onto something that is not a socket every option fails. */
	ASSERT_EQ(sockstate_replay(s, -1, fd), 3);
	ASSERT_EQ(sockstate_replay(s, from, -1), 3);
	close(from);
	close(fd);
	sockstate_table_free(t);
}

NBTEST(lru_eviction)
{
	struct sockstate_table *t = sockstate_table_new(3);
	struct sockstate *s;

	ASSERT_EQ(sockstate_get(t, 1, &s), 0);
	ASSERT_EQ(sockstate_get(t, 2, &s), 0);
	record(s, SOL_SOCKET, SO_KEEPALIVE); /* freed on eviction */
	ASSERT_EQ(sockstate_get(t, 3, &s), 0);
	ASSERT_TRUE(sockstate_lookup(t, 1) != NULL);
	ASSERT_EQ(sockstate_get(t, 4, &s), 0);
	ASSERT_EQ(s->cookie, 4);
	ASSERT_EQ(sockstate_table_count(t), 3);
	ASSERT_TRUE(sockstate_lookup(t, 2) == NULL);
	ASSERT_TRUE(sockstate_lookup(t, 1) != NULL);
	ASSERT_TRUE(sockstate_lookup(t, 3) != NULL);
	ASSERT_TRUE(sockstate_lookup(t, 4) != NULL);

	/* get() of an existing entry also counts as a use.  Order of use
	 * is now 1, 3, 4; touching 1 leaves 3 the oldest. */
	ASSERT_EQ(sockstate_get(t, 1, &s), 0);
	ASSERT_EQ(sockstate_get(t, 5, &s), 0);
	ASSERT_EQ(sockstate_table_count(t), 3);
	ASSERT_TRUE(sockstate_lookup(t, 3) == NULL);
	ASSERT_TRUE(sockstate_lookup(t, 1) != NULL);
	sockstate_table_free(t);
}

static bool odd_alive(const struct sockstate *s, void *opaque)
{
	(*(size_t *)opaque)++;
	return s->cookie % 2;
}

NBTEST(sweep)
{
	struct sockstate_table *t = sockstate_table_new(1000);
	struct sockstate *s;
	size_t calls = 0;

	for (uint64_t c = 1; c <= 100; c++) {
		ASSERT_EQ(sockstate_get(t, c * 1024, &s), 0);
		record(s, SOL_SOCKET, SO_KEEPALIVE);
	}
	for (uint64_t c = 1; c <= 100; c++)
		ASSERT_EQ(sockstate_get(t, c, &s), 0);
	ASSERT_EQ(sockstate_table_count(t), 200);
	/* All 100 multiples of 1024, and the 50 even ones of 1..100. */
	ASSERT_EQ(sockstate_sweep(t, odd_alive, &calls), 150);
	ASSERT_EQ(calls, 200);
	ASSERT_EQ(sockstate_table_count(t), 50);
	for (uint64_t c = 1; c <= 100; c++) {
		ASSERT_TRUE((sockstate_lookup(t, c) != NULL) == (c % 2));
		ASSERT_TRUE(sockstate_lookup(t, c * 1024) == NULL);
	}
	/* A second sweep finds nothing to drop. */
	calls = 0;
	ASSERT_EQ(sockstate_sweep(t, odd_alive, &calls), 0);
	ASSERT_EQ(calls, 50);
	sockstate_table_free(t);
}

NBTEST(many_entries)
{
	const size_t n = 10000;
	struct sockstate_table *t = sockstate_table_new(n);
	struct sockstate *s;

	/* Counter-like cookies, as the kernel hands them out, and spread
	 * ones. */
	for (uint64_t i = 0; i < n; i++) {
		uint64_t c = i % 2 ? 4096 + i : i * 0x9e3779b97f4a7c15ULL;

		ASSERT_EQ(sockstate_get(t, c, &s), 0);
		s->fd = (int)i;
	}
	ASSERT_EQ(sockstate_table_count(t), n);
	for (uint64_t i = 0; i < n; i++) {
		uint64_t c = i % 2 ? 4096 + i : i * 0x9e3779b97f4a7c15ULL;

		s = sockstate_lookup(t, c);
		ASSERT_TRUE(s != NULL);
		ASSERT_EQ(s->cookie, c);
		ASSERT_EQ(s->fd, i);
	}
	/* Full: one more evicts exactly one, the least recently used. */
	ASSERT_EQ(sockstate_get(t, 1ULL << 63, &s), 0);
	ASSERT_EQ(sockstate_table_count(t), n);
	ASSERT_TRUE(sockstate_lookup(t, 0) == NULL);
	ASSERT_TRUE(sockstate_lookup(t, 4097) != NULL);
	sockstate_table_free(t);
}

NBTEST(kind_to_string)
{
	ASSERT_STREQ(sockstate_kind_to_string(SOCKSTATE_RECORDING),
		     "recording");
	ASSERT_STREQ(sockstate_kind_to_string(SOCKSTATE_SWITCHED), "switched");
	ASSERT_STREQ(sockstate_kind_to_string(SOCKSTATE_MAX_KIND), "?");
	ASSERT_STREQ(sockstate_kind_to_string((enum sockstate_kind) - 1), "?");
}

static const struct nbtest tests[] = {
	NBTEST_ENTRY(table_new_free),
	NBTEST_ENTRY(table_default_max),
	NBTEST_ENTRY(get_creates_lookup_finds),
	NBTEST_ENTRY(remove),
	NBTEST_ENTRY(chains),
	NBTEST_ENTRY(rekey),
	NBTEST_ENTRY(record),
	NBTEST_ENTRY(record_bound),
	NBTEST_ENTRY(replay_real_socket),
	NBTEST_ENTRY(replay_reads_the_value_now),
	NBTEST_ENTRY(replay_counts_failures),
	NBTEST_ENTRY(lru_eviction),
	NBTEST_ENTRY(sweep),
	NBTEST_ENTRY(many_entries),
	NBTEST_ENTRY(kind_to_string),
};

int main(void)
{
	return nbtest_run(tests, ARRAY_SIZE(tests));
}
