/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sockopt.h - the socket options whose names are recorded before a socket
 * is switched to the host, and whose values are copied onto the host
 * socket.
 *
 * Only options whose meaning does not depend on the network namespace and
 * that need no privilege are listed: the agent sets them on the host
 * socket with its own credentials.
 * SO_BINDTODEVICE, SO_MARK, SO_PRIORITY, IP_TRANSPARENT, the *BUFFORCE and
 * TCP_CONGESTION are left to the kernel (not trapped, not replayed).
 */
#ifndef NB_SOCKOPT_H
#define NB_SOCKOPT_H

#include <stdbool.h>
#include <stddef.h>

/* Largest value copied: struct timeval / __kernel_sock_timeval. */
#define SOCKOPT_VAL_MAX 16

struct sockopt_desc {
	int level;
	int name;
	const char *str;
};

/** sockopt_recorded - the allow-list, @sockopt_recorded_len entries */
extern const struct sockopt_desc sockopt_recorded[];
extern const size_t sockopt_recorded_len;

/** sockopt_is_recorded() - is (@level, @name) on the allow-list? */
bool sockopt_is_recorded(int level, int name);

/** sockopt_name() - "SOL_SOCKET/SO_REUSEADDR" style name, or NULL */
const char *sockopt_name(int level, int name);

/**
 * sockopt_copy() - set (@level, @name) of @to to the value @from has
 * @from:	the socket the option was set on (the agent's copy)
 * @to:		the host socket
 * @level:	an option of the allow-list
 * @name:	its name
 *
 * The value is read with getsockopt() from @from and turned into what
 * setsockopt() takes where the two differ (sockopt.c says which).
 * Return: 0 (copied, or nothing to copy), or -errno of the getsockopt()
 * or setsockopt() that failed
 */
int sockopt_copy(int from, int to, int level, int name);

#endif /* NB_SOCKOPT_H */
