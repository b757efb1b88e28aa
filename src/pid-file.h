/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pid-file.h - a pid file that is written only where a pid file can be,
 * and removed only by the process whose pid it holds.
 */
#ifndef NB_PID_FILE_H
#define NB_PID_FILE_H

#include <stdbool.h>
#include <sys/types.h>

/**
 * pid_file_write() - write @pid and a newline to @path
 * @path:	the file: created (0644) if absent, rewritten if it is a
 *		regular file
 * @pid:	the pid
 *
 * Never blocks and never touches anything but a regular file: a
 * symlink, socket, fifo or device at @path is left alone.
 *
 * Return: 0, -EEXIST if something other than a regular file is at
 * @path, or another -errno
 */
int pid_file_write(const char *path, pid_t pid);

/**
 * pid_file_holds() - does the regular file at @path hold exactly @pid
 * (decimal, an optional newline)?  Never blocks, follows no symlink.
 */
bool pid_file_holds(const char *path, pid_t pid);

/**
 * pid_file_remove() - remove the pid file at @path if it holds @pid
 * (pid_file_holds()): another process may have written its own pid
 * there since, and that file stays.
 *
 * Return: true if it was removed
 */
bool pid_file_remove(const char *path, pid_t pid);

#endif /* NB_PID_FILE_H */
