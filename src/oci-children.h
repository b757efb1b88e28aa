/* SPDX-License-Identifier: Apache-2.0 */
/*
 * oci-children.h - the agents of `nsbypass oci`, one process per
 * container (and per exec into one), and their restarts.
 *
 * The daemon keeps, for each container, a copy of its seccomp notify fd
 * and the memory it shares with the container's agent (agent-shm.h).
 * While the daemon holds the fd, the kernel keeps the filter's listener,
 * and with it every pending notification, whatever happens to the agent
 * (a notification is only ended by an answer, or by its thread's
 * interruption or death; closing the last listener fd fails them all with
 * ENOSYS, as every later trapped call).  So when an agent dies other than
 * by its container's end, the daemon starts another one on the same fd
 * and memory at once; it answers what its predecessor left pending (its
 * journal) before anything new.  A crash loop backs off (0, then 100 ms
 * doubling) and, past OCI_AGENT_CRASHES_MAX crashes in
 * OCI_AGENT_CRASH_WINDOW_MS, ends fail-closed: the daemon closes its copy
 * of the fd, trapped calls get ENOSYS, and one error line names the
 * container.  docs/design.md §6.6.
 *
 * An agent outlives its daemon; a new daemon on the same listener path
 * adopts it when it asks (oci-reattach.h): the agent is not our child
 * then, its end is seen by a pidfd, and whether it ended on purpose by
 * the clean_exit flag it leaves in the shared memory.
 */
#ifndef NB_OCI_CHILDREN_H
#define NB_OCI_CHILDREN_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <uv.h>

#include "agent-shm.h"
#include "oci-config.h"
#include "oci-services.h"
#include "oci-state.h"

/* Agents running at once; past it a container is refused. */
#define OCI_AGENTS_MAX OCI_SERVICES_PEERS_MAX
/* The part of a container id that log lines show. */
#define OCI_LOG_ID 64
/* Crashes of one container's agents tolerated within the window. */
#define OCI_AGENT_CRASHES_MAX 5
#define OCI_AGENT_CRASH_WINDOW_MS 60000
/* The back-off before the second restart of a window, doubling. */
#define OCI_AGENT_BACKOFF_MS 100

struct oci_children;

struct oci_child {
	struct oci_children *set;
	pid_t pid;	     /* the agent now; 0 while a restart waits */
	pid_t container_pid; /* the pid it serves; 0: not known */
	char id[OCI_LOG_ID + 1];
	struct oci_state st; /* the container's, for a successor daemon */
	bool adopted;	     /* @pid is not our child: watched by @pidfd */
	int pidfd;
	uv_poll_t exit_poll;
	bool exit_poll_made;
	int open_handles;      /* closing: freed when none is left */
	int notify_fd;	       /* the daemon's copy */
	int shm_fd;	       /* agent-shm.h */
	struct agent_shm *shm; /* its mapping */
	struct oci_config *cfg;
	unsigned int crashes; /* in the window that began at window_ms */
	uint64_t window_ms;
	uv_timer_t timer; /* the back-off of a restart */
	bool timer_made;
};

struct oci_children {
	uv_loop_t *loop;
	const char *listen_path;       /* the daemon's, for the agents */
	struct oci_services *services; /* the service map's channels */
	struct oci_child *c[OCI_AGENTS_MAX];
	size_t n;
};

/**
 * oci_children_init() - no agents yet, on @loop, channels in @services;
 * @listen_path is where the agents look for a successor daemon
 */
void oci_children_init(struct oci_children *s, uv_loop_t *loop,
		       struct oci_services *services, const char *listen_path);

/**
 * oci_children_start() - start the agent of a container
 * @s:		the set
 * @cfg:	its settings (copied)
 * @notify_fd:	its notify fd (owned from here, even on failure)
 * @st:		its state (copied); st->pid a process of the container, 0:
 *		not known
 *
 * Logs what it did.  Return: 0 or -errno
 */
int oci_children_start(struct oci_children *s, const struct oci_config *cfg,
		       int notify_fd, const struct oci_state *st);

/**
 * oci_children_adopt() - take on an agent a previous daemon started
 * @s:		the set
 * @cfg:	the container's settings, by our defaults (for restarts)
 * @st:		the state it sent (st->adopt_agent is its pid, checked by
 *		the caller against the sender)
 * @fds:	its notify fd, shared memory and the daemon's end of its
 *		service channel (owned from here, even on failure)
 *
 * Return: 0 or -errno (logged)
 */
int oci_children_adopt(struct oci_children *s, const struct oci_config *cfg,
		       const struct oci_state *st, const int fds[3]);

/**
 * oci_children_container_pid() - the pid that the agent of container @id
 * serves (for an exec whose state names no pid), 0 if none
 */
pid_t oci_children_container_pid(const struct oci_children *s, const char *id);

/**
 * oci_children_reaped() - agent @pid ended with wait status @status
 *
 * Its container ended: forgotten.  Else a restart, or fail-closed.
 * Return: true if @pid was one of ours
 */
bool oci_children_reaped(struct oci_children *s, pid_t pid, int status);

/**
 * oci_children_close() - the daemon stops: running agents go on (they
 * hold their own fds), restarts still waiting are given up (logged)
 */
void oci_children_close(struct oci_children *s);

#endif /* NB_OCI_CHILDREN_H */
