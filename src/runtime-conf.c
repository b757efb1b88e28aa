// SPDX-License-Identifier: Apache-2.0
/*
 * runtime-conf.c - the configuration file of `nsbypass runtime` (see
 * runtime-conf.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "readfile.h"
#include "runtime-conf.h"
#include "util.h"

static const char *const blanks = " \t\r";

/* @s without its leading and trailing blanks, @n bytes long. */
static const char *trim(const char *s, size_t *n)
{
	while (*n > 0 && strchr(blanks, *s))
		s++, (*n)--;
	while (*n > 0 && strchr(blanks, s[*n - 1]))
		(*n)--;
	return s;
}

static int parse_line(const char *line, size_t len, struct runtime_conf *c,
		      const char **what)
{
	static const char *const keys[] = { "runtime", "listener", "metadata" };
	char **slots[] = { &c->runtime, &c->listener, &c->metadata };
	const char *eq = memchr(line, '=', len), *k, *v;
	size_t kn, vn;

	line = trim(line, &len);
	if (len == 0 || line[0] == '#')
		return 0;
	if (!eq) {
		*what = "no '=' (want KEY = VALUE)";
		return -EINVAL;
	}
	kn = (size_t)(eq - line);
	vn = len - kn - 1;
	k = trim(line, &kn);
	v = trim(eq + 1, &vn);
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		if (strlen(keys[i]) != kn || strncmp(k, keys[i], kn) != 0)
			continue;
		if (*slots[i] && (*what = "the key is given twice"))
			return -EINVAL;
		if (vn == 0 && (*what = "the value is empty"))
			return -EINVAL;
		if (i == 1 && v[0] != '/' &&
		    (*what = "the listener is not an absolute path"))
			return -EINVAL;
		*slots[i] = strndup(v, vn);
		return *slots[i] ? 0 : -ENOMEM;
	}
	*what = "unknown key (runtime, listener or metadata)";
	return -EINVAL;
}

int runtime_conf_parse(const char *text, struct runtime_conf *c, char *err,
		       size_t errlen)
{
	struct runtime_conf seen = { NULL, NULL, NULL };
	const char *what = NULL;
	unsigned int line = 1;
	int r = 0;

	while (r == 0 && *text) {
		size_t len = strcspn(text, "\n");

		r = parse_line(text, len, &seen, &what);
		if (r == -EINVAL)
			snprintf(err, errlen, "line %u: %s", line, what);
		text += len + (text[len] == '\n');
		line++;
	}
	if (r < 0) {
		runtime_conf_free(&seen);
		return r;
	}
	if (seen.runtime)
		free(c->runtime), c->runtime = seen.runtime;
	if (seen.listener)
		free(c->listener), c->listener = seen.listener;
	if (seen.metadata)
		free(c->metadata), c->metadata = seen.metadata;
	return 0;
}

int runtime_conf_load(const char *path, struct runtime_conf *c, char *err,
		      size_t errlen)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	_cleanup_free_ char *text = NULL;
	char e[160];
	int r;

	if (fd < 0) {
		r = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(-r));
		return r;
	}
	r = read_text_fd(fd, RUNTIME_CONF_MAX, &text);
	if (r < 0) {
		snprintf(err, errlen, "%s: %s", path,
			 r == -EINVAL ? "not a text file" : strerror(-r));
		return r;
	}
	r = runtime_conf_parse(text, c, e, sizeof(e));
	if (r == -EINVAL)
		snprintf(err, errlen, "%s: %s", path, e);
	else if (r < 0)
		snprintf(err, errlen, "%s", strerror(-r));
	return r;
}

void runtime_conf_free(struct runtime_conf *c)
{
	free(c->runtime);
	free(c->listener);
	free(c->metadata);
	*c = (struct runtime_conf){ NULL, NULL, NULL };
}
