/* SPDX-License-Identifier: Apache-2.0 */
/*
 * handlers.h - one handler per trapped syscall, each in handle-*.c; the
 * table in traps.c says which handles what.
 * A handler returns 0 (the call succeeds), a negative errno (the call
 * fails with it), HANDLER_CONTINUE, HANDLER_GONE or HANDLER_DONE (see
 * notify.h).
 */
#ifndef NB_HANDLERS_H
#define NB_HANDLERS_H

#include <linux/seccomp.h>
#include <stdint.h>
#include <sys/socket.h>

struct agent;
struct agent_settings;
struct publish;
struct sockinfo;

typedef int (*handler_cb)(struct agent *a, const struct seccomp_notif *req);

int handle_connect(struct agent *a, const struct seccomp_notif *req);
int handle_setsockopt(struct agent *a, const struct seccomp_notif *req);
int handle_listen(struct agent *a, const struct seccomp_notif *req);
int handle_bind(struct agent *a, const struct seccomp_notif *req);
/* handle-foreign.c: a call from a foreign ABI, made native for the
 * trap's foreign handler (traps.h); CONTINUE for anything else */
int handle_foreign(struct agent *a, const struct seccomp_notif *req);
/* handle-foreign.c: connect() from a foreign ABI, arguments made native */
int handle_foreign_connect(struct agent *a, const struct seccomp_notif *req);

/* handle-connect.c: what Linux answers a connect() on a host TCP socket
 * that is connecting (-EALREADY) or connected (-EISCONN); 0 if closed */
int host_tcp_busy(int sock, const struct sockinfo *si);

/* handle-publish.c: bind() of a published TCP port to @bind, done on the
 * host; the host listener goes into the service map */
int publish_bind(struct agent *a, const struct seccomp_notif *req, int sock,
		 const struct sockinfo *si, const struct publish *p,
		 const struct sockaddr *bind, socklen_t bind_len);

/* handle-service.c: the service map in the agent (docs/design.md §3.4) */

/* service_connect(): not a connect to a mapped service */
#define SERVICE_NOT_MINE 1
/* service_connect(): the loopback exception (switch_loopback()) */
#define SERVICE_LOOPBACK 2

/**
 * service_connect() - is a connect() from a container socket one to a
 * published service?
 * @a:		the agent
 * @netns:	SO_NETNS_COOKIE of the connecting socket
 * @sock:	the agent's copy of it (TCP, of family @family)
 * @family:	its family; @ss is of it
 * @ss:		the agent's copy of the destination; on 0, the host address
 *		and port to connect the host socket to
 * @len:	its length, rewritten with it
 *
 * Return: 0 (switch to @ss, checked to be our listener's),
 * SERVICE_LOOPBACK (@ss is on host loopback and passed the first check
 * of the loopback exception: connect a socket pinned to lo, then settle
 * it and call service_loopback_verify() again before installing it),
 * -ECONNREFUSED (a stale entry, now dropped, or a loopback target that
 * fails the check or whose entry is not trusted), -ENOBUFS (the check
 * failed), or SERVICE_NOT_MINE (go on as without the map)
 */
int service_connect(struct agent *a, uint64_t netns, int sock, int family,
		    struct sockaddr_storage *ss, socklen_t *len);

/**
 * service_loopback_verify() - steps 1 and 3 of the loopback exception
 * (docs/design.md §3.4): every host TCP listener that takes @t is in the
 * map, and one is
 * @a:		the agent
 * @t:		the host loopback address and port (127.0.0.1, ::1 or
 *		::ffff:127.0.0.1)
 * @len:	its length
 *
 * One sock_diag dump of @t's port per family that can take it (both for
 * an IPv4 or v4-mapped @t, IPv6 only for ::1).
 *
 * Return: 0, -ECONNREFUSED, or -ENOBUFS when the kernel did not answer
 */
int service_loopback_verify(struct agent *a, const struct sockaddr_storage *t,
			    socklen_t len);

/**
 * service_published() - note the host listener @hs a published bind made
 * @a:		the agent
 * @netns:	SO_NETNS_COOKIE of the container socket
 * @port:	the container port (for log lines)
 * @bind:	the address the container bound, @bind_len long
 * @bind_len:	its length
 * @sock:	the agent's copy of the container socket (IPV6_V6ONLY)
 * @host:	the host listener's address and port, @host_len long
 * @host_len:	its length
 * @hs:		the host listener
 */
void service_published(struct agent *a, uint64_t netns, int port,
		       const struct sockaddr *bind, socklen_t bind_len,
		       int sock, const struct sockaddr *host,
		       socklen_t host_len, int hs);

/* The service map's part of agent_init(), agent_start(), agent_stop() and
 * agent_fini(); each is a no-op when the map is off. */
void agent_services_init(struct agent *a, const struct agent_settings *s);
void agent_services_start(struct agent *a);
void agent_services_stop(struct agent *a);
void agent_services_fini(struct agent *a);

#endif /* NB_HANDLERS_H */
