// SPDX-License-Identifier: Apache-2.0
/*
 * test-cluster-state.c - the etcd client's state message (format, the
 * strict parse: every line in its place and bounds, nothing more), and
 * what the daemon makes of it: the status's "cluster" object, the
 * cluster's metrics, and the line `nsbypass status` prints under its
 * table, up, down, starting and with no client.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent-report.h"
#include "cluster-report.h"
#include "cluster-state.h"
#include "nbtest.h"
#include "status-table.h"
#include "util.h"

static const struct cluster_state up_state = {
	.up = true,
	.endpoint = "http://10.77.0.3:2379",
	.since = 1000,
	.revision = 42,
	.lease = 0x694d7a8e0c3b2f11,
	.ttl = 15,
	.keys = 3,
	.remote = 5,
	.nodes = 2,
	.collisions = 1,
	.outages = 1,
	.error = "watch ended: Connection reset by peer",
};

static const char up_text[] =
	"nsbypass-cluster-state 1\nup 1\nendpoint http://10.77.0.3:2379\n"
	"since 1000\nrevision 42\nlease 694d7a8e0c3b2f11\nttl 15\nkeys 3\n"
	"remote 5\nnodes 2\ncollisions 1\noutages 1\n"
	"error watch ended: Connection reset by peer\nend\n";

NBTEST(format_and_parse)
{
	struct cluster_state s = up_state, back;
	char buf[CLUSTER_STATE_TEXT_MAX + 1];

	ASSERT_EQ(cluster_state_format(&s, buf, sizeof(buf)),
		  (int)strlen(up_text));
	ASSERT_STREQ(buf, up_text);
	ASSERT_TRUE(cluster_state_is(buf, strlen(buf)));
	ASSERT_OK(cluster_state_parse(buf, strlen(buf), &back));
	ASSERT_TRUE(memcmp(&back, &s, sizeof(s)) == 0);
	/* Nothing yet: empty endpoint and error, no lease. */
	memset(&s, 0, sizeof(s));
	ASSERT_TRUE(cluster_state_format(&s, buf, sizeof(buf)) > 0);
	ASSERT_OK(cluster_state_parse(buf, strlen(buf), &back));
	ASSERT_TRUE(memcmp(&back, &s, sizeof(s)) == 0);
	/* What the network put in an error is shown, never a newline. */
	s = up_state;
	strcpy(s.error, "bad\nline\x7f");
	ASSERT_TRUE(cluster_state_format(&s, buf, sizeof(buf)) > 0);
	ASSERT_OK(cluster_state_parse(buf, strlen(buf), &back));
	ASSERT_STREQ(back.error, "bad?line?");
	ASSERT_EQ(cluster_state_format(&up_state, buf, 32), -ENOSPC);
}

/* @text with its first @from replaced by @to must be refused. */
static void refused(const char *from, const char *to)
{
	char buf[2 * CLUSTER_STATE_TEXT_MAX];
	const char *at = strstr(up_text, from);
	struct cluster_state s;

	ASSERT_TRUE(at != NULL);
	snprintf(buf, sizeof(buf), "%.*s%s%s", (int)(at - up_text), up_text, to,
		 at + strlen(from));
	if (cluster_state_parse(buf, strlen(buf), &s) != -EINVAL)
		nbtest_fail(__FILE__, __LINE__, "not refused: %s", buf);
}

NBTEST(parse_is_strict)
{
	struct cluster_state s;
	char big[CLUSTER_STATE_TEXT_MAX + 64];

	refused("nsbypass-cluster-state 1", "nsbypass-cluster-state 2");
	refused("up 1", "up 2");
	refused("up 1", "up  1");
	refused("up 1\n", "");
	refused("since 1000", "since -1");
	refused("since 1000", "since 01000");
	refused("since 1000", "since 18446744073709551616");
	refused("revision 42", "revision 9223372036854775808");
	refused("lease 694d", "lease 694D");
	refused("ttl 15", "ttl 4294967296");
	refused("keys 3", "keys 3x");
	refused("keys 3\nremote 5", "remote 5\nkeys 3");
	refused("nodes 2\n", "nodes 2\nnodes 2\n");
	refused("http://10.77.0.3:2379", "http://a\tb");
	refused("end\n", "end");
	refused("end\n", "end\nmore\n");
	refused("end\n", "");
	memset(big, 'a', sizeof(big));
	memcpy(big, up_text, strlen(up_text));
	ASSERT_EQ(cluster_state_parse(big, sizeof(big), &s), -EINVAL);
	/* An endpoint one past its bound. */
	memset(big, 'x', CLUSTER_STATE_ENDPOINT_MAX + 1);
	big[CLUSTER_STATE_ENDPOINT_MAX + 1] = '\0';
	refused("http://10.77.0.3:2379", big);
	ASSERT_TRUE(!cluster_state_is("nsbypass-services 1\n", 20));
}

static const struct agent_report_daemon base = {
	.version = "0.1.0-test",
	.pid = 1234,
	.started_ns = UINT64_C(900) * 1000000000u,
	.now_ns = UINT64_C(1100) * 1000000000u,
};

/* The status of a daemon with no container and cluster report @r. */
static char *status_of(const struct cluster_report *r)
{
	struct agent_report_daemon d = base;

	d.cluster = r;
	return agent_report_json(&d, NULL, 0);
}

NBTEST(status_json)
{
	struct cluster_report r = { "node-1", 77, 2, &up_state };
	char *text = status_of(&r);

	ASSERT_STREQ(
		text,
		"{\"version\":\"0.1.0-test\",\"pid\":1234,\"uptime_s\":200,"
		"\"containers\":[],\"cluster\":{\"node\":\"node-1\","
		"\"client_pid\":77,\"client_restarts\":2,\"etcd\":\"up\","
		"\"endpoint\":\"http://10.77.0.3:2379\",\"for_s\":100,"
		"\"revision\":42,\"lease\":\"694d7a8e0c3b2f11\",\"ttl_s\":15,"
		"\"keys\":3,\"remote_namespaces\":5,\"remote_nodes\":2,"
		"\"collisions\":1,\"outages\":1,\"last_error\":\"watch ended: "
		"Connection reset by peer\"}}\n");
	free(text);
	r = (struct cluster_report){ "node-1", 0, 3, NULL };
	text = status_of(&r);
	ASSERT_TRUE(strstr(text, "\"cluster\":{\"node\":\"node-1\","
				 "\"client_pid\":null,\"client_restarts\":3,"
				 "\"etcd\":\"unknown\"}}") != NULL);
	free(text);
}

/* The table's last line for cluster report @r. */
static char *line_of(const struct cluster_report *r)
{
	char err[64], *json = status_of(r), *table, *nl, *ret;

	table = status_table(json, strlen(json), err, sizeof(err));
	ASSERT_TRUE(table != NULL);
	/* The header, then the line. */
	nl = strchr(table, '\n');
	ASSERT_TRUE(nl != NULL);
	ret = strdup(nl + 1);
	free(table);
	free(json);
	return ret;
}

NBTEST(status_line)
{
	struct cluster_state down = up_state;
	struct cluster_report r = { "node-1", 77, 0, &up_state };
	char *line = line_of(&r);

	ASSERT_STREQ(line, "cluster: node node-1, etcd up for 1m40s at "
			   "http://10.77.0.3:2379 (revision 42, lease "
			   "694d7a8e0c3b2f11, TTL 15s): 3 key(s) of ours, 5 "
			   "namespace(s) of 2 other node(s), 1 collision(s), "
			   "1 outage\n");
	free(line);
	down.up = false;
	down.since = 1058;
	down.outages = 2;
	r.state = &down;
	line = line_of(&r);
	ASSERT_STREQ(line, "cluster: node node-1, etcd down for 42s "
			   "(http://10.77.0.3:2379: watch ended: Connection "
			   "reset by peer), the last map serves: 3 key(s) of "
			   "ours, 5 namespace(s) of 2 other node(s), 1 "
			   "collision(s), 2 outages\n");
	free(line);
	r.state = NULL;
	line = line_of(&r);
	ASSERT_STREQ(line,
		     "cluster: node node-1, etcd client starting (pid 77)\n");
	free(line);
	r.client_pid = 0;
	r.client_restarts = 4;
	line = line_of(&r);
	ASSERT_STREQ(line, "cluster: node node-1, no etcd client runs (4 "
			   "restart(s)): other nodes' services are not "
			   "served\n");
	free(line);
	/* A node name with a newline stays on one line. */
	r.node = "a\nb";
	line = line_of(&r);
	ASSERT_TRUE(strncmp(line, "cluster: node a?b, ", 19) == 0);
	ASSERT_TRUE(strchr(line, '\n') == line + strlen(line) - 1);
	free(line);
}

NBTEST(metrics)
{
	static const char *want_up[] = {
		"# TYPE nsbypass_cluster_info gauge\n"
		"nsbypass_cluster_info{node=\"n\\\"1\"} 1\n",
		"nsbypass_cluster_up 1\n",
		"nsbypass_cluster_client_restarts_total 2\n",
		"nsbypass_cluster_revision 42\n",
		"nsbypass_cluster_keys 3\n",
		"nsbypass_cluster_remote_namespaces 5\n",
		"nsbypass_cluster_remote_nodes 2\n",
		"nsbypass_cluster_collisions 1\n",
		"# TYPE nsbypass_cluster_outages_total counter\n"
		"nsbypass_cluster_outages_total 1\n",
	};
	struct cluster_report r = { "n\"1", 77, 2, &up_state };
	struct agent_report_daemon d = base;
	char *text;

	d.cluster = &r;
	text = agent_report_metrics(&d, NULL, 0);
	ASSERT_TRUE(text != NULL);
	for (size_t i = 0; i < ARRAY_SIZE(want_up); i++)
		if (!strstr(text, want_up[i]))
			nbtest_fail(__FILE__, __LINE__, "no \"%s\" in:\n%s",
				    want_up[i], text);
	free(text);
	/* No state yet: down, and no figure it does not have. */
	r.state = NULL;
	text = agent_report_metrics(&d, NULL, 0);
	ASSERT_TRUE(strstr(text, "nsbypass_cluster_up 0\n") != NULL);
	ASSERT_TRUE(strstr(text, "nsbypass_cluster_revision") == NULL);
	free(text);
	/* Without --cluster, no cluster family at all. */
	text = agent_report_metrics(&base, NULL, 0);
	ASSERT_TRUE(strstr(text, "nsbypass_cluster") == NULL);
	free(text);
}

int main(void)
{
	static const struct nbtest tests[] = {
		NBTEST_ENTRY(format_and_parse), NBTEST_ENTRY(parse_is_strict),
		NBTEST_ENTRY(status_json),	NBTEST_ENTRY(status_line),
		NBTEST_ENTRY(metrics),
	};

	return nbtest_run(tests, ARRAY_SIZE(tests));
}
