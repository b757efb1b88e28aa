/* SPDX-License-Identifier: Apache-2.0 */
/*
 * s4n-cleaner.h - the process that removes the slirp4netns mode's API
 * socket once the confined slirp process is gone.
 *
 * Confined (--enable-sandbox, --enable-seccomp), the slirp process cannot
 * remove its API socket at exit: the path is not in its root, and the
 * allow-list has no unlink().  So before it confines itself it forks a
 * cleaner that holds nothing but one end of a socket pair (and stderr)
 * and waits for the other end to close, however the slirp process ends:
 * exit, SIGKILL, or its filter's kill.  Then the cleaner removes the
 * socket if it is still the one that was bound (same device and inode),
 * and exits.  It checks and removes it by the directory it was bound in,
 * held open since the start, never by walking the path again: a
 * directory of the path swapped for a symlink cannot aim it elsewhere.
 */
#ifndef NB_S4N_CLEANER_H
#define NB_S4N_CLEANER_H

/**
 * s4n_cleaner_start() - fork the cleaner of the API socket at @path
 * @path:	the socket, just bound by us
 *
 * Return: our end of the pair, to keep open until s4n_cleaner_finish()
 * (or the process's end), or -errno (logged)
 */
int s4n_cleaner_start(const char *path);

/**
 * s4n_cleaner_finish() - have the cleaner remove the socket now, and wait
 * until it has (at most a second), so that the socket is gone when this
 * process exits; closes @fd
 * @fd:		what s4n_cleaner_start() returned
 *
 * Uses only calls the sandbox's allow-list has: shutdown, poll, read,
 * close.
 */
void s4n_cleaner_finish(int fd);

#endif /* NB_S4N_CLEANER_H */
