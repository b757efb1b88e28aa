// SPDX-License-Identifier: Apache-2.0
/*
 * handle-service.c - the service map in the agent (docs/design.md §3.4):
 * entries from published binds, the switch of a connect() from inside to
 * the published service's host listener, and the sweep of stale entries.
 *
 * The ordinary path only: a connect from the server's own network
 * namespace to a loopback, unspecified or own address at a published
 * container port is aimed at the host's own non-loopback address and host
 * port, which the wildcard host listener takes.  One exact sock_diag
 * request proves the listener that takes that address is ours (its cookie
 * is in the map) before handle-connect.c makes the host socket, pins it to
 * the device that owns the address and connects it: a stale entry answers
 * ECONNREFUSED and is dropped, it never reaches another service.
 *
 * A listener reachable only on host loopback (-p 127.0.0.1:HP:CP, or a
 * host without a non-loopback address) takes the loopback exception of
 * §3.4, for entries the agent trusts only: here the port's listeners are
 * dumped and must all be ours (service_loopback_verify()) before
 * handle-connect.c's switch_loopback() connects a socket pinned to lo,
 * settles it and runs the same check again before installing it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "agent.h"
#include "handlers.h"
#include "host-addr.h"
#include "log.h"
#include "sockinfo.h"
#include "util.h"

/* Listeners of one host port read for the loopback exception's check;
 * more (a large SO_REUSEPORT group) and the connect is refused. */
#define SERVICE_LO_LISTENERS_MAX 64

/* How often stale entries are swept out, while there are any. */
#define SERVICE_SWEEP_MS 1000

void agent_services_init(struct agent *a, const struct agent_settings *s)
{
	int r;

	a->diag.fd = -1;
	a->c2c = !s->no_c2c;
	if (!s->service_map)
		return;
	a->n_own_addrs = MIN(s->n_own_addrs, ARRAY_SIZE(a->own_addrs));
	if (a->n_own_addrs)
		memcpy(a->own_addrs, s->own_addrs,
		       a->n_own_addrs * sizeof(a->own_addrs[0]));
	r = sockdiag_open(&a->diag);
	if (r == 0) {
		a->services = service_map_new();
		if (a->services)
			return;
		r = -ENOMEM;
		sockdiag_close(&a->diag);
	}
	log_debug("no service map (%s): published ports reachable from the "
		  "host only",
		  strerror(-r));
}

/* The record of the container's own namespace may have changed. */
static void sweep_start(struct agent *a);

/*
 * The record of the container's own services into the memory shared with
 * the daemon (agent-shm.h), for a successor after a crash: the buffer not
 * in use is written, then it becomes the one in use.
 */
static void services_save(struct agent *a)
{
	_cleanup_free_ struct service_record *r = NULL;
	uint32_t next;
	int len;

	if (!a->shm || !a->container_netns)
		return;
	r = malloc(sizeof(*r));
	if (!r)
		return;
	agent_services_collect(a, r);
	next = !__atomic_load_n(&a->shm->own_cur, __ATOMIC_RELAXED);
	len = service_record_format(r, a->shm->own_text[next],
				    sizeof(a->shm->own_text[next]));
	if (len < 0)
		return;
	a->shm->own_len[next] = (uint32_t)len;
	__atomic_store_n(&a->shm->own_cur, next, __ATOMIC_RELEASE);
}

/*
 * A predecessor's record of the container's own services (§6.6): its
 * entries back into the map as our own.  Each is checked at its use as
 * any (sock_diag: the listener must still be the one of the entry), and
 * the sweep drops those whose listeners are gone.
 */
static void services_restore(struct agent *a)
{
	_cleanup_free_ struct service_record *r = NULL;
	uint32_t cur, len;
	size_t n = 0;
	int rc;

	if (!a->shm)
		return;
	cur = __atomic_load_n(&a->shm->own_cur, __ATOMIC_ACQUIRE) & 1;
	len = a->shm->own_len[cur];
	if (len == 0 || len > SERVICE_RECORD_TEXT_MAX)
		return;
	r = malloc(sizeof(*r));
	if (!r)
		return;
	rc = service_record_parse(a->shm->own_text[cur], len, SERVICE_OWN, r);
	if (rc < 0 || r->netns != a->container_netns)
		return;
	for (size_t i = 0; i < r->n_entries; i++) {
		struct service_entry e = r->entries[i];

		e.netns = r->netns;
		e.origin = SERVICE_OWN;
		n += service_map_add(a->services, &e) == 0;
	}
	if (n) {
		log_info("service map: %zu published service(s) of the "
			 "container taken over from the last agent",
			 n);
		sweep_start(a);
	}
}

static void services_changed(struct agent *a)
{
	services_save(a);
	if (a->on_services_changed)
		a->on_services_changed(a);
}

static void on_service_sweep(uv_timer_t *t);

/* Sweep stale entries every SERVICE_SWEEP_MS while there are any. */
static void sweep_start(struct agent *a)
{
	if (a->service_timer_on || !a->service_timer_made)
		return;
	uv_timer_start(&a->service_timer, on_service_sweep, SERVICE_SWEEP_MS,
		       SERVICE_SWEEP_MS);
	a->service_timer_on = true;
}

void agent_services_start(struct agent *a)
{
	int r;

	if (!a->services)
		return;
	uv_timer_init(a->loop, &a->service_timer);
	uv_unref((uv_handle_t *)&a->service_timer);
	a->service_timer_made = true;
	if (!a->container_netns)
		return;
	r = service_map_set_netns(a->services, a->container_netns, a->own_addrs,
				  a->n_own_addrs, a->c2c);
	if (r < 0)
		log_debug("container addresses not in the service map: %s",
			  strerror(-r));
	services_restore(a);
	services_changed(a);
}

void agent_set_own_addrs(struct agent *a, const struct service_addr *addrs,
			 size_t n)
{
	int r;

	if (!a->services || !a->container_netns)
		return;
	if (n > SERVICE_ADDRS_MAX) {
		log_warn("service map: the container has %zu addresses, only "
			 "the first %d are served as its own",
			 n, SERVICE_ADDRS_MAX);
		n = SERVICE_ADDRS_MAX;
	}
	r = service_map_set_netns(a->services, a->container_netns, addrs, n,
				  a->c2c);
	if (r < 0) {
		log_warn_errno(r, "service map: container addresses not "
				  "updated");
		return;
	}
	log_debug("service map: %zu container address(es) from nsagent", n);
	services_changed(a);
}

void agent_services_collect(const struct agent *a, struct service_record *r)
{
	size_t left;

	memset(r, 0, sizeof(*r));
	if (!a->services || !a->container_netns)
		return;
	left = service_record_collect(a->services, a->container_netns, r);
	if (left)
		log_warn("service map: %zu published listener(s) not passed "
			 "to other containers (at most %d)",
			 left, SERVICE_RECORD_ENTRIES_MAX);
}

void agent_services_apply(struct agent *a, const struct service_record *r,
			  uint8_t origin)
{
	int e;

	if (!a->services)
		return;
	e = service_record_apply(a->services, r, origin, a->container_netns);
	if (e < 0)
		log_warn_errno(e, "service map: the services of another "
				  "container not (all) taken");
	if (a->services->n)
		sweep_start(a);
}

void agent_services_withdraw(struct agent *a, uint64_t netns, uint8_t origin)
{
	if (a->services)
		service_record_withdraw(a->services, netns, origin,
					a->container_netns);
}

void agent_services_stop(struct agent *a)
{
	if (!a->service_timer_made)
		return;
	a->service_timer_made = false;
	uv_timer_stop(&a->service_timer);
	uv_close((uv_handle_t *)&a->service_timer, NULL);
}

void agent_services_fini(struct agent *a)
{
	a->services = service_map_free(a->services);
	sockdiag_close(&a->diag);
}

/* Drop every entry whose host listener no longer listens; stop when the
 * map is empty. */
static void on_service_sweep(uv_timer_t *t)
{
	struct agent *a = container_of(t, struct agent, service_timer);
	int r;

	service_map_mark_begin(a->services);
	r = sockdiag_tcp_dump(&a->diag, AF_UNSPEC, 0, 1U << TCP_LISTEN,
			      service_map_mark, a->services);
	if (r == 0) {
		size_t n = service_map_mark_end(a->services);

		if (n) {
			log_debug("service map: %zu closed listener(s) "
				  "dropped",
				  n);
			services_changed(a);
		}
	}
	if (a->services->n == 0) {
		uv_timer_stop(&a->service_timer);
		a->service_timer_on = false;
	}
}

void service_published(struct agent *a, uint64_t netns, int port,
		       const struct sockaddr *bind, socklen_t bind_len,
		       int sock, const struct sockaddr *host,
		       socklen_t host_len, int hs)
{
	struct service_entry e;
	int r;

	if (!a->services)
		return;
	r = service_entry_init(&e, netns, IPPROTO_TCP, bind, bind_len,
			       sockinfo_is_v6only(sock), host, host_len,
			       sockinfo_is_v6only(hs), sockinfo_cookie(hs));
	if (r == 0)
		r = service_map_add(a->services, &e);
	if (r == -ENOSPC)
		log_warn("service map full: port %d not reachable from inside",
			 port);
	else if (r < 0)
		log_debug("port %d not in the service map: %s", port,
			  strerror(-r));
	if (r < 0)
		return;
	sweep_start(a);
	services_changed(a);
}

/* The host's own addresses, read again after the route monitor saw a
 * change (an address came or went); every time without a monitor. */
static const struct service_host *host_addrs(struct agent *a)
{
	int r;

	if (a->host_addrs_read && a->routes.mon_fd >= 0 &&
	    a->host_addrs_gen == a->routes.flushes)
		return &a->host_addrs;
	a->host_addrs_gen = a->routes.flushes;
	r = host_addr_read(&a->host_addrs);
	a->host_addrs_read = r == 0;
	if (r < 0) {
		log_debug("host addresses not read: %s", strerror(-r));
		return NULL;
	}
	return &a->host_addrs;
}

static uint16_t port_of(const struct sockaddr_storage *ss)
{
	return ntohs(ss->ss_family == AF_INET ?
			     ((const struct sockaddr_in *)ss)->sin_port :
			     ((const struct sockaddr_in6 *)ss)->sin6_port);
}

/* Is @t an IPv4 address, or an IPv6 one that is v4-mapped? */
static bool takes_v4(const struct sockaddr_storage *t)
{
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)t;

	return t->ss_family == AF_INET ||
	       (t->ss_family == AF_INET6 &&
		IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr));
}

int service_loopback_verify(struct agent *a, const struct sockaddr_storage *t,
			    socklen_t len)
{
	struct sockdiag_sock socks[SERVICE_LO_LISTENERS_MAX];
	size_t n = 0;
	int r;

	(void)len;
	/* An IPv6 wildcard without IPV6_V6ONLY takes IPv4 too: both
	 * families for an IPv4 target; ::1 only IPv6 listeners take. */
	r = sockdiag_tcp_listeners(&a->diag, takes_v4(t) ? AF_UNSPEC : AF_INET6,
				   port_of(t), socks, ARRAY_SIZE(socks), &n);
	if (r == -ENOSPC)
		return -ECONNREFUSED; /* not all seen: not proven ours */
	if (r < 0)
		return -ENOBUFS; /* never fail open: see agent.h */
	return service_map_verify(a->services, (const struct sockaddr *)t,
				  socks, n);
}

/* The first step of the loopback exception for @e, aimed at @t. */
static int loopback_first(struct agent *a, const struct service_entry *e,
			  const struct sockaddr_storage *ss,
			  const struct sockaddr_storage *t, socklen_t tl)
{
	int r;

	if (e->origin != SERVICE_OWN && e->origin != SERVICE_PARENT) {
		/* The registry is container-writable input: it never
		 * aims a host socket at host loopback. */
		log_debug("service at port %u: on host loopback, from the "
			  "registry: ECONNREFUSED",
			  port_of(ss));
		return -ECONNREFUSED;
	}
	r = service_loopback_verify(a, t, tl);
	if (r < 0) {
		if (r == -ECONNREFUSED)
			a->stats->refused_stale++;
		log_debug("service at port %u: host loopback port %u not "
			  "only ours: %s",
			  port_of(ss), port_of(t), strerror(-r));
		return r;
	}
	log_debug("service at port %u: switched to host port %u (loopback)",
		  port_of(ss), port_of(t));
	return SERVICE_LOOPBACK;
}

int service_connect(struct agent *a, uint64_t netns, int sock, int family,
		    struct sockaddr_storage *ss, socklen_t *len)
{
	const struct service_entry *e;
	struct sockaddr_storage t;
	struct sockdiag_sock s;
	bool v6only;
	socklen_t tl;
	int r;

	if (!a->services || a->services->n == 0)
		return SERVICE_NOT_MINE;
	v6only = family == AF_INET6 && sockinfo_is_v6only(sock);
	r = service_map_lookup(a->services, netns, (struct sockaddr *)ss, *len,
			       v6only, &e);
	if (r < 0)
		return SERVICE_NOT_MINE;
	r = service_map_target(e, family, v6only, host_addrs(a), &t, &tl);
	if (r > 0) {
		r = loopback_first(a, e, ss, &t, tl);
		if (r == SERVICE_LOOPBACK) {
			*ss = t;
			*len = tl;
		}
		return r;
	}
	if (r < 0) {
		/* No address of this family reaches it: as without the
		 * map. */
		log_debug("service at port %u not served: %s", port_of(ss),
			  strerror(-r));
		return SERVICE_NOT_MINE;
	}
	if (e->origin == SERVICE_CLUSTER) {
		/* Another node's listener: sock_diag sees only this host's,
		 * so nothing here can prove it.  The target is a routable
		 * address of that node (cluster-view.c refuses the rest),
		 * reached as any bypassed destination; a stale entry fails
		 * as a connect to that node would. */
		log_debug("service at port %u: switched to another node, "
			  "port %u",
			  port_of(ss), port_of(&t));
		*ss = t;
		*len = tl;
		return 0;
	}
	r = sockdiag_tcp_lookup(&a->diag, (struct sockaddr *)&t, tl,
				SOCKDIAG_NOCOOKIE, &s);
	if (r == -ENOENT ||
	    (r == 0 && !service_map_owns(a->services, s.cookie))) {
		/* Stale: the listener closed, and nothing, or something not
		 * ours, takes its address now. */
		service_map_remove(a->services, e->listener.cookie);
		services_changed(a);
		a->stats->refused_stale++;
		log_debug("service at port %u: its listener is gone: "
			  "ECONNREFUSED",
			  port_of(ss));
		return -ECONNREFUSED;
	}
	if (r < 0)
		return -ENOBUFS; /* never fail open: see agent.h */
	if (!service_map_takes(a->services, e, s.cookie, (struct sockaddr *)ss,
			       *len, v6only)) {
		/* Our listener, whose server would not take this
		 * destination inside: the entry chosen is stale (the
		 * sweep drops it), the port bound again narrower. */
		a->stats->refused_stale++;
		log_debug("service at port %u: its host port is another "
			  "server's now: ECONNREFUSED",
			  port_of(ss));
		return -ECONNREFUSED;
	}
	log_debug("service at port %u: switched to host port %u", port_of(ss),
		  port_of(&t));
	*ss = t;
	*len = tl;
	return 0; /* counted as served once installed (handle-connect.c) */
}
