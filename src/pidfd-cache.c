// SPDX-License-Identifier: Apache-2.0
/*
 * pidfd-cache.c - a small LRU array of pidfds, keyed by thread id.
 *
 * 32 entries searched linearly: a container has few busy threads, and a
 * linear scan of 32 integers is cheaper than the syscalls it saves.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "pidfd-cache.h"
#include "target.h"
#include "util.h"

void pidfd_cache_init(struct pidfd_cache *c)
{
	memset(c, 0, sizeof(*c));
	for (size_t i = 0; i < ARRAY_SIZE(c->e); i++) {
		c->e[i].fd = -1;
		c->e[i].fdinfo = -1;
	}
	c->uncached = -1;
}

int pidfd_cache_get(struct pidfd_cache *c, pid_t tid, int *ret_fresh)
{
	size_t victim = 0;
	bool exact;
	int fd;

	*ret_fresh = 0;
	for (size_t i = 0; i < ARRAY_SIZE(c->e); i++) {
		if (c->e[i].tid == tid && c->e[i].fd >= 0) {
			c->e[i].used = ++c->clock;
			return c->e[i].fd;
		}
		if (c->e[i].used < c->e[victim].used)
			victim = i;
	}
	fd = target_pidfd_open_exact(tid, &exact);
	if (fd < 0)
		return fd;
	if (!exact) {
		/* Not cacheable; parked in a slot of its own (see .h). */
		closep(&c->uncached);
		c->uncached = fd;
		*ret_fresh = 1;
		return fd;
	}
	closep(&c->e[victim].fd);
	closep(&c->e[victim].fdinfo);
	c->e[victim].tid = tid;
	c->e[victim].fd = fd;
	c->e[victim].used = ++c->clock;
	*ret_fresh = 1;
	return fd;
}

int pidfd_cache_fdinfo_dir(struct pidfd_cache *c, pid_t tid)
{
	char path[64];

	for (size_t i = 0; i < ARRAY_SIZE(c->e); i++) {
		if (c->e[i].tid != tid || c->e[i].fd < 0)
			continue;
		if (c->e[i].fdinfo < 0) {
			snprintf(path, sizeof(path), "/proc/%d/fdinfo", tid);
			c->e[i].fdinfo = open(path,
					      O_PATH | O_DIRECTORY | O_CLOEXEC);
			if (c->e[i].fdinfo < 0)
				return -errno;
		}
		return c->e[i].fdinfo;
	}
	return -ENOENT;
}

void pidfd_cache_drop(struct pidfd_cache *c, pid_t tid)
{
	for (size_t i = 0; i < ARRAY_SIZE(c->e); i++) {
		if (c->e[i].tid != tid)
			continue;
		closep(&c->e[i].fd);
		closep(&c->e[i].fdinfo);
		c->e[i].tid = 0;
		c->e[i].used = 0;
	}
}

size_t pidfd_cache_prune(struct pidfd_cache *c)
{
	struct pollfd p[PIDFD_CACHE_SIZE];
	size_t left = 0;

	for (size_t i = 0; i < ARRAY_SIZE(c->e); i++)
		p[i] = (struct pollfd){ .fd = c->e[i].fd, .events = POLLIN };
	/* Negative fds (free slots) are ignored by poll(). */
	if (poll(p, ARRAY_SIZE(p), 0) < 0)
		return ARRAY_SIZE(c->e);
	for (size_t i = 0; i < ARRAY_SIZE(c->e); i++) {
		if (c->e[i].fd < 0)
			continue;
		if (p[i].revents)
			pidfd_cache_drop(c, c->e[i].tid);
		else
			left++;
	}
	return left;
}

void pidfd_cache_clear(struct pidfd_cache *c)
{
	for (size_t i = 0; i < ARRAY_SIZE(c->e); i++) {
		closep(&c->e[i].fd);
		closep(&c->e[i].fdinfo);
	}
	closep(&c->uncached);
	pidfd_cache_init(c);
}
