/* SPDX-License-Identifier: Apache-2.0 */
/*
 * oci-services.h - `nsbypass oci`'s daemon side of the service map
 * (docs/design.md §3.4, "Across containers"): one SOCK_SEQPACKET socket
 * per agent, made at its fork.
 *
 * An agent sends its own record (service-record.h's text, one message,
 * at most SERVICE_RECORD_TEXT_MAX bytes) at start and whenever it
 * changed.  The daemon keeps the last valid record of each agent and
 * merges those of one network namespace (pod-mates, an exec's agent:
 * several agents, one netns): the union of their addresses and entries,
 * c2c off if any of them opted out.  Every merged record that changed
 * goes to every agent, which applies it with SERVICE_PARENT.  Besides
 * records the daemon sends:
 *
 *   nsbypass-withdraw 1\nnetns HEX\nend\n   the last agent of that netns
 *                                           ended: forget its record
 *   nsbypass-reset 1\n                      forget every record of the
 *                                           daemon: all of them follow
 *
 * The daemon never blocks on an agent: its sends are non-blocking, and a
 * send that would block marks the agent for a full resend (a reset, then
 * every merged record) once its socket is writable again; a change
 * meanwhile restarts that resend.  A new agent gets one at once.  An
 * agent that hung up (or was reaped) is forgotten and its record
 * withdrawn.  What an agent sends is checked as hostile input (bounded,
 * strictly parsed); a bad message is dropped and logged.
 *
 * With --cluster one more peer is the etcd client process
 * (cluster-proc.h).  It gets what an agent gets of local namespaces, and
 * sends the records of other nodes' namespaces, whose ids have
 * SERVICE_NETNS_REMOTE set (an agent's record with that bit is refused),
 * their withdraws, and a reset before it sends them all again.  The
 * daemon passes them to every agent as they are; an agent applies them
 * with SERVICE_CLUSTER.  When that process ends, its records are
 * withdrawn.  It also tells how it fares with etcd (cluster-state.h):
 * kept for the status, not passed on.
 */
#ifndef NB_OCI_SERVICES_H
#define NB_OCI_SERVICES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <uv.h>

#include "cluster-state.h"
#include "cluster-view.h"
#include "service-record.h"

/* Agents served at once (nsbypass oci's own bound). */
#define OCI_SERVICES_PEERS_MAX 1024
/* The daemon's messages other than records. */
#define OCI_SERVICES_WITHDRAW "nsbypass-withdraw 1\n"
#define OCI_SERVICES_RESET "nsbypass-reset 1\n"

struct oci_services_peer;
struct oci_services_ns;

struct oci_services_stats {
	uint64_t received; /* valid records from agents */
	uint64_t bad;	   /* messages refused */
	uint64_t sent;	   /* messages sent to agents */
	uint64_t dropped;  /* sends that would block: a resend follows */
};

struct oci_services {
	uv_loop_t *loop;
	struct oci_services_peer *peers[OCI_SERVICES_PEERS_MAX];
	size_t n_peers;
	/* One merged record per netns some agent reported, and the records
	 * of the cluster peer. */
	struct oci_services_ns *ns[OCI_SERVICES_PEERS_MAX + CLUSTER_REMOTE_MAX];
	size_t n_ns;
	struct oci_services_peer *cluster; /* or NULL */
	/* What the cluster peer last said of itself; has_: since it came. */
	struct cluster_state cluster_state;
	bool has_cluster_state;
	char *buf;			/* a message, received or formatted */
	struct service_record *scratch; /* parsed or merged */
	struct oci_services_stats stats;
};

/**
 * oci_services_init() - an empty set of agents on @loop
 * Return: 0 or -ENOMEM
 */
int oci_services_init(struct oci_services *s, uv_loop_t *loop);

/**
 * oci_services_add() - serve the agent @pid on @fd
 * @s:		the set
 * @fd:		the daemon's end of the agent's SOCK_SEQPACKET socket, owned
 *		from now on (closed on failure too); made non-blocking
 * @pid:	the agent process, for oci_services_remove()
 *
 * The agent is sent every merged record (after a reset) at once.
 *
 * Return: 0, -ENOSPC past OCI_SERVICES_PEERS_MAX agents, or -errno
 */
int oci_services_add(struct oci_services *s, int fd, pid_t pid);

/**
 * oci_services_add_cluster() - serve the etcd client process @pid on @fd
 * (as oci_services_add(); one at a time: a second one replaces the first)
 * Return: 0 or -errno
 */
int oci_services_add_cluster(struct oci_services *s, int fd, pid_t pid);

/**
 * oci_services_remove() - the agent @pid ended (reaped): forget it, its
 * record withdrawn; a no-op if it is not served (it hung up before)
 */
void oci_services_remove(struct oci_services *s, pid_t pid);

/**
 * oci_services_close() - stop serving every agent (the daemon stops): the
 * handles close on the loop; nothing is withdrawn (the agents keep what
 * they have)
 */
void oci_services_close(struct oci_services *s);

/**
 * oci_services_fini() - free what is left, after the loop has ended (or in
 * a forked agent, which must not touch the daemon's handles)
 */
void oci_services_fini(struct oci_services *s);

/**
 * oci_services_format_withdraw() - the withdraw message of @netns
 * Return: its length (no NUL counted), or -ENOSPC
 */
int oci_services_format_withdraw(uint64_t netns, char *buf, size_t size);

/**
 * oci_services_parse_withdraw() - the netns of a withdraw message
 * @buf:	the message, @len bytes
 * @len:	its length
 * @ret:	the netns cookie (not 0)
 *
 * Return: 0, or -EINVAL unless @buf is exactly a withdraw message
 */
int oci_services_parse_withdraw(const char *buf, size_t len, uint64_t *ret);

#endif /* NB_OCI_SERVICES_H */
