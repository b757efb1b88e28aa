// SPDX-License-Identifier: Apache-2.0
/*
 * test-nsagent-client.c - parsing nsagent's subnet reports.
 *
 * Reports come from a helper that runs inside the container's namespaces,
 * so they are treated as hostile input: a malformed report must be
 * rejected whole (the agent keeps its previous list), and the number of
 * subnets is bounded.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "nbtest.h"
#include "nsagent-client.h"
#include "policy.h"
#include "util.h"

static int parse(const char *msg, struct cidr *out, size_t max, size_t *n)
{
	return nsagent_parse_report(msg, strlen(msg), out, max, n);
}

NBTEST(parses_snapshot)
{
	struct cidr c[4];
	char buf[64];
	size_t n = 99;

	ASSERT_EQ(parse("subnets 127.0.0.0/8 10.5.6.0/24 fd00:1::/64\n", c, 4,
			&n), 0);
	ASSERT_EQ(n, 3);
	ASSERT_STREQ(cidr_format(&c[0], buf, sizeof(buf)), "127.0.0.0/8");
	ASSERT_STREQ(cidr_format(&c[1], buf, sizeof(buf)), "10.5.6.0/24");
	ASSERT_STREQ(cidr_format(&c[2], buf, sizeof(buf)), "fd00:1::/64");
}

NBTEST(empty_snapshot_clears)
{
	struct cidr c[1];
	size_t n = 99;

	ASSERT_EQ(parse("subnets\n", c, 1, &n), 0);
	ASSERT_EQ(n, 0);
	ASSERT_EQ(parse("subnets", c, 1, &n), 0);
	ASSERT_EQ(n, 0);
}

NBTEST(rejects_malformed)
{
	static const char *const bad[] = {
		"",
		"subnet 10.0.0.0/8\n",
		"SUBNETS 10.0.0.0/8\n",
		"subnets10.0.0.0/8\n",
		"subnets 10.0.0.0/33\n",
		"subnets 10.0.0.0/8 garbage\n",
		"subnets 10.0.0.0/8\n10.1.0.0/16\n",
		"subnets 10.0.0.0/8\t10.1.0.0/16\n",
		"subnets 111111111111111111111111111111111111111111111111111111111111111111111111/8\n",
	};
	struct cidr c[8];
	size_t n;

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		if (parse(bad[i], c, 8, &n) != -EINVAL)
			nbtest_fail(__FILE__, __LINE__, "accepted \"%s\"",
				    bad[i]);
}

NBTEST(not_nul_terminated)
{
	/* The message is a byte buffer: parsing stops at @len. */
	const char msg[] = "subnets 10.0.0.0/8 10.1.0.0/16";
	struct cidr c[4];
	size_t n;

	ASSERT_EQ(nsagent_parse_report(msg, strlen("subnets 10.0.0.0/8"), c, 4,
				       &n), 0);
	ASSERT_EQ(n, 1);
}

NBTEST(bounded)
{
	struct cidr c[2];
	size_t n;

	ASSERT_EQ(parse("subnets 10.0.0.0/8 10.1.0.0/16 10.2.0.0/16\n", c, 2,
			&n), -ENOSPC);
	ASSERT_EQ(parse("subnets 10.0.0.0/8 10.1.0.0/16\n", c, 2, &n), 0);
	ASSERT_EQ(n, 2);
}

NBTEST(report_feeds_policy)
{
	struct cidr c[4];
	struct policy *p = calloc(1, sizeof(*p));
	struct sockaddr_in sin = { .sin_family = AF_INET };
	size_t n;

	ASSERT_TRUE(p != NULL);
	policy_init(p);
	inet_pton(AF_INET, "10.5.6.9", &sin.sin_addr);
	ASSERT_EQ(policy_classify(p, (struct sockaddr *)&sin, sizeof(sin)),
		  POLICY_DEST_BYPASS);
	ASSERT_EQ(parse("subnets 10.5.6.0/24\n", c, 4, &n), 0);
	ASSERT_EQ(policy_set_subnets(p, c, n), 0);
	ASSERT_EQ(policy_classify(p, (struct sockaddr *)&sin, sizeof(sin)),
		  POLICY_DEST_SUBNET);
	free(p);
}

int main(void)
{
	static const struct nbtest tests[] = {
		NBTEST_ENTRY(parses_snapshot),
		NBTEST_ENTRY(empty_snapshot_clears),
		NBTEST_ENTRY(rejects_malformed),
		NBTEST_ENTRY(not_nul_terminated),
		NBTEST_ENTRY(bounded),
		NBTEST_ENTRY(report_feeds_policy),
	};

	return nbtest_run(tests, ARRAY_SIZE(tests));
}
