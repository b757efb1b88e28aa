/* SPDX-License-Identifier: Apache-2.0 */
/*
 * nsagent-client.h - start nsbypass-nsagent in the container's namespaces
 * and turn its reports into the policy's "container's own subnets" and,
 * for the service map, the container's own addresses.
 */
#ifndef NB_NSAGENT_CLIENT_H
#define NB_NSAGENT_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

#include "policy.h"
#include "service-map.h"

/* Largest report accepted; a larger message is rejected whole. */
#define NSAGENT_REPORT_MAX 16384
/* Most addresses an "addrs" report may name (nsagent's bound). */
#define NSAGENT_ADDRS_MAX 256
/* Room for a tap name and its NUL (IFNAMSIZ). */
#define NSAGENT_TAP_NAME_SIZE 16

struct nsagent_client;

/**
 * typedef nsagent_tap_cb - nsagent handed over the tap of the fallback
 * network
 * @c:		the client
 * @tap_fd:	the tap fd (O_CLOEXEC), owned by the callback from now on
 * @name:	the tap's name inside the container, valid during the call
 *
 * The fd has been checked: it is a /dev/net/tun file attached to a tap
 * device (IFF_TAP, IFF_NO_PI) of that name.
 */
typedef void (*nsagent_tap_cb)(struct nsagent_client *c, int tap_fd,
			       const char *name);

/**
 * typedef nsagent_addrs_cb - nsagent reported the namespace's own addresses
 * @c:		the client
 * @addrs:	a full snapshot, @n of them, valid during the call
 * @n:		how many (0 is a valid snapshot: no address of its own)
 */
typedef void (*nsagent_addrs_cb)(struct nsagent_client *c,
				 const struct service_addr *addrs, size_t n);

struct nsagent_client {
	uv_poll_t poll;
	int fd;
	bool closing;
	struct policy *policy;
	unsigned int reports;	   /* subnet reports */
	unsigned int addr_reports; /* address reports */
	/* Set before nsagent_client_start(); NULL: a tap is closed. */
	nsagent_tap_cb on_tap;
	/* Set before nsagent_client_start(); NULL: addresses are ignored. */
	nsagent_addrs_cb on_addrs;
	char buf[NSAGENT_REPORT_MAX + 1];
};

/**
 * nsagent_parse_report() - parse "subnets CIDR CIDR ...\n"
 * @msg:	the message, not NUL-terminated
 * @len:	its length
 * @ret:	array of @max CIDRs
 * @max:	its size
 * @ret_n:	how many were parsed
 *
 * Return: 0, or -EINVAL for a malformed report (nothing to apply), or
 * -ENOSPC when it names more than @max subnets.
 */
int nsagent_parse_report(const char *msg, size_t len, struct cidr *ret,
			 size_t max, size_t *ret_n);

/**
 * nsagent_parse_addrs() - parse "addrs ADDR ADDR ...\n"
 * @msg:	the message, not NUL-terminated
 * @len:	its length
 * @ret:	array of @max addresses
 * @max:	its size
 * @ret_n:	how many were parsed
 *
 * Each ADDR is a whole IPv4 or IPv6 address, no prefix; a v4-mapped one
 * is returned as IPv4.  Words are separated by single or repeated blanks
 * as in a subnets report.
 *
 * Return: 0, or -EINVAL for a malformed report (nothing to apply), or
 * -ENOSPC when it names more than @max addresses.
 */
int nsagent_parse_addrs(const char *msg, size_t len, struct service_addr *ret,
			size_t max, size_t *ret_n);

/**
 * nsagent_parse_tap() - parse "tap NAME\n"
 * @msg:	the message, not NUL-terminated
 * @len:	its length
 * @ret_name:	the NUL-terminated name, NSAGENT_TAP_NAME_SIZE bytes
 *
 * NAME is 1 to NSAGENT_TAP_NAME_SIZE - 1 printable ASCII characters, no
 * blank, '/' or ':', and not "." or "..": a name the kernel accepts for a
 * device.  The newline is required and nothing may follow it.
 *
 * Return: 0, or -EINVAL when @msg is not a well-formed tap message
 */
int nsagent_parse_tap(const char *msg, size_t len, char *ret_name);

/**
 * nsagent_find() - the nsbypass-nsagent binary: $NSBYPASS_NSAGENT, next
 * to our own executable, the build tree's nsagent/, then where `meson
 * install` puts it (PREFIX/LIBEXECDIR/nsbypass, compiled in).  The one
 * found is named in a debug log line.
 * Return: a malloc'd path, or NULL if none is executable
 */
char *nsagent_find(void);

/**
 * nsagent_client_start() - watch @fd (owned from now on) for reports that
 * replace @policy's subnets
 * @c:		the client; only its on_tap and on_addrs members are kept,
 *		the rest is reset
 * @loop:	the loop to watch @fd on
 * @fd:		the agent's end of nsagent's SOCK_SEQPACKET socket
 * @policy:	whose container subnets the reports replace, or NULL when
 *		the agent reads them itself (agent_watch_netns())
 *
 * A "tap NAME\n" message carrying exactly one tap fd goes to @c->on_tap,
 * an "addrs ...\n" report to @c->on_addrs.
 * Any other message that carries fds is refused: every fd is closed.
 *
 * On failure @fd is closed: at once, or with the poll handle on @loop
 * if libuv made one, so @c must stay until the loop has run again (as
 * after nsagent_client_stop()).
 *
 * Return: 0 or -errno
 */
int nsagent_client_start(struct nsagent_client *c, uv_loop_t *loop, int fd,
			 struct policy *policy);

/**
 * nsagent_recv_tap() - wait for nsagent's tap hand-over, outside any loop
 * @fd:		the agent's end of nsagent's SOCK_SEQPACKET socket
 * @timeout_ms:	how long to wait for the message
 * @ret_tap_fd:	the tap fd (O_CLOEXEC), checked as for nsagent_tap_cb
 * @ret_name:	the tap's name, NSAGENT_TAP_NAME_SIZE bytes
 *
 * For a caller that needs the tap before it can do anything else (the
 * slirp4netns-compatible mode).  The first message must be the tap
 * message with exactly one fd; any fd that comes with anything else is
 * closed.
 *
 * Return: 0, -ETIMEDOUT, -EPIPE when nsagent hung up first (it failed
 * and said why on stderr), -EPROTO for any other first message, or
 * -errno of poll()/recvmsg()
 */
int nsagent_recv_tap(int fd, int timeout_ms, int *ret_tap_fd, char *ret_name);

/** nsagent_client_stop() - stop watching; closes the fd */
void nsagent_client_stop(struct nsagent_client *c);

#endif /* NB_NSAGENT_CLIENT_H */
