/* SPDX-License-Identifier: Apache-2.0 */
/*
 * nsjoin.h - run a helper inside another process's user and network
 * namespaces (the slirp4netns-compatible mode's target), while the caller
 * stays where it is.
 */
#ifndef NB_NSJOIN_H
#define NB_NSJOIN_H

#include <sys/types.h>

/**
 * struct nsjoin - the namespaces to enter, as open nsfs files
 * @userns_fd:	the user namespace, or -1 to stay in ours
 * @netns_fd:	the network namespace
 */
struct nsjoin {
	int userns_fd;
	int netns_fd;
};

/**
 * nsjoin_open() - open and check the namespaces to join
 * @j:		filled in; release with nsjoin_close()
 * @netns_path:	a network namespace file (/proc/PID/ns/net, a bind mount)
 * @userns_path: a user namespace file, or NULL to stay in ours
 *
 * A user namespace that is the caller's own is not joined: podman starts
 * slirp4netns inside its rootless user namespace already, and setns()
 * refuses to re-enter the current one.
 *
 * Return: 0, -EINVAL when a file is not a namespace of the right type,
 * or -errno of open()
 */
int nsjoin_open(struct nsjoin *j, const char *netns_path,
		const char *userns_path);

/** nsjoin_close() - close what nsjoin_open() opened */
void nsjoin_close(struct nsjoin *j);

/**
 * nsjoin_spawn() - start a helper in the namespaces
 * @j:		the namespaces
 * @path:	the helper's executable
 * @argv:	its argv
 * @fd:		given to the helper as its fd 3; every other fd but 0-2 is
 *		closed before the exec
 *
 * The child joins the user namespace first (which gives it the
 * capabilities the network namespace asks for), then the network
 * namespace, and execs @path.  It is not dumpable from the moment it
 * enters the user namespace until the exec: the processes of the
 * container, root there, must not ptrace it while it still has the
 * caller's view of the world.  If the caller is not root in the user
 * namespace, CAP_NET_ADMIN is kept across the exec as an ambient
 * capability.  A failure before the exec prints one line and exits 125.
 *
 * Return: the child's pid, or -errno of fork()
 */
pid_t nsjoin_spawn(const struct nsjoin *j, const char *path, char *const argv[],
		   int fd);

#endif /* NB_NSJOIN_H */
