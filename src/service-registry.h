/* SPDX-License-Identifier: Apache-2.0 */
/*
 * service-registry.h - the per-user registry of the service map: how
 * separate `nsbypass run` instances of one user reach each other's
 * published services (docs/design.md §3.4, "Across containers").
 *
 * A directory, $XDG_RUNTIME_DIR/nsbypass/services/ (0700, ours, not
 * group- or other-writable, else no registry), holds one file per agent,
 * named
 *
 *   <netns cookie, 16 hex digits>-<pid>-<start time of pid>
 *
 * whose text is the agent's record (service-record.h), replaced
 * atomically (a temporary ".tmp-" file, then rename()) each time the
 * record may have changed, at most every REGISTRY_WRITE_MS, and removed
 * when the agent ends.  Every agent watches the directory with inotify on
 * its loop and, at most every REGISTRY_SCAN_MS, reads the files that
 * changed (bounded, O_NOFOLLOW, regular files only), parses them strictly
 * (SERVICE_REGISTRY: ordinary paths only) and applies them; a file gone
 * withdraws its namespace.  A file whose pid is gone or was reused (its
 * start time differs) is a crashed agent's: the first reader removes it.
 *
 * The directory is input any container of the user can write (an
 * `nsbypass run` container shares the user's files): a file that is not a
 * regular file, too big, badly named, not ours or not a well-formed record
 * is logged once and ignored.
 */
#ifndef NB_SERVICE_REGISTRY_H
#define NB_SERVICE_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <uv.h>

#include "service-record.h"

struct agent;

/* Coalesce inotify events: at most one scan per this many ms. */
#define REGISTRY_SCAN_MS 100
/* At most one write of the agent's own file per this many ms. */
#define REGISTRY_WRITE_MS 100
/* Files of a scan taken into account (the rest is ignored, with a
 * warning): one per namespace the map can know. */
#define REGISTRY_FILES_MAX SERVICE_NETNS_MAX
/* Directory entries one scan looks at, whatever they are. */
#define REGISTRY_DIRENTS_MAX 4096
/* "<16 hex>-<pid>-<start time>" and a NUL, with room to spare. */
#define REGISTRY_NAME_MAX 64

/**
 * struct service_registry_hooks - what the registry does with records
 * @collect:	fill @r with the agent's own record
 * @apply:	take another agent's record (origin SERVICE_REGISTRY)
 * @withdraw:	forget what the registry said of @netns
 * @opaque:	passed to each
 */
struct service_registry_hooks {
	void (*collect)(void *opaque, struct service_record *r);
	void (*apply)(void *opaque, const struct service_record *r);
	void (*withdraw)(void *opaque, uint64_t netns);
	void *opaque;
};

/* A file of the directory as last seen by a scan. */
struct registry_file {
	char name[REGISTRY_NAME_MAX];
	dev_t dev;
	ino_t ino;
	uint64_t netns; /* 0: refused (logged once for this inode) */
	bool seen;	/* by the current scan */
	bool dirty;	/* named by an inotify event since the last scan */
};

struct service_registry {
	uv_loop_t *loop;
	int dirfd; /* -1: no registry */
	uint64_t own_netns;
	char own_name[REGISTRY_NAME_MAX];
	bool own_written;
	struct service_registry_hooks hooks;
	int inotify_fd;
	uv_poll_t poll;
	bool polled;
	uv_timer_t scan_timer, write_timer;
	bool timers_made;
	uint64_t last_scan, last_write; /* uv_now() */
	bool write_pending;
	char *text;		    /* SERVICE_RECORD_TEXT_MAX + 1 bytes */
	struct service_record *rec; /* of the file being read or written */
	/* Several files can name one namespace (under nsbypass oci, every
	 * agent of a pod or an exec writes one): what the map gets of a
	 * namespace is the union of its files, made again after a scan
	 * that touched any of them. */
	struct service_record *merged;
	uint64_t touched[REGISTRY_FILES_MAX];
	size_t n_touched;
	struct registry_file files[REGISTRY_FILES_MAX];
	size_t n_files;
	bool full_warned, write_warned;
};

/**
 * service_registry_runtime_dir() - where this user's registry lives:
 * $XDG_RUNTIME_DIR
 * Return: it, or NULL when it is unset, empty or not absolute (then there
 * is no registry: no other place is known to be the user's alone)
 */
const char *service_registry_runtime_dir(void);

/**
 * service_registry_open_dir() - open @runtime_dir/nsbypass/services, the
 * registry directory, made (mode 0700) with its parent if missing
 * @runtime_dir: service_registry_runtime_dir(), or a test's directory
 *
 * "nsbypass" and "services" must be directories of ours, not writable by
 * group or others; neither may be a symlink.
 *
 * Return: an O_DIRECTORY fd, or -errno (-EPERM: not ours or too open)
 */
int service_registry_open_dir(const char *runtime_dir);

/**
 * service_registry_name() - the file name of an agent's record
 * @buf:	REGISTRY_NAME_MAX bytes
 * @netns:	its namespace's cookie
 * @pid:	the agent's pid
 * @start:	its start time (proc_start_time())
 */
void service_registry_name(char *buf, uint64_t netns, pid_t pid,
			   uint64_t start);

/**
 * service_registry_parse_name() - the parts of a record file's name
 * Return: 0, or -EINVAL for any other name (temporary files too)
 */
int service_registry_parse_name(const char *name, uint64_t *netns, pid_t *pid,
				uint64_t *start);

/**
 * service_registry_proc_start() - the start time of process @pid, in
 * clock ticks since boot (/proc/PID/stat, field 22)
 * Return: 0, or -ESRCH when it is gone, -EINVAL for what cannot be read
 */
int service_registry_proc_start(pid_t pid, uint64_t *ret);

/**
 * service_registry_read() - the text of file @name of @dirfd, strictly
 * @dirfd:	the directory
 * @name:	the file
 * @buf:	at least SERVICE_RECORD_TEXT_MAX bytes
 * @size:	its size
 * @st:		the file's stat, filled
 *
 * Opened O_NOFOLLOW | O_NONBLOCK (a FIFO does not block), then it must be
 * a regular file of ours no bigger than @size.
 *
 * Return: the length read, or -errno: -ELOOP (a symlink), -EINVAL (not
 * a regular file), -EPERM (not ours), -EFBIG (too big), or open()'s
 */
ssize_t service_registry_read(int dirfd, const char *name, char *buf,
			      size_t size, struct stat *st);

/**
 * service_registry_init() - a registry that is not open (so that
 * service_registry_close() and service_registry_changed() are no-ops)
 */
void service_registry_init(struct service_registry *g);

/**
 * service_registry_open() - start the registry of an agent on @loop
 * @g:		the registry
 * @loop:	the agent's loop
 * @dirfd:	the directory (service_registry_open_dir()), owned from now
 *		on (closed by service_registry_close())
 * @own_netns:	the agent's container namespace (its file's name)
 * @hooks:	what to do with records (copied)
 *
 * Watches the directory, reads it once and writes the agent's own file.
 *
 * Return: 0, or -errno (nothing left open, @dirfd closed)
 */
int service_registry_open(struct service_registry *g, uv_loop_t *loop,
			  int dirfd, uint64_t own_netns,
			  const struct service_registry_hooks *hooks);

/**
 * service_registry_changed() - the agent's record may have changed:
 * write it again, now or once REGISTRY_WRITE_MS has passed since the
 * last write.  A no-op without a registry.
 */
void service_registry_changed(struct service_registry *g);

/**
 * service_registry_scan() - read the queued inotify events and the
 * directory now: apply the files that changed since the last scan, withdraw those gone, remove those of
 * ended agents
 * Return: 0 or -errno when the directory cannot be read
 */
int service_registry_scan(struct service_registry *g);

/**
 * service_registry_close() - remove the agent's own file and close the
 * handles (the loop can end then); safe without a registry, and twice
 */
void service_registry_close(struct service_registry *g);

/**
 * service_registry_agent_hooks() - hooks that pass records to and from
 * agent @a (agent_services_collect(), _apply(), _withdraw())
 */
void service_registry_agent_hooks(struct agent *a,
				  struct service_registry_hooks *h);

/**
 * service_registry_join() - agent @a joins the user's registry: the
 * directory under service_registry_runtime_dir(), opened and watched on
 * @loop, with service_registry_agent_hooks()
 * @g:		the registry (service_registry_init() done)
 * @a:		the agent, started; its on_services_changed is the caller's
 *		to set, calling service_registry_changed()
 * @loop:	its loop
 * @own_netns:	its container's namespace
 *
 * Said at debug level without XDG_RUNTIME_DIR, with a warning when the
 * directory is refused or cannot be watched: the agent goes on without
 * other containers' services (c2c through the registry is off for it).
 *
 * Return: 0, or -errno (-ENOENT: no XDG_RUNTIME_DIR)
 */
int service_registry_join(struct service_registry *g, struct agent *a,
			  uv_loop_t *loop, uint64_t own_netns);

#endif /* NB_SERVICE_REGISTRY_H */
