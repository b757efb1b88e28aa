// SPDX-License-Identifier: Apache-2.0
/*
 * test-etcd-msg.c - base64 and the JSON of etcd's v3 gateway: the bodies
 * nsbypass sends, and answers as etcd 3.4 and 3.5 write them (taken from
 * curl against a real etcd-server 3.4.23) or as a hostile peer could.
 */
#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "etcd-msg.h"
#include "nbtest.h"
#include "util.h"

NBTEST(base64_rfc4648_vectors)
{
	static const char *const v[][2] = {
		{ "", "" },
		{ "f", "Zg==" },
		{ "fo", "Zm8=" },
		{ "foo", "Zm9v" },
		{ "foob", "Zm9vYg==" },
		{ "fooba", "Zm9vYmE=" },
		{ "foobar", "Zm9vYmFy" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(v); i++) {
		char enc[32];
		uint8_t dec[32];
		ssize_t n = base64_encode(v[i][0], strlen(v[i][0]), enc,
					  sizeof(enc));

		ASSERT_EQ(n, (ssize_t)strlen(v[i][1]));
		ASSERT_STREQ(enc, v[i][1]);
		n = base64_decode(v[i][1], strlen(v[i][1]), dec, sizeof(dec));
		ASSERT_EQ(n, (ssize_t)strlen(v[i][0]));
		ASSERT_TRUE(memcmp(dec, v[i][0], (size_t)n) == 0);
	}
}

NBTEST(base64_one_spelling_only)
{
	/* Each of these is refused: lengths, padding, alphabet, stray
	 * bits under the padding. */
	static const char *const bad[] = {
		"Zg=",	"Zg",	"Zg===", "====",   "Z===", "=Zg=",     "Zg=a",
		"Zh==", "Zm9=", "Zm 9v", "Zm9v\n", "Zm-_", "Zm9v====",
	};
	uint8_t dec[32];

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		ASSERT_EQ(base64_decode(bad[i], strlen(bad[i]), dec,
					sizeof(dec)),
			  -EINVAL);
	/* Too small a buffer. */
	ASSERT_EQ(base64_decode("Zm9vYmFy", 8, dec, 5), -ENOSPC);
	{
		char enc[8];

		ASSERT_EQ(base64_encode("foobar", 6, enc, 8), -ENOSPC);
		ASSERT_STREQ(enc, "");
	}
}

NBTEST(base64_every_byte)
{
	uint8_t in[256], out[256];
	char enc[BASE64_LEN(256) + 1];

	for (size_t i = 0; i < 256; i++)
		in[i] = (uint8_t)i;
	for (size_t n = 0; n <= 256; n++) {
		ssize_t e = base64_encode(in, n, enc, sizeof(enc));

		ASSERT_EQ(e, (ssize_t)BASE64_LEN(n));
		ASSERT_EQ(base64_decode(enc, (size_t)e, out, sizeof(out)),
			  (ssize_t)n);
		ASSERT_TRUE(memcmp(in, out, n) == 0);
	}
}

/* @body's field @name as a string ("" if absent). */
static const char *field(json_object *o, const char *name)
{
	json_object *v;

	if (!json_object_object_get_ex(o, name, &v))
		return "";
	return json_object_get_string(v);
}

NBTEST(bodies)
{
	_cleanup_free_ char *put = etcd_body_put("a/b", 3, "xy", 2, 7587);
	_cleanup_free_ char *nolease = etcd_body_put("k", 1, "", 0, 0);
	_cleanup_free_ char *range = etcd_body_range_prefix("nsbypass/v1/");
	_cleanup_free_ char *watch = etcd_body_watch("nsbypass/v1/", 42);
	_cleanup_free_ char *grant = etcd_body_grant(15);
	_cleanup_free_ char *lease = etcd_body_lease(-3);
	json_object *o, *cr;

	ASSERT_STREQ(put, "{\"key\":\"YS9i\",\"value\":\"eHk=\","
			  "\"lease\":\"7587\"}");
	ASSERT_STREQ(nolease, "{\"key\":\"aw==\",\"value\":\"\"}");
	o = json_tokener_parse(range);
	ASSERT_TRUE(o != NULL);
	/* "nsbypass/v1/" and "nsbypass/v10" */
	ASSERT_STREQ(field(o, "key"), "bnNieXBhc3MvdjEv");
	ASSERT_STREQ(field(o, "range_end"), "bnNieXBhc3MvdjEw");
	json_object_put(o);
	o = json_tokener_parse(watch);
	ASSERT_TRUE(o != NULL);
	ASSERT_TRUE(json_object_object_get_ex(o, "create_request", &cr));
	ASSERT_STREQ(field(cr, "start_revision"), "42");
	ASSERT_STREQ(field(cr, "range_end"), "bnNieXBhc3MvdjEw");
	ASSERT_STREQ(field(cr, "progress_notify"), "true");
	json_object_put(o);
	ASSERT_STREQ(grant, "{\"TTL\":\"15\"}");
	ASSERT_STREQ(lease, "{\"ID\":\"-3\"}");
	/* Over the bounds: no body. */
	{
		char *big = calloc(1, ETCD_VALUE_MAX + 1);

		ASSERT_TRUE(big != NULL);
		ASSERT_TRUE(etcd_body_put("k", 1, big, ETCD_VALUE_MAX + 1, 0) ==
			    NULL);
		ASSERT_TRUE(etcd_body_put(big, 0, "v", 1, 0) == NULL);
		free(big);
	}
}

NBTEST(prefix_end)
{
	uint8_t out[8];

	ASSERT_EQ(etcd_prefix_end((const uint8_t *)"ab/", 3, out), 3);
	ASSERT_TRUE(memcmp(out, "ab0", 3) == 0);
	ASSERT_EQ(etcd_prefix_end((const uint8_t *)"a\xff\xff", 3, out), 1);
	ASSERT_EQ(out[0], 'b');
	ASSERT_EQ(etcd_prefix_end((const uint8_t *)"\xff", 1, out), 0);
}

struct seen {
	int n, deleted;
	char keys[4][64];
	char values[4][64];
	int64_t mod[4], lease[4];
	int stop_at; /* return -ECANCELED at this call (1-based), 0: never */
};

static int collect(const struct etcd_kv *kv, bool deleted, void *opaque)
{
	struct seen *s = opaque;

	if (s->n < 4) {
		snprintf(s->keys[s->n], 64, "%.*s", (int)kv->key_len,
			 (const char *)kv->key);
		if (kv->value)
			snprintf(s->values[s->n], 64, "%.*s",
				 (int)kv->value_len, (const char *)kv->value);
		else
			snprintf(s->values[s->n], 64, "(null)");
		s->mod[s->n] = kv->mod_revision;
		s->lease[s->n] = kv->lease;
	}
	s->n++;
	s->deleted += deleted;
	if (s->stop_at && s->n == s->stop_at)
		return -ECANCELED;
	return 0;
}

/* A range answer of etcd 3.4.23 (curl -d '{"key":..,"range_end":..}'). */
static const char range_answer[] =
	"{\"header\":{\"cluster_id\":\"14841639068965178418\",\"member_id\":"
	"\"10276657743932975437\",\"revision\":\"9\",\"raft_term\":\"2\"},"
	"\"kvs\":[{\"key\":\"bnNieXBhc3MvdjEvYQ==\",\"create_revision\":\"5\","
	"\"mod_revision\":\"8\",\"version\":\"4\",\"value\":\"b25l\","
	"\"lease\":\"7587877912377712911\"},{\"key\":\"bnNieXBhc3MvdjEvYg==\","
	"\"create_revision\":\"9\",\"mod_revision\":\"9\",\"version\":\"1\"}],"
	"\"count\":\"2\"}";

/* A string literal and its length. */
#define S(lit) (lit), (sizeof(lit) - 1)
#define REV3 "{\"header\":{\"revision\":\"3\"}}"
#define REV12 "{\"header\":{\"revision\":\"12\"}}"

NBTEST(range_answer)
{
	struct seen s = { 0 };
	int64_t rev = 0;

	ASSERT_OK(etcd_parse_range(range_answer, strlen(range_answer), collect,
				   &s, &rev));
	ASSERT_EQ(rev, 9);
	ASSERT_EQ(s.n, 2);
	ASSERT_STREQ(s.keys[0], "nsbypass/v1/a");
	ASSERT_STREQ(s.values[0], "one");
	ASSERT_EQ(s.mod[0], 8);
	ASSERT_EQ(s.lease[0], INT64_C(7587877912377712911));
	/* A value left out is the empty value. */
	ASSERT_STREQ(s.keys[1], "nsbypass/v1/b");
	ASSERT_STREQ(s.values[1], "");
	/* A callback's error stops the parse with it. */
	memset(&s, 0, sizeof(s));
	s.stop_at = 1;
	ASSERT_EQ(etcd_parse_range(range_answer, strlen(range_answer), collect,
				   &s, &rev),
		  -ECANCELED);
	ASSERT_EQ(s.n, 1);
	/* No kvs at all: an empty prefix. */
	memset(&s, 0, sizeof(s));
	ASSERT_OK(etcd_parse_range(REV3, strlen(REV3), collect, &s, &rev));
	ASSERT_EQ(s.n, 0);
	ASSERT_EQ(rev, 3);
}

NBTEST(hostile_answers)
{
	static const char *const bad[] = {
		"",
		"[]",
		"{\"kvs\":{}}",
		"{\"kvs\":[1]}",
		"{\"kvs\":[{\"key\":\"\"}]}",	/* no key */
		"{\"kvs\":[{\"key\":\"Zg\"}]}", /* bad base64 */
		"{\"kvs\":[{\"key\":5}]}",	/* not a string */
		"{\"kvs\":[{\"key\":\"Zg==\",\"value\":[]}]}",
		"{\"kvs\":[{\"key\":\"Zg==\",\"mod_revision\":\"1x\"}]}",
		"{\"kvs\":[{\"key\":\"Zg==\",\"mod_revision\":\"\"}]}",
		"{\"kvs\":[{\"key\":\"Zg==\",\"mod_revision\":"
		"\"99999999999999999999\"}]}",
		"{\"header\":[]}",
		"{\"header\":{\"revision\":true}}",
		"{\"kvs\":[]} x",
		"{\"kvs\":[]}\0",
	};
	struct seen s = { 0 };
	int64_t rev;

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		size_t len = strlen(bad[i]) + (i == 14 ? 1 : 0);

		if (etcd_parse_range(bad[i], len, collect, &s, &rev) !=
		    -EINVAL) {
			printf("# accepted: %s\n", bad[i]);
			nbtest_fail(__FILE__, __LINE__, "not refused");
		}
	}
	/* A key over ETCD_KEY_MAX is refused. */
	{
		size_t n = ETCD_KEY_MAX + 3;
		char *key = malloc(n), *enc = malloc(BASE64_LEN(n) + 1);
		char *body = malloc(BASE64_LEN(n) + 64);

		ASSERT_TRUE(key && enc && body);
		memset(key, 'k', n);
		base64_encode(key, n, enc, BASE64_LEN(n) + 1);
		sprintf(body, "{\"kvs\":[{\"key\":\"%s\"}]}", enc);
		ASSERT_EQ(etcd_parse_range(body, strlen(body), collect, &s,
					   &rev),
			  -EINVAL);
		free(key);
		free(enc);
		free(body);
	}
}

NBTEST(error_answers)
{
	static const char notfound[] =
		"{\"error\":\"etcdserver: requested lease not found\","
		"\"message\":\"etcdserver: requested lease not found\","
		"\"code\":5}";
	static const char other[] =
		"{\"error\":\"etcdserver: no leader\",\"code\":14}";
	static const char stream_err[] =
		"{\"error\":{\"grpc_code\":5,\"http_code\":404,\"message\":"
		"\"etcdserver: requested lease not found\",\"http_status\":"
		"\"Not Found\"}}";
	int64_t rev, ttl;

	ASSERT_EQ(etcd_parse_answer(notfound, strlen(notfound), &rev), -ENOENT);
	ASSERT_EQ(etcd_parse_answer(other, strlen(other), &rev), -EIO);
	ASSERT_EQ(etcd_parse_keepalive(stream_err, strlen(stream_err), &ttl),
		  -ENOENT);
	ASSERT_OK(etcd_parse_answer(REV12, strlen(REV12), &rev));
	ASSERT_EQ(rev, 12);
}

NBTEST(lease_answers)
{
	static const char grant[] =
		"{\"header\":{\"cluster_id\":\"1\",\"member_id\":\"2\","
		"\"revision\":\"4\",\"raft_term\":\"2\"},"
		"\"ID\":\"7587877912377712911\",\"TTL\":\"15\"}";
	static const char kept[] =
		"{\"result\":{\"header\":{\"revision\":\"4\"},"
		"\"ID\":\"7587877912377712911\",\"TTL\":\"15\"}}";
	static const char gone[] =
		"{\"result\":{\"header\":{\"revision\":\"4\"},"
		"\"ID\":\"7587877912377712911\"}}";
	int64_t id = 0, ttl = 0;

	ASSERT_OK(etcd_parse_grant(grant, strlen(grant), &id, &ttl));
	ASSERT_EQ(id, INT64_C(7587877912377712911));
	ASSERT_EQ(ttl, 15);
	ASSERT_EQ(etcd_parse_grant(S("{\"TTL\":\"15\"}"), &id, &ttl), -EINVAL);
	ASSERT_OK(etcd_parse_keepalive(kept, strlen(kept), &ttl));
	ASSERT_EQ(ttl, 15);
	/* etcd leaves the TTL out when the lease is gone. */
	ASSERT_OK(etcd_parse_keepalive(gone, strlen(gone), &ttl));
	ASSERT_EQ(ttl, 0);
	ASSERT_EQ(etcd_parse_keepalive(S("{\"TTL\":\"15\"}"), &ttl), -EINVAL);
}

NBTEST(watch_lines)
{
	static const char created[] =
		"{\"result\":{\"header\":{\"cluster_id\":\"1\",\"member_id\":"
		"\"2\",\"revision\":\"9\",\"raft_term\":\"2\"},\"created\":true}}";
	/* A PUT has no "type" (its zero value); a DELETE has no value. */
	static const char events[] =
		"{\"result\":{\"header\":{\"revision\":\"11\"},\"events\":["
		"{\"kv\":{\"key\":\"bnNieXBhc3MvdjEvYQ==\",\"create_revision\":"
		"\"5\",\"mod_revision\":\"10\",\"version\":\"5\",\"value\":"
		"\"dHdv\",\"lease\":\"7\"}},{\"type\":\"DELETE\",\"kv\":{\"key\":"
		"\"bnNieXBhc3MvdjEvYg==\",\"mod_revision\":\"11\"}}]}}";
	static const char progress[] =
		"{\"result\":{\"header\":{\"revision\":\"20\"}}}";
	static const char canceled[] =
		"{\"result\":{\"header\":{\"revision\":\"30\"},\"canceled\":true,"
		"\"compact_revision\":\"25\"}}";
	struct etcd_watch_msg m;
	struct seen s = { 0 };

	ASSERT_OK(etcd_parse_watch(created, strlen(created), collect, &s, &m));
	ASSERT_EQ(m.kind, ETCD_WATCH_CREATED);
	ASSERT_EQ(m.revision, 9);
	ASSERT_OK(etcd_parse_watch(events, strlen(events), collect, &s, &m));
	ASSERT_EQ(m.kind, ETCD_WATCH_EVENTS);
	ASSERT_EQ(m.revision, 11);
	ASSERT_EQ(s.n, 2);
	ASSERT_EQ(s.deleted, 1);
	ASSERT_STREQ(s.values[0], "two");
	ASSERT_STREQ(s.keys[1], "nsbypass/v1/b");
	ASSERT_STREQ(s.values[1], "(null)");
	ASSERT_EQ(s.mod[1], 11);
	ASSERT_OK(
		etcd_parse_watch(progress, strlen(progress), collect, &s, &m));
	ASSERT_EQ(m.kind, ETCD_WATCH_PROGRESS);
	ASSERT_EQ(m.revision, 20);
	ASSERT_OK(
		etcd_parse_watch(canceled, strlen(canceled), collect, &s, &m));
	ASSERT_EQ(m.kind, ETCD_WATCH_CANCELED);
	ASSERT_EQ(m.compact_revision, 25);
	/* An unknown event type, an event without kv, a result that is
	 * not an object. */
	ASSERT_EQ(etcd_parse_watch(S("{\"result\":{\"events\":[{\"type\":"
				     "\"X\",\"kv\":{\"key\":\"Zg==\"}}]}}"),
				   collect, &s, &m),
		  -EINVAL);
	ASSERT_EQ(etcd_parse_watch(S("{\"result\":{\"events\":[{}]}}"), collect,
				   &s, &m),
		  -EINVAL);
	ASSERT_EQ(etcd_parse_watch(S("{\"result\":[]}"), collect, &s, &m),
		  -EINVAL);
}

int main(void)
{
	static const struct nbtest tests[] = {
		NBTEST_ENTRY(base64_rfc4648_vectors),
		NBTEST_ENTRY(base64_one_spelling_only),
		NBTEST_ENTRY(base64_every_byte),
		NBTEST_ENTRY(bodies),
		NBTEST_ENTRY(prefix_end),
		NBTEST_ENTRY(range_answer),
		NBTEST_ENTRY(hostile_answers),
		NBTEST_ENTRY(error_answers),
		NBTEST_ENTRY(lease_answers),
		NBTEST_ENTRY(watch_lines),
	};

	return nbtest_run(tests, ARRAY_SIZE(tests));
}
