/* SPDX-License-Identifier: Apache-2.0 */
/*
 * util.h - small helpers shared by every module: cleanup attributes,
 * container_of, array sizes and the ASSERT macro.
 */
#ifndef NB_UTIL_H
#define NB_UTIL_H

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <unistd.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define container_of(ptr, type, member) \
	((type *)((char *)(ptr)-offsetof(type, member)))

#ifndef MIN
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#endif
#ifndef MAX
#define MAX(a, b) ((a) > (b) ? (a) : (b))
#endif

static inline void freep(void *p)
{
	free(*(void **)p);
}

/* Close an fd, mark it closed (-1) and keep errno: cleanup handlers run
 * on error paths. */
static inline void closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;

		close(*fd);
		errno = saved;
	}
	*fd = -1;
}

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_close_ _cleanup_(closep)

/* Hand an fd out of a _cleanup_close_ variable. */
static inline int take_fd(int *fd)
{
	int r = *fd;

	*fd = -1;
	return r;
}

void nb_assert_fail(const char *expr, const char *file, int line)
	__attribute__((noreturn));

#define ASSERT(expr)                                               \
	do {                                                       \
		if (!(expr))                                       \
			nb_assert_fail(#expr, __FILE__, __LINE__); \
	} while (0)

/**
 * parse_int() - parse a whole decimal string into an int within bounds
 * Return: 0 or -EINVAL / -ERANGE
 */
int parse_int(const char *s, long min, long max, int *ret_value);

#endif /* NB_UTIL_H */
