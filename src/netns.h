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
