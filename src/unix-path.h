/* SPDX-License-Identifier: Apache-2.0 */
/*
 * unix-path.h - the file of a unix socket server: taking over one a dead
 * server left behind, and binding one that is private from birth.
 */
#ifndef NB_UNIX_PATH_H
#define NB_UNIX_PATH_H

#include <sys/un.h>

/**
 * unix_remove_stale() - remove the socket file at @path if no server
 * answers on it (connect() is refused), never anything else
 * @path:	the file
 * @sun:	the address that reaches it (@path itself, or a shorter
 *		alias of it)
 * Return: 0 (removed, or nothing there), -EADDRINUSE (a server answers),
 * -EEXIST (not a socket), other -errno
 */
int unix_remove_stale(const char *path, const struct sockaddr_un *sun);

/**
 * unix_bind_private() - bind @fd to @sun with mode 0600 from the start
 * (umask around bind(), then chmod), taking over a stale socket file in
 * the way once (unix_remove_stale())
 * Return: 0 or -errno
 */
int unix_bind_private(int fd, const struct sockaddr_un *sun);

#endif /* NB_UNIX_PATH_H */
