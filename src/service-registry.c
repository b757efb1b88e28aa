// SPDX-License-Identifier: Apache-2.0
/*
 * service-registry.c - the per-user registry: each `nsbypass run` agent
 * writes its namespace's record into a file of its own and reads the
 * others' (docs/design.md §3.4, "Across containers").
 *
 * Files, not a daemon: nothing has to be running first, the directory is
 * the user's, and an agent that crashed leaves a file whose listeners no
 * longer listen (the map's sweep drops its entries; the first reader that
 * finds its pid gone removes the file).  The pid is paired with the
 * process's start time in the name, so a reused pid does not keep a dead
 * agent's file alive, nor does a live agent's file look dead.
 *
 * Every scan reads the directory whole (a queue overflow loses events)
 * and reads again the files that inotify named since the last scan or
 * whose inode changed (a filesystem may give a freed inode number to the
 * next file: the inode alone does not tell a new text).  Scans are
 * coalesced: while one is due, the inotify fd is not polled, so a
 * container that rewrites files in a loop wakes the agent at most once
 * per REGISTRY_SCAN_MS.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent.h"
#include "log.h"
#include "private-dir.h"
#include "service-registry.h"
#include "util.h"

#define TMP_PREFIX ".tmp-"

const char *service_registry_runtime_dir(void)
{
	const char *d = getenv("XDG_RUNTIME_DIR");

	return d && d[0] == '/' ? d : NULL;
}

int service_registry_open_dir(const char *runtime_dir)
{
	_cleanup_close_ int top = -1, mid = -1;

	top = open(runtime_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (top < 0)
		return -errno;
	mid = private_dir_open(top, "nsbypass");
	if (mid < 0)
		return mid;
	return private_dir_open(mid, "services");
}

void service_registry_name(char *buf, uint64_t netns, pid_t pid, uint64_t start)
{
	snprintf(buf, REGISTRY_NAME_MAX, "%016" PRIx64 "-%d-%" PRIu64, netns,
		 (int)pid, start);
}

/* A decimal number of the whole of [@s, @end), no sign, no leading 0. */
static int parse_dec(const char *s, const char *end, uint64_t max,
		     uint64_t *ret)
{
	uint64_t v = 0;

	if (s == end || (*s == '0' && end - s > 1))
		return -EINVAL;
	for (; s < end; s++) {
		if (*s < '0' || *s > '9' ||
		    v > (max - (uint64_t)(*s - '0')) / 10)
			return -EINVAL;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*ret = v;
	return 0;
}

int service_registry_parse_name(const char *name, uint64_t *netns, pid_t *pid,
				uint64_t *start)
{
	const char *d1, *d2, *end = name + strnlen(name, REGISTRY_NAME_MAX);
	uint64_t n = 0, p;

	if (end - name >= REGISTRY_NAME_MAX || end - name < 20 ||
	    name[16] != '-')
		return -EINVAL;
	for (int i = 0; i < 16; i++) {
		char c = name[i];
		int v = c >= '0' && c <= '9' ? c - '0' :
			c >= 'a' && c <= 'f' ? c - 'a' + 10 :
					       -1;

		if (v < 0)
			return -EINVAL;
		n = n << 4 | (uint64_t)v;
	}
	d1 = name + 16;
	d2 = memchr(d1 + 1, '-', (size_t)(end - d1 - 1));
	if (n == 0 || !d2 || parse_dec(d1 + 1, d2, INT32_MAX, &p) < 0 ||
	    p == 0 || parse_dec(d2 + 1, end, UINT64_MAX, start) < 0)
		return -EINVAL;
	*netns = n;
	*pid = (pid_t)p;
	return 0;
}

int service_registry_proc_start(pid_t pid, uint64_t *ret)
{
	char path[64], buf[1024], *p, *save = NULL, *tok, *end;
	_cleanup_close_ int fd = -1;
	unsigned long long v;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		return n == 0 ? -ESRCH : -errno;
	buf[n] = '\0';
	/* The name may hold anything: fields count from its last ')'. */
	p = strrchr(buf, ')');
	if (!p || p[1] != ' ')
		return -EINVAL;
	/* p + 2 is field 3 (state); the start time is field 22. */
	tok = strtok_r(p + 2, " ", &save);
	for (int field = 3; tok && field < 22; field++)
		tok = strtok_r(NULL, " ", &save);
	if (!tok || *tok < '0' || *tok > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(tok, &end, 10);
	if (errno || (*end && *end != ' ' && *end != '\n'))
		return -EINVAL;
	/* A zombie is dead: its file is stale too. */
	if (p[2] == 'Z' || p[2] == 'X')
		return -ESRCH;
	*ret = v;
	return 0;
}

ssize_t service_registry_read(int dirfd, const char *name, char *buf,
			      size_t size, struct stat *st)
{
	_cleanup_close_ int fd = -1;
	size_t got = 0;

	fd = openat(dirfd, name,
		    O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, st) < 0)
		return -errno;
	if (!S_ISREG(st->st_mode))
		return -EINVAL;
	if (st->st_uid != geteuid())
		return -EPERM;
	if (st->st_size < 0 || (uint64_t)st->st_size > size)
		return -EFBIG;
	/* A regular file's read() is not interrupted.  A byte past @size
	 * tells a file that grew since fstat(). */
	while (got < size) {
		ssize_t n = read(fd, buf + got, size - got);

		if (n <= 0)
			return n < 0 ? -errno : (ssize_t)got;
		got += (size_t)n;
	}
	{
		char extra;
		ssize_t n = read(fd, &extra, 1);

		if (n != 0)
			return n < 0 ? -errno : -EFBIG;
	}
	return (ssize_t)got;
}

void service_registry_init(struct service_registry *g)
{
	memset(g, 0, sizeof(*g));
	g->dirfd = -1;
	g->inotify_fd = -1;
}

static struct registry_file *find_file(struct service_registry *g,
				       const char *name)
{
	for (size_t i = 0; i < g->n_files; i++)
		if (strcmp(g->files[i].name, name) == 0)
			return &g->files[i];
	return NULL;
}

/* The files of @netns changed: merge them again after this scan. */
static void touch(struct service_registry *g, uint64_t netns)
{
	for (size_t i = 0; i < g->n_touched; i++)
		if (g->touched[i] == netns)
			return;
	if (g->n_touched < ARRAY_SIZE(g->touched))
		g->touched[g->n_touched++] = netns;
}

/* Forget file @f (its namespace is merged again without it). */
static void forget_file(struct service_registry *g, struct registry_file *f)
{
	if (f->netns)
		touch(g, f->netns);
	*f = g->files[--g->n_files];
}

/* Read, check and parse file @name (named for @netns) into g->rec. */
static int load_file(struct service_registry *g, const char *name,
		     uint64_t netns, struct stat *st)
{
	ssize_t n;

	n = service_registry_read(g->dirfd, name, g->text,
				  SERVICE_RECORD_TEXT_MAX, st);
	if (n < 0)
		return (int)n;
	if (service_record_parse(g->text, (size_t)n, SERVICE_REGISTRY, g->rec) <
	    0)
		return -EBADMSG;
	/* Its name and text must agree; our own namespace has one agent
	 * (this one) under nsbypass run: a record of it is forged. */
	if (g->rec->netns != netns || netns == g->own_netns)
		return -EBADMSG;
	return 0;
}

/* What a scan does with the entry @name of the directory. */
static void scan_one(struct service_registry *g, const char *name)
{
	struct registry_file *f = find_file(g, name);
	uint64_t netns = 0, start = 0, now_start = 0;
	struct stat st;
	pid_t pid = 0;
	bool named;
	int r;

	if (name[0] == '.' || strcmp(name, g->own_name) == 0)
		return; /* ., .., temporary files, our own */
	if (strnlen(name, REGISTRY_NAME_MAX) == REGISTRY_NAME_MAX)
		return; /* no registry file: not even remembered */
	named = service_registry_parse_name(name, &netns, &pid, &start) == 0;
	/* Another error (a /proc we may not read): not known to be stale. */
	r = named ? service_registry_proc_start(pid, &now_start) : -EINVAL;
	if (named && (r == -ESRCH || (r == 0 && now_start != start))) {
		/* A crashed agent's: its listeners are gone with it. */
		if (unlinkat(g->dirfd, name, 0) == 0)
			log_info("service registry: removed %s (its agent is "
				 "gone)",
				 name);
		if (f)
			forget_file(g, f);
		return;
	}
	if (fstatat(g->dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return; /* gone meanwhile: the next scan forgets it */
	if (f && !f->dirty && f->dev == st.st_dev && f->ino == st.st_ino) {
		f->seen = true;
		return; /* unchanged */
	}
	if (!f) {
		if (g->n_files == REGISTRY_FILES_MAX) {
			if (!g->full_warned)
				log_warn("service registry: more than %d "
					 "files, the rest ignored",
					 REGISTRY_FILES_MAX);
			g->full_warned = true;
			return;
		}
		f = &g->files[g->n_files++];
		memset(f, 0, sizeof(*f));
		memcpy(f->name, name, strlen(name) + 1);
	} else if (f->netns) {
		touch(g, f->netns);
		f->netns = 0;
	}
	f->seen = true;
	f->dirty = false;
	f->dev = st.st_dev;
	f->ino = st.st_ino;
	r = named ? load_file(g, name, netns, &st) : -EINVAL;
	if (r < 0 && named && netns == g->own_netns) {
		/* Our own namespace: forged under nsbypass run, a pod-mate's
		 * or a `podman exec`'s agent under nsbypass oci (whose
		 * records come from the parent): refused, said quietly. */
		log_debug("service registry: %s ignored: of our own "
			  "namespace",
			  name);
		return;
	}
	if (r < 0) {
		/* Once per inode: f keeps it, refused. */
		log_warn("service registry: %s ignored: %s", name,
			 !named	       ? "not a registry file name" :
			 r == -EBADMSG ? "not a well-formed record" :
			 r == -EINVAL  ? "not a regular file" :
					 strerror(-r));
		return;
	}
	f->netns = netns;
	touch(g, netns);
	log_debug("service registry: %s taken (%zu address(es), %zu "
		  "service(s), c2c %s)",
		  name, g->rec->n_addrs, g->rec->n_entries,
		  g->rec->c2c ? "on" : "off");
}

/* Mark the files the queued inotify events name dirty (all of them if
 * the queue overflowed). */
static void drain_events(struct service_registry *g)
{
	char buf[4096]
		__attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t n;

	while ((n = read(g->inotify_fd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const void *)p;
			struct registry_file *f;

			if (ev->mask & IN_Q_OVERFLOW) {
				for (size_t i = 0; i < g->n_files; i++)
					g->files[i].dirty = true;
			} else if (ev->len) {
				f = find_file(g, ev->name);
				if (f)
					f->dirty = true;
			}
			p += sizeof(*ev) + ev->len;
		}
	}
}

/* @r's addresses and entries into @m, without repeats, within bounds;
 * c2c only if every file of the namespace says so. */
static void merge_into(struct service_record *m, const struct service_record *r)
{
	m->c2c = m->c2c && r->c2c;
	for (size_t i = 0; i < r->n_addrs; i++) {
		bool have = false;

		for (size_t j = 0; j < m->n_addrs && !have; j++)
			have = memcmp(&m->addrs[j], &r->addrs[i],
				      sizeof(r->addrs[i])) == 0;
		if (!have && m->n_addrs < SERVICE_ADDRS_MAX)
			m->addrs[m->n_addrs++] = r->addrs[i];
	}
	for (size_t i = 0; i < r->n_entries; i++) {
		bool have = false;

		for (size_t j = 0; j < m->n_entries && !have; j++)
			have = m->entries[j].listener.cookie ==
			       r->entries[i].listener.cookie;
		if (!have && m->n_entries < SERVICE_RECORD_ENTRIES_MAX)
			m->entries[m->n_entries++] = r->entries[i];
	}
}

/* Give the map the union of the files of @netns that are taken now, or
 * withdraw it when none is left. */
static void remerge(struct service_registry *g, uint64_t netns)
{
	size_t taken = 0;
	struct stat st;

	memset(g->merged, 0, sizeof(*g->merged));
	g->merged->netns = netns;
	g->merged->c2c = true;
	for (size_t i = 0; i < g->n_files; i++) {
		struct registry_file *f = &g->files[i];

		if (f->netns != netns)
			continue;
		/* Read again, and taken as it is now: replaced since (a
		 * writer's rename), the new text passed the same checks,
		 * and the event that names it brings the next scan.  Left
		 * out, a file rewritten mid-scan would withdraw its
		 * namespace's services until then. */
		if (load_file(g, f->name, netns, &st) < 0)
			continue;
		merge_into(g->merged, g->rec);
		taken++;
	}
	if (taken)
		g->hooks.apply(g->hooks.opaque, g->merged);
	else
		g->hooks.withdraw(g->hooks.opaque, netns);
}

int service_registry_scan(struct service_registry *g)
{
	struct dirent *e;
	size_t seen = 0;
	DIR *d;

	if (g->dirfd < 0)
		return 0;
	if (g->inotify_fd >= 0)
		drain_events(g);
	d = private_dir_list(g->dirfd);
	if (!d)
		return -errno;
	for (size_t i = 0; i < g->n_files; i++)
		g->files[i].seen = false;
	while ((e = readdir(d)) && seen++ < REGISTRY_DIRENTS_MAX)
		scan_one(g, e->d_name);
	closedir(d);
	for (size_t i = 0; i < g->n_files;) {
		if (g->files[i].seen)
			i++;
		else
			forget_file(g, &g->files[i]);
	}
	for (size_t i = 0; i < g->n_touched; i++)
		remerge(g, g->touched[i]);
	g->n_touched = 0;
	return 0;
}

/* Write the agent's record to its own file, by rename(). */
static int write_own(struct service_registry *g)
{
	char tmp[sizeof(TMP_PREFIX) + REGISTRY_NAME_MAX];
	_cleanup_close_ int fd = -1;
	size_t off = 0;
	int len;

	g->hooks.collect(g->hooks.opaque, g->rec);
	if (g->rec->netns != g->own_netns)
		return -ENOENT; /* no map: nothing to tell */
	len = service_record_format(g->rec, g->text,
				    SERVICE_RECORD_TEXT_MAX + 1);
	if (len < 0)
		return len;
	snprintf(tmp, sizeof(tmp), TMP_PREFIX "%s", g->own_name);
	for (int tries = 0; fd < 0; tries++) {
		fd = openat(g->dirfd, tmp,
			    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
				    O_CLOEXEC,
			    0600);
		/* Left by a write that failed half-way, or planted. */
		if (fd < 0 && (errno != EEXIST || tries > 0 ||
			       unlinkat(g->dirfd, tmp, 0) < 0))
			return -errno;
	}
	while (off < (size_t)len) {
		ssize_t n = write(fd, g->text + off, (size_t)len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int e = n < 0 ? -errno : -EIO;

			unlinkat(g->dirfd, tmp, 0);
			return e;
		}
		off += (size_t)n;
	}
	if (renameat(g->dirfd, tmp, g->dirfd, g->own_name) < 0) {
		int e = -errno;

		unlinkat(g->dirfd, tmp, 0);
		return e;
	}
	g->own_written = true;
	return 0;
}

static void on_write_timer(uv_timer_t *t)
{
	struct service_registry *g = container_of(t, struct service_registry,
						  write_timer);
	int r;

	g->last_write = uv_now(g->loop);
	r = write_own(g);
	if (r < 0 && r != -ENOENT) {
		if (!g->write_warned)
			log_warn_errno(r, "service registry: cannot write %s",
				       g->own_name);
		g->write_warned = true;
	}
}

/* The delay that keeps one event of a kind per @interval ms after @last. */
static uint64_t rate_delay(uv_loop_t *loop, uint64_t last, uint64_t interval)
{
	uint64_t now = uv_now(loop);

	return last && now < last + interval ? last + interval - now : 0;
}

void service_registry_changed(struct service_registry *g)
{
	if (g->dirfd < 0 || !g->timers_made ||
	    uv_is_active((uv_handle_t *)&g->write_timer))
		return;
	uv_timer_start(&g->write_timer, on_write_timer,
		       rate_delay(g->loop, g->last_write, REGISTRY_WRITE_MS),
		       0);
}

static void on_inotify(uv_poll_t *h, int status, int events);

static void on_scan_timer(uv_timer_t *t)
{
	struct service_registry *g = container_of(t, struct service_registry,
						  scan_timer);
	int r;

	g->last_scan = uv_now(g->loop);
	r = service_registry_scan(g);
	if (r < 0)
		log_debug("service registry: cannot read the directory: %s",
			  strerror(-r));
	if (g->polled)
		uv_poll_start(&g->poll, UV_READABLE, on_inotify);
}

/* Something changed in the directory: scan soon, and listen again only
 * then (see the top of the file); the events wait in the kernel's queue. */
static void on_inotify(uv_poll_t *h, int status, int events)
{
	struct service_registry *g = container_of(h, struct service_registry,
						  poll);

	(void)status;
	(void)events;
	uv_poll_stop(&g->poll);
	if (!uv_is_active((uv_handle_t *)&g->scan_timer))
		uv_timer_start(&g->scan_timer, on_scan_timer,
			       rate_delay(g->loop, g->last_scan,
					  REGISTRY_SCAN_MS),
			       0);
}

/* inotify on the directory @g->dirfd names (not on a path that could be
 * replaced). */
static int watch_dir(struct service_registry *g)
{
	char path[64];
	int r;

	g->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (g->inotify_fd < 0)
		return -errno;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", g->dirfd);
	if (inotify_add_watch(g->inotify_fd, path,
			      IN_ONLYDIR | IN_CREATE | IN_DELETE | IN_MOVED_TO |
				      IN_MOVED_FROM | IN_CLOSE_WRITE |
				      IN_ATTRIB) < 0)
		return -errno;
	r = uv_poll_init(g->loop, &g->poll, g->inotify_fd);
	if (r < 0)
		return r;
	g->polled = true;
	uv_unref((uv_handle_t *)&g->poll);
	return uv_poll_start(&g->poll, UV_READABLE, on_inotify);
}

int service_registry_open(struct service_registry *g, uv_loop_t *loop,
			  int dirfd, uint64_t own_netns,
			  const struct service_registry_hooks *hooks)
{
	uint64_t start = 0;
	int r;

	service_registry_init(g);
	g->loop = loop;
	g->dirfd = dirfd;
	g->own_netns = own_netns;
	g->hooks = *hooks;
	r = service_registry_proc_start(getpid(), &start);
	if (r < 0)
		goto fail;
	service_registry_name(g->own_name, own_netns, getpid(), start);
	g->text = malloc(SERVICE_RECORD_TEXT_MAX + 1);
	g->rec = malloc(sizeof(*g->rec));
	g->merged = malloc(sizeof(*g->merged));
	r = -ENOMEM;
	if (!g->text || !g->rec || !g->merged)
		goto fail;
	r = watch_dir(g);
	if (r < 0)
		goto fail;
	uv_timer_init(loop, &g->scan_timer);
	uv_timer_init(loop, &g->write_timer);
	uv_unref((uv_handle_t *)&g->scan_timer);
	uv_unref((uv_handle_t *)&g->write_timer);
	g->timers_made = true;
	/* Subscribed first: a file written from now on is seen. */
	r = service_registry_scan(g);
	if (r < 0)
		goto fail;
	g->last_scan = uv_now(loop);
	on_write_timer(&g->write_timer);
	return 0;
fail:
	service_registry_close(g);
	return r;
}

void service_registry_close(struct service_registry *g)
{
	if (g->dirfd >= 0 && g->own_written)
		unlinkat(g->dirfd, g->own_name, 0);
	g->own_written = false;
	if (g->timers_made) {
		uv_timer_stop(&g->scan_timer);
		uv_timer_stop(&g->write_timer);
		uv_close((uv_handle_t *)&g->scan_timer, NULL);
		uv_close((uv_handle_t *)&g->write_timer, NULL);
		g->timers_made = false;
	}
	if (g->polled) {
		/* uv_close() takes the fd out of the loop's epoll at once. */
		uv_poll_stop(&g->poll);
		uv_close((uv_handle_t *)&g->poll, NULL);
		g->polled = false;
	}
	closep(&g->inotify_fd);
	closep(&g->dirfd);
	free(g->text);
	g->text = NULL;
	free(g->rec);
	g->rec = NULL;
	free(g->merged);
	g->merged = NULL;
}

static void agent_collect(void *opaque, struct service_record *r)
{
	agent_services_collect(opaque, r);
}

static void agent_apply(void *opaque, const struct service_record *r)
{
	agent_services_apply(opaque, r, SERVICE_REGISTRY);
}

static void agent_withdraw(void *opaque, uint64_t netns)
{
	agent_services_withdraw(opaque, netns, SERVICE_REGISTRY);
}

void service_registry_agent_hooks(struct agent *a,
				  struct service_registry_hooks *h)
{
	h->collect = agent_collect;
	h->apply = agent_apply;
	h->withdraw = agent_withdraw;
	h->opaque = a;
}

int service_registry_join(struct service_registry *g, struct agent *a,
			  uv_loop_t *loop, uint64_t own_netns)
{
	const char *dir = service_registry_runtime_dir();
	struct service_registry_hooks hooks;
	int fd, r;

	if (!dir) {
		log_debug("XDG_RUNTIME_DIR unset: no service registry, other "
			  "containers of the user do not reach this one's "
			  "services, nor it theirs");
		return -ENOENT;
	}
	fd = service_registry_open_dir(dir);
	if (fd < 0)
		return log_warn_errno(fd,
				      "no service registry in "
				      "%s/nsbypass/services (ours, mode 0700 "
				      "wanted)",
				      dir);
	service_registry_agent_hooks(a, &hooks);
	r = service_registry_open(g, loop, fd, own_netns, &hooks);
	if (r < 0)
		return log_warn_errno(r, "no service registry");
	return 0;
}
