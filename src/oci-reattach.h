/* SPDX-License-Identifier: Apache-2.0 */
/*
 * oci-reattach.h - an `nsbypass oci` agent whose daemon is gone asks the
 * next daemon on the same listener socket to adopt it (docs/design.md
 * §6.6, "A daemon that restarts").
 *
 * The agent goes on serving its container when its daemon ends (SIGTERM,
 * a crash, an upgrade).  It watches its daemon with a pidfd, and from the
 * daemon's end on tries, every OCI_REATTACH_MS at first and then less
 * often (OCI_REATTACH_MAX_MS), to connect to the daemon's listener path.  Once a daemon
 * listens there, the agent sends it what a runtime sends (the state,
 * with the first daemon's settings of the container and the agent's own
 * pid as nsbypassAdopt.agentPid) with three fds: its notify fd, its
 * shared memory and one end of a new service channel, whose other end it
 * keeps.  The new daemon checks the sender is that pid and takes the
 * agent on as if it had started it: restart after a crash, status and
 * metrics, the service map.
 */
#ifndef NB_OCI_REATTACH_H
#define NB_OCI_REATTACH_H

#include <stdbool.h>
#include <sys/types.h>
#include <uv.h>

#include "oci-state.h"

#define OCI_REATTACH_MS 500
#define OCI_REATTACH_MAX_MS 2000

struct oci_reattach;
/* A daemon took the request: @services_fd is the agent's end of the new
 * service channel (owned by the callee). */
typedef void (*oci_reattach_cb)(struct oci_reattach *r, int services_fd);

struct oci_reattach {
	uv_loop_t *loop;
	uv_timer_t timer;
	bool timer_made;
	int daemon_pidfd; /* the daemon watched; -1: none */
	uv_poll_t daemon_poll;
	bool poll_made;
	const char *listen_path;    /* the daemon's listener */
	const struct oci_state *st; /* the container, as first parsed */
	pid_t container_pid;
	int notify_fd, shm_fd; /* the agent's (not owned) */
	unsigned int delay_ms;
	bool warned;
	oci_reattach_cb on_attached;
};

/**
 * oci_reattach_watch() - watch daemon @pid; when it ends, try to reach a
 * new one now and then until one takes the request (or
 * oci_reattach_stop()).  @r's fields are set by the caller.
 */
void oci_reattach_watch(struct oci_reattach *r, pid_t pid);

/**
 * oci_reattach_refused() - the daemon closed the service channel while it
 * lives: it refused the request (at its limit, say) or dropped us; try
 * again, then every OCI_REATTACH_MAX_MS
 */
void oci_reattach_refused(struct oci_reattach *r);

/** oci_reattach_stop() - stop trying (the handle closes on the loop) */
void oci_reattach_stop(struct oci_reattach *r);

/**
 * oci_reattach_send() - one try: connect to @path and send the request
 * @path:	the daemon's listener
 * @text:	the state (oci_state_format_adopt())
 * @fds:	notify fd, shared memory, the daemon's end of the channel
 * @ret_daemon:	the pid of the daemon that took it (SO_PEERCRED)
 *
 * Return: 0 once the whole request is sent, or -errno
 */
int oci_reattach_send(const char *path, const char *text, const int fds[3],
		      pid_t *ret_daemon);

#endif /* NB_OCI_REATTACH_H */
