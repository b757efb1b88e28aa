// SPDX-License-Identifier: Apache-2.0
/*
 * notify-journal.c - slots of notifications in flight (notify-journal.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "notify-journal.h"

static uint32_t slot_no(const struct notify_journal *j,
			const struct agent_slot *s)
{
	return (uint32_t)(s - j->slots);
}

static void mark_used(struct notify_journal *j, uint32_t i)
{
	j->pos[i] = j->n_used;
	j->used[j->n_used++] = i;
}

int notify_journal_init(struct notify_journal *j, struct agent_slot *slots,
			bool scan)
{
	const uint32_t n = AGENT_JOURNAL_SLOTS;

	memset(j, 0, sizeof(*j));
	j->n_slots = n;
	if (!slots) {
		slots = calloc(n, sizeof(*slots));
		j->own_slots = true;
	}
	j->slots = slots;
	j->free = calloc(n, sizeof(*j->free));
	j->used = calloc(n, sizeof(*j->used));
	j->pos = calloc(n, sizeof(*j->pos));
	j->left = calloc(n, sizeof(*j->left));
	if (!j->slots || !j->free || !j->used || !j->pos || !j->left) {
		notify_journal_fini(j);
		return -ENOMEM;
	}
	/* Pushed from the top: slot 0 is taken first, and an agent that
	 * handles one call at a time touches one page of slots. */
	for (uint32_t i = n; i-- > 0;) {
		if (scan &&
		    __atomic_load_n(&slots[i].u.notif.id, __ATOMIC_RELAXED)) {
			mark_used(j, i);
			j->left[j->n_left++] = i;
		} else {
			j->free[j->n_free++] = i;
		}
	}
	return 0;
}

void notify_journal_fini(struct notify_journal *j)
{
	if (j->own_slots)
		free(j->slots);
	free(j->free);
	free(j->used);
	free(j->pos);
	free(j->left);
	memset(j, 0, sizeof(*j));
}

struct agent_slot *notify_journal_take(struct notify_journal *j)
{
	struct agent_slot *s;
	uint32_t i;

	if (j->n_free == 0)
		return NULL;
	i = j->free[--j->n_free];
	s = &j->slots[i];
	/* NOTIF_RECV wants a zeroed buffer (else EINVAL). */
	memset(s, 0, sizeof(*s));
	mark_used(j, i);
	return s;
}

struct agent_slot *notify_journal_find(struct notify_journal *j, uint64_t id)
{
	/* The newest first: most answers are to the call just received. */
	for (uint32_t k = j->n_used; k-- > 0;) {
		struct agent_slot *s = &j->slots[j->used[k]];

		if (s->u.notif.id == id)
			return s;
	}
	return NULL;
}

void notify_journal_release(struct notify_journal *j, struct agent_slot *s)
{
	uint32_t i = slot_no(j, s), k = j->pos[i], last = j->used[--j->n_used];

	j->used[k] = last;
	j->pos[last] = k;
	s->installed_cookie = 0;
	/* The id last: a successor reads a free slot from it. */
	__atomic_store_n(&s->u.notif.id, 0, __ATOMIC_RELEASE);
	j->free[j->n_free++] = i;
}
