// SPDX-License-Identifier: Apache-2.0
/*
 * oci-control.c - `GET /status` and `GET /metrics` of `nsbypass oci`.
 *
 * A request is answered at once from the agents' shared memory: the
 * daemon maps each container's memory, the agents write it, and the
 * reads are single relaxed atomic loads of counters only the agent
 * writes (agent-report.c).  Nothing is locked and nothing waits for an
 * agent, so neither a busy nor a dead agent delays an answer, and the
 * endpoint runs on the daemon's loop, between its other work.
 *
 * No request has a body: a method other than GET or HEAD is answered
 * before any body is read (405 on a known path, 404 elsewhere), and a
 * body sent with a GET is dropped as it comes.
 */
#include <errno.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "agent-report.h"
#include "cluster-report.h"
#include "config.h"
#include "http-server.h"
#include "log.h"
#include "oci-cluster.h"
#include "oci-control.h"
#include "util.h"

#define METRICS_TYPE "text/plain; version=0.0.4; charset=utf-8"

struct oci_control {
	struct http_server *srv;
	const struct oci_children *children;
	const struct oci_cluster *cluster;
	uint64_t started_ns;
	char *unix_path; /* removed at the stop */
	bool status;
};

/* Marks a request whose headers were seen. */
static char request_seen;

bool oci_control_default_path(const char *listen, char *buf, size_t len)
{
	struct sockaddr_un sun;
	size_t n = strlen(listen) + strlen(OCI_CONTROL_SUFFIX);

	if (n >= sizeof(sun.sun_path) || n >= len)
		return false;
	snprintf(buf, len, "%s%s", listen, OCI_CONTROL_SUFFIX);
	return true;
}

int oci_control_listen(const char *spec, const char **unix_path)
{
	char addr[64];
	const char *colon;
	size_t alen;
	int port;

	*unix_path = NULL;
	if (strncmp(spec, "unix:", 5) == 0) {
		if (!spec[5])
			return -EINVAL;
		*unix_path = spec + 5;
		return http_listen_unix(spec + 5);
	}
	colon = strrchr(spec, ':');
	if (!colon || parse_int(colon + 1, 1, 65535, &port) < 0)
		return -EINVAL;
	alen = (size_t)(colon - spec);
	/* [IPv6]:PORT */
	if (alen >= 2 && spec[0] == '[' && spec[alen - 1] == ']') {
		spec++;
		alen -= 2;
	} else if (memchr(spec, ':', alen)) {
		return -EINVAL; /* an IPv6 address wants its brackets */
	}
	if (alen == 0 || alen >= sizeof(addr))
		return -EINVAL;
	memcpy(addr, spec, alen);
	addr[alen] = '\0';
	return http_listen_tcp(addr, (unsigned int)port);
}

static uint64_t realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The status or the metrics, malloc'd; NULL out of memory. */
static char *report(const struct oci_control *c, bool metrics)
{
	const struct oci_children *s = c->children;
	struct agent_report_entry *e = calloc(s->n ? s->n : 1, sizeof(*e));
	struct agent_report_daemon d = {
		.version = NB_VERSION,
		.pid = getpid(),
		.started_ns = c->started_ns,
		.now_ns = realtime_ns(),
	};
	const struct oci_cluster *cl = c->cluster;
	struct cluster_report cr;
	size_t n = 0;
	char *text;

	if (!e)
		return NULL;
	if (cl && cl->on) {
		cr = (struct cluster_report){
			.node = cl->o->cfg.node,
			.client_pid = cl->pid,
			.client_restarts = cl->restarts,
			.state = cl->services->has_cluster_state ?
					 &cl->services->cluster_state :
					 NULL,
		};
		d.cluster = &cr;
	}
	for (size_t i = 0; i < s->n; i++) {
		const struct oci_child *ch = s->c[i];

		if (!ch->shm)
			continue;
		e[n++] = (struct agent_report_entry){
			.id = ch->id,
			.pid = ch->pid,
			.container_pid = ch->container_pid,
			.shm = ch->shm,
		};
	}
	text = metrics ? agent_report_metrics(&d, e, n) :
			 agent_report_json(&d, e, n);
	free(e);
	return text;
}

/* Queue @status with @body (malloc'd, taken) of @type. */
static enum MHD_Result reply(struct MHD_Connection *conn, unsigned int status,
			     char *body, const char *type)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	if (!body)
		return MHD_NO;
	resp = MHD_create_response_from_buffer_with_free_callback(strlen(body),
								  body, free);
	if (!resp) {
		free(body);
		return MHD_NO;
	}
	if (MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type) !=
		    MHD_YES ||
	    (status == MHD_HTTP_METHOD_NOT_ALLOWED &&
	     MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW,
				     "GET, HEAD") != MHD_YES)) {
		MHD_destroy_response(resp);
		return MHD_NO;
	}
	ret = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result reply_text(struct MHD_Connection *conn,
				  unsigned int status, const char *msg)
{
	return reply(conn, status, strdup(msg), "text/plain; charset=utf-8");
}

/* 0: not ours, 1: the status, 2: the metrics. */
static int route(const struct oci_control *c, const char *url)
{
	if (c->status && strcmp(url, "/status") == 0)
		return 1;
	if (strcmp(url, "/metrics") == 0)
		return 2;
	return 0;
}

/* implements MHD_AccessHandlerCallback */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
				  const char *url, const char *method,
				  const char *version, const char *upload_data,
				  size_t *upload_data_size, void **req_cls)
{
	struct oci_control *c = cls;
	bool get = strcmp(method, MHD_HTTP_METHOD_GET) == 0 ||
		   strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
	int r = route(c, url);

	if (!*req_cls) {
		*req_cls = &request_seen;
		/* Not a GET: answered now, its body never read. */
		if (!r)
			return reply_text(conn, MHD_HTTP_NOT_FOUND,
					  "no such path\n");
		if (!get)
			return reply_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
					  "method not allowed\n");
		return MHD_YES;
	}
	if (*upload_data_size) {
		*upload_data_size = 0;
		return MHD_YES;
	}
	http_server_busy(conn);
	if (r == 1)
		return reply(conn, MHD_HTTP_OK, report(c, false),
			     "application/json");
	return reply(conn, MHD_HTTP_OK, report(c, true), METRICS_TYPE);
}

/* The server is gone. */
static void on_closed(void *cls)
{
	struct oci_control *c = cls;

	free(c->unix_path);
	free(c);
}

int oci_control_start(uv_loop_t *loop, int listen_fd, const char *unix_path,
		      bool status, const struct oci_children *children,
		      const struct oci_cluster *cluster, uint64_t started_ns,
		      struct oci_control **ret)
{
	struct http_server_ops ops = {
		.name = status ? "control" : "metrics",
		.on_request = on_request,
		.on_closed = on_closed,
		.same_uid = unix_path != NULL,
	};
	struct oci_control *c = calloc(1, sizeof(*c));
	int r;

	if (!c || (unix_path && !(c->unix_path = strdup(unix_path)))) {
		free(c);
		close(listen_fd);
		return -ENOMEM;
	}
	c->children = children;
	c->cluster = cluster;
	c->started_ns = started_ns;
	c->status = status;
	ops.cls = c;
	r = http_server_start(loop, listen_fd, &ops, &c->srv);
	if (r < 0) {
		/* c is gone (on_closed()), the file is not. */
		if (unix_path)
			unlink(unix_path);
		return r;
	}
	*ret = c;
	return 0;
}

void oci_control_stop(struct oci_control *c)
{
	if (!c)
		return;
	if (c->unix_path && unlink(c->unix_path) < 0 && errno != ENOENT)
		log_warn_errno(-errno, "cannot remove %s", c->unix_path);
	/* c goes with the server (on_closed()). */
	http_server_stop(c->srv);
}
