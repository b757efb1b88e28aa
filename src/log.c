// SPDX-License-Identifier: Apache-2.0
/*
 * log.c - leveled logging to stderr, one line per message.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "util.h"

enum log_level log_max_level = LOG_LEVEL_WARN;
static const char *log_prefix = "nsbypass";

static const char *const log_level_str[] = {
	[LOG_LEVEL_ERROR] = "error",
	[LOG_LEVEL_WARN] = "warn",
	[LOG_LEVEL_INFO] = "info",
	[LOG_LEVEL_DEBUG] = "debug",
};
_Static_assert(ARRAY_SIZE(log_level_str) == LOG_LEVEL_MAX,
	       "log_level_str must name every level");

int log_level_parse(const char *s, enum log_level *ret_level)
{
	for (size_t i = 0; i < ARRAY_SIZE(log_level_str); i++) {
		if (strcmp(s, log_level_str[i]) == 0) {
			*ret_level = (enum log_level)i;
			return 0;
		}
	}
	return -EINVAL;
}

void log_set_prefix(const char *prefix)
{
	log_prefix = prefix;
}

static void log_va(enum log_level level, int err, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

static void log_va(enum log_level level, int err, const char *fmt, va_list ap)
{
	char buf[512];
	int saved = errno;

	if (level > log_max_level)
		return;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	if (err)
		fprintf(stderr, "%s: %s: %s: %s\n", log_prefix,
			log_level_str[level], buf,
			strerror(err < 0 ? -err : err));
	else
		fprintf(stderr, "%s: %s: %s\n", log_prefix,
			log_level_str[level], buf);
	errno = saved;
}

void log_msg(enum log_level level, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_va(level, err, fmt, ap);
	va_end(ap);
}

int log_errno_at(enum log_level level, int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_va(level, r, fmt, ap);
	va_end(ap);
	return r;
}
