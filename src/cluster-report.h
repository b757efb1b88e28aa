/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cluster-report.h - the cluster's part of `nsbypass oci`'s status and
 * metrics (agent-report.h has the agents'): which node this is, its etcd
 * client process, and what that process last said of etcd
 * (cluster-state.h).  Pure functions, as agent-report.h's.
 */
#ifndef NB_CLUSTER_REPORT_H
#define NB_CLUSTER_REPORT_H

#include <json-c/json.h>
#include <stdio.h>
#include <sys/types.h>

#include "cluster-state.h"

/**
 * struct cluster_report - what the daemon knows of its cluster client
 * @node:	this node's name
 * @client_pid:	the etcd client process; 0 while none runs
 * @client_restarts: clients started after the first (it ended)
 * @state:	what the client last said; NULL: nothing yet (it has just
 *		started, or none runs)
 */
struct cluster_report {
	const char *node;
	pid_t client_pid;
	unsigned int client_restarts;
	const struct cluster_state *state;
};

/**
 * cluster_report_json() - the "cluster" object of `GET /status`
 * @r:		the report
 * @now_s:	CLOCK_REALTIME seconds, for "for_s"
 * Return: the object (a new reference), NULL out of memory
 */
json_object *cluster_report_json(const struct cluster_report *r,
				 uint64_t now_s);

/**
 * cluster_report_metrics() - the cluster's families, Prometheus text
 * Return: 0, or -EIO when @f failed
 */
int cluster_report_metrics(FILE *f, const struct cluster_report *r);

#endif /* NB_CLUSTER_REPORT_H */
