// SPDX-License-Identifier: Apache-2.0
/*
 * port-holder.c - which process listens on a TCP port of our network
 * namespace (see port-holder.h).
 */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "port-holder.h"

#define TCP_LISTEN 0x0A /* st in /proc/net/tcp */
#define MAX_INODES 16

/* Append to @ino (@n so far) the inodes of listeners on @port in @path. */
static size_t listen_inodes(const char *path, int port, unsigned long *ino,
			    size_t n)
{
	char line[512];
	FILE *f = fopen(path, "re");

	if (!f)
		return n;
	while (n < MAX_INODES && fgets(line, sizeof(line), f)) {
		/* sl local rem st tx:rx tr:when retrnsmt uid timeout inode */
		char *field[10], *save = NULL, *colon;
		unsigned long inode;
		size_t k = 0;

		for (char *t = strtok_r(line, " \t\n", &save); t && k < 10;
		     t = strtok_r(NULL, " \t\n", &save))
			field[k++] = t;
		if (k < 10)
			continue; /* the header, or a short line */
		colon = strchr(field[1], ':');
		if (!colon ||
		    strtoul(colon + 1, NULL, 16) != (unsigned long)port ||
		    strtoul(field[3], NULL, 16) != TCP_LISTEN)
			continue;
		inode = strtoul(field[9], NULL, 10);
		if (inode)
			ino[n++] = inode;
	}
	fclose(f);
	return n;
}

/* Has process @pid an fd on one of the @n socket inodes @ino? */
static bool holds(const char *pid, const unsigned long *ino, size_t n)
{
	char dir[300], link[64], path[600];
	struct dirent *e;
	bool found = false;
	DIR *d;

	snprintf(dir, sizeof(dir), "/proc/%s/fd", pid);
	d = opendir(dir);
	if (!d)
		return false; /* another user's, or gone */
	while (!found && (e = readdir(d))) {
		unsigned long inode;
		ssize_t l;

		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		l = readlink(path, link, sizeof(link) - 1);
		if (l <= 0)
			continue;
		link[l] = '\0';
		if (strncmp(link, "socket:[", 8) != 0)
			continue;
		inode = strtoul(link + 8, NULL, 10);
		for (size_t i = 0; i < n; i++)
			found = found || inode == ino[i];
	}
	closedir(d);
	return found;
}

int port_holder(int port, char *buf, size_t size)
{
	unsigned long ino[MAX_INODES];
	struct dirent *e;
	int r = -ENOENT;
	size_t n;
	DIR *d;

	n = listen_inodes("/proc/net/tcp", port, ino, 0);
	n = listen_inodes("/proc/net/tcp6", port, ino, n);
	if (n == 0)
		return -ENOENT;
	d = opendir("/proc");
	if (!d)
		return -errno;
	while (r < 0 && (e = readdir(d))) {
		char path[300], comm[32] = "?";
		FILE *f;

		if (e->d_name[0] < '1' || e->d_name[0] > '9' ||
		    !holds(e->d_name, ino, n))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", e->d_name);
		f = fopen(path, "re");
		if (f) {
			if (fgets(comm, sizeof(comm), f))
				comm[strcspn(comm, "\n")] = '\0';
			fclose(f);
		}
		snprintf(buf, size, "%s (pid %s)", comm, e->d_name);
		r = 0;
	}
	closedir(d);
	return r;
}
