/* SPDX-License-Identifier: Apache-2.0 */
/*
 * oci-control.h - the HTTP endpoints of `nsbypass oci`: the control
 * socket (`GET /status`, `GET /metrics`; what `nsbypass status` asks) and
 * the metrics endpoint of --metrics (`GET /metrics` only), served on the
 * daemon's loop (http-server.h) from the agents' shared memory
 * (agent-report.h).  docs/design.md §6.7.
 */
#ifndef NB_OCI_CONTROL_H
#define NB_OCI_CONTROL_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "oci-children.h"

/* What the control socket's path adds to the listener's by default. */
#define OCI_CONTROL_SUFFIX ".control"

struct oci_control;
struct oci_cluster;

/**
 * oci_control_default_path() - the listener's path @listen +
 * OCI_CONTROL_SUFFIX, in @buf of @len bytes
 * Return: false if it does not fit a unix socket address (or @buf)
 */
bool oci_control_default_path(const char *listen, char *buf, size_t len);

/**
 * oci_control_listen() - the listening socket of an endpoint
 * @spec:	"unix:PATH" (made 0600, same-uid peers only), or
 *		"ADDR:PORT" (numeric IPv4, or [IPv6]; only that address)
 * @unix_path:	the PATH of a unix: @spec (within @spec), else NULL
 *
 * Return: the fd, -EINVAL (@spec malformed), or the -errno of
 * http_listen_unix() or http_listen_tcp()
 */
int oci_control_listen(const char *spec, const char **unix_path);

/**
 * oci_control_start() - serve an endpoint
 * @loop:	the daemon's loop
 * @listen_fd:	from oci_control_listen() or http_listen_unix(); taken
 * @unix_path:	its socket file (removed at the stop), NULL: TCP
 * @status:	also `GET /status` (the control socket); else only metrics
 * @children:	the agents; must outlive the endpoint
 * @cluster:	the daemon's cluster client (reported while its ->on);
 *		NULL: none; must outlive the endpoint
 * @started_ns:	CLOCK_REALTIME of the daemon's start
 * @ret:	the endpoint
 *
 * Return: 0 or -errno
 */
int oci_control_start(uv_loop_t *loop, int listen_fd, const char *unix_path,
		      bool status, const struct oci_children *children,
		      const struct oci_cluster *cluster, uint64_t started_ns,
		      struct oci_control **ret);

/**
 * oci_control_stop() - close the endpoint and remove its socket file;
 * NULL is fine
 */
void oci_control_stop(struct oci_control *c);

#endif /* NB_OCI_CONTROL_H */
