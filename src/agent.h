/* SPDX-License-Identifier: Apache-2.0 */
/*
 * agent.h - one agent per container: its loop, notify fd, policy and
 * socket table.  The agent lives in the host network namespace; every
 * socket it creates is a host socket.
 */
#ifndef NB_AGENT_H
#define NB_AGENT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <uv.h>

#include "agent-shm.h"
#include "notify.h"
#include "pending-connect.h"
#include "pidfd-cache.h"
#include "policy.h"
#include "publish.h"
#include "route-cache.h"
#include "service-map.h"
#include "service-record.h"
#include "sockdiag.h"
#include "sockstate.h"

struct netview;

struct agent;
typedef void (*agent_done_cb)(struct agent *a);

struct agent {
	uv_loop_t *loop;
	struct notify notify;
	struct policy policy;
	const struct publish_table *publish; /* NULL: none */
	bool bind_bypass; /* TCP published ports: see publish.h */
	struct sockstate_table *socks;
	uint64_t host_netns;	   /* SO_NETNS_COOKIE of our own sockets */
	uint64_t container_netns;  /* of the container's, 0 if unknown */
	int route_fd;		   /* NETLINK_ROUTE, see route.h */
	struct route_cache routes; /* answers of route_fd */
	uv_poll_t routes_poll;	   /* of its change monitor */
	bool routes_polled;
	struct pidfd_cache pidfds;	 /* of trapped threads */
	struct pending_connects pending; /* connects in flight */
	uv_timer_t sweep_timer;
	uv_timer_t prune_timer; /* of the pidfd cache */
	bool stopping;
	agent_done_cb on_done;
	/* What it counts: in the memory shared with `nsbypass oci`'s
	 * daemon (agent-shm.h), whose journal it also keeps, or its own. */
	struct agent_shm *shm;
	struct agent_counters own_counters;
	struct agent_counters *counters;
	struct agent_stats *stats; /* &counters->agent */
	/* The service map (docs/design.md §3.4, handle-service.c); NULL:
	 * off.  With it, a sock_diag socket, the host's own addresses (read
	 * again when the route monitor saw a change) and the sweep of stale
	 * entries, running while the map has any. */
	struct service_map *services;
	struct sockdiag diag;
	struct service_host host_addrs;
	uint64_t host_addrs_gen; /* routes.flushes when read; see above */
	bool host_addrs_read;
	uv_timer_t service_timer;
	bool service_timer_made, service_timer_on;
	struct service_addr own_addrs[2]; /* the container's, before nsagent */
	size_t n_own_addrs;
	bool c2c; /* its services reach other namespaces and it theirs */
	/* The container's and the host's addresses and routes, made current
	 * before each connect is decided (agent-netview.c); NULL: nsagent's
	 * reports set the subnets (§1.2). */
	struct netview *net_in, *net_host;
	uint64_t net_host_synced; /* loop time of its last sync, ms */
	/* Called when the record of the container's own namespace may have
	 * changed (an entry made or dropped, its addresses): the oci
	 * channel or the per-user registry passes it on; NULL: nobody. */
	void (*on_services_changed)(struct agent *a);
};

/**
 * struct agent_settings - what the agent's caller decides
 * @policy:		the bypass policy (copied)
 * @publish:		the published ports, or NULL for none; must outlive
 *			the agent
 * @bind_bypass:	take binds of published TCP ports to the host
 *			(publish.h); false under --ignore-bind
 * @service_map:	keep a service map of the published ports taken to
 *			the host and switch connects from inside to them
 *			(docs/design.md §3.4)
 * @own_addrs:		the container's own addresses known before nsagent
 *			reports (the fallback network's), @n_own_addrs of
 *			them, at most 2
 * @n_own_addrs:	how many
 * @no_c2c:		keep the container out of container-to-container
 *			switching: other namespaces do not reach its
 *			services through the map, nor it theirs
 */
struct agent_settings {
	const struct policy *policy;
	const struct publish_table *publish;
	bool bind_bypass;
	bool service_map;
	const struct service_addr *own_addrs;
	size_t n_own_addrs;
	bool no_c2c;
	struct agent_shm *shm; /* NULL: no daemon shares the agent's state */
};

/**
 * agent_init() - set up an agent on @loop with @settings
 * Return: 0 or -errno
 */
int agent_init(struct agent *a, uv_loop_t *loop,
	       const struct agent_settings *settings);

/**
 * agent_start() - serve notifications from @notify_fd (owned from now on)
 * @a:			the agent
 * @notify_fd:		the container's seccomp notify fd
 * @container_netns:	SO_NETNS_COOKIE of the container's network
 *			namespace, or 0: then every netns but the host's
 *			counts as the container's
 * @on_done:		called once the notify fd hung up
 *
 * Return: 0 or -errno
 */
int agent_start(struct agent *a, int notify_fd, uint64_t container_netns,
		agent_done_cb on_done);

/**
 * agent_watch_netns() - decide from the container's addresses and routes,
 * read before each decision that a change may have made stale
 * @a:		the agent
 * @mon_fd:	netview_open_fds()'s monitor, made in the container's netns
 * @dump_fd:	its request socket (both owned from now on)
 *
 * The host's view is read from the agent's own netns, to tell the subnets
 * pasta mirrors from the host (docs/design.md §5), again at most once a
 * second.  The policy's subnets
 * are the container's from now on: nsagent's subnet reports must no
 * longer be applied to it.
 *
 * Return: 0 or -errno (both fds are closed; the policy is unchanged)
 */
int agent_watch_netns(struct agent *a, int mon_fd, int dump_fd);

/**
 * agent_sync_netns() - make the policy's subnets current, if watched
 * @a:		the agent
 *
 * About a microsecond when nothing changed (one recv() per view that
 * returns EAGAIN); after a change, a dump of the changed namespace.  A
 * failed dump keeps the last view and is retried at the next decision.
 *
 * Return: 0, or -errno when the container's view was never read: then
 * nothing may be decided as outside
 */
int agent_sync_netns(struct agent *a);

/** agent_netns_fini() - close what agent_watch_netns() opened */
void agent_netns_fini(struct agent *a);

/**
 * agent_set_own_addrs() - the container's own addresses, as nsagent
 * reported them, for the service map
 * @a:		the agent, started
 * @addrs:	a full snapshot, @n of them; it replaces the last one (at
 *		first the fallback network's addresses of the settings)
 * @n:		how many; past SERVICE_ADDRS_MAX the rest are left out with
 *		a warning (a connect to them is then not served by the map)
 *
 * A no-op without the map or without the container's netns cookie.
 */
void agent_set_own_addrs(struct agent *a, const struct service_addr *addrs,
			 size_t n);

/**
 * agent_services_collect() - the record of the container's own namespace
 * (service-record.h) for other agents; @r is zeroed when there is no map
 */
void agent_services_collect(const struct agent *a, struct service_record *r);

/**
 * agent_services_apply() - another namespace's record (or a pod-mate's of
 * this one) from @origin (SERVICE_PARENT or SERVICE_REGISTRY) into the
 * map, replacing what came from there before; a no-op without the map
 */
void agent_services_apply(struct agent *a, const struct service_record *r,
			  uint8_t origin);

/**
 * agent_services_withdraw() - forget what @origin said of @netns (its last
 * agent ended, its registry file went)
 */
void agent_services_withdraw(struct agent *a, uint64_t netns, uint8_t origin);

/** agent_stop() - close every handle; the loop ends once they are closed */
void agent_stop(struct agent *a);

/** agent_fini() - free what the agent owns, after the loop has ended */
void agent_fini(struct agent *a);

/**
 * agent_inspect_failed() - what to answer when the agent cannot look at
 * the trapped call's socket (pidfd_open()/pidfd_getfd()/getsockopt()
 * failed with @r)
 *
 * Resource errors of the agent (EMFILE, ENFILE, ENOMEM, ...) fail the call
 * with ENOBUFS rather than CONTINUE: the agent does not fail open because
 * it ran short.  A process the agent may not inspect (EPERM, EACCES: it
 * made itself non-dumpable) gets CONTINUE and keeps its sockets inside;
 * any host socket it holds is pinned (see route.h).
 *
 * Return: HANDLER_CONTINUE or -ENOBUFS
 */
int agent_inspect_failed(int r);

/**
 * agent_copy_fd() - the agent's copy of the trapped call's fd (args[0])
 * @a:		the agent
 * @req:	the notification
 * @ret_fd:	the copy (O_CLOEXEC), to be closed by the caller
 *
 * A (cached) pidfd of the trapped thread, pidfd_getfd(), then, for a pidfd
 * just opened, a check that the notification is still valid (the thread
 * id may have been recycled before pidfd_open()).  A cached thread pidfd
 * needs no check: it was opened, and checked, while an earlier call of the
 * same thread id was pending, and pidfd_getfd() through it succeeds only
 * while that thread lives, so the id named that thread from before this
 * call was trapped until now.  That also vouches for what the caller read
 * from the thread's memory by id before this call (see handle-connect.c).
 *
 * Return: 0, or what the handler should answer instead: -EBADF (no such
 * fd, the kernel's answer too), HANDLER_GONE, or agent_inspect_failed()
 */
int agent_copy_fd(struct agent *a, const struct seccomp_notif *req,
		  int *ret_fd);

/**
 * agent_fd_flags() - target_fd_flags() of @fd in thread @tid, read through
 * the thread's cached /proc/TID/fdinfo directory when it has a cached
 * pidfd (pidfd_cache_fdinfo_dir()); only after agent_copy_fd() for the
 * same call succeeded, which vouches for the cache entry
 * Return: the flags, or -errno
 */
int agent_fd_flags(struct agent *a, pid_t tid, int fd);

/**
 * agent_install_host_socket() - put host socket @hs at the container's fd
 * @a:		the agent
 * @id:		the notification
 * @hs:		the host socket, made SOCK_NONBLOCK (the caller keeps it)
 * @fd:		the container's fd number, replaced (SECCOMP_ADDFD_FLAG_SETFD)
 * @cloexec:	the close-on-exec flag of that fd
 * @nonblock:	O_NONBLOCK of the container socket it replaces
 * @old_cookie:	SO_COOKIE of that socket: its record moves to @hs
 * @answer:	what the caller answers once it is installed (0 or -errno),
 *		written down first for a successor (notify_addfd_journaled())
 *
 * Return: 0, or -errno (-ENOENT: the caller is gone)
 */
int agent_install_host_socket(struct agent *a, uint64_t id, int hs, int fd,
			      bool cloexec, bool nonblock, uint64_t old_cookie,
			      int answer);

/**
 * agent_recover() - implements notify_recover_cb: answer a notification a
 * dead agent of the container left (agent-recover.c)
 * @ctx:	the agent
 * @slot:	its journal slot
 *
 * A host socket it was installing and did install gets the answer it
 * wrote down; anything else is handled as a new notification (what the
 * dead agent did to the container is nothing, then: see
 * docs/design.md §6.6).
 *
 * Return: as notify_handler_cb
 */
int agent_recover(void *ctx, const struct agent_slot *slot);

/**
 * agent_sockstate_get() - the record of the trapped call's socket, made
 * if missing, with the (thread group, fd) the sweep checks updated
 * @a:		the agent
 * @req:	the notification; args[0] is the fd
 * @sock:	the agent's copy of that fd (for its inode)
 * @cookie:	SO_COOKIE of that socket
 * @ret:	the entry
 *
 * Return: 0 or -ENOMEM
 */
int agent_sockstate_get(struct agent *a, const struct seccomp_notif *req,
			int sock, uint64_t cookie, struct sockstate **ret);

/**
 * agent_socket_alive() - the sweep's check (sockstate_alive_cb): is the
 * socket of record @s still open at its (pid, fd), by its inode?  Takes
 * no copy of the fd (docs/design.md §4).  @opaque is unused.
 */
bool agent_socket_alive(const struct sockstate *s, void *opaque);

/** agent_is_host_socket() - does this SO_NETNS_COOKIE name the host's? */
bool agent_is_host_socket(const struct agent *a, uint64_t netns_cookie);

/** agent_is_container_socket() - is the socket in the container's netns? */
bool agent_is_container_socket(const struct agent *a, uint64_t netns_cookie);

#endif /* NB_AGENT_H */
