// SPDX-License-Identifier: Apache-2.0
/*
 * oci-config.c - per-container settings from the OCI state's metadata
 * and annotations (syntax in oci-config.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "oci-config.h"
#include "util.h"

/* Longest list item: a CIDR or a publish spec. */
#define ITEM_MAX 128

static int fail(char *why, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/*
 * Call @fn on each ','-separated item of @v (@n bytes).  An empty @v has
 * no items; an empty item is an error.
 */
static int for_each_item(const char *v, size_t n,
			 int (*fn)(struct oci_config *, const char *),
			 struct oci_config *c)
{
	char item[ITEM_MAX];
	const char *end = v + n, *comma;
	size_t len;
	int r;

	while (v < end) {
		comma = memchr(v, ',', (size_t)(end - v));
		len = (size_t)((comma ? comma : end) - v);
		if (len == 0 || len >= sizeof(item))
			return -EINVAL;
		memcpy(item, v, len);
		item[len] = '\0';
		r = fn(c, item);
		if (r < 0)
			return r;
		v += len + (comma ? 1 : 0);
		if (comma && v == end)
			return -EINVAL; /* a trailing ',' */
	}
	return 0;
}

static int add_ignore(struct oci_config *c, const char *s)
{
	struct cidr cidr;

	if (cidr_parse(s, &cidr) < 0)
		return -EINVAL;
	return policy_add_ignore(&c->policy, &cidr);
}

static int add_publish(struct oci_config *c, const char *s)
{
	struct publish p;

	if (publish_parse(s, &p) < 0)
		return -EINVAL;
	return publish_add(&c->publish, &p);
}

/* "true" or "false", exactly (@n bytes of @v). */
static int parse_bool(const char *v, size_t n, bool *ret)
{
	if (n == 4 && memcmp(v, "true", 4) == 0)
		*ret = true;
	else if (n == 5 && memcmp(v, "false", 5) == 0)
		*ret = false;
	else
		return -EINVAL;
	return 0;
}

/* Set key @k (@kn bytes) to @v (@vn bytes); @src names where it came from. */
static int set_key(struct oci_config *c, const char *k, size_t kn,
		   const char *v, size_t vn, const char *src, char *why,
		   size_t why_len)
{
#define KEY_IS(s) (kn == strlen(s) && memcmp(k, s, kn) == 0)
	int r;

	if (KEY_IS("ignore")) {
		c->policy.n_ignore = 0;
		r = for_each_item(v, vn, add_ignore, c);
		if (r < 0)
			return fail(why, why_len, "%s ignore: %s", src,
				    r == -ENOSPC ? "too many CIDRs" :
						   "want CIDR,CIDR,...");
		return 0;
	}
	if (KEY_IS("publish")) {
		c->publish.n = 0;
		r = for_each_item(v, vn, add_publish, c);
		if (r < 0)
			return fail(
				why, why_len, "%s publish: %s", src,
				r == -ENOSPC ?
					"too many ports" :
				r == -EEXIST ?
					"a host port published twice" :
					"want [HOSTIP:]HOSTPORT:CONTAINERPORT[/tcp|/udp],...");
		return 0;
	}
	if (KEY_IS("ignore-bind")) {
		if (parse_bool(v, vn, &c->ignore_bind) < 0)
			return fail(why, why_len,
				    "%s ignore-bind: want true or false", src);
		return 0;
	}
	if (KEY_IS("c2c")) {
		bool on;

		if (parse_bool(v, vn, &on) < 0)
			return fail(why, why_len, "%s c2c: want true or false",
				    src);
		c->no_c2c = !on;
		return 0;
	}
	if (KEY_IS("host-subnets")) {
		char mode[8];

		if (vn >= sizeof(mode))
			vn = sizeof(mode) - 1; /* too long: no name matches */
		memcpy(mode, v, vn);
		mode[vn] = '\0';
		if (policy_parse_mirrored(mode, &c->policy.mirrored_mode) < 0)
			return fail(why, why_len,
				    "%s host-subnets: want auto, none or all",
				    src);
		return 0;
	}
#undef KEY_IS
	return fail(why, why_len, "%s: unknown key '%.*s'", src,
		    (int)MIN(kn, 32), k);
}

/* "key=value;key=value": empty segments are allowed. */
static int apply_metadata(struct oci_config *c, const char *m, char *why,
			  size_t why_len)
{
	const char *end = m + strlen(m), *semi, *eq;
	size_t len;
	int r;

	while (m < end) {
		semi = memchr(m, ';', (size_t)(end - m));
		len = (size_t)((semi ? semi : end) - m);
		if (len) {
			eq = memchr(m, '=', len);
			if (!eq)
				return fail(why, why_len,
					    "metadata: want key=value;...");
			r = set_key(c, m, (size_t)(eq - m), eq + 1,
				    len - (size_t)(eq - m) - 1, "metadata", why,
				    why_len);
			if (r < 0)
				return r;
		}
		m += len + (semi ? 1 : 0);
	}
	return 0;
}

int oci_config_apply(struct oci_config *c, const struct oci_state *st,
		     char *why, size_t why_len)
{
	static const struct {
		const char *key;
		size_t offset;
	} ann[] = {
		{ "ignore", offsetof(struct oci_state, ignore) },
		{ "publish", offsetof(struct oci_state, publish) },
		{ "ignore-bind", offsetof(struct oci_state, ignore_bind) },
		{ "c2c", offsetof(struct oci_state, c2c) },
		{ "host-subnets", offsetof(struct oci_state, host_subnets) },
	};
	int r;

	if (st->metadata) {
		r = apply_metadata(c, st->metadata, why, why_len);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < ARRAY_SIZE(ann); i++) {
		const char *v = *(char *const *)((const char *)st +
						 ann[i].offset);

		if (!v)
			continue;
		r = set_key(c, ann[i].key, strlen(ann[i].key), v, strlen(v),
			    "annotation nsbypass.*", why, why_len);
		if (r < 0)
			return r;
	}
	return 0;
}
