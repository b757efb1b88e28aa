/* SPDX-License-Identifier: Apache-2.0 */
/*
 * agent-counters.h - what an agent counts: its own decisions, the
 * notifications, answers by errno and notification latency.  They live
 * in the memory an agent shares with its daemon (agent-shm.h), or in the
 * agent's own under `nsbypass run`.
 */
#ifndef NB_AGENT_COUNTERS_H
#define NB_AGENT_COUNTERS_H

#include <stdint.h>

/* Answers counted by errno up to this one (EHWPOISON, 133). */
#define AGENT_ERRNO_MAX 133
/* Notification latency (receive to answer) in buckets of at most 2^i us,
 * i = 0 .. AGENT_LATENCY_BUCKETS - 2; the last bucket is the rest. */
#define AGENT_LATENCY_BUCKETS 18

/* The agent's decisions. */
struct agent_stats {
	uint64_t switched;	/* sockets moved to the host */
	uint64_t kept;		/* connects left in the container */
	uint64_t refused;	/* host sockets denied a local destination */
	uint64_t opts;		/* setsockopt calls recorded (by name) */
	uint64_t published;	/* binds taken to a published host port */
	uint64_t served;	/* connects switched to a published service */
	uint64_t refused_stale; /* connects to a stale service entry */
	uint64_t recovered;	/* notifications left by a dead agent,
				 * answered by this container's next one */
};

struct notify_stats {
	uint64_t received;
	uint64_t continued;
	uint64_t answered;
	uint64_t gone; /* the trapped thread died before the answer */
};

struct agent_counters {
	struct agent_stats agent;
	struct notify_stats notify;
	uint64_t errors[AGENT_ERRNO_MAX + 1]; /* answers by errno; [0]: other */
	uint64_t latency[AGENT_LATENCY_BUCKETS];
	uint64_t latency_sum_ns;
};

#endif /* NB_AGENT_COUNTERS_H */
