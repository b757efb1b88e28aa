// SPDX-License-Identifier: Apache-2.0
/*
 * status-table.c - the table of `nsbypass status`.
 *
 * Every cell is made first, as text, so that each column is as wide as
 * its widest cell; numbers are right-aligned, the rest left.  The errors
 * by errno come last, unaligned ("ECONNREFUSED:3,ENETUNREACH:1").  The
 * text comes from the daemon: whatever it holds, a row stays one line.
 */
#include <errno.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsontext.h"
#include "status-table.h"
#include "util.h"

#define CELL_MAX 128

struct column {
	const char *title;
	const char *key; /* in a container's object; NULL: made below */
	bool left;	 /* aligned left */
};

static const struct column columns[] = {
	{ "CONTAINER", "id", true },	    { "AGENT", "agent_pid", false },
	{ "UPTIME", "uptime_s", false },    { "RESTARTS", "restarts", false },
	{ "SWITCHED", "switched", false },  { "KEPT", "kept", false },
	{ "REFUSED", "refused", false },    { "PUBLISHED", "published", false },
	{ "SERVED", "served", false },	    { "INFLIGHT", "in_flight", false },
	{ "P50", "latency_p50_us", false }, { "P99", "latency_p99_us", false },
	{ "ERRORS", "errors", true },
};

#define N_COLS ARRAY_SIZE(columns)

/* A duration the way ps and docker show one: 42s, 3m12s, 2h03m, 4d02h. */
static void fmt_duration(char *buf, size_t len, uint64_t s)
{
	if (s < 60)
		snprintf(buf, len, "%llus", (unsigned long long)s);
	else if (s < 3600)
		snprintf(buf, len, "%llum%02llus", (unsigned long long)(s / 60),
			 (unsigned long long)(s % 60));
	else if (s < 86400)
		snprintf(buf, len, "%lluh%02llum",
			 (unsigned long long)(s / 3600),
			 (unsigned long long)(s / 60 % 60));
	else
		snprintf(buf, len, "%llud%02lluh",
			 (unsigned long long)(s / 86400),
			 (unsigned long long)(s / 3600 % 24));
}

/* "ECONNREFUSED:3,ENETUNREACH:1", or "-"; cut short with "..." */
static void fmt_errors(char *buf, size_t len, json_object *o)
{
	size_t used = 0;

	buf[0] = '\0';
	if (json_object_is_type(o, json_type_object)) {
		json_object_object_foreach(o, key, val)
		{
			int n = snprintf(buf + used, len - used, "%s%s:%llu",
					 used ? "," : "", key,
					 (unsigned long long)
						 json_object_get_uint64(val));

			if (n < 0 || (size_t)n >= len - used) {
				buf[used] = '\0';
				snprintf(buf + used, len - used, "%s...",
					 used ? "," : "");
				break;
			}
			used += (size_t)n;
		}
	}
	if (!buf[0])
		snprintf(buf, len, "-");
}

static void fmt_cell(char *buf, size_t len, const struct column *c,
		     json_object *row)
{
	json_object *v = NULL;

	json_object_object_get_ex(row, c->key, &v);
	if (strcmp(c->key, "errors") == 0)
		fmt_errors(buf, len, v);
	else if (!v || json_object_is_type(v, json_type_null))
		snprintf(buf, len, "-");
	else if (strcmp(c->key, "id") == 0)
		snprintf(buf, len, "%.*s", STATUS_TABLE_ID,
			 json_object_get_string(v));
	else if (strcmp(c->key, "uptime_s") == 0)
		fmt_duration(buf, len, json_object_get_uint64(v));
	else if (strncmp(c->key, "latency_", 8) == 0)
		snprintf(buf, len, "%lluus",
			 (unsigned long long)json_object_get_uint64(v));
	else
		snprintf(buf, len, "%llu",
			 (unsigned long long)json_object_get_uint64(v));
}

/* A byte that is not printable ASCII (a newline in an id) shows as '?':
 * one row per line. */
static void sanitize(char *s)
{
	for (; *s; s++)
		if (*s < 0x20 || *s > 0x7e)
			*s = '?';
}

static const char *get_str(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static uint64_t get_u64(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_int))
		return 0;
	return json_object_get_uint64(v);
}

/* How much of the map this node has, once its client said anything. */
static void put_map(FILE *f, json_object *o)
{
	uint64_t outages = get_u64(o, "outages");

	fprintf(f,
		"%llu key(s) of ours, %llu namespace(s) of %llu other "
		"node(s), %llu collision(s), %llu outage%s",
		(unsigned long long)get_u64(o, "keys"),
		(unsigned long long)get_u64(o, "remote_namespaces"),
		(unsigned long long)get_u64(o, "remote_nodes"),
		(unsigned long long)get_u64(o, "collisions"),
		(unsigned long long)outages, outages == 1 ? "" : "s");
}

/* The line under the table of a daemon with --cluster (the status's
 * "cluster" object, cluster-report.h), unsanitized. */
static void put_cluster(FILE *f, json_object *o)
{
	const char *etcd = get_str(o, "etcd"), *node = get_str(o, "node");
	const char *endpoint = get_str(o, "endpoint");
	const char *error = get_str(o, "last_error"),
		   *lease = get_str(o, "lease");
	char d[32];

	if (!etcd || !node)
		return;
	fprintf(f, "cluster: node %s, ", node);
	fmt_duration(d, sizeof(d), get_u64(o, "for_s"));
	if (strcmp(etcd, "up") == 0) {
		fprintf(f,
			"etcd up for %s at %s (revision %llu, lease %s, TTL %llus): ",
			d, endpoint ? endpoint : "?",
			(unsigned long long)get_u64(o, "revision"),
			lease ? lease : "none",
			(unsigned long long)get_u64(o, "ttl_s"));
		put_map(f, o);
	} else if (strcmp(etcd, "down") == 0) {
		fprintf(f,
			"etcd down for %s (%s: %s), the last map serves: ", d,
			endpoint ? endpoint : "?", error ? error : "?");
		put_map(f, o);
	} else if (get_u64(o, "client_pid")) {
		fprintf(f, "etcd client starting (pid %llu)",
			(unsigned long long)get_u64(o, "client_pid"));
	} else {
		fprintf(f,
			"no etcd client runs (%llu restart(s)): other nodes' "
			"services are not served",
			(unsigned long long)get_u64(o, "client_restarts"));
	}
}

/* Print the row of @cells; the last column unpadded. */
static void put_row(FILE *f, char (*cells)[CELL_MAX], const size_t *width)
{
	for (size_t c = 0; c < N_COLS; c++) {
		if (c == N_COLS - 1)
			fprintf(f, "%s\n", cells[c]);
		else if (columns[c].left)
			fprintf(f, "%-*s  ", (int)width[c], cells[c]);
		else
			fprintf(f, "%*s  ", (int)width[c], cells[c]);
	}
}

char *status_table(const char *json, size_t len, char *err, size_t errlen)
{
	json_object *root = jsontext_parse(json, len, 16), *list = NULL;
	json_object *cluster = NULL;
	char *line = NULL;
	size_t line_len;
	char(*cells)[N_COLS][CELL_MAX] = NULL;
	size_t n = 0, width[N_COLS], tlen;
	char *text = NULL;
	FILE *f;

	if (!root || !json_object_object_get_ex(root, "containers", &list) ||
	    !json_object_is_type(list, json_type_array)) {
		snprintf(err, errlen, "not the status of nsbypass oci");
		goto out;
	}
	n = json_object_array_length(list);
	cells = calloc(n + 1, sizeof(*cells));
	if (!cells) {
		snprintf(err, errlen, "%s", strerror(ENOMEM));
		goto out;
	}
	for (size_t c = 0; c < N_COLS; c++) {
		snprintf(cells[0][c], CELL_MAX, "%s", columns[c].title);
		width[c] = strlen(columns[c].title);
	}
	for (size_t r = 0; r < n; r++) {
		json_object *row = json_object_array_get_idx(list, r);

		for (size_t c = 0; c < N_COLS; c++) {
			fmt_cell(cells[r + 1][c], CELL_MAX, &columns[c], row);
			sanitize(cells[r + 1][c]);
			if (strlen(cells[r + 1][c]) > width[c])
				width[c] = strlen(cells[r + 1][c]);
		}
	}
	f = open_memstream(&text, &tlen);
	if (!f) {
		snprintf(err, errlen, "%s", strerror(errno));
		goto out;
	}
	for (size_t r = 0; r <= n; r++)
		put_row(f, cells[r], width);
	if (json_object_object_get_ex(root, "cluster", &cluster)) {
		FILE *lf = open_memstream(&line, &line_len);

		if (lf) {
			put_cluster(lf, cluster);
			if (ferror(lf) | fclose(lf)) {
				free(line);
				line = NULL;
			}
		}
		if (line && line[0]) {
			sanitize(line);
			fprintf(f, "%s\n", line);
		}
		free(line);
	}
	if (ferror(f) | fclose(f)) {
		snprintf(err, errlen, "%s", strerror(ENOMEM));
		free(text);
		text = NULL;
	}
out:
	free(cells);
	json_object_put(root);
	return text;
}
