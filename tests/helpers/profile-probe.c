// SPDX-License-Identifier: Apache-2.0
/*
 * profile-probe.c - what test-profile.sh runs inside a podman container
 * started with a profile from `nsbypass profile`.
 *
 *   profile-probe setsockopt tcp|udp|tcp6 LEVEL NAME INT
 *	set an int option on a new socket: "OK setsockopt" or
 *	"FAIL setsockopt ERRNO"
 *   profile-probe io_uring
 *	io_uring_setup(), a call the profile does not allow:
 *	"OK io_uring errno N" or "OK io_uring fd"
 *
 * Exit 0 after an "OK" line, 1 after a "FAIL" line, 2 on bad usage.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

static int probe_setsockopt(char **av)
{
	int fam = strcmp(av[0], "tcp6") == 0 ? AF_INET6 : AF_INET;
	int type = strcmp(av[0], "udp") == 0 ? SOCK_DGRAM : SOCK_STREAM;
	int v = atoi(av[3]);
	int fd = socket(fam, type, 0);

	if (fd < 0) {
		printf("FAIL socket %d\n", errno);
		return 1;
	}
	if (setsockopt(fd, atoi(av[1]), atoi(av[2]), &v, sizeof(v)) < 0) {
		printf("FAIL setsockopt %d\n", errno);
		return 1;
	}
	close(fd);
	printf("OK setsockopt\n");
	return 0;
}

static int probe_io_uring(void)
{
	unsigned char params[120] = { 0 }; /* struct io_uring_params */
	long r = syscall(SYS_io_uring_setup, 1, params);

	if (r < 0)
		printf("OK io_uring errno %d\n", errno);
	else
		printf("OK io_uring fd\n");
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 6 && strcmp(argv[1], "setsockopt") == 0)
		return probe_setsockopt(argv + 2);
	if (argc == 2 && strcmp(argv[1], "io_uring") == 0)
		return probe_io_uring();
	fprintf(stderr,
		"usage: profile-probe setsockopt tcp|udp|tcp6 LEVEL NAME INT | io_uring\n");
	return 2;
}
