// SPDX-License-Identifier: Apache-2.0
/*
 * daemon-state.c - `nsbypass daemon`'s bypasses on disk (daemon-state.h).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon-state.h"
#include "jsontext.h"
#include "log.h"
#include "private-dir.h"
#include "readfile.h"
#include "service-registry.h"
#include "util.h"

#define SUFFIX ".json"

int daemon_state_save(int dirfd, const struct daemon_spec *spec, pid_t pid)
{
	char name[DAEMON_ID_MAX + sizeof(SUFFIX)], tmp[sizeof(name) + 8];
	_cleanup_close_ int fd = -1;
	uint64_t start;
	const char *text;
	json_object *o;
	size_t len, off = 0;
	int r;

	r = service_registry_proc_start(pid, &start);
	if (r < 0)
		return r;
	o = json_object_new_object();
	if (!o)
		return -ENOMEM;
	json_object_object_add(o, "spec", json_object_get(spec->json));
	json_object_object_add(o, "pid", json_object_new_int(pid));
	json_object_object_add(o, "start", json_object_new_uint64(start));
	text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	len = text ? strlen(text) : 0;
	snprintf(name, sizeof(name), "%s" SUFFIX, spec->id);
	snprintf(tmp, sizeof(tmp), ".%s.tmp", name);
	fd = openat(dirfd, tmp,
		    O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
		    0600);
	r = !text ? -ENOMEM : fd < 0 ? -errno : 0;
	while (r == 0 && off < len) {
		ssize_t n = write(fd, text + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			r = n < 0 ? -errno : -EIO;
		else
			off += (size_t)n;
	}
	json_object_put(o);
	if (r == 0 && renameat(dirfd, tmp, dirfd, name) < 0)
		r = -errno;
	if (r < 0 && fd >= 0)
		unlinkat(dirfd, tmp, 0);
	return r;
}

void daemon_state_remove(int dirfd, const char *id)
{
	char name[DAEMON_ID_MAX + sizeof(SUFFIX)];

	snprintf(name, sizeof(name), "%s" SUFFIX, id);
	if (unlinkat(dirfd, name, 0) < 0 && errno != ENOENT)
		log_warn_errno(-errno,
			       "daemon: cannot remove the state of "
			       "bypass %s",
			       id);
}

int daemon_state_parse(const char *text, size_t len, struct daemon_spec **spec,
		       pid_t *pid, uint64_t *start)
{
	json_object *o, *s, *p, *t;
	const char *spec_text;
	char err[128];
	int64_t v;
	int r = -EINVAL;

	*spec = NULL;
	o = jsontext_parse(text, len, 8);
	if (!o)
		return -EINVAL;
	if (!json_object_is_type(o, json_type_object) ||
	    json_object_object_length(o) != 3 ||
	    !json_object_object_get_ex(o, "spec", &s) ||
	    !json_object_object_get_ex(o, "pid", &p) ||
	    !json_object_object_get_ex(o, "start", &t) ||
	    !json_object_is_type(p, json_type_int) ||
	    !json_object_is_type(t, json_type_int))
		goto out;
	v = json_object_get_int64(p);
	if (v <= 0 || v > INT32_MAX || json_object_get_int64(t) < 0)
		goto out;
	*pid = (pid_t)v;
	*start = json_object_get_uint64(t);
	spec_text = json_object_to_json_string_ext(s, JSON_C_TO_STRING_PLAIN);
	if (spec_text && daemon_spec_parse(spec_text, strlen(spec_text), spec,
					   err, sizeof(err)) == 0)
		r = 0;
out:
	json_object_put(o);
	return r;
}

/* Does @pid still run, started at @start, as `nsbypass oci`? */
static bool same_child(pid_t pid, uint64_t start)
{
	static const char want[] = "nsbypass\0oci";
	char path[64], buf[sizeof(want)];
	_cleanup_close_ int fd = -1;
	uint64_t now;

	if (service_registry_proc_start(pid, &now) < 0 || now != start)
		return false;
	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	return fd >= 0 && read(fd, buf, sizeof(buf)) == (ssize_t)sizeof(buf) &&
	       memcmp(buf, want, sizeof(want)) == 0;
}

/* Read file @name of @dirfd (a regular file of ours, bounded). */
static int read_state(int dirfd, const char *name, char **ret)
{
	_cleanup_close_ int fd = -1;
	struct stat st;

	fd = openat(dirfd, name,
		    O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode) || st.st_uid != geteuid())
		return -EPERM;
	return read_text_fd(fd, DAEMON_STATE_MAX, ret);
}

int daemon_state_load(int dirfd, daemon_state_cb cb, void *opaque)
{
	struct dirent *e;
	int n = 0;
	DIR *d;

	d = private_dir_list(dirfd);
	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		_cleanup_free_ char *text = NULL;
		struct daemon_spec *spec;
		size_t len = strlen(e->d_name);
		uint64_t start;
		pid_t pid;
		int r;

		if (e->d_name[0] == '.' || len <= strlen(SUFFIX) ||
		    strcmp(e->d_name + len - strlen(SUFFIX), SUFFIX) != 0)
			continue;
		r = read_state(dirfd, e->d_name, &text);
		if (r >= 0 && !text)
			r = -EINVAL;
		if (r >= 0)
			r = daemon_state_parse(text, strlen(text), &spec, &pid,
					       &start);
		/* Its name must be its id's: one file per bypass. */
		if (r == 0 &&
		    (strlen(spec->id) + strlen(SUFFIX) != len ||
		     strncmp(e->d_name, spec->id, strlen(spec->id)) != 0)) {
			daemon_spec_free(spec);
			r = -EINVAL;
		}
		if (r < 0) {
			log_warn("daemon: state file %s ignored and removed: "
				 "%s",
				 e->d_name, strerror(-r));
			unlinkat(dirfd, e->d_name, 0);
			continue;
		}
		cb(opaque, spec, pid, same_child(pid, start));
		n++;
	}
	closedir(d);
	return n;
}
