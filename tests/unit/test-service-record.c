// SPDX-License-Identifier: Apache-2.0
/*
 * test-service-record.c - a namespace's part of the service map as text:
 * it survives a round trip, the parser refuses every malformed record a
 * container of the user could write into the registry (bounded, no
 * crash), and a record merges into another agent's map without touching
 * what that agent made itself.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nbtest.h"
#include "servicetest.h"
#include "service-record.h"
#include "socktest.h"
#include "util.h"

#define NS_A 0xa1
#define NS_B 0xb2
#define NS_C 0xc3

static struct service_record *sample(void)
{
	struct service_record *r = calloc(1, sizeof(*r));

	ASSERT_TRUE(r);
	r->netns = NS_A;
	r->c2c = true;
	r->addrs[r->n_addrs++] = svctest_addr("10.41.0.100");
	r->addrs[r->n_addrs++] = svctest_addr("fd41::100");
	r->entries[r->n_entries++] = svctest_entry(NS_A, "::", 8080, false,
						   "::", 18080, 0x1234);
	r->entries[r->n_entries++] = svctest_entry(NS_A, "10.41.0.100", 9090,
						   false, "0.0.0.0", 19090, 7);
	r->entries[r->n_entries++] = svctest_entry(NS_A, "::ffff:10.41.0.100",
						   9191, false, "::", 19191,
						   UINT64_MAX);
	r->entries[r->n_entries++] = svctest_entry(NS_A, "::", 9292, true,
						   "::", 19292, 9);
	return r;
}

NBTEST(round_trip)
{
	_cleanup_free_ struct service_record *r = sample(), *back = NULL;
	static char text[SERVICE_RECORD_TEXT_MAX];
	int n;

	back = calloc(1, sizeof(*back));
	ASSERT_TRUE(back);
	n = service_record_format(r, text, sizeof(text));
	ASSERT_OK(n);
	ASSERT_EQ(strlen(text), n);
	ASSERT_OK(
		service_record_parse(text, (size_t)n, SERVICE_REGISTRY, back));
	ASSERT_EQ(back->netns, NS_A);
	ASSERT_TRUE(back->c2c);
	ASSERT_EQ(back->n_addrs, 2);
	ASSERT_TRUE(memcmp(back->addrs, r->addrs, 2 * sizeof(r->addrs[0])) ==
		    0);
	ASSERT_EQ(back->n_entries, r->n_entries);
	for (size_t i = 0; i < r->n_entries; i++) {
		struct service_entry want = r->entries[i];

		want.origin = SERVICE_REGISTRY;
		ASSERT_TRUE(memcmp(&back->entries[i], &want, sizeof(want)) ==
			    0);
	}
	/* Too small a buffer: -ENOSPC, never a cut record. */
	ASSERT_EQ(service_record_format(r, text, 40), -ENOSPC);
}

NBTEST(the_longest_record_fits)
{
	_cleanup_free_ struct service_record *r = calloc(1, sizeof(*r));
	static char text[SERVICE_RECORD_TEXT_MAX];
	static struct service_record back;
	const char *a6 = "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe";

	ASSERT_TRUE(r);
	r->netns = UINT64_MAX;
	for (; r->n_addrs < SERVICE_ADDRS_MAX; r->n_addrs++)
		r->addrs[r->n_addrs] = svctest_addr(a6);
	for (; r->n_entries < SERVICE_RECORD_ENTRIES_MAX; r->n_entries++)
		r->entries[r->n_entries] = svctest_entry(UINT64_MAX, a6, 65535,
							 true, a6, 65535,
							 UINT64_MAX);
	ASSERT_OK(service_record_format(r, text, sizeof(text)));
	ASSERT_OK(service_record_parse(text, strlen(text), SERVICE_PARENT,
				       &back));
	ASSERT_EQ(back.n_entries, SERVICE_RECORD_ENTRIES_MAX);
	/* One more of either: out of bounds. */
	r->n_addrs++;
	ASSERT_EQ(service_record_format(r, text, sizeof(text)), -EINVAL);
}

/* @text with "%s" replaced by @line, parsed. */
static int parse_with(const char *line)
{
	static struct service_record r;
	char text[1024];

	snprintf(text, sizeof(text),
		 "nsbypass-services 1\nnetns a1\nc2c 1\naddr 10.0.2.100\n"
		 "%s\nend\n",
		 line);
	return service_record_parse(text, strlen(text), SERVICE_REGISTRY, &r);
}

NBTEST(hostile_lines_are_refused)
{
	static const char *const bad[] = {
		"entry 10.0.2.100 80 0 0.0.0.0 8080 0 0", /* cookie 0 */
		"entry 10.0.2.100 0 0 0.0.0.0 8080 0 1",  /* port 0 */
		"entry 10.0.2.100 80 0 0.0.0.0 65536 0 1",
		"entry 10.0.2.100 80 0 0.0.0.0 -1 0 1",
		"entry 10.0.2.100 80 0 0.0.0.0 +80 0 1",
		"entry 10.0.2.100 80 2 0.0.0.0 8080 0 1", /* flag 2 */
		"entry 10.0.2.100 80 1 0.0.0.0 8080 0 1", /* v6only on v4 */
		"entry 10.0.2.100 80 0 :: 8080 0 1",	  /* families differ */
		"entry 10.0.2.100 80 0 0.0.0.0 8080 0 1 extra",
		"entry 10.0.2.100 80 0 0.0.0.0 8080 0",
		"entry 10.0.2.1000 80 0 0.0.0.0 8080 0 1",
		"entry 10.0.2.100 80 0 0.0.0.0 8080 0 10000000000000000",
		"entry 10.0.2.100 80 0 0.0.0.0 8080 0 0x1",
		"entry 10.0.2.100  80 0 0.0.0.0 8080 0 1", /* empty token */
		"addr 10.0.2.100", /* after an entry (below) */
		"c2c 1",	   /* out of order */
		"netns a2",
		"bogus",
		"",
		"end",
	};
	static const char *const good = "entry 10.0.2.100 80 0 0.0.0.0 8080 0 1";

	ASSERT_OK(parse_with(good));
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		/* "addr" after "addr" is fine: move it past an entry. */
		char line[256];

		if (strncmp(bad[i], "addr", 4) == 0)
			snprintf(line, sizeof(line), "%s\n%s", good, bad[i]);
		else
			snprintf(line, sizeof(line), "%s", bad[i]);
		if (parse_with(line) != -EINVAL)
			nbtest_fail(__FILE__, __LINE__, "accepted: %s", line);
	}
}

NBTEST(hostile_framing_is_refused)
{
	static struct service_record r;
	const char *ok = "nsbypass-services 1\nnetns a1\nc2c 0\nend\n";
	static char big[SERVICE_RECORD_TEXT_MAX + 2];
	char buf[128];

	ASSERT_OK(service_record_parse(ok, strlen(ok), SERVICE_REGISTRY, &r));
	ASSERT_EQ(r.n_addrs + r.n_entries, 0);
	/* Cut anywhere: refused. */
	for (size_t n = 0; n < strlen(ok); n++)
		ASSERT_EQ(service_record_parse(ok, n, SERVICE_REGISTRY, &r),
			  -EINVAL);
	/* A NUL inside, text after end, no magic, netns 0, a long line. */
	memcpy(buf, ok, strlen(ok) + 1);
	buf[22] = '\0';
	ASSERT_EQ(service_record_parse(buf, strlen(ok), SERVICE_REGISTRY, &r),
		  -EINVAL);
	snprintf(buf, sizeof(buf), "%send\n", ok);
	ASSERT_EQ(service_record_parse(buf, strlen(buf), SERVICE_REGISTRY, &r),
		  -EINVAL);
	ASSERT_EQ(service_record_parse(ok + 20, strlen(ok) - 20,
				       SERVICE_REGISTRY, &r),
		  -EINVAL);
	snprintf(buf, sizeof(buf),
		 "nsbypass-services 1\nnetns 0\nc2c 0\nend\n");
	ASSERT_EQ(service_record_parse(buf, strlen(buf), SERVICE_REGISTRY, &r),
		  -EINVAL);
	memset(big, 'a', sizeof(big));
	ASSERT_EQ(service_record_parse(big, sizeof(big), SERVICE_REGISTRY, &r),
		  -EINVAL);
	memcpy(big, "nsbypass-services 1\nnetns ", 26);
	big[300] = '\n';
	ASSERT_EQ(service_record_parse(big, 301, SERVICE_REGISTRY, &r),
		  -EINVAL);
	/* Too many addresses. */
	{
		size_t off = (size_t)snprintf(big, sizeof(big), "%.*s",
					      (int)(strlen(ok) - 4), ok);

		for (int i = 0; i <= SERVICE_ADDRS_MAX; i++)
			off += (size_t)snprintf(big + off, sizeof(big) - off,
						"addr 10.0.0.%d\n", i);
		off += (size_t)snprintf(big + off, sizeof(big) - off, "end\n");
		ASSERT_EQ(service_record_parse(big, off, SERVICE_REGISTRY, &r),
			  -EINVAL);
	}
}

NBTEST(apply_keeps_own_entries)
{
	_cleanup_free_ struct service_record *r = sample(), *got = NULL;
	struct service_map *m = service_map_new();
	struct service_entry own = svctest_entry(NS_B, "::", 7070, false,
						 "::", 17070, 0x77);
	struct service_addr b = svctest_addr("10.42.0.100");

	got = calloc(1, sizeof(*got));
	ASSERT_TRUE(m && got);
	ASSERT_OK(service_map_add(m, &own));
	ASSERT_OK(service_map_set_netns(m, NS_B, &b, 1, true));

	/* A's record lands in B's map as the parent's. */
	ASSERT_OK(service_record_apply(m, r, SERVICE_PARENT, NS_B));
	ASSERT_EQ(m->n, 5);
	ASSERT_EQ(m->n_netns, 2);
	/* B's record of its own namespace carries only what B made. */
	ASSERT_EQ(service_record_collect(m, NS_B, got), 0);
	ASSERT_EQ(got->n_entries, 1);
	ASSERT_EQ(got->entries[0].listener.cookie, 0x77);
	ASSERT_EQ(got->n_addrs, 1);
	ASSERT_TRUE(got->c2c);

	/* A newer record of A replaces the older: one entry left. */
	r->n_entries = 1;
	ASSERT_OK(service_record_apply(m, r, SERVICE_PARENT, NS_B));
	ASSERT_EQ(m->n, 2);

	/* A pod-mate's record of B's own namespace: B's entry and
	 * addresses are kept, the pod-mate's entry comes in. */
	r->netns = NS_B;
	r->n_addrs = 0;
	r->entries[0] = svctest_entry(NS_B, "::", 6060, false, "::", 16060,
				      0x66);
	r->entries[r->n_entries++] = own;
	ASSERT_OK(service_record_apply(m, r, SERVICE_PARENT, NS_B));
	ASSERT_EQ(m->n, 3);
	ASSERT_EQ(service_record_collect(m, NS_B, got), 0);
	ASSERT_EQ(got->n_entries, 1);
	ASSERT_EQ(got->n_addrs, 1);

	/* The parent withdraws A: its entries and addresses go; B keeps
	 * its own entry and addresses when its pod-mate's are withdrawn. */
	ASSERT_EQ(service_record_withdraw(m, NS_A, SERVICE_PARENT, NS_B), 1);
	ASSERT_EQ(m->n_netns, 1);
	ASSERT_EQ(service_record_withdraw(m, NS_B, SERVICE_PARENT, NS_B), 1);
	ASSERT_EQ(m->n, 1);
	ASSERT_EQ(m->n_netns, 1);
	ASSERT_EQ(service_record_apply(m, r, SERVICE_OWN, NS_B), -EINVAL);
	service_map_free(m);
}

/* The origin of the entry of host listener @cookie in @m; -1: none. */
static int origin_of(const struct service_map *m, uint64_t cookie)
{
	for (size_t i = 0; i < m->n; i++)
		if (m->entries[i].listener.cookie == cookie)
			return m->entries[i].origin;
	return -1;
}

/*
 * An `nsbypass oci` agent hears of its daemon's other containers twice:
 * from its parent and from the per-user registry.  Whichever comes
 * first, the parent's copy wins: the loopback exception trusts it, and a
 * registry file (any container of the user can write one) that claims a
 * listener's cookie first must not keep the parent's entry out.
 */
NBTEST(parent_upgrades_registry_copy)
{
	_cleanup_free_ struct service_record *r = sample(), *forged = NULL;
	struct service_map *m = service_map_new();
	const struct service_entry *e;

	forged = calloc(1, sizeof(*forged));
	ASSERT_TRUE(m && forged);
	/* The registry first: A's record, and a forged one of C that
	 * claims A's listener 7 for a port of its own. */
	ASSERT_OK(service_record_apply(m, r, SERVICE_REGISTRY, NS_B));
	forged->netns = NS_C;
	forged->c2c = true;
	forged->addrs[forged->n_addrs++] = svctest_addr("10.43.0.100");
	forged->entries[forged->n_entries++] = svctest_entry(NS_C, "::", 2222,
							     false, "::", 19090,
							     7);
	ASSERT_OK(service_record_apply(m, forged, SERVICE_REGISTRY, NS_B));
	ASSERT_EQ(m->n, 4);
	ASSERT_EQ(origin_of(m, 0x1234), SERVICE_REGISTRY);

	/* The parent's record of A: every entry becomes the parent's, with
	 * the parent's content. */
	ASSERT_OK(service_record_apply(m, r, SERVICE_PARENT, NS_B));
	ASSERT_EQ(m->n, 4);
	for (size_t i = 0; i < r->n_entries; i++)
		ASSERT_EQ(origin_of(m, r->entries[i].listener.cookie),
			  SERVICE_PARENT);

	/* The registry again, then C's forged claim: the parent's stay. */
	ASSERT_OK(service_record_apply(m, r, SERVICE_REGISTRY, NS_B));
	ASSERT_OK(service_record_apply(m, forged, SERVICE_REGISTRY, NS_B));
	ASSERT_EQ(m->n, 4);
	ASSERT_EQ(origin_of(m, 7), SERVICE_PARENT);
	for (size_t i = 0; i < m->n; i++) {
		e = &m->entries[i];
		ASSERT_EQ(e->netns, NS_A);
		ASSERT_EQ(e->origin, SERVICE_PARENT);
	}

	/* The registry's file of A goes: nothing of the parent's does. */
	ASSERT_EQ(service_record_withdraw(m, NS_A, SERVICE_REGISTRY, NS_B), 0);
	ASSERT_EQ(m->n, 4);
	ASSERT_EQ(service_record_withdraw(m, NS_A, SERVICE_PARENT, NS_B), 4);
	ASSERT_EQ(m->n, 0);

	/* The forged claim first, then the parent's record: the parent's
	 * entry replaces it, in A's namespace. */
	ASSERT_OK(service_record_apply(m, forged, SERVICE_REGISTRY, NS_B));
	ASSERT_EQ(origin_of(m, 7), SERVICE_REGISTRY);
	ASSERT_OK(service_record_apply(m, r, SERVICE_PARENT, NS_B));
	ASSERT_EQ(m->n, 4);
	for (size_t i = 0; i < m->n; i++) {
		e = &m->entries[i];
		ASSERT_EQ(e->netns, NS_A);
		ASSERT_EQ(e->origin, SERVICE_PARENT);
		if (e->listener.cookie == 7)
			ASSERT_EQ(e->server.port, 9090);
	}
	service_map_free(m);
}

int main(void)
{
	static const struct nbtest tests[] = {
		NBTEST_ENTRY(round_trip),
		NBTEST_ENTRY(the_longest_record_fits),
		NBTEST_ENTRY(hostile_lines_are_refused),
		NBTEST_ENTRY(hostile_framing_is_refused),
		NBTEST_ENTRY(apply_keeps_own_entries),
		NBTEST_ENTRY(parent_upgrades_registry_copy),
	};

	return nbtest_run(tests, ARRAY_SIZE(tests));
}
