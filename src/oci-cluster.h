/* SPDX-License-Identifier: Apache-2.0 */
/*
 * oci-cluster.h - `nsbypass oci --cluster`: the daemon's side of its etcd
 * client process (cluster-proc.h): started with the daemon, a new one
 * after it ended, stopped with the daemon (docs/design.md §6.8).
 */
#ifndef NB_OCI_CLUSTER_H
#define NB_OCI_CLUSTER_H

#include <stdbool.h>
#include <sys/types.h>
#include <uv.h>

#include "cluster-proc.h"
#include "oci-services.h"

/* A client that ended is started again after this. */
#define OCI_CLUSTER_RESTART_MS 1000

struct oci_cluster {
	uv_loop_t *loop;
	const struct cluster_opts *o;
	struct oci_services *services;
	pid_t pid; /* 0: none runs */
	uv_timer_t restart;
	unsigned int restarts;
	bool on, stopping;
};

/**
 * oci_cluster_start() - fork the client and serve it as the cluster peer
 * of @s
 * Return: 0 (a failed fork is logged and tried again later)
 */
int oci_cluster_start(struct oci_cluster *c, uv_loop_t *loop,
		      const struct cluster_opts *o, struct oci_services *s);

/**
 * oci_cluster_reaped() - @pid ended with @status: was it the client?
 * (then a new one starts after OCI_CLUSTER_RESTART_MS)
 */
bool oci_cluster_reaped(struct oci_cluster *c, pid_t pid, int status);

/** oci_cluster_stop() - the daemon stops: end the client, no new one */
void oci_cluster_stop(struct oci_cluster *c);

#endif /* NB_OCI_CLUSTER_H */
