/* SPDX-License-Identifier: Apache-2.0 */
/*
 * notify-journal.h - the notifications an agent has received and not yet
 * answered, in slots of memory that may outlive it (agent-shm.h).
 *
 * Every notification is received straight into a free slot and the slot
 * is freed when the notification is answered (or found gone).  Before a
 * host socket is installed in the container, the slot gets the socket's
 * cookie and the answer that will follow.  An agent that starts on slots
 * left in use by a dead one finds what it must answer there
 * (notify_journal_init() lists them; notify.c checks each id and hands
 * the live ones to the agent's recovery, agent-recover.c).
 *
 * The indexes of free and used slots are the agent's own memory: nothing
 * read from the shared slots is used as an index.
 */
#ifndef NB_NOTIFY_JOURNAL_H
#define NB_NOTIFY_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent-shm.h"

struct notify_journal {
	struct agent_slot *slots;
	bool own_slots; /* calloc'd here (no shared memory) */
	uint32_t n_slots;
	uint32_t *free; /* a stack of free slot numbers */
	uint32_t n_free;
	uint32_t *used; /* slot numbers in use, in no order */
	uint32_t n_used;
	uint32_t *pos; /* pos[i]: where slot i is in used[] */
	/* Slots a dead agent left in use, at init, for notify.c. */
	uint32_t *left;
	uint32_t n_left;
};

/**
 * notify_journal_init() - take over @slots, or private ones
 * @j:		the journal
 * @slots:	AGENT_JOURNAL_SLOTS shared slots, or NULL for private memory
 * @scan:	an agent may have used @slots before: slots in use (a
 *		nonzero id) are listed in @j->left, and count as used until
 *		notify_journal_release().  Without it every slot is free and
 *		none is read (a read of a memfd's page makes it resident:
 *		the whole journal, 158 KiB, for every container)
 *
 * Return: 0 or -ENOMEM
 */
int notify_journal_init(struct notify_journal *j, struct agent_slot *slots,
			bool scan);

/** notify_journal_fini() - free what notify_journal_init() made */
void notify_journal_fini(struct notify_journal *j);

/**
 * notify_journal_take() - a free slot, zeroed, now in use
 *
 * Return: the slot, or NULL when every slot is in use
 */
struct agent_slot *notify_journal_take(struct notify_journal *j);

/**
 * notify_journal_find() - the slot in use of notification @id
 *
 * Return: the slot, or NULL
 */
struct agent_slot *notify_journal_find(struct notify_journal *j, uint64_t id);

/** notify_journal_release() - free @slot (its id is 0 afterwards) */
void notify_journal_release(struct notify_journal *j, struct agent_slot *slot);

#endif /* NB_NOTIFY_JOURNAL_H */
