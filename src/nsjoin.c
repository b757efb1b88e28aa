// SPDX-License-Identifier: Apache-2.0
/*
 * nsjoin.c - start a helper inside a target's user and network
 * namespaces.
 *
 * slirp4netns itself forks a child that joins the target's namespaces,
 * opens the tap there and sends the fd back.  We do the same with
 * nsbypass-nsagent, which also knows how to configure the tap: the
 * process that runs slirp never enters the container's namespaces.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"
#include "nsjoin.h"
#include "util.h"

/* Open @path and check that it is a namespace of type @nstype. */
static int open_ns(const char *path, int nstype, int *ret_fd)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	int type;

	if (fd < 0)
		return -errno;
	type = ioctl(fd, NS_GET_NSTYPE);
	if (type != nstype) {
		close(fd);
		return -EINVAL;
	}
	*ret_fd = fd;
	return 0;
}

/* Is the user namespace @fd the one we are in? */
static bool is_own_userns(int fd)
{
	struct stat a, b;

	return fstat(fd, &a) == 0 && stat("/proc/self/ns/user", &b) == 0 &&
	       a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

int nsjoin_open(struct nsjoin *j, const char *netns_path,
		const char *userns_path)
{
	int r;

	j->userns_fd = j->netns_fd = -1;
	if (userns_path) {
		r = open_ns(userns_path, CLONE_NEWUSER, &j->userns_fd);
		if (r < 0)
			return r;
		if (is_own_userns(j->userns_fd)) {
			closep(&j->userns_fd);
		}
	}
	r = open_ns(netns_path, CLONE_NEWNET, &j->netns_fd);
	if (r < 0) {
		nsjoin_close(j);
		return r;
	}
	return 0;
}

void nsjoin_close(struct nsjoin *j)
{
	closep(&j->userns_fd);
	closep(&j->netns_fd);
}

/*
 * After setns() into a user namespace that does not map our uid to root,
 * execve() drops every capability: keep CAP_NET_ADMIN (the tap and its
 * configuration need it) as an ambient capability.
 */
static int keep_net_admin(void)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];

	if (syscall(SYS_capget, &h, d) < 0)
		return -errno;
	d[CAP_NET_ADMIN / 32].inheritable |= 1U << (CAP_NET_ADMIN % 32);
	if (syscall(SYS_capset, &h, d) < 0)
		return -errno;
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_ADMIN, 0, 0) <
	    0)
		return -errno;
	return 0;
}

/* Close every fd from @first up (fds 0-2 and the helper's 3 stay). */
static void close_from(int first)
{
	if (syscall(SYS_close_range, first, ~0U, 0) == 0)
		return;
	/* FIXME: drop when kernel 5.9 (close_range) is baseline */
	for (long fd = first, max = sysconf(_SC_OPEN_MAX); fd < max; fd++)
		close((int)fd);
}

static void __attribute__((noreturn))
child(const struct nsjoin *j, const char *path, char *const argv[], int fd)
{
	int r;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (prctl(PR_SET_DUMPABLE, 0) < 0) {
		log_errno(-errno, "prctl(PR_SET_DUMPABLE)");
		_exit(125);
	}
	if (j->userns_fd >= 0 && setns(j->userns_fd, CLONE_NEWUSER) < 0) {
		log_errno(-errno, "cannot join the target's user namespace");
		_exit(125);
	}
	if (setns(j->netns_fd, CLONE_NEWNET) < 0) {
		log_errno(-errno, "cannot join the target's network namespace");
		_exit(125);
	}
	if (getuid() != 0) {
		r = keep_net_admin();
		if (r < 0) {
			log_errno(r, "cannot keep CAP_NET_ADMIN for %s", path);
			_exit(125);
		}
	}
	/* dup2() onto itself would keep FD_CLOEXEC. */
	if (fd == 3 ? fcntl(3, F_SETFD, 0) < 0 : dup2(fd, 3) < 0) {
		log_errno(-errno, "dup2");
		_exit(125);
	}
	close_from(4);
	execv(path, argv);
	log_errno(-errno, "cannot run %s", path);
	_exit(125);
}

pid_t nsjoin_spawn(const struct nsjoin *j, const char *path, char *const argv[],
		   int fd)
{
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (pid == 0)
		child(j, path, argv, fd);
	return pid;
}
