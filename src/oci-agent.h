/* SPDX-License-Identifier: Apache-2.0 */
/*
 * oci-agent.h - one container's agent under `nsbypass oci`: the process
 * the daemon forks for each seccomp notify fd it accepts.
 */
#ifndef NB_OCI_AGENT_H
#define NB_OCI_AGENT_H

#include <sys/types.h>

#include "oci-config.h"
#include "oci-state.h"

/* How long the agent waits for nsagent's first subnet report. */
#define OCI_AGENT_REPORT_TIMEOUT_MS 5000

/**
 * oci_agent_run() - serve @notify_fd until no process uses the filter
 * @cfg:	the container's settings
 * @notify_fd:	its seccomp notify fd (owned)
 * @pid:	a process of the container (the state's pid): its
 *		/proc/PID/ns/{user,net} name the container's namespaces
 * @services_fd: the agent's end of the service channel to the daemon
 *		(oci-services.h), owned; -1: none
 * @shm_fd:	the memory it shares with the daemon (agent-shm.h): its
 *		counters and its journal, which a predecessor that crashed
 *		may have left notifications in (answered first); owned;
 *		-1: none
 * @listen_path: the daemon's listener, where a daemon that replaces it
 *		will be (oci-reattach.h); NULL: none
 * @st:		the container's state as the daemon parsed it (for a new
 *		daemon), or NULL
 * @daemon_pid:	the daemon that forked the agent (watched by a pidfd)
 *
 * Before the first notification is served, the agent learns the
 * container's network namespace (a socket made there gives its
 * SO_NETNS_COOKIE) and its own subnets (nsbypass-nsagent, started in the
 * container's user and network namespaces, reports them, then every
 * change).  Either failing is not fatal: without the cookie every netns
 * but the host's counts as the container's, without nsagent only the
 * built-in ranges and the ignore list stay inside.  Trapped calls wait
 * meanwhile, at most OCI_AGENT_REPORT_TIMEOUT_MS.
 *
 * The agent keeps a service map (docs/design.md §3.4): its own published
 * listeners, and over @services_fd the records of every other container
 * the daemon serves (and of its pod-mates' agents).
 *
 * Return: the exit status for the agent process (0: the container ended)
 */
int oci_agent_run(const struct oci_config *cfg, int notify_fd, pid_t pid,
		  int services_fd, int shm_fd, const char *listen_path,
		  const struct oci_state *st, pid_t daemon_pid);

#endif /* NB_OCI_AGENT_H */
