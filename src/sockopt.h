/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sockopt.h - the socket options that are recorded before a socket is
 * switched to the host, and replayed on the host socket.
 *
 * Only options whose meaning does not depend on the network namespace and
 * that need no privilege are listed: the agent applies them with its own
 * credentials, so a privileged option here would be a privilege leak.
 * SO_BINDTODEVICE, SO_MARK, SO_PRIORITY, IP_TRANSPARENT, the *BUFFORCE and
 * TCP_CONGESTION are left to the kernel (not trapped, not replayed).
 */
#ifndef NB_SOCKOPT_H
#define NB_SOCKOPT_H

#include <stdbool.h>
#include <stddef.h>

/* Largest value recorded: struct timeval / __kernel_sock_timeval. */
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

#endif /* NB_SOCKOPT_H */
