/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pending-connect.h - blocking connects in flight.
 *
 * A blocking connect() that the agent switched to the host (handle-
 * connect.c) cannot be answered until its handshake ends, and the loop
 * must not wait for it: the agent keeps the notification, watches the
 * host socket on the loop, and answers when the handshake is over, when
 * SO_SNDTIMEO runs out, or when the thread catches a signal, exactly as
 * Linux's own connect() returns then.
 */
#ifndef NB_PENDING_CONNECT_H
#define NB_PENDING_CONNECT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

/*
 * In-flight blocking connects per agent; past it a connect fails with
 * ENOBUFS.  Also bounded by the fd limit: each holds one host socket.
 */
#define PENDING_CONNECT_MAX 1024

struct agent;
struct pending_connect;

/* An agent's connects in flight (embedded in struct agent). */
struct pending_connects {
	struct pending_connect *list;
	unsigned int n;
	unsigned int max; /* see pending_connects_init() */
};

/**
 * struct pending_connect_call - what a pending connect needs of its call
 * @id:		the notification
 * @tid:	the trapped thread
 * @fd:		the container's fd number
 * @cloexec:	the close-on-exec flag of that fd
 * @old_cookie:	SO_COOKIE of the container's socket, for sockstate
 * @dst:	the destination, as read once from the container
 * @dst_len:	its length
 * @verify:	NULL, or the "settled only" mode (the loopback exception of
 *		docs/design.md §3.4): the socket is installed only once its
 *		handshake completed, it is settled (pending_connect_settle()
 *		returned 0) and @verify(@a, @dst, @dst_len) returned 0; an
 *		early end (SO_SNDTIMEO, a signal) installs nothing
 * @nonblock:	the container's file is O_NONBLOCK (settled-only mode: the
 *		installed socket's flag, and its answer is EINPROGRESS, as
 *		Linux's for a non-blocking loopback connect)
 */
struct pending_connect_call {
	uint64_t id;
	pid_t tid;
	int fd;
	bool cloexec;
	uint64_t old_cookie;
	struct sockaddr_storage dst;
	socklen_t dst_len;
	int (*verify)(struct agent *a, const struct sockaddr_storage *dst,
		      socklen_t dst_len);
	bool nonblock;
	bool served; /* counted as served once installed */
};

/**
 * pending_connects_init() - an empty list and its bound
 * @pc:		the list
 *
 * Raises the soft fd limit to the hard one (pending connects hold host
 * sockets) and derives the bound from it, PENDING_CONNECT_MAX at most,
 * leaving room for the fds one notification needs.
 */
void pending_connects_init(struct pending_connects *pc);

/** pending_connects_full() - would one more connect go past the bound? */
bool pending_connects_full(const struct pending_connects *pc);

/**
 * pending_connect_start() - wait on the loop for @hs's handshake
 * @a:		the agent
 * @c:		the trapped call (copied)
 * @sock:	the agent's copy of the container's socket: its SO_SNDTIMEO
 * @hs:		the connecting host socket; owned from now on, even on
 *		failure
 * @installed:	@hs is a copy of the host socket the container has already
 *		(a restarted connect()); else it is installed at the end
 *
 * The answer goes out later: the handshake's outcome (the socket
 * installed and settled, see pending_connect_settle()), EINPROGRESS when
 * SO_SNDTIMEO runs out, EINTR or a restart when the thread catches a
 * signal (the socket installed still connecting, as Linux leaves it).
 * In settled-only mode (@c->verify) a socket still connecting is never
 * installed: SO_SNDTIMEO's end answers ETIMEDOUT, a caught signal EINTR
 * or a restart (which starts a new connect: the container's socket is
 * still unconnected), and a settle or @c->verify failure its errno.
 *
 * Return: HANDLER_DONE, or -errno to answer now (nothing is kept)
 */
int pending_connect_start(struct agent *a, const struct pending_connect_call *c,
			  int sock, int hs, bool installed);

/** pending_connect_cancel_all() - abandon every in-flight connect (on stop) */
void pending_connect_cancel_all(struct agent *a);

/**
 * pending_connect_settle() - end the SS_CONNECTING state of @hs, whose
 * handshake to @dst completed without blocking
 *
 * The socket layer keeps that state until connect() is called again; the
 * container would then get 0 from a second connect() instead of EISCONN.
 * This calls it, as a blocking connect() would have.  For any connect the
 * agent waited for, on the loop or not.
 *
 * Return: 0 if @hs is settled (SS_CONNECTED: connect() answers EISCONN
 * from now on, and sendto(MSG_FASTOPEN) cannot aim it elsewhere), else
 * the -errno of the second connect() (the handshake was reset meanwhile)
 */
int pending_connect_settle(int hs, const struct sockaddr_storage *dst,
			   socklen_t len);

#endif /* NB_PENDING_CONNECT_H */
