// SPDX-License-Identifier: Apache-2.0
/*
 * oci-service-link.c - an `nsbypass oci` agent's end of the service
 * channel (oci-service-link.h; the protocol in oci-services.h).
 *
 * The own record goes out from the poll callback when the socket is
 * writable, so that the changes of one loop turn make one message, and a
 * daemon that is slow to read never blocks the agent: the record waits,
 * and the newest one goes when there is room.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cluster-view.h"
#include "log.h"
#include "oci-service-link.h"
#include "oci-services.h"
#include "util.h"

static void on_link(uv_poll_t *h, int status, int events);
static int read_messages(struct oci_service_link *l);

static void link_poll(struct oci_service_link *l)
{
	if (l->polling)
		uv_poll_start(&l->poll,
			      UV_READABLE | UV_DISCONNECT |
				      (l->dirty ? UV_WRITABLE : 0),
			      on_link);
}

int oci_service_link_start(struct oci_service_link *l, struct agent *a,
			   uv_loop_t *loop, int fd)
{
	int r;

	l->agent = a;
	l->fd = fd;
	l->buf = malloc(SERVICE_RECORD_TEXT_MAX + 1);
	l->rec = malloc(sizeof(*l->rec));
	if (!l->buf || !l->rec) {
		r = -ENOMEM;
		goto fail;
	}
	r = uv_poll_init(loop, &l->poll, fd);
	if (r < 0)
		goto fail;
	l->poll.data = l;
	l->polling = true;
	l->dirty = true; /* once at start */
	link_poll(l);
	/* What the daemon sent at the fork is here by now: take it before
	 * the first notification, or a `podman exec` that connects at once
	 * would miss its container's services.  A hang-up already (a daemon
	 * that refused our adoption at once) is left to the poll, whose
	 * on_link() tells on_hangup, as for any later one. */
	(void)read_messages(l);
	return 0;
fail:
	close(fd);
	l->fd = -1;
	return r;
}

void oci_service_link_changed(struct oci_service_link *l)
{
	if (!l->polling || l->dirty)
		return;
	l->dirty = true;
	link_poll(l);
}

/* Send the own record, if there is room now. */
static void send_record(struct oci_service_link *l)
{
	int n;

	agent_services_collect(l->agent, l->rec);
	if (!l->rec->netns) {
		l->dirty = false; /* no map or no netns: nothing to say */
		return;
	}
	n = service_record_format(l->rec, l->buf, SERVICE_RECORD_TEXT_MAX + 1);
	if (n < 0) {
		log_warn_errno(n, "services: own record not sent");
		l->dirty = false;
		return;
	}
	if (send(l->fd, l->buf, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != ENOBUFS)
			l->dirty = false; /* the daemon is gone */
		return;
	}
	l->dirty = false;
}

/* Whose word a namespace's record is: another node's ids have
 * SERVICE_NETNS_REMOTE set, which the daemon lets only its etcd client
 * send (oci-services.h). */
static uint8_t origin_of(uint64_t netns)
{
	return netns & SERVICE_NETNS_REMOTE ? SERVICE_CLUSTER : SERVICE_PARENT;
}

/* Forget every record of the daemon's. */
static void forget_all(struct oci_service_link *l)
{
	for (size_t i = 0; i < l->n_netns; i++)
		agent_services_withdraw(l->agent, l->netns[i],
					origin_of(l->netns[i]));
	l->n_netns = 0;
}

static void forget(struct oci_service_link *l, uint64_t netns)
{
	agent_services_withdraw(l->agent, netns, origin_of(netns));
	for (size_t i = 0; i < l->n_netns; i++)
		if (l->netns[i] == netns) {
			l->netns[i] = l->netns[--l->n_netns];
			return;
		}
}

static int remember(struct oci_service_link *l, uint64_t netns)
{
	for (size_t i = 0; i < l->n_netns; i++)
		if (l->netns[i] == netns)
			return 0;
	if (l->n_netns == ARRAY_SIZE(l->netns))
		return -ENOSPC;
	l->netns[l->n_netns++] = netns;
	return 0;
}

int oci_service_link_message(struct oci_service_link *l, const char *buf,
			     size_t len)
{
	static const char reset[] = OCI_SERVICES_RESET;
	uint64_t netns;

	if (len == sizeof(reset) - 1 && memcmp(buf, reset, len) == 0) {
		forget_all(l);
		return 0;
	}
	if (oci_services_parse_withdraw(buf, len, &netns) == 0) {
		forget(l, netns);
		return 0;
	}
	if (service_record_parse(buf, len, SERVICE_PARENT, l->rec) < 0)
		return -EINVAL;
	/* Never more namespaces than can be withdrawn again. */
	if (remember(l, l->rec->netns) < 0)
		return -EINVAL;
	agent_services_apply(l->agent, l->rec, origin_of(l->rec->netns));
	return 0;
}

/* Apply every message waiting; -EPIPE once the daemon hung up. */
static int read_messages(struct oci_service_link *l)
{
	for (;;) {
		ssize_t n = recv(l->fd, l->buf, SERVICE_RECORD_TEXT_MAX + 1,
				 MSG_DONTWAIT | MSG_TRUNC);

		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (n <= 0)
			return -EPIPE;
		if ((size_t)n > SERVICE_RECORD_TEXT_MAX ||
		    oci_service_link_message(l, l->buf, (size_t)n) < 0) {
			if (!l->bad++)
				log_warn("services: a bad message from the "
					 "daemon (%zd bytes), ignored",
					 n);
		}
	}
}

static void on_link(uv_poll_t *h, int status, int events)
{
	struct oci_service_link *l = h->data;

	if (status < 0 || (events & UV_DISCONNECT))
		goto hangup;
	if ((events & UV_WRITABLE) && l->dirty) {
		send_record(l);
		if (!l->dirty)
			link_poll(l);
	}
	if (!(events & UV_READABLE) || read_messages(l) == 0)
		return;
hangup:
	/* The daemon stopped: what it sent stays (a stale entry fails
	 * like a refused connect); nothing new comes. */
	log_debug("services: the daemon hung up");
	oci_service_link_stop(l);
	if (l->on_hangup)
		l->on_hangup(l);
}

void oci_service_link_stop(struct oci_service_link *l)
{
	if (!l->polling)
		return;
	l->polling = false;
	uv_poll_stop(&l->poll);
	uv_close((uv_handle_t *)&l->poll, NULL);
}

void oci_service_link_fini(struct oci_service_link *l)
{
	closep(&l->fd);
	free(l->buf);
	free(l->rec);
	l->buf = NULL;
	l->rec = NULL;
}
