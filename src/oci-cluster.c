// SPDX-License-Identifier: Apache-2.0
/*
 * oci-cluster.c - the etcd client process of `nsbypass oci --cluster`,
 * from the daemon's side (see oci-cluster.h).
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>

#include "log.h"
#include "oci-cluster.h"
#include "util.h"

static int spawn(struct oci_cluster *c)
{
	int fd, r;
	pid_t pid = cluster_proc_start(c->o, &fd);

	if (pid < 0)
		return (int)pid;
	r = oci_services_add_cluster(c->services, fd, pid);
	if (r < 0) {
		kill(pid, SIGTERM);
		return r;
	}
	c->pid = pid;
	log_debug("cluster: etcd client pid %d", (int)pid);
	return 0;
}

static void on_restart(uv_timer_t *t)
{
	struct oci_cluster *c = container_of(t, struct oci_cluster, restart);
	int r = spawn(c);

	if (r < 0) {
		log_warn_errno(r, "cluster: no etcd client, trying again");
		uv_timer_start(&c->restart, on_restart, OCI_CLUSTER_RESTART_MS,
			       0);
	}
}

int oci_cluster_start(struct oci_cluster *c, uv_loop_t *loop,
		      const struct cluster_opts *o, struct oci_services *s)
{
	int r;

	memset(c, 0, sizeof(*c));
	c->loop = loop;
	c->o = o;
	c->services = s;
	uv_timer_init(loop, &c->restart);
	c->on = true;
	r = spawn(c);
	if (r < 0) {
		log_warn_errno(r, "cluster: no etcd client, trying again");
		uv_timer_start(&c->restart, on_restart, OCI_CLUSTER_RESTART_MS,
			       0);
	}
	return 0;
}

bool oci_cluster_reaped(struct oci_cluster *c, pid_t pid, int status)
{
	if (!c->on || pid != c->pid)
		return false;
	c->pid = 0;
	oci_services_remove(c->services, pid);
	if (c->stopping)
		return true;
	c->restarts++;
	if (WIFSIGNALED(status))
		log_warn("cluster: the etcd client ended by signal %d: a new "
			 "one in %d ms (other nodes' services meanwhile not "
			 "served)",
			 WTERMSIG(status), OCI_CLUSTER_RESTART_MS);
	else
		log_warn("cluster: the etcd client exited with status %d: a "
			 "new one in %d ms",
			 WEXITSTATUS(status), OCI_CLUSTER_RESTART_MS);
	uv_timer_start(&c->restart, on_restart, OCI_CLUSTER_RESTART_MS, 0);
	return true;
}

void oci_cluster_stop(struct oci_cluster *c)
{
	if (!c->on)
		return;
	c->stopping = true;
	uv_timer_stop(&c->restart);
	uv_close((uv_handle_t *)&c->restart, NULL);
	if (c->pid > 0)
		kill(c->pid, SIGTERM);
}
