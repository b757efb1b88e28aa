/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cluster-proc.h - `nsbypass oci --cluster`'s etcd client, a process of
 * its own (docs/design.md §6.8).
 *
 * The daemon forks it at start.  It loads libcurl (curl-dl.h) there, so
 * that neither the daemon nor the agents it forks map it, and so that the
 * answers of the network (JSON, other nodes' records) are parsed outside
 * the process that holds every container's notify fd.  It talks to the
 * daemon over one SOCK_SEQPACKET socket, oci-services.h's messages both
 * ways: the daemon sends it the merged record of every local namespace
 * (and withdraws, resets), as to an agent; it sends the daemon the record
 * of every remote namespace (ids with SERVICE_NETNS_REMOTE), withdraws
 * and, after a send that would have blocked, a reset and every record
 * again.
 *
 * With etcd it holds one lease (kept alive every TTL/3), writes a key per
 * local namespace under it (cluster-view.h's schema), and keeps the
 * other nodes' keys from a read of the prefix and a watch from the
 * revision after it.  When etcd cannot be reached it keeps what it has,
 * says so once, and tries the next endpoint after 0.1 s; once every
 * endpoint failed in a row, after 0.5 s, doubling up to 10 s.  A write
 * etcd refuses is tried again after a back-off of its own, on the same
 * connection.  A watch broken off resumes from the
 * revision after the last one seen (a full read again only when etcd has
 * compacted that revision away).  Nothing of this is on an agent's path.
 */
#ifndef NB_CLUSTER_PROC_H
#define NB_CLUSTER_PROC_H

#include <sys/types.h>

#include "cluster-view.h"
#include "etcd-client.h"

#define CLUSTER_ENDPOINTS_MAX 8
/* The lease's TTL unless told (bypass4netns's, too). */
#define CLUSTER_TTL_DEFAULT 15

struct cluster_opts {
	struct cluster_config cfg;
	const char *endpoints[CLUSTER_ENDPOINTS_MAX]; /* "http[s]://H:P" */
	size_t n_endpoints;
	struct etcd_tls tls;
	int ttl; /* seconds */
};

/**
 * cluster_opts_add_endpoints() - the URLs of a --cluster value
 * @o:		the options
 * @list:	"URL[,URL...]", each http:// or https:// with a host, kept
 *		(pointers into it are stored)
 * @err:	the reason on failure, @errlen bytes
 * @errlen:	its size
 * Return: 0, or -EINVAL
 */
int cluster_opts_add_endpoints(struct cluster_opts *o, char *list, char *err,
			       size_t errlen);

/**
 * cluster_proc_start() - fork the client
 * @o:		what it does
 * @fd:		the daemon's end of its socket (SOCK_SEQPACKET, close on
 *		exec), for oci_services_add_cluster()
 * Return: its pid, or -errno
 */
pid_t cluster_proc_start(const struct cluster_opts *o, int *fd);

/**
 * cluster_proc_run() - the client's life, in its own process
 * @o:		what it does
 * @fd:		its end of the socket to the daemon
 * Return: the exit status: 0 when the daemon hung up, else 1
 */
int cluster_proc_run(const struct cluster_opts *o, int fd);

#endif /* NB_CLUSTER_PROC_H */
