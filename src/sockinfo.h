/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sockinfo.h - what the agent learns from its copy of a container socket.
 */
#ifndef NB_SOCKINFO_H
#define NB_SOCKINFO_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/time.h>

struct sockinfo {
	int domain;	       /* SO_DOMAIN, as getsockname() tells it */
	int type;	       /* SO_TYPE */
	int protocol;	       /* SO_PROTOCOL */
	uint64_t cookie;       /* SO_COOKIE: the socket's identity */
	uint64_t netns_cookie; /* SO_NETNS_COOKIE, 0 if the kernel lacks it */
	bool nonblock;	       /* O_NONBLOCK of the open file: set by the
				 * caller (target_fd_flags() reads it with
				 * close-on-exec), not by sockinfo_query() */
	bool bound;	       /* local port or address set (or listening) */
	bool any_addr;	       /* the local address is the wildcard */
	int bound_ifindex;     /* SO_BINDTOIFINDEX, 0 if not bound */
};

/**
 * sockinfo_query() - fill @ret from @fd
 * Return: 0, -ENOTSOCK, or another -errno
 */
int sockinfo_query(int fd, struct sockinfo *ret);

/**
 * sockinfo_query_kind() - only domain, bound, type, protocol and cookie:
 * what the setsockopt() handler needs (each costs a syscall).
 * Return: 0, -ENOTSOCK, or another -errno
 */
int sockinfo_query_kind(int fd, struct sockinfo *ret);

/**
 * sockinfo_is_switchable() - a TCP or UDP socket over IPv4 or IPv6?
 * Raw, SCTP, ICMP, SEQPACKET and every other kind stay where they are.
 */
bool sockinfo_is_switchable(const struct sockinfo *si);

/**
 * sockinfo_sndtimeo() - SO_SNDTIMEO of @fd, zero on error or if unset.
 * Only a blocking connect that has to wait needs it: not in sockinfo.
 */
struct timeval sockinfo_sndtimeo(int fd);

/**
 * sockinfo_copy_v6only() - IPV6_V6ONLY of @from onto @to.  Its default is
 * a sysctl of the socket's network namespace: the container's may differ
 * from the host's.
 */
void sockinfo_copy_v6only(int from, int to);

/** sockinfo_is_v6only() - is IPV6_V6ONLY set on @fd? false on error */
bool sockinfo_is_v6only(int fd);

/** sockinfo_cookie() - SO_COOKIE of @fd, 0 on error */
uint64_t sockinfo_cookie(int fd);

/** sockinfo_netns_cookie() - SO_NETNS_COOKIE of @fd, 0 on error */
uint64_t sockinfo_netns_cookie(int fd);

#endif /* NB_SOCKINFO_H */
