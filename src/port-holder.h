/* SPDX-License-Identifier: Apache-2.0 */
/*
 * port-holder.h - which process listens on a TCP port of our network
 * namespace: for the error line of a published port whose host port is
 * taken (typically by the engine's own forwarder, rootlessport or pasta).
 */
#ifndef NB_PORT_HOLDER_H
#define NB_PORT_HOLDER_H

#include <stddef.h>

/**
 * port_holder() - name a process that has a TCP socket listening on @port
 * (any local address, IPv4 or IPv6) in the caller's network namespace
 * @port: the TCP port
 * @buf: receives "COMM (pid N)", NUL-terminated
 * @size: size of @buf
 *
 * Reads /proc/net/tcp{,6} for the socket's inode, then the fds of the
 * processes /proc lets us read (our own user's).  Slow (a /proc walk):
 * for error paths only.
 *
 * Return: 0, or -ENOENT if no listener or no readable holder was found.
 */
int port_holder(int port, char *buf, size_t size);

#endif
