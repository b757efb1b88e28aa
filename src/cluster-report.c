// SPDX-License-Identifier: Apache-2.0
/*
 * cluster-report.c - the cluster's part of the status and the metrics
 * (cluster-report.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "agent-report.h"
#include "cluster-report.h"
#include "util.h"

static bool put(json_object *o, const char *key, json_object *v)
{
	if (!v || json_object_object_add(o, key, v) < 0) {
		json_object_put(v);
		return false;
	}
	return true;
}

static bool put_u64(json_object *o, const char *key, uint64_t v)
{
	return put(o, key, json_object_new_uint64(v));
}

static bool put_null(json_object *o, const char *key)
{
	return json_object_object_add(o, key, NULL) == 0;
}

static const char *etcd_word(const struct cluster_report *r)
{
	if (!r->state)
		return "unknown";
	return r->state->up ? "up" : "down";
}

json_object *cluster_report_json(const struct cluster_report *r, uint64_t now_s)
{
	const struct cluster_state *s = r->state;
	json_object *o = json_object_new_object();
	char lease[24];
	bool ok;

	if (!o)
		return NULL;
	ok = put(o, "node", json_object_new_string(r->node)) &&
	     (r->client_pid ?
		      put_u64(o, "client_pid", (uint64_t)r->client_pid) :
		      put_null(o, "client_pid")) &&
	     put_u64(o, "client_restarts", r->client_restarts) &&
	     put(o, "etcd", json_object_new_string(etcd_word(r)));
	if (ok && s) {
		snprintf(lease, sizeof(lease), "%" PRIx64, s->lease);
		ok = put(o, "endpoint", json_object_new_string(s->endpoint)) &&
		     put_u64(o, "for_s",
			     now_s > s->since ? now_s - s->since : 0) &&
		     put_u64(o, "revision", (uint64_t)s->revision) &&
		     (s->lease ?
			      put(o, "lease", json_object_new_string(lease)) :
			      put_null(o, "lease")) &&
		     put_u64(o, "ttl_s", s->ttl) &&
		     put_u64(o, "keys", s->keys) &&
		     put_u64(o, "remote_namespaces", s->remote) &&
		     put_u64(o, "remote_nodes", s->nodes) &&
		     put_u64(o, "collisions", s->collisions) &&
		     put_u64(o, "outages", s->outages) &&
		     (s->error[0] ? put(o, "last_error",
					json_object_new_string(s->error)) :
				    put_null(o, "last_error"));
	}
	if (!ok) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

/* One family with one series, no labels. */
static void one(FILE *f, const char *name, const char *type, const char *help,
		uint64_t v)
{
	agent_report_put_family(f, name, type, help);
	fprintf(f, "%s %" PRIu64 "\n", name, v);
}

int cluster_report_metrics(FILE *f, const struct cluster_report *r)
{
	const struct cluster_state *s = r->state;

	agent_report_put_info(
		f, "nsbypass_cluster_info",
		"This daemon takes part in a cluster; its node in a label.",
		"node", r->node);
	one(f, "nsbypass_cluster_up", "gauge",
	    "1 while the etcd client holds a lease and watches the map.",
	    s && s->up);
	one(f, "nsbypass_cluster_client_restarts_total", "counter",
	    "etcd client processes started after the first (it ended).",
	    r->client_restarts);
	if (s) {
		one(f, "nsbypass_cluster_revision", "gauge",
		    "The last etcd revision of the map seen.",
		    (uint64_t)s->revision);
		one(f, "nsbypass_cluster_keys", "gauge",
		    "Keys of this daemon's namespaces in etcd.", s->keys);
		one(f, "nsbypass_cluster_remote_namespaces", "gauge",
		    "Other nodes' namespaces in the map.", s->remote);
		one(f, "nsbypass_cluster_remote_nodes", "gauge",
		    "Other nodes those namespaces are of.", s->nodes);
		one(f, "nsbypass_cluster_collisions", "gauge",
		    "Container addresses of other nodes also claimed by this "
		    "node or by a third one.",
		    s->collisions);
		one(f, "nsbypass_cluster_outages_total", "counter",
		    "Times etcd was lost after it was up (this client's).",
		    s->outages);
	}
	return ferror(f) ? -EIO : 0;
}
