/* SPDX-License-Identifier: Apache-2.0 */
/*
 * oci-config.h - the settings of one container's agent under
 * `nsbypass oci`: the daemon's defaults, overridden per container by the
 * state's metadata (the profile's listenerMetadata) and then by its
 * annotations.
 *
 *   metadata:     "ignore=CIDR,CIDR;publish=SPEC,SPEC;ignore-bind=BOOL;
 *                  c2c=BOOL" (any subset, any order, ';'-separated)
 *   annotations:  nsbypass.ignore=CIDR,CIDR  nsbypass.publish=SPEC,SPEC
 *                 nsbypass.ignore-bind=BOOL  nsbypass.c2c=BOOL
 *
 * A key given replaces the daemon's value for that key, whole: an empty
 * value ("ignore=") empties the list.  The built-in never-bypassed ranges
 * (policy.h) cannot be removed.  SPEC is `nsbypass run --publish`'s; BOOL
 * is true or false.  c2c=false keeps the container out of
 * container-to-container switching (docs/design.md §3.4); on by default.
 */
#ifndef NB_OCI_CONFIG_H
#define NB_OCI_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "oci-state.h"
#include "policy.h"
#include "publish.h"

struct oci_config {
	struct policy policy; /* its ignore list; no subnets */
	struct publish_table publish;
	bool ignore_bind;
	bool no_c2c; /* c2c=false */
};

/**
 * oci_config_apply() - apply the container's settings in @st to @c
 * @c:		a copy of the daemon's defaults; changed in place
 * @st:		the container's state
 * @why:	on failure, what is wrong (for the log line)
 * @why_len:	the size of @why
 *
 * Return: 0, or -EINVAL (a bad key or value: @c is partly changed)
 */
int oci_config_apply(struct oci_config *c, const struct oci_state *st,
		     char *why, size_t why_len);

#endif /* NB_OCI_CONFIG_H */
