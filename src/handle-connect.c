// SPDX-License-Identifier: Apache-2.0
/*
 * handle-connect.c - switch a container socket to the host at connect().
 *
 * The destination is read once from the container, into the agent's own
 * sockaddr_storage, bounded by its size.  The decision and the connect()
 * both use that copy: the kernel never reads the container's sockaddr
 * again for a switched socket, so a racing thread cannot swap in
 * 127.0.0.1 after the check (bypass4netns answers CONTINUE and lets the
 * kernel re-read it; that is its documented hole, and the reason the agent
 * connects the host socket itself).
 *
 * For an outside destination the agent creates a host socket of the same
 * domain, type and protocol, copies onto it the values of the recorded
 * options as the caller's socket holds them (read with getsockopt(), so
 * as the kernel validated them: nothing of the caller's memory), copies
 * IPV6_V6ONLY, connects it without blocking the loop and installs it at
 * the container's fd number with SECCOMP_IOCTL_NOTIF_ADDFD (SETFD, with
 * the fd's close-on-exec flag).  The file status flags of the host socket
 * are set to the container socket's before it is installed (O_NONBLOCK).
 *
 *   container socket non-blocking: installed at once, the call returns 0
 *   or EINPROGRESS, exactly as connect() would.
 *   container socket blocking: the agent waits for the handshake on the
 *   loop (pending-connect.c; other notifications go on), then installs the
 *   socket and answers
 *   0, or answers the error and installs nothing (the container keeps its
 *   own, still unconnected, socket).  SO_SNDTIMEO is honoured: when it
 *   runs out the socket is installed still connecting and the call fails
 *   with EINPROGRESS, as Linux does.  A signal the thread catches ends the
 *   wait the same way, with -ERESTARTSYS (EINTR, or a restart under
 *   SA_RESTART, which then waits again: wait_again()).
 *
 * Everything the agent does not switch gets CONTINUE, so the kernel
 * produces its own errno for bad input (EFAULT, EINVAL, EBADF, ...).  A
 * socket already on the host never gets CONTINUE: the kernel would connect
 * it to whatever the container's memory holds by then.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>

#include "agent.h"
#include "handlers.h"
#include "log.h"
#include "pending-connect.h"
#include "procmem.h"
#include "route.h"
#include "sockinfo.h"
#include "target.h"
#include "util.h"

/* The shortest sockaddr_in6 the kernel takes (no sin6_scope_id). */
#ifndef SIN6_LEN_RFC2133
#define SIN6_LEN_RFC2133 24
#endif

struct connect_req {
	uint64_t id;
	pid_t tid;
	int fd;
	bool cloexec;
	bool host;     /* the socket is already a host socket */
	bool bind_any; /* bind the host socket to the wildcard, port 0 */
	bool served;   /* aimed at a published service (handle-service.c) */
	struct sockstate *state; /* its record, or NULL */
	struct sockinfo si;
	struct sockaddr_storage ss;
	socklen_t len;
};

/* agent_install_host_socket() for @c, counted as a switch (and as a
 * served connect for a published service's) once it is done; @answer is
 * the caller's answer after it. */
static int install(struct agent *a, const struct connect_req *c, int hs,
		   bool nonblock, int answer)
{
	int r = agent_install_host_socket(a, c->id, hs, c->fd, c->cloexec,
					  nonblock, c->si.cookie, answer);

	if (r == 0) {
		a->stats->switched++;
		a->stats->served += c->served;
	}
	return r;
}

/* pending_connect_start() for @c; owns @hs from here.  With @installed,
 * @hs is our copy of the host socket the container has.  With
 * @settled_only, the loopback exception's mode (switch_loopback()). */
static int wait_handshake(struct agent *a, const struct connect_req *c,
			  int sock, int hs, bool installed, bool settled_only)
{
	struct pending_connect_call call = {
		.id = c->id,
		.tid = c->tid,
		.fd = c->fd,
		.cloexec = c->cloexec,
		.old_cookie = c->si.cookie,
		.dst = c->ss,
		.dst_len = c->len,
		.verify = settled_only ? service_loopback_verify : NULL,
		.nonblock = c->si.nonblock,
		.served = c->served,
	};

	return pending_connect_start(a, &call, sock, hs, installed);
}

/*
 * Pin the host socket to the device its destination routes through (see
 * route.h) before connecting it.  A host socket in the container's hands
 * may later be asked to reach other addresses by calls the agent never
 * sees: sendto() on connected UDP, sendto(MSG_FASTOPEN) or a raced
 * CONTINUE'd connect() on a TCP socket that was disconnected (AF_UNSPEC)
 * or whose non-blocking connect failed.  Pinned to a device other than lo
 * it can never reach the host's loopback, whatever asks.  A destination
 * that routes through lo itself is not switched.
 */
static int pin_to_route_device(struct agent *a, int hs,
			       const struct connect_req *c)
{
	int ifindex = 0, r;

	r = route_cache_device(&a->routes, a->route_fd,
			       (const struct sockaddr *)&c->ss, &ifindex);
	if (r < 0)
		return r;
	if (ifindex == ROUTE_LOOPBACK_IFINDEX)
		return -ENETUNREACH;
	if (setsockopt(hs, SOL_SOCKET, SO_BINDTOIFINDEX, &ifindex,
		       sizeof(ifindex)) < 0)
		return -errno;
	return 0;
}

/*
 * Where a just-started handshake stands: 0 done, 1 still going, -errno
 * failed.  To a destination on this machine (a veth, a bridge) the SYN and
 * its answer are processed in softirq context before connect() returns,
 * so a blocking connect usually completes here, without a loop turn and
 * the epoll, timer and handle work of pending_connect_start().
 */
static int handshake_now(int hs)
{
	struct pollfd p = { .fd = hs, .events = POLLOUT };
	socklen_t len = sizeof(int);
	int err = 0;

	if (poll(&p, 1, 0) <= 0 || !(p.revents & (POLLOUT | POLLERR | POLLHUP)))
		return 1;
	/* A connecting TCP socket is writable only once established. */
	if (p.revents == POLLOUT)
		return 0;
	if (getsockopt(hs, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		return -errno;
	return -err;
}

/*
 * The container's socket took its port at bind(), from the wildcard with
 * port 0, as Linux's bind() does: so does the host socket, after the
 * replay, so that IP_BIND_ADDRESS_NO_PORT, SO_REUSEADDR, SO_REUSEPORT and
 * IPV6_V6ONLY act on it as they did inside.  The port is the host's.
 */
static int bind_wildcard(int hs, int domain)
{
	struct sockaddr_storage ss;
	socklen_t len = domain == AF_INET ? sizeof(struct sockaddr_in) :
					    sizeof(struct sockaddr_in6);

	memset(&ss, 0, sizeof(ss)); /* INADDR_ANY, in6addr_any, port 0 */
	ss.ss_family = (sa_family_t)domain;
	if (bind(hs, (struct sockaddr *)&ss, len) < 0)
		return -errno;
	return 0;
}

/* The host socket of @c: a new non-blocking socket of its kind, with the
 * recorded options copied from @sock, the agent's copy of the caller's
 * socket (the container's, or the host socket a switched one is), and
 * IPV6_V6ONLY copied. */
static int host_socket_new(const struct connect_req *c, int sock)
{
	int hs = socket(c->si.domain, c->si.type | SOCK_NONBLOCK | SOCK_CLOEXEC,
			c->si.protocol);

	if (hs < 0)
		return -errno;
	if (c->state)
		sockstate_replay(c->state, sock, hs);
	if (c->si.domain == AF_INET6)
		sockinfo_copy_v6only(sock, hs);
	return hs;
}

/* Make, configure and connect the host socket, then install it. */
static int switch_socket(struct agent *a, const struct connect_req *c, int sock)
{
	_cleanup_close_ int hs = -1;
	int r;

	hs = host_socket_new(c, sock);
	if (hs < 0)
		return hs;
	r = pin_to_route_device(a, hs, c);
	if (r < 0) {
		log_debug("destination not pinnable (%s): %s", strerror(-r),
			  c->host ? "ENETUNREACH" : "kept inside");
		return c->host ? -ENETUNREACH : HANDLER_CONTINUE;
	}
	if (c->bind_any) {
		r = bind_wildcard(hs, c->si.domain);
		if (r < 0) {
			log_debug("host socket not bound (%s): %s",
				  strerror(-r),
				  c->host ? "failed" : "kept inside");
			return c->host ? r : HANDLER_CONTINUE;
		}
	}

	if (connect(hs, (const struct sockaddr *)&c->ss, c->len) == 0) {
		r = install(a, c, hs, c->si.nonblock, 0);
		return r == -ENOENT ? HANDLER_GONE : r;
	}
	if (errno != EINPROGRESS)
		return -errno;
	if (c->si.nonblock) {
		r = install(a, c, hs, true, -EINPROGRESS);
		return r == -ENOENT ? HANDLER_GONE : r < 0 ? r : -EINPROGRESS;
	}
	/* A second connect() tells where the handshake stands and settles
	 * a completed one (0), as the caller's own would: EALREADY while
	 * it goes on, the socket's error if it failed. */
	r = pending_connect_settle(hs, &c->ss, c->len);
	if (r == 0) {
		r = install(a, c, hs, false, 0);
		return r == -ENOENT ? HANDLER_GONE : r;
	}
	if (r != -EALREADY)
		return r;
	return wait_handshake(a, c, sock, take_fd(&hs), false, false);
}

/*
 * The loopback exception (docs/design.md §3.4): service_connect() put our
 * listener's host loopback address in @c and checked that only our
 * listeners take it.  The host socket, pinned to lo, is connected; the
 * agent waits for the handshake whatever the caller's O_NONBLOCK (on the
 * loop if it does not end inside connect(), which on loopback it does
 * unless the listener's accept queue is full), settles the socket and
 * checks again, and only then installs it.  A socket still connecting is
 * never installed: sendto(MSG_FASTOPEN), not trapped, could aim it
 * anywhere on loopback after a shutdown() or a reset.
 *
 * A blocking caller gets 0.  A non-blocking one gets EINPROGRESS, which
 * is what Linux answers for a loopback connect (the SYN-ACK waits in the
 * socket's backlog until connect() returns); its socket is connected by
 * then.  The one difference: a second connect() answers EISCONN where
 * Linux answers 0 once.
 */
static int switch_loopback(struct agent *a, const struct connect_req *c,
			   int sock)
{
	const int lo = ROUTE_LOOPBACK_IFINDEX;
	_cleanup_close_ int hs = -1;
	int r;

	hs = host_socket_new(c, sock);
	if (hs < 0)
		return hs;
	if (setsockopt(hs, SOL_SOCKET, SO_BINDTOIFINDEX, &lo, sizeof(lo)) < 0)
		return -errno;
	if (c->bind_any) {
		r = bind_wildcard(hs, c->si.domain);
		if (r < 0)
			return r;
	}
	r = 0;
	if (connect(hs, (const struct sockaddr *)&c->ss, c->len) < 0) {
		if (errno != EINPROGRESS)
			return -errno;
		r = handshake_now(hs);
	}
	if (r < 0)
		return r;
	if (r > 0)
		return wait_handshake(a, c, sock, take_fd(&hs), false, true);
	r = pending_connect_settle(hs, &c->ss, c->len);
	if (r == 0)
		r = service_loopback_verify(a, &c->ss, c->len);
	if (r < 0)
		return r;
	r = install(a, c, hs, c->si.nonblock,
		    c->si.nonblock ? -EINPROGRESS : 0);
	if (r == -ENOENT)
		return HANDLER_GONE;
	if (r < 0)
		return r;
	return c->si.nonblock ? -EINPROGRESS : 0;
}

/*
 * connect() on a host TCP socket still connecting: what Linux does on a
 * restarted (SA_RESTART) or repeated connect() in SS_CONNECTING: a
 * non-blocking socket gets EALREADY, a blocking one waits for the
 * handshake again and gets its outcome (the address is not looked at).
 */
static int wait_again(struct agent *a, struct connect_req *c, int *sock)
{
	int r = agent_fd_flags(a, c->tid, c->fd);

	if (r < 0)
		return -ENOBUFS;
	if (r & O_NONBLOCK)
		return -EALREADY;
	if (pending_connects_full(&a->pending))
		return -ENOBUFS;
	c->cloexec = r & O_CLOEXEC;
	r = *sock; /* for SO_SNDTIMEO; the copy is the pending's now */
	return wait_handshake(a, c, r, take_fd(sock), true, false);
}

/* Read the destination: exactly addrlen bytes, or leave it to the kernel. */
static bool read_dest(const struct seccomp_notif *req, struct connect_req *c)
{
	int addrlen = (int)req->data.args[2];
	ssize_t got;

	if (addrlen < (int)sizeof(sa_family_t) || addrlen > (int)sizeof(c->ss))
		return false;
	memset(&c->ss, 0, sizeof(c->ss));
	got = procmem_read(req->pid, req->data.args[1], &c->ss,
			   (size_t)addrlen);
	if (got != addrlen)
		return false;
	c->len = (socklen_t)addrlen; /* read: an AF_UNSPEC is real */
	return c->ss.ss_family == AF_INET || c->ss.ss_family == AF_INET6;
}

/*
 * connect(AF_UNSPEC) disconnects a socket.  A switched socket must stay
 * connected (a host socket without a peer is what the device pin is for,
 * but no reason to hand one out): refuse it there.
 */
static int handle_disconnect(struct agent *a, const struct seccomp_notif *req)
{
	_cleanup_close_ int sock = -1;
	int r = agent_copy_fd(a, req, &sock);

	if (r != 0)
		return r;
	if (agent_is_host_socket(a, sockinfo_netns_cookie(sock)))
		return -EOPNOTSUPP;
	return HANDLER_CONTINUE;
}

static int tcp_info_of(int sock, struct tcp_info *ret)
{
	socklen_t len = sizeof(*ret);

	memset(ret, 0, sizeof(*ret));
	if (getsockopt(sock, IPPROTO_TCP, TCP_INFO, ret, &len) < 0)
		return -errno;
	return 0;
}

/*
 * A host TCP socket that is connected, connecting or listening must not be
 * replaced: answer what Linux answers for a second connect().  Only a
 * closed one (its non-blocking connect failed) may be switched again.
 */
int host_tcp_busy(int sock, const struct sockinfo *si)
{
	struct tcp_info ti;
	int r;

	if (si->type != SOCK_STREAM)
		return 0;
	r = tcp_info_of(sock, &ti);
	if (r < 0)
		return r;
	switch (ti.tcpi_state) {
	case TCP_CLOSE:
		return 0;
	case TCP_SYN_SENT:
		/* TCP_FASTOPEN_CONNECT with a cookie: the SYN waits for the
		 * first write, nothing is in flight, and Linux calls the
		 * socket connected until then. */
		return ti.tcpi_unacked == 0 ? -EISCONN : -EALREADY;
	default:
		return -EISCONN;
	}
}

/*
 * Is a container socket bound only by the agent's bind() to the wildcard
 * address with port 0 (note_wildcard_bind() in handle-listen.c), and
 * still idle: no peer, not listening, not connecting?  Then it is switched
 * as an unbound socket is, and its host socket is bound the same way.
 * Any other bound socket stays inside, and so does one that has a peer
 * there: Linux answers its connect() from that state.
 */
static bool is_wildcard_bound(int sock, const struct connect_req *c)
{
	struct sockaddr_storage peer;
	socklen_t len = sizeof(peer);
	struct tcp_info ti;

	if (!c->bind_any || !c->si.any_addr || c->si.bound_ifindex)
		return false;
	if (c->si.type == SOCK_STREAM)
		return tcp_info_of(sock, &ti) == 0 &&
		       ti.tcpi_state == TCP_CLOSE;
	return getpeername(sock, (struct sockaddr *)&peer, &len) < 0 &&
	       errno == ENOTCONN;
}

/*
 * A destination of the other family than the socket's, as Linux takes it:
 * an IPv6 UDP socket without IPV6_V6ONLY connects to an AF_INET address
 * as to its v4-mapped form (__ip6_datagram_connect()), so @c's copy is
 * rewritten to that form, which the policy, the pin and the host socket's
 * connect() then all see (getpeername() shows it too, as Linux does).
 * Everything else fails: the length is checked first, then the family
 * (tcp_v6_connect(), tcp_v4_connect(), __ip4_datagram_connect()).
 *
 * Return: 0 if @c now holds an address of the socket's family, else the
 * errno Linux gives
 */
static int dest_to_socket_family(struct connect_req *c, int sock)
{
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&c->ss;
	struct sockaddr_in s4;

	if (c->si.domain == AF_INET6 && c->si.type == SOCK_DGRAM &&
	    c->ss.ss_family == AF_INET) {
		if (sockinfo_is_v6only(sock))
			return -EAFNOSUPPORT;
		if (c->len < sizeof(s4))
			return -EINVAL;
		memcpy(&s4, &c->ss, sizeof(s4));
		memset(&c->ss, 0, sizeof(c->ss));
		s6->sin6_family = AF_INET6;
		s6->sin6_port = s4.sin_port;
		s6->sin6_addr.s6_addr[10] = 0xff;
		s6->sin6_addr.s6_addr[11] = 0xff;
		memcpy(&s6->sin6_addr.s6_addr[12], &s4.sin_addr, 4);
		c->len = sizeof(*s6);
		return 0;
	}
	if (c->len < (c->si.domain == AF_INET6 ? SIN6_LEN_RFC2133 :
						 sizeof(struct sockaddr_in)))
		return -EINVAL;
	return -EAFNOSUPPORT;
}

/*
 * A connect of a container TCP socket that is unbound (or wildcard-bound
 * by the agent) to a published service: service_connect(), which on 0 has
 * put the host listener's address in @c.  A socket bound inside stays
 * inside, as without the map.
 */
static int to_service(struct agent *a, struct connect_req *c, int sock)
{
	if (c->si.type != SOCK_STREAM || c->si.protocol != IPPROTO_TCP)
		return SERVICE_NOT_MINE;
	if ((c->si.bound || c->si.bound_ifindex) && !is_wildcard_bound(sock, c))
		return SERVICE_NOT_MINE;
	return service_connect(a, c->si.netns_cookie, sock, c->si.domain,
			       &c->ss, &c->len);
}

int handle_connect(struct agent *a, const struct seccomp_notif *req)
{
	struct connect_req c = { .id = req->id, .tid = req->pid };
	_cleanup_close_ int sock = -1;
	enum policy_dest dest;
	bool host;
	int r;

	c.fd = (int)req->data.args[0];
	if (!read_dest(req, &c)) {
		if (!notify_id_valid(&a->notify, req->id))
			return HANDLER_GONE;
		if (c.len && c.ss.ss_family == AF_UNSPEC)
			return handle_disconnect(a, req);
		return HANDLER_CONTINUE;
	}
	/* Whether the address was read from the trapped thread and not from
	 * a recycled id is vouched for by the fd copy (agent_copy_fd()). */
	r = agent_copy_fd(a, req, &sock);
	if (r != 0)
		return r;
	r = sockinfo_query(sock, &c.si);
	if (r < 0)
		return r == -ENOTSOCK ? -ENOTSOCK : agent_inspect_failed(r);
	if (!sockinfo_is_switchable(&c.si))
		return HANDLER_CONTINUE;

	host = agent_is_host_socket(a, c.si.netns_cookie);
	if (!host && !agent_is_container_socket(a, c.si.netns_cookie))
		return HANDLER_CONTINUE; /* a netns nested inside */
	if (host) {
		/* Linux answers a busy TCP socket before reading the
		 * address. */
		r = host_tcp_busy(sock, &c.si);
		if (r == -EALREADY)
			return wait_again(a, &c, &sock);
		if (r < 0)
			return r;
	}
	if (c.ss.ss_family != c.si.domain) {
		r = dest_to_socket_family(&c, sock);
		if (r < 0)
			return host ? r : HANDLER_CONTINUE;
	}

	c.state = sockstate_lookup(a->socks, c.si.cookie);
	c.bind_any = c.state && c.state->wildcard_bind;
	/* A published service of the container's: its host listener, where
	 * the policy has nothing more to say (handle-service.c). */
	r = host ? SERVICE_NOT_MINE : to_service(a, &c, sock);
	if (r < 0)
		return r;
	c.served = r == 0 || r == SERVICE_LOOPBACK;
	if (r == SERVICE_LOOPBACK) {
		/* Either mode may wait on the loop. */
		r = agent_fd_flags(a, req->pid, c.fd);
		if (r < 0)
			return HANDLER_CONTINUE; /* inside, as without the map */
		c.cloexec = r & O_CLOEXEC;
		c.si.nonblock = r & O_NONBLOCK;
		if (pending_connects_full(&a->pending))
			return -ENOBUFS;
		return switch_loopback(a, &c, sock);
	}
	/* The subnets as they are now, not as last reported (§5). */
	if (r != 0 && agent_sync_netns(a) < 0 && !host) {
		a->stats->kept++;
		return HANDLER_CONTINUE;
	}
	dest = r == 0 ? POLICY_DEST_BYPASS :
			policy_classify(&a->policy, (struct sockaddr *)&c.ss,
					c.len);
	if (dest != POLICY_DEST_BYPASS) {
		if (!host) {
			a->stats->kept++;
			return HANDLER_CONTINUE;
		}
		/* A host socket must never be connected to the host's own
		 * loopback or to what the container considers local.  An
		 * address too short for its family is the kernel's EINVAL. */
		a->stats->refused++;
		log_debug("host socket to %s destination: refused",
			  policy_dest_to_string(dest));
		return dest == POLICY_DEST_INVALID ? -EINVAL : -ENETUNREACH;
	}
	if (!host && (c.si.bound || c.si.bound_ifindex) &&
	    !is_wildcard_bound(sock, &c))
		return HANDLER_CONTINUE; /* bound in the container */
	c.host = host;
	/* Close-on-exec is the fd's, O_NONBLOCK the file's: one read. */
	r = agent_fd_flags(a, req->pid, c.fd);
	if (r < 0)
		return host ? -ENOBUFS : HANDLER_CONTINUE;
	c.cloexec = r & O_CLOEXEC;
	c.si.nonblock = r & O_NONBLOCK;
	if (!c.si.nonblock && pending_connects_full(&a->pending))
		return -ENOBUFS;
	return switch_socket(a, &c, sock);
}
