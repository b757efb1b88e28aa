// SPDX-License-Identifier: Apache-2.0
/*
 * oci-state.c - the container process state JSON, parsed with json-c.
 *
 * The peer is a runtime of our own uid, but its bytes are checked as if
 * hostile: strict JSON with UTF-8 validation and a depth limit, the whole
 * text one object, every kept string bounded, NUL-free and free of
 * control characters (they end up in log lines).  The runtime-spec leaves
 * the formatting open: runc sends compact JSON, crun pretty-prints it.
 */
#include <errno.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "oci-state.h"
#include "util.h"

#define OCI_JSON_DEPTH 32

/* Is @s (of @len bytes) free of NULs and control characters? */
static bool is_clean(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	return true;
}

static bool is_id_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '+' || c == '-' ||
	       c == '.';
}

/*
 * The string member @key of @o, copied to *@ret (NULL when absent or
 * JSON null).  Return: 0, -EINVAL (not a clean string of at most @max
 * bytes) or -ENOMEM.
 */
static int dup_string(json_object *o, const char *key, size_t max, char **ret)
{
	json_object *v;
	const char *s;
	size_t len;

	*ret = NULL;
	if (!json_object_object_get_ex(o, key, &v) || !v)
		return 0;
	if (!json_object_is_type(v, json_type_string))
		return -EINVAL;
	s = json_object_get_string(v);
	len = (size_t)json_object_get_string_len(v);
	if (len > max || !is_clean(s, len))
		return -EINVAL;
	*ret = strndup(s, len);
	return *ret ? 0 : -ENOMEM;
}

/* The pid member @key of @o: 0 when absent, -1 when not a valid pid. */
static pid_t get_pid(json_object *o, const char *key)
{
	json_object *v;
	int64_t n;

	if (!json_object_object_get_ex(o, key, &v) || !v)
		return 0;
	if (!json_object_is_type(v, json_type_int))
		return -1;
	n = json_object_get_int64(v);
	return n >= 0 && n <= INT_MAX ? (pid_t)n : -1;
}

/* Is fds entry @e (a string) @name? */
static bool is_name(json_object *e, const char *name)
{
	/* The length too: "seccompFd\u0000x" is another name. */
	return json_object_get_string_len(e) == (int)strlen(name) &&
	       strcmp(json_object_get_string(e), name) == 0;
}

/* The index of @name in @fds into @ret; -ENOENT if absent, -EEXIST if
 * named twice. */
static int find_name(json_object *fds, const char *name, size_t *ret)
{
	size_t n = json_object_array_length(fds);
	bool found = false;

	for (size_t i = 0; i < n; i++) {
		if (!is_name(json_object_array_get_idx(fds, i), name))
			continue;
		if (found)
			return -EEXIST;
		found = true;
		*ret = i;
	}
	return found ? 0 : -ENOENT;
}

/* The index of "seccompFd" in the fds array of @o. */
static int find_seccomp_fd(json_object *o, struct oci_state *st,
			   const char **why)
{
	json_object *fds;
	size_t n;
	int r;

	if (!json_object_object_get_ex(o, "fds", &fds) ||
	    !json_object_is_type(fds, json_type_array)) {
		*why = "no fds array";
		return -EINVAL;
	}
	n = json_object_array_length(fds);
	if (n > OCI_FDS_MAX) {
		*why = "too many names in fds";
		return -EINVAL;
	}
	for (size_t i = 0; i < n; i++) {
		if (!json_object_is_type(json_object_array_get_idx(fds, i),
					 json_type_string)) {
			*why = "an fds entry is not a string";
			return -EINVAL;
		}
	}
	r = find_name(fds, OCI_SECCOMP_FD_NAME, &st->seccomp_fd);
	if (r < 0) {
		*why = r == -EEXIST ? "fds names seccompFd twice" :
				      "fds does not name seccompFd";
		return -EINVAL;
	}
	st->n_fds = n;
	return 0;
}

/*
 * An agent's request to be adopted (docs/design.md §6.6): nsbypassAdopt
 * with the agent's pid, and fds naming its shared memory and service
 * channel once each.
 */
static int get_adopt(json_object *o, struct oci_state *st, const char **why)
{
	json_object *adopt, *fds;
	pid_t pid;

	if (!json_object_object_get_ex(o, "nsbypassAdopt", &adopt))
		return 0;
	pid = json_object_is_type(adopt, json_type_object) ?
		      get_pid(adopt, "agentPid") :
		      -1;
	if (pid <= 0) {
		*why = "nsbypassAdopt has no valid agentPid";
		return -EINVAL;
	}
	json_object_object_get_ex(o, "fds", &fds);
	if (find_name(fds, OCI_SHM_FD_NAME, &st->shm_fd) < 0 ||
	    find_name(fds, OCI_SERVICES_FD_NAME, &st->services_fd) < 0) {
		*why = "nsbypassAdopt: fds must name nsbypassShm and "
		       "nsbypassServices once each";
		return -EINVAL;
	}
	st->adopt_agent = pid;
	return 0;
}

/* The nsbypass.* annotations of state. */
static int get_annotations(json_object *state, struct oci_state *st,
			   const char **why)
{
	json_object *a;
	int r;

	if (!json_object_object_get_ex(state, "annotations", &a) || !a)
		return 0;
	if (!json_object_is_type(a, json_type_object)) {
		*why = "state.annotations is not an object";
		return -EINVAL;
	}
	r = dup_string(a, "nsbypass.ignore", OCI_VALUE_MAX, &st->ignore);
	if (r == 0)
		r = dup_string(a, "nsbypass.publish", OCI_VALUE_MAX,
			       &st->publish);
	if (r == 0)
		r = dup_string(a, "nsbypass.ignore-bind", OCI_VALUE_MAX,
			       &st->ignore_bind);
	if (r == 0)
		r = dup_string(a, "nsbypass.c2c", OCI_VALUE_MAX, &st->c2c);
	if (r == 0)
		r = dup_string(a, "nsbypass.host-subnets", OCI_VALUE_MAX,
			       &st->host_subnets);
	if (r == -EINVAL)
		*why = "a nsbypass.* annotation is not a short plain string";
	return r;
}

static int get_id(json_object *state, struct oci_state *st, const char **why)
{
	int r = dup_string(state, "id", OCI_ID_MAX, &st->id);

	if (r == -ENOMEM)
		return r;
	if (r == 0 && st->id && st->id[0]) {
		for (const char *p = st->id; *p; p++)
			if (!is_id_char(*p))
				r = -EINVAL;
		if (r == 0)
			return 0;
	}
	*why = "state.id is missing or not a container id";
	return -EINVAL;
}

static int parse_object(json_object *o, struct oci_state *st, const char **why)
{
	json_object *state;
	pid_t pid;
	int r;

	if (!json_object_is_type(o, json_type_object)) {
		*why = "not a JSON object";
		return -EINVAL;
	}
	r = find_seccomp_fd(o, st, why);
	if (r < 0)
		return r;
	if (!json_object_object_get_ex(o, "state", &state) ||
	    !json_object_is_type(state, json_type_object)) {
		*why = "no state object";
		return -EINVAL;
	}
	r = get_id(state, st, why);
	if (r < 0)
		return r;
	/* 0 or absent: not known.  crun sends "pid": 0 with the state of an
	 * exec (1.8 and 1.28 alike); the daemon knows the container's. */
	pid = get_pid(o, "pid");
	if (pid == 0)
		pid = get_pid(state, "pid");
	if (pid < 0) {
		*why = "no valid pid";
		return -EINVAL;
	}
	st->pid = pid;
	r = dup_string(o, "metadata", OCI_VALUE_MAX, &st->metadata);
	if (r == -EINVAL)
		*why = "metadata is not a short plain string";
	if (r < 0)
		return r;
	r = get_annotations(state, st, why);
	if (r < 0)
		return r;
	return get_adopt(o, st, why);
}

int oci_state_parse(const char *buf, size_t len, struct oci_state *ret,
		    const char **ret_why)
{
	json_tokener *tok;
	json_object *o;
	size_t end;
	int r;

	memset(ret, 0, sizeof(*ret));
	*ret_why = "not valid JSON";
	if (len == 0 || len > INT_MAX) {
		*ret_why = len ? "too large" : "empty";
		return -EINVAL;
	}
	tok = json_tokener_new_ex(OCI_JSON_DEPTH);
	if (!tok)
		return -ENOMEM;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
					    JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, buf, (int)len);
	if (!o && json_tokener_get_error(tok) == json_tokener_continue)
		*ret_why = "truncated JSON";
	end = o ? json_tokener_get_parse_end(tok) : 0;
	json_tokener_free(tok);
	if (!o)
		return -EINVAL;
	for (; end < len; end++) {
		if (!strchr(" \t\r\n", buf[end])) {
			json_object_put(o);
			*ret_why = "more than one JSON value";
			return -EINVAL;
		}
	}
	r = parse_object(o, ret, ret_why);
	json_object_put(o);
	if (r < 0)
		oci_state_clear(ret);
	return r;
}

void oci_state_clear(struct oci_state *s)
{
	free(s->id);
	free(s->metadata);
	free(s->ignore);
	free(s->publish);
	free(s->ignore_bind);
	free(s->c2c);
	free(s->host_subnets);
	memset(s, 0, sizeof(*s));
}

/* @v into @o as @key, if set; false when out of memory. */
static bool add_string(json_object *o, const char *key, const char *v)
{
	json_object *s;

	if (!v)
		return true;
	s = json_object_new_string(v);
	return s && json_object_object_add(o, key, s) == 0;
}

int oci_state_format_adopt(const struct oci_state *st, pid_t pid, pid_t agent,
			   char **ret)
{
	static const char *const names[] = { OCI_SECCOMP_FD_NAME,
					     OCI_SHM_FD_NAME,
					     OCI_SERVICES_FD_NAME };
	json_object *o = json_object_new_object(), *state, *ann, *fds, *adopt;
	const char *text;
	bool ok = o != NULL;
	int r = -ENOMEM;

	state = json_object_new_object();
	ann = json_object_new_object();
	fds = json_object_new_array();
	adopt = json_object_new_object();
	ok = ok && state && ann && fds && adopt;
	for (size_t i = 0; ok && i < ARRAY_SIZE(names); i++)
		ok = json_object_array_add(fds, json_object_new_string(
							names[i])) == 0;
	ok = ok && add_string(ann, "nsbypass.ignore", st->ignore) &&
	     add_string(ann, "nsbypass.publish", st->publish) &&
	     add_string(ann, "nsbypass.ignore-bind", st->ignore_bind) &&
	     add_string(ann, "nsbypass.c2c", st->c2c) &&
	     add_string(ann, "nsbypass.host-subnets", st->host_subnets) &&
	     add_string(state, "ociVersion", "1.0.2") &&
	     add_string(state, "id", st->id) &&
	     add_string(state, "status", "running") &&
	     json_object_object_add(state, "pid", json_object_new_int(pid)) ==
		     0 &&
	     json_object_object_add(state, "annotations", ann) == 0;
	if (ok)
		ann = NULL; /* owned by state now */
	ok = ok &&
	     json_object_object_add(adopt, "agentPid",
				    json_object_new_int(agent)) == 0 &&
	     add_string(o, "ociVersion", "1.0.2") &&
	     json_object_object_add(o, "fds", fds) == 0;
	if (ok)
		fds = NULL;
	ok = ok &&
	     json_object_object_add(o, "pid", json_object_new_int(pid)) == 0 &&
	     add_string(o, "metadata", st->metadata) &&
	     json_object_object_add(o, "state", state) == 0;
	if (ok)
		state = NULL;
	ok = ok && json_object_object_add(o, "nsbypassAdopt", adopt) == 0;
	if (ok) {
		adopt = NULL;
		text = json_object_to_json_string_ext(o,
						      JSON_C_TO_STRING_PLAIN);
		*ret = text ? strdup(text) : NULL;
		r = *ret ? (int)strlen(*ret) : -ENOMEM;
	}
	json_object_put(adopt);
	json_object_put(state);
	json_object_put(fds);
	json_object_put(ann);
	json_object_put(o);
	return r;
}

/* A copy of @s into *@ret (NULL stays NULL); false when out of memory. */
static bool copy_string(char **ret, const char *s)
{
	*ret = s ? strdup(s) : NULL;
	return !s || *ret;
}

int oci_state_copy(struct oci_state *dst, const struct oci_state *src)
{
	memset(dst, 0, sizeof(*dst));
	dst->pid = src->pid;
	dst->seccomp_fd = src->seccomp_fd;
	dst->n_fds = src->n_fds;
	dst->adopt_agent = src->adopt_agent;
	dst->shm_fd = src->shm_fd;
	dst->services_fd = src->services_fd;
	if (copy_string(&dst->id, src->id) &&
	    copy_string(&dst->metadata, src->metadata) &&
	    copy_string(&dst->ignore, src->ignore) &&
	    copy_string(&dst->publish, src->publish) &&
	    copy_string(&dst->ignore_bind, src->ignore_bind) &&
	    copy_string(&dst->c2c, src->c2c) &&
	    copy_string(&dst->host_subnets, src->host_subnets))
		return 0;
	oci_state_clear(dst);
	return -ENOMEM;
}
