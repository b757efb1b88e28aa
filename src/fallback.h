/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fallback.h - the fallback network: an embedded libslirp stack behind the
 * container's tap device, driven by the agent's libuv loop.  Whatever is
 * not bypassed (the container's own subnets, --ignore'd destinations,
 * non-inet traffic that needs a route out) goes through it, the way
 * slirp4netns gives a rootless container its network.
 */
#ifndef NB_FALLBACK_H
#define NB_FALLBACK_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <uv.h>

struct fallback;

struct fallback_config {
	struct in_addr network;	   /* 10.0.2.0 */
	unsigned int prefix;	   /* 24 */
	struct in_addr host;	   /* 10.0.2.2: the gateway, slirp itself */
	struct in_addr dns;	   /* 10.0.2.3 */
	struct in_addr guest;	   /* 10.0.2.100: the container */
	unsigned int mtu;	   /* 65520 */
	bool enable_ipv6;	   /* fd00::/64, host fd00::2, dns fd00::3 */
	bool enable_host_loopback; /* false: 10.0.2.2 never reaches 127.0.0.1 */
	bool disable_dns; /* true: nothing answers on @dns (and fd00::3) */
	/* Host sockets slirp opens for the container are bound to these
	 * (libslirp's outbound_addr, outbound_addr6); family 0: not bound. */
	struct sockaddr_in outbound;
	struct sockaddr_in6 outbound6;
};

/** fallback_config_default() - slirp4netns's defaults, MTU 65520 */
void fallback_config_default(struct fallback_config *cfg);

/**
 * fallback_config_set_cidr() - take network, gateway (.2), DNS (.3) and
 * guest (.100) from an IPv4 CIDR such as "10.0.2.0/24", as slirp4netns's
 * --cidr does.
 * Return: 0, or -EINVAL (not IPv4, prefix outside 1..25)
 */
int fallback_config_set_cidr(struct fallback_config *cfg, const char *cidr);

/**
 * fallback_start() - run slirp on @loop behind @tap_fd (owned from now on)
 * Return: 0 or -errno; *ret is freed with fallback_stop()
 */
int fallback_start(uv_loop_t *loop, const struct fallback_config *cfg,
		   int tap_fd, struct fallback **ret);

/**
 * fallback_add_hostfwd() - forward @host (address and port, IPv4 or IPv6;
 * the wildcard address listens on all) to @guest in the container, for
 * TCP or, with @udp, UDP.  slirp opens the listening socket at once.
 * Return: 0, or -errno from the host socket (e.g. -EADDRINUSE)
 */
int fallback_add_hostfwd(struct fallback *f, bool udp,
			 const struct sockaddr *host, socklen_t host_len,
			 const struct sockaddr *guest, socklen_t guest_len);

/**
 * fallback_remove_hostfwd() - undo fallback_add_hostfwd() for @host
 * Return: 0, or -ENOENT if no such forward exists
 */
int fallback_remove_hostfwd(struct fallback *f, bool udp,
			    const struct sockaddr *host, socklen_t host_len);

/**
 * typedef fallback_gone_cb - the tap device is gone
 * @f:		the fallback, still running (stop it from here if wanted)
 * @data:	what fallback_set_gone_cb() was given
 */
typedef void (*fallback_gone_cb)(struct fallback *f, void *data);

/**
 * fallback_set_gone_cb() - call @cb once when the tap device goes away
 * @f:		the fallback
 * @cb:		the callback, NULL for none
 * @data:	handed to @cb
 *
 * A tap disappears with its network namespace: the kernel unregisters
 * the device, and the tap fd reports an error from then on.  The fallback
 * stops reading it either way; the callback lets the owner end too.
 */
void fallback_set_gone_cb(struct fallback *f, fallback_gone_cb cb, void *data);

/** fallback_stop() - close every handle; frees itself once they are closed */
void fallback_stop(struct fallback *f);

#endif /* NB_FALLBACK_H */
