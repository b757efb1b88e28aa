/* SPDX-License-Identifier: Apache-2.0 */
/*
 * log.h - leveled logging to stderr.  Lower layers log at debug level only;
 * the boundary that decides what to do about an error logs it once.
 */
#ifndef NB_LOG_H
#define NB_LOG_H

#include <stdbool.h>

enum log_level {
	LOG_LEVEL_ERROR,
	LOG_LEVEL_WARN,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG,
	LOG_LEVEL_MAX,
};

extern enum log_level log_max_level;

/**
 * log_level_parse() - turn "error", "warn", "info" or "debug" into a level
 * Return: 0 or -EINVAL
 */
int log_level_parse(const char *s, enum log_level *ret_level);

/** log_set_prefix() - the word printed before every message ("nsbypass") */
void log_set_prefix(const char *prefix);

void log_msg(enum log_level level, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static inline bool log_enabled(enum log_level level)
{
	return level <= log_max_level;
}

#define log_error(...) log_msg(LOG_LEVEL_ERROR, 0, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LEVEL_WARN, 0, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LEVEL_INFO, 0, __VA_ARGS__)
#define log_debug(...)                                            \
	do {                                                      \
		if (log_enabled(LOG_LEVEL_DEBUG))                 \
			log_msg(LOG_LEVEL_DEBUG, 0, __VA_ARGS__); \
	} while (0)

/* Log with strerror(-r) appended and return r (a negative errno). */
int log_errno_at(enum log_level level, int r, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
#define log_errno(r, ...) log_errno_at(LOG_LEVEL_ERROR, (r), __VA_ARGS__)
#define log_warn_errno(r, ...) log_errno_at(LOG_LEVEL_WARN, (r), __VA_ARGS__)

#endif /* NB_LOG_H */
