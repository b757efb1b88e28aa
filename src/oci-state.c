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

/* The index of "seccompFd" in the fds array of @o. */
static int find_seccomp_fd(json_object *o, struct oci_state *st,
			   const char **why)
{
	json_object *fds, *e;
	bool found = false;
	size_t n;

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
		e = json_object_array_get_idx(fds, i);
		if (!json_object_is_type(e, json_type_string)) {
			*why = "an fds entry is not a string";
			return -EINVAL;
		}
		/* The length too: "seccompFd\u0000x" is another name. */
		if (json_object_get_string_len(e) !=
			    (int)strlen(OCI_SECCOMP_FD_NAME) ||
		    strcmp(json_object_get_string(e), OCI_SECCOMP_FD_NAME) != 0)
			continue;
		if (found) {
			*why = "fds names seccompFd twice";
			return -EINVAL;
		}
		found = true;
		st->seccomp_fd = i;
	}
	if (!found) {
		*why = "fds does not name seccompFd";
		return -EINVAL;
	}
	st->n_fds = n;
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
	return get_annotations(state, st, why);
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
