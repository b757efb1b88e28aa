/* SPDX-License-Identifier: Apache-2.0 */
/*
 * agent-report.h - what `nsbypass oci` tells about its agents: the JSON
 * of `GET /status` and the Prometheus text of `GET /metrics`, made from
 * the counters each agent keeps in the memory it shares with the daemon
 * (agent-shm.h).  Pure functions: the daemon gathers the entries and the
 * time, these only read and format (docs/design.md §6.7).
 */
#ifndef NB_AGENT_REPORT_H
#define NB_AGENT_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "agent-shm.h"

struct cluster_report;

/**
 * struct agent_report_entry - one agent the daemon keeps
 * @id:		its container's id (several for a container with execs)
 * @pid:	the agent now; 0 while its restart waits
 * @container_pid: the pid it serves; 0: not known
 * @shm:	the memory it shares with the daemon (read only here)
 */
struct agent_report_entry {
	const char *id;
	pid_t pid;
	pid_t container_pid;
	const struct agent_shm *shm;
};

/**
 * struct agent_report_daemon - the daemon itself
 * @version:	nsbypass's version
 * @pid:	its pid
 * @started_ns:	CLOCK_REALTIME of its start
 * @now_ns:	CLOCK_REALTIME now (uptimes are counted to it)
 * @cluster:	its cluster (cluster-report.h); NULL without --cluster
 */
struct agent_report_daemon {
	const char *version;
	pid_t pid;
	uint64_t started_ns;
	uint64_t now_ns;
	const struct cluster_report *cluster;
};

/**
 * agent_report_quantile_us() - a quantile of a notification latency
 * histogram (agent-counters.h), in microseconds
 * @latency:	the AGENT_LATENCY_BUCKETS counts
 * @permille:	which quantile (500: p50, 990: p99), 1 to 1000
 * @ret:	the upper bound of the bucket where the quantile falls;
 *		in the last, unbounded bucket the bound below it
 *		(2^(AGENT_LATENCY_BUCKETS - 2) us), as Prometheus's
 *		histogram_quantile() answers for its +Inf bucket
 *
 * Return: false when the histogram has no sample (@ret untouched)
 */
bool agent_report_quantile_us(const uint64_t *latency, unsigned int permille,
			      uint64_t *ret);

/**
 * agent_report_errno_name() - the name of errno @e ("ECONNREFUSED");
 * "other" for 0 (answers past AGENT_ERRNO_MAX), "E<number>" for one
 * the C library cannot name
 * @buf:	room for the last form
 */
const char *agent_report_errno_name(unsigned int e, char buf[16]);

/**
 * agent_report_json() - the JSON of `GET /status`
 * @d:		the daemon
 * @e:		its agents
 * @n:		how many
 *
 * One object: the daemon's version, pid and uptime, "containers", an
 * array with one object per entry, in the order given, and with a
 * cluster its "cluster" object (cluster_report_json()).
 *
 * Return: the text with a trailing newline (malloc'd), NULL out of memory
 */
char *agent_report_json(const struct agent_report_daemon *d,
			const struct agent_report_entry *e, size_t n);

/**
 * agent_report_metrics() - the Prometheus text exposition (0.0.4) of
 * `GET /metrics`
 * @d:		the daemon
 * @e:		its agents
 * @n:		how many
 *
 * Every series of an agent has the label container="ID"; the agents of
 * one container's execs, told apart by the order of their start, have
 * exec="1", "2", ... as well.
 *
 * Return: the text (malloc'd), NULL out of memory
 */
char *agent_report_metrics(const struct agent_report_daemon *d,
			   const struct agent_report_entry *e, size_t n);

/** agent_report_put_family() - a metric family's HELP and TYPE lines */
void agent_report_put_family(FILE *f, const char *name, const char *type,
			     const char *help);

/** agent_report_put_info() - an info family: one series NAME{LABEL="VALUE"}
 * 1, its value escaped as the text format wants */
void agent_report_put_info(FILE *f, const char *name, const char *help,
			   const char *label, const char *value);

#endif /* NB_AGENT_REPORT_H */
