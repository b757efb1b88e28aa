/* SPDX-License-Identifier: Apache-2.0 */
/*
 * daemon-api.h - the requests of the nerdctl-compatible daemon
 * (`nsbypass daemon`), answered as pure functions: routing, parsing and
 * checking a BypassSpec, the `nsbypass oci` command line it maps to, and
 * the JSON of replies.  The HTTP glue is daemon-http.c, the processes
 * daemon-children.c.
 *
 * The API is bypass4netnsd's (rootless-containers/bypass4netns):
 *   pkg/api/daemon/router/router.go	routes, status codes, errors
 *   pkg/api/api.go			BypassSpec, PortSpec, BypassStatus,
 *					ErrorJSON (ignoreBind: bypass4netns#68)
 *   pkg/bypass4netnsd/bypass4netnsd.go	what a spec starts, "--ready-fd=3"
 * and its client is nerdctl's (containerd/nerdctl):
 *   pkg/bypass4netnsutil/bypass.go	how nerdctl fills a BypassSpec
 *   bypass4netns pkg/api/daemon/client/client.go  the HTTP requests
 *
 *   GET    /v1/bypass        200, [BypassStatus...]
 *   POST   /v1/bypass        BypassSpec -> 201, BypassStatus
 *   DELETE /v1/bypass/{id}   200, empty body
 *   errors                   {"message": "..."}
 *
 * BypassStatus is {"id", "pid", "spec"}; "spec" is the spec as Go would
 * marshal it again: every field of BypassSpec, in its order, with the
 * zero value ("", 0, null, false) for what the client left out, and
 * without fields BypassSpec does not have.
 */
#ifndef NB_DAEMON_API_H
#define NB_DAEMON_API_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "publish.h"

/* A request body must be at most this long (413 otherwise). */
#define DAEMON_BODY_MAX (64 * 1024)
/* Longest id: containerd's are 64 hex digits, its limit is 76. */
#define DAEMON_ID_MAX 128
/* Entries of "ignoreSubnets" and of the --publish specs made of
 * "portMapping": as many as `nsbypass oci` takes. */
#define DAEMON_SUBNETS_MAX 256
#define DAEMON_PUBLISH_MAX PUBLISH_MAX

enum daemon_route {
	DAEMON_ROUTE_LIST,	 /* GET /v1/bypass */
	DAEMON_ROUTE_CREATE,	 /* POST /v1/bypass */
	DAEMON_ROUTE_DELETE,	 /* DELETE /v1/bypass/{id} */
	DAEMON_ROUTE_NOT_FOUND,	 /* 404 */
	DAEMON_ROUTE_BAD_METHOD, /* 405 */
	DAEMON_ROUTE_MAX,
};

/**
 * daemon_path_decode() - percent-decode the path of a request target, in
 * place, as Go's net/http does before gorilla/mux routes it
 * @path:	the path as sent, without the query; on error, undefined
 *
 * Go answers a malformed escape with 400.  An escape that decodes to a
 * NUL byte is refused too: Go keeps the byte, but here the path is a C
 * string, and "/v1/bypass/victim%00junk" would end at the NUL and name
 * "victim".
 *
 * Return: 0, -EINVAL ('%' not followed by two hex digits) or -EILSEQ
 * (an escape that decodes to a NUL byte)
 */
int daemon_path_decode(char *path);

/**
 * daemon_route() - what a request is, as gorilla/mux routes it in
 * bypass4netnsd: exact paths, no trailing slash, {id} one non-empty path
 * segment; a known path with another method is 405.
 * @method:	"GET", "POST", ...
 * @url:	the decoded path, without the query
 * @ret_id:	for DAEMON_ROUTE_DELETE, the id (points into @url)
 */
enum daemon_route daemon_route(const char *method, const char *url,
			       const char **ret_id);

/**
 * daemon_route_allow() - the Allow header of a 405 for @url
 * Return: "GET, POST" or "DELETE"
 */
const char *daemon_route_allow(const char *url);

/** daemon_id_valid() - is @id a possible bypass id (containerd's form:
 * letters, digits, '.', '_' and '-', starting with a letter or digit,
 * 1 to DAEMON_ID_MAX characters)? */
bool daemon_id_valid(const char *id);

/*
 * A checked BypassSpec.  The strings point into @json, the spec as it
 * is answered back; what `nsbypass oci` needs is derived from it.
 */
struct daemon_spec {
	json_object *json;
	const char *id;
	const char *socket_path;
	const char *pid_file;			/* NULL when not given */
	const char *log_file;			/* NULL when not given */
	const char *ignore[DAEMON_SUBNETS_MAX]; /* without "auto" */
	size_t nignore;
	char publish[DAEMON_PUBLISH_MAX][PUBLISH_SPEC_MAX];
	size_t npublish;
	bool ignore_bind;
};

/**
 * daemon_spec_parse() - parse and check the body of POST /v1/bypass
 * @body:	the body, not NUL-terminated, any bytes
 * @len:	its length (at most DAEMON_BODY_MAX)
 * @ret:	the spec, for daemon_spec_free()
 * @err:	on -EINVAL, the reason (never echoes the client's strings)
 * @errlen:	size of @err
 *
 * The body must be one JSON object (whitespace may follow).  Fields
 * BypassSpec does not have are ignored, as Go's decoder does; a field
 * of the wrong type is an error, JSON null counts as absent.  Required:
 * "id" (daemon_id_valid()) and "socketPath".  Paths must be absolute.
 * "ignoreSubnets": CIDRs or "auto" (the container's own subnets, which
 * `nsbypass oci` never bypasses anyway: dropped).  "portMapping": each
 * entry gives one --publish per protocol of "protos" (tcp, tcp4, tcp6,
 * udp, udp4, udp6); ports 1 to 65535; "parentIP" empty, an IPv4 or an
 * IPv6 address (a wildcard one means every address), "childIP" empty
 * or an address (unused: the container's bind() picks the socket).
 *
 * Return: 0, -EINVAL with @err set, or -ENOMEM
 */
int daemon_spec_parse(const char *body, size_t len, struct daemon_spec **ret,
		      char *err, size_t errlen);

/** daemon_spec_free() - free @s (NULL is fine); returns NULL */
struct daemon_spec *daemon_spec_free(struct daemon_spec *s);

/**
 * daemon_spec_oci_argv() - the command that serves @s:
 * @exe oci --listen SOCKETPATH --ready-fd 3 [--pid-file F] [--log-file F]
 * [--ignore CIDR]... [--publish SPEC]... [--ignore-bind]
 * @s:		the spec; the strings of the result point into it
 * @exe:	argv[0]
 *
 * Return: a malloc'd NULL-terminated array (free() it, not its
 * strings), or NULL when out of memory
 */
char **daemon_spec_oci_argv(const struct daemon_spec *s, const char *exe);

/**
 * daemon_status_json() - BypassStatus {"id", "pid", "spec"} of @s
 * Return: a new json_object, or NULL when out of memory
 */
json_object *daemon_status_json(const struct daemon_spec *s, pid_t pid);

/**
 * daemon_error_json() - {"message": @msg} and a newline, as the Go
 * json.Encoder of bypass4netnsd writes it
 * Return: a malloc'd text, or NULL when out of memory
 */
char *daemon_error_json(const char *msg);

/**
 * daemon_json_text() - @o as compact JSON text; puts @o
 * Return: a malloc'd text, or NULL when out of memory (or @o is NULL)
 */
char *daemon_json_text(json_object *o);

#endif /* NB_DAEMON_API_H */
