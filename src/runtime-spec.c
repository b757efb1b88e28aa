// SPDX-License-Identifier: Apache-2.0
/*
 * runtime-spec.c - merge the notified calls into an OCI bundle's
 * seccomp section, in place (see runtime-spec.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jsontext.h"
#include "profile.h"
#include "readfile.h"
#include "runtime-spec.h"
#include "util.h"

/* Deeper than any real spec, shallow enough to stop silly input. */
#define RUNTIME_SPEC_DEPTH 64

/* @o's member @key when it is there and not null; -EINVAL when it is not
 * of @type (@what names it in @err). */
static int member(json_object *o, const char *key, json_type type,
		  const char *what, json_object **ret, char *err, size_t errlen)
{
	json_object *v = NULL;

	*ret = NULL;
	if (!json_object_object_get_ex(o, key, &v) ||
	    json_object_is_type(v, json_type_null))
		return 0;
	if (!json_object_is_type(v, type)) {
		snprintf(err, errlen, "%s is not %s", what,
			 type == json_type_object ? "an object" : "a string");
		return -EINVAL;
	}
	*ret = v;
	return 0;
}

int runtime_spec_merge(json_object *spec, const char *listener,
		       const char *metadata, char *err, size_t errlen)
{
	json_object *linux_, *sec, *lp, *rules;
	char perr[160];
	int r;

	if (!json_object_is_type(spec, json_type_object)) {
		snprintf(err, errlen, "the spec is not a JSON object");
		return -EINVAL;
	}
	r = member(spec, "linux", json_type_object, "\"linux\"", &linux_, err,
		   errlen);
	if (r == 0 && linux_)
		r = member(linux_, "seccomp", json_type_object, "linux.seccomp",
			   &sec, err, errlen);
	if (r < 0)
		return r;
	if (!linux_ || !sec)
		return RUNTIME_SPEC_NO_SECCOMP;
	r = member(sec, "listenerPath", json_type_string,
		   "linux.seccomp.listenerPath", &lp, err, errlen);
	if (r < 0)
		return r;
	if (lp && json_object_get_string_len(lp) > 0)
		return RUNTIME_SPEC_HAS_LISTENER;
	r = profile_check(sec, perr, sizeof(perr));
	if (r < 0) {
		snprintf(err, errlen, "linux.seccomp: %s", perr);
		return r;
	}
	if (profile_restricts_traps(sec, err, errlen))
		return RUNTIME_SPEC_RESTRICTED;
	r = profile_add_notify(sec, listener, metadata);
	if (r < 0)
		return r;
	if (json_object_object_get_ex(sec, "syscalls", &rules))
		for (size_t i = 0; i < json_object_array_length(rules); i++)
			json_object_object_del(json_object_array_get_idx(rules,
									 i),
					       "comment");
	return RUNTIME_SPEC_EDITED;
}

static int write_all(int fd, const char *s, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, s, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		s += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Write @text to a new file beside @path with @st's owner and mode, and
 * rename it over @path. */
static int replace_file(const char *path, const struct stat *st,
			const char *text, char *err, size_t errlen)
{
	_cleanup_free_ char *tmp = NULL;
	_cleanup_close_ int fd = -1;
	const char *step = "creating";
	int r = 0;

	if (asprintf(&tmp, "%s.nsbypass-XXXXXX", path) < 0)
		return -ENOMEM;
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		snprintf(err, errlen, "creating %s: %s", tmp, strerror(-r));
		return r;
	}
	/* mkostemp() gives our ids: the owner only moves when it differs. */
	if ((st->st_uid != getuid() || st->st_gid != getgid()) &&
	    fchown(fd, st->st_uid, st->st_gid) < 0)
		r = -errno, step = "setting the owner of";
	if (r == 0 && fchmod(fd, st->st_mode & 07777) < 0)
		r = -errno, step = "setting the mode of";
	if (r == 0) {
		r = write_all(fd, text, strlen(text));
		step = "writing";
	}
	if (r == 0 && close(take_fd(&fd)) < 0)
		r = -errno;
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno, step = "renaming over";
	if (r < 0) {
		snprintf(err, errlen, "%s %s: %s", step,
			 strcmp(step, "renaming over") == 0 ? path : tmp,
			 strerror(-r));
		unlink(tmp);
	}
	return r;
}

int runtime_spec_edit(const char *path, const char *listener,
		      const char *metadata, char *err, size_t errlen)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
						    O_CLOEXEC);
	_cleanup_free_ char *text = NULL;
	json_object *spec;
	const char *out;
	struct stat st;
	int r;

	if (fd < 0) {
		r = -errno;
		snprintf(err, errlen, "%s: %s", path,
			 r == -ELOOP ? "a symbolic link, not the spec" :
				       strerror(-r));
		return r;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		return -EINVAL;
	}
	r = read_text_fd(fd, RUNTIME_SPEC_MAX, &text);
	if (r < 0) {
		snprintf(err, errlen, "%s: %s", path,
			 r == -EFBIG  ? "larger than 16 MiB" :
			 r == -EINVAL ? "not a text file" :
					strerror(-r));
		return r;
	}
	spec = jsontext_parse(text, strlen(text), RUNTIME_SPEC_DEPTH);
	if (!spec) {
		snprintf(err, errlen, "%s: not one strict JSON value", path);
		return -EINVAL;
	}
	r = runtime_spec_merge(spec, listener, metadata, err, errlen);
	if (r == -EINVAL) {
		char e[256];

		snprintf(e, sizeof(e), "%s", err);
		snprintf(err, errlen, "%s: %s", path, e);
	} else if (r == -ENOMEM) {
		snprintf(err, errlen, "%s", strerror(ENOMEM));
	}
	if (r == RUNTIME_SPEC_EDITED) {
		out = json_object_to_json_string_ext(
			spec, JSON_C_TO_STRING_PLAIN |
				      JSON_C_TO_STRING_NOSLASHESCAPE);
		r = out ? replace_file(path, &st, out, err, errlen) : -ENOMEM;
		if (r == 0)
			r = RUNTIME_SPEC_EDITED;
		else if (r == -ENOMEM)
			snprintf(err, errlen, "%s", strerror(ENOMEM));
	}
	json_object_put(spec);
	return r;
}
