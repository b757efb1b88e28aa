// SPDX-License-Identifier: Apache-2.0
/*
 * tap.c - the tap device of the slirp fallback network.
 *
 * nsbypass-nsagent opens the tap in the container's network namespace,
 * where the container's user namespace gives it CAP_NET_ADMIN, and hands
 * the fd to the agent, which runs libslirp on it in the host's namespaces.
 * The agent never needs to enter the container's namespaces for this.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "tap.h"

bool tap_name_is_valid(const char *name)
{
	size_t len = strnlen(name, IFNAMSIZ);

	if (len == 0 || len >= IFNAMSIZ)
		return false;
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)name[i];

		if (ch <= ' ' || ch >= 0x7f || ch == '/' || ch == ':')
			return false;
	}
	return true;
}

int tap_open(const char *name, int *ret_fd)
{
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI };
	int fd;

	if (!tap_name_is_valid(name))
		return -EINVAL;
	memcpy(ifr.ifr_name, name, strlen(name) + 1);
	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		int r = -errno;

		close(fd);
		return r;
	}
	*ret_fd = fd;
	return 0;
}
