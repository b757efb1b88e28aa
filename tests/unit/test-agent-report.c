// SPDX-License-Identifier: Apache-2.0
/*
 * test-agent-report.c - the status JSON, the Prometheus text and the
 * status table of `nsbypass oci`'s agents, exactly, from crafted shared
 * memory: every field, an id that needs escaping (a quote, a backslash,
 * a newline), the errno names, the histogram's cumulative buckets, the
 * exec label of a second agent of one container, and the quantiles at
 * their edges (no sample, all in the last bucket).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "agent-report.h"
#include "nbtest.h"
#include "status-table.h"
#include "util.h"

#define S(sec) ((uint64_t)(sec)*1000000000u)

static const struct agent_report_daemon daemon_info = {
	.version = "0.1.0-test",
	.pid = 1234,
	.started_ns = S(900),
	.now_ns = S(1100) + 250000000u,
};

static struct agent_shm *shm_new(void)
{
	struct agent_shm *shm = calloc(1, sizeof(*shm));

	ASSERT_TRUE(shm != NULL);
	shm->agents = 1;
	return shm;
}

/* Every counter set, an odd id: entry 0 of the tests. */
static struct agent_shm *shm_full(void)
{
	struct agent_shm *shm = shm_new();
	struct agent_counters *c = &shm->c;

	shm->agents = 3;
	shm->started_ns = S(1000) + 500000000u;
	shm->agent_started_ns = S(1010);
	c->agent = (struct agent_stats){ 1, 2, 3, 4, 5, 6, 7, 8 };
	c->notify = (struct notify_stats){ 100, 40, 59, 1 };
	c->errors[ECONNREFUSED] = 3;
	c->errors[ENETUNREACH] = 2;
	c->errors[0] = 1;
	c->latency[0] = 1;
	c->latency[3] = 2;
	c->latency[AGENT_LATENCY_BUCKETS - 1] = 1;
	c->latency_sum_ns = 123456789;
	shm->slots[0].u.notif.id = 7;
	shm->slots[AGENT_JOURNAL_SLOTS - 1].u.notif.id = 9;
	return shm;
}

/* The full one, and two agents of container c1: its own (its restart
 * waits) and an exec's, started later. */
static void entries(struct agent_report_entry e[3])
{
	struct agent_shm *b = shm_new(), *x = shm_new();

	b->started_ns = S(1050);
	x->started_ns = S(1060);
	x->agent_started_ns = S(1060);
	x->c.latency[0] = 1;
	/* The exec's first, to show the order comes from the start. */
	e[0] = (struct agent_report_entry){ "a\"b\\c\nd", 42, 0, shm_full() };
	e[1] = (struct agent_report_entry){ "c1", 43, 77, x };
	e[2] = (struct agent_report_entry){ "c1", 0, 77, b };
}

static void entries_free(struct agent_report_entry e[3])
{
	for (int i = 0; i < 3; i++)
		free((void *)e[i].shm);
}

NBTEST(quantiles)
{
	uint64_t l[AGENT_LATENCY_BUCKETS] = { 0 }, us = 12345;

	/* No sample: no quantile. */
	ASSERT_TRUE(!agent_report_quantile_us(l, 500, &us));
	ASSERT_EQ(us, 12345);
	/* One sample in the first bucket: 1 us for every quantile. */
	l[0] = 1;
	ASSERT_TRUE(agent_report_quantile_us(l, 500, &us));
	ASSERT_EQ(us, 1);
	ASSERT_TRUE(agent_report_quantile_us(l, 990, &us));
	ASSERT_EQ(us, 1);
	/* 100 samples: 50 at most 8 us, 49 at most 32 us, 1 slower. */
	l[0] = 0;
	l[3] = 50;
	l[5] = 49;
	l[10] = 1;
	ASSERT_TRUE(agent_report_quantile_us(l, 500, &us));
	ASSERT_EQ(us, 8);
	ASSERT_TRUE(agent_report_quantile_us(l, 990, &us));
	ASSERT_EQ(us, 32);
	ASSERT_TRUE(agent_report_quantile_us(l, 1000, &us));
	ASSERT_EQ(us, 1024);
	/* One more sample: p50's rank is 51 (of 101), in the second. */
	l[5]++;
	ASSERT_TRUE(agent_report_quantile_us(l, 500, &us));
	ASSERT_EQ(us, 32);
	/* All in the last, unbounded bucket: the bound below it. */
	memset(l, 0, sizeof(l));
	l[AGENT_LATENCY_BUCKETS - 1] = 5;
	ASSERT_TRUE(agent_report_quantile_us(l, 500, &us));
	ASSERT_EQ(us, 65536);
	ASSERT_TRUE(agent_report_quantile_us(l, 990, &us));
	ASSERT_EQ(us, 65536);
	/* Counts near the top of uint64_t do not overflow the rank. */
	memset(l, 0, sizeof(l));
	l[1] = UINT64_MAX / 2;
	l[2] = UINT64_MAX / 2;
	ASSERT_TRUE(agent_report_quantile_us(l, 500, &us));
	ASSERT_EQ(us, 2);
	ASSERT_TRUE(agent_report_quantile_us(l, 990, &us));
	ASSERT_EQ(us, 4);
}

NBTEST(errno_names)
{
	char buf[16];

	ASSERT_STREQ(agent_report_errno_name(0, buf), "other");
	ASSERT_STREQ(agent_report_errno_name(ECONNREFUSED, buf),
		     "ECONNREFUSED");
	ASSERT_STREQ(agent_report_errno_name(EHWPOISON, buf), "EHWPOISON");
	ASSERT_STREQ(agent_report_errno_name(4000, buf), "E4000");
}

static const char want_json[] =
	"{\"version\":\"0.1.0-test\",\"pid\":1234,\"uptime_s\":200,"
	"\"containers\":["
	"{\"id\":\"a\\\"b\\\\c\\nd\",\"agent_pid\":42,\"container_pid\":null,"
	"\"uptime_s\":99,\"agent_uptime_s\":90,\"restarts\":2,"
	"\"switched\":1,\"kept\":2,\"refused\":3,\"options\":4,"
	"\"published\":5,\"served\":6,\"refused_stale\":7,\"recovered\":8,"
	"\"errors\":{\"ENETUNREACH\":2,\"ECONNREFUSED\":3,\"other\":1},"
	"\"in_flight\":2,\"notifications\":100,\"latency_p50_us\":8,"
	"\"latency_p99_us\":65536},"
	"{\"id\":\"c1\",\"agent_pid\":43,\"container_pid\":77,"
	"\"uptime_s\":40,\"agent_uptime_s\":40,\"restarts\":0,"
	"\"switched\":0,\"kept\":0,\"refused\":0,\"options\":0,"
	"\"published\":0,\"served\":0,\"refused_stale\":0,\"recovered\":0,"
	"\"errors\":{},\"in_flight\":0,\"notifications\":0,"
	"\"latency_p50_us\":1,\"latency_p99_us\":1},"
	"{\"id\":\"c1\",\"agent_pid\":null,\"container_pid\":77,"
	"\"uptime_s\":50,\"agent_uptime_s\":0,\"restarts\":0,"
	"\"switched\":0,\"kept\":0,\"refused\":0,\"options\":0,"
	"\"published\":0,\"served\":0,\"refused_stale\":0,\"recovered\":0,"
	"\"errors\":{},\"in_flight\":0,\"notifications\":0,"
	"\"latency_p50_us\":null,\"latency_p99_us\":null}]}\n";

NBTEST(status_json)
{
	struct agent_report_entry e[3];
	char *text;

	entries(e);
	text = agent_report_json(&daemon_info, e, 3);
	ASSERT_STREQ(text, want_json);
	free(text);
	text = agent_report_json(&daemon_info, e, 0);
	ASSERT_STREQ(text, "{\"version\":\"0.1.0-test\",\"pid\":1234,"
			   "\"uptime_s\":200,\"containers\":[]}\n");
	free(text);
	entries_free(e);
}

NBTEST(status_table_of_json)
{
	static const char want[] =
		"CONTAINER  AGENT  UPTIME  RESTARTS  SWITCHED  KEPT  REFUSED  "
		"PUBLISHED  SERVED  INFLIGHT  P50      P99  ERRORS\n"
		"a\"b\\c?d       42   1m39s         2         1     2        3  "
		"        5       6         2  8us  65536us  "
		"ENETUNREACH:2,ECONNREFUSED:3,other:1\n"
		"c1            43     40s         0         0     0        0  "
		"        0       0         0  1us      1us  -\n"
		"c1             -     50s         0         0     0        0  "
		"        0       0         0    -        -  -\n";
	char err[64] = "", *text;

	text = status_table(want_json, strlen(want_json), err, sizeof(err));
	ASSERT_STREQ(text, want);
	free(text);
	/* No container: the header alone. */
	text = status_table("{\"containers\":[]}", 17, err, sizeof(err));
	ASSERT_STREQ(text,
		     "CONTAINER  AGENT  UPTIME  RESTARTS  SWITCHED  KEPT  "
		     "REFUSED  PUBLISHED  SERVED  INFLIGHT  P50  P99  "
		     "ERRORS\n");
	free(text);
	/* Not a status. */
	ASSERT_TRUE(status_table("[]", 2, err, sizeof(err)) == NULL);
	ASSERT_STREQ(err, "not the status of nsbypass oci");
	ASSERT_TRUE(status_table("{", 1, err, sizeof(err)) == NULL);
}

static const char want_metrics[] =
	"# HELP nsbypass_oci_info The nsbypass oci daemon; its version in a label.\n"
	"# TYPE nsbypass_oci_info gauge\n"
	"nsbypass_oci_info{version=\"0.1.0-test\"} 1\n"
	"# HELP nsbypass_oci_start_time_seconds Start time of the daemon since the Unix epoch.\n"
	"# TYPE nsbypass_oci_start_time_seconds gauge\n"
	"nsbypass_oci_start_time_seconds 900.000000000\n"
	"# HELP nsbypass_oci_containers Agents the daemon keeps: one per container and per exec.\n"
	"# TYPE nsbypass_oci_containers gauge\n"
	"nsbypass_oci_containers 1\n"
	"# HELP nsbypass_container_start_time_seconds Start time of the container's first agent since the Unix epoch.\n"
	"# TYPE nsbypass_container_start_time_seconds gauge\n"
	"nsbypass_container_start_time_seconds{container=\"a\\\"b\\\\c\\nd\"} 1000.500000000\n"
	"# HELP nsbypass_agent_start_time_seconds Start time of the agent serving now since the Unix epoch.\n"
	"# TYPE nsbypass_agent_start_time_seconds gauge\n"
	"nsbypass_agent_start_time_seconds{container=\"a\\\"b\\\\c\\nd\"} 1010.000000000\n"
	"# HELP nsbypass_sockets_switched_total Sockets moved to the host (connects bypassed).\n"
	"# TYPE nsbypass_sockets_switched_total counter\n"
	"nsbypass_sockets_switched_total{container=\"a\\\"b\\\\c\\nd\"} 1\n"
	"# HELP nsbypass_connects_kept_total Connects left in the container.\n"
	"# TYPE nsbypass_connects_kept_total counter\n"
	"nsbypass_connects_kept_total{container=\"a\\\"b\\\\c\\nd\"} 2\n"
	"# HELP nsbypass_connects_refused_total Host sockets denied a local destination.\n"
	"# TYPE nsbypass_connects_refused_total counter\n"
	"nsbypass_connects_refused_total{container=\"a\\\"b\\\\c\\nd\"} 3\n"
	"# HELP nsbypass_sockopts_recorded_total setsockopt() calls whose option was recorded.\n"
	"# TYPE nsbypass_sockopts_recorded_total counter\n"
	"nsbypass_sockopts_recorded_total{container=\"a\\\"b\\\\c\\nd\"} 4\n"
	"# HELP nsbypass_binds_published_total Binds taken to a published host port.\n"
	"# TYPE nsbypass_binds_published_total counter\n"
	"nsbypass_binds_published_total{container=\"a\\\"b\\\\c\\nd\"} 5\n"
	"# HELP nsbypass_connects_served_total Connects switched to a published service (another container's or the container's own).\n"
	"# TYPE nsbypass_connects_served_total counter\n"
	"nsbypass_connects_served_total{container=\"a\\\"b\\\\c\\nd\"} 6\n"
	"# HELP nsbypass_connects_refused_stale_total Connects to a stale service entry.\n"
	"# TYPE nsbypass_connects_refused_stale_total counter\n"
	"nsbypass_connects_refused_stale_total{container=\"a\\\"b\\\\c\\nd\"} 7\n"
	"# HELP nsbypass_notifications_recovered_total Notifications left by a dead agent, answered by its successor.\n"
	"# TYPE nsbypass_notifications_recovered_total counter\n"
	"nsbypass_notifications_recovered_total{container=\"a\\\"b\\\\c\\nd\"} 8\n"
	"# HELP nsbypass_notifications_received_total Seccomp notifications received.\n"
	"# TYPE nsbypass_notifications_received_total counter\n"
	"nsbypass_notifications_received_total{container=\"a\\\"b\\\\c\\nd\"} 100\n"
	"# HELP nsbypass_notifications_continued_total Notifications answered with CONTINUE (the kernel does the call).\n"
	"# TYPE nsbypass_notifications_continued_total counter\n"
	"nsbypass_notifications_continued_total{container=\"a\\\"b\\\\c\\nd\"} 40\n"
	"# HELP nsbypass_notifications_answered_total Notifications answered by the agent.\n"
	"# TYPE nsbypass_notifications_answered_total counter\n"
	"nsbypass_notifications_answered_total{container=\"a\\\"b\\\\c\\nd\"} 59\n"
	"# HELP nsbypass_notifications_gone_total Notifications whose thread died before the answer.\n"
	"# TYPE nsbypass_notifications_gone_total counter\n"
	"nsbypass_notifications_gone_total{container=\"a\\\"b\\\\c\\nd\"} 1\n"
	"# HELP nsbypass_notifications_in_flight Notifications received and not answered yet.\n"
	"# TYPE nsbypass_notifications_in_flight gauge\n"
	"nsbypass_notifications_in_flight{container=\"a\\\"b\\\\c\\nd\"} 2\n"
	"# HELP nsbypass_agent_restarts_total Agents started for the container after the first (crashes).\n"
	"# TYPE nsbypass_agent_restarts_total counter\n"
	"nsbypass_agent_restarts_total{container=\"a\\\"b\\\\c\\nd\"} 2\n"
	"# HELP nsbypass_answer_errors_total Trapped calls answered with an error, by errno.\n"
	"# TYPE nsbypass_answer_errors_total counter\n"
	"nsbypass_answer_errors_total{container=\"a\\\"b\\\\c\\nd\",errno=\"ENETUNREACH\"} 2\n"
	"nsbypass_answer_errors_total{container=\"a\\\"b\\\\c\\nd\",errno=\"ECONNREFUSED\"} 3\n"
	"nsbypass_answer_errors_total{container=\"a\\\"b\\\\c\\nd\",errno=\"other\"} 1\n"
	"# HELP nsbypass_notification_latency_seconds Time from a notification's receipt to its answer.\n"
	"# TYPE nsbypass_notification_latency_seconds histogram\n"
	"nsbypass_notification_latency_seconds_bucket{container=\"a\\\"b\\\\c\\nd\",le=\"1e-06\"} 1\n"
	"nsbypass_notification_latency_seconds_bucket{container=\"a\\\"b\\\\c\\nd\",le=\"2e-06\"} 1\n"
	"nsbypass_notification_latency_seconds_bucket{container=\"a\\\"b\\\\c\\nd\",le=\"4e-06\"} 1\n"
	"nsbypass_notification_latency_seconds_bucket{container=\"a\\\"b\\\\c\\nd\",le=\"8e-06\"} 3\n"
	"nsbypass_notification_latency_seconds_bucket{container=\"a\\\"b\\\\c\\nd\",le=\"1.6e-05\"} 3\n"
	"nsbypass_notification_latency_seconds_bucket{container=\"a\\\"b\\\\c\\nd\",le=\"3.2e-05\"} 3\n"
	"nsbypass_notification_latency_seconds_bucket{container=\"a\\\"b\\\\c\\nd\",le=\"6.4e-05\"} 3\n"
	"nsbypass_notification_latency_seconds_bucket{container=\"a\\\"b\\\\c\\nd\",le=\"0.000128\"} 3\n"
	"nsbypass_notification_latency_seconds_bucket{container=\"a\\\"b\\\\c\\nd\",le=\"0.000256\"} 3\n"
	"nsbypass_notification_latency_seconds_bucket{container=\"a\\\"b\\\\c\\nd\",le=\"0.000512\"} 3\n"
	"nsbypass_notification_latency_seconds_bucket{container=\"a\\\"b\\\\c\\nd\",le=\"0.001024\"} 3\n"
	"nsbypass_notification_latency_seconds_bucket{container=\"a\\\"b\\\\c\\nd\",le=\"0.002048\"} 3\n"
	"nsbypass_notification_latency_seconds_bucket{container=\"a\\\"b\\\\c\\nd\",le=\"0.004096\"} 3\n"
	"nsbypass_notification_latency_seconds_bucket{container=\"a\\\"b\\\\c\\nd\",le=\"0.008192\"} 3\n"
	"nsbypass_notification_latency_seconds_bucket{container=\"a\\\"b\\\\c\\nd\",le=\"0.016384\"} 3\n"
	"nsbypass_notification_latency_seconds_bucket{container=\"a\\\"b\\\\c\\nd\",le=\"0.032768\"} 3\n"
	"nsbypass_notification_latency_seconds_bucket{container=\"a\\\"b\\\\c\\nd\",le=\"0.065536\"} 3\n"
	"nsbypass_notification_latency_seconds_bucket{container=\"a\\\"b\\\\c\\nd\",le=\"+Inf\"} 4\n"
	"nsbypass_notification_latency_seconds_sum{container=\"a\\\"b\\\\c\\nd\"} 0.123456789\n"
	"nsbypass_notification_latency_seconds_count{container=\"a\\\"b\\\\c\\nd\"} 4\n";

NBTEST(metrics_text)
{
	struct agent_report_entry e[3];
	char *text;

	entries(e);
	text = agent_report_metrics(&daemon_info, e, 1);
	ASSERT_STREQ(text, want_metrics);
	free(text);
	entries_free(e);
}

/* Two agents of one container: the one started first is its own, the
 * other has exec="1", whatever their order; a family without a sample
 * still has its HELP and TYPE. */
NBTEST(metrics_exec_and_empty)
{
	static const char *want[] = {
		"nsbypass_oci_containers 2\n",
		"nsbypass_container_start_time_seconds{container=\"c1\","
		"exec=\"1\"} 1060.000000000\n"
		"nsbypass_container_start_time_seconds{container=\"c1\"} "
		"1050.000000000\n",
		"nsbypass_notification_latency_seconds_bucket{container=\"c1\","
		"exec=\"1\",le=\"+Inf\"} 1\n"
		"nsbypass_notification_latency_seconds_sum{container=\"c1\","
		"exec=\"1\"} 0.000000000\n"
		"nsbypass_notification_latency_seconds_count{container=\"c1\","
		"exec=\"1\"} 1\n",
		"# TYPE nsbypass_answer_errors_total counter\n"
		"# HELP nsbypass_notification_latency_seconds",
	};
	struct agent_report_entry e[3];
	char *text;

	entries(e);
	text = agent_report_metrics(&daemon_info, e + 1, 2);
	ASSERT_TRUE(text != NULL);
	for (size_t i = 0; i < ARRAY_SIZE(want); i++)
		if (!strstr(text, want[i]))
			nbtest_fail(__FILE__, __LINE__, "no \"%s\" in:\n%s",
				    want[i], text);
	free(text);
	entries_free(e);
}

int main(void)
{
	static const struct nbtest tests[] = {
		NBTEST_ENTRY(quantiles),
		NBTEST_ENTRY(errno_names),
		NBTEST_ENTRY(status_json),
		NBTEST_ENTRY(status_table_of_json),
		NBTEST_ENTRY(metrics_text),
		NBTEST_ENTRY(metrics_exec_and_empty),
	};

	return nbtest_run(tests, ARRAY_SIZE(tests));
}
