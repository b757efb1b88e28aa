/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cluster-state.h - what the etcd client of `nsbypass oci --cluster`
 * (cluster-proc.h) tells the daemon of itself, for `nsbypass status` and
 * the metrics (docs/design.md §6.8).
 *
 * One message over the daemon's channel, sent when something in it
 * changed (at most once a second):
 *
 *   nsbypass-cluster-state 1
 *   up 1
 *   endpoint http://10.77.0.3:2379
 *   since 1765123456
 *   revision 42
 *   lease 694d7a8e0c3b2f11
 *   ttl 15
 *   keys 3
 *   remote 5
 *   nodes 2
 *   collisions 0
 *   outages 1
 *   error connect: Connection refused
 *   end
 *
 * (since: CLOCK_REALTIME seconds of the last change of "up"; lease in
 * hex, 0: none; error: the last failure, kept after etcd is back, empty
 * when there was none.)  The
 * client parses what the network sends, so the daemon parses this
 * strictly: every line, in this order, within its bounds, or the whole
 * message is refused with -EINVAL.
 */
#ifndef NB_CLUSTER_STATE_H
#define NB_CLUSTER_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CLUSTER_STATE_MAGIC "nsbypass-cluster-state 1\n"
#define CLUSTER_STATE_ENDPOINT_MAX 255
#define CLUSTER_STATE_ERROR_MAX 127
/* The longest message: every line at its longest. */
#define CLUSTER_STATE_TEXT_MAX 768

struct cluster_state {
	bool up;
	char endpoint[CLUSTER_STATE_ENDPOINT_MAX + 1];
	uint64_t since;
	int64_t revision;
	uint64_t lease;
	uint32_t ttl;
	uint32_t keys;	     /* this daemon's keys in etcd */
	uint32_t remote;     /* other nodes' namespaces known */
	uint32_t nodes;	     /* other nodes those are of */
	uint32_t collisions; /* addresses claimed twice */
	uint32_t outages;    /* times etcd was lost after it was up */
	char error[CLUSTER_STATE_ERROR_MAX + 1];
};

/**
 * cluster_state_format() - @s as the message
 * Return: its length (a NUL is written too), or -ENOSPC
 */
int cluster_state_format(const struct cluster_state *s, char *buf, size_t size);

/**
 * cluster_state_parse() - a message, strictly
 * Return: 0, or -EINVAL (then @ret is undefined)
 */
int cluster_state_parse(const char *buf, size_t len, struct cluster_state *ret);

/** cluster_state_is() - does @buf, @len bytes, start like such a message? */
bool cluster_state_is(const char *buf, size_t len);

#endif /* NB_CLUSTER_STATE_H */
