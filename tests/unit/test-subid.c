// SPDX-License-Identifier: Apache-2.0
/*
 * test-subid.c - /etc/subuid parsing (subid.h: by name and by uid,
 * several lines, malformed lines skipped) and the maps built from its
 * ranges (idmap.h), up to the last id a map may name.
 */
#include <stdio.h>
#include <string.h>

#include "idmap.h"
#include "nbtest.h"
#include "subid.h"
#include "util.h"

static struct subid_range got[SUBID_RANGES_MAX];

/* subid_find() over @text for alice, uid 1000. */
static int find(const char *text, size_t max)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	int n;

	ASSERT_TRUE(f != NULL);
	memset(got, 0, sizeof(got));
	n = subid_find(f, "alice", 1000, got, max);
	fclose(f);
	return n;
}

NBTEST(by_name)
{
	ASSERT_EQ(find("bob:100000:65536\nalice:165536:65536\n", 4), 1);
	ASSERT_EQ(got[0].start, 165536u);
	ASSERT_EQ(got[0].count, 65536u);
}

NBTEST(by_uid)
{
	ASSERT_EQ(find("1001:100000:65536\n1000:231072:1000", 4), 1);
	ASSERT_EQ(got[0].start, 231072u);
	ASSERT_EQ(got[0].count, 1000u);
}

NBTEST(without_a_name_only_the_uid_matches)
{
	FILE *f;
	const char *text = "alice:1:2\n1000:5:6\n";

	f = fmemopen((void *)text, strlen(text), "r");
	ASSERT_TRUE(f != NULL);
	ASSERT_EQ(subid_find(f, NULL, 1000, got, 4), 1);
	fclose(f);
	ASSERT_EQ(got[0].start, 5u);
}

NBTEST(several_lines_in_order)
{
	ASSERT_EQ(find("alice:100000:10\n# alice:1:1\n\nbob:5:5\n"
		       "1000:200000:20\nalice:300000:30\n",
		       4),
		  3);
	ASSERT_EQ(got[0].start, 100000u);
	ASSERT_EQ(got[1].start, 200000u);
	ASSERT_EQ(got[2].start, 300000u);
	ASSERT_EQ(got[2].count, 30u);
}

NBTEST(no_more_than_max)
{
	ASSERT_EQ(find("alice:1:1\nalice:2:1\nalice:3:1\n", 2), 2);
	ASSERT_EQ(got[1].start, 2u);
}

NBTEST(other_users_and_prefixes_do_not_match)
{
	ASSERT_EQ(find("alicia:1:1\nalic:2:2\n10000:3:3\n100:4:4\n"
		       " alice:5:5\n",
		       4),
		  0);
	ASSERT_EQ(find("", 4), 0);
}

NBTEST(malformed_lines_are_skipped)
{
	ASSERT_EQ(find("alice\nalice:1\nalice:1:2:3\nalice::5\n"
		       "alice:5:\nalice:-1:5\nalice:+1:5\nalice:1:5x\n"
		       "alice: 1:5\nalice:1:0\nalice:4294967295:1\n"
		       "alice:4294967296:1\nalice:4294967290:10\n"
		       "alice:1:99999999999999999999\nalice:7:8\n",
		       4),
		  1);
	ASSERT_EQ(got[0].start, 7u);
	ASSERT_EQ(got[0].count, 8u);
}

NBTEST(crlf_is_malformed)
{
	/* shadow would not take "8\r" for a number either. */
	ASSERT_EQ(find("alice:7:8\r\n", 4), 0);
}

NBTEST(the_last_range_may_end_at_the_last_id)
{
	ASSERT_EQ(find("alice:4294967294:1\n", 4), 1);
	ASSERT_EQ(got[0].start, 4294967294u);
}

NBTEST(build_single)
{
	struct idmap_side s;

	idmap_build(&s, 1000, NULL, 0);
	ASSERT_EQ(s.n, (size_t)1);
	ASSERT_EQ(s.lines[0].inside, 0u);
	ASSERT_EQ(s.lines[0].outside, 1000u);
	ASSERT_EQ(s.lines[0].count, 1u);
}

NBTEST(build_ranges_one_after_the_other)
{
	const struct subid_range r[] = { { 100000, 65536 }, { 500000, 10 } };
	struct idmap_side s;

	idmap_build(&s, 1000, r, ARRAY_SIZE(r));
	ASSERT_EQ(s.n, (size_t)3);
	ASSERT_EQ(s.lines[1].inside, 1u);
	ASSERT_EQ(s.lines[1].outside, 100000u);
	ASSERT_EQ(s.lines[1].count, 65536u);
	ASSERT_EQ(s.lines[2].inside, 65537u);
	ASSERT_EQ(s.lines[2].outside, 500000u);
	ASSERT_EQ(s.lines[2].count, 10u);
}

NBTEST(build_cuts_at_the_last_id)
{
	/* Inside ids end at 2^32 - 2, as outside ones do. */
	const struct subid_range r[] = { { 1, 4294967294u }, { 5000000, 10 } };
	struct idmap_side s;

	idmap_build(&s, 0, r, ARRAY_SIZE(r));
	ASSERT_EQ(s.n, (size_t)2);
	ASSERT_EQ(s.lines[1].inside, 1u);
	ASSERT_EQ(s.lines[1].count, 4294967294u);
}

static const struct nbtest tests[] = {
	NBTEST_ENTRY(by_name),
	NBTEST_ENTRY(by_uid),
	NBTEST_ENTRY(without_a_name_only_the_uid_matches),
	NBTEST_ENTRY(several_lines_in_order),
	NBTEST_ENTRY(no_more_than_max),
	NBTEST_ENTRY(other_users_and_prefixes_do_not_match),
	NBTEST_ENTRY(malformed_lines_are_skipped),
	NBTEST_ENTRY(crlf_is_malformed),
	NBTEST_ENTRY(the_last_range_may_end_at_the_last_id),
	NBTEST_ENTRY(build_single),
	NBTEST_ENTRY(build_ranges_one_after_the_other),
	NBTEST_ENTRY(build_cuts_at_the_last_id),
};

int main(void)
{
	return nbtest_run(tests, ARRAY_SIZE(tests));
}
