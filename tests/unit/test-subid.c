// SPDX-License-Identifier: Apache-2.0
/*
 * test-subid.c - /etc/subuid parsing (subid.h: by name and by uid,
 * several lines, malformed lines skipped), the maps built from its
 * ranges (idmap.h), up to the last id a map may name, and the choice
 * between them and the single mapping (files and helpers in a
 * temporary folder).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

static char dir[] = "/tmp/nb-subid.XXXXXX";
static char subuid[64], subgid[64], bin[64];

static void put(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "we");

	ASSERT_TRUE(f != NULL);
	ASSERT_TRUE(fputs(text, f) >= 0);
	ASSERT_EQ(fclose(f), 0);
	ASSERT_EQ(chmod(path, mode), 0);
}

/* Our uid with a range in both files, and helpers in PATH (@helpers). */
static void plan(struct idmap *m, bool helpers, bool single)
{
	char line[64], path[96];

	snprintf(line, sizeof(line), "%u:200000:1000\n", (unsigned)getuid());
	put(subuid, line, 0644);
	snprintf(line, sizeof(line), "%u:300000:2000\n", (unsigned)getuid());
	put(subgid, line, 0644);
	snprintf(path, sizeof(path), "%s/newuidmap", bin);
	put(path, "#!/bin/sh\n", helpers ? 0755 : 0644);
	snprintf(path, sizeof(path), "%s/newgidmap", bin);
	put(path, "#!/bin/sh\n", helpers ? 0755 : 0644);
	ASSERT_EQ(setenv("PATH", bin, 1), 0);
	idmap_plan(m, getuid(), getgid(), single, subuid, subgid);
}

NBTEST(plan_subids)
{
	struct idmap m;
	char want[96];

	plan(&m, true, false);
	ASSERT_TRUE(m.subids);
	ASSERT_EQ(m.uid.n, (size_t)2);
	ASSERT_EQ(m.uid.lines[0].outside, (uint32_t)getuid());
	ASSERT_EQ(m.uid.lines[1].outside, 200000u);
	ASSERT_EQ(m.gid.lines[0].outside, (uint32_t)getgid());
	ASSERT_EQ(m.gid.lines[1].count, 2000u);
	snprintf(want, sizeof(want), "%s/newgidmap", bin);
	ASSERT_STREQ(m.gid.helper, want);
	ASSERT_STREQ(m.uid.file, subuid);
}

NBTEST(plan_single_id)
{
	struct idmap m;

	plan(&m, true, true);
	ASSERT_TRUE(!m.subids);
	ASSERT_EQ(m.uid.n, (size_t)1);
	ASSERT_EQ(m.gid.n, (size_t)1);
}

NBTEST(plan_no_helper)
{
	struct idmap m;

	plan(&m, false, false);
	ASSERT_TRUE(!m.subids);
	ASSERT_EQ(m.uid.n, (size_t)1);
}

NBTEST(plan_no_range_in_one_file)
{
	struct idmap m;

	plan(&m, true, false);
	ASSERT_TRUE(m.subids);
	put(subgid, "", 0644);
	idmap_plan(&m, getuid(), getgid(), false, subuid, subgid);
	ASSERT_TRUE(!m.subids);
	ASSERT_EQ(m.gid.n, (size_t)1);
	/* No file at all is no range either. */
	idmap_plan(&m, getuid(), getgid(), false, "/nonexistent/subuid",
		   subgid);
	ASSERT_TRUE(!m.subids);
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
	NBTEST_ENTRY(plan_subids),
	NBTEST_ENTRY(plan_single_id),
	NBTEST_ENTRY(plan_no_helper),
	NBTEST_ENTRY(plan_no_range_in_one_file),
};

int main(void)
{
	char cmd[64];
	const char *path = getenv("PATH");
	_cleanup_free_ char *saved = strdup(path ? path : "/usr/bin:/bin");
	int r;

	if (!saved || !mkdtemp(dir))
		return 1;
	snprintf(subuid, sizeof(subuid), "%s/subuid", dir);
	snprintf(subgid, sizeof(subgid), "%s/subgid", dir);
	snprintf(bin, sizeof(bin), "%s/bin", dir);
	if (mkdir(bin, 0755) < 0)
		return 1;
	r = nbtest_run(tests, ARRAY_SIZE(tests));
	setenv("PATH", saved, 1); /* the tests point it at bin */
	snprintf(cmd, sizeof(cmd), "rm -rf -- '%s'", dir);
	if (system(cmd) != 0 && r == 0)
		r = 1;
	return r;
}
