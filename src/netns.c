// SPDX-License-Identifier: Apache-2.0
/*
 * netns.c - namespace setup for `nsbypass run`.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <net/if.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "netns.h"
#include "util.h"

static int write_file(const char *path, const char *text)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
	size_t len = strlen(text);

	if (fd < 0)
		return -errno;
	if (write(fd, text, len) != (ssize_t)len)
		return -errno;
	return 0;
}

int netns_unshare_user_net(void)
{
	return unshare(CLONE_NEWUSER | CLONE_NEWNET) < 0 ? -errno : 0;
}

int netns_map_single(uid_t uid, gid_t gid)
{
	char map[64];
	int r;

	/* An unprivileged writer of gid_map must deny setgroups first. */
	r = write_file("/proc/self/setgroups", "deny");
	if (r < 0 && r != -ENOENT)
		return r;
	snprintf(map, sizeof(map), "0 %u 1\n", (unsigned int)uid);
	r = write_file("/proc/self/uid_map", map);
	if (r < 0)
		return r;
	snprintf(map, sizeof(map), "0 %u 1\n", (unsigned int)gid);
	return write_file("/proc/self/gid_map", map);
}

int netns_lo_up(void)
{
	_cleanup_close_ int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct ifreq ifr;

	if (s < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		return -errno;
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
		return -errno;
	return 0;
}

/* One RTM_NEWADDR on lo, acknowledged. */
static int lo_add_addr(int family, const void *addr, size_t len,
		       unsigned char prefixlen)
{
	_cleanup_close_ int s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC,
				       NETLINK_ROUTE);
	struct {
		struct nlmsghdr nh;
		struct ifaddrmsg ifa;
		struct rtattr rta;
		unsigned char addr[16];
	} req;
	struct {
		struct nlmsghdr nh;
		struct nlmsgerr err;
	} ack;
	unsigned int lo = if_nametoindex("lo");
	ssize_t n;

	if (s < 0)
		return -errno;
	if (lo == 0)
		return -ENODEV;
	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_len = (uint32_t)(NLMSG_LENGTH(sizeof(req.ifa)) +
				      RTA_LENGTH(len));
	req.nh.nlmsg_type = RTM_NEWADDR;
	req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE |
			     NLM_F_EXCL;
	req.ifa.ifa_family = (unsigned char)family;
	req.ifa.ifa_prefixlen = prefixlen;
	req.ifa.ifa_scope = RT_SCOPE_HOST;
	req.ifa.ifa_index = lo;
	req.rta.rta_type = IFA_LOCAL;
	req.rta.rta_len = (unsigned short)RTA_LENGTH(len);
	memcpy(req.addr, addr, len);
	if (send(s, &req, req.nh.nlmsg_len, 0) < 0)
		return -errno;
	n = recv(s, &ack, sizeof(ack), 0);
	if (n < 0)
		return -errno;
	if ((size_t)n < sizeof(ack) || ack.nh.nlmsg_type != NLMSG_ERROR)
		return -EIO;
	return ack.err.error;
}

int netns_add_addrconfig_addrs(void)
{
	const unsigned char v4[4] = NETNS_ADDRCONFIG_V4;
	const unsigned char v6[16] = NETNS_ADDRCONFIG_V6;
	int r = lo_add_addr(AF_INET, v4, sizeof(v4), 32);

	if (r == 0)
		r = lo_add_addr(AF_INET6, v6, sizeof(v6), 128);
	return r;
}

int userns_id(pid_t pid, dev_t *ret_dev, ino_t *ret_ino)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%d/ns/user", pid);
	if (stat(path, &st) < 0)
		return -errno;
	*ret_dev = st.st_dev;
	*ret_ino = st.st_ino;
	return 0;
}

/* A zombie is already dead: only its parent's wait() is missing. */
static bool is_zombie(long pid)
{
	char path[64], buf[512], *p;
	_cleanup_close_ int fd = -1;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return true; /* gone */
	n = read(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		return true;
	buf[n] = '\0';
	p = strrchr(buf, ')'); /* the name may contain anything */
	return !p || p[1] != ' ' || p[2] == 'Z' || p[2] == 'X';
}

/* One pass over /proc; returns how many processes got SIGKILL. */
static unsigned int kill_pass(dev_t dev, ino_t ino)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	unsigned int n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d))) {
		char *end;
		long pid = strtol(e->d_name, &end, 10);
		dev_t pd;
		ino_t pi;

		if (*end || pid <= 0 || pid == getpid())
			continue;
		/* clang 14 takes a failed stat()'s -errno for success.
		 * NOLINTNEXTLINE(clang-analyzer-core.*) */
		if (userns_id((pid_t)pid, &pd, &pi) < 0 || pd != dev ||
		    pi != ino || is_zombie(pid))
			continue;
		if (kill((pid_t)pid, SIGKILL) == 0)
			n++;
	}
	closedir(d);
	return n;
}

unsigned int userns_kill_all(dev_t dev, ino_t ino)
{
	unsigned int total = 0, n;

	/* A process may fork while we scan: go again until a pass finds
	 * nobody, but not forever. */
	for (int round = 0; round < 20; round++) {
		n = kill_pass(dev, ino);
		total += n;
		if (n == 0)
			break;
		usleep(10000);
	}
	return total;
}
