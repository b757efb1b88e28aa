/* SPDX-License-Identifier: Apache-2.0 */
/*
 * netns.h - set up a rootless user + network namespace for `nsbypass run`.
 */
#ifndef NB_NETNS_H
#define NB_NETNS_H

#include <sys/types.h>

/**
 * netns_unshare_rootless() - enter a new user and network namespace
 * and map @uid/@gid (the caller's, from before) to root inside, as
 * `unshare -r -n` does.
 * Return: 0 or -errno
 */
int netns_unshare_rootless(uid_t uid, gid_t gid);

/** netns_lo_up() - bring up the loopback device. Return: 0 or -errno */
int netns_lo_up(void);

#endif /* NB_NETNS_H */
