// SPDX-License-Identifier: Apache-2.0
/*
 * handle-publish.c - bind() of a published TCP port, taken to the host.
 *
 * The container binds its port (say 0.0.0.0:80, published as 8080:80).
 * The agent makes a host TCP socket of the same family, replays the
 * options recorded so far (SO_REUSEADDR, SO_REUSEPORT, ...), binds it to
 * the published host address and port, and installs it at the container's
 * fd, flags and close-on-exec kept, exactly as a switched connect does.
 * The container's server then accept()s host connections directly.
 *
 * The host socket listens at once, before the container's listen().  A
 * host TCP socket that is bound but neither listening nor connected would
 * be a way out: sendto(MSG_FASTOPEN) connects it, untrapped, to any
 * address the host can reach, its loopback included.  A listening socket
 * refuses that (EISCONN), and its connect() is trapped and refused.  The
 * container's own listen() then only sets the backlog (handle-listen.c).
 * The price: connections that arrive between bind() and listen() wait in
 * the queue instead of being refused.
 *
 * What the container sees: getsockname() names the host address and port,
 * as with bypass4netns.  A host port that is taken fails bind() with the
 * host's errno (EADDRINUSE; EACCES for a privileged port) and one error
 * line that says what holds the port and what to write instead.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "agent.h"
#include "handlers.h"
#include "log.h"
#include "port-holder.h"
#include "sockinfo.h"
#include "target.h"
#include "util.h"

/*
 * The one error line for a host port we could not take (-@r): the
 * container's bind() fails with the same errno.  A port in use is most
 * often the engine's own forwarder (podman -p through rootlessport or
 * pasta -t, which bind before the container runs) publishing the same
 * port: name the holder when /proc tells it, and the fix.
 */
static void host_port_error(const struct publish *p, int r)
{
	char spec[PUBLISH_SPEC_MAX], who[96] = "";

	if (r != -EADDRINUSE) {
		log_error("published port %s: cannot take the host port: %s; "
			  "the container's bind() fails with it",
			  publish_to_string(p, spec), strerror(-r));
		return;
	}
	if (port_holder(p->host_port, who + 4, sizeof(who) - 4) == 0)
		memcpy(who, " by ", 4);
	log_error("published port %s: the host port is in use%s; the "
		  "container's bind() fails with EADDRINUSE. If the engine "
		  "publishes that port too (podman -p, pasta -t), publish it "
		  "one way only: drop the -p, or drop the port from "
		  "nsbypass.publish / --publish",
		  publish_to_string(p, spec), who);
}

/* Make, bind and listen the host socket for @p, bound to @host (@host_len
 * long); -errno on failure. */
static int host_listener(struct agent *a, int sock, const struct publish *p,
			 int domain, uint64_t cookie,
			 struct sockaddr_storage *host, socklen_t *host_len)
{
	_cleanup_close_ int hs = -1;
	struct sockstate *s;
	int len;

	len = publish_host_addr(p, domain, host);
	if (len < 0)
		return len;
	*host_len = (socklen_t)len;
	hs = socket(domain, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    IPPROTO_TCP);
	if (hs < 0)
		return -errno;
	s = sockstate_lookup(a->socks, cookie);
	if (s)
		sockstate_replay(s, sock, hs);
	if (domain == AF_INET6)
		sockinfo_copy_v6only(sock, hs);
	if (bind(hs, (struct sockaddr *)host, (socklen_t)len) < 0 ||
	    listen(hs, SOMAXCONN) < 0) {
		int r = -errno;

		host_port_error(p, r);
		return r;
	}
	return take_fd(&hs);
}

/* The container port @bind asked for (the same in both families). */
static int bind_port(const struct sockaddr *bind)
{
	return ntohs(((const struct sockaddr_in *)bind)->sin_port);
}

int publish_bind(struct agent *a, const struct seccomp_notif *req, int sock,
		 const struct sockinfo *si, const struct publish *p,
		 const struct sockaddr *bind, socklen_t bind_len)
{
	char spec[PUBLISH_SPEC_MAX];
	struct sockaddr_storage host;
	_cleanup_close_ int hs = -1;
	socklen_t host_len = 0;
	int fd = (int)req->data.args[0], fl, cloexec, r;

	fl = fcntl(sock, F_GETFL);
	if (fl < 0)
		return -errno;
	cloexec = target_fd_cloexec(req->pid, fd);
	if (cloexec < 0)
		return -ENOBUFS; /* never fail open: see agent.h */
	hs = host_listener(a, sock, p, si->domain, si->cookie, &host,
			   &host_len);
	if (hs < 0)
		return hs;
	r = agent_install_host_socket(a, req->id, hs, fd, cloexec,
				      fl & O_NONBLOCK, si->cookie, 0);
	if (r < 0)
		return r == -ENOENT ? HANDLER_GONE : r;
	a->stats->published++;
	service_published(a, sockinfo_netns_cookie(sock), bind_port(bind), bind,
			  bind_len, sock, (struct sockaddr *)&host, host_len,
			  hs);
	log_info("published %s: the container's bind() took the host port",
		 publish_to_string(p, spec));
	return 0;
}
