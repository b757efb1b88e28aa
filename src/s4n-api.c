// SPDX-License-Identifier: Apache-2.0
/*
 * s4n-api.c - the JSON requests of the slirp4netns API, parsed with json-c.
 *
 * The client is whoever can connect to the socket: every byte is hostile.
 * json-c parses with a depth limit, strict JSON and UTF-8 validation, and
 * the whole request must be one object (whitespace may follow it, as the
 * newline of Go's json.Encoder in rootlesskit does).  Field checks are
 * strict where slirp4netns is loose: a port must be a JSON integer from 1
 * to 65535 (slirp4netns truncates 80.5 to 80).  An empty host_addr or
 * guest_addr means the default, as in slirp4netns: rootlesskit sends
 * both fields always, empty when it has nothing to say.  Replies never
 * echo the client's strings back.  Each error's text starts with
 * slirp4netns's own words for it ("bad request: no execute found", "bad
 * request: too large message", ...), which clients and scripts look for;
 * what follows in parentheses says more.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsontext.h"
#include "s4n-api.h"
#include "util.h"

/* Deep enough for the protocol, shallow enough to stop silly input. */
#define API_JSON_DEPTH 8

static char *to_text(json_object *o)
{
	const char *s = json_object_to_json_string_ext(
		o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	char *r = s ? strdup(s) : NULL;

	json_object_put(o);
	return r;
}

char *api_error_reply(const char *desc)
{
	json_object *o = json_object_new_object(), *e;

	if (!o)
		return NULL;
	e = json_object_new_object();
	if (!e) {
		json_object_put(o);
		return NULL;
	}
	json_object_object_add(e, "desc", json_object_new_string(desc));
	json_object_object_add(o, "error", e);
	return to_text(o);
}

static char *error_reply(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

static char *error_reply(const char *fmt, ...)
{
	char desc[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(desc, sizeof(desc), fmt, ap);
	va_end(ap);
	return api_error_reply(desc);
}

/* {"return": @ret}; takes @ret. */
static char *return_reply(json_object *ret)
{
	json_object *o = json_object_new_object();

	if (!o || !ret) {
		json_object_put(o);
		json_object_put(ret);
		return NULL;
	}
	json_object_object_add(o, "return", ret);
	return to_text(o);
}

/* The string member @key of @args, NULL if absent or JSON null. */
static int get_string(json_object *args, const char *key, const char **ret)
{
	json_object *v;

	*ret = NULL;
	if (!json_object_object_get_ex(args, key, &v) || !v)
		return 0;
	if (!json_object_is_type(v, json_type_string))
		return -EINVAL;
	/* An embedded NUL would cut the string short of what was sent. */
	if (strlen(json_object_get_string(v)) !=
	    (size_t)json_object_get_string_len(v))
		return -EINVAL;
	*ret = json_object_get_string(v);
	return 0;
}

/* The integer member @key of @args, within [@min, @max]. */
static int get_int(json_object *args, const char *key, int64_t min, int64_t max,
		   int64_t *ret)
{
	json_object *v;
	int64_t n;

	if (!json_object_object_get_ex(args, key, &v) ||
	    !json_object_is_type(v, json_type_int))
		return -EINVAL;
	n = json_object_get_int64(v);
	/* A large unsigned value reads as INT64_MAX: out of range too. */
	if (n < min || n > max)
		return -EINVAL;
	*ret = n;
	return 0;
}

/* A guest address that could be a container's: unicast, not loopback,
 * not "this network". */
static bool guest_addr_is_usable(struct in_addr a)
{
	uint32_t h = ntohl(a.s_addr);

	return (h >> 24) != 0 && (h >> 24) != 127 && !IN_MULTICAST(h) &&
	       !IN_EXPERIMENTAL(h);
}

/*
 * @s, or the default when NULL or empty, as the guest address of a
 * forward from a host address of family @family.
 */
static int parse_guest(struct hostfwd_table *t, const char *s, int family,
		       union hostfwd_addr *ret)
{
	ret->sa.sa_family = (sa_family_t)family;
	if (family == AF_INET6) {
		if (!s || !*s)
			return hostfwd_default_guest6(t, &ret->in6.sin6_addr) ?
				       0 :
				       -EAFNOSUPPORT;
		return inet_pton(AF_INET6, s, &ret->in6.sin6_addr) == 1 &&
				       !IN6_IS_ADDR_UNSPECIFIED(
					       &ret->in6.sin6_addr) &&
				       !IN6_IS_ADDR_LOOPBACK(
					       &ret->in6.sin6_addr) &&
				       !IN6_IS_ADDR_MULTICAST(
					       &ret->in6.sin6_addr) &&
				       !IN6_IS_ADDR_V4MAPPED(
					       &ret->in6.sin6_addr) ?
			       0 :
			       -EINVAL;
	}
	if (!s || !*s) {
		ret->in.sin_addr = hostfwd_default_guest(t);
		return 0;
	}
	return inet_pton(AF_INET, s, &ret->in.sin_addr) == 1 &&
			       guest_addr_is_usable(ret->in.sin_addr) ?
		       0 :
		       -EINVAL;
}

static char *add_hostfwd(struct hostfwd_table *t, json_object *args)
{
	struct hostfwd fwd;
	const char *proto, *host, *guest;
	int64_t hport, gport;
	json_object *ret;
	int family, r;

	memset(&fwd, 0, sizeof(fwd));
	if (!args)
		return error_reply("bad request: add_hostfwd: bad arguments");
	if (get_string(args, "proto", &proto) < 0 || !proto ||
	    (strcmp(proto, "tcp") != 0 && strcmp(proto, "udp") != 0))
		return error_reply(
			"bad request: add_hostfwd: bad arguments.proto "
			"(want \"tcp\" or \"udp\")");
	fwd.udp = strcmp(proto, "udp") == 0;
	if (get_string(args, "host_addr", &host) < 0)
		return error_reply(
			"bad request: add_hostfwd: bad arguments.host_addr");
	if (!host || !*host)
		host = "0.0.0.0";
	if (inet_pton(AF_INET, host, &fwd.host.in.sin_addr) == 1)
		fwd.host.in.sin_family = AF_INET;
	else if (inet_pton(AF_INET6, host, &fwd.host.in6.sin6_addr) == 1)
		fwd.host.in6.sin6_family = AF_INET6;
	else
		return error_reply(
			"bad request: add_hostfwd: bad arguments.host_addr "
			"(want a numeric IPv4 or IPv6 address)");
	family = fwd.host.sa.sa_family;
	if (family == AF_INET6 && fwd.udp)
		return error_reply(
			"bad request: add_hostfwd: bad arguments.host_addr "
			"(UDP forwards are IPv4 only: libslirp 4.7 "
			"does not route IPv6 UDP replies back)");
	if (get_int(args, "host_port", 1, 65535, &hport) < 0)
		return error_reply(
			"bad request: add_hostfwd: bad arguments.host_port "
			"(want an integer from 1 to 65535)");
	if (get_string(args, "guest_addr", &guest) < 0)
		return error_reply(
			"bad request: add_hostfwd: bad arguments.guest_addr");
	r = parse_guest(t, guest, family, &fwd.guest);
	if (r == -EAFNOSUPPORT)
		return error_reply(
			"bad request: add_hostfwd: bad arguments.host_addr "
			"(an IPv6 host address needs --enable-ipv6: "
			"the forward goes to the container's IPv6 "
			"address)");
	if (r < 0)
		return error_reply(
			"bad request: add_hostfwd: bad arguments.guest_addr "
			"(want a unicast address of the host_addr's "
			"family)");
	if (get_int(args, "guest_port", 1, 65535, &gport) < 0)
		return error_reply(
			"bad request: add_hostfwd: bad arguments.guest_port "
			"(want an integer from 1 to 65535)");
	if (family == AF_INET) {
		fwd.host.in.sin_port = htons((uint16_t)hport);
		fwd.guest.in.sin_port = htons((uint16_t)gport);
	} else {
		fwd.host.in6.sin6_port = htons((uint16_t)hport);
		fwd.guest.in6.sin6_port = htons((uint16_t)gport);
	}

	r = hostfwd_add(t, &fwd);
	if (r == -ENOSPC)
		return error_reply("bad request: add_hostfwd: slirp_add_hostfwd "
				   "failed (too many forwards: at most %d)",
				   HOSTFWD_MAX);
	if (r < 0)
		return error_reply("bad request: add_hostfwd: slirp_add_hostfwd "
				   "failed (%s)",
				   strerror(-r));
	ret = json_object_new_object();
	if (ret)
		json_object_object_add(ret, "id",
				       json_object_new_int64(fwd.id));
	return return_reply(ret);
}

/* The text and port of @a. */
static int addr_text(const union hostfwd_addr *a, char *buf, size_t size)
{
	if (a->sa.sa_family == AF_INET) {
		inet_ntop(AF_INET, &a->in.sin_addr, buf, (socklen_t)size);
		return ntohs(a->in.sin_port);
	}
	inet_ntop(AF_INET6, &a->in6.sin6_addr, buf, (socklen_t)size);
	return ntohs(a->in6.sin6_port);
}

/* One entry of list_hostfwd's "entries". */
static json_object *entry_json(const struct hostfwd *f)
{
	char host[INET6_ADDRSTRLEN], guest[INET6_ADDRSTRLEN];
	json_object *e = json_object_new_object();
	int hport, gport;

	if (!e)
		return NULL;
	hport = addr_text(&f->host, host, sizeof(host));
	gport = addr_text(&f->guest, guest, sizeof(guest));
	json_object_object_add(e, "id", json_object_new_int64(f->id));
	json_object_object_add(e, "proto",
			       json_object_new_string(f->udp ? "udp" : "tcp"));
	json_object_object_add(e, "host_addr", json_object_new_string(host));
	json_object_object_add(e, "host_port", json_object_new_int(hport));
	json_object_object_add(e, "guest_addr", json_object_new_string(guest));
	json_object_object_add(e, "guest_port", json_object_new_int(gport));
	return e;
}

static char *list_hostfwd(struct hostfwd_table *t)
{
	json_object *ret = json_object_new_object();
	json_object *entries = json_object_new_array();

	if (!ret || !entries) {
		json_object_put(ret);
		json_object_put(entries);
		return NULL;
	}
	json_object_object_add(ret, "entries", entries);
	for (size_t i = 0; i < hostfwd_count(t); i++) {
		json_object *e = entry_json(hostfwd_at(t, i));

		if (!e || json_object_array_add(entries, e) < 0) {
			json_object_put(e);
			json_object_put(ret);
			return NULL;
		}
	}
	return return_reply(ret);
}

static char *remove_hostfwd(struct hostfwd_table *t, json_object *args)
{
	int64_t id;
	int r;

	if (!args || get_int(args, "id", 1, UINT_MAX, &id) < 0)
		return error_reply(
			"bad request: remove_hostfwd: bad arguments.id "
			"(want a positive integer)");
	r = hostfwd_remove(t, (unsigned int)id);
	if (r == -ENOENT)
		return error_reply("bad request: remove_hostfwd: bad arguments.id "
				   "(no forward has id %lld)",
				   (long long)id);
	if (r < 0)
		return error_reply("bad request: remove_hostfwd: "
				   "slirp_remove_hostfwd failed (%s)",
				   strerror(-r));
	return return_reply(json_object_new_object());
}

char *api_handle(struct hostfwd_table *t, const char *req, size_t len)
{
	json_object *o, *args = NULL, *exec;
	const char *name;
	char *reply;

	if (len >= API_REQUEST_MAX)
		return error_reply("bad request: too large message (a request "
				   "must be shorter than %d bytes)",
				   API_REQUEST_MAX);
	o = jsontext_parse(req, len, API_JSON_DEPTH);
	if (!o)
		return error_reply("bad request: cannot parse JSON");
	if (!json_object_is_type(o, json_type_object)) {
		reply = error_reply("bad request: json_object() failed (not a "
				    "JSON object)");
		goto out_put;
	}
	if (!json_object_object_get_ex(o, "execute", &exec) ||
	    !json_object_is_type(exec, json_type_string)) {
		reply = error_reply("bad request: no execute found (want an "
				    "\"execute\" string)");
		goto out_put;
	}
	if (json_object_object_get_ex(o, "arguments", &args) && args &&
	    !json_object_is_type(args, json_type_object)) {
		reply = error_reply(
			"bad request: \"arguments\" is not an object");
		goto out_put;
	}
	name = json_object_get_string(exec);
	if ((size_t)json_object_get_string_len(exec) != strlen(name))
		/* A name with a NUL in it is unknown too, as at the end.
		 * NOLINTNEXTLINE(bugprone-branch-clone) */
		reply = error_reply("bad request: unknown execute");
	else if (strcmp(name, "add_hostfwd") == 0)
		reply = add_hostfwd(t, args);
	else if (strcmp(name, "list_hostfwd") == 0)
		reply = list_hostfwd(t);
	else if (strcmp(name, "remove_hostfwd") == 0)
		reply = remove_hostfwd(t, args);
	else
		reply = error_reply("bad request: unknown execute");
out_put:
	json_object_put(o);
	return reply;
}
