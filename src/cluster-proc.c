// SPDX-License-Identifier: Apache-2.0
/*
 * cluster-proc.c - the etcd client process of `nsbypass oci --cluster`
 * (see cluster-proc.h and docs/design.md §6.8).
 *
 * One libuv loop, two sides:
 *  - the daemon's socket: local records in (what this node writes),
 *    remote records out (what the agents get);
 *  - etcd: a lease, the writes of local keys one at a time, a read of the
 *    prefix, a watch, a keepalive every TTL/3.
 * Any failure on the etcd side cancels every call under way and starts
 * again on the next endpoint (after a back-off once every endpoint failed
 * in a row); the remote records stay as they were meanwhile.  A write
 * etcd refuses is only tried again, after a back-off of its own.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "cluster-proc.h"
#include "etcd-msg.h"
#include "log.h"
#include "oci-services.h"
#include "service-record.h"
#include "util.h"

/* A failure moves to the next endpoint after RETRY_NEXT_MS; once every
 * endpoint failed in a row, the back-off: BACKOFF_FIRST_MS, doubling up to
 * BACKOFF_MAX_MS (a healed partition is seen within that, plus jitter). */
#define RETRY_NEXT_MS 100
#define BACKOFF_FIRST_MS 500
#define BACKOFF_MAX_MS 10000
/* Bounds of the calls that are not streams. */
#define CALL_TIMEOUT_MS 5000
/* A keepalive waits at most TTL/3 (and this much at least): sent TTL/3
 * after the last renewal, it gives up on a member gone silent with a
 * third of the lease's life left for the next member to keep it. */
#define KEEP_TIMEOUT_MIN_MS 1000
/* How long a new daemon's agents have to report before the keys of
 * namespaces none reported are deleted (adoption asks every 5 s). */
#define STALE_GRACE_MS 6000
/* The state goes to the daemon at most this often (cluster-state.h). */
#define STATE_INTERVAL_MS 1000
/* Local namespaces not sent again this long after a reset are gone. */
#define RESET_GRACE_MS 1000
/* The socket buffer to the daemon: every remote record fits, mostly. */
#define CHANNEL_SNDBUF (4 << 20)

struct local_ns {
	uint64_t netns;
	bool dirty;   /* its key is to be written (or deleted) */
	bool written; /* a key of it is in etcd, as far as we know */
	bool seen;    /* sent again since the last reset */
	size_t len;   /* 0: nothing of it is for the cluster */
	char *text;   /* what its key holds */
};

struct cluster {
	const struct cluster_opts *o;
	uv_loop_t loop;
	struct curl_dl curl;
	struct etcd_client etcd;
	struct cluster_view view;
	/* The daemon's socket. */
	int fd;
	uv_poll_t chan;
	bool resend;	  /* a reset and every remote record are due */
	size_t resend_at; /* the next one, once the reset went */
	bool resend_reset_sent;
	char *buf;
	struct service_record *rec, *exp;
	struct local_ns *local[CLUSTER_LOCAL_MAX];
	size_t n_local;
	uv_timer_t reset_timer;
	/* Keys of ours no agent reported are deleted only after this: the
	 * agents of a restarted daemon report once adopted. */
	uv_timer_t grace;
	bool grace_over;
	/* etcd. */
	size_t endpoint;
	int64_t lease;
	int64_t last_rev; /* 0: the prefix is to be read whole */
	struct etcd_call *setup, *watch, *keepalive, *write;
	uint64_t write_netns;
	bool write_delete;
	uv_timer_t retry, keep;
	unsigned int backoff_ms;
	size_t fails; /* in a row, since etcd last answered well */
	/* A write etcd refused (an error answer, the connection fine) is
	 * tried again after its own back-off, without a failover. */
	uv_timer_t write_retry;
	unsigned int write_backoff_ms;
	bool write_refused_logged;
	bool watching;
	bool down_logged;
	bool ever_up;
	int status; /* the exit status */
	/* What the daemon is told of all this (cluster-state.h). */
	struct cluster_state state;
	char *state_sent; /* the last message that went, or NULL */
	uv_timer_t state_timer;
};

static void cluster_fail(struct cluster *c, int err, const char *what);
static void writes_pump(struct cluster *c);
static void watch_start(struct cluster *c);

int cluster_opts_add_endpoints(struct cluster_opts *o, char *list, char *err,
			       size_t errlen)
{
	char *save = NULL;

	for (char *u = strtok_r(list, ",", &save); u;
	     u = strtok_r(NULL, ",", &save)) {
		const char *host;
		size_t n = strlen(u);
		char orig[64];

		snprintf(orig, sizeof(orig), "%s", u);
		if (strncmp(u, "http://", 7) == 0)
			host = u + 7;
		else if (strncmp(u, "https://", 8) == 0)
			host = u + 8;
		else
			host = NULL;
		while (n && u[n - 1] == '/')
			u[--n] = '\0';
		if (!host || !*host || strpbrk(host, "/?#@ ") || n > 256) {
			snprintf(err, errlen,
				 "'%s' is no etcd URL (http://HOST:PORT or "
				 "https://HOST:PORT)",
				 orig);
			return -EINVAL;
		}
		if (o->n_endpoints == CLUSTER_ENDPOINTS_MAX) {
			snprintf(err, errlen, "more than %d etcd URLs",
				 CLUSTER_ENDPOINTS_MAX);
			return -EINVAL;
		}
		o->endpoints[o->n_endpoints++] = u;
	}
	if (o->n_endpoints == 0) {
		snprintf(err, errlen, "no etcd URL");
		return -EINVAL;
	}
	return 0;
}

/* The URL of @path at the current endpoint, in a static buffer. */
static const char *url_of(struct cluster *c, const char *path)
{
	static char url[320];

	snprintf(url, sizeof(url), "%s%s", c->o->endpoints[c->endpoint], path);
	return url;
}

/* ---- the daemon's side ---- */

static void on_chan(uv_poll_t *h, int status, int events);

static void chan_poll(struct cluster *c)
{
	int r = uv_poll_start(&c->chan,
			      UV_READABLE | UV_DISCONNECT |
				      (c->resend ? UV_WRITABLE : 0),
			      on_chan);

	if (r < 0)
		log_warn("cluster: poll: %s", uv_strerror(r));
}

/* One message to the daemon; -EAGAIN if it would block. */
static int chan_send(struct cluster *c, const char *buf, size_t len)
{
	if (send(c->fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL) >= 0)
		return 0;
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)
		return -EAGAIN;
	return -errno;
}

static void resend_restart(struct cluster *c);

/* Remote namespace @id, as the agents are to have it now. */
static void send_remote(struct cluster *c, uint64_t id)
{
	int n;

	if (c->resend)
		return; /* the resend under way sends it */
	n = cluster_view_emit(&c->view, id, c->buf,
			      SERVICE_RECORD_TEXT_MAX + 1);
	if (n < 0) {
		log_warn_errno(n, "cluster: remote %016" PRIx64, id);
		return;
	}
	if (chan_send(c, c->buf, (size_t)n) == -EAGAIN)
		resend_restart(c);
}

static void send_withdraw(struct cluster *c, uint64_t id)
{
	char msg[128];
	int n;

	if (c->resend)
		return;
	n = oci_services_format_withdraw(id, msg, sizeof(msg));
	if (n > 0 && chan_send(c, msg, (size_t)n) == -EAGAIN)
		resend_restart(c);
}

static void resend_pump(struct cluster *c)
{
	uint64_t id;

	if (!c->resend)
		return;
	if (!c->resend_reset_sent) {
		if (chan_send(c, OCI_SERVICES_RESET,
			      sizeof(OCI_SERVICES_RESET) - 1) < 0)
			return;
		c->resend_reset_sent = true;
	}
	while ((id = cluster_view_id(&c->view, c->resend_at))) {
		int n = cluster_view_emit(&c->view, id, c->buf,
					  SERVICE_RECORD_TEXT_MAX + 1);

		if (n > 0 && chan_send(c, c->buf, (size_t)n) < 0)
			return;
		c->resend_at++;
	}
	c->resend = false;
	chan_poll(c);
}

static void resend_restart(struct cluster *c)
{
	c->resend = true;
	c->resend_reset_sent = false;
	c->resend_at = 0;
	chan_poll(c);
}

/* Every remote record again (local addresses changed what they hold). */
static void send_all_remote(struct cluster *c)
{
	uint64_t id;

	for (size_t i = 0; (id = cluster_view_id(&c->view, i)); i++)
		send_remote(c, id);
}

static struct local_ns *local_find(struct cluster *c, uint64_t netns,
				   size_t *idx)
{
	for (size_t i = 0; i < c->n_local; i++)
		if (c->local[i]->netns == netns) {
			if (idx)
				*idx = i;
			return c->local[i];
		}
	return NULL;
}

/* Forget @l if nothing of it is left to do: no text for the cluster, no
 * key in etcd, no container behind it (else the table fills up with the
 * namespaces of containers long gone). */
static bool local_drop_idle(struct cluster *c, struct local_ns *l)
{
	size_t idx = 0;

	if (l->len || l->written || l->seen ||
	    (c->write && c->write_netns == l->netns) ||
	    !local_find(c, l->netns, &idx))
		return false;
	free(l->text);
	free(l);
	c->local[idx] = c->local[--c->n_local];
	return true;
}

/* Local namespace @l's text for the cluster is now @text (NULL: none). */
static void local_set_text(struct local_ns *l, const char *text, size_t len)
{
	char *t = NULL;

	if (len == l->len && (len == 0 || memcmp(l->text, text, len) == 0))
		return;
	if (len) {
		t = malloc(len);
		if (!t) {
			log_warn("cluster: out of memory");
			return;
		}
		memcpy(t, text, len);
	}
	free(l->text);
	l->text = t;
	l->len = len;
	l->dirty = true;
}

/* A local record from the daemon. */
static void local_record(struct cluster *c, const struct service_record *r)
{
	struct local_ns *l = local_find(c, r->netns, NULL);
	int n = 0;

	if (!l) {
		if (c->n_local == CLUSTER_LOCAL_MAX)
			return;
		l = calloc(1, sizeof(*l));
		if (!l)
			return;
		l->netns = r->netns;
		c->local[c->n_local++] = l;
	}
	l->seen = true;
	if (cluster_export(&c->o->cfg, r, c->exp) == 0)
		n = service_record_format(c->exp, c->buf,
					  SERVICE_RECORD_TEXT_MAX + 1);
	if (n < 0)
		n = 0;
	local_set_text(l, c->buf, (size_t)n);
	if (cluster_view_set_local(&c->view, r->netns, r->addrs, r->n_addrs))
		send_all_remote(c);
	writes_pump(c);
}

/* Local namespace @netns is gone. */
static void local_gone(struct cluster *c, uint64_t netns)
{
	struct local_ns *l = local_find(c, netns, NULL);

	if (!l)
		return;
	local_set_text(l, NULL, 0);
	l->seen = false;
	if (cluster_view_set_local(&c->view, netns, NULL, 0))
		send_all_remote(c);
	local_drop_idle(c, l);
	writes_pump(c);
}

/* After a reset: what the daemon did not send again is gone. */
static void on_reset_timer(uv_timer_t *t)
{
	struct cluster *c = container_of(t, struct cluster, reset_timer);

	for (size_t i = 0; i < c->n_local; i++)
		if (!c->local[i]->seen && c->local[i]->len)
			local_gone(c, c->local[i]->netns);
}

static void chan_message(struct cluster *c, size_t len)
{
	uint64_t netns;

	if (len == sizeof(OCI_SERVICES_RESET) - 1 &&
	    memcmp(c->buf, OCI_SERVICES_RESET, len) == 0) {
		for (size_t i = 0; i < c->n_local; i++)
			c->local[i]->seen = false;
		uv_timer_start(&c->reset_timer, on_reset_timer, RESET_GRACE_MS,
			       0);
		return;
	}
	if (oci_services_parse_withdraw(c->buf, len, &netns) == 0) {
		local_gone(c, netns);
		return;
	}
	if (len > SERVICE_RECORD_TEXT_MAX ||
	    service_record_parse(c->buf, len, SERVICE_PARENT, c->rec) < 0 ||
	    (c->rec->netns & SERVICE_NETNS_REMOTE)) {
		log_warn("cluster: a bad message from the daemon (%zu "
			 "bytes), ignored",
			 len);
		return;
	}
	local_record(c, c->rec);
}

static void on_chan(uv_poll_t *h, int status, int events)
{
	struct cluster *c = h->data;

	if (status < 0 || (events & UV_DISCONNECT))
		goto hangup;
	if (events & UV_WRITABLE)
		resend_pump(c);
	if (!(events & UV_READABLE))
		return;
	for (int k = 0; k < 64; k++) {
		ssize_t n = recv(c->fd, c->buf, SERVICE_RECORD_TEXT_MAX + 1,
				 MSG_DONTWAIT | MSG_TRUNC);

		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0)
			goto hangup;
		chan_message(c, (size_t)n);
	}
	return;
hangup:
	/* The daemon ended: so does its client. */
	log_debug("cluster: the daemon hung up");
	uv_stop(&c->loop);
}

/* ---- etcd ---- */

/* The write under way will not be answered: its key is to be written
 * again (after a failover the lease may still hold, and nothing else
 * would mark it). */
static void write_abandon(struct cluster *c)
{
	struct local_ns *l = local_find(c, c->write_netns, NULL);

	if (l)
		l->dirty = true;
}

static void calls_cancel(struct cluster *c)
{
	struct etcd_call **calls[] = { &c->setup, &c->watch, &c->keepalive,
				       &c->write };

	if (c->write)
		write_abandon(c);
	for (size_t i = 0; i < ARRAY_SIZE(calls); i++)
		if (*calls[i]) {
			etcd_call_cancel(*calls[i]);
			*calls[i] = NULL;
		}
}

static void on_retry(uv_timer_t *t);

/* The next wait of back-off @ms: it, with up to a quarter more so that
 * nodes do not retry in step; @ms doubles up to BACKOFF_MAX_MS. */
static unsigned int backoff_next(unsigned int *ms)
{
	unsigned int delay = *ms;

	*ms = MIN(delay * 2, (unsigned int)BACKOFF_MAX_MS);
	return delay + (unsigned int)random() % (delay / 4 + 1);
}

static void cluster_fail(struct cluster *c, int err, const char *what)
{
	calls_cancel(c);
	uv_timer_stop(&c->keep);
	/* A refused write waits for the reconnection instead. */
	uv_timer_stop(&c->write_retry);
	c->watching = false;
	if (!c->down_logged)
		log_warn("cluster: etcd at %s: %s: %s; containers keep the "
			 "map they have, trying again",
			 c->o->endpoints[c->endpoint], what,
			 err == -EIO ? "an error answer" : strerror(-err));
	else
		log_debug("cluster: etcd at %s: %s: %s",
			  c->o->endpoints[c->endpoint], what, strerror(-err));
	c->down_logged = true;
	if (c->state.up) {
		c->state.up = false;
		c->state.since = (uint64_t)time(NULL);
		c->state.outages++;
	}
	snprintf(c->state.endpoint, sizeof(c->state.endpoint), "%s",
		 c->o->endpoints[c->endpoint]);
	snprintf(c->state.error, sizeof(c->state.error), "%s: %s", what,
		 err == -EIO ? "an error answer" : strerror(-err));
	c->endpoint = (c->endpoint + 1) % c->o->n_endpoints;
	if (++c->fails % c->o->n_endpoints) {
		/* Another member may answer: as an etcd client's balancer
		 * does, try it at once rather than after the back-off. */
		uv_timer_start(&c->retry, on_retry, RETRY_NEXT_MS, 0);
		return;
	}
	uv_timer_start(&c->retry, on_retry, backoff_next(&c->backoff_ms), 0);
}

/* etcd answered well: the next failure starts the back-off afresh. */
static void cluster_up(struct cluster *c)
{
	c->backoff_ms = BACKOFF_FIRST_MS;
	c->fails = 0;
	if (c->down_logged || !c->ever_up)
		log_info("cluster: %s etcd at %s (node %s, %zu remote "
			 "namespace(s) known)",
			 c->ever_up ? "back with" : "connected to",
			 c->o->endpoints[c->endpoint], c->o->cfg.node,
			 c->view.n_remote);
	c->down_logged = false;
	c->ever_up = true;
	if (!c->state.up) {
		c->state.up = true;
		c->state.since = (uint64_t)time(NULL);
	}
	snprintf(c->state.endpoint, sizeof(c->state.endpoint), "%s",
		 c->o->endpoints[c->endpoint]);
}

/* A key-value of the prefix, read whole or from the watch. */
static int on_kv(const struct etcd_kv *kv, bool deleted, void *opaque)
{
	struct cluster *c = opaque;
	struct cluster_key k;
	uint64_t id = 0;
	int r;

	if (kv->mod_revision > c->last_rev)
		c->last_rev = kv->mod_revision;
	if (cluster_key_parse(c->o->cfg.prefix, kv->key, kv->key_len, &k) ==
		    0 &&
	    strcmp(k.node, c->o->cfg.node) == 0 &&
	    strcmp(k.writer, c->o->cfg.writer) == 0) {
		/* Ours: one no container of ours has now is stale (an
		 * earlier daemon's); one deleted under us is written
		 * again. */
		struct local_ns *l = local_find(c, k.netns, NULL);

		if (!l && !deleted) {
			l = calloc(1, sizeof(*l));
			if (l && c->n_local < CLUSTER_LOCAL_MAX) {
				l->netns = k.netns;
				l->written = true;
				l->dirty = true;
				c->local[c->n_local++] = l;
			} else {
				free(l);
			}
		} else if (l && deleted) {
			l->written = false;
			l->dirty = l->len > 0;
			local_drop_idle(c, l);
		} else if (l && !deleted && !l->len) {
			l->written = true;
			l->dirty = true;
		}
		return 0;
	}
	if (deleted) {
		id = cluster_view_delete(&c->view, kv->key, kv->key_len);
		if (id)
			send_withdraw(c, id);
		return 0;
	}
	r = cluster_view_put(&c->view, kv->key, kv->key_len, kv->value,
			     kv->value_len, &id);
	if (r == 1)
		send_remote(c, id);
	else if (r == -EINVAL && id)
		send_withdraw(c, id);
	if (r == -EINVAL)
		log_debug("cluster: key %.*s: not a record, ignored",
			  (int)kv->key_len, (const char *)kv->key);
	else if (r == -ENOSPC)
		log_warn("cluster: more than %d remote namespaces: %.*s "
			 "left out",
			 CLUSTER_REMOTE_MAX, (int)kv->key_len,
			 (const char *)kv->key);
	return 0;
}

static void on_gone(uint64_t id, void *opaque)
{
	send_withdraw(opaque, id);
}

/* ---- writes: one key at a time ---- */

static void on_write_retry(uv_timer_t *t)
{
	writes_pump(container_of(t, struct cluster, write_retry));
}

static void write_refused(struct cluster *c)
{
	if (!c->write_refused_logged)
		log_warn("cluster: etcd at %s refused a write (an error "
			 "answer); trying again, backing off",
			 c->o->endpoints[c->endpoint]);
	c->write_refused_logged = true;
	uv_timer_start(&c->write_retry, on_write_retry,
		       backoff_next(&c->write_backoff_ms), 0);
}

static void on_write_done(struct etcd_call *call, int err, const char *body,
			  size_t len, void *opaque)
{
	struct cluster *c = opaque;
	struct local_ns *l = local_find(c, c->write_netns, NULL);
	int64_t rev = 0;
	int r = err ? err : etcd_parse_answer(body, len, &rev);

	c->write = NULL;
	if (r == -ENOENT) {
		/* The lease is gone: a new one, every key again. */
		c->lease = 0;
		cluster_fail(c, r, "lease lost");
		return;
	}
	if (r == -EIO) {
		/* etcd is there and said no (its space quota, a key too
		 * large...): only this write is tried again. */
		write_abandon(c);
		write_refused(c);
		return;
	}
	if (r < 0) {
		write_abandon(c);
		cluster_fail(c, r, "write");
		return;
	}
	c->write_backoff_ms = BACKOFF_FIRST_MS;
	if (c->write_refused_logged)
		log_info("cluster: etcd at %s takes writes again",
			 c->o->endpoints[c->endpoint]);
	c->write_refused_logged = false;
	if (l) {
		l->written = !c->write_delete;
		local_drop_idle(c, l);
	}
	writes_pump(c);
}

static void on_grace(uv_timer_t *t)
{
	struct cluster *c = container_of(t, struct cluster, grace);

	c->grace_over = true;
	writes_pump(c);
}

static void writes_pump(struct cluster *c)
{
	char key[CLUSTER_KEY_MAX + 1];
	struct local_ns *l = NULL;
	char *body;
	int n;

	if (c->write || !c->lease || !c->watching ||
	    uv_is_active((uv_handle_t *)&c->write_retry))
		return;
	for (size_t i = 0; i < c->n_local;) {
		struct local_ns *x = c->local[i];

		if (x->dirty && !x->len && x->written && !x->seen &&
		    !c->grace_over) {
			i++;
			continue; /* an earlier daemon's, maybe not stale */
		}
		if (x->dirty && (x->len || x->written)) {
			l = x;
			break;
		}
		x->dirty = false;
		if (!local_drop_idle(c, x))
			i++;
	}
	if (!l)
		return;
	n = cluster_key_format(&c->o->cfg, l->netns, key, sizeof(key));
	if (n < 0)
		return;
	l->dirty = false;
	c->write_netns = l->netns;
	c->write_delete = l->len == 0;
	body = c->write_delete ?
		       etcd_body_delete(key, (size_t)n) :
		       etcd_body_put(key, (size_t)n, l->text, l->len, c->lease);
	c->write = etcd_call_start(&c->etcd,
				   url_of(c, c->write_delete ?
						     "/v3/kv/deleterange" :
						     "/v3/kv/put"),
				   body, CALL_TIMEOUT_MS, NULL, on_write_done,
				   c);
	if (!c->write) {
		l->dirty = true;
		cluster_fail(c, -ENOMEM, "write");
	}
}

/* ---- the lease ---- */

static void mark_all_dirty(struct cluster *c)
{
	for (size_t i = 0; i < c->n_local; i++) {
		c->local[i]->written = false;
		c->local[i]->dirty = c->local[i]->len > 0;
	}
}

static void keep_tick(uv_timer_t *t);

static void keep_arm(struct cluster *c)
{
	uint64_t ms = (uint64_t)c->o->ttl * 1000 / 3;

	uv_timer_start(&c->keep, keep_tick, ms ? ms : 1, 0);
}

static void grant_start(struct cluster *c);

static int on_keep_line(const char *line, size_t len, void *opaque)
{
	struct cluster *c = opaque;
	int64_t ttl = 0;
	int r = etcd_parse_keepalive(line, len, &ttl);

	if (r < 0 && r != -ENOENT)
		return r;
	if (r == -ENOENT || ttl == 0)
		c->lease = 0; /* expired: the keys went with it */
	return 0;
}

static void on_keep_done(struct etcd_call *call, int err, const char *body,
			 size_t len, void *opaque)
{
	struct cluster *c = opaque;
	bool checking = call == c->setup;

	if (checking)
		c->setup = NULL;
	else
		c->keepalive = NULL;
	if (err == -ENOENT)
		c->lease = 0; /* etcd does not know it */
	else if (err) {
		/* No answer, or another error (no leader, too many
		 * requests): the lease may well live; another member. */
		cluster_fail(c, err, "lease keepalive");
		return;
	}
	if (!c->lease) {
		log_info("cluster: lease expired, writing every key again");
		if (c->setup) {
			/* The first read is still under way: start over. */
			cluster_fail(c, -ENOENT, "lease lost");
			return;
		}
		grant_start(c);
		return;
	}
	keep_arm(c);
	if (checking)
		watch_start(c); /* the lease held across the outage */
}

static void keep_send(struct cluster *c, struct etcd_call **slot)
{
	long ms = MIN(MAX((long)c->o->ttl * 1000 / 3, KEEP_TIMEOUT_MIN_MS),
		      CALL_TIMEOUT_MS);

	*slot = etcd_call_start(&c->etcd, url_of(c, "/v3/lease/keepalive"),
				etcd_body_lease(c->lease), ms, on_keep_line,
				on_keep_done, c);
	if (!*slot)
		cluster_fail(c, -ENOMEM, "lease keepalive");
}

static void keep_tick(uv_timer_t *t)
{
	struct cluster *c = container_of(t, struct cluster, keep);

	if (!c->keepalive)
		keep_send(c, &c->keepalive);
}

static void on_grant_done(struct etcd_call *call, int err, const char *body,
			  size_t len, void *opaque)
{
	struct cluster *c = opaque;
	int64_t id = 0, ttl = 0;
	int r = err ? err : etcd_parse_grant(body, len, &id, &ttl);

	c->setup = NULL;
	if (r < 0) {
		cluster_fail(c, r, "lease grant");
		return;
	}
	c->lease = id;
	mark_all_dirty(c);
	keep_arm(c);
	if (c->watch)
		writes_pump(c); /* a lease lost while watching */
	else
		watch_start(c);
}

static void grant_start(struct cluster *c)
{
	c->setup = etcd_call_start(&c->etcd, url_of(c, "/v3/lease/grant"),
				   etcd_body_grant(c->o->ttl), CALL_TIMEOUT_MS,
				   NULL, on_grant_done, c);
	if (!c->setup)
		cluster_fail(c, -ENOMEM, "lease grant");
}

/* ---- reading the prefix, watching it ---- */

static void on_range_done(struct etcd_call *call, int err, const char *body,
			  size_t len, void *opaque)
{
	struct cluster *c = opaque;
	int64_t rev = 0;
	int r;

	c->setup = NULL;
	if (err) {
		cluster_fail(c, err, "read");
		return;
	}
	cluster_view_mark_begin(&c->view);
	r = etcd_parse_range(body, len, on_kv, c, &rev);
	if (r < 0) {
		/* What was seen so far stays; nothing is dropped. */
		cluster_fail(c, r, "read");
		return;
	}
	cluster_view_mark_end(&c->view, on_gone, c);
	c->last_rev = rev;
	watch_start(c);
}

static int on_watch_line(const char *line, size_t len, void *opaque)
{
	struct cluster *c = opaque;
	struct etcd_watch_msg m;
	int r = etcd_parse_watch(line, len, on_kv, c, &m);

	if (r < 0) {
		log_debug("cluster: watch: a bad line (%zu bytes)", len);
		return r;
	}
	if (m.revision > c->last_rev)
		c->last_rev = m.revision;
	switch (m.kind) {
	case ETCD_WATCH_CREATED:
		c->watching = true;
		cluster_up(c);
		writes_pump(c);
		break;
	case ETCD_WATCH_CANCELED:
		if (m.compact_revision) {
			/* Compacted past what we saw: read it all again. */
			log_info("cluster: etcd compacted to revision %" PRId64
				 ", reading the map again",
				 m.compact_revision);
			c->last_rev = 0;
		}
		return -ECANCELED;
	default:
		break;
	}
	return 0;
}

static void on_watch_done(struct etcd_call *call, int err, const char *body,
			  size_t len, void *opaque)
{
	struct cluster *c = opaque;

	c->watch = NULL;
	c->watching = false;
	if (err == -ECONNABORTED && c->last_rev == 0) {
		/* Compacted: read the prefix again at once. */
		watch_start(c);
		return;
	}
	cluster_fail(c, err ? err : -ECONNRESET, "watch ended");
}

static void watch_start(struct cluster *c)
{
	char prefix[CLUSTER_PREFIX_MAX + 4];

	snprintf(prefix, sizeof(prefix), "%sns/", c->o->cfg.prefix);
	if (c->last_rev == 0) {
		c->setup = etcd_call_start(&c->etcd, url_of(c, "/v3/kv/range"),
					   etcd_body_range_prefix(prefix),
					   CALL_TIMEOUT_MS, NULL, on_range_done,
					   c);
		if (!c->setup)
			cluster_fail(c, -ENOMEM, "read");
		return;
	}
	c->watch = etcd_call_start(&c->etcd, url_of(c, "/v3/watch"),
				   etcd_body_watch(prefix, c->last_rev + 1), 0,
				   on_watch_line, on_watch_done, c);
	if (!c->watch)
		cluster_fail(c, -ENOMEM, "watch");
}

/* (Re)connect: keep the lease if etcd still has it, else a new one. */
static void connect_start(struct cluster *c)
{
	if (c->lease)
		keep_send(c, &c->setup);
	else
		grant_start(c);
}

static void on_retry(uv_timer_t *t)
{
	connect_start(container_of(t, struct cluster, retry));
}

/* ---- what the daemon is told of it ---- */

/* The state now, to the daemon if it changed since the last one that
 * went (a send that would block is tried again at the next tick). */
static void on_state_tick(uv_timer_t *t)
{
	struct cluster *c = container_of(t, struct cluster, state_timer);
	struct cluster_state *st = &c->state;
	char text[CLUSTER_STATE_TEXT_MAX + 1];
	int n;

	st->revision = c->last_rev;
	st->lease = (uint64_t)c->lease;
	st->ttl = (uint32_t)c->o->ttl;
	st->keys = 0;
	for (size_t i = 0; i < c->n_local; i++)
		st->keys += c->local[i]->written;
	st->remote = (uint32_t)c->view.n_remote;
	cluster_view_counts(&c->view, &st->nodes, &st->collisions);
	n = cluster_state_format(st, text, sizeof(text));
	if (n < 0 || (c->state_sent && strcmp(c->state_sent, text) == 0))
		return;
	if (chan_send(c, text, (size_t)n) < 0)
		return;
	free(c->state_sent);
	c->state_sent = strdup(text);
}

/* ---- the process ---- */

int cluster_proc_run(const struct cluster_opts *o, int fd)
{
	struct cluster *c = calloc(1, sizeof(*c));
	char err[256];
	int sndbuf = CHANNEL_SNDBUF, r = 1;

	if (!c)
		return 1;
	c->o = o;
	c->fd = fd;
	c->backoff_ms = BACKOFF_FIRST_MS;
	c->write_backoff_ms = BACKOFF_FIRST_MS;
	srandom((unsigned int)getpid());
	c->buf = malloc(SERVICE_RECORD_TEXT_MAX + 1);
	c->rec = malloc(sizeof(*c->rec));
	c->exp = malloc(sizeof(*c->exp));
	if (!c->buf || !c->rec || !c->exp ||
	    cluster_view_init(&c->view, &o->cfg) < 0) {
		log_error("cluster: out of memory");
		goto out;
	}
	if (curl_dl_open(&c->curl, err, sizeof(err)) < 0) {
		log_error("cluster: libcurl is needed to reach etcd: %s", err);
		goto out_view;
	}
	c->curl.global_init(CURL_GLOBAL_DEFAULT);
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	uv_loop_init(&c->loop);
	if (etcd_client_init(&c->etcd, &c->loop, &c->curl, &o->tls) < 0) {
		log_error("cluster: no etcd client");
		goto out_loop;
	}
	uv_timer_init(&c->loop, &c->retry);
	uv_timer_init(&c->loop, &c->keep);
	uv_timer_init(&c->loop, &c->write_retry);
	uv_timer_init(&c->loop, &c->reset_timer);
	uv_timer_init(&c->loop, &c->grace);
	uv_timer_init(&c->loop, &c->state_timer);
	c->state.since = (uint64_t)time(NULL);
	uv_timer_start(&c->state_timer, on_state_tick, 0, STATE_INTERVAL_MS);
	uv_poll_init(&c->loop, &c->chan, fd);
	c->chan.data = c;
	chan_poll(c);
	uv_timer_start(&c->grace, on_grace, STALE_GRACE_MS, 0);
	connect_start(c);
	uv_run(&c->loop, UV_RUN_DEFAULT);
	r = 0;
	calls_cancel(c);
	etcd_client_close(&c->etcd);
	uv_close((uv_handle_t *)&c->retry, NULL);
	uv_close((uv_handle_t *)&c->keep, NULL);
	uv_close((uv_handle_t *)&c->write_retry, NULL);
	uv_close((uv_handle_t *)&c->reset_timer, NULL);
	uv_close((uv_handle_t *)&c->grace, NULL);
	uv_close((uv_handle_t *)&c->state_timer, NULL);
	uv_close((uv_handle_t *)&c->chan, NULL);
	uv_run(&c->loop, UV_RUN_DEFAULT);
	etcd_client_fini(&c->etcd);
out_loop:
	uv_loop_close(&c->loop);
	c->curl.global_cleanup();
	curl_dl_close(&c->curl);
out_view:
	cluster_view_fini(&c->view);
out:
	for (size_t i = 0; i < c->n_local; i++) {
		free(c->local[i]->text);
		free(c->local[i]);
	}
	free(c->buf);
	free(c->rec);
	free(c->exp);
	free(c->state_sent);
	free(c);
	return r;
}

pid_t cluster_proc_start(const struct cluster_opts *o, int *fd)
{
	sigset_t all, old;
	pid_t pid, parent = getpid();
	int sp[2], r;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
		return -errno;
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	pid = fork();
	if (pid == 0) {
		int s = sp[1];

		signal(SIGCHLD, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		signal(SIGPIPE, SIG_IGN);
		sigprocmask(SIG_SETMASK, &old, NULL);
		/* Gone with the daemon. */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != parent)
			_exit(0);
		if (s != 3) {
			if (dup2(s, 3) < 0)
				_exit(1);
			s = 3;
		}
		if (syscall(SYS_close_range, 4U, ~0U, 0) < 0)
			for (long f = 4, max = sysconf(_SC_OPEN_MAX); f < max;
			     f++)
				close((int)f);
		prctl(PR_SET_NAME, "nsbypass-etcd");
		log_set_prefix("nsbypass cluster");
		_exit(cluster_proc_run(o, s));
	}
	r = -errno;
	sigprocmask(SIG_SETMASK, &old, NULL);
	close(sp[1]);
	if (pid < 0) {
		close(sp[0]);
		return r;
	}
	*fd = sp[0];
	return pid;
}
