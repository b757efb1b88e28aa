// SPDX-License-Identifier: Apache-2.0
/*
 * test-hostfwd.c - the host forward table: ids from 1, never reused; the
 * order of ids; duplicates refused before the backend sees them; backend
 * errors passed on without an entry; removal by id; the size bound;
 * the IPv6 rules (a guest address needed, TCP only, one family).
 * The backend here records its calls and fails on request.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "nbtest.h"
#include "s4n-hostfwd.h"
#include "util.h"

struct backend {
	int adds, removes;
	int fail_add; /* -errno for the next add, 0 for success */
	struct hostfwd last;
};

static int be_add(void *opaque, const struct hostfwd *fwd)
{
	struct backend *b = opaque;
	int r = b->fail_add;

	b->fail_add = 0;
	if (r)
		return r;
	b->adds++;
	b->last = *fwd;
	return 0;
}

static int be_remove(void *opaque, const struct hostfwd *fwd)
{
	struct backend *b = opaque;

	b->removes++;
	b->last = *fwd;
	return 0;
}

static const struct hostfwd_ops ops = { .add = be_add, .remove = be_remove };

static struct in_addr guest(void)
{
	struct in_addr a;

	inet_pton(AF_INET, "10.0.2.100", &a);
	return a;
}

static struct hostfwd fwd4(const char *host, int port, bool udp)
{
	struct hostfwd f;

	memset(&f, 0, sizeof(f));
	f.udp = udp;
	f.host.in.sin_family = AF_INET;
	inet_pton(AF_INET, host, &f.host.in.sin_addr);
	f.host.in.sin_port = htons((uint16_t)port);
	f.guest.in.sin_family = AF_INET;
	f.guest.in.sin_addr = guest();
	f.guest.in.sin_port = htons(80);
	return f;
}

/* A forward from [@host]:@port to [fd00::100]:80. */
static struct hostfwd fwd6(const char *host, int port, bool udp)
{
	struct hostfwd f;

	memset(&f, 0, sizeof(f));
	f.udp = udp;
	f.host.in6.sin6_family = AF_INET6;
	inet_pton(AF_INET6, host, &f.host.in6.sin6_addr);
	f.host.in6.sin6_port = htons((uint16_t)port);
	f.guest.in6.sin6_family = AF_INET6;
	inet_pton(AF_INET6, "fd00::100", &f.guest.in6.sin6_addr);
	f.guest.in6.sin6_port = htons(80);
	return f;
}

static struct hostfwd_table *new_table(struct backend *b, bool ipv6)
{
	struct in6_addr g6;
	struct hostfwd_table *t;

	inet_pton(AF_INET6, "fd00::100", &g6);
	t = hostfwd_table_new(&ops, b, guest(), ipv6 ? &g6 : NULL);
	ASSERT_TRUE(t != NULL);
	return t;
}

NBTEST(ids_grow_and_are_never_reused)
{
	struct backend b = { 0 };
	struct hostfwd_table *t = new_table(&b, false);
	struct hostfwd f;

	ASSERT_TRUE(t != NULL);
	f = fwd4("0.0.0.0", 8080, false);
	ASSERT_OK(hostfwd_add(t, &f));
	ASSERT_EQ(f.id, 1);
	f = fwd4("0.0.0.0", 8081, false);
	ASSERT_OK(hostfwd_add(t, &f));
	ASSERT_EQ(f.id, 2);
	ASSERT_OK(hostfwd_remove(t, 2));
	f = fwd4("0.0.0.0", 8081, false);
	ASSERT_OK(hostfwd_add(t, &f));
	ASSERT_EQ(f.id, 3);
	ASSERT_EQ(hostfwd_count(t), 2);
	ASSERT_EQ(hostfwd_at(t, 0)->id, 1);
	ASSERT_EQ(hostfwd_at(t, 1)->id, 3);
	ASSERT_TRUE(hostfwd_at(t, 2) == NULL);
	ASSERT_EQ(b.adds, 3);
	ASSERT_EQ(b.removes, 1);
	t = hostfwd_table_free(t);
	ASSERT_TRUE(t == NULL);
}

NBTEST(duplicates_refused_before_the_backend)
{
	struct backend b = { 0 };
	struct hostfwd_table *t = new_table(&b, false);
	struct hostfwd f;

	f = fwd4("127.0.0.1", 9000, false);
	ASSERT_OK(hostfwd_add(t, &f));
	f = fwd4("127.0.0.1", 9000, false);
	ASSERT_EQ(hostfwd_add(t, &f), -EADDRINUSE);
	ASSERT_EQ(b.adds, 1);
	/* Another protocol, address or family is another forward. */
	f = fwd4("127.0.0.1", 9000, true);
	ASSERT_OK(hostfwd_add(t, &f));
	f = fwd4("127.0.0.2", 9000, false);
	ASSERT_OK(hostfwd_add(t, &f));
	ASSERT_EQ(hostfwd_count(t), 3);
	hostfwd_table_free(t);
	t = new_table(&b, true);
	f = fwd4("0.0.0.0", 9000, false);
	ASSERT_OK(hostfwd_add(t, &f));
	f = fwd6("::", 9000, false);
	ASSERT_OK(hostfwd_add(t, &f));
	ASSERT_EQ(hostfwd_add(t, &f), -EADDRINUSE);
	ASSERT_EQ(hostfwd_count(t), 2);
	hostfwd_table_free(t);
}

NBTEST(ipv6_rules)
{
	struct backend b = { 0 };
	struct hostfwd_table *t = new_table(&b, false);
	struct hostfwd f = fwd6("::", 9000, false);
	struct in6_addr a;

	/* No IPv6 guest: no IPv6 forward. */
	ASSERT_TRUE(!hostfwd_default_guest6(t, &a));
	ASSERT_EQ(hostfwd_add(t, &f), -EAFNOSUPPORT);
	hostfwd_table_free(t);
	t = new_table(&b, true);
	ASSERT_TRUE(hostfwd_default_guest6(t, &a));
	ASSERT_OK(hostfwd_add(t, &f));
	/* UDP over IPv6: libslirp 4.7 never routes the replies back. */
	f = fwd6("::", 9001, true);
	ASSERT_EQ(hostfwd_add(t, &f), -EAFNOSUPPORT);
	/* Families must match: libslirp 4.7 cannot translate. */
	f = fwd6("::", 9002, false);
	f.guest = fwd4("0.0.0.0", 1, false).guest;
	ASSERT_EQ(hostfwd_add(t, &f), -EINVAL);
	f = fwd4("0.0.0.0", 9003, false);
	f.guest = fwd6("::", 1, false).guest;
	ASSERT_EQ(hostfwd_add(t, &f), -EINVAL);
	ASSERT_EQ(b.adds, 1);
	hostfwd_table_free(t);
}

NBTEST(backend_errors_leave_no_entry)
{
	struct backend b = { .fail_add = -EACCES };
	struct hostfwd_table *t = new_table(&b, false);
	struct hostfwd f = fwd4("0.0.0.0", 80, false);

	ASSERT_EQ(hostfwd_add(t, &f), -EACCES);
	ASSERT_EQ(hostfwd_count(t), 0);
	/* The failed add used no id. */
	f = fwd4("0.0.0.0", 8080, false);
	ASSERT_OK(hostfwd_add(t, &f));
	ASSERT_EQ(f.id, 1);
	hostfwd_table_free(t);
}

NBTEST(remove_unknown_and_removed_ids)
{
	struct backend b = { 0 };
	struct hostfwd_table *t = new_table(&b, false);
	struct hostfwd f = fwd4("0.0.0.0", 8080, true);

	ASSERT_EQ(hostfwd_remove(t, 1), -ENOENT);
	ASSERT_OK(hostfwd_add(t, &f));
	ASSERT_OK(hostfwd_remove(t, f.id));
	/* The backend got the forward as it was added. */
	ASSERT_TRUE(b.last.udp);
	ASSERT_EQ(ntohs(b.last.host.in.sin_port), 8080);
	ASSERT_EQ(hostfwd_remove(t, f.id), -ENOENT);
	ASSERT_EQ(hostfwd_remove(t, 0), -ENOENT);
	ASSERT_EQ(b.removes, 1);
	hostfwd_table_free(t);
}

NBTEST(bad_forwards_refused)
{
	struct backend b = { 0 };
	struct hostfwd_table *t = new_table(&b, false);
	struct hostfwd f = fwd4("0.0.0.0", 0, false);

	ASSERT_EQ(hostfwd_add(t, &f), -EINVAL);
	f = fwd4("0.0.0.0", 80, false);
	f.guest.in.sin_port = 0;
	ASSERT_EQ(hostfwd_add(t, &f), -EINVAL);
	f = fwd4("0.0.0.0", 80, false);
	f.host.sa.sa_family = AF_UNIX;
	ASSERT_EQ(hostfwd_add(t, &f), -EINVAL);
	ASSERT_EQ(b.adds, 0);
	hostfwd_table_free(t);
}

NBTEST(table_is_bounded)
{
	struct backend b = { 0 };
	struct hostfwd_table *t = new_table(&b, false);
	struct hostfwd f;

	for (int i = 0; i < HOSTFWD_MAX; i++) {
		f = fwd4("0.0.0.0", 1 + i, false);
		ASSERT_OK(hostfwd_add(t, &f));
	}
	f = fwd4("0.0.0.0", 60000, false);
	ASSERT_EQ(hostfwd_add(t, &f), -ENOSPC);
	/* Room again after a removal. */
	ASSERT_OK(hostfwd_remove(t, 7));
	ASSERT_OK(hostfwd_add(t, &f));
	ASSERT_EQ(hostfwd_count(t), HOSTFWD_MAX);
	ASSERT_EQ(hostfwd_at(t, HOSTFWD_MAX - 1)->id, HOSTFWD_MAX + 1);
	hostfwd_table_free(t);
}

int main(void)
{
	static const struct nbtest tests[] = {
		NBTEST_ENTRY(ids_grow_and_are_never_reused),
		NBTEST_ENTRY(duplicates_refused_before_the_backend),
		NBTEST_ENTRY(ipv6_rules),
		NBTEST_ENTRY(backend_errors_leave_no_entry),
		NBTEST_ENTRY(remove_unknown_and_removed_ids),
		NBTEST_ENTRY(bad_forwards_refused),
		NBTEST_ENTRY(table_is_bounded),
	};

	return nbtest_run(tests, ARRAY_SIZE(tests));
}
