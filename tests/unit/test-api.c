// SPDX-License-Identifier: Apache-2.0
/*
 * test-api.c - the slirp4netns API requests, as a contract test.
 *
 * The recorded request/reply pairs come from slirp4netns(1), section
 * "API SOCKET" (slirp4netns 1.2.0, Debian's
 * /usr/share/man/man1/slirp4netns.1.gz; upstream
 * rootless-containers/slirp4netns, slirp4netns.1.md).  Its example id is
 * 42, whatever that server had handed out; ours start at 1, so the pairs
 * below carry our ids.  Replies are compared as JSON values, not as text:
 * the man page puts blanks after ':' and ',', we send compact JSON.
 * The rootlesskit pair is the shape its slirp4netns port driver sends
 * (rootless-containers/rootlesskit pkg/port/slirp4netns): every field
 * always, empty strings for "no opinion", and a newline after the object
 * (Go's json.Encoder).
 *
 * Then the hostile part: malformed, oversized and unknown requests, bad
 * ports, protocols and addresses, unknown ids.  Each must get an error
 * reply and leave the table and the backend untouched.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json-probe.h"
#include "nbtest.h"
#include "s4n-api.h"
#include "s4n-hostfwd.h"
#include "util.h"

/* The backend: records calls, fails on request. */
struct backend {
	int adds, removes;
	int fail_add;
	struct hostfwd last;
};

static int be_add(void *opaque, const struct hostfwd *fwd)
{
	struct backend *b = opaque;

	if (b->fail_add)
		return b->fail_add;
	b->adds++;
	b->last = *fwd;
	return 0;
}

static int be_remove(void *opaque, const struct hostfwd *fwd)
{
	struct backend *b = opaque;

	b->removes++;
	b->last = *fwd;
	return 0;
}

static const struct hostfwd_ops ops = { .add = be_add, .remove = be_remove };

/* A table for 10.0.2.100 and, with @ipv6, fd00::100. */
static struct hostfwd_table *new_table_ex(struct backend *b, bool ipv6)
{
	struct in_addr guest;
	struct in6_addr guest6;
	struct hostfwd_table *t;

	inet_pton(AF_INET, "10.0.2.100", &guest);
	inet_pton(AF_INET6, "fd00::100", &guest6);
	t = hostfwd_table_new(&ops, b, guest, ipv6 ? &guest6 : NULL);
	ASSERT_TRUE(t != NULL);
	return t;
}

static struct hostfwd_table *new_table(struct backend *b)
{
	return new_table_ex(b, false);
}

/* Send @len bytes of @req; the reply must equal @want as JSON. */
#define EXPECT_REPLY_LEN(t, req, len, want) \
	expect_reply(__LINE__, t, req, len, want)
#define EXPECT_REPLY(t, req, want) EXPECT_REPLY_LEN(t, req, strlen(req), want)

static void expect_reply(int line, struct hostfwd_table *t, const char *req,
			 size_t len, const char *want)
{
	char *reply = api_handle(t, req, len);
	json_object *got, *exp;
	bool same;

	if (!reply)
		nbtest_fail(__FILE__, line, "no reply");
	got = json_tokener_parse(reply);
	exp = json_tokener_parse(want);
	ASSERT_TRUE(exp != NULL);
	same = got && json_object_equal(got, exp);
	json_object_put(got);
	json_object_put(exp);
	if (!same) {
		printf("# got  %s\n# want %s\n", reply, want);
		free(reply);
		nbtest_fail(__FILE__, line, "reply differs");
	}
	free(reply);
}

/* Send @len bytes of @req; the reply must be {"error":{"desc":"..."}}. */
#define EXPECT_ERROR_LEN(t, req, len) expect_error(__LINE__, t, req, len, NULL)
#define EXPECT_ERROR(t, req) EXPECT_ERROR_LEN(t, req, strlen(req))
#define EXPECT_ERROR_DESC(t, req, part) \
	expect_error(__LINE__, t, req, strlen(req), part)

/* The reply to @len bytes of @req (SIZE_MAX: strlen) is an error whose
 * text starts with @words. */
static void expect_words(int line, struct hostfwd_table *t, const char *req,
			 size_t len, const char *words)
{
	char *reply = api_handle(t, req, len == SIZE_MAX ? strlen(req) : len);
	json_object *o = reply ? json_tokener_parse(reply) : NULL, *e, *d;
	bool ok = o && json_object_object_get_ex(o, "error", &e) &&
		  json_object_object_get_ex(e, "desc", &d) &&
		  json_object_is_type(d, json_type_string) &&
		  strncmp(json_object_get_string(d), words, strlen(words)) == 0;

	json_object_put(o);
	if (!ok) {
		printf("# reply %s\n# want  %s...\n", reply ? reply : "(none)",
		       words);
		free(reply);
		nbtest_fail(__FILE__, line, "not slirp4netns's words");
	}
	free(reply);
}

static void expect_error(int line, struct hostfwd_table *t, const char *req,
			 size_t len, const char *part)
{
	char *reply = api_handle(t, req, len);
	json_object *o, *e, *d;
	bool ok;

	if (!reply)
		nbtest_fail(__FILE__, line, "no reply");
	o = json_tokener_parse(reply);
	ok = o && json_object_is_type(o, json_type_object) &&
	     json_object_object_length(o) == 1 &&
	     json_object_object_get_ex(o, "error", &e) &&
	     json_object_is_type(e, json_type_object) &&
	     json_object_object_get_ex(e, "desc", &d) &&
	     json_object_is_type(d, json_type_string) &&
	     json_object_get_string_len(d) > 0 &&
	     (!part || strstr(json_object_get_string(d), part));
	json_object_put(o);
	if (!ok) {
		printf("# request (%zu bytes) %.200s\n# reply %s\n", len, req,
		       reply);
		free(reply);
		nbtest_fail(__FILE__, line, "not the error reply wanted");
	}
	free(reply);
}

/* After bad requests: nothing changed. */
static void expect_untouched(struct hostfwd_table *t, struct backend *b)
{
	ASSERT_EQ(b->adds, 0);
	ASSERT_EQ(b->removes, 0);
	ASSERT_EQ(hostfwd_count(t), 0);
}

NBTEST(man_page_pairs)
{
	struct backend b = { 0 };
	struct hostfwd_table *t = new_table(&b);

	/* slirp4netns(1): "add_hostfwd: Expose a port (IPv4 only)" */
	EXPECT_REPLY(t,
		     "{\"execute\": \"add_hostfwd\", \"arguments\": {\"proto\": "
		     "\"tcp\", \"host_addr\": \"0.0.0.0\", \"host_port\": 8080, "
		     "\"guest_addr\": \"10.0.2.100\", \"guest_port\": 80}}",
		     "{\"return\": {\"id\": 1}}");
	ASSERT_EQ(b.adds, 1);
	ASSERT_EQ(b.last.udp, false);
	ASSERT_EQ(b.last.host.sa.sa_family, AF_INET);
	ASSERT_EQ(b.last.host.in.sin_addr.s_addr, htonl(INADDR_ANY));
	ASSERT_EQ(ntohs(b.last.host.in.sin_port), 8080);
	ASSERT_EQ(b.last.guest.in.sin_addr.s_addr, inet_addr("10.0.2.100"));
	ASSERT_EQ(ntohs(b.last.guest.in.sin_port), 80);

	/* "list_hostfwd: List exposed ports" */
	EXPECT_REPLY(t, "{\"execute\": \"list_hostfwd\"}",
		     "{\"return\": {\"entries\": [{\"id\": 1, \"proto\": \"tcp\", "
		     "\"host_addr\": \"0.0.0.0\", \"host_port\": 8080, "
		     "\"guest_addr\": \"10.0.2.100\", \"guest_port\": 80}]}}");

	/* "remove_hostfwd: Remove an exposed port" */
	EXPECT_REPLY(
		t,
		"{\"execute\": \"remove_hostfwd\", \"arguments\": {\"id\": 1}}",
		"{\"return\": {}}");
	ASSERT_EQ(b.removes, 1);
	EXPECT_REPLY(t, "{\"execute\": \"list_hostfwd\"}",
		     "{\"return\": {\"entries\": []}}");
	hostfwd_table_free(t);
}

NBTEST(man_page_defaults)
{
	struct backend b = { 0 };
	struct hostfwd_table *t = new_table(&b);

	/* "If host_addr is not specified, then it defaults to "0.0.0.0".
	 * If guest_addr is not specified, then it will be set to the
	 * default address that corresponds to --configure." */
	EXPECT_REPLY(
		t,
		"{\"execute\":\"add_hostfwd\",\"arguments\":{\"proto\":\"udp\","
		"\"host_port\":5353,\"guest_port\":53}}",
		"{\"return\":{\"id\":1}}");
	EXPECT_REPLY(t, "{\"execute\":\"list_hostfwd\"}",
		     "{\"return\":{\"entries\":[{\"id\":1,\"proto\":\"udp\","
		     "\"host_addr\":\"0.0.0.0\",\"host_port\":5353,"
		     "\"guest_addr\":\"10.0.2.100\",\"guest_port\":53}]}}");
	ASSERT_EQ(b.last.udp, true);
	hostfwd_table_free(t);
}

NBTEST(rootlesskit_shape)
{
	struct backend b = { 0 };
	struct hostfwd_table *t = new_table(&b);

	EXPECT_REPLY(
		t,
		"{\"execute\":\"add_hostfwd\",\"arguments\":{\"proto\":\"tcp\","
		"\"host_addr\":\"\",\"host_port\":8080,\"guest_addr\":\"\","
		"\"guest_port\":80}}\n",
		"{\"return\":{\"id\":1}}");
	EXPECT_REPLY(
		t,
		"{\"execute\":\"add_hostfwd\",\"arguments\":{\"proto\":\"tcp\","
		"\"host_addr\":\"127.0.0.1\",\"host_port\":8081,"
		"\"guest_addr\":\"10.0.2.100\",\"guest_port\":81}}\n",
		"{\"return\":{\"id\":2}}");
	EXPECT_REPLY(
		t,
		"{\"execute\":\"remove_hostfwd\",\"arguments\":{\"id\":1}}\n",
		"{\"return\":{}}");
	EXPECT_REPLY(t, "{\"execute\":\"list_hostfwd\"}",
		     "{\"return\":{\"entries\":[{\"id\":2,\"proto\":\"tcp\","
		     "\"host_addr\":\"127.0.0.1\",\"host_port\":8081,"
		     "\"guest_addr\":\"10.0.2.100\",\"guest_port\":81}]}}");
	hostfwd_table_free(t);
}

/* An add_hostfwd whose arguments are @args. */
static void expect_add_error(int line, struct hostfwd_table *t,
			     const char *args, const char *part)
{
	char req[512];

	snprintf(req, sizeof(req),
		 "{\"execute\":\"add_hostfwd\",\"arguments\":%s}", args);
	expect_error(line, t, req, strlen(req), part);
}

#define EXPECT_ADD_ERROR(t, args, part) \
	expect_add_error(__LINE__, t, args, part)

NBTEST(ipv6_host_addr)
{
	static const char *const bad6[] = {
		"::", "::1", "ff02::1", "::ffff:10.0.2.100", "fd00::100/64",
	};
	struct backend b = { 0 };
	struct hostfwd_table *t = new_table_ex(&b, true);
	const char *v6 = "{\"execute\":\"add_hostfwd\",\"arguments\":{\"proto\":"
			 "\"tcp\",\"host_addr\":\"::\",\"host_port\":8080,"
			 "\"guest_port\":80}}";

	/* With --enable-ipv6: to the container's IPv6 address. */
	EXPECT_REPLY(t, v6, "{\"return\":{\"id\":1}}");
	ASSERT_EQ(b.last.host.sa.sa_family, AF_INET6);
	ASSERT_EQ(ntohs(b.last.host.in6.sin6_port), 8080);
	ASSERT_EQ(b.last.guest.sa.sa_family, AF_INET6);
	/* The same port on IPv4 is another forward. */
	EXPECT_REPLY(
		t,
		"{\"execute\":\"add_hostfwd\",\"arguments\":{\"proto\":\"tcp\","
		"\"host_port\":8080,\"guest_port\":80}}",
		"{\"return\":{\"id\":2}}");
	EXPECT_REPLY(
		t,
		"{\"execute\":\"add_hostfwd\",\"arguments\":{\"proto\":\"tcp\","
		"\"host_addr\":\"::1\",\"host_port\":8081,"
		"\"guest_addr\":\"fd00::abcd\",\"guest_port\":81}}",
		"{\"return\":{\"id\":3}}");
	EXPECT_REPLY(t, "{\"execute\":\"list_hostfwd\"}",
		     "{\"return\":{\"entries\":["
		     "{\"id\":1,\"proto\":\"tcp\",\"host_addr\":\"::\","
		     "\"host_port\":8080,\"guest_addr\":\"fd00::100\","
		     "\"guest_port\":80},"
		     "{\"id\":2,\"proto\":\"tcp\",\"host_addr\":\"0.0.0.0\","
		     "\"host_port\":8080,\"guest_addr\":\"10.0.2.100\","
		     "\"guest_port\":80},"
		     "{\"id\":3,\"proto\":\"tcp\",\"host_addr\":\"::1\","
		     "\"host_port\":8081,\"guest_addr\":\"fd00::abcd\","
		     "\"guest_port\":81}]}}");
	/* UDP over IPv6, and mixed families, are refused. */
	EXPECT_ERROR_DESC(t,
			  "{\"execute\":\"add_hostfwd\",\"arguments\":{\"proto\":"
			  "\"udp\",\"host_addr\":\"::\",\"host_port\":5353,"
			  "\"guest_port\":53}}",
			  "IPv4 only");
	EXPECT_ERROR_DESC(t,
			  "{\"execute\":\"add_hostfwd\",\"arguments\":{\"proto\":"
			  "\"tcp\",\"host_addr\":\"::\",\"host_port\":9000,"
			  "\"guest_addr\":\"10.0.2.100\",\"guest_port\":80}}",
			  "guest_addr");
	for (size_t i = 0; i < ARRAY_SIZE(bad6); i++) {
		char args[256];

		snprintf(args, sizeof(args),
			 "{\"proto\":\"tcp\",\"host_addr\":\"::\",\"host_port\":"
			 "9001,\"guest_addr\":\"%s\",\"guest_port\":80}",
			 bad6[i]);
		EXPECT_ADD_ERROR(t, args, "guest_addr");
	}
	ASSERT_EQ(b.adds, 3);
	hostfwd_table_free(t);

	/* Without --enable-ipv6 there is no IPv6 guest to forward to. */
	memset(&b, 0, sizeof(b));
	t = new_table(&b);
	EXPECT_ERROR_DESC(t, v6, "--enable-ipv6");
	expect_untouched(t, &b);
	hostfwd_table_free(t);
}

NBTEST(malformed)
{
	static const char *const bad[] = {
		"",
		" ",
		"garbage",
		"{",
		"}",
		"{\"execute\":\"list_hostfwd\"",
		"{\"execute\":\"list_hostfwd\"} trailing",
		"{\"execute\":\"list_hostfwd\"}{\"execute\":\"list_hostfwd\"}",
		"{'execute':'list_hostfwd'}",
		"{\"execute\":\"list_hostfwd\",}",
		"{execute:\"list_hostfwd\"}",
		"[1,2]",
		"\"list_hostfwd\"",
		"42",
		"null",
		"true",
		"{\"execute\":\"list\\u0000hostfwd\"}",
		"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]"
		"]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
		"{\"a\":{\"b\":{\"c\":{\"d\":{\"e\":{\"f\":{\"g\":{\"h\":{\"i\":"
		"{}}}}}}}}},\"execute\":\"list_hostfwd\"}",
	};
	struct backend b = { 0 };
	struct hostfwd_table *t = new_table(&b);

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		EXPECT_ERROR(t, bad[i]);
	/* Bytes the C string cannot show: NULs and invalid UTF-8. */
	EXPECT_ERROR_LEN(t, "{\"execute\":\"list_hostfwd\"}\0", 27);
	EXPECT_ERROR_LEN(t, "\0{\"execute\":\"list_hostfwd\"}", 27);
	EXPECT_ERROR_LEN(t, "{\"execute\":\"list_\0hostfwd\"}", 27);
	EXPECT_ERROR(t, "{\"execute\":\"list_hostfwd\",\"x\":\"\xff\xfe\"}");
	EXPECT_ERROR_DESC(t, "garbage", "cannot parse JSON");
	expect_untouched(t, &b);
	hostfwd_table_free(t);
}

NBTEST(oversized)
{
	struct backend b = { 0 };
	struct hostfwd_table *t = new_table(&b);
	static char req[API_REQUEST_MAX + 16];
	const char *list = "{\"execute\":\"list_hostfwd\"}";

	/* Blanks after a valid request: 4095 bytes pass, 4096 do not. */
	memset(req, ' ', sizeof(req) - 1);
	memcpy(req, list, strlen(list));
	EXPECT_REPLY_LEN(t, req, API_REQUEST_MAX - 1,
			 "{\"return\":{\"entries\":[]}}");
	EXPECT_ERROR_LEN(t, req, API_REQUEST_MAX);
	EXPECT_ERROR_DESC(t, req, "too large message"); /* all of it */
	hostfwd_table_free(t);
}

NBTEST(unknown_execute)
{
	static const char *const bad[] = {
		"{}",
		"{\"arguments\":{}}",
		"{\"execute\":\"foo\"}",
		"{\"execute\":\"ADD_HOSTFWD\"}",
		"{\"execute\":\"\"}",
		"{\"execute\":42}",
		"{\"execute\":null}",
		"{\"execute\":[\"list_hostfwd\"]}",
		"{\"execute\":\"list_hostfwd \"}",
		"{\"execute\":\"list_hostfwd\",\"arguments\":[]}",
		"{\"execute\":\"list_hostfwd\",\"arguments\":\"x\"}",
	};
	struct backend b = { 0 };
	struct hostfwd_table *t = new_table(&b);

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		EXPECT_ERROR(t, bad[i]);
	EXPECT_ERROR_DESC(t, "{\"execute\":\"foo\"}", "unknown execute");
	expect_untouched(t, &b);
	hostfwd_table_free(t);
}

NBTEST(bad_arguments)
{
	struct backend b = { 0 };
	struct hostfwd_table *t = new_table(&b);

	/* slirp4netns 1.2.0 crashes on this one. */
	EXPECT_ERROR(t, "{\"execute\":\"add_hostfwd\"}");
	EXPECT_ERROR(t, "{\"execute\":\"add_hostfwd\",\"arguments\":null}");
	EXPECT_ADD_ERROR(t, "{}", "proto");
	EXPECT_ADD_ERROR(t, "[1]", "arguments");
	expect_untouched(t, &b);
	hostfwd_table_free(t);
}

NBTEST(bad_ports)
{
	static const char *const bad[] = {
		"0",
		"65536",
		"-1",
		"80.5",
		"8.0e1",
		"1e3",
		"\"80\"",
		"true",
		"null",
		"[80]",
		"{}",
		"99999999999999999999",
		"18446744073709551617",
		"-9223372036854775809",
	};
	/* Beyond 64 bits: refused by the field's name, or (newer json-c)
	 * as a document that cannot be parsed; see json-probe.h. */
	const size_t first_huge = ARRAY_SIZE(bad) - 3;
	const bool by_name = json_reads_huge_integers();
	struct backend b = { 0 };
	struct hostfwd_table *t = new_table(&b);
	char args[256];

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		snprintf(args, sizeof(args),
			 "{\"proto\":\"tcp\",\"host_port\":%s,\"guest_port\":80}",
			 bad[i]);
		EXPECT_ADD_ERROR(t, args,
				 i < first_huge || by_name ?
					 "host_port" :
					 "cannot parse JSON");
		snprintf(args, sizeof(args),
			 "{\"proto\":\"tcp\",\"host_port\":8080,\"guest_port\":%s}",
			 bad[i]);
		EXPECT_ADD_ERROR(t, args,
				 i < first_huge || by_name ?
					 "guest_port" :
					 "cannot parse JSON");
	}
	EXPECT_ADD_ERROR(t, "{\"proto\":\"tcp\",\"guest_port\":80}",
			 "host_port");
	EXPECT_ADD_ERROR(t, "{\"proto\":\"tcp\",\"host_port\":80}",
			 "guest_port");
	expect_untouched(t, &b);
	/* The edges are fine. */
	EXPECT_REPLY(
		t,
		"{\"execute\":\"add_hostfwd\",\"arguments\":{\"proto\":\"tcp\","
		"\"host_port\":65535,\"guest_port\":1}}",
		"{\"return\":{\"id\":1}}");
	hostfwd_table_free(t);
}

NBTEST(bad_proto)
{
	static const char *const bad[] = {
		"\"sctp\"", "\"TCP\"",	 "\"\"",
		"\"tcp6\"", "\"tcp \"",	 "6",
		"null",	    "[\"tcp\"]", "\"tcp\\u0000\"",
	};
	struct backend b = { 0 };
	struct hostfwd_table *t = new_table(&b);
	char args[256];

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		snprintf(args, sizeof(args),
			 "{\"proto\":%s,\"host_port\":8080,\"guest_port\":80}",
			 bad[i]);
		EXPECT_ADD_ERROR(t, args, "proto");
	}
	EXPECT_ADD_ERROR(t, "{\"host_port\":8080,\"guest_port\":80}", "proto");
	expect_untouched(t, &b);
	hostfwd_table_free(t);
}

NBTEST(bad_addresses)
{
	static const char *const bad_host[] = {
		"\"localhost\"",
		"\"1.2.3\"",
		"\"0.0.0.0/0\"",
		"\"1.2.3.4 \"",
		"\"::ffff:1.2.3.4.5\"",
		"\"fe80::1%lo\"",
		"1234",
		"[]",
		"\"0.0.0.0\\u0000x\"",
	};
	static const char *const bad_guest[] = {
		"\"fd00::100\"",
		"\"::\"",
		"\"127.0.0.1\"",
		"\"0.0.0.0\"",
		"\"224.0.0.1\"",
		"\"255.255.255.255\"",
		"\"240.0.0.1\"",
		"\"abc\"",
		"\"10.0.2.100/24\"",
		"100",
		"{}",
	};
	struct backend b = { 0 };
	struct hostfwd_table *t = new_table(&b);
	char args[256];

	for (size_t i = 0; i < ARRAY_SIZE(bad_host); i++) {
		snprintf(args, sizeof(args),
			 "{\"proto\":\"tcp\",\"host_addr\":%s,\"host_port\":8080,"
			 "\"guest_port\":80}",
			 bad_host[i]);
		EXPECT_ADD_ERROR(t, args, "host_addr");
	}
	for (size_t i = 0; i < ARRAY_SIZE(bad_guest); i++) {
		snprintf(args, sizeof(args),
			 "{\"proto\":\"tcp\",\"host_port\":8080,\"guest_addr\":%s,"
			 "\"guest_port\":80}",
			 bad_guest[i]);
		EXPECT_ADD_ERROR(t, args, "guest_addr");
	}
	expect_untouched(t, &b);
	hostfwd_table_free(t);
}

NBTEST(unknown_ids)
{
	static const char *const bad[] = {
		"{\"id\":99}",	"{\"id\":0}",
		"{\"id\":-1}",	"{\"id\":\"1\"}",
		"{\"id\":1.0}", "{\"id\":null}",
		"{}",		"{\"id\":4294967296}",
	};
	struct backend b = { 0 };
	struct hostfwd_table *t = new_table(&b);
	char req[256];

	EXPECT_REPLY(
		t,
		"{\"execute\":\"add_hostfwd\",\"arguments\":{\"proto\":\"tcp\","
		"\"host_port\":8080,\"guest_port\":80}}",
		"{\"return\":{\"id\":1}}");
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		snprintf(req, sizeof(req),
			 "{\"execute\":\"remove_hostfwd\",\"arguments\":%s}",
			 bad[i]);
		EXPECT_ERROR_DESC(t, req, "arguments.id");
	}
	EXPECT_ERROR(t, "{\"execute\":\"remove_hostfwd\"}");
	ASSERT_EQ(b.removes, 0);
	ASSERT_EQ(hostfwd_count(t), 1);
	/* A removed id is unknown from then on. */
	EXPECT_REPLY(t,
		     "{\"execute\":\"remove_hostfwd\",\"arguments\":{\"id\":1}}",
		     "{\"return\":{}}");
	EXPECT_ERROR_DESC(
		t, "{\"execute\":\"remove_hostfwd\",\"arguments\":{\"id\":1}}",
		"no forward has id 1");
	hostfwd_table_free(t);
}

NBTEST(backend_errors)
{
	struct backend b = { .fail_add = -EACCES };
	struct hostfwd_table *t = new_table(&b);
	const char *add =
		"{\"execute\":\"add_hostfwd\",\"arguments\":{\"proto\":"
		"\"tcp\",\"host_port\":80,\"guest_port\":80}}";

	EXPECT_ERROR_DESC(t, add, "Permission denied");
	b.fail_add = 0;
	EXPECT_REPLY(t, add, "{\"return\":{\"id\":1}}");
	EXPECT_ERROR_DESC(t, add, "Address already in use");
	EXPECT_REPLY(t, "{\"execute\":\"list_hostfwd\"}",
		     "{\"return\":{\"entries\":[{\"id\":1,\"proto\":\"tcp\","
		     "\"host_addr\":\"0.0.0.0\",\"host_port\":80,"
		     "\"guest_addr\":\"10.0.2.100\",\"guest_port\":80}]}}");
	hostfwd_table_free(t);
}

/*
 * slirp4netns's own texts (its api.c) start our error texts: its test
 * scripts and clients grep for them.  The request that gets each is what
 * makes slirp4netns answer it.
 */
NBTEST(slirp4netns_words)
{
	static const struct {
		const char *req, *words;
	} cases[] = {
		{ "badjson", "bad request: cannot parse JSON" },
		{ "[1]", "bad request: json_object() failed" },
		{ "{\"unexpectedjson\": 42}", "bad request: no execute found" },
		{ "{\"execute\": 42}", "bad request: no execute found" },
		{ "{\"execute\": \"bad\"}", "bad request: unknown execute" },
		{ "{\"execute\":\"add_hostfwd\",\"arguments\":{\"proto\":"
		  "\"bad\"}}",
		  "bad request: add_hostfwd: bad arguments.proto" },
		{ "{\"execute\":\"add_hostfwd\",\"arguments\":{\"proto\":"
		  "\"tcp\",\"host_addr\":\"x\",\"host_port\":80,"
		  "\"guest_port\":80}}",
		  "bad request: add_hostfwd: bad arguments.host_addr" },
		{ "{\"execute\":\"add_hostfwd\",\"arguments\":{\"proto\":"
		  "\"tcp\",\"guest_port\":80}}",
		  "bad request: add_hostfwd: bad arguments.host_port" },
		{ "{\"execute\":\"add_hostfwd\",\"arguments\":{\"proto\":"
		  "\"tcp\",\"host_port\":80,\"guest_addr\":\"x\","
		  "\"guest_port\":80}}",
		  "bad request: add_hostfwd: bad arguments.guest_addr" },
		{ "{\"execute\":\"add_hostfwd\",\"arguments\":{\"proto\":"
		  "\"tcp\",\"host_port\":80}}",
		  "bad request: add_hostfwd: bad arguments.guest_port" },
		{ "{\"execute\":\"remove_hostfwd\",\"arguments\":{\"id\":"
		  "7}}",
		  "bad request: remove_hostfwd: bad arguments.id" },
	};
	struct backend b = { .fail_add = -EADDRINUSE };
	struct hostfwd_table *t = new_table(&b);
	static char big[API_REQUEST_MAX];

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		expect_words(__LINE__, t, cases[i].req, strlen(cases[i].req),
			     cases[i].words);
	memset(big, 0, sizeof(big)); /* slirp4netns's test: /dev/zero */
	expect_words(__LINE__, t, big, sizeof(big),
		     "bad request: too large message");
	expect_words(__LINE__, t,
		     "{\"execute\":\"add_hostfwd\",\"arguments\":{\"proto\":"
		     "\"tcp\",\"host_port\":80,\"guest_port\":80}}",
		     SIZE_MAX,
		     "bad request: add_hostfwd: slirp_add_hostfwd failed");
	hostfwd_table_free(t);
}

NBTEST(error_reply_shape)
{
	char *r = api_error_reply("a \"quoted\" / desc");

	ASSERT_STREQ(r, "{\"error\":{\"desc\":\"a \\\"quoted\\\" / desc\"}}");
	free(r);
}

int main(void)
{
	static const struct nbtest tests[] = {
		NBTEST_ENTRY(man_page_pairs),
		NBTEST_ENTRY(man_page_defaults),
		NBTEST_ENTRY(rootlesskit_shape),
		NBTEST_ENTRY(ipv6_host_addr),
		NBTEST_ENTRY(malformed),
		NBTEST_ENTRY(oversized),
		NBTEST_ENTRY(unknown_execute),
		NBTEST_ENTRY(bad_arguments),
		NBTEST_ENTRY(bad_ports),
		NBTEST_ENTRY(bad_proto),
		NBTEST_ENTRY(bad_addresses),
		NBTEST_ENTRY(unknown_ids),
		NBTEST_ENTRY(backend_errors),
		NBTEST_ENTRY(slirp4netns_words),
		NBTEST_ENTRY(error_reply_shape),
	};

	return nbtest_run(tests, ARRAY_SIZE(tests));
}
