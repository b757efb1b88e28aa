/* SPDX-License-Identifier: Apache-2.0 */
/*
 * private-dir.h - a directory only we may write to, made if missing.
 */
#ifndef NB_PRIVATE_DIR_H
#define NB_PRIVATE_DIR_H

#include <dirent.h>

/**
 * private_dir_open() - open directory @name of @parent, made 0700 if
 * missing; it must be a directory (not a symlink) of our euid that no one
 * else can write to
 *
 * Return: an O_RDONLY | O_DIRECTORY | O_CLOEXEC fd, or -errno (-EPERM:
 * another owner, or group- or world-writable)
 */
int private_dir_open(int parent, const char *name);

/**
 * private_dir_open_path() - private_dir_open() of the last component of
 * @path, in its parent directory (which must exist)
 */
int private_dir_open_path(const char *path);

/**
 * private_dir_list() - a DIR stream of the directory @dirfd, from its
 * start, on an fd of its own (@dirfd stays as it is)
 * Return: the stream (closedir() it), or NULL with errno set
 */
DIR *private_dir_list(int dirfd);

#endif /* NB_PRIVATE_DIR_H */
