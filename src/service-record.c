// SPDX-License-Identifier: Apache-2.0
/*
 * service-record.c - a namespace's part of the service map as text, and
 * its merge into another agent's map.
 *
 * Text, not a struct dump: the registry files of separate runs are read
 * by other agents and by people (`cat`), and a line format with one kind
 * of token per position is easy to check strictly.  Every line is parsed
 * from a bounded copy; numbers go through strtoull() with the whole token
 * consumed, addresses through inet_pton().
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "service-record.h"
#include "util.h"

#define RECORD_MAGIC "nsbypass-services 1"
/* A line of a well-formed record is shorter than this. */
#define LINE_MAX_LEN 192

/* @family/@a16 (sockdiag's form) as text. */
static const char *addr_text(int family, const uint8_t *a16, char *buf,
			     size_t size)
{
	return inet_ntop(family, a16, buf, (socklen_t)size);
}

static int append(char *buf, size_t size, size_t *off, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int append(char *buf, size_t size, size_t *off, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf + *off, size - *off, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= size - *off)
		return -ENOSPC;
	*off += (size_t)n;
	return 0;
}

static int format_entry(const struct service_entry *e, char *buf, size_t size,
			size_t *off)
{
	char s[INET6_ADDRSTRLEN], l[INET6_ADDRSTRLEN];

	if (!addr_text(e->server.family, e->server.addr, s, sizeof(s)) ||
	    !addr_text(e->listener.family, e->listener.addr, l, sizeof(l)))
		return -EINVAL;
	return append(buf, size, off,
		      "entry %s %u %d %s %u %d %016" PRIx64 "\n", s,
		      e->server.port, e->server.v6only ? 1 : 0, l,
		      e->listener.port, e->listener.v6only ? 1 : 0,
		      e->listener.cookie);
}

int service_record_format(const struct service_record *r, char *buf,
			  size_t size)
{
	char a[INET6_ADDRSTRLEN];
	size_t off = 0;
	int e;

	if (size == 0)
		return -ENOSPC;
	if (r->n_addrs > SERVICE_ADDRS_MAX ||
	    r->n_entries > SERVICE_RECORD_ENTRIES_MAX)
		return -EINVAL;
	e = append(buf, size, &off,
		   RECORD_MAGIC "\nnetns %016" PRIx64 "\nc2c %d\n", r->netns,
		   r->c2c ? 1 : 0);
	for (size_t i = 0; e == 0 && i < r->n_addrs; i++) {
		if (!addr_text(r->addrs[i].family, r->addrs[i].a, a, sizeof(a)))
			return -EINVAL;
		e = append(buf, size, &off, "addr %s\n", a);
	}
	for (size_t i = 0; e == 0 && i < r->n_entries; i++)
		e = format_entry(&r->entries[i], buf, size, &off);
	if (e == 0)
		e = append(buf, size, &off, "end\n");
	return e < 0 ? e : (int)off;
}

/* A whole token as an unsigned number of @base no greater than @max. */
static int parse_num(const char *tok, int base, uint64_t max, uint64_t *ret)
{
	unsigned long long v;
	char *end;

	if (!tok || !*tok)
		return -EINVAL;
	/* Digits only: no sign, space or 0x that strtoull() would take. */
	for (const char *c = tok; *c; c++)
		if (base == 16 ? !isxdigit((unsigned char)*c) :
				 !isdigit((unsigned char)*c))
			return -EINVAL;
	errno = 0;
	v = strtoull(tok, &end, base);
	if (errno || *end || v > max)
		return -EINVAL;
	*ret = v;
	return 0;
}

/* A textual address: IPv4 unless it has a colon. */
static int parse_addr(const char *tok, int *family, uint8_t a16[16])
{
	memset(a16, 0, 16);
	if (!tok)
		return -EINVAL;
	*family = strchr(tok, ':') ? AF_INET6 : AF_INET;
	return inet_pton(*family, tok, a16) == 1 ? 0 : -EINVAL;
}

static int parse_flag(const char *tok, bool *ret)
{
	uint64_t v;

	if (parse_num(tok, 10, 1, &v) < 0)
		return -EINVAL;
	*ret = v == 1;
	return 0;
}

/* "ADDR PORT V6ONLY" into @s */
static int parse_sock(char **save, struct sockdiag_sock *s)
{
	uint64_t port;

	if (parse_addr(strtok_r(NULL, " ", save), &s->family, s->addr) < 0 ||
	    parse_num(strtok_r(NULL, " ", save), 10, 65535, &port) < 0 ||
	    port == 0 || parse_flag(strtok_r(NULL, " ", save), &s->v6only) < 0)
		return -EINVAL;
	if (s->family == AF_INET && s->v6only)
		return -EINVAL;
	s->port = (uint16_t)port;
	s->state = TCP_LISTEN;
	return 0;
}

static int parse_entry(char **save, uint64_t netns, uint8_t origin,
		       struct service_entry *e)
{
	uint64_t cookie;

	memset(e, 0, sizeof(*e));
	if (parse_sock(save, &e->server) < 0 ||
	    parse_sock(save, &e->listener) < 0 ||
	    parse_num(strtok_r(NULL, " ", save), 16, UINT64_MAX, &cookie) < 0 ||
	    cookie == 0 || e->server.family != e->listener.family)
		return -EINVAL;
	e->listener.cookie = cookie;
	e->netns = netns;
	e->origin = origin;
	return 0;
}

/* The parts of a record, in the order they must come. */
enum part { P_MAGIC, P_NETNS, P_C2C, P_ADDRS, P_ENTRIES, P_END };

static int parse_line(char *line, enum part *at, uint8_t origin,
		      struct service_record *r)
{
	char *save = NULL, *kw;
	uint64_t v;

	if (*at == P_MAGIC) {
		*at = P_NETNS;
		return strcmp(line, RECORD_MAGIC) == 0 ? 0 : -EINVAL;
	}
	/* One space between tokens, none around them: strtok_r() would
	 * take any run of spaces. */
	if (line[0] == ' ' || strstr(line, "  ") ||
	    (*line && line[strlen(line) - 1] == ' '))
		return -EINVAL;
	kw = strtok_r(line, " ", &save);
	if (!kw)
		return -EINVAL;
	if (*at == P_NETNS && strcmp(kw, "netns") == 0) {
		if (parse_num(strtok_r(NULL, " ", &save), 16, UINT64_MAX, &v) <
			    0 ||
		    v == 0)
			return -EINVAL;
		r->netns = v;
		*at = P_C2C;
	} else if (*at == P_C2C && strcmp(kw, "c2c") == 0) {
		if (parse_flag(strtok_r(NULL, " ", &save), &r->c2c) < 0)
			return -EINVAL;
		*at = P_ADDRS;
	} else if (*at == P_ADDRS && strcmp(kw, "addr") == 0) {
		struct service_addr *a = &r->addrs[r->n_addrs];

		if (r->n_addrs >= SERVICE_ADDRS_MAX ||
		    parse_addr(strtok_r(NULL, " ", &save), &a->family, a->a) <
			    0)
			return -EINVAL;
		r->n_addrs++;
	} else if ((*at == P_ADDRS || *at == P_ENTRIES) &&
		   strcmp(kw, "entry") == 0) {
		if (r->n_entries >= SERVICE_RECORD_ENTRIES_MAX ||
		    parse_entry(&save, r->netns, origin,
				&r->entries[r->n_entries]) < 0)
			return -EINVAL;
		r->n_entries++;
		*at = P_ENTRIES;
	} else if (*at != P_NETNS && *at != P_C2C && strcmp(kw, "end") == 0) {
		*at = P_END;
	} else {
		return -EINVAL;
	}
	/* Nothing may follow the last token of a line. */
	return strtok_r(NULL, " ", &save) ? -EINVAL : 0;
}

int service_record_parse(const char *buf, size_t len, uint8_t origin,
			 struct service_record *r)
{
	enum part at = P_MAGIC;
	size_t off = 0;

	memset(r, 0, sizeof(*r));
	if (len > SERVICE_RECORD_TEXT_MAX || memchr(buf, '\0', len))
		return -EINVAL;
	while (off < len) {
		const char *nl = memchr(buf + off, '\n', len - off);
		char line[LINE_MAX_LEN];
		size_t n;

		if (!nl || at == P_END)
			return -EINVAL; /* an unfinished line, or after end */
		n = (size_t)(nl - (buf + off));
		if (n >= sizeof(line))
			return -EINVAL;
		memcpy(line, buf + off, n);
		line[n] = '\0';
		off += n + 1;
		if (parse_line(line, &at, origin, r) < 0)
			return -EINVAL;
	}
	return at == P_END ? 0 : -EINVAL;
}

size_t service_record_collect(const struct service_map *m, uint64_t netns,
			      struct service_record *r)
{
	size_t left_out = 0;

	memset(r, 0, sizeof(*r));
	r->netns = netns;
	for (size_t i = 0; i < m->n_netns; i++) {
		const struct service_netns *ns = &m->netns[i];

		if (ns->netns != netns)
			continue;
		r->c2c = ns->c2c;
		r->n_addrs = ns->n_addrs;
		memcpy(r->addrs, ns->addrs, ns->n_addrs * sizeof(ns->addrs[0]));
	}
	for (size_t i = 0; i < m->n; i++) {
		const struct service_entry *e = &m->entries[i];

		if (e->netns != netns || e->origin != SERVICE_OWN)
			continue;
		if (r->n_entries < SERVICE_RECORD_ENTRIES_MAX)
			r->entries[r->n_entries++] = *e;
		else
			left_out++;
	}
	return left_out;
}

/*
 * A parent's entry of host listener @cookie replaces the registry's copy:
 * an `nsbypass oci` agent hears of its daemon's containers from both, in
 * either order, and only the parent's is trusted by the loopback
 * exception.  A registry file claiming the cookie first (any container of
 * the user can write one, for any namespace) must not keep it out.
 */
static void drop_registry_copy(struct service_map *m, uint64_t cookie)
{
	for (size_t i = 0; i < m->n; i++) {
		if (m->entries[i].listener.cookie != cookie)
			continue;
		if (m->entries[i].origin == SERVICE_REGISTRY)
			service_map_remove(m, cookie);
		return;
	}
}

/* Drop @netns's entries of @origin from @m. */
static size_t drop_origin(struct service_map *m, uint64_t netns, uint8_t origin)
{
	size_t dropped = 0;

	for (size_t i = 0; i < m->n;) {
		const struct service_entry *e = &m->entries[i];

		if (e->netns == netns && e->origin == origin) {
			service_map_remove(m, e->listener.cookie);
			dropped++;
		} else {
			i++;
		}
	}
	return dropped;
}

int service_record_apply(struct service_map *m, const struct service_record *r,
			 uint8_t origin, uint64_t own_netns)
{
	int ret = 0;

	if (origin == SERVICE_OWN)
		return -EINVAL;

	if (r->netns != own_netns) {
		ret = service_map_set_netns(m, r->netns, r->addrs, r->n_addrs,
					    r->c2c);
		if (ret < 0)
			return ret;
	}
	drop_origin(m, r->netns, origin);
	for (size_t i = 0; i < r->n_entries; i++) {
		struct service_entry e = r->entries[i];
		int a;

		e.netns = r->netns;
		e.origin = origin;
		if (origin == SERVICE_PARENT)
			drop_registry_copy(m, e.listener.cookie);
		a = service_map_add(m, &e);
		/* -EEXIST: one of ours (a pod-mate's record carries every
		 * agent's of the namespace) or another origin's copy (the
		 * parent's, when the registry's record comes second). */
		if (a == -ENOSPC)
			ret = a;
	}
	return ret;
}

size_t service_record_withdraw(struct service_map *m, uint64_t netns,
			       uint8_t origin, uint64_t own_netns)
{
	size_t dropped = drop_origin(m, netns, origin);
	bool left = false;

	for (size_t i = 0; i < m->n && !left; i++)
		left = m->entries[i].netns == netns;
	if (netns != own_netns && !left)
		service_map_drop_netns(m, netns);
	return dropped;
}
