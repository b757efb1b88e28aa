/* SPDX-License-Identifier: Apache-2.0 */
/*
 * oci-state.h - the container process state a runtime sends to a seccomp
 * listenerPath (runtime-spec config-linux.md, "containerProcessState"):
 *
 *   {"ociVersion": "1.0.2", "fds": ["seccompFd"], "pid": 4422,
 *    "metadata": "...", "state": {"ociVersion": "1.0.2", "id": "...",
 *    "status": "creating", "pid": 4422, "bundle": "/...",
 *    "annotations": {"nsbypass.ignore": "10.0.0.0/8", ...}}}
 *
 * The fds themselves come with the message (SCM_RIGHTS), in the order
 * "fds" names them.  Only what nsbypass uses is kept; everything is
 * checked, since the peer's bytes are not trusted to be well formed.
 */
#ifndef NB_OCI_STATE_H
#define NB_OCI_STATE_H

#include <stddef.h>
#include <sys/types.h>

/* The name runtimes give the notify fd in "fds". */
#define OCI_SECCOMP_FD_NAME "seccompFd"
/* An agent that asks a new daemon to adopt it (docs/design.md §6.6)
 * sends its shared memory and its end of a new service channel too. */
#define OCI_SHM_FD_NAME "nsbypassShm"
#define OCI_SERVICES_FD_NAME "nsbypassServices"
/* At most this many fds (and names in "fds") per connection. */
#define OCI_FDS_MAX 64
/* Longest container id kept: runc and crun ids are far shorter. */
#define OCI_ID_MAX 1024
/* Longest metadata and nsbypass.* annotation value. */
#define OCI_VALUE_MAX 65536

/**
 * struct oci_state - what nsbypass takes from the state
 * @id:			state.id: 1 to OCI_ID_MAX of [A-Za-z0-9_+.-]
 * @pid:		pid (or state.pid when pid is absent or 0); 0 when
 *			neither says (crun's exec states)
 * @seccomp_fd:		the index of "seccompFd" in fds
 * @n_fds:		how many names fds has
 * @metadata:		metadata, NULL when absent
 * @ignore:		the annotation nsbypass.ignore, NULL when absent
 * @publish:		nsbypass.publish, NULL when absent
 * @ignore_bind:	nsbypass.ignore-bind, NULL when absent
 * @c2c:		nsbypass.c2c, NULL when absent
 * @host_subnets:	nsbypass.host-subnets, NULL when absent
 * @adopt_agent:	nsbypassAdopt.agentPid: the agent that sent the
 *			state to be adopted; 0 for a runtime's state
 * @shm_fd:		with @adopt_agent, the index of "nsbypassShm"
 * @services_fd:	and of "nsbypassServices"
 *
 * Every string is malloc'd and NUL-terminated; none holds a NUL or a
 * control character.
 */
struct oci_state {
	char *id;
	pid_t pid;
	size_t seccomp_fd;
	size_t n_fds;
	char *metadata;
	char *ignore;
	char *publish;
	char *ignore_bind;
	char *c2c;
	char *host_subnets;
	pid_t adopt_agent;
	size_t shm_fd;
	size_t services_fd;
};

/**
 * oci_state_parse() - parse and check a container process state
 * @buf:	the bytes received, not NUL-terminated
 * @len:	how many
 * @ret:	filled in on success; release with oci_state_clear()
 * @ret_why:	on failure, a static text saying what is wrong
 *
 * The text must be exactly one JSON object (whitespace may follow),
 * nested at most 32 deep.  fds must name "seccompFd" exactly once among
 * at most OCI_FDS_MAX strings.  Unknown members are ignored.
 *
 * Return: 0, -EINVAL (bad input, @ret_why says why) or -ENOMEM
 */
int oci_state_parse(const char *buf, size_t len, struct oci_state *ret,
		    const char **ret_why);

/**
 * oci_state_format_adopt() - the state an agent sends to a new daemon
 * @st:		the container's state, as its first daemon parsed it
 * @pid:	the container's pid (the one the agent serves)
 * @agent:	the agent's own pid
 * @ret:	the JSON text (malloc'd, NUL-terminated)
 *
 * A state oci_state_parse() takes back as @st with @adopt_agent set, fds
 * naming seccompFd, nsbypassShm and nsbypassServices in that order.
 *
 * Return: its length, or -ENOMEM
 */
int oci_state_format_adopt(const struct oci_state *st, pid_t pid, pid_t agent,
			   char **ret);

/**
 * oci_state_copy() - a deep copy of @src into @dst
 * Return: 0 or -ENOMEM (@dst is then cleared)
 */
int oci_state_copy(struct oci_state *dst, const struct oci_state *src);

/** oci_state_clear() - free what @s holds; safe on a zeroed state */
void oci_state_clear(struct oci_state *s);

#endif /* NB_OCI_STATE_H */
