// SPDX-License-Identifier: Apache-2.0
/*
 * oci-services.c - `nsbypass oci`'s daemon side of the service map: the
 * agents' records in, one merged record per network namespace out to
 * every agent (the protocol is in oci-services.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "oci-services.h"
#include "service-record.h"
#include "util.h"

/* Messages read from one agent per wake-up: one agent cannot hold the
 * daemon's loop. */
#define OCI_SERVICES_READ_BURST 16

struct oci_services_peer {
	struct oci_services *s;
	uv_poll_t poll;
	int fd;
	pid_t pid;
	bool has_rec;		   /* it sent a valid record: */
	struct service_record rec; /* its last one */
	bool resend;		   /* a full resend is due */
	bool reset_sent;	   /* ... and its reset went */
	size_t cursor;		   /* ... the next merged record it sends */
	bool bad_logged;	   /* one warning per agent */
	bool cluster;		   /* the etcd client, not an agent */
};

struct oci_services_ns {
	uint64_t netns;
	bool remote; /* the cluster peer's: not sent back to it */
	size_t len;
	char text[]; /* the merged record */
};

int oci_services_init(struct oci_services *s, uv_loop_t *loop)
{
	memset(s, 0, sizeof(*s));
	s->loop = loop;
	s->buf = malloc(SERVICE_RECORD_TEXT_MAX + 1);
	s->scratch = malloc(sizeof(*s->scratch));
	if (!s->buf || !s->scratch) {
		oci_services_fini(s);
		return -ENOMEM;
	}
	return 0;
}

int oci_services_format_withdraw(uint64_t netns, char *buf, size_t size)
{
	int n = snprintf(buf, size,
			 OCI_SERVICES_WITHDRAW "netns %016" PRIx64 "\nend\n",
			 netns);

	return n < 0 || (size_t)n >= size ? -ENOSPC : n;
}

int oci_services_parse_withdraw(const char *buf, size_t len, uint64_t *ret)
{
	static const char head[] = OCI_SERVICES_WITHDRAW "netns ";
	static const char tail[] = "\nend\n";
	const size_t hl = sizeof(head) - 1, tl = sizeof(tail) - 1;
	char hex[17];
	uint64_t v = 0;

	/* Exactly 16 lower-case hex digits, as the format writes them. */
	if (len != hl + 16 + tl || memcmp(buf, head, hl) != 0 ||
	    memcmp(buf + hl + 16, tail, tl) != 0)
		return -EINVAL;
	memcpy(hex, buf + hl, 16);
	hex[16] = '\0';
	for (size_t i = 0; i < 16; i++) {
		char c = hex[i];

		if (c >= '0' && c <= '9')
			v = v << 4 | (uint64_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v = v << 4 | (uint64_t)(c - 'a' + 10);
		else
			return -EINVAL;
	}
	if (v == 0)
		return -EINVAL;
	*ret = v;
	return 0;
}

static void on_peer(uv_poll_t *h, int status, int events);

static void peer_poll(struct oci_services_peer *p)
{
	int r = uv_poll_start(&p->poll,
			      UV_READABLE | UV_DISCONNECT |
				      (p->resend ? UV_WRITABLE : 0),
			      on_peer);

	if (r < 0)
		log_warn("services: agent pid %d: %s", (int)p->pid,
			 uv_strerror(r));
}

/* One message to @p; -EAGAIN if it would block (nothing sent). */
static int peer_send(struct oci_services_peer *p, const char *buf, size_t len)
{
	ssize_t n = send(p->fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);

	if (n >= 0) {
		p->s->stats.sent++;
		return 0;
	}
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS) {
		p->s->stats.dropped++;
		return -EAGAIN;
	}
	/* EPIPE, ECONNRESET: it is going; its hang-up forgets it. */
	return -errno;
}

/* A reset, then every merged record, from the start. */
static void resend_restart(struct oci_services_peer *p)
{
	bool was = p->resend;

	p->resend = true;
	p->reset_sent = false;
	p->cursor = 0;
	if (!was)
		peer_poll(p);
}

/* Go on with @p's resend as far as its socket takes it. */
static void resend_pump(struct oci_services_peer *p)
{
	struct oci_services *s = p->s;

	if (!p->resend)
		return;
	if (!p->reset_sent) {
		if (peer_send(p, OCI_SERVICES_RESET,
			      sizeof(OCI_SERVICES_RESET) - 1) < 0)
			return;
		p->reset_sent = true;
	}
	for (; p->cursor < s->n_ns; p->cursor++)
		if (!(p->cluster && s->ns[p->cursor]->remote) &&
		    peer_send(p, s->ns[p->cursor]->text,
			      s->ns[p->cursor]->len) < 0)
			return;
	p->resend = false;
	peer_poll(p);
}

/* @buf to every agent (and the cluster peer, unless @remote: what came
 * from it); one that cannot take it now gets a resend. */
static void broadcast(struct oci_services *s, const char *buf, size_t len,
		      bool remote)
{
	for (size_t i = 0; i < s->n_peers; i++) {
		struct oci_services_peer *p = s->peers[i];

		if (remote && p->cluster)
			continue;
		/* A resend under way may have passed what changed. */
		if (p->resend || peer_send(p, buf, len) == -EAGAIN)
			resend_restart(p);
	}
}

/* Merge @from into @m: the union of addresses and entries, c2c off if
 * either is off.  Return: how many did not fit. */
static size_t merge_one(struct service_record *m,
			const struct service_record *from)
{
	size_t left = 0, j;

	m->c2c = m->c2c && from->c2c;
	for (size_t i = 0; i < from->n_addrs; i++) {
		for (j = 0; j < m->n_addrs; j++)
			if (service_addr_eq(&m->addrs[j], &from->addrs[i]))
				break;
		if (j < m->n_addrs)
			continue;
		if (m->n_addrs < SERVICE_ADDRS_MAX)
			m->addrs[m->n_addrs++] = from->addrs[i];
		else
			left++;
	}
	for (size_t i = 0; i < from->n_entries; i++) {
		for (j = 0; j < m->n_entries; j++)
			if (m->entries[j].listener.cookie ==
			    from->entries[i].listener.cookie)
				break;
		if (j < m->n_entries)
			continue;
		if (m->n_entries < SERVICE_RECORD_ENTRIES_MAX)
			m->entries[m->n_entries++] = from->entries[i];
		else
			left++;
	}
	return left;
}

static size_t ns_index(const struct oci_services *s, uint64_t netns)
{
	size_t i;

	for (i = 0; i < s->n_ns; i++)
		if (s->ns[i]->netns == netns)
			break;
	return i;
}

/* @netns's record is gone: forget it, tell every agent. */
static void ns_withdraw(struct oci_services *s, uint64_t netns)
{
	size_t i = ns_index(s, netns);
	bool remote;
	char msg[128];
	int n;

	if (i == s->n_ns)
		return;
	remote = s->ns[i]->remote;
	free(s->ns[i]);
	s->ns[i] = s->ns[--s->n_ns];
	n = oci_services_format_withdraw(netns, msg, sizeof(msg));
	if (n > 0)
		broadcast(s, msg, (size_t)n, remote);
	log_debug("services: netns %016" PRIx64 ": withdrawn", netns);
}

/* Merge again the records of @netns; if that changed its text, store it
 * and send it to every agent (a withdraw if no agent has it now). */
static void ns_update(struct oci_services *s, uint64_t netns)
{
	struct service_record *m = s->scratch;
	struct oci_services_ns *ns;
	size_t i, left = 0, agents = 0;
	int len;

	memset(m, 0, sizeof(*m));
	m->netns = netns;
	m->c2c = true;
	for (i = 0; i < s->n_peers; i++) {
		const struct service_record *r = &s->peers[i]->rec;

		if (s->peers[i]->has_rec && r->netns == netns) {
			left += merge_one(m, r);
			agents++;
		}
	}
	if (!agents) {
		ns_withdraw(s, netns);
		return;
	}
	if (left)
		log_warn("services: netns %016" PRIx64 ": %zu address(es) or "
			 "listener(s) left out of its record",
			 netns, left);
	len = service_record_format(m, s->buf, SERVICE_RECORD_TEXT_MAX + 1);
	if (len < 0) {
		log_warn_errno(len, "services: netns %016" PRIx64, netns);
		return;
	}
	i = ns_index(s, netns);
	if (i < s->n_ns && s->ns[i]->len == (size_t)len &&
	    memcmp(s->ns[i]->text, s->buf, (size_t)len) == 0)
		return; /* a pod-mate said what was known */
	ns = malloc(sizeof(*ns) + (size_t)len);
	if (!ns) {
		log_warn("services: netns %016" PRIx64 ": out of memory",
			 netns);
		return;
	}
	ns->netns = netns;
	ns->remote = false;
	ns->len = (size_t)len;
	memcpy(ns->text, s->buf, (size_t)len);
	if (i < s->n_ns) {
		free(s->ns[i]);
		s->ns[i] = ns;
	} else {
		/* At most one netns per agent: there is room. */
		s->ns[s->n_ns++] = ns;
	}
	log_debug("services: netns %016" PRIx64 ": %zu agent(s), %zu "
		  "address(es), %zu listener(s)",
		  netns, agents, m->n_addrs, m->n_entries);
	broadcast(s, ns->text, ns->len, false);
}

static void free_peer(uv_handle_t *h)
{
	struct oci_services_peer *p = h->data;

	close(p->fd);
	free(p);
}

/* Withdraw every record of the cluster peer. */
static void remote_clear(struct oci_services *s)
{
	for (size_t i = 0; i < s->n_ns;)
		if (s->ns[i]->remote)
			ns_withdraw(s, s->ns[i]->netns);
		else
			i++;
}

/* Stop serving @p (index @i); withdraw or merge again its netns. */
static void drop_peer(struct oci_services *s, size_t i, bool withdraw)
{
	struct oci_services_peer *p = s->peers[i];
	uint64_t netns = p->has_rec ? p->rec.netns : 0;

	if (p->cluster) {
		s->cluster = NULL;
		s->has_cluster_state = false;
		if (withdraw)
			remote_clear(s);
	}
	s->peers[i] = s->peers[--s->n_peers];
	uv_close((uv_handle_t *)&p->poll, free_peer);
	if (netns && withdraw)
		ns_update(s, netns);
}

static size_t peer_index(const struct oci_services *s,
			 const struct oci_services_peer *p)
{
	size_t i;

	for (i = 0; i < s->n_peers; i++)
		if (s->peers[i] == p)
			break;
	return i;
}

static void bad_message(struct oci_services_peer *p, size_t len)
{
	p->s->stats.bad++;
	if (!p->bad_logged)
		log_warn("services: %s pid %d: a bad record (%zu bytes), "
			 "ignored",
			 p->cluster ? "cluster client" : "agent", (int)p->pid,
			 len);
	p->bad_logged = true;
}

/* A remote record from the cluster peer: kept as it came, to every
 * agent. */
static void remote_record(struct oci_services *s, size_t len)
{
	size_t i = ns_index(s, s->scratch->netns), remote = 0;
	struct oci_services_ns *ns;

	if (i < s->n_ns && s->ns[i]->len == len &&
	    memcmp(s->ns[i]->text, s->buf, len) == 0)
		return;
	for (size_t k = 0; k < s->n_ns; k++)
		remote += s->ns[k]->remote;
	if (i == s->n_ns && remote >= CLUSTER_REMOTE_MAX)
		return;
	ns = malloc(sizeof(*ns) + len);
	if (!ns)
		return;
	ns->netns = s->scratch->netns;
	ns->remote = true;
	ns->len = len;
	memcpy(ns->text, s->buf, len);
	if (i < s->n_ns) {
		free(s->ns[i]);
		s->ns[i] = ns;
	} else {
		s->ns[s->n_ns++] = ns;
	}
	broadcast(s, ns->text, ns->len, true);
}

/* One message from the cluster peer. */
static void cluster_message(struct oci_services_peer *p, size_t len)
{
	struct oci_services *s = p->s;
	uint64_t netns;

	if (len == sizeof(OCI_SERVICES_RESET) - 1 &&
	    memcmp(s->buf, OCI_SERVICES_RESET, len) == 0) {
		remote_clear(s);
		return;
	}
	if (cluster_state_is(s->buf, len)) {
		if (cluster_state_parse(s->buf, len, &s->cluster_state) < 0) {
			s->has_cluster_state = false;
			bad_message(p, len);
			return;
		}
		s->has_cluster_state = true;
		return;
	}
	if (oci_services_parse_withdraw(s->buf, len, &netns) == 0 &&
	    (netns & SERVICE_NETNS_REMOTE)) {
		ns_withdraw(s, netns);
		return;
	}
	if (len > SERVICE_RECORD_TEXT_MAX ||
	    service_record_parse(s->buf, len, SERVICE_CLUSTER, s->scratch) <
		    0 ||
	    !(s->scratch->netns & SERVICE_NETNS_REMOTE)) {
		bad_message(p, len);
		return;
	}
	s->stats.received++;
	remote_record(s, len);
}

/* One message from @p. */
static void peer_message(struct oci_services_peer *p, size_t len)
{
	struct oci_services *s = p->s;
	uint64_t old = p->has_rec ? p->rec.netns : 0;

	if (p->cluster) {
		cluster_message(p, len);
		return;
	}
	if (len > SERVICE_RECORD_TEXT_MAX ||
	    service_record_parse(s->buf, len, SERVICE_PARENT, s->scratch) < 0 ||
	    (s->scratch->netns & SERVICE_NETNS_REMOTE)) {
		bad_message(p, len);
		return;
	}
	p->rec = *s->scratch;
	p->has_rec = true;
	s->stats.received++;
	/* The old netns first: at most one per agent is stored. */
	if (old && old != p->rec.netns)
		ns_update(s, old);
	ns_update(s, p->rec.netns);
}

static void on_peer(uv_poll_t *h, int status, int events)
{
	struct oci_services_peer *p = h->data;
	struct oci_services *s = p->s;

	if (status < 0 || (events & UV_DISCONNECT))
		goto hangup;
	if (events & UV_WRITABLE)
		resend_pump(p);
	if (!(events & UV_READABLE))
		return;
	for (int k = 0; k < OCI_SERVICES_READ_BURST; k++) {
		/* MSG_TRUNC: the real length of a longer message. */
		ssize_t n = recv(p->fd, s->buf, SERVICE_RECORD_TEXT_MAX + 1,
				 MSG_DONTWAIT | MSG_TRUNC);

		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0)
			goto hangup;
		peer_message(p, (size_t)n);
	}
	return;
hangup:
	log_debug("services: agent pid %d hung up", (int)p->pid);
	drop_peer(s, peer_index(s, p), true);
}

static int add_peer(struct oci_services *s, int fd, pid_t pid, bool cluster);

int oci_services_add(struct oci_services *s, int fd, pid_t pid)
{
	return add_peer(s, fd, pid, false);
}

int oci_services_add_cluster(struct oci_services *s, int fd, pid_t pid)
{
	if (s->cluster)
		drop_peer(s, peer_index(s, s->cluster), true);
	return add_peer(s, fd, pid, true);
}

static int add_peer(struct oci_services *s, int fd, pid_t pid, bool cluster)
{
	struct oci_services_peer *p;
	int r;

	if (s->n_peers == ARRAY_SIZE(s->peers)) {
		close(fd);
		return -ENOSPC;
	}
	p = calloc(1, sizeof(*p));
	if (!p) {
		close(fd);
		return -ENOMEM;
	}
	p->s = s;
	p->fd = fd;
	p->pid = pid;
	p->cluster = cluster;
	r = uv_poll_init(s->loop, &p->poll, fd);
	if (r < 0) {
		close(fd);
		free(p);
		return r;
	}
	p->poll.data = p;
	s->peers[s->n_peers++] = p;
	if (cluster)
		s->cluster = p;
	resend_restart(p);
	resend_pump(p);
	return 0;
}

void oci_services_remove(struct oci_services *s, pid_t pid)
{
	for (size_t i = 0; i < s->n_peers; i++)
		if (s->peers[i]->pid == pid) {
			drop_peer(s, i, true);
			return;
		}
}

void oci_services_close(struct oci_services *s)
{
	while (s->n_peers)
		drop_peer(s, s->n_peers - 1, false);
}

void oci_services_fini(struct oci_services *s)
{
	for (size_t i = 0; i < s->n_ns; i++)
		free(s->ns[i]);
	s->n_ns = 0;
	free(s->buf);
	free(s->scratch);
	s->buf = NULL;
	s->scratch = NULL;
}
