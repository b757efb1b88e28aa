// SPDX-License-Identifier: Apache-2.0
/*
 * etcd-msg.c - the JSON of etcd's v3 gateway (see etcd-msg.h).
 *
 * Bodies are written with snprintf(): base64 text and decimal numbers need
 * no JSON escaping.  Answers are parsed with json-c (jsontext_parse(): one
 * strict value, bounded depth) and read field by field; a field of the
 * wrong type fails the whole answer.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "etcd-msg.h"
#include "jsontext.h"
#include "util.h"

/* The deepest answer: {"result":{"events":[{"kv":{"key":...}}]}}. */
#define ETCD_JSON_DEPTH 8
/* gRPC's NOT_FOUND, what the gateway puts in "code" for a lease gone. */
#define GRPC_NOT_FOUND 5

/* printf() into a new buffer of exactly the right size. */
static char *body_printf(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

static char *body_printf(const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	return n < 0 ? NULL : s;
}

/* @len bytes of @p as base64 in a new buffer. */
static char *b64(const void *p, size_t len)
{
	char *s = malloc(BASE64_LEN(len) + 1);

	if (s && base64_encode(p, len, s, BASE64_LEN(len) + 1) < 0) {
		free(s);
		s = NULL;
	}
	return s;
}

char *etcd_body_put(const void *key, size_t key_len, const void *value,
		    size_t value_len, int64_t lease)
{
	_cleanup_free_ char *k = NULL, *v = NULL;

	if (key_len == 0 || key_len > ETCD_KEY_MAX ||
	    value_len > ETCD_VALUE_MAX)
		return NULL;
	k = b64(key, key_len);
	v = b64(value, value_len);
	if (!k || !v)
		return NULL;
	if (lease)
		return body_printf("{\"key\":\"%s\",\"value\":\"%s\","
				   "\"lease\":\"%" PRId64 "\"}",
				   k, v, lease);
	return body_printf("{\"key\":\"%s\",\"value\":\"%s\"}", k, v);
}

size_t etcd_prefix_end(const uint8_t *prefix, size_t len, uint8_t *ret)
{
	/* Drop trailing 0xff bytes, then increment the last one left. */
	while (len && prefix[len - 1] == 0xff)
		len--;
	if (len == 0)
		return 0;
	memcpy(ret, prefix, len);
	ret[len - 1]++;
	return len;
}

/* "key":..,"range_end":.. of every key under @prefix. */
static char *prefix_fields(const char *prefix)
{
	size_t len = strlen(prefix), n;
	_cleanup_free_ char *k = NULL, *e = NULL;
	uint8_t end[ETCD_KEY_MAX];

	if (len == 0 || len > ETCD_KEY_MAX)
		return NULL;
	n = etcd_prefix_end((const uint8_t *)prefix, len, end);
	if (n == 0) {
		end[0] = 0;
		n = 1;
	}
	k = b64(prefix, len);
	e = b64(end, n);
	if (!k || !e)
		return NULL;
	return body_printf("\"key\":\"%s\",\"range_end\":\"%s\"", k, e);
}

char *etcd_body_range_prefix(const char *prefix)
{
	_cleanup_free_ char *f = prefix_fields(prefix);

	return f ? body_printf("{%s}", f) : NULL;
}

char *etcd_body_delete(const void *key, size_t key_len)
{
	_cleanup_free_ char *k = NULL;

	if (key_len == 0 || key_len > ETCD_KEY_MAX)
		return NULL;
	k = b64(key, key_len);
	return k ? body_printf("{\"key\":\"%s\"}", k) : NULL;
}

char *etcd_body_grant(int64_t ttl)
{
	return body_printf("{\"TTL\":\"%" PRId64 "\"}", ttl);
}

char *etcd_body_lease(int64_t id)
{
	return body_printf("{\"ID\":\"%" PRId64 "\"}", id);
}

char *etcd_body_watch(const char *prefix, int64_t start_revision)
{
	_cleanup_free_ char *f = prefix_fields(prefix);

	if (!f)
		return NULL;
	/* progress_notify: an idle watch still hears from etcd now and
	 * then (every 10 minutes unless the server is told otherwise). */
	return body_printf("{\"create_request\":{%s,\"start_revision\":\"%" PRId64
			   "\",\"progress_notify\":true}}",
			   f, start_revision);
}

/* @name of @o as a 64-bit integer: a decimal string or a number; 0 when
 * absent (protobuf's zero value).  Return: 0 or -EINVAL. */
static int get_i64(json_object *o, const char *name, int64_t *ret)
{
	json_object *v;
	const char *s;
	char *end;
	long long n;

	*ret = 0;
	if (!json_object_object_get_ex(o, name, &v) || !v)
		return 0;
	if (json_object_is_type(v, json_type_int)) {
		*ret = json_object_get_int64(v);
		return 0;
	}
	if (!json_object_is_type(v, json_type_string))
		return -EINVAL;
	s = json_object_get_string(v);
	if (!*s || strlen(s) != (size_t)json_object_get_string_len(v) ||
	    !strchr("-0123456789", *s))
		return -EINVAL;
	errno = 0;
	n = strtoll(s, &end, 10);
	if (errno || *end)
		return -EINVAL;
	*ret = n;
	return 0;
}

/* @name of @o if it is of @type, or NULL when absent (protobuf's zero
 * value).  Return: 0, or -EINVAL for another type. */
static int get_typed(json_object *o, const char *name, json_type type,
		     json_object **ret)
{
	json_object *v;

	*ret = NULL;
	if (!json_object_object_get_ex(o, name, &v) || !v)
		return 0;
	if (!json_object_is_type(v, type))
		return -EINVAL;
	*ret = v;
	return 0;
}

/* @name of @o as a boolean; false when absent. */
static int get_bool(json_object *o, const char *name, bool *ret)
{
	json_object *v;
	int r = get_typed(o, name, json_type_boolean, &v);

	*ret = v && json_object_get_boolean(v);
	return r;
}

/* @name of @o, an object or absent (NULL). */
static int get_object(json_object *o, const char *name, json_object **ret)
{
	return get_typed(o, name, json_type_object, ret);
}

/* An {"error": ...} answer: -ENOENT for NOT_FOUND, else -EIO. */
static int error_of(json_object *o)
{
	json_object *e, *in;
	int64_t code = 0;

	if (!json_object_object_get_ex(o, "error", &e))
		return 0;
	/* Unary: "code" beside "error"; a stream: {"error":{"grpc_code"}}. */
	if (json_object_is_type(e, json_type_object) &&
	    get_object(o, "error", &in) == 0 && in)
		get_i64(in, "grpc_code", &code);
	else
		get_i64(o, "code", &code);
	return code == GRPC_NOT_FOUND ? -ENOENT : -EIO;
}

/* The header's revision of answer @o. */
static int header_revision(json_object *o, int64_t *revision)
{
	json_object *h;

	if (get_object(o, "header", &h) < 0)
		return -EINVAL;
	if (!h) {
		*revision = 0;
		return 0;
	}
	return get_i64(h, "revision", revision);
}

/* Parse @len bytes as one JSON object; NULL if it is not one. */
static json_object *parse_object(const char *text, size_t len)
{
	json_object *o;

	if (len > ETCD_ANSWER_MAX)
		return NULL;
	o = jsontext_parse(text, len, ETCD_JSON_DEPTH);
	if (o && !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		o = NULL;
	}
	return o;
}

int etcd_parse_answer(const char *body, size_t len, int64_t *revision)
{
	json_object *o = parse_object(body, len);
	int r;

	if (!o)
		return -EINVAL;
	r = error_of(o);
	if (r == 0)
		r = header_revision(o, revision);
	json_object_put(o);
	return r;
}

/* base64 field @name of @kv decoded into a new buffer (absent: empty). */
static int get_bytes(json_object *kv, const char *name, size_t max,
		     uint8_t **ret, size_t *ret_len)
{
	json_object *v;
	const char *s;
	size_t len;
	ssize_t n;
	int r;

	*ret = NULL;
	*ret_len = 0;
	r = get_typed(kv, name, json_type_string, &v);
	if (r < 0 || !v)
		return r;
	s = json_object_get_string(v);
	len = (size_t)json_object_get_string_len(v);
	if (len > BASE64_LEN(max))
		return -EINVAL;
	*ret = malloc(len / 4 * 3 + 1);
	if (!*ret)
		return -ENOMEM;
	n = base64_decode(s, len, *ret, len / 4 * 3 + 1);
	if (n < 0 || (size_t)n > max) {
		free(*ret);
		*ret = NULL;
		return -EINVAL;
	}
	*ret_len = (size_t)n;
	return 0;
}

/* One "kv" object through @cb. */
static int one_kv(json_object *kv, bool deleted, etcd_kv_cb cb, void *opaque)
{
	_cleanup_free_ uint8_t *key = NULL, *value = NULL;
	struct etcd_kv k = { 0 };
	int r;

	if (!kv || !json_object_is_type(kv, json_type_object))
		return -EINVAL;
	r = get_bytes(kv, "key", ETCD_KEY_MAX, &key, &k.key_len);
	if (r == 0)
		r = get_bytes(kv, "value", ETCD_VALUE_MAX, &value,
			      &k.value_len);
	if (r == 0)
		r = get_i64(kv, "mod_revision", &k.mod_revision);
	if (r == 0)
		r = get_i64(kv, "lease", &k.lease);
	if (r < 0)
		return r;
	if (k.key_len == 0)
		return -EINVAL;
	k.key = key;
	k.value = deleted ? NULL : (value ? value : (const uint8_t *)"");
	if (deleted)
		k.value_len = 0;
	return cb(&k, deleted, opaque);
}

int etcd_parse_range(const char *body, size_t len, etcd_kv_cb cb, void *opaque,
		     int64_t *revision)
{
	json_object *o = parse_object(body, len), *kvs;
	int r;

	if (!o)
		return -EINVAL;
	r = error_of(o);
	if (r == 0)
		r = header_revision(o, revision);
	if (r == 0 && json_object_object_get_ex(o, "kvs", &kvs) && kvs) {
		if (!json_object_is_type(kvs, json_type_array))
			r = -EINVAL;
		for (size_t i = 0; r == 0 && i < json_object_array_length(kvs);
		     i++)
			r = one_kv(json_object_array_get_idx(kvs, i), false, cb,
				   opaque);
	}
	json_object_put(o);
	return r;
}

int etcd_parse_grant(const char *body, size_t len, int64_t *id, int64_t *ttl)
{
	json_object *o = parse_object(body, len);
	int r;

	if (!o)
		return -EINVAL;
	r = error_of(o);
	if (r == 0)
		r = get_i64(o, "ID", id);
	if (r == 0)
		r = get_i64(o, "TTL", ttl);
	if (r == 0 && (*id == 0 || *ttl < 1))
		r = -EINVAL;
	json_object_put(o);
	return r;
}

/* The "result" of stream line @o, or an error. */
static int stream_result(json_object *o, json_object **ret)
{
	int r = error_of(o);

	if (r < 0)
		return r;
	if (get_object(o, "result", ret) < 0 || !*ret)
		return -EINVAL;
	return 0;
}

int etcd_parse_keepalive(const char *line, size_t len, int64_t *ttl)
{
	json_object *o = parse_object(line, len), *res;
	int r;

	if (!o)
		return -EINVAL;
	r = stream_result(o, &res);
	if (r == 0)
		r = get_i64(res, "TTL", ttl);
	if (r == 0 && *ttl < 0)
		*ttl = 0; /* etcd's -1 for a lease it does not know */
	json_object_put(o);
	return r;
}

/* The "events" of watch result @res through @cb. */
static int watch_events(json_object *res, etcd_kv_cb cb, void *opaque,
			bool *any)
{
	json_object *evs;
	int r = 0;

	*any = false;
	if (!json_object_object_get_ex(res, "events", &evs) || !evs)
		return 0;
	if (!json_object_is_type(evs, json_type_array))
		return -EINVAL;
	for (size_t i = 0; r == 0 && i < json_object_array_length(evs); i++) {
		json_object *ev = json_object_array_get_idx(evs, i), *t, *kv;
		bool deleted = false;

		if (!ev || !json_object_is_type(ev, json_type_object))
			return -EINVAL;
		if (json_object_object_get_ex(ev, "type", &t) && t) {
			/* PUT is the zero value: only DELETE is written. */
			if (!json_object_is_type(t, json_type_string))
				return -EINVAL;
			if (strcmp(json_object_get_string(t), "DELETE") == 0)
				deleted = true;
			else if (strcmp(json_object_get_string(t), "PUT") != 0)
				return -EINVAL;
		}
		if (!json_object_object_get_ex(ev, "kv", &kv))
			return -EINVAL;
		r = one_kv(kv, deleted, cb, opaque);
		*any = true;
	}
	return r;
}

int etcd_parse_watch(const char *line, size_t len, etcd_kv_cb cb, void *opaque,
		     struct etcd_watch_msg *ret)
{
	json_object *o = parse_object(line, len), *res;
	bool created, canceled, any;
	int r;

	if (!o)
		return -EINVAL;
	memset(ret, 0, sizeof(*ret));
	r = stream_result(o, &res);
	if (r == 0)
		r = header_revision(res, &ret->revision);
	if (r == 0)
		r = get_bool(res, "created", &created);
	if (r == 0)
		r = get_bool(res, "canceled", &canceled);
	if (r == 0)
		r = get_i64(res, "compact_revision", &ret->compact_revision);
	if (r == 0 && canceled)
		ret->kind = ETCD_WATCH_CANCELED;
	else if (r == 0 && created)
		ret->kind = ETCD_WATCH_CREATED;
	if (r == 0 && !canceled && !created) {
		r = watch_events(res, cb, opaque, &any);
		ret->kind = any ? ETCD_WATCH_EVENTS : ETCD_WATCH_PROGRESS;
	}
	json_object_put(o);
	return r;
}
