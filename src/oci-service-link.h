/* SPDX-License-Identifier: Apache-2.0 */
/*
 * oci-service-link.h - an `nsbypass oci` agent's end of the service
 * channel to its daemon (oci-services.h has the protocol): its own
 * record out whenever it changed, the other namespaces' records (and its
 * pod-mates') in, applied to the agent's map as SERVICE_PARENT.
 */
#ifndef NB_OCI_SERVICE_LINK_H
#define NB_OCI_SERVICE_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "agent.h"
#include "oci-services.h"
#include "service-record.h"

/* Namespaces whose records the agent holds from its daemon. */
#define OCI_SERVICE_LINK_NETNS_MAX (OCI_SERVICES_PEERS_MAX + CLUSTER_REMOTE_MAX)

struct oci_service_link {
	struct agent *agent;
	uv_poll_t poll;
	int fd;	      /* -1: no link */
	bool polling; /* the handle is made */
	bool dirty;   /* the own record changed since it was sent */
	char *buf;    /* one message */
	struct service_record *rec;
	uint64_t netns[OCI_SERVICE_LINK_NETNS_MAX]; /* from the daemon */
	size_t n_netns;
	uint64_t bad; /* messages refused */
	/* The daemon hung up (after the link stopped); NULL: nothing. */
	void (*on_hangup)(struct oci_service_link *l);
};

/**
 * oci_service_link_start() - serve the channel @fd for @a
 * @l:		the link
 * @a:		the agent, started; its on_services_changed is the caller's
 *		to set, calling oci_service_link_changed()
 * @loop:	the loop
 * @fd:		the agent's end of the SOCK_SEQPACKET socket (owned, closed
 *		on failure too)
 *
 * The agent's record is sent once at start; what the daemon sent already
 * (every other record, at the fork) is applied at once, before the
 * first notification is served.
 *
 * Return: 0 or -errno (the agent then runs without other containers'
 * services)
 */
int oci_service_link_start(struct oci_service_link *l, struct agent *a,
			   uv_loop_t *loop, int fd);

/**
 * oci_service_link_changed() - the agent's own record may have changed:
 * sent on the next turn of the loop (changes in one turn make one
 * message); a no-op without a link
 */
void oci_service_link_changed(struct oci_service_link *l);

/**
 * oci_service_link_message() - one message from the daemon: a record, a
 * withdraw or a reset (oci-services.h), applied to the agent's map
 * Return: 0, or -EINVAL for anything else (nothing applied)
 */
int oci_service_link_message(struct oci_service_link *l, const char *buf,
			     size_t len);

/** oci_service_link_stop() - close the channel (the handle on the loop) */
void oci_service_link_stop(struct oci_service_link *l);

/** oci_service_link_fini() - free the buffers, after the loop ended */
void oci_service_link_fini(struct oci_service_link *l);

#endif /* NB_OCI_SERVICE_LINK_H */
