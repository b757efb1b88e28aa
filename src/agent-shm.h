/* SPDX-License-Identifier: Apache-2.0 */
/*
 * agent-shm.h - the memory an `nsbypass oci` agent shares with its daemon.
 *
 * One memfd per container, made by the daemon before it forks the
 * container's first agent, kept by the daemon, and mapped by every agent
 * that serves the container (the first, and each one the daemon starts
 * after a crash: docs/design.md §6.6).  It holds
 *
 *   - the counters (switched, kept, ... answers by errno, notification
 *     latency): written by the agent alone, read by the daemon at any
 *     time for `nsbypass status` and metrics; they outlive an agent;
 *   - the journal of notifications in flight: the agent receives each
 *     notification straight into a free slot (SECCOMP_IOCTL_NOTIF_RECV
 *     copies it there before the ioctl returns, so an agent killed at any
 *     instant after it leaves nothing unrecorded) and frees the slot when
 *     it answers; before it installs a host socket in the container, it
 *     writes the socket's cookie and the answer it will give.  A new
 *     agent answers what is left (notify-journal.h);
 *   - the record of the container's own published services (the text of
 *     service-record.h), which the agent writes whenever it changes: a
 *     new agent takes the entries back into its service map.
 *
 * The agent is our own code, not the container's, but the daemon reads
 * the memory of a process that may have crashed half-way through a
 * write: it reads counters with relaxed atomic loads and trusts no
 * index it finds there.
 */
#ifndef NB_AGENT_SHM_H
#define NB_AGENT_SHM_H

#include <linux/seccomp.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "agent-counters.h"
#include "pending-connect.h"
#include "service-record.h"

#define AGENT_SHM_MAGIC 0x6e627368u /* "nbsh" */
#define AGENT_SHM_VERSION 1

/* Room for a seccomp_notif of a newer kernel (80 bytes in Linux 6.x). */
#define AGENT_SLOT_NOTIF_MAX 128
/* Every connect that may be in flight, and the call being handled. */
#define AGENT_JOURNAL_SLOTS (PENDING_CONNECT_MAX + 16)
/* One notification in flight; free when u.notif.id is 0. */
struct agent_slot {
	union {
		struct seccomp_notif notif;
		unsigned char raw[AGENT_SLOT_NOTIF_MAX];
	} u;
	uint64_t recv_ns;	   /* CLOCK_MONOTONIC at receipt */
	uint64_t installed_cookie; /* SO_COOKIE of the host socket being
				    * installed; 0: none */
	int32_t answer;		   /* then answered: 0 or -errno */
	int32_t installed_fd;	   /* at this fd number of the caller */
};

struct agent_shm {
	uint32_t magic;
	uint32_t version;
	uint64_t size;	     /* of the whole mapping */
	uint32_t n_slots;    /* AGENT_JOURNAL_SLOTS */
	int32_t agent_pid;   /* the agent serving now (written by it) */
	uint32_t agents;     /* agents started for the container (daemon) */
	uint32_t clean_exit; /* the agent ended on purpose (its last write) */
	uint64_t started_ns; /* CLOCK_REALTIME of the first agent's start */
	uint64_t agent_started_ns; /* and of the current one's */
	struct agent_counters c;
	struct agent_slot slots[AGENT_JOURNAL_SLOTS];
	/* The own record, in two buffers: own_text[own_cur] is whole (the
	 * other is written, then own_cur flips). */
	uint32_t own_cur;
	uint32_t own_len[2];
	char own_text[2][SERVICE_RECORD_TEXT_MAX + 1];
};

/**
 * agent_shm_create() - a new zeroed, sealed memfd for one container
 * @ret:	its mapping (read-write), for the daemon
 *
 * Return: the memfd (O_CLOEXEC), or -errno
 */
int agent_shm_create(struct agent_shm **ret);

/**
 * agent_shm_map() - map an agent_shm memfd made by agent_shm_create()
 * @fd:		the memfd
 * @ret:	the mapping
 *
 * Checks the size, magic and version; the mapping stays valid after @fd
 * is closed.
 *
 * Return: 0, or -errno (-EPROTO: not ours or another version)
 */
int agent_shm_map(int fd, struct agent_shm **ret);

/** agent_shm_unmap() - undo agent_shm_map() or agent_shm_create() */
void agent_shm_unmap(struct agent_shm *shm);

/** agent_shm_read() - a counter of another process, torn-free */
static inline uint64_t agent_shm_read(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

/** agent_shm_read32() - agent_shm_read() of a 32-bit field */
static inline uint32_t agent_shm_read32(const uint32_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

#endif /* NB_AGENT_SHM_H */
