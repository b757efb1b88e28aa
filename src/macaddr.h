/* SPDX-License-Identifier: Apache-2.0 */
/*
 * macaddr.h - a MAC address argument, for the slirp4netns mode's
 * --macaddress and nsbypass-nsagent's --mac (both link this file).
 */
#ifndef NB_MACADDR_H
#define NB_MACADDR_H

#include <stdint.h>

/**
 * macaddr_parse() - "xx:xx:xx:xx:xx:xx"
 * @s:		six bytes of one or two hex digits each, separated by ':'
 * @mac:	the bytes
 *
 * A multicast or all-zero address is refused too: the kernel refuses it
 * for an interface.
 *
 * Return: 0 or -EINVAL
 */
int macaddr_parse(const char *s, uint8_t mac[6]);

#endif /* NB_MACADDR_H */
