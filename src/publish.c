// SPDX-License-Identifier: Apache-2.0
/*
 * publish.c - parsing and matching of published ports.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "publish.h"
#include "util.h"

static int parse_port(const char *s, size_t len, uint16_t *ret)
{
	char buf[8];
	int v;

	if (len == 0 || len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (buf[0] == '-' || parse_int(buf, 1, 65535, &v) < 0)
		return -EINVAL;
	*ret = (uint16_t)v;
	return 0;
}

/* The host address part: "a.b.c.d" or "[v6]"; @len excludes the colon. */
static int parse_host(const char *s, size_t len, struct publish *p)
{
	char buf[INET6_ADDRSTRLEN + 2];

	if (len == 0 || len >= sizeof(buf))
		return -EINVAL;
	if (s[0] == '[') {
		if (len < 3 || s[len - 1] != ']')
			return -EINVAL;
		memcpy(buf, s + 1, len - 2);
		buf[len - 2] = '\0';
		if (inet_pton(AF_INET6, buf, &p->host.v6) != 1)
			return -EINVAL;
		p->family = AF_INET6;
	} else {
		memcpy(buf, s, len);
		buf[len] = '\0';
		if (inet_pton(AF_INET, buf, &p->host.v4) != 1)
			return -EINVAL;
		p->family = AF_INET;
	}
	p->host_given = true;
	return 0;
}

int publish_parse(const char *spec, struct publish *ret)
{
	struct publish p = { .family = AF_INET };
	const char *slash, *last, *prev, *end;

	if (!spec || strlen(spec) >= PUBLISH_SPEC_MAX)
		return -EINVAL;
	end = spec + strlen(spec);
	slash = strchr(spec, '/');
	if (slash) {
		if (strcmp(slash, "/udp") == 0)
			p.udp = true;
		else if (strcmp(slash, "/tcp") != 0)
			return -EINVAL;
		end = slash;
	}
	/* From the right: CONTAINERPORT, HOSTPORT, then the address, whose
	 * IPv6 form has colons of its own. */
	last = memrchr(spec, ':', (size_t)(end - spec));
	if (!last)
		return -EINVAL;
	if (parse_port(last + 1, (size_t)(end - last - 1), &p.container_port))
		return -EINVAL;
	/* An unbracketed IPv6 address fails as IPv4 in parse_host(). */
	prev = memrchr(spec, ':', (size_t)(last - spec));
	if (parse_port(prev ? prev + 1 : spec,
		       (size_t)(last - (prev ? prev + 1 : spec)), &p.host_port))
		return -EINVAL;
	if (prev && parse_host(spec, (size_t)(prev - spec), &p) < 0)
		return -EINVAL;
	*ret = p;
	return 0;
}

static bool same_host(const struct publish *a, const struct publish *b)
{
	if (a->family != b->family)
		return false;
	if (a->family == AF_INET)
		return a->host.v4.s_addr == b->host.v4.s_addr;
	return memcmp(&a->host.v6, &b->host.v6, sizeof(a->host.v6)) == 0;
}

int publish_add(struct publish_table *t, const struct publish *p)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->p[i].udp == p->udp &&
		    t->p[i].host_port == p->host_port && same_host(&t->p[i], p))
			return -EEXIST;
	if (t->n >= ARRAY_SIZE(t->p))
		return -ENOSPC;
	t->p[t->n++] = *p;
	return 0;
}

static bool is_loopback(const struct sockaddr *addr)
{
	if (addr->sa_family == AF_INET) {
		const struct sockaddr_in *s = (const void *)addr;

		return (ntohl(s->sin_addr.s_addr) >> 24) == 127;
	}
	if (addr->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s = (const void *)addr;
		const uint8_t *b = s->sin6_addr.s6_addr;

		if (IN6_IS_ADDR_LOOPBACK(&s->sin6_addr))
			return true;
		return IN6_IS_ADDR_V4MAPPED(&s->sin6_addr) && b[12] == 127;
	}
	return false;
}

/* The TCP entry for a bind() of @addr's port, whatever its address. */
static const struct publish *match_port(const struct publish_table *t,
					const struct sockaddr *addr,
					socklen_t len)
{
	uint16_t port;

	if (!t)
		return NULL;
	if (addr->sa_family == AF_INET && len >= sizeof(struct sockaddr_in))
		port = ntohs(((const struct sockaddr_in *)addr)->sin_port);
	else if (addr->sa_family == AF_INET6 &&
		 len >= sizeof(struct sockaddr_in6))
		port = ntohs(((const struct sockaddr_in6 *)addr)->sin6_port);
	else
		return NULL;
	if (port == 0)
		return NULL;
	for (size_t i = 0; i < t->n; i++) {
		const struct publish *p = &t->p[i];

		if (p->udp || p->container_port != port)
			continue;
		if (addr->sa_family == AF_INET && p->family != AF_INET)
			continue;
		return p;
	}
	return NULL;
}

bool publish_port_shared(const struct publish_table *t, const struct publish *p)
{
	if (p->udp)
		return false;
	for (size_t i = 0; i < t->n; i++) {
		const struct publish *q = &t->p[i];

		if (!q->udp && q->container_port == p->container_port &&
		    q->host_port != p->host_port)
			return true;
	}
	return false;
}

const struct publish *publish_match_bind(const struct publish_table *t,
					 const struct sockaddr *addr,
					 socklen_t len)
{
	const struct publish *p;

	if (is_loopback(addr))
		return NULL;
	p = match_port(t, addr, len);
	return p && !publish_port_shared(t, p) ? p : NULL;
}

const struct publish *publish_match_loopback(const struct publish_table *t,
					     const struct sockaddr *addr,
					     socklen_t len)
{
	return is_loopback(addr) ? match_port(t, addr, len) : NULL;
}

int publish_host_addr(const struct publish *p, int domain,
		      struct sockaddr_storage *ret)
{
	memset(ret, 0, sizeof(*ret));
	if (domain == AF_INET) {
		struct sockaddr_in *s = (struct sockaddr_in *)ret;

		if (p->family != AF_INET)
			return -EAFNOSUPPORT;
		s->sin_family = AF_INET;
		s->sin_port = htons(p->host_port);
		s->sin_addr = p->host.v4;
		return sizeof(*s);
	}
	if (domain == AF_INET6) {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)ret;

		s->sin6_family = AF_INET6;
		s->sin6_port = htons(p->host_port);
		if (p->family == AF_INET6) {
			s->sin6_addr = p->host.v6;
		} else if (p->host_given) {
			s->sin6_addr.s6_addr[10] = 0xff;
			s->sin6_addr.s6_addr[11] = 0xff;
			memcpy(&s->sin6_addr.s6_addr[12], &p->host.v4, 4);
		} /* else the IPv6 wildcard, zeroed above */
		return sizeof(*s);
	}
	return -EAFNOSUPPORT;
}

const char *publish_to_string(const struct publish *p,
			      char buf[PUBLISH_SPEC_MAX])
{
	char a[INET6_ADDRSTRLEN] = "";

	if (p->host_given)
		inet_ntop(p->family, &p->host, a, sizeof(a));
	snprintf(buf, PUBLISH_SPEC_MAX, "%s%s%s%s%u:%u/%s",
		 p->family == AF_INET6 ? "[" : "", a,
		 p->family == AF_INET6 ? "]" : "", p->host_given ? ":" : "",
		 p->host_port, p->container_port, p->udp ? "udp" : "tcp");
	return buf;
}
