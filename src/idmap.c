// SPDX-License-Identifier: Apache-2.0
/*
 * idmap.c - the user namespace maps of `nsbypass run` (see idmap.h).
 */
#include <errno.h>
#include <pwd.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "idmap.h"
#include "log.h"
#include "util.h"

extern char **environ;

/* The last id a map may name is 2^32 - 2: (uid_t)-1 is "no id". */
#define IDMAP_ID_END ((uint64_t)UINT32_MAX)

void idmap_build(struct idmap_side *side, uint32_t own,
		 const struct subid_range *ranges, size_t n)
{
	uint64_t next = 1;

	side->lines[0] = (struct idmap_line){ 0, own, 1 };
	side->n = 1;
	for (size_t i = 0; i < n && i < SUBID_RANGES_MAX; i++) {
		uint64_t count = ranges[i].count;

		if (next >= IDMAP_ID_END)
			break;
		if (next + count > IDMAP_ID_END)
			count = IDMAP_ID_END - next;
		side->lines[side->n++] = (struct idmap_line){ (uint32_t)next,
							      ranges[i].start,
							      (uint32_t)count };
		next += count;
	}
}

/* @name's full path from $PATH (or the usual directories) into @out. */
static bool find_helper(const char *name, char out[PATH_MAX])
{
	const char *path = getenv("PATH");
	_cleanup_free_ char *dirs = NULL;
	char *save = NULL;

	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin";
	dirs = strdup(path);
	if (!dirs)
		return false;
	for (char *d = strtok_r(dirs, ":", &save); d;
	     d = strtok_r(NULL, ":", &save)) {
		if (*d != '/')
			continue; /* a relative entry is no place for it */
		if (snprintf(out, PATH_MAX, "%s/%s", d, name) >= PATH_MAX)
			continue;
		if (access(out, X_OK) == 0)
			return true;
	}
	out[0] = '\0';
	return false;
}

/* @path's ranges for @name/@id; 0 when there are none or no file. */
static int read_ranges(const char *path, const char *name, uint32_t id,
		       struct subid_range out[SUBID_RANGES_MAX])
{
	FILE *f = fopen(path, "re");
	int n;

	if (!f)
		return errno == ENOENT ? 0 : -errno;
	n = subid_find(f, name, id, out, SUBID_RANGES_MAX);
	fclose(f);
	return n;
}

void idmap_plan(struct idmap *m, uid_t uid, gid_t gid, bool single,
		const char *subuid, const char *subgid)
{
	struct subid_range ur[SUBID_RANGES_MAX], gr[SUBID_RANGES_MAX];
	const struct passwd *pw = getpwuid(uid);
	const char *name = pw ? pw->pw_name : NULL;
	char who[64];
	int nu = 0, ng = 0;

	memset(m, 0, sizeof(*m));
	m->uid.file = subuid;
	m->gid.file = subgid;
	snprintf(who, sizeof(who), "%s%s%u", name ? name : "", name ? "/" : "",
		 (unsigned int)uid);
	if (!single) {
		/* subgid is the user's too: newgidmap looks the caller's
		 * user name or uid up there, not a group. */
		nu = read_ranges(subuid, name, (uint32_t)uid, ur);
		ng = read_ranges(subgid, name, (uint32_t)uid, gr);
		if (nu < 0 || ng < 0)
			log_info("cannot read %s: %s", nu < 0 ? subuid : subgid,
				 strerror(-(nu < 0 ? nu : ng)));
		if (nu <= 0 || ng <= 0)
			log_info("no subordinate ids for %s in %s and %s: "
				 "mapping only uid %u and gid %u",
				 who, subuid, subgid, (unsigned int)uid,
				 (unsigned int)gid);
		else if (!find_helper("newuidmap", m->uid.helper) ||
			 !find_helper("newgidmap", m->gid.helper))
			log_info("newuidmap or newgidmap not found (package "
				 "uidmap): mapping only uid %u and gid %u",
				 (unsigned int)uid, (unsigned int)gid);
		else
			m->subids = true;
	}
	idmap_build(&m->uid, (uint32_t)uid, ur, m->subids ? (size_t)nu : 0);
	idmap_build(&m->gid, (uint32_t)gid, gr, m->subids ? (size_t)ng : 0);
}

/* Run @side->helper PID LINES... and wait for it. */
static int run_helper(const struct idmap_side *side, pid_t pid)
{
	char args[1 + 3 * IDMAP_LINES_MAX][16];
	char *argv[2 + 1 + 3 * IDMAP_LINES_MAX + 1];
	size_t n = 0, a = 0;
	pid_t h;
	int r, status;

	argv[n++] = (char *)side->helper;
	snprintf(args[a], sizeof(args[a]), "%d", (int)pid);
	argv[n++] = args[a++];
	for (size_t i = 0; i < side->n; i++) {
		const uint32_t v[3] = { side->lines[i].inside,
					side->lines[i].outside,
					side->lines[i].count };

		for (size_t j = 0; j < 3; j++) {
			snprintf(args[a], sizeof(args[a]), "%u",
				 (unsigned int)v[j]);
			argv[n++] = args[a++];
		}
	}
	argv[n] = NULL;
	r = posix_spawn(&h, side->helper, NULL, NULL, argv, environ);
	if (r != 0)
		return log_errno(-r, "cannot run %s", side->helper);
	while (waitpid(h, &status, 0) < 0)
		if (errno != EINTR)
			return log_errno(-errno, "waitpid %s", side->helper);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	log_error("%s failed (%s %d) to map the subordinate ids of %s: "
		  "fix the range, or run with --single-id to map only your "
		  "own ids",
		  side->helper, WIFEXITED(status) ? "exit status" : "signal",
		  WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status),
		  side->file);
	return -EPERM;
}

int idmap_apply(const struct idmap *m, pid_t pid)
{
	int r = run_helper(&m->uid, pid);

	return r < 0 ? r : run_helper(&m->gid, pid);
}
