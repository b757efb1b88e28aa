// SPDX-License-Identifier: Apache-2.0
/*
 * handle-listen.c - listen() and bind(), done by the agent.
 *
 * A socket switched to the host must never become a listener or take a
 * host port: it exists to carry one connection out.  Yet a switched socket
 * can end up unconnected in the container's hands (its non-blocking
 * connect failed).  So both calls are trapped, and the agent acts on its
 * own pidfd_getfd() copy, the very file it checked, never answering
 * CONTINUE for an inet socket: a racing thread that swaps the fd number
 * (dup2) after the check cannot redirect the call to a host socket.
 *
 *   host socket:       listen() fails with EOPNOTSUPP, bind() with EINVAL
 *                      (Linux's answer for a socket that is already bound),
 *                      except listen() on a published port's socket, which
 *                      listens already (handle-publish.c): the container's
 *                      call only sets its backlog.
 *   container socket:  the agent calls listen()/bind() on its copy, with
 *                      its own bounded copy of the address; the answer is
 *                      the kernel's.  The agent owns the container's user
 *                      namespace, so privileged ports behave as inside.
 *   bind() of a published port: see handle-publish.c.
 *   bind() to the wildcard address with port 0: remembered on the
 *                      socket's record, so that connect() still switches
 *                      it (see handle-connect.c).  Any other bound socket
 *                      stays in the container.
 *   non-inet bind():   CONTINUE.  A unix socket path must be resolved in
 *                      the caller's mount namespace and working directory,
 *                      which the agent does not share.  (A racing swap to a
 *                      host socket there meets the device pin, route.h.)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "agent.h"
#include "handlers.h"
#include "log.h"
#include "procmem.h"
#include "sockinfo.h"
#include "util.h"

static bool is_listening(int sock)
{
	socklen_t len = sizeof(int);
	int v = 0;

	return getsockopt(sock, SOL_SOCKET, SO_ACCEPTCONN, &v, &len) == 0 && v;
}

/* A TCP socket of the container's netns that may take a published port;
 * @si is filled for publish_bind(). */
static bool publishable(struct agent *a, int sock, uint64_t netns_cookie,
			struct sockinfo *si)
{
	if (!a->publish || !a->bind_bypass ||
	    !agent_is_container_socket(a, netns_cookie))
		return false;
	if (sockinfo_query_kind(sock, si) < 0)
		return false;
	return si->type == SOCK_STREAM && si->protocol == IPPROTO_TCP;
}

/*
 * A server that binds a published port on a loopback address stays
 * private (a 127.0.0.1 server means it), so the port is not published:
 * say so, once per bind, since the user asked for that port.
 */
static void log_loopback_publish(struct agent *a,
				 const struct sockaddr_storage *ss,
				 socklen_t len)
{
	const struct publish *p =
		publish_match_loopback(a->publish, (const struct sockaddr *)ss,
				       len);
	char addr[INET6_ADDRSTRLEN] = "?";

	if (!p || !a->bind_bypass)
		return;
	if (ss->ss_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)ss)->sin_addr,
			  addr, sizeof(addr));
	else
		inet_ntop(AF_INET6,
			  &((const struct sockaddr_in6 *)ss)->sin6_addr, addr,
			  sizeof(addr));
	log_info("port %u is published, but its server binds %s, a loopback "
		 "address: it stays inside (bind 0.0.0.0 or :: to publish it)",
		 (unsigned int)p->container_port, addr);
}

int handle_listen(struct agent *a, const struct seccomp_notif *req)
{
	_cleanup_close_ int sock = -1;
	int r;

	r = agent_copy_fd(a, req, &sock);
	if (r != 0)
		return r;
	if (agent_is_host_socket(a, sockinfo_netns_cookie(sock)) &&
	    !is_listening(sock))
		return -EOPNOTSUPP;
	/* Not a socket: the kernel's own ENOTSOCK, from the same call. */
	if (listen(sock, (int)req->data.args[1]) < 0)
		return -errno;
	return 0;
}

/* Did a successful bind() of a @domain socket ask for no address and no
 * port?  (An AF_INET socket takes AF_UNSPEC with INADDR_ANY as well.) */
static bool is_wildcard_any_port(int domain, const struct sockaddr_storage *ss)
{
	const struct sockaddr_in6 *s6 = (const void *)ss;
	const struct sockaddr_in *s4 = (const void *)ss;

	if (domain == AF_INET)
		return s4->sin_port == 0 && s4->sin_addr.s_addr == INADDR_ANY;
	return s6->sin6_port == 0 && IN6_IS_ADDR_UNSPECIFIED(&s6->sin6_addr);
}

/*
 * Remember on the socket's record whether the bind() just done asked for
 * the wildcard address and port 0 (dig, libuv's UDP connect, Java's
 * DatagramSocket do that before connect()): such a socket is still
 * switched at connect(), and its host socket is bound the same way
 * (handle-connect.c).  Any other bind forgets it: a socket with
 * IP_BIND_ADDRESS_NO_PORT may be bound again.  Without memory for the
 * record the socket stays in the container, as every bound socket does.
 */
static void note_wildcard_bind(struct agent *a, const struct seccomp_notif *req,
			       int sock, int domain,
			       const struct sockaddr_storage *ss)
{
	struct sockinfo si;
	struct sockstate *s;

	if (!is_wildcard_any_port(domain, ss)) {
		s = sockstate_lookup(a->socks, sockinfo_cookie(sock));
		if (s)
			s->wildcard_bind = false;
		return;
	}
	if (sockinfo_query_kind(sock, &si) < 0 || !sockinfo_is_switchable(&si))
		return;
	if (agent_sockstate_get(a, req, sock, si.cookie, &s) < 0) {
		log_debug("no record of a wildcard bind: out of memory");
		return;
	}
	s->wildcard_bind = true;
}

int handle_bind(struct agent *a, const struct seccomp_notif *req)
{
	struct sockaddr_storage ss;
	int addrlen = (int)req->data.args[2];
	_cleanup_close_ int sock = -1;
	int r, domain;
	socklen_t len = sizeof(domain);
	ssize_t got = 0;

	const struct publish *pub;
	struct sockinfo si;
	uint64_t netns;

	r = agent_copy_fd(a, req, &sock);
	if (r != 0)
		return r;
	netns = sockinfo_netns_cookie(sock);
	if (agent_is_host_socket(a, netns))
		return -EINVAL;
	if (getsockopt(sock, SOL_SOCKET, SO_DOMAIN, &domain, &len) < 0)
		return -errno; /* ENOTSOCK, as bind() would say */
	if (domain != AF_INET && domain != AF_INET6)
		return HANDLER_CONTINUE;

	/* The kernel's own checks, in its order (move_addr_to_kernel()). */
	if (addrlen < 0 || addrlen > (int)sizeof(ss))
		return -EINVAL;
	memset(&ss, 0, sizeof(ss));
	if (addrlen > 0) {
		got = procmem_read(req->pid, req->data.args[1], &ss,
				   (size_t)addrlen);
		if (!notify_id_valid(&a->notify, req->id))
			return HANDLER_GONE;
		if (got != addrlen)
			return -EFAULT;
	}
	pub = publish_match_bind(a->publish, (struct sockaddr *)&ss,
				 (socklen_t)addrlen);
	if (pub && publishable(a, sock, netns, &si))
		return publish_bind(a, req, sock, &si, pub,
				    (struct sockaddr *)&ss, (socklen_t)addrlen);
	if (bind(sock, (struct sockaddr *)&ss, (socklen_t)addrlen) < 0)
		return -errno;
	if (!pub)
		log_loopback_publish(a, &ss, (socklen_t)addrlen);
	note_wildcard_bind(a, req, sock, domain, &ss);
	return 0;
}
