// SPDX-License-Identifier: Apache-2.0
/*
 * daemon-api.c - the BypassSpec of bypass4netnsd's API, checked with
 * json-c, and what it maps to: the command line of `nsbypass oci`.
 *
 * The client is whoever the socket lets in (our own uid), but every byte
 * is still treated as hostile: json-c parses with a depth limit, strict
 * JSON and UTF-8 validation, strings with an embedded NUL are refused,
 * and error messages name the field, never echo its value.
 *
 * How nerdctl fills a spec (containerd/nerdctl
 * pkg/bypass4netnsutil/bypass.go): id is the 64-hex container id;
 * socketPath and pidFilePath are $XDG_RUNTIME_DIR/bypass4netns/<id[0:15]>
 * .sock and .pid; logFilePath is <state dir>/bypass4netns.log;
 * ignoreSubnets is ["127.0.0.0/8", <rootlesskit child IP>/24, "auto",
 * <the nerdctl/bypass4netns-ignore-subnets annotation>...]; portMapping
 * has one entry per published port, {protos: [<"tcp" or "udp">],
 * parentIP: <host IP, may be "">, parentPort, childPort} (childIP stays
 * ""), or is null when ignoreBind is true.  Go marshals a nil slice as
 * null, so null must be accepted wherever an array is.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon-api.h"
#include "jsontext.h"
#include "policy.h"
#include "util.h"

/* A spec is an object of arrays of objects of arrays of strings. */
#define DAEMON_JSON_DEPTH 8
/* Paths are handed to `nsbypass oci` as they are. */
#define DAEMON_PATH_MAX 4096

static const char *const route_path = "/v1/bypass";

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int daemon_path_decode(char *path)
{
	const char *in = path;
	char *out = path;
	int hi, lo;

	while (*in) {
		if (*in != '%') {
			*out++ = *in++;
			continue;
		}
		hi = hex_digit(in[1]);
		lo = hi < 0 ? -1 : hex_digit(in[2]);
		if (lo < 0)
			return -EINVAL;
		if (hi == 0 && lo == 0)
			return -EILSEQ;
		*out++ = (char)(hi << 4 | lo);
		in += 3;
	}
	*out = '\0';
	return 0;
}

enum daemon_route daemon_route(const char *method, const char *url,
			       const char **ret_id)
{
	size_t n = strlen(route_path);

	*ret_id = NULL;
	if (strncmp(url, route_path, n) != 0)
		return DAEMON_ROUTE_NOT_FOUND;
	if (url[n] == '\0') {
		if (strcmp(method, "GET") == 0)
			return DAEMON_ROUTE_LIST;
		if (strcmp(method, "POST") == 0)
			return DAEMON_ROUTE_CREATE;
		return DAEMON_ROUTE_BAD_METHOD;
	}
	/* {id}: one segment, not empty. */
	if (url[n] != '/' || url[n + 1] == '\0' || strchr(url + n + 1, '/'))
		return DAEMON_ROUTE_NOT_FOUND;
	if (strcmp(method, "DELETE") != 0)
		return DAEMON_ROUTE_BAD_METHOD;
	*ret_id = url + n + 1;
	return DAEMON_ROUTE_DELETE;
}

const char *daemon_route_allow(const char *url)
{
	return strcmp(url, route_path) == 0 ? "GET, POST" : "DELETE";
}

static bool is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9');
}

bool daemon_id_valid(const char *id)
{
	size_t n = strlen(id);

	if (n == 0 || n > DAEMON_ID_MAX || !is_alnum(id[0]))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!is_alnum(id[i]) && id[i] != '.' && id[i] != '_' &&
		    id[i] != '-')
			return false;
	return true;
}

/* "portMapping[2]" and "parentIP" make "portMapping[2].parentIP". */
#define FIELD_FMT "%s%s%s"
#define FIELD(where, key) (where), *(where) ? "." : "", (key)

/* The reason of a -EINVAL, in the caller's buffer. */
struct parse_err {
	char *buf;
	size_t len;
};

static int fail(struct parse_err *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int fail(struct parse_err *e, const char *fmt, ...)
{
	va_list ap;

	if (e->len) {
		va_start(ap, fmt);
		vsnprintf(e->buf, e->len, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/*
 * Member @key of @obj as a string: "" when absent or null, as Go leaves
 * a string field it is not given.  Adds the value to @out under @key.
 */
static int take_string(json_object *obj, const char *key, json_object *out,
		       const char *where, struct parse_err *e, const char **ret)
{
	json_object *v = NULL, *copy;
	const char *s = "";

	if (json_object_object_get_ex(obj, key, &v) && v) {
		if (!json_object_is_type(v, json_type_string))
			return fail(e, FIELD_FMT ": want a string",
				    FIELD(where, key));
		s = json_object_get_string(v);
		if (strlen(s) != (size_t)json_object_get_string_len(v))
			return fail(e, FIELD_FMT ": contains a NUL character",
				    FIELD(where, key));
	}
	copy = json_object_new_string(s);
	if (!copy || json_object_object_add(out, key, copy) < 0) {
		json_object_put(copy);
		return -ENOMEM;
	}
	*ret = json_object_get_string(copy);
	return 0;
}

/* Member @key as an integer, 0 when absent or null; added to @out. */
static int take_int(json_object *obj, const char *key, json_object *out,
		    const char *where, struct parse_err *e, int64_t *ret)
{
	json_object *v = NULL, *copy;
	int64_t n = 0;

	if (json_object_object_get_ex(obj, key, &v) && v) {
		if (!json_object_is_type(v, json_type_int))
			return fail(e, FIELD_FMT ": want an integer",
				    FIELD(where, key));
		n = json_object_get_int64(v);
	}
	copy = json_object_new_int64(n);
	if (!copy || json_object_object_add(out, key, copy) < 0) {
		json_object_put(copy);
		return -ENOMEM;
	}
	*ret = n;
	return 0;
}

/*
 * Member @key as an array: *@ret NULL when absent or null.  Adds an empty
 * array under @key to @out for the copies (*@ret_copy), or null when
 * absent, as Go marshals a nil slice.
 */
static int take_array(json_object *obj, const char *key, json_object *out,
		      const char *where, struct parse_err *e, json_object **ret,
		      json_object **ret_copy)
{
	json_object *v = NULL, *copy = NULL;

	*ret = *ret_copy = NULL;
	if (json_object_object_get_ex(obj, key, &v) && v) {
		if (!json_object_is_type(v, json_type_array))
			return fail(e, FIELD_FMT ": want an array",
				    FIELD(where, key));
		copy = json_object_new_array();
		if (!copy)
			return -ENOMEM;
	}
	if (json_object_object_add(out, key, copy) < 0) {
		json_object_put(copy);
		return -ENOMEM;
	}
	*ret = v;
	*ret_copy = copy;
	return 0;
}

static int add_member(json_object *out, const char *key, json_object *v)
{
	if (json_object_object_add(out, key, v) < 0) {
		json_object_put(v);
		return -ENOMEM;
	}
	return 0;
}

static int check_path(const char *key, const char *p, bool required,
		      struct parse_err *e)
{
	if (!*p)
		return required ? fail(e, "%s: missing", key) : 0;
	if (p[0] != '/')
		return fail(e, "%s: want an absolute path", key);
	if (strlen(p) >= DAEMON_PATH_MAX)
		return fail(e, "%s: longer than %d bytes", key,
			    DAEMON_PATH_MAX - 1);
	return 0;
}

/* "", or a numeric IPv4 or IPv6 address; @ret_family 0 for "". */
static int check_ip(const char *s, int *ret_family)
{
	unsigned char buf[sizeof(struct in6_addr)];

	*ret_family = 0;
	if (!*s)
		return 0;
	if (inet_pton(AF_INET, s, buf) == 1)
		*ret_family = AF_INET;
	else if (inet_pton(AF_INET6, s, buf) == 1)
		*ret_family = AF_INET6;
	else
		return -EINVAL;
	return 0;
}

/* Is @s one of the addresses that mean "every address"? */
static bool is_wildcard(const char *s, int family)
{
	unsigned char buf[sizeof(struct in6_addr)] = { 0 };
	static const unsigned char zero[sizeof(struct in6_addr)];

	if (family == 0)
		return true;
	inet_pton(family, s, buf);
	return memcmp(buf, zero, family == AF_INET ? 4 : 16) == 0;
}

/*
 * The protocols of Go's net.Listen that bypass4netns's openapi.yaml
 * lists, and what we publish for them.  tcp4/tcp6 and udp4/udp6 publish
 * plain tcp and udp: the host address, not the name, picks the family.
 * SCTP is not published by nsbypass.
 */
static const struct {
	const char *name;
	const char *proto;
} protos[] = {
	{ "tcp", "tcp" }, { "tcp4", "tcp" }, { "tcp6", "tcp" },
	{ "udp", "udp" }, { "udp4", "udp" }, { "udp6", "udp" },
};

/* Add the --publish spec @text to @s, unless the same one is there. */
static int add_publish(struct daemon_spec *s, struct publish_table *tab,
		       const char *text, const char *where, struct parse_err *e)
{
	struct publish p;
	int r;

	for (size_t i = 0; i < s->npublish; i++)
		if (strcmp(s->publish[i], text) == 0)
			return 0;
	if (publish_parse(text, &p) < 0)
		return fail(e, "%s: not a port mapping nsbypass can publish",
			    where);
	r = publish_add(tab, &p);
	if (r == -EEXIST)
		return fail(e, "%s: its host port is mapped twice", where);
	if (r < 0 || s->npublish >= DAEMON_PUBLISH_MAX)
		return fail(e, "portMapping: more than %d ports",
			    DAEMON_PUBLISH_MAX);
	snprintf(s->publish[s->npublish++], PUBLISH_SPEC_MAX, "%s", text);
	return 0;
}

/* One PortSpec: checked, copied to @out_arr, turned into --publish. */
static int take_port(struct daemon_spec *s, struct publish_table *tab,
		     json_object *in, size_t idx, json_object *out_arr,
		     struct parse_err *e)
{
	char where[48], text[PUBLISH_SPEC_MAX];
	const char *parent_ip, *child_ip;
	json_object *out, *arr, *list;
	int64_t parent_port, child_port;
	int family, child_family, r;
	size_t n;

	snprintf(where, sizeof(where), "portMapping[%zu]", idx);
	if (!json_object_is_type(in, json_type_object))
		return fail(e, "%s: want an object", where);
	out = json_object_new_object();
	if (!out)
		return -ENOMEM;
	if (json_object_array_add(out_arr, out) < 0) {
		json_object_put(out);
		return -ENOMEM;
	}
	r = take_array(in, "protos", out, where, e, &arr, &list);
	if (r == 0)
		r = take_string(in, "parentIP", out, where, e, &parent_ip);
	if (r == 0)
		r = take_int(in, "parentPort", out, where, e, &parent_port);
	if (r == 0)
		r = take_string(in, "childIP", out, where, e, &child_ip);
	if (r == 0)
		r = take_int(in, "childPort", out, where, e, &child_port);
	if (r < 0)
		return r;
	/* clang 14 does not follow fail(), being variadic, to its -EINVAL,
	 * so it sees a take_*() fail without a negative r.
	 * NOLINTBEGIN(clang-analyzer-core.*) */
	if (check_ip(parent_ip, &family) < 0)
		return fail(e, "%s.parentIP: want an IPv4 or IPv6 address",
			    where);
	if (check_ip(child_ip, &child_family) < 0)
		return fail(e, "%s.childIP: want an IPv4 or IPv6 address",
			    where);
	if (parent_port < 1 || parent_port > 65535)
		return fail(e, "%s.parentPort: want 1 to 65535", where);
	if (child_port < 1 || child_port > 65535)
		return fail(e, "%s.childPort: want 1 to 65535", where);
	/* NOLINTEND(clang-analyzer-core.*) */
	n = arr ? json_object_array_length(arr) : 0;
	if (n == 0)
		return fail(e, "%s.protos: want at least one protocol", where);
	for (size_t i = 0; i < n; i++) {
		json_object *p = json_object_array_get_idx(arr, i), *copy;
		const char *name = NULL;
		size_t k;

		if (json_object_is_type(p, json_type_string))
			name = json_object_get_string(p);
		for (k = 0; name && k < ARRAY_SIZE(protos); k++)
			if (strcmp(name, protos[k].name) == 0)
				break;
		if (!name || k == ARRAY_SIZE(protos))
			return fail(e,
				    "%s.protos[%zu]: want tcp, tcp4, tcp6, "
				    "udp, udp4 or udp6",
				    where, i);
		copy = json_object_new_string(name);
		if (!copy || json_object_array_add(list, copy) < 0) {
			json_object_put(copy);
			return -ENOMEM;
		}
		if (is_wildcard(parent_ip, family))
			snprintf(text, sizeof(text), "%d:%d/%s",
				 (int)parent_port, (int)child_port,
				 protos[k].proto);
		else if (family == AF_INET6)
			snprintf(text, sizeof(text), "[%s]:%d:%d/%s", parent_ip,
				 (int)parent_port, (int)child_port,
				 protos[k].proto);
		else
			snprintf(text, sizeof(text), "%s:%d:%d/%s", parent_ip,
				 (int)parent_port, (int)child_port,
				 protos[k].proto);
		r = add_publish(s, tab, text, where, e);
		if (r < 0)
			return r;
	}
	return 0;
}

static int take_ports(struct daemon_spec *s, json_object *in, json_object *out,
		      struct parse_err *e)
{
	_cleanup_free_ struct publish_table *tab = NULL;
	json_object *arr, *list;
	int r;

	r = take_array(in, "portMapping", out, "", e, &arr, &list);
	if (r < 0 || !arr)
		return r;
	tab = calloc(1, sizeof(*tab));
	if (!tab)
		return -ENOMEM;
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		r = take_port(s, tab, json_object_array_get_idx(arr, i), i,
			      list, e);
		if (r < 0)
			return r;
	}
	return 0;
}

static int take_subnets(struct daemon_spec *s, json_object *in,
			json_object *out, struct parse_err *e)
{
	json_object *arr, *list;
	size_t n;
	int r;

	r = take_array(in, "ignoreSubnets", out, "", e, &arr, &list);
	if (r < 0 || !arr)
		return r;
	n = json_object_array_length(arr);
	if (n > DAEMON_SUBNETS_MAX)
		return fail(e, "ignoreSubnets: more than %d entries",
			    DAEMON_SUBNETS_MAX);
	for (size_t i = 0; i < n; i++) {
		json_object *v = json_object_array_get_idx(arr, i), *copy;
		const char *c = NULL;
		struct cidr cidr;

		if (json_object_is_type(v, json_type_string))
			c = json_object_get_string(v);
		if (!c || (strcmp(c, "auto") != 0 && cidr_parse(c, &cidr) < 0))
			return fail(e,
				    "ignoreSubnets[%zu]: want a CIDR or "
				    "\"auto\"",
				    i);
		copy = json_object_new_string(c);
		if (!copy || json_object_array_add(list, copy) < 0) {
			json_object_put(copy);
			return -ENOMEM;
		}
		/* "auto": the container's own subnets, which `nsbypass oci`
		 * learns from the container and never bypasses. */
		if (strcmp(c, "auto") != 0)
			s->ignore[s->nignore++] = json_object_get_string(copy);
	}
	return 0;
}

static int take_spec(struct daemon_spec *s, json_object *in,
		     struct parse_err *e)
{
	json_object *out = s->json, *v = NULL;
	bool ignore_bind = false;
	int r;

	if (!json_object_is_type(in, json_type_object))
		return fail(e, "the body is not a JSON object");
	r = take_string(in, "id", out, "", e, &s->id);
	if (r == 0)
		r = take_string(in, "socketPath", out, "", e, &s->socket_path);
	if (r == 0)
		r = take_string(in, "pidFilePath", out, "", e, &s->pid_file);
	if (r == 0)
		r = take_string(in, "logFilePath", out, "", e, &s->log_file);
	if (r == 0)
		r = take_ports(s, in, out, e);
	if (r == 0)
		r = take_subnets(s, in, out, e);
	if (r < 0)
		return r;
	if (json_object_object_get_ex(in, "ignoreBind", &v) && v) {
		if (!json_object_is_type(v, json_type_boolean))
			return fail(e, "ignoreBind: want true or false");
		ignore_bind = json_object_get_boolean(v);
	}
	r = add_member(out, "ignoreBind", json_object_new_boolean(ignore_bind));
	if (r < 0)
		return r;
	s->ignore_bind = ignore_bind;

	if (!*s->id)
		return fail(e, "id: missing");
	if (!daemon_id_valid(s->id))
		return fail(e,
			    "id: want 1 to %d letters, digits, '.', '_' "
			    "or '-', starting with a letter or digit",
			    DAEMON_ID_MAX);
	r = check_path("socketPath", s->socket_path, true, e);
	if (r == 0)
		r = check_path("pidFilePath", s->pid_file, false, e);
	if (r == 0)
		r = check_path("logFilePath", s->log_file, false, e);
	if (r < 0)
		return r;
	if (!*s->pid_file)
		s->pid_file = NULL;
	if (!*s->log_file)
		s->log_file = NULL;
	return 0;
}

int daemon_spec_parse(const char *body, size_t len, struct daemon_spec **ret,
		      char *err, size_t errlen)
{
	struct parse_err e = { err, errlen };
	struct daemon_spec *s;
	json_object *in;
	int r;

	if (errlen)
		err[0] = '\0';
	if (len > DAEMON_BODY_MAX)
		return fail(&e, "the body is longer than %d bytes",
			    DAEMON_BODY_MAX);
	/* Out of memory looks the same: the client may try again. */
	in = jsontext_parse(body, len, DAEMON_JSON_DEPTH);
	if (!in)
		return fail(&e, "the body is not valid JSON");
	s = calloc(1, sizeof(*s));
	if (s)
		s->json = json_object_new_object();
	if (!s || !s->json) {
		json_object_put(in);
		daemon_spec_free(s);
		return -ENOMEM;
	}
	r = take_spec(s, in, &e);
	json_object_put(in);
	if (r < 0) {
		daemon_spec_free(s);
		return r;
	}
	*ret = s;
	return 0;
}

struct daemon_spec *daemon_spec_free(struct daemon_spec *s)
{
	if (s) {
		json_object_put(s->json);
		free(s);
	}
	return NULL;
}

char **daemon_spec_oci_argv(const struct daemon_spec *s, const char *exe)
{
	/* exe oci --listen P --ready-fd 3 --pid-file F --log-file F
	 * --ignore-bind NULL, and two per --ignore and --publish. */
	size_t max = 12 + 2 * (s->nignore + s->npublish), n = 0;
	char **argv = calloc(max, sizeof(*argv));

	if (!argv)
		return NULL;
	argv[n++] = (char *)exe;
	argv[n++] = (char *)"oci";
	argv[n++] = (char *)"--listen";
	argv[n++] = (char *)s->socket_path;
	argv[n++] = (char *)"--ready-fd";
	argv[n++] = (char *)"3";
	if (s->pid_file) {
		argv[n++] = (char *)"--pid-file";
		argv[n++] = (char *)s->pid_file;
	}
	if (s->log_file) {
		argv[n++] = (char *)"--log-file";
		argv[n++] = (char *)s->log_file;
	}
	for (size_t i = 0; i < s->nignore; i++) {
		argv[n++] = (char *)"--ignore";
		argv[n++] = (char *)s->ignore[i];
	}
	for (size_t i = 0; i < s->npublish; i++) {
		argv[n++] = (char *)"--publish";
		argv[n++] = (char *)s->publish[i];
	}
	if (s->ignore_bind)
		argv[n++] = (char *)"--ignore-bind";
	ASSERT(n < max);
	return argv;
}

json_object *daemon_status_json(const struct daemon_spec *s, pid_t pid)
{
	json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	if (add_member(o, "id", json_object_new_string(s->id)) < 0 ||
	    add_member(o, "pid", json_object_new_int(pid)) < 0 ||
	    add_member(o, "spec", json_object_get(s->json)) < 0) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

char *daemon_json_text(json_object *o)
{
	const char *t;
	char *r = NULL;

	if (!o)
		return NULL;
	t = json_object_to_json_string_ext(
		o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	if (t)
		r = strdup(t);
	json_object_put(o);
	return r;
}

char *daemon_error_json(const char *msg)
{
	json_object *o = json_object_new_object();
	_cleanup_free_ char *t = NULL;
	char *r;

	if (!o || add_member(o, "message", json_object_new_string(msg)) < 0) {
		json_object_put(o);
		return NULL;
	}
	t = daemon_json_text(o);
	if (!t || asprintf(&r, "%s\n", t) < 0)
		return NULL;
	return r;
}
