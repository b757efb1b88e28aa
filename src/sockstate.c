// SPDX-License-Identifier: Apache-2.0
/*
 * sockstate.c - the socket table: a chained hash keyed by SO_COOKIE with a
 * hard size bound and least-recently-used eviction.  See sockstate.h for
 * the state machine.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "sockopt.h"
#include "sockstate.h"
#include "util.h"

#define SOCKSTATE_BUCKETS 1024

struct sockstate_table {
	struct sockstate *buckets[SOCKSTATE_BUCKETS];
	size_t count;
	size_t max;
	uint64_t clock;
};

static const char *const sockstate_kind_str[] = {
	[SOCKSTATE_RECORDING] = "recording",
	[SOCKSTATE_SWITCHED] = "switched",
};
_Static_assert(ARRAY_SIZE(sockstate_kind_str) == SOCKSTATE_MAX_KIND,
	       "sockstate_kind_str must name every state");

const char *sockstate_kind_to_string(enum sockstate_kind k)
{
	return k < SOCKSTATE_MAX_KIND ? sockstate_kind_str[k] : "?";
}

/* Cookies are handed out by a counter: the low bits spread well enough. */
static size_t bucket_of(uint64_t cookie)
{
	return (size_t)(cookie ^ (cookie >> 17)) % SOCKSTATE_BUCKETS;
}

struct sockstate_table *sockstate_table_new(size_t max_entries)
{
	struct sockstate_table *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->max = max_entries ? max_entries : SOCKSTATE_MAX;
	return t;
}

static struct sockstate *sockstate_free(struct sockstate *s)
{
	if (s) {
		free(s->opts);
		free(s);
	}
	return NULL;
}

struct sockstate_table *sockstate_table_free(struct sockstate_table *t)
{
	if (!t)
		return NULL;
	for (size_t i = 0; i < SOCKSTATE_BUCKETS; i++) {
		struct sockstate *s = t->buckets[i];

		while (s) {
			struct sockstate *next = s->next;

			sockstate_free(s);
			s = next;
		}
	}
	free(t);
	return NULL;
}

size_t sockstate_table_count(const struct sockstate_table *t)
{
	return t->count;
}

/* Find @cookie; @ret_prev gets the link that points at it. */
static struct sockstate *find(struct sockstate_table *t, uint64_t cookie,
			      struct sockstate ***ret_prev)
{
	struct sockstate **pp = &t->buckets[bucket_of(cookie)];

	for (; *pp; pp = &(*pp)->next) {
		if ((*pp)->cookie == cookie) {
			if (ret_prev)
				*ret_prev = pp;
			return *pp;
		}
	}
	return NULL;
}

struct sockstate *sockstate_lookup(struct sockstate_table *t, uint64_t cookie)
{
	struct sockstate *s = find(t, cookie, NULL);

	if (s)
		s->last_used = ++t->clock;
	return s;
}

/* Unlink and free @s, given the link that points at it. */
static void unlink_entry(struct sockstate_table *t, struct sockstate **pp)
{
	struct sockstate *s = *pp;

	*pp = s->next;
	sockstate_free(s);
	t->count--;
}

/* O(n), but only when the table is full, which a sweep normally prevents. */
static void evict_oldest(struct sockstate_table *t)
{
	struct sockstate **oldest = NULL;

	for (size_t i = 0; i < SOCKSTATE_BUCKETS; i++)
		for (struct sockstate **pp = &t->buckets[i]; *pp;
		     pp = &(*pp)->next)
			if (!oldest || (*pp)->last_used < (*oldest)->last_used)
				oldest = pp;
	if (oldest) {
		log_debug("socket table full, evicting cookie %llu",
			  (unsigned long long)(*oldest)->cookie);
		unlink_entry(t, oldest);
	}
}

int sockstate_get(struct sockstate_table *t, uint64_t cookie,
		  struct sockstate **ret)
{
	struct sockstate *s = sockstate_lookup(t, cookie);
	size_t b;

	if (s) {
		*ret = s;
		return 0;
	}
	if (t->count >= t->max)
		evict_oldest(t);
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->cookie = cookie;
	s->kind = SOCKSTATE_RECORDING;
	s->fd = -1;
	s->last_used = ++t->clock;
	b = bucket_of(cookie);
	s->next = t->buckets[b];
	t->buckets[b] = s;
	t->count++;
	*ret = s;
	return 0;
}

void sockstate_remove(struct sockstate_table *t, uint64_t cookie)
{
	struct sockstate **pp;

	if (find(t, cookie, &pp))
		unlink_entry(t, pp);
}

int sockstate_rekey(struct sockstate_table *t, uint64_t old_cookie,
		    uint64_t new_cookie)
{
	struct sockstate **pp, *s;
	size_t b;

	if (old_cookie == new_cookie)
		return find(t, old_cookie, NULL) ? 0 : -ENOENT;
	s = find(t, old_cookie, &pp);
	if (!s)
		return -ENOENT;
	*pp = s->next;
	t->count--;
	sockstate_remove(t, new_cookie);
	s->cookie = new_cookie;
	b = bucket_of(new_cookie);
	s->next = t->buckets[b];
	t->buckets[b] = s;
	t->count++;
	return 0;
}

int sockstate_record(struct sockstate *s, int level, int name)
{
	struct sockopt_rec *n;

	for (size_t i = 0; i < s->n_opts; i++)
		if (s->opts[i].level == level && s->opts[i].name == name)
			return 0;
	if (s->n_opts >= SOCKSTATE_OPTS_MAX)
		return -ENOSPC;
	n = realloc(s->opts, (s->n_opts + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	s->opts = n;
	s->opts[s->n_opts++] = (struct sockopt_rec){ level, name };
	return 0;
}

int sockstate_replay(const struct sockstate *s, int from, int to)
{
	int failed = 0;

	for (size_t i = 0; i < s->n_opts; i++) {
		const struct sockopt_rec *r = &s->opts[i];
		int e = sockopt_copy(from, to, r->level, r->name);

		if (e < 0) {
			log_debug("copy of %s failed: %s, ignoring",
				  sockopt_name(r->level, r->name) ?: "?",
				  strerror(-e));
			failed++;
		}
	}
	return failed;
}

size_t sockstate_sweep(struct sockstate_table *t, sockstate_alive_cb alive,
		       void *opaque)
{
	size_t dropped = 0;

	for (size_t i = 0; i < SOCKSTATE_BUCKETS; i++) {
		struct sockstate **pp = &t->buckets[i];

		while (*pp) {
			if (!alive(*pp, opaque)) {
				unlink_entry(t, pp);
				dropped++;
			} else {
				pp = &(*pp)->next;
			}
		}
	}
	return dropped;
}
