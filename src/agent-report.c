// SPDX-License-Identifier: Apache-2.0
/*
 * agent-report.c - the status JSON and the Prometheus metrics of the
 * agents of `nsbypass oci`, from their shared memory.
 *
 * Each agent's counters are copied first, one relaxed atomic load each
 * (agent_shm_read()), and formatted from the copy: the agent goes on
 * counting meanwhile, so two counters may be a few calls apart, but each
 * is whole, and a histogram's buckets, its count and its cumulative sums
 * come from one copy and agree with each other.
 */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent-report.h"
#include "cluster-report.h"
#include "util.h"

/* One agent's counters, as read at one time. */
struct snapshot {
	struct agent_counters c;
	uint64_t restarts;
	uint64_t started_ns;
	uint64_t agent_started_ns;
	uint64_t in_flight;
};

_Static_assert(sizeof(struct agent_counters) % sizeof(uint64_t) == 0,
	       "agent_counters is made of uint64_t");

static void snapshot_take(const struct agent_shm *shm, struct snapshot *s)
{
	const uint64_t *from = (const uint64_t *)&shm->c;
	uint64_t *to = (uint64_t *)&s->c;
	uint32_t agents;

	for (size_t i = 0; i < sizeof(s->c) / sizeof(uint64_t); i++)
		to[i] = agent_shm_read(&from[i]);
	agents = agent_shm_read32(&shm->agents);
	s->restarts = agents ? agents - 1 : 0;
	s->started_ns = agent_shm_read(&shm->started_ns);
	s->agent_started_ns = agent_shm_read(&shm->agent_started_ns);
	s->in_flight = 0;
	/* A slot is in use while its notification id is not 0. */
	for (size_t i = 0; i < AGENT_JOURNAL_SLOTS; i++)
		if (agent_shm_read((const uint64_t *)&shm->slots[i].u.notif.id))
			s->in_flight++;
}

bool agent_report_quantile_us(const uint64_t *latency, unsigned int permille,
			      uint64_t *ret)
{
	uint64_t count = 0, rank, seen = 0;
	unsigned int i;

	for (i = 0; i < AGENT_LATENCY_BUCKETS; i++)
		count += latency[i];
	if (!count)
		return false;
	/* The rank of the sample at the quantile, 1-based. */
	rank = (count / 1000) * permille +
	       (count % 1000 * permille + 999) / 1000;
	if (rank < 1)
		rank = 1;
	for (i = 0; i < AGENT_LATENCY_BUCKETS - 1; i++) {
		seen += latency[i];
		if (seen >= rank)
			break;
	}
	if (i == AGENT_LATENCY_BUCKETS - 1)
		i--;
	*ret = UINT64_C(1) << i;
	return true;
}

const char *agent_report_errno_name(unsigned int e, char buf[16])
{
	const char *name;

	if (e == 0)
		return "other";
	name = strerrorname_np((int)e);
	if (name)
		return name;
	snprintf(buf, 16, "E%u", e);
	return buf;
}

/* Seconds from @from to @to, 0 if @from is unset or later. */
static uint64_t seconds_since(uint64_t from, uint64_t to)
{
	return from && to > from ? (to - from) / 1000000000u : 0;
}

/* Add @key: @v to @o; false out of memory. */
static bool put(struct json_object *o, const char *key, struct json_object *v)
{
	if (!v || json_object_object_add(o, key, v) < 0) {
		json_object_put(v);
		return false;
	}
	return true;
}

static bool put_u64(struct json_object *o, const char *key, uint64_t v)
{
	return put(o, key, json_object_new_uint64(v));
}

/* A pid, or null when not known. */
static bool put_pid(struct json_object *o, const char *key, pid_t pid)
{
	if (pid <= 0)
		return json_object_object_add(o, key, NULL) == 0;
	return put(o, key, json_object_new_int(pid));
}

static bool put_quantile(struct json_object *o, const char *key,
			 const uint64_t *latency, unsigned int permille)
{
	uint64_t us;

	if (!agent_report_quantile_us(latency, permille, &us))
		return json_object_object_add(o, key, NULL) == 0;
	return put_u64(o, key, us);
}

static struct json_object *errors_json(const struct snapshot *s)
{
	struct json_object *o = json_object_new_object();
	char buf[16];

	if (!o)
		return NULL;
	/* By number, "other" last. */
	for (unsigned int e = 1; e <= AGENT_ERRNO_MAX + 1; e++) {
		unsigned int i = e % (AGENT_ERRNO_MAX + 1);

		if (s->c.errors[i] &&
		    !put_u64(o, agent_report_errno_name(i, buf),
			     s->c.errors[i])) {
			json_object_put(o);
			return NULL;
		}
	}
	return o;
}

static struct json_object *entry_json(const struct agent_report_entry *e,
				      uint64_t now_ns)
{
	struct json_object *o = json_object_new_object();
	const struct agent_stats *a;
	struct snapshot s;
	bool ok;

	if (!o)
		return NULL;
	snapshot_take(e->shm, &s);
	a = &s.c.agent;
	ok = put(o, "id", json_object_new_string(e->id)) &&
	     put_pid(o, "agent_pid", e->pid) &&
	     put_pid(o, "container_pid", e->container_pid) &&
	     put_u64(o, "uptime_s", seconds_since(s.started_ns, now_ns)) &&
	     put_u64(o, "agent_uptime_s",
		     seconds_since(s.agent_started_ns, now_ns)) &&
	     put_u64(o, "restarts", s.restarts) &&
	     put_u64(o, "switched", a->switched) &&
	     put_u64(o, "kept", a->kept) && put_u64(o, "refused", a->refused) &&
	     put_u64(o, "options", a->opts) &&
	     put_u64(o, "published", a->published) &&
	     put_u64(o, "served", a->served) &&
	     put_u64(o, "refused_stale", a->refused_stale) &&
	     put_u64(o, "recovered", a->recovered) &&
	     put(o, "errors", errors_json(&s)) &&
	     put_u64(o, "in_flight", s.in_flight) &&
	     put_u64(o, "notifications", s.c.notify.received) &&
	     put_quantile(o, "latency_p50_us", s.c.latency, 500) &&
	     put_quantile(o, "latency_p99_us", s.c.latency, 990);
	if (!ok) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

char *agent_report_json(const struct agent_report_daemon *d,
			const struct agent_report_entry *e, size_t n)
{
	struct json_object *root = json_object_new_object(), *list;
	const char *text;
	char *ret = NULL;
	bool ok;

	if (!root)
		return NULL;
	list = json_object_new_array();
	ok = put(root, "version", json_object_new_string(d->version)) &&
	     put_pid(root, "pid", d->pid) &&
	     put_u64(root, "uptime_s",
		     seconds_since(d->started_ns, d->now_ns)) &&
	     put(root, "containers", list) &&
	     (!d->cluster ||
	      put(root, "cluster",
		  cluster_report_json(d->cluster, d->now_ns / 1000000000u)));
	for (size_t i = 0; ok && i < n; i++) {
		struct json_object *c = entry_json(&e[i], d->now_ns);

		ok = c && json_object_array_add(list, c) == 0;
		if (!ok)
			json_object_put(c);
	}
	if (ok) {
		text = json_object_to_json_string_ext(
			root, JSON_C_TO_STRING_PLAIN |
				      JSON_C_TO_STRING_NOSLASHESCAPE);
		if (text && asprintf(&ret, "%s\n", text) < 0)
			ret = NULL;
	}
	json_object_put(root);
	return ret;
}

/*
 * The metrics.  The text format wants each family's lines together:
 * the families are the outer loop, the agents the inner one.
 */

/* A label value, escaped as the text format wants (\\, \", \n). */
static void put_label_value(FILE *f, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\')
			fputs("\\\\", f);
		else if (*v == '"')
			fputs("\\\"", f);
		else if (*v == '\n')
			fputs("\\n", f);
		else
			fputc(*v, f);
	}
}

/* Nanoseconds as seconds, exactly. */
static void put_seconds(FILE *f, uint64_t ns)
{
	fprintf(f, "%llu.%09llu", (unsigned long long)(ns / 1000000000u),
		(unsigned long long)(ns % 1000000000u));
}

void agent_report_put_family(FILE *f, const char *name, const char *type,
			     const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

void agent_report_put_info(FILE *f, const char *name, const char *help,
			   const char *label, const char *value)
{
	agent_report_put_family(f, name, "gauge", help);
	fprintf(f, "%s{%s=\"", name, label);
	put_label_value(f, value);
	fputs("\"} 1\n", f);
}

/* One agent's labels, without the braces. */
struct labels {
	const char *id;
	unsigned int exec; /* 0: the container's own agent */
};

static void put_labels(FILE *f, const struct labels *l)
{
	fputs("container=\"", f);
	put_label_value(f, l->id);
	fputc('"', f);
	if (l->exec)
		fprintf(f, ",exec=\"%u\"", l->exec);
}

/* A counter or gauge of each agent. */
struct metric {
	const char *name;
	const char *type;
	const char *help;
	size_t off; /* of a uint64_t in struct snapshot */
};

#define SNAP(field) offsetof(struct snapshot, field)

static const struct metric metrics[] = {
	{ "nsbypass_sockets_switched_total", "counter",
	  "Sockets moved to the host (connects bypassed).",
	  SNAP(c.agent.switched) },
	{ "nsbypass_connects_kept_total", "counter",
	  "Connects left in the container.", SNAP(c.agent.kept) },
	{ "nsbypass_connects_refused_total", "counter",
	  "Host sockets denied a local destination.", SNAP(c.agent.refused) },
	{ "nsbypass_sockopts_recorded_total", "counter",
	  "setsockopt() calls whose option was recorded.", SNAP(c.agent.opts) },
	{ "nsbypass_binds_published_total", "counter",
	  "Binds taken to a published host port.", SNAP(c.agent.published) },
	{ "nsbypass_connects_served_total", "counter",
	  "Connects switched to a published service (another container's "
	  "or the container's own).",
	  SNAP(c.agent.served) },
	{ "nsbypass_connects_refused_stale_total", "counter",
	  "Connects to a stale service entry.", SNAP(c.agent.refused_stale) },
	{ "nsbypass_notifications_recovered_total", "counter",
	  "Notifications left by a dead agent, answered by its successor.",
	  SNAP(c.agent.recovered) },
	{ "nsbypass_notifications_received_total", "counter",
	  "Seccomp notifications received.", SNAP(c.notify.received) },
	{ "nsbypass_notifications_continued_total", "counter",
	  "Notifications answered with CONTINUE (the kernel does the call).",
	  SNAP(c.notify.continued) },
	{ "nsbypass_notifications_answered_total", "counter",
	  "Notifications answered by the agent.", SNAP(c.notify.answered) },
	{ "nsbypass_notifications_gone_total", "counter",
	  "Notifications whose thread died before the answer.",
	  SNAP(c.notify.gone) },
	{ "nsbypass_notifications_in_flight", "gauge",
	  "Notifications received and not answered yet.", SNAP(in_flight) },
	{ "nsbypass_agent_restarts_total", "counter",
	  "Agents started for the container after the first (crashes).",
	  SNAP(restarts) },
};

static void put_metric(FILE *f, const struct metric *m,
		       const struct snapshot *s, const struct labels *l,
		       size_t n)
{
	agent_report_put_family(f, m->name, m->type, m->help);
	for (size_t i = 0; i < n; i++) {
		uint64_t v;

		memcpy(&v, (const char *)&s[i] + m->off, sizeof(v));
		fprintf(f, "%s{", m->name);
		put_labels(f, &l[i]);
		fprintf(f, "} %llu\n", (unsigned long long)v);
	}
}

static void put_start_times(FILE *f, const char *name, const char *help,
			    size_t off, const struct snapshot *s,
			    const struct labels *l, size_t n)
{
	agent_report_put_family(f, name, "gauge", help);
	for (size_t i = 0; i < n; i++) {
		uint64_t ns;

		memcpy(&ns, (const char *)&s[i] + off, sizeof(ns));
		fprintf(f, "%s{", name);
		put_labels(f, &l[i]);
		fputs("} ", f);
		put_seconds(f, ns);
		fputc('\n', f);
	}
}

static void put_errors(FILE *f, const struct snapshot *s,
		       const struct labels *l, size_t n)
{
	static const char name[] = "nsbypass_answer_errors_total";
	char buf[16];

	agent_report_put_family(
		f, name, "counter",
		"Trapped calls answered with an error, by errno.");
	for (size_t i = 0; i < n; i++)
		for (unsigned int e = 1; e <= AGENT_ERRNO_MAX + 1; e++) {
			unsigned int k = e % (AGENT_ERRNO_MAX + 1);

			if (!s[i].c.errors[k])
				continue;
			fprintf(f, "%s{", name);
			put_labels(f, &l[i]);
			fprintf(f, ",errno=\"%s\"} %llu\n",
				agent_report_errno_name(k, buf),
				(unsigned long long)s[i].c.errors[k]);
		}
}

static void put_histogram(FILE *f, const struct snapshot *s,
			  const struct labels *l, size_t n)
{
	static const char name[] = "nsbypass_notification_latency_seconds";

	agent_report_put_family(
		f, name, "histogram",
		"Time from a notification's receipt to its answer.");
	for (size_t i = 0; i < n; i++) {
		uint64_t sum = 0;

		/* Bucket j holds at most 2^j us; the last one the rest. */
		for (unsigned int j = 0; j < AGENT_LATENCY_BUCKETS; j++) {
			sum += s[i].c.latency[j];
			fprintf(f, "%s_bucket{", name);
			put_labels(f, &l[i]);
			if (j < AGENT_LATENCY_BUCKETS - 1)
				fprintf(f, ",le=\"%g\"} ",
					(double)(UINT64_C(1) << j) * 1e-6);
			else
				fputs(",le=\"+Inf\"} ", f);
			fprintf(f, "%llu\n", (unsigned long long)sum);
		}
		fprintf(f, "%s_sum{", name);
		put_labels(f, &l[i]);
		fputs("} ", f);
		put_seconds(f, s[i].c.latency_sum_ns);
		fprintf(f, "\n%s_count{", name);
		put_labels(f, &l[i]);
		fprintf(f, "} %llu\n", (unsigned long long)sum);
	}
}

/* The agents of one container: the first started is its own, the others
 * its execs, numbered in the order of their start. */
static unsigned int exec_number(const struct agent_report_entry *e,
				const struct snapshot *s, size_t n, size_t i)
{
	unsigned int k = 0;

	for (size_t j = 0; j < n; j++)
		if (j != i && strcmp(e[j].id, e[i].id) == 0 &&
		    (s[j].started_ns < s[i].started_ns ||
		     (s[j].started_ns == s[i].started_ns && j < i)))
			k++;
	return k;
}

static void put_daemon(FILE *f, const struct agent_report_daemon *d, size_t n)
{
	agent_report_put_info(f, "nsbypass_oci_info",
			      "The nsbypass oci daemon; its version in a label.",
			      "version", d->version);
	agent_report_put_family(f, "nsbypass_oci_start_time_seconds", "gauge",
				"Start time of the daemon since the Unix epoch.");
	fputs("nsbypass_oci_start_time_seconds ", f);
	put_seconds(f, d->started_ns);
	fputc('\n', f);
	agent_report_put_family(
		f, "nsbypass_oci_containers", "gauge",
		"Agents the daemon keeps: one per container and per exec.");
	fprintf(f, "nsbypass_oci_containers %zu\n", n);
}

char *agent_report_metrics(const struct agent_report_daemon *d,
			   const struct agent_report_entry *e, size_t n)
{
	struct snapshot *s = calloc(n ? n : 1, sizeof(*s));
	struct labels *l = calloc(n ? n : 1, sizeof(*l));
	char *text = NULL;
	size_t len;
	FILE *f;

	if (!s || !l)
		goto out;
	for (size_t i = 0; i < n; i++)
		snapshot_take(e[i].shm, &s[i]);
	for (size_t i = 0; i < n; i++)
		l[i] = (struct labels){ e[i].id, exec_number(e, s, n, i) };
	f = open_memstream(&text, &len);
	if (!f)
		goto out;
	put_daemon(f, d, n);
	put_start_times(f, "nsbypass_container_start_time_seconds",
			"Start time of the container's first agent since the "
			"Unix epoch.",
			SNAP(started_ns), s, l, n);
	put_start_times(f, "nsbypass_agent_start_time_seconds",
			"Start time of the agent serving now since the Unix "
			"epoch.",
			SNAP(agent_started_ns), s, l, n);
	for (size_t k = 0; k < ARRAY_SIZE(metrics); k++)
		put_metric(f, &metrics[k], s, l, n);
	put_errors(f, s, l, n);
	put_histogram(f, s, l, n);
	if (d->cluster)
		cluster_report_metrics(f, d->cluster);
	if (ferror(f) | fclose(f)) {
		free(text);
		text = NULL;
	}
out:
	free(s);
	free(l);
	return text;
}
