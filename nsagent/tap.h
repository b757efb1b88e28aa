/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tap.h - open the tap device of the slirp fallback network inside the
 * container's network namespace.
 */
#ifndef NB_NSAGENT_TAP_H
#define NB_NSAGENT_TAP_H

#include <stdbool.h>

/**
 * tap_name_is_valid() - can @name be given to the kernel as a device name
 * @name:	the name
 *
 * A valid name has 1 to IFNAMSIZ - 1 characters, none of them '/', ':',
 * a control character, a space or a non-ASCII byte, and is not "." or
 * "..".  That is what the kernel accepts (dev_valid_name()), without the
 * bytes that would break the one-line "tap NAME\n" message.
 *
 * Return: true if @name is valid
 */
bool tap_name_is_valid(const char *name);

/**
 * tap_open() - create or attach to the tap device @name
 * @name:	the device name, see tap_name_is_valid()
 * @ret_fd:	the tap fd (O_CLOEXEC, blocking)
 *
 * Opens /dev/net/tun and attaches the file to a tap device (IFF_TAP,
 * IFF_NO_PI: whole Ethernet frames, no packet information header) in the
 * caller's network namespace.  The device is not persistent: it goes away
 * when its last fd is closed.
 *
 * Return: 0, -EINVAL for an invalid name, or -errno of open() or
 * TUNSETIFF (-EACCES when /dev/net/tun is not open to the caller, -EPERM
 * without CAP_NET_ADMIN over the namespace)
 */
int tap_open(const char *name, int *ret_fd);

#endif /* NB_NSAGENT_TAP_H */
