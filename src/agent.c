// SPDX-License-Identifier: Apache-2.0
/*
 * agent.c - the per-container agent: owns the notify watcher, the policy,
 * the socket table and the in-flight connects, all on one libuv loop.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent.h"
#include "handlers.h"
#include "log.h"
#include "route.h"
#include "sockinfo.h"
#include "target.h"
#include "traps.h"
#include "util.h"

/* Drop records of closed sockets this often (only if there are any). */
#define SWEEP_INTERVAL_MS 10000
/* Close pidfds of exited threads this often (only while there are any). */
#define PRUNE_INTERVAL_MS 1000

bool agent_is_host_socket(const struct agent *a, uint64_t netns_cookie)
{
	return netns_cookie == a->host_netns;
}

bool agent_is_container_socket(const struct agent *a, uint64_t netns_cookie)
{
	if (netns_cookie == a->host_netns)
		return false;
	return a->container_netns == 0 || netns_cookie == a->container_netns;
}

int agent_inspect_failed(int r)
{
	if (r == -EPERM || r == -EACCES)
		return HANDLER_CONTINUE;
	log_debug("cannot inspect the trapped socket: %s", strerror(-r));
	return -ENOBUFS;
}

static void on_prune(uv_timer_t *t)
{
	struct agent *a = container_of(t, struct agent, prune_timer);

	if (pidfd_cache_prune(&a->pidfds) == 0)
		uv_timer_stop(t);
}

int agent_copy_fd(struct agent *a, const struct seccomp_notif *req, int *ret_fd)
{
	_cleanup_close_ int fd = -1;
	int pidfd, fresh;

	for (;;) {
		pidfd = pidfd_cache_get(&a->pidfds, req->pid, &fresh);
		if (pidfd < 0)
			return pidfd == -ESRCH ? HANDLER_GONE :
						 agent_inspect_failed(pidfd);
		fd = target_getfd(pidfd, (int)req->data.args[0]);
		if (fd != -ESRCH)
			break;
		/* The thread of a cached pidfd is gone (see pidfd-cache.h):
		 * the id may be another thread's now.  Retry fresh. */
		pidfd_cache_drop(&a->pidfds, req->pid);
		if (fresh)
			return HANDLER_GONE;
	}
	if (fresh && !a->stopping &&
	    !uv_is_active((uv_handle_t *)&a->prune_timer))
		uv_timer_start(&a->prune_timer, on_prune, PRUNE_INTERVAL_MS,
			       PRUNE_INTERVAL_MS);
	if (fd < 0)
		return fd == -EBADF ? -EBADF : agent_inspect_failed(fd);
	if (fresh && !notify_id_valid(&a->notify, req->id))
		return HANDLER_GONE;
	*ret_fd = take_fd(&fd);
	return 0;
}

int agent_fd_flags(struct agent *a, pid_t tid, int fd)
{
	int dir = pidfd_cache_fdinfo_dir(&a->pidfds, tid);

	return dir >= 0 ? target_fd_flags_at(dir, fd) :
			  target_fd_flags(tid, fd);
}

/* The inode of the socket @fd (sockets have unique ones while open). */
static uint64_t socket_ino(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 ? (uint64_t)st.st_ino : 0;
}

int agent_sockstate_get(struct agent *a, const struct seccomp_notif *req,
			int sock, uint64_t cookie, struct sockstate **ret)
{
	int fd = (int)req->data.args[0];
	struct sockstate *s;
	int r;

	r = sockstate_get(a->socks, cookie, &s);
	if (r < 0)
		return r;
	/* The sweep looks for the socket in the thread group: a thread that
	 * exits must not take the record with it. */
	if (s->pid == 0 || s->fd != fd) {
		pid_t tgid = target_tgid(req->pid);

		s->pid = tgid > 0 ? tgid : (pid_t)req->pid;
		s->fd = fd;
	}
	if (!s->ino)
		s->ino = socket_ino(sock);
	*ret = s;
	return 0;
}

int agent_install_host_socket(struct agent *a, uint64_t id, int hs, int fd,
			      bool cloexec, bool nonblock, uint64_t old_cookie,
			      int answer)
{
	bool tracked = sockstate_lookup(a->socks, old_cookie) != NULL;
	struct sockstate *s;
	uint64_t cookie = 0;
	int r;

	/* @hs was made SOCK_NONBLOCK and has no other status flag. */
	if (!nonblock && fcntl(hs, F_SETFL, 0) < 0)
		return -errno;
	/* A successor agent (agent-recover.c) knows the socket by its
	 * cookie: wanted only where there can be one. */
	if (tracked || a->shm)
		cookie = sockinfo_cookie(hs);
	r = notify_addfd_journaled(&a->notify, id, hs, fd, cloexec, cookie,
				   answer);
	if (r < 0)
		return r;
	if (tracked) {
		if (sockstate_rekey(a->socks, old_cookie, cookie) == 0) {
			s = sockstate_lookup(a->socks, cookie);
			if (s) {
				s->kind = SOCKSTATE_SWITCHED;
				/* The host socket now sits at that fd. */
				s->fd = fd;
				s->ino = socket_ino(hs);
			}
		}
	}
	return 0;
}

/* The netns cookie of the agent's own namespace, from a throwaway socket. */
static int host_netns_cookie(uint64_t *ret)
{
	_cleanup_close_ int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	uint64_t c;

	if (s < 0)
		return -errno;
	c = sockinfo_netns_cookie(s);
	if (c == 0)
		return -EOPNOTSUPP; /* SO_NETNS_COOKIE: Linux >= 5.14 */
	*ret = c;
	return 0;
}

int agent_init(struct agent *a, uv_loop_t *loop,
	       const struct agent_settings *settings)
{
	int r;

	memset(a, 0, sizeof(*a));
	a->route_fd = -1;
	a->routes.mon_fd = -1;
	pidfd_cache_init(&a->pidfds); /* agent_fini() is safe from here */
	a->loop = loop;
	a->shm = settings->shm;
	a->counters = a->shm ? &a->shm->c : &a->own_counters;
	a->stats = &a->counters->agent;
	a->policy = *settings->policy;
	a->publish = settings->publish;
	a->bind_bypass = settings->bind_bypass;
	agent_services_init(a, settings);
	r = host_netns_cookie(&a->host_netns);
	if (r < 0)
		return r;
	pending_connects_init(&a->pending);
	a->route_fd = route_open();
	if (a->route_fd < 0)
		return a->route_fd;
	r = route_cache_init(&a->routes);
	if (r < 0)
		log_debug("no route change monitor (%s): routes not cached",
			  strerror(-r));
	a->socks = sockstate_table_new(SOCKSTATE_MAX);
	if (!a->socks) {
		closep(&a->route_fd);
		return -ENOMEM;
	}
	return 0;
}

/*
 * Is the socket of record @s still open at its last known (pid, fd)?  Its
 * inode is looked for there, through /proc: no copy of the fd is taken.
 * A copy held while the container runs can outlive the container's own
 * close() for good on some kernels (the socket then never sends its FIN:
 * docs/design.md §4, "No copy outlives the answer"), and the sweep runs
 * while the container does.
 */
bool agent_socket_alive(const struct sockstate *s, void *opaque)
{
	char path[64], link[64], want[40];
	ssize_t n;

	if (!s->ino)
		return false;
	snprintf(path, sizeof(path), "/proc/%d/fd/%d", (int)s->pid, s->fd);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return false;
	link[n] = '\0';
	snprintf(want, sizeof(want), "socket:[%llu]",
		 (unsigned long long)s->ino);
	return strcmp(link, want) == 0;
}

static void on_sweep(uv_timer_t *t)
{
	struct agent *a = container_of(t, struct agent, sweep_timer);
	size_t n;

	if (sockstate_table_count(a->socks) == 0)
		return;
	n = sockstate_sweep(a->socks, agent_socket_alive, a);
	if (n)
		log_debug("sweep dropped %zu closed socket records", n);
}

static void on_routes_changed(uv_poll_t *h, int status, int events)
{
	struct agent *a = container_of(h, struct agent, routes_poll);

	(void)status;
	(void)events;
	route_cache_drain(&a->routes);
}

/*
 * Watch the route cache's change monitor, or give the cache up: answers
 * nothing invalidates could go stale.  Not fatal either way: without the
 * cache every connect asks the kernel.
 */
static void watch_routes(struct agent *a)
{
	int fd = route_cache_monitor_fd(&a->routes), r;

	if (fd < 0) {
		route_cache_fini(&a->routes); /* logged by agent_init() */
		return;
	}
	/* A failed init leaves nothing to close; a good one, a handle. */
	r = uv_poll_init(a->loop, &a->routes_poll, fd);
	if (r == 0) {
		r = uv_poll_start(&a->routes_poll, UV_READABLE,
				  on_routes_changed);
		if (r == 0) {
			a->routes_polled = true;
			uv_unref((uv_handle_t *)&a->routes_poll);
			return;
		}
		/* uv_close() takes the fd out of the loop's epoll at once:
		 * route_cache_fini() may close it right after. */
		uv_close((uv_handle_t *)&a->routes_poll, NULL);
	}
	log_debug("route changes not watched (%s): routes not cached",
		  uv_strerror(r));
	route_cache_fini(&a->routes);
}

static void on_notify_hup(struct notify *n)
{
	struct agent *a = container_of(n, struct agent, notify);

	agent_stop(a);
	if (a->on_done)
		a->on_done(a);
}

int agent_start(struct agent *a, int notify_fd, uint64_t container_netns,
		agent_done_cb on_done)
{
	struct notify_store store;
	int r;

	a->container_netns = container_netns;
	a->on_done = on_done;
	r = traps_resolve();
	if (r < 0) {
		close(notify_fd);
		return r;
	}
	store.slots = a->shm ? a->shm->slots : NULL;
	/* The daemon counts an agent before it forks it: more than one, a
	 * predecessor may have left notifications. */
	store.predecessor = a->shm && agent_shm_read32(&a->shm->agents) != 1;
	store.counters = a->counters;
	store.recover = agent_recover;
	r = notify_start_stored(&a->notify, a->loop, notify_fd, traps_dispatch,
				a, on_notify_hup, &store);
	if (r < 0)
		return r;
	if (container_netns && container_netns == a->host_netns) {
		/* The container uses our network (podman --network host): it
		 * has nothing to accelerate, and its own sockets are host
		 * sockets, which the handlers would refuse. */
		a->notify.continue_all = true;
		log_info("the container shares our network namespace: "
			 "every trapped call continues");
	}
	uv_timer_init(a->loop, &a->sweep_timer);
	uv_timer_start(&a->sweep_timer, on_sweep, SWEEP_INTERVAL_MS,
		       SWEEP_INTERVAL_MS);
	uv_unref((uv_handle_t *)&a->sweep_timer);
	uv_timer_init(a->loop, &a->prune_timer);
	uv_unref((uv_handle_t *)&a->prune_timer);
	watch_routes(a);
	agent_services_start(a);
	return 0;
}

void agent_stop(struct agent *a)
{
	if (a->stopping)
		return;
	a->stopping = true;
	pending_connect_cancel_all(a);
	notify_stop(&a->notify);
	uv_timer_stop(&a->sweep_timer);
	uv_close((uv_handle_t *)&a->sweep_timer, NULL);
	uv_timer_stop(&a->prune_timer);
	uv_close((uv_handle_t *)&a->prune_timer, NULL);
	if (a->routes_polled) {
		uv_poll_stop(&a->routes_poll);
		uv_close((uv_handle_t *)&a->routes_poll, NULL);
	}
	agent_services_stop(a);
	log_info("agent: %llu switched, %llu kept, %llu refused, %llu options, "
		 "%llu published, %llu served, %llu refused stale, %llu "
		 "recovered",
		 (unsigned long long)a->stats->switched,
		 (unsigned long long)a->stats->kept,
		 (unsigned long long)a->stats->refused,
		 (unsigned long long)a->stats->opts,
		 (unsigned long long)a->stats->published,
		 (unsigned long long)a->stats->served,
		 (unsigned long long)a->stats->refused_stale,
		 (unsigned long long)a->stats->recovered);
	log_debug("notifications: %llu received, %llu continued, %llu "
		  "answered, %llu gone",
		  (unsigned long long)a->notify.stats->received,
		  (unsigned long long)a->notify.stats->continued,
		  (unsigned long long)a->notify.stats->answered,
		  (unsigned long long)a->notify.stats->gone);
}

void agent_fini(struct agent *a)
{
	agent_services_fini(a);
	agent_netns_fini(a);
	closep(&a->route_fd);
	route_cache_fini(&a->routes);
	pidfd_cache_clear(&a->pidfds);
	a->socks = sockstate_table_free(a->socks);
}
