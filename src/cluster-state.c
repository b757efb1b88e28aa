// SPDX-License-Identifier: Apache-2.0
/*
 * cluster-state.c - the etcd client's state message (cluster-state.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cluster-state.h"

/* Printable ASCII only: what a status table and a log line can show. */
static bool printable(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			return false;
	return true;
}

/* Copy @src into @dst (@size bytes) with anything unprintable as '?'. */
static void copy_printable(char *dst, size_t size, const char *src)
{
	size_t i = 0;

	for (; src[i] && i + 1 < size; i++) {
		dst[i] = src[i];
		if (src[i] < 0x20 || src[i] > 0x7e)
			dst[i] = '?';
	}
	dst[i] = '\0';
}

int cluster_state_format(const struct cluster_state *s, char *buf, size_t size)
{
	char endpoint[CLUSTER_STATE_ENDPOINT_MAX + 1];
	char error[CLUSTER_STATE_ERROR_MAX + 1];
	int n;

	copy_printable(endpoint, sizeof(endpoint), s->endpoint);
	copy_printable(error, sizeof(error), s->error);
	n = snprintf(buf, size,
		     CLUSTER_STATE_MAGIC
		     "up %d\nendpoint %s\nsince %" PRIu64 "\nrevision %" PRId64
		     "\nlease %" PRIx64 "\nttl %" PRIu32 "\nkeys %" PRIu32
		     "\nremote %" PRIu32 "\nnodes %" PRIu32
		     "\ncollisions %" PRIu32 "\noutages %" PRIu32
		     "\nerror %s\nend\n",
		     s->up ? 1 : 0, endpoint, s->since, s->revision, s->lease,
		     s->ttl, s->keys, s->remote, s->nodes, s->collisions,
		     s->outages, error);
	if (n < 0 || (size_t)n >= size)
		return -ENOSPC;
	return n;
}

bool cluster_state_is(const char *buf, size_t len)
{
	size_t m = sizeof(CLUSTER_STATE_MAGIC) - 1;

	return len >= m && memcmp(buf, CLUSTER_STATE_MAGIC, m) == 0;
}

struct cursor {
	const char *p, *end;
};

/* The value of the next line, which must be "@key VALUE\n"; NULL if not.
 * *@n is the value's length. */
static const char *line(struct cursor *c, const char *key, size_t *n)
{
	size_t k = strlen(key);
	const char *nl;

	if ((size_t)(c->end - c->p) < k + 1 || memcmp(c->p, key, k) != 0 ||
	    c->p[k] != ' ')
		return NULL;
	nl = memchr(c->p + k + 1, '\n', (size_t)(c->end - c->p - k - 1));
	if (!nl)
		return NULL;
	*n = (size_t)(nl - (c->p + k + 1));
	c->p = nl + 1;
	return nl - *n;
}

/* A decimal (or, with @hex, hexadecimal) number of at most @max, no sign,
 * no leading zero, nothing else. */
static bool number(const char *v, size_t n, bool hex, uint64_t max,
		   uint64_t *ret)
{
	unsigned int base = hex ? 16 : 10;
	uint64_t x = 0;

	if (n == 0 || n > 20 || (n > 1 && v[0] == '0'))
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned int d;

		if (v[i] >= '0' && v[i] <= '9')
			d = (unsigned int)(v[i] - '0');
		else if (hex && v[i] >= 'a' && v[i] <= 'f')
			d = (unsigned int)(v[i] - 'a' + 10);
		else
			return false;
		if (x > (max - d) / base)
			return false;
		x = x * base + d;
	}
	*ret = x;
	return true;
}

static bool u32_line(struct cursor *c, const char *key, uint32_t *ret)
{
	size_t n;
	const char *v = line(c, key, &n);
	uint64_t x;

	if (!v || !number(v, n, false, UINT32_MAX, &x))
		return false;
	*ret = (uint32_t)x;
	return true;
}

static bool text_line(struct cursor *c, const char *key, char *dst, size_t max)
{
	size_t n;
	const char *v = line(c, key, &n);

	if (!v || n > max || !printable(v, n))
		return false;
	memcpy(dst, v, n);
	dst[n] = '\0';
	return true;
}

int cluster_state_parse(const char *buf, size_t len, struct cluster_state *ret)
{
	struct cursor c = { buf, buf + len };
	uint64_t x;
	uint32_t up;
	const char *v;
	size_t n;

	memset(ret, 0, sizeof(*ret));
	if (len > CLUSTER_STATE_TEXT_MAX || !cluster_state_is(buf, len))
		return -EINVAL;
	c.p += sizeof(CLUSTER_STATE_MAGIC) - 1;
	if (!u32_line(&c, "up", &up) || up > 1)
		return -EINVAL;
	ret->up = up;
	if (!text_line(&c, "endpoint", ret->endpoint,
		       CLUSTER_STATE_ENDPOINT_MAX))
		return -EINVAL;
	v = line(&c, "since", &n);
	if (!v || !number(v, n, false, UINT64_MAX, &ret->since))
		return -EINVAL;
	v = line(&c, "revision", &n);
	if (!v || !number(v, n, false, INT64_MAX, &x))
		return -EINVAL;
	ret->revision = (int64_t)x;
	v = line(&c, "lease", &n);
	if (!v || !number(v, n, true, UINT64_MAX, &ret->lease))
		return -EINVAL;
	if (!u32_line(&c, "ttl", &ret->ttl) ||
	    !u32_line(&c, "keys", &ret->keys) ||
	    !u32_line(&c, "remote", &ret->remote) ||
	    !u32_line(&c, "nodes", &ret->nodes) ||
	    !u32_line(&c, "collisions", &ret->collisions) ||
	    !u32_line(&c, "outages", &ret->outages) ||
	    !text_line(&c, "error", ret->error, CLUSTER_STATE_ERROR_MAX))
		return -EINVAL;
	if ((size_t)(c.end - c.p) != 4 || memcmp(c.p, "end\n", 4) != 0)
		return -EINVAL;
	return 0;
}
