/* SPDX-License-Identifier: Apache-2.0 */
/*
 * readfile.h - read a whole text file (a seccomp profile, an OCI bundle's
 * config.json) into memory, bounded in size.
 */
#ifndef NB_READFILE_H
#define NB_READFILE_H

#include <stddef.h>

/**
 * read_text_fd() - read all of @fd from where it is, NUL-terminated
 * @fd:		an fd open for reading
 * @max:	the largest size accepted, in bytes
 * @ret:	the malloc()ed text
 *
 * Return: 0, -EFBIG when longer than @max, -EINVAL when it holds a NUL
 * byte (not text), -ENOMEM or the read()'s -errno
 */
int read_text_fd(int fd, size_t max, char **ret);

#endif /* NB_READFILE_H */
