// SPDX-License-Identifier: Apache-2.0
/*
 * test-daemon-api.c - the requests of `nsbypass daemon`, as a contract
 * test against the shapes of bypass4netnsd and nerdctl.
 *
 * Where each shape comes from:
 * - BypassSpec, PortSpec, BypassStatus, ErrorJSON: the Go structs of
 *   rootless-containers/bypass4netns pkg/api/api.go (json tags id,
 *   socketPath, pidFilePath, logFilePath, portMapping, ignoreSubnets,
 *   and ignoreBind since bypass4netns#68; protos, parentIP, parentPort,
 *   childIP, childPort; id, pid, spec; message).
 * - The request nerdctl sends: containerd/nerdctl
 *   pkg/bypass4netnsutil/bypass.go (StartBypass: the fields, the
 *   ignoreSubnets prefix ["127.0.0.0/8", <rlk child IP>/24, "auto"],
 *   portMapping only without ignoreBind, one proto per entry, childIP
 *   never set) and bypass4netnsutil.go (the socket and pid file paths:
 *   $XDG_RUNTIME_DIR/bypass4netns/<id[0:15]>.sock and .pid), marshalled by
 *   bypass4netns pkg/api/daemon/client/client.go with json.Marshal: Go
 *   field order, no newline, a nil slice as null.
 * - Routes and status codes: bypass4netns pkg/api/daemon/router/router.go
 *   (gorilla/mux: GET and POST /v1/bypass, DELETE /v1/bypass/{id}).
 * - What a spec starts: bypass4netns pkg/bypass4netnsd/bypass4netnsd.go
 *   (--ready-fd=3); our `nsbypass oci` CLI is the agreed one.
 */
#include <errno.h>
#include <json-c/json.h>
#include <string.h>

#include "daemon-api.h"
#include "json-probe.h"
#include "nbtest.h"
#include "util.h"

#define ID64 "6d9bcda7cebd551ddc9e3173d2139386e21b56b241f8459c950ef58e036f6bd8"
#define RUNDIR "/run/user/1000/bypass4netns/"
#define STATEDIR \
	"/home/u/.local/share/nerdctl/1935db59/containers/default/" ID64

/* Exactly what nerdctl's client sends for `nerdctl run -p 8080:80
 * --annotation nerdctl/bypass4netns=true` under rootlesskit with the
 * child IP 10.0.2.100. */
static const char nerdctl_body[] =
	"{\"id\":\"" ID64 "\","
	"\"socketPath\":\"" RUNDIR "6d9bcda7cebd551.sock\","
	"\"pidFilePath\":\"" RUNDIR "6d9bcda7cebd551.pid\","
	"\"logFilePath\":\"" STATEDIR "/bypass4netns.log\","
	"\"portMapping\":[{\"protos\":[\"tcp\"],\"parentIP\":\"0.0.0.0\","
	"\"parentPort\":8080,\"childIP\":\"\",\"childPort\":80}],"
	"\"ignoreSubnets\":[\"127.0.0.0/8\",\"10.0.2.0/24\",\"auto\"],"
	"\"ignoreBind\":false}";

/* The same with --annotation nerdctl/bypass4netns-ignore-bind=true: no
 * portMapping (a nil slice: null), and an extra ignored subnet from
 * the nerdctl/bypass4netns-ignore-subnets annotation. */
static const char nerdctl_ignore_bind_body[] =
	"{\"id\":\"" ID64 "\","
	"\"socketPath\":\"" RUNDIR "6d9bcda7cebd551.sock\","
	"\"pidFilePath\":\"" RUNDIR "6d9bcda7cebd551.pid\","
	"\"logFilePath\":\"" STATEDIR "/bypass4netns.log\","
	"\"portMapping\":null,"
	"\"ignoreSubnets\":[\"127.0.0.0/8\",\"10.0.2.0/24\",\"auto\","
	"\"192.168.6.0/24\"],"
	"\"ignoreBind\":true}";

static struct daemon_spec *parse_ok_len(int line, const char *body, size_t len)
{
	struct daemon_spec *s = NULL;
	char err[256];
	int r = daemon_spec_parse(body, len, &s, err, sizeof(err));

	if (r != 0) {
		printf("# body %.300s\n# error %d: %s\n", body, r, err);
		nbtest_fail(__FILE__, line, "the spec was refused");
	}
	return s;
}

static struct daemon_spec *parse_ok(int line, const char *body)
{
	return parse_ok_len(line, body, strlen(body));
}

#define PARSE_OK(body) parse_ok(__LINE__, body)

/* @got (a spec's or a reply's JSON) must equal @want as JSON. */
static void expect_json(int line, json_object *got, const char *want)
{
	json_object *exp = json_tokener_parse(want);
	bool same;

	ASSERT_TRUE(exp != NULL);
	same = json_object_equal(got, exp);
	json_object_put(exp);
	if (!same) {
		printf("# got  %s\n# want %s\n",
		       json_object_to_json_string_ext(got,
						      JSON_C_TO_STRING_PLAIN),
		       want);
		nbtest_fail(__FILE__, line, "JSON differs");
	}
}

#define EXPECT_JSON(got, want) expect_json(__LINE__, got, want)

/* @got (@n strings) must be exactly @want (NULL-terminated). */
static bool same_strings(char *const *got, size_t n, const char *const *want,
			 const char *what)
{
	size_t i;

	for (i = 0; i < n && want[i]; i++)
		if (strcmp(got[i], want[i]) != 0)
			break;
	if (i == n && !want[i])
		return true;
	printf("# %s[%zu]: got '%s', want '%s'\n", what, i,
	       i < n ? got[i] : "(end)", want[i] ? want[i] : "(end)");
	return false;
}

static void expect_argv(int line, const struct daemon_spec *s,
			const char *const *want)
{
	char **argv = daemon_spec_oci_argv(s, "nsbypass");
	size_t n = 0;
	bool same;

	ASSERT_TRUE(argv != NULL);
	while (argv[n])
		n++;
	same = same_strings(argv, n, want, "argv");
	free(argv);
	if (!same)
		nbtest_fail(__FILE__, line, "argv differs");
}

#define EXPECT_ARGV(s, ...)                                               \
	do {                                                              \
		static const char *const want_[] = { __VA_ARGS__, NULL }; \
		expect_argv(__LINE__, s, want_);                          \
	} while (0)

NBTEST(nerdctl_spec)
{
	struct daemon_spec *s = PARSE_OK(nerdctl_body);

	ASSERT_STREQ(s->id, ID64);
	ASSERT_STREQ(s->socket_path, RUNDIR "6d9bcda7cebd551.sock");
	ASSERT_STREQ(s->pid_file, RUNDIR "6d9bcda7cebd551.pid");
	ASSERT_STREQ(s->log_file, STATEDIR "/bypass4netns.log");
	ASSERT_TRUE(!s->ignore_bind);
	/* Answered back as posted: every field was there, in Go's order. */
	EXPECT_JSON(s->json, nerdctl_body);
	ASSERT_STREQ(json_object_to_json_string_ext(
			     s->json, JSON_C_TO_STRING_PLAIN |
					      JSON_C_TO_STRING_NOSLASHESCAPE),
		     nerdctl_body);
	/* "auto" is what `nsbypass oci` does anyway; 0.0.0.0 is every
	 * address, as bypass4netnsd's "-p=8080:80" has it. */
	EXPECT_ARGV(s, "nsbypass", "oci", "--listen",
		    RUNDIR "6d9bcda7cebd551.sock", "--ready-fd", "3",
		    "--pid-file", RUNDIR "6d9bcda7cebd551.pid", "--log-file",
		    STATEDIR "/bypass4netns.log", "--ignore", "127.0.0.0/8",
		    "--ignore", "10.0.2.0/24", "--publish", "8080:80/tcp");
	daemon_spec_free(s);
}

NBTEST(nerdctl_ignore_bind)
{
	struct daemon_spec *s = PARSE_OK(nerdctl_ignore_bind_body);

	ASSERT_TRUE(s->ignore_bind);
	ASSERT_EQ(s->npublish, 0);
	EXPECT_JSON(s->json, nerdctl_ignore_bind_body);
	EXPECT_ARGV(s, "nsbypass", "oci", "--listen",
		    RUNDIR "6d9bcda7cebd551.sock", "--ready-fd", "3",
		    "--pid-file", RUNDIR "6d9bcda7cebd551.pid", "--log-file",
		    STATEDIR "/bypass4netns.log", "--ignore", "127.0.0.0/8",
		    "--ignore", "10.0.2.0/24", "--ignore", "192.168.6.0/24",
		    "--ignore-bind");
	daemon_spec_free(s);
}

/* What is left out comes back as Go's zero values; what BypassSpec does
 * not have is dropped; pid and log files are optional, as in
 * bypass4netnsd, which passes them only when not empty. */
NBTEST(defaults_and_unknown_fields)
{
	struct daemon_spec *s = PARSE_OK(
		"{\"id\":\"c1\",\"socketPath\":\"/s\",\"future\":{\"x\":[1]},"
		"\"pidFilePath\":null}\n\r\n");

	ASSERT_TRUE(s->pid_file == NULL);
	ASSERT_TRUE(s->log_file == NULL);
	EXPECT_JSON(s->json,
		    "{\"id\":\"c1\",\"socketPath\":\"/s\",\"pidFilePath\":\"\","
		    "\"logFilePath\":\"\",\"portMapping\":null,"
		    "\"ignoreSubnets\":null,\"ignoreBind\":false}");
	EXPECT_ARGV(s, "nsbypass", "oci", "--listen", "/s", "--ready-fd", "3");
	daemon_spec_free(s);

	/* Empty arrays stay empty arrays; a PortSpec's missing fields come
	 * back as zero values too. */
	s = PARSE_OK("{\"id\":\"c1\",\"socketPath\":\"/s\",\"portMapping\":"
		     "[{\"protos\":[\"udp\"],\"parentPort\":53,"
		     "\"childPort\":5353}],\"ignoreSubnets\":[]}");
	EXPECT_JSON(s->json,
		    "{\"id\":\"c1\",\"socketPath\":\"/s\",\"pidFilePath\":\"\","
		    "\"logFilePath\":\"\",\"portMapping\":[{\"protos\":[\"udp\"],"
		    "\"parentIP\":\"\",\"parentPort\":53,\"childIP\":\"\","
		    "\"childPort\":5353}],\"ignoreSubnets\":[],"
		    "\"ignoreBind\":false}");
	EXPECT_ARGV(s, "nsbypass", "oci", "--listen", "/s", "--ready-fd", "3",
		    "--publish", "53:5353/udp");
	daemon_spec_free(s);
}

/* One PortSpec, as JSON, must give exactly these --publish specs. */
static void expect_publish(int line, const char *port, const char *const *want)
{
	_cleanup_free_ char *body = NULL;
	char *got[DAEMON_PUBLISH_MAX];
	struct daemon_spec *s;
	bool same;

	ASSERT_TRUE(asprintf(&body,
			     "{\"id\":\"p\",\"socketPath\":\"/s\","
			     "\"portMapping\":[%s]}",
			     port) > 0);
	s = parse_ok(line, body);
	for (size_t i = 0; i < s->npublish; i++)
		got[i] = s->publish[i];
	same = same_strings(got, s->npublish, want, port);
	daemon_spec_free(s);
	if (!same)
		nbtest_fail(__FILE__, line, "wrong --publish");
}

#define EXPECT_PUBLISH(port, ...)                                         \
	do {                                                              \
		static const char *const want_[] = { __VA_ARGS__, NULL }; \
		expect_publish(__LINE__, port, want_);                    \
	} while (0)

#define PORT(protos, ip, hp, cp)                                             \
	"{\"protos\":" protos ",\"parentIP\":\"" ip "\",\"parentPort\":" #hp \
	",\"childIP\":\"\",\"childPort\":" #cp "}"

NBTEST(port_mapping_to_publish)
{
	/* The wildcards are every address: no host address at all. */
	EXPECT_PUBLISH(PORT("[\"tcp\"]", "", 8080, 80), "8080:80/tcp");
	EXPECT_PUBLISH(PORT("[\"tcp\"]", "0.0.0.0", 8080, 80), "8080:80/tcp");
	EXPECT_PUBLISH(PORT("[\"tcp\"]", "::", 8080, 80), "8080:80/tcp");
	/* A given address stays, IPv6 in brackets. */
	EXPECT_PUBLISH(PORT("[\"tcp\"]", "127.0.0.1", 8080, 80),
		       "127.0.0.1:8080:80/tcp");
	EXPECT_PUBLISH(PORT("[\"udp\"]", "10.99.0.1", 5353, 53),
		       "10.99.0.1:5353:53/udp");
	EXPECT_PUBLISH(PORT("[\"tcp\"]", "::1", 8443, 443),
		       "[::1]:8443:443/tcp");
	EXPECT_PUBLISH(
		PORT("[\"tcp6\"]", "fd99:1234:5678:9abc:def0:1234:5678:9abc",
		     65535, 65535),
		"[fd99:1234:5678:9abc:def0:1234:5678:9abc]:65535:65535/tcp");
	/* One --publish per protocol; tcp4/tcp6/udp4/udp6 are tcp and udp;
	 * the same spec twice is one. */
	EXPECT_PUBLISH(PORT("[\"tcp\",\"udp\"]", "", 53, 53), "53:53/tcp",
		       "53:53/udp");
	EXPECT_PUBLISH(PORT("[\"tcp4\",\"tcp6\",\"udp4\",\"udp6\"]", "", 1, 2),
		       "1:2/tcp", "1:2/udp");
	EXPECT_PUBLISH(PORT("[\"tcp\"]", "", 80, 80) "," PORT("[\"tcp\"]", "",
							      80, 80),
		       "80:80/tcp");
	EXPECT_PUBLISH(PORT("[\"tcp\"]", "0.0.0.0", 80,
			    80) "," PORT("[\"tcp\"]", "", 80, 80),
		       "80:80/tcp");
	/* childIP is accepted and not used (bypass4netnsd ignores it too:
	 * the container's bind() of childPort takes the host port). */
	EXPECT_PUBLISH("{\"protos\":[\"tcp\"],\"parentPort\":80,"
		       "\"childIP\":\"10.4.0.5\",\"childPort\":8080}",
		       "80:8080/tcp");
}

/* @body must be refused with -EINVAL and a reason containing @part. */
static void expect_invalid(int line, const char *body, size_t len,
			   const char *part)
{
	struct daemon_spec *s = NULL;
	char err[256];
	int r = daemon_spec_parse(body, len, &s, err, sizeof(err));

	if (r != -EINVAL || s || !strstr(err, part)) {
		printf("# body %.200s\n# got %d '%s', want -EINVAL '...%s...'\n",
		       body, r, r == -EINVAL ? err : "", part);
		daemon_spec_free(s);
		nbtest_fail(__FILE__, line, "not refused as it must be");
	}
}

#define EXPECT_INVALID(body, part) \
	expect_invalid(__LINE__, body, strlen(body), part)
#define SPEC(rest) "{\"id\":\"c1\",\"socketPath\":\"/s\"" rest "}"

NBTEST(invalid_json)
{
	EXPECT_INVALID("", "not valid JSON");
	EXPECT_INVALID("{\"id\":", "not valid JSON");
	EXPECT_INVALID(SPEC("") "x", "not valid JSON");
	EXPECT_INVALID(SPEC("") SPEC(""), "not valid JSON");
	EXPECT_INVALID("{'id':'c1'}", "not valid JSON");
	EXPECT_INVALID("{\"id\":\"c\xff\",\"socketPath\":\"/s\"}",
		       "not valid JSON");
	EXPECT_INVALID("[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]",
		       "not valid JSON");
	EXPECT_INVALID("[]", "not a JSON object");
	EXPECT_INVALID("\"id\"", "not a JSON object");
	{
		_cleanup_free_ char *big = malloc(DAEMON_BODY_MAX + 1);

		ASSERT_TRUE(big != NULL);
		memset(big, ' ', DAEMON_BODY_MAX + 1);
		memcpy(big, SPEC(""), strlen(SPEC("")));
		expect_invalid(__LINE__, big, DAEMON_BODY_MAX + 1,
			       "longer than");
		/* At the limit, whitespace after the object is fine. */
		daemon_spec_free(parse_ok_len(__LINE__, big, DAEMON_BODY_MAX));
	}
	/* A NUL byte inside the body ends nothing: it is refused. */
	expect_invalid(__LINE__, "{\"id\":\"c1\"}\0{}", 13, "not valid JSON");
}

NBTEST(invalid_fields)
{
	static char long_id[DAEMON_ID_MAX + 32];

	EXPECT_INVALID("{\"socketPath\":\"/s\"}", "id: missing");
	EXPECT_INVALID("{\"id\":\"\",\"socketPath\":\"/s\"}", "id: missing");
	EXPECT_INVALID("{\"id\":null,\"socketPath\":\"/s\"}", "id: missing");
	EXPECT_INVALID("{\"id\":42,\"socketPath\":\"/s\"}",
		       "id: want a string");
	EXPECT_INVALID("{\"id\":\"a/b\",\"socketPath\":\"/s\"}", "id: want");
	EXPECT_INVALID("{\"id\":\"-a\",\"socketPath\":\"/s\"}", "id: want");
	EXPECT_INVALID("{\"id\":\"a b\",\"socketPath\":\"/s\"}", "id: want");
	EXPECT_INVALID("{\"id\":\"a\\u0000b\",\"socketPath\":\"/s\"}",
		       "id: contains a NUL");
	memset(long_id, 'a', DAEMON_ID_MAX + 1);
	{
		_cleanup_free_ char *b = NULL;

		ASSERT_TRUE(asprintf(&b,
				     "{\"id\":\"%s\",\"socketPath\":"
				     "\"/s\"}",
				     long_id) > 0);
		EXPECT_INVALID(b, "id: want");
	}
	EXPECT_INVALID("{\"id\":\"c1\"}", "socketPath: missing");
	EXPECT_INVALID("{\"id\":\"c1\",\"socketPath\":\"s.sock\"}",
		       "socketPath: want an absolute path");
	EXPECT_INVALID("{\"id\":\"c1\",\"socketPath\":[\"/s\"]}",
		       "socketPath: want a string");
	EXPECT_INVALID("{\"id\":\"c1\",\"socketPath\":\"/s\\u0000x\"}",
		       "socketPath: contains a NUL");
	EXPECT_INVALID(SPEC(",\"pidFilePath\":\"x.pid\""),
		       "pidFilePath: want an absolute path");
	EXPECT_INVALID(SPEC(",\"logFilePath\":\"./x.log\""),
		       "logFilePath: want an absolute path");
	EXPECT_INVALID(SPEC(",\"logFilePath\":true"),
		       "logFilePath: want a string");
	EXPECT_INVALID(SPEC(",\"ignoreBind\":\"true\""),
		       "ignoreBind: want true or false");
	EXPECT_INVALID(SPEC(",\"ignoreBind\":1"), "ignoreBind: want");
}

NBTEST(invalid_subnets)
{
	char *b;
	size_t n = 0;

	EXPECT_INVALID(SPEC(",\"ignoreSubnets\":\"10.0.0.0/8\""),
		       "ignoreSubnets: want an array");
	EXPECT_INVALID(SPEC(",\"ignoreSubnets\":[\"10.0.0.0/33\"]"),
		       "ignoreSubnets[0]: want a CIDR");
	EXPECT_INVALID(SPEC(",\"ignoreSubnets\":[\"auto\",\"garbage\"]"),
		       "ignoreSubnets[1]: want a CIDR");
	EXPECT_INVALID(SPEC(",\"ignoreSubnets\":[\"AUTO\"]"),
		       "ignoreSubnets[0]");
	EXPECT_INVALID(SPEC(",\"ignoreSubnets\":[null]"), "ignoreSubnets[0]");
	EXPECT_INVALID(SPEC(",\"ignoreSubnets\":[10]"), "ignoreSubnets[0]");
	/* One more than `nsbypass oci` takes. */
	b = malloc(64 + (DAEMON_SUBNETS_MAX + 1) * 16);
	ASSERT_TRUE(b != NULL);
	n += (size_t)sprintf(b, "{\"id\":\"c1\",\"socketPath\":\"/s\","
				"\"ignoreSubnets\":[");
	for (int i = 0; i <= DAEMON_SUBNETS_MAX; i++)
		n += (size_t)sprintf(b + n, "%s\"10.%d.%d.0/24\"", i ? "," : "",
				     i / 256, i % 256);
	sprintf(b + n, "]}");
	EXPECT_INVALID(b, "ignoreSubnets: more than");
	free(b);
}

NBTEST(invalid_ports)
{
	EXPECT_INVALID(SPEC(",\"portMapping\":{}"),
		       "portMapping: want an array");
	EXPECT_INVALID(SPEC(",\"portMapping\":[8080]"),
		       "portMapping[0]: want an object");
	EXPECT_INVALID(SPEC(",\"portMapping\":[" PORT("[\"tcp\"]", "", 1,
						      1) ",null]"),
		       "portMapping[1]: want an object");
	EXPECT_INVALID(SPEC(",\"portMapping\":[{\"parentPort\":80,"
			    "\"childPort\":80}]"),
		       "portMapping[0].protos: want at least one");
	EXPECT_INVALID(SPEC(",\"portMapping\":[" PORT("[]", "", 80, 80) "]"),
		       "portMapping[0].protos: want at least one");
	EXPECT_INVALID(SPEC(",\"portMapping\":[" PORT("\"tcp\"", "", 80,
						      80) "]"),
		       "portMapping[0].protos: want an array");
	EXPECT_INVALID(SPEC(",\"portMapping\":[" PORT("[\"sctp\"]", "", 80,
						      80) "]"),
		       "portMapping[0].protos[0]: want tcp");
	EXPECT_INVALID(SPEC(",\"portMapping\":[" PORT("[\"tcp\",\"TCP\"]", "",
						      80, 80) "]"),
		       "portMapping[0].protos[1]");
	EXPECT_INVALID(SPEC(",\"portMapping\":[" PORT("[6]", "", 80, 80) "]"),
		       "portMapping[0].protos[0]");
	EXPECT_INVALID(SPEC(",\"portMapping\":[" PORT("[\"tcp\"]", "", 0,
						      80) "]"),
		       "portMapping[0].parentPort: want 1 to 65535");
	EXPECT_INVALID(SPEC(",\"portMapping\":[" PORT("[\"tcp\"]", "", 65536,
						      80) "]"),
		       "portMapping[0].parentPort: want 1 to 65535");
	EXPECT_INVALID(SPEC(",\"portMapping\":[" PORT("[\"tcp\"]", "", -1,
						      80) "]"),
		       "portMapping[0].parentPort");
	EXPECT_INVALID(SPEC(",\"portMapping\":[" PORT("[\"tcp\"]", "", 80.5,
						      80) "]"),
		       "portMapping[0].parentPort: want an integer");
	/* Beyond 64 bits: see json-probe.h. */
	EXPECT_INVALID(SPEC(",\"portMapping\":[" PORT("[\"tcp\"]", "",
						      18446744073709551616,
						      80) "]"),
		       json_reads_huge_integers() ?
			       "portMapping[0].parentPort" :
			       "not valid JSON");
	EXPECT_INVALID(SPEC(",\"portMapping\":[" PORT("[\"tcp\"]", "", "80",
						      80) "]"),
		       "portMapping[0].parentPort: want an integer");
	EXPECT_INVALID(SPEC(",\"portMapping\":[" PORT("[\"tcp\"]", "", 80,
						      0) "]"),
		       "portMapping[0].childPort: want 1 to 65535");
	EXPECT_INVALID(SPEC(",\"portMapping\":[{\"protos\":[\"tcp\"],"
			    "\"parentPort\":80}]"),
		       "portMapping[0].childPort");
	EXPECT_INVALID(SPEC(",\"portMapping\":[" PORT("[\"tcp\"]", "localhost",
						      80, 80) "]"),
		       "portMapping[0].parentIP: want an IPv4 or IPv6");
	EXPECT_INVALID(SPEC(",\"portMapping\":[" PORT("[\"tcp\"]", "[::1]", 80,
						      80) "]"),
		       "portMapping[0].parentIP");
	EXPECT_INVALID(SPEC(",\"portMapping\":[" PORT("[\"tcp\"]", "10.0.0.1/8",
						      80, 80) "]"),
		       "portMapping[0].parentIP");
	EXPECT_INVALID(SPEC(",\"portMapping\":[{\"protos\":[\"tcp\"],"
			    "\"parentPort\":80,\"childIP\":\"c\","
			    "\"childPort\":80}]"),
		       "portMapping[0].childIP: want an IPv4 or IPv6");
	EXPECT_INVALID(SPEC(",\"portMapping\":[{\"protos\":[\"tcp\"],"
			    "\"parentIP\":1,\"parentPort\":80,"
			    "\"childPort\":80}]"),
		       "portMapping[0].parentIP: want a string");
	/* The same host port to two container ports. */
	EXPECT_INVALID(SPEC(",\"portMapping\":[" PORT("[\"tcp\"]", "", 80,
						      80) "," PORT("[\"tcp\"]",
								   "0.0.0.0",
								   80, 81) "]"),
		       "portMapping[1]: its host port is mapped twice");
}

NBTEST(too_many_ports)
{
	char *b = malloc(64 + (DAEMON_PUBLISH_MAX + 1) * 100);
	size_t n = 0;

	ASSERT_TRUE(b != NULL);
	n += (size_t)sprintf(b, "{\"id\":\"c1\",\"socketPath\":\"/s\","
				"\"portMapping\":[");
	for (int i = 1; i <= DAEMON_PUBLISH_MAX + 1; i++)
		n += (size_t)sprintf(b + n,
				     "%s{\"protos\":[\"tcp\"],"
				     "\"parentPort\":%d,\"childPort\":%d}",
				     i > 1 ? "," : "", i, i);
	sprintf(b + n, "]}");
	EXPECT_INVALID(b, "portMapping: more than");
	/* One fewer is fine. */
	sprintf(strrchr(b, '{') - 1, "]}");
	daemon_spec_free(PARSE_OK(b));
	free(b);
}

NBTEST(routes)
{
	static const struct {
		const char *method, *url;
		enum daemon_route route;
		const char *id;
	} t[] = {
		{ "GET", "/v1/bypass", DAEMON_ROUTE_LIST, NULL },
		{ "POST", "/v1/bypass", DAEMON_ROUTE_CREATE, NULL },
		{ "DELETE", "/v1/bypass/" ID64, DAEMON_ROUTE_DELETE, ID64 },
		{ "DELETE", "/v1/bypass/x.y_z-1", DAEMON_ROUTE_DELETE,
		  "x.y_z-1" },
		{ "PUT", "/v1/bypass", DAEMON_ROUTE_BAD_METHOD, NULL },
		{ "DELETE", "/v1/bypass", DAEMON_ROUTE_BAD_METHOD, NULL },
		{ "HEAD", "/v1/bypass", DAEMON_ROUTE_BAD_METHOD, NULL },
		{ "GET", "/v1/bypass/c1", DAEMON_ROUTE_BAD_METHOD, NULL },
		{ "POST", "/v1/bypass/c1", DAEMON_ROUTE_BAD_METHOD, NULL },
		{ "GET", "/", DAEMON_ROUTE_NOT_FOUND, NULL },
		{ "GET", "/v1", DAEMON_ROUTE_NOT_FOUND, NULL },
		{ "GET", "/v1/bypass/", DAEMON_ROUTE_NOT_FOUND, NULL },
		{ "DELETE", "/v1/bypass/", DAEMON_ROUTE_NOT_FOUND, NULL },
		{ "DELETE", "/v1/bypass/a/b", DAEMON_ROUTE_NOT_FOUND, NULL },
		{ "GET", "/v1/bypasses", DAEMON_ROUTE_NOT_FOUND, NULL },
		{ "GET", "/v2/bypass", DAEMON_ROUTE_NOT_FOUND, NULL },
		{ "GET", "/V1/bypass", DAEMON_ROUTE_NOT_FOUND, NULL },
		{ "GET", "", DAEMON_ROUTE_NOT_FOUND, NULL },
	};

	for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
		const char *id;
		enum daemon_route r = daemon_route(t[i].method, t[i].url, &id);

		if (r != t[i].route) {
			printf("# %s %s\n", t[i].method, t[i].url);
			ASSERT_EQ(r, t[i].route);
		}
		if (t[i].id)
			ASSERT_STREQ(id, t[i].id);
		else
			ASSERT_TRUE(id == NULL);
	}
	ASSERT_STREQ(daemon_route_allow("/v1/bypass"), "GET, POST");
	ASSERT_STREQ(daemon_route_allow("/v1/bypass/c1"), "DELETE");
}

/*
 * The path is decoded as Go's net/http decodes it before gorilla/mux
 * routes it (a malformed escape: 400), and one that decodes to a NUL
 * byte is refused: "victim%00junk" must not become the C string "victim"
 * (issue 10, point 4).
 */
NBTEST(path_decode)
{
	static const struct {
		const char *in, *out;
		int r;
	} t[] = {
		{ "/v1/bypass", "/v1/bypass", 0 },
		{ "/v1/%62ypass", "/v1/bypass", 0 },
		{ "/v1/bypass/a%2Fb", "/v1/bypass/a/b", 0 },
		{ "/%41%4a%4A%7e", "/AJJ~", 0 },
		{ "/%C3%A9", "/\xc3\xa9", 0 },
		{ "/%25", "/%", 0 },
		{ "/a+b", "/a+b", 0 },
		{ "", "", 0 },
		{ "/v1/bypass/victim%00junk", NULL, -EILSEQ },
		{ "/v1/bypass/victim%00", NULL, -EILSEQ },
		{ "%00", NULL, -EILSEQ },
		{ "/v1/bypass/%zz", NULL, -EINVAL },
		{ "/v1/bypass/%4", NULL, -EINVAL },
		{ "/v1/bypass/%", NULL, -EINVAL },
		{ "/v1/bypass/%0g", NULL, -EINVAL },
		{ "/v1/bypass/%%30%30", NULL, -EINVAL },
	};

	for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
		char buf[64];
		int r;

		snprintf(buf, sizeof(buf), "%s", t[i].in);
		r = daemon_path_decode(buf);
		if (r != t[i].r) {
			printf("# %s\n", t[i].in);
			ASSERT_EQ(r, t[i].r);
		}
		if (t[i].out)
			ASSERT_STREQ(buf, t[i].out);
	}
}

NBTEST(ids)
{
	char id[DAEMON_ID_MAX + 2];

	ASSERT_TRUE(daemon_id_valid(ID64));
	ASSERT_TRUE(daemon_id_valid("a"));
	ASSERT_TRUE(daemon_id_valid("my-container_1.2"));
	ASSERT_TRUE(!daemon_id_valid(""));
	ASSERT_TRUE(!daemon_id_valid("."));
	ASSERT_TRUE(!daemon_id_valid(".."));
	ASSERT_TRUE(!daemon_id_valid("_a"));
	ASSERT_TRUE(!daemon_id_valid("a/b"));
	ASSERT_TRUE(!daemon_id_valid("a%2fb"));
	ASSERT_TRUE(!daemon_id_valid("a\nb"));
	memset(id, 'f', DAEMON_ID_MAX);
	id[DAEMON_ID_MAX] = '\0';
	ASSERT_TRUE(daemon_id_valid(id));
	id[DAEMON_ID_MAX] = 'f';
	id[DAEMON_ID_MAX + 1] = '\0';
	ASSERT_TRUE(!daemon_id_valid(id));
}

/* BypassStatus: {"id", "pid", "spec"} (api.go), what nerdctl's client
 * decodes from a 201 and from GET. */
NBTEST(status_shape)
{
	struct daemon_spec *s = PARSE_OK(nerdctl_body);
	json_object *o = daemon_status_json(s, 4242);
	_cleanup_free_ char *want = NULL;

	ASSERT_TRUE(asprintf(&want,
			     "{\"id\":\"" ID64 "\",\"pid\":4242,"
			     "\"spec\":%s}",
			     nerdctl_body) > 0);
	EXPECT_JSON(o, want);
	json_object_put(o);
	daemon_spec_free(s);
}

/* ErrorJSON: {"message"}, with the newline of Go's json.Encoder. */
NBTEST(error_shape)
{
	char *r = daemon_error_json("a \"quoted\" / message");

	ASSERT_STREQ(r, "{\"message\":\"a \\\"quoted\\\" / message\"}\n");
	free(r);
}

/* Error messages never carry the client's strings. */
NBTEST(no_echo)
{
	static const char *const bodies[] = {
		"{\"id\":\"c1\",\"socketPath\":\"SECRET\"}",
		"{\"id\":\"SECRET!\",\"socketPath\":\"/s\"}",
		"{\"id\":\"c1\",\"socketPath\":\"/s\",\"portMapping\":"
		"[{\"protos\":[\"SECRET\"]}]}",
		"{\"id\":\"c1\",\"socketPath\":\"/s\",\"portMapping\":"
		"[{\"protos\":[\"tcp\"],\"parentIP\":\"SECRET\"}]}",
		"{\"id\":\"c1\",\"socketPath\":\"/s\",\"ignoreSubnets\":"
		"[\"SECRET\"]}",
	};

	for (size_t i = 0; i < ARRAY_SIZE(bodies); i++) {
		struct daemon_spec *s = NULL;
		char err[256];

		ASSERT_EQ(daemon_spec_parse(bodies[i], strlen(bodies[i]), &s,
					    err, sizeof(err)),
			  -EINVAL);
		ASSERT_TRUE(strstr(err, "SECRET") == NULL);
	}
}

int main(void)
{
	static const struct nbtest tests[] = {
		NBTEST_ENTRY(nerdctl_spec),
		NBTEST_ENTRY(nerdctl_ignore_bind),
		NBTEST_ENTRY(defaults_and_unknown_fields),
		NBTEST_ENTRY(port_mapping_to_publish),
		NBTEST_ENTRY(invalid_json),
		NBTEST_ENTRY(invalid_fields),
		NBTEST_ENTRY(invalid_subnets),
		NBTEST_ENTRY(invalid_ports),
		NBTEST_ENTRY(too_many_ports),
		NBTEST_ENTRY(routes),
		NBTEST_ENTRY(path_decode),
		NBTEST_ENTRY(ids),
		NBTEST_ENTRY(status_shape),
		NBTEST_ENTRY(error_shape),
		NBTEST_ENTRY(no_echo),
	};

	return nbtest_run(tests, ARRAY_SIZE(tests));
}
