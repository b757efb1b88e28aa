/* SPDX-License-Identifier: Apache-2.0 */
/*
 * route.h - which host device does a destination route through?
 *
 * Used to pin every switched socket, TCP and UDP, to that device
 * (SO_BINDTOIFINDEX), which an unprivileged process may do once and never
 * undo.  Linux lets a connected UDP socket sendto() any address, and a TCP
 * socket whose connect failed be connected again or sendto(MSG_FASTOPEN);
 * a socket pinned to a non-loopback device cannot reach 127.0.0.0/8 or ::1
 * (the kernel refuses a loopback destination on a non-loopback device), so
 * a switched socket cannot be turned against the host's loopback services.
 */
#ifndef NB_ROUTE_H
#define NB_ROUTE_H

#include <sys/socket.h>

/* Every network namespace numbers its loopback device 1. */
#define ROUTE_LOOPBACK_IFINDEX 1

/** route_open() - a NETLINK_ROUTE socket (O_CLOEXEC). Return: fd/-errno */
int route_open(void);

/**
 * route_device() - the device of the FIB entry that matches @dst
 * @nlfd:	from route_open()
 * @dst:	AF_INET or AF_INET6 address (v4-mapped IPv6 is looked up as
 *		IPv4)
 * @ret_ifindex: the device; for a local destination, the device that
 *		owns the address (RTM_F_FIB_MATCH), not lo
 *
 * Return: 0, -ENETUNREACH when no single device matches (no route,
 * multipath), other -errno
 */
int route_device(int nlfd, const struct sockaddr *dst, int *ret_ifindex);

/**
 * route_dst_bytes() - the address family and bytes a lookup of @dst uses
 * (a v4-mapped IPv6 address gives AF_INET and its 4 bytes)
 * Return: 0, or -EAFNOSUPPORT
 */
int route_dst_bytes(const struct sockaddr *dst, int *family, const void **addr,
		    size_t *len);

#endif /* NB_ROUTE_H */
