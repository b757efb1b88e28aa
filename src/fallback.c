// SPDX-License-Identifier: Apache-2.0
/*
 * fallback.c - libslirp on libuv: all the glue between the two lives here.
 *
 * libslirp 4.x is driven the pollfds way:
 * before the application sleeps it asks slirp which fds to watch
 * (slirp_pollfds_fill()) and afterwards tells it what happened
 * (slirp_pollfds_poll(), which also runs slirp's TCP timers).  slirp's set
 * of sockets changes all the time, so rather than one uv_poll_t per slirp
 * socket the set lives in an epoll instance of our own, which the loop
 * watches with a single uv_poll_t:
 *
 *   uv_prepare  slirp_pollfds_fill(): add or modify fds in our epoll set;
 *               arm a uv_timer for slirp's timeout
 *   (poll)      the loop wakes for our epoll fd, the tap, or a timer
 *   uv_check    epoll_wait(0) collects events; slirp_pollfds_poll()
 *
 * slirp calls unregister_poll_fd() before it closes a socket: the fd
 * leaves the epoll set there.  Frames from the tap go to slirp_input()
 * as they arrive; frames from slirp are written to the tap and dropped if
 * it is full (slirp's TCP retransmits).  slirp's own timers (IPv6 router
 * advertisements) are uv_timer_t.  No thread besides the loop's.
 *
 * libslirp 4.9 (SLIRP_CONFIG_VERSION_MAX 6) types its sockets
 * (slirp_os_socket, an int on Linux) and deprecates the int-typed
 * slirp_pollfds_fill() and {,un}register_poll_fd callbacks; it calls the
 * socket-typed ones only for a configuration of version 6.  So the version
 * asked for, the fill function and the callbacks go together: 6 and the
 * socket-typed API where the headers have it, 4 and the int API before
 * (Debian 12's 4.7 and 13's 4.8).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <slirp/libslirp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "fallback.h"
#include "log.h"
#include "util.h"

#define FRAME_MAX 65536 /* MTU 65520 plus the Ethernet header */

#define EVENTS_MAX 256

#if SLIRP_CONFIG_VERSION_MAX >= 6
#define SLIRP_SOCKET_API 1
#define SLIRP_CONFIG_VERSION 6
typedef slirp_os_socket slirp_fd;
#else
#define SLIRP_SOCKET_API 0
#define SLIRP_CONFIG_VERSION 4
typedef int slirp_fd;
#endif

struct fallback {
	Slirp *slirp;
	uv_loop_t *loop;
	int epfd;
	int tap_fd;
	uv_poll_t ep_poll;
	uv_poll_t tap_poll;
	uv_prepare_t prepare;
	uv_check_t check;
	uv_timer_t timeout;
	struct in_addr guest;
	/* libslirp keeps pointers to these, not copies. */
	struct sockaddr_in outbound;
	struct sockaddr_in6 outbound6;
	fallback_gone_cb on_gone;
	void *gone_data;
	int open_handles;
	bool stopping;
	/* Per fd: the events slirp asked for (0 = not in the epoll set),
	 * what epoll reported this turn, and the turn slirp last asked in;
	 * indexed by fd number. */
	uint32_t *want;
	uint32_t *got;
	uint32_t *asked;
	uint32_t turn;
	size_t nfds;
	uint8_t frame[FRAME_MAX];
};

struct fallback_timer {
	uv_timer_t timer;
	struct fallback *f;
	SlirpTimerCb cb;
	void *cb_opaque;
};

void fallback_config_default(struct fallback_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	fallback_config_set_cidr(cfg, "10.0.2.0/24");
	cfg->mtu = 65520;
}

int fallback_config_set_cidr(struct fallback_config *cfg, const char *cidr)
{
	char buf[32];
	const char *slash = strchr(cidr, '/');
	struct in_addr a;
	char *end;
	long prefix;
	uint32_t net;

	if (!slash || (size_t)(slash - cidr) >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, cidr, (size_t)(slash - cidr));
	buf[slash - cidr] = '\0';
	if (inet_pton(AF_INET, buf, &a) != 1)
		return -EINVAL;
	prefix = strtol(slash + 1, &end, 10);
	/* .100 must fit: at most a /25. */
	if (*end || end == slash + 1 || prefix < 1 || prefix > 25)
		return -EINVAL;
	net = ntohl(a.s_addr) & ~((1U << (32 - prefix)) - 1);
	cfg->network.s_addr = htonl(net);
	cfg->prefix = (unsigned int)prefix;
	cfg->host.s_addr = htonl(net + 2);
	cfg->dns.s_addr = htonl(net + 3);
	cfg->guest.s_addr = htonl(net + 100);
	return 0;
}

/* Make room to index @fd in the per-fd arrays. */
static int grow(struct fallback *f, int fd)
{
	size_t n = f->nfds ? f->nfds : 64;
	uint32_t *w, *g, *t;

	if (fd < 0)
		return -EBADF;
	if ((size_t)fd < f->nfds)
		return 0;
	while (n <= (size_t)fd)
		n *= 2;
	w = realloc(f->want, n * sizeof(*w));
	if (!w)
		return -ENOMEM;
	f->want = w;
	g = realloc(f->got, n * sizeof(*g));
	if (!g)
		return -ENOMEM;
	f->got = g;
	t = realloc(f->asked, n * sizeof(*t));
	if (!t)
		return -ENOMEM;
	f->asked = t;
	memset(f->want + f->nfds, 0, (n - f->nfds) * sizeof(*w));
	memset(f->got + f->nfds, 0, (n - f->nfds) * sizeof(*g));
	memset(f->asked + f->nfds, 0, (n - f->nfds) * sizeof(*t));
	f->nfds = n;
	return 0;
}

static uint32_t to_epoll(int ev)
{
	return ((ev & SLIRP_POLL_IN) ? EPOLLIN : 0) |
	       ((ev & SLIRP_POLL_OUT) ? EPOLLOUT : 0) |
	       ((ev & SLIRP_POLL_PRI) ? EPOLLPRI : 0);
}

static int to_slirp(uint32_t ev)
{
	return ((ev & EPOLLIN) ? SLIRP_POLL_IN : 0) |
	       ((ev & EPOLLOUT) ? SLIRP_POLL_OUT : 0) |
	       ((ev & EPOLLPRI) ? SLIRP_POLL_PRI : 0) |
	       ((ev & EPOLLERR) ? SLIRP_POLL_ERR : 0) |
	       ((ev & EPOLLHUP) ? SLIRP_POLL_HUP : 0);
}

/* implements SlirpAddPollSocketCb (SlirpAddPollCb before libslirp 4.9):
 * the index is the fd itself */
static int add_poll(slirp_fd fd, int events, void *opaque)
{
	struct fallback *f = opaque;
	struct epoll_event ev = { .events = to_epoll(events), .data.fd = fd };
	int op;

	if (grow(f, fd) < 0)
		return -1;
	f->asked[fd] = f->turn;
	if (ev.events == 0)
		return fd; /* dropped from the set after the fill */
	op = f->want[fd] ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
	if (f->want[fd] != ev.events && epoll_ctl(f->epfd, op, fd, &ev) < 0) {
		log_debug("slirp fd %d: epoll_ctl: %s", fd, strerror(errno));
		return -1;
	}
	f->want[fd] = ev.events;
	return fd;
}

/* implements SlirpGetREventsCb */
static int get_revents(int idx, void *opaque)
{
	struct fallback *f = opaque;

	if (idx < 0 || (size_t)idx >= f->nfds)
		return 0;
	return to_slirp(f->got[idx]);
}

/* implements SlirpCb.send_packet: a frame for the container */
static ssize_t send_packet(const void *buf, size_t len, void *opaque)
{
	struct fallback *f = opaque;
	ssize_t n = write(f->tap_fd, buf, len);

	if (n < 0 && errno != EAGAIN && errno != EINTR)
		log_debug("tap write: %s", strerror(errno));
	return n < 0 ? 0 : n; /* a full tap drops; TCP retransmits */
}

/* implements SlirpCb.guest_error */
static void guest_error(const char *msg, void *opaque)
{
	log_debug("slirp: container error: %s", msg);
}

/* implements SlirpCb.clock_get_ns */
static int64_t clock_get_ns(void *opaque)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void on_slirp_timer(uv_timer_t *t)
{
	struct fallback_timer *ft = container_of(t, struct fallback_timer,
						 timer);

	ft->cb(ft->cb_opaque);
}

/* implements SlirpCb.timer_new */
static void *timer_new(SlirpTimerCb cb, void *cb_opaque, void *opaque)
{
	struct fallback *f = opaque;
	struct fallback_timer *ft = calloc(1, sizeof(*ft));

	if (!ft)
		return NULL;
	ft->f = f;
	ft->cb = cb;
	ft->cb_opaque = cb_opaque;
	uv_timer_init(f->loop, &ft->timer);
	uv_unref((uv_handle_t *)&ft->timer);
	return ft;
}

static void free_timer(uv_handle_t *h)
{
	free(container_of((uv_timer_t *)h, struct fallback_timer, timer));
}

/* implements SlirpCb.timer_free */
static void timer_free(void *timer, void *opaque)
{
	struct fallback_timer *ft = timer;

	if (!ft)
		return;
	uv_timer_stop(&ft->timer);
	uv_close((uv_handle_t *)&ft->timer, free_timer);
}

/* implements SlirpCb.timer_mod: @expire is in ms on clock_get_ns's clock */
static void timer_mod(void *timer, int64_t expire, void *opaque)
{
	struct fallback_timer *ft = timer;
	int64_t now = clock_get_ns(opaque) / 1000000;

	if (ft)
		uv_timer_start(&ft->timer, on_slirp_timer,
			       expire > now ? (uint64_t)(expire - now) : 0, 0);
}

/* implements SlirpCb.register_poll_socket (register_poll_fd before
 * libslirp 4.9): slirp_pollfds_fill() adds it */
static void register_poll(slirp_fd fd, void *opaque)
{
}

/* implements SlirpCb.unregister_poll_socket (unregister_poll_fd before
 * libslirp 4.9): slirp is about to close @fd */
static void unregister_poll(slirp_fd fd, void *opaque)
{
	struct fallback *f = opaque;

	if (fd >= 0 && (size_t)fd < f->nfds && f->want[fd]) {
		epoll_ctl(f->epfd, EPOLL_CTL_DEL, fd, NULL);
		f->want[fd] = 0;
		f->got[fd] = 0;
	}
}

static void on_timeout(uv_timer_t *t)
{
	/* Nothing to do: waking the loop runs the check callback. */
}

/*
 * implements SlirpCb.notify: slirp has more to do (a socket buffer has
 * room again).  Make the loop turn now instead of sleeping until the next
 * event; prepare and check then ask slirp again.
 */
static void notify(void *opaque)
{
	struct fallback *f = opaque;

	if (!f->stopping)
		uv_timer_start(&f->timeout, on_timeout, 0, 0);
}

static const SlirpCb slirp_callbacks = {
	.send_packet = send_packet,
	.guest_error = guest_error,
	.clock_get_ns = clock_get_ns,
	.timer_new = timer_new,
	.timer_free = timer_free,
	.timer_mod = timer_mod,
	.notify = notify,
#if SLIRP_SOCKET_API
	.register_poll_socket = register_poll,
	.unregister_poll_socket = unregister_poll,
#else
	.register_poll_fd = register_poll,
	.unregister_poll_fd = unregister_poll,
#endif
};

/*
 * slirp asks anew every turn, poll(2) style: an fd it did not ask for
 * this turn must leave the epoll set.  Left in, a socket slirp is done
 * reading (shut down, waiting for its peer) reports EPOLLHUP on every
 * epoll_wait() whatever its interest, and the loop never sleeps.
 */
static void drop_unasked(struct fallback *f)
{
	for (size_t fd = 0; fd < f->nfds; fd++) {
		if (!f->want[fd] || f->asked[fd] == f->turn)
			continue;
		epoll_ctl(f->epfd, EPOLL_CTL_DEL, (int)fd, NULL);
		f->want[fd] = 0;
	}
}

static void on_prepare(uv_prepare_t *p)
{
	struct fallback *f = container_of(p, struct fallback, prepare);
	uint32_t timeout = UINT32_MAX;

	f->turn++;
#if SLIRP_SOCKET_API
	slirp_pollfds_fill_socket(f->slirp, &timeout, add_poll, f);
#else
	slirp_pollfds_fill(f->slirp, &timeout, add_poll, f);
#endif
	drop_unasked(f);
	if (timeout != UINT32_MAX)
		uv_timer_start(&f->timeout, on_timeout, timeout, 0);
	else
		uv_timer_stop(&f->timeout);
}

static void on_check(uv_check_t *c)
{
	struct fallback *f = container_of(c, struct fallback, check);
	struct epoll_event ev[EVENTS_MAX];
	int n;

	n = epoll_wait(f->epfd, ev, EVENTS_MAX, 0);
	for (int i = 0; i < n; i++)
		if ((size_t)ev[i].data.fd < f->nfds)
			f->got[ev[i].data.fd] = ev[i].events;
	slirp_pollfds_poll(f->slirp, n < 0, get_revents, f);
	for (int i = 0; i < n; i++)
		if ((size_t)ev[i].data.fd < f->nfds)
			f->got[ev[i].data.fd] = 0;
}

/* Our epoll fd is readable: the check callback does the work. */
static void on_epoll(uv_poll_t *p, int status, int events)
{
}

/*
 * The device behind the tap fd was unregistered (its namespace died):
 * read() fails with EBADFD and poll() reports POLLERR for good, which
 * libuv passes on as UV_EBADF after stopping the watcher.
 */
static void tap_gone(struct fallback *f)
{
	fallback_gone_cb cb = f->on_gone;

	uv_poll_stop(&f->tap_poll);
	f->on_gone = NULL;
	log_info("the tap device is gone");
	if (cb)
		cb(f, f->gone_data);
}

static void on_tap(uv_poll_t *p, int status, int events)
{
	struct fallback *f = container_of(p, struct fallback, tap_poll);

	if (status < 0) {
		tap_gone(f);
		return;
	}
	/* A bounded batch per wake-up: the loop has other work too. */
	for (int i = 0; i < 64; i++) {
		ssize_t n = read(f->tap_fd, f->frame, sizeof(f->frame));

		if (n <= 0) {
			if (n < 0 && errno == EBADFD)
				tap_gone(f);
			else if (n < 0 && errno != EAGAIN && errno != EINTR)
				log_warn("tap read: %s, ignoring",
					 strerror(errno));
			return;
		}
		slirp_input(f->slirp, f->frame, (int)n);
	}
}

static void fallback_free(struct fallback *f)
{
	if (f->slirp)
		slirp_cleanup(f->slirp);
	closep(&f->epfd);
	closep(&f->tap_fd);
	free(f->want);
	free(f->got);
	free(f->asked);
	free(f);
}

static void on_closed(uv_handle_t *h)
{
	struct fallback *f = h->data;

	if (--f->open_handles == 0)
		fallback_free(f);
}

void fallback_stop(struct fallback *f)
{
	uv_handle_t *handles[] = {
		(uv_handle_t *)&f->ep_poll, (uv_handle_t *)&f->tap_poll,
		(uv_handle_t *)&f->prepare, (uv_handle_t *)&f->check,
		(uv_handle_t *)&f->timeout,
	};

	if (!f || f->stopping)
		return;
	f->stopping = true;
	f->open_handles = (int)ARRAY_SIZE(handles);
	for (size_t i = 0; i < ARRAY_SIZE(handles); i++) {
		handles[i]->data = f;
		uv_close(handles[i], on_closed);
	}
}

static void fill_slirp_config(struct fallback *f,
			      const struct fallback_config *c, SlirpConfig *s)
{
	memset(s, 0, sizeof(*s));
	s->version = SLIRP_CONFIG_VERSION; /* see the top of this file */
	s->in_enabled = true;
	s->vnetwork = c->network;
	s->vnetmask.s_addr = htonl(~((1U << (32 - c->prefix)) - 1));
	s->vhost = c->host;
	s->vnameserver = c->dns;
	s->vdhcp_start.s_addr = htonl(ntohl(c->network.s_addr) + 15);
	s->if_mtu = c->mtu;
	s->if_mru = c->mtu;
	s->disable_host_loopback = !c->enable_host_loopback;
	s->in6_enabled = c->enable_ipv6;
	if (c->enable_ipv6) {
		inet_pton(AF_INET6, "fd00::", &s->vprefix_addr6);
		s->vprefix_len = 64;
		inet_pton(AF_INET6, "fd00::2", &s->vhost6);
		inet_pton(AF_INET6, "fd00::3", &s->vnameserver6);
	}
	/* Version 3 and later (we ask for 4 or 6) read these. */
	s->disable_dns = c->disable_dns;
	f->outbound = c->outbound;
	f->outbound6 = c->outbound6;
	if (f->outbound.sin_family == AF_INET)
		s->outbound_addr = &f->outbound;
	if (f->outbound6.sin6_family == AF_INET6)
		s->outbound_addr6 = &f->outbound6;
}

int fallback_start(uv_loop_t *loop, const struct fallback_config *cfg,
		   int tap_fd, struct fallback **ret)
{
	struct fallback *f = calloc(1, sizeof(*f));
	SlirpConfig sc;
	int r;

	if (!f) {
		close(tap_fd);
		return -ENOMEM;
	}
	f->loop = loop;
	f->tap_fd = tap_fd;
	f->guest = cfg->guest;
	f->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (f->epfd < 0) {
		r = -errno;
		fallback_free(f);
		return r;
	}
	fill_slirp_config(f, cfg, &sc);
	f->slirp = slirp_new(&sc, &slirp_callbacks, f);
	if (!f->slirp) {
		fallback_free(f);
		return -EINVAL;
	}
	/* libslirp's clock, from which a UDP socket's expiry is counted,
	 * is only set by slirp_pollfds_poll(): a datagram read before the
	 * first check (frames queued on the tap when a fresh process starts
	 * the loop) made a socket that expired at the next fill, and its
	 * answer was dropped.  One empty poll sets the clock. */
	slirp_pollfds_poll(f->slirp, 0, get_revents, f);
	/* The polls can fail (an fd the loop watches already, a bad fd):
	 * before them nothing needs uv_close(), after them every handle. */
	r = uv_poll_init(loop, &f->ep_poll, f->epfd);
	if (r < 0) {
		fallback_free(f);
		return r;
	}
	r = uv_poll_init(loop, &f->tap_poll, tap_fd); /* sets O_NONBLOCK */
	if (r < 0) {
		/* f goes in on_closed(), once the one handle is closed. */
		f->stopping = true;
		f->open_handles = 1;
		f->ep_poll.data = f;
		uv_close((uv_handle_t *)&f->ep_poll, on_closed);
		return r;
	}
	uv_prepare_init(loop, &f->prepare);
	uv_check_init(loop, &f->check);
	uv_timer_init(loop, &f->timeout);
	r = uv_poll_start(&f->ep_poll, UV_READABLE, on_epoll);
	if (r == 0)
		r = uv_poll_start(&f->tap_poll, UV_READABLE, on_tap);
	if (r == 0)
		r = uv_prepare_start(&f->prepare, on_prepare);
	if (r == 0)
		r = uv_check_start(&f->check, on_check);
	if (r < 0) {
		fallback_stop(f);
		return r;
	}
	/* The fallback alone must not keep the loop alive. */
	uv_unref((uv_handle_t *)&f->ep_poll);
	uv_unref((uv_handle_t *)&f->tap_poll);
	uv_unref((uv_handle_t *)&f->prepare);
	uv_unref((uv_handle_t *)&f->check);
	uv_unref((uv_handle_t *)&f->timeout);
	*ret = f;
	return 0;
}

void fallback_set_gone_cb(struct fallback *f, fallback_gone_cb cb, void *data)
{
	f->on_gone = cb;
	f->gone_data = data;
}

/* slirp sets errno from the failed socket call; keep a sane default. */
static int slirp_errno(int fallback)
{
	return errno > 0 ? -errno : -fallback;
}

/*
 * libslirp's flags for a forward from @host.  A v6 one listens on v6 only:
 * slirp4netns's behaviour, and v4 forwards of the same port stay possible.
 */
static int hostfwd_flags(bool udp, const struct sockaddr *host)
{
	return (udp ? SLIRP_HOSTFWD_UDP : 0) |
	       (host->sa_family == AF_INET6 ? SLIRP_HOSTFWD_V6ONLY : 0);
}

int fallback_add_hostfwd(struct fallback *f, bool udp,
			 const struct sockaddr *host, socklen_t host_len,
			 const struct sockaddr *guest, socklen_t guest_len)
{
	if (f->stopping)
		return -ESHUTDOWN;
	errno = 0;
	if (slirp_add_hostxfwd(f->slirp, host, host_len, guest, guest_len,
			       hostfwd_flags(udp, host)) < 0)
		return slirp_errno(EADDRINUSE);
	return 0;
}

int fallback_remove_hostfwd(struct fallback *f, bool udp,
			    const struct sockaddr *host, socklen_t host_len)
{
	if (f->stopping)
		return -ESHUTDOWN;
	if (slirp_remove_hostxfwd(f->slirp, host, host_len,
				  hostfwd_flags(udp, host)) < 0)
		return -ENOENT;
	return 0;
}
