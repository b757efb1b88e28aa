// SPDX-License-Identifier: Apache-2.0
/*
 * readfile.c - read a whole text file, bounded in size (see readfile.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "readfile.h"
#include "util.h"

int read_text_fd(int fd, size_t max, char **ret)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0, cap = 0;
	ssize_t n;

	for (;;) {
		if (cap - len < 4096) {
			char *b;

			if (cap > max)
				return -EFBIG;
			cap = cap ? cap * 2 : 65536;
			b = realloc(buf, cap + 1);
			if (!b)
				return -ENOMEM;
			buf = b;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > max)
			return -EFBIG;
	}
	if (memchr(buf, '\0', len))
		return -EINVAL;
	buf[len] = '\0';
	*ret = buf;
	buf = NULL;
	return 0;
}
