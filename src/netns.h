/* SPDX-License-Identifier: Apache-2.0 */
/*
 * netns.h - set up a rootless user + network namespace for `nsbypass run`.
 */
#ifndef NB_NETNS_H
#define NB_NETNS_H

#include <sys/types.h>

/**
 * netns_unshare_user_net() - enter a new user and network namespace,
 * not mapped yet: netns_map_single() or newuidmap/newgidmap (idmap.h)
 * map it
 * Return: 0 or -errno
 */
int netns_unshare_user_net(void);

/**
 * netns_map_single() - map @uid/@gid (the caller's, from before
 * netns_unshare_user_net()) to root in the caller's new user namespace,
 * and nothing else, as `unshare -r` does: setgroups is denied
 * Return: 0 or -errno
 */
int netns_map_single(uid_t uid, gid_t gid);

/** netns_lo_up() - bring up the loopback device. Return: 0 or -errno */
int netns_lo_up(void);

/*
 * The addresses `--net=none` puts on lo so that glibc's AI_ADDRCONFIG
 * check (any IPv4 address but 127.0.0.1, any IPv6 address but ::1) sees
 * both families configured and getaddrinfo() asks the resolver: IANA's
 * "IPv4 dummy address" 192.0.0.8 (RFC 7600) and 100::8 from the IPv6
 * discard-only prefix 100::/64 (RFC 6666).  Host-scoped, on lo: no route
 * out comes with them, and the agent never bypasses them (run.c).
 */
/* Brace-initializer macros, which the formatter would break apart. */
/* clang-format off */
#define NETNS_ADDRCONFIG_V4 { 192, 0, 0, 8 }
#define NETNS_ADDRCONFIG_V6 { 0x01, 0x00, 0, 0, 0, 0, 0, 0, \
			      0, 0, 0, 0, 0, 0, 0, 0x08 }
#define NETNS_ADDRCONFIG_CIDRS { "192.0.0.8/32", "100::8/128" }
/* clang-format on */

/**
 * netns_add_addrconfig_addrs() - put NETNS_ADDRCONFIG_V4 and _V6 on lo
 * (host scope, full-length prefixes)
 * Return: 0 or -errno
 */
int netns_add_addrconfig_addrs(void);

/**
 * userns_id() - the identity (device, inode) of @pid's user namespace
 * Return: 0 or -errno
 */
int userns_id(pid_t pid, dev_t *ret_dev, ino_t *ret_ino);

/**
 * userns_kill_all() - SIGKILL every process in the user namespace
 * (@dev, @ino), in rounds until none is left (bounded), as the end of a
 * PID namespace would: processes the command left behind must not run on
 * under a filter whose agent is gone (every trapped call would fail).
 * Return: the number of processes signalled
 */
unsigned int userns_kill_all(dev_t dev, ino_t ino);

#endif /* NB_NETNS_H */
