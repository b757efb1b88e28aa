/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pidfd-cache.h - the agent's pidfds of recently trapped threads.
 *
 * Every trapped call needs a pidfd of its thread for pidfd_getfd(); a
 * connection-heavy container traps the same few threads over and over, so
 * opening and closing one per call is two syscalls for nothing.
 *
 * A cached pidfd can go stale: its thread exits and the thread id is
 * recycled.  That is safe to detect late, because a pidfd names a struct
 * pid, not a number: once its thread is gone, pidfd_getfd() on it fails
 * with ESRCH and can never reach the new thread of the same id.  The
 * caller then drops the entry (pidfd_cache_drop()) and opens a fresh one.
 * Entries of threads that exited are also dropped by pidfd_cache_prune()
 * (a pidfd polls readable once its thread has exited), which the agent
 * runs every second while the cache is not empty: the cache holds fds of
 * live threads only, a second after the fact.
 *
 * Kernels before 6.9 have no thread pidfds; a non-leader thread then gets
 * its leader's pidfd, which does not go stale with the thread and so is
 * never cached: it lives only until the next pidfd_cache_get().
 */
#ifndef NB_PIDFD_CACHE_H
#define NB_PIDFD_CACHE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define PIDFD_CACHE_SIZE 32

struct pidfd_cache {
	struct {
		pid_t tid; /* 0: free */
		int fd;
		int fdinfo; /* O_PATH /proc/TID/fdinfo, opened on first use */
		uint64_t used; /* cache clock at last use */
	} e[PIDFD_CACHE_SIZE];
	uint64_t clock;
	int uncached; /* old kernels: the last leader pidfd, see below */
};

/** pidfd_cache_init() - an empty cache */
void pidfd_cache_init(struct pidfd_cache *c);

/**
 * pidfd_cache_get() - a pidfd for thread @tid, opened if not cached
 * @c:		the cache
 * @tid:	the thread id (a notification's pid field)
 * @ret_fresh:	set to 1 if the pidfd was just opened (it cannot be stale)
 *
 * The fd stays owned by the cache: do not close it.
 * Return: the pidfd, or -errno of target_pidfd_open()
 */
int pidfd_cache_get(struct pidfd_cache *c, pid_t tid, int *ret_fresh);

/**
 * pidfd_cache_fdinfo_dir() - /proc/TID/fdinfo of a cached thread, as an
 * O_PATH directory fd opened on first use and kept with its pidfd
 *
 * Call it only once pidfd_getfd() through the cached pidfd of @tid has
 * worked in this same dispatch: that proves @tid still names the thread
 * the entry was made for, so the directory is that thread's (a directory
 * of /proc names a struct pid too, and fails once it has exited).
 * Resolving "/proc/TID/fdinfo" is most of what reading an fdinfo file
 * costs; through this fd only the file's own name is looked up.
 * Return: the fd (owned by the cache), or -ENOENT if @tid is not cached
 */
int pidfd_cache_fdinfo_dir(struct pidfd_cache *c, pid_t tid);

/** pidfd_cache_drop() - forget (and close) the entry of @tid, if any */
void pidfd_cache_drop(struct pidfd_cache *c, pid_t tid);

/**
 * pidfd_cache_prune() - drop the entries whose thread has exited
 * Return: how many entries are left
 */
size_t pidfd_cache_prune(struct pidfd_cache *c);

/** pidfd_cache_clear() - close every cached pidfd */
void pidfd_cache_clear(struct pidfd_cache *c);

#endif /* NB_PIDFD_CACHE_H */
