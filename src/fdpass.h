/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fdpass.h - send and receive fds over a unix socket (SCM_RIGHTS).
 */
#ifndef NB_FDPASS_H
#define NB_FDPASS_H

#include <stddef.h>

#define FDPASS_MAX 8

/**
 * fdpass_send() - send @n fds (n <= FDPASS_MAX) with one data byte
 * Return: 0 or -errno
 */
int fdpass_send(int sock, const int *fds, size_t n);

/**
 * fdpass_recv() - receive one message of exactly @n fds (O_CLOEXEC)
 *
 * Any other number of fds is an error, and every fd that did arrive is
 * closed: nothing leaks from a malformed message.
 *
 * Return: 0, -EPIPE on EOF, -EBADMSG on a wrong fd count, other -errno
 */
int fdpass_recv(int sock, int *fds, size_t n);

#endif /* NB_FDPASS_H */
