/* SPDX-License-Identifier: Apache-2.0 */
/*
 * socktest.h - helpers of the unit tests that use real sockets: a network
 * namespace of the test's own, as root in CI and as a normal user alike (a
 * new user namespace, the caller mapped to root, and a new network
 * namespace with lo up: its ports are its own, and sock_diag sees only its
 * sockets), addresses from text, and a socket's cookie.
 */
#ifndef NB_SOCKTEST_H
#define NB_SOCKTEST_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "nbtest.h"
#include "util.h"

static inline int nbtest_write_file(const char *path, const char *s)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	return write(fd, s, strlen(s)) == (ssize_t)strlen(s) ? 0 : -EIO;
}

/**
 * nbtest_enter_netns() - move to a private user and network namespace
 * with lo up, once per process; skips the current test when the system
 * allows no user namespace
 */
static inline void nbtest_enter_netns(void)
{
	static bool ready;
	struct ifreq ifr = { .ifr_name = "lo" };
	_cleanup_close_ int s = -1;
	char map[64];
	uid_t uid = getuid();
	gid_t gid = getgid();

	if (ready)
		return;
	if (unshare(CLONE_NEWUSER | CLONE_NEWNET) < 0)
		nbtest_skip("no user+network namespace (unshare failed)");
	snprintf(map, sizeof(map), "0 %u 1", (unsigned int)uid);
	ASSERT_OK(nbtest_write_file("/proc/self/uid_map", map));
	ASSERT_OK(nbtest_write_file("/proc/self/setgroups", "deny"));
	snprintf(map, sizeof(map), "0 %u 1", (unsigned int)gid);
	ASSERT_OK(nbtest_write_file("/proc/self/gid_map", map));
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ASSERT_TRUE(s >= 0);
	ASSERT_OK(ioctl(s, SIOCGIFFLAGS, &ifr));
	ifr.ifr_flags |= IFF_UP;
	ASSERT_OK(ioctl(s, SIOCSIFFLAGS, &ifr));
	ready = true;
}

/**
 * nbtest_sockaddr() - "@a" (IPv4 or IPv6 text) and @port as a sockaddr;
 * fails the test if @a is neither
 */
static inline struct sockaddr_storage nbtest_sockaddr(const char *a,
						      uint16_t port)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, a, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
	} else {
		ASSERT_EQ(inet_pton(AF_INET6, a, &s6->sin6_addr), 1);
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
	}
	return ss;
}

/** nbtest_sockaddr_len() - the length of @ss's family's sockaddr */
static inline socklen_t nbtest_sockaddr_len(const struct sockaddr_storage *ss)
{
	return ss->ss_family == AF_INET ? sizeof(struct sockaddr_in) :
					  sizeof(struct sockaddr_in6);
}

/** nbtest_cookie() - SO_COOKIE of @fd; fails the test on error */
static inline uint64_t nbtest_cookie(int fd)
{
	uint64_t c = 0;
	socklen_t len = sizeof(c);

	ASSERT_OK(getsockopt(fd, SOL_SOCKET, SO_COOKIE, &c, &len));
	return c;
}

#endif /* NB_SOCKTEST_H */
