// SPDX-License-Identifier: Apache-2.0
/*
 * fdpass.c - SCM_RIGHTS helpers.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fdpass.h"
#include "util.h"

int fdpass_send(int sock, const int *fds, size_t n)
{
	char cbuf[CMSG_SPACE(sizeof(int) * FDPASS_MAX)];
	char byte = 'F';
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = cbuf,
		.msg_controllen = CMSG_SPACE(sizeof(int) * n),
	};
	struct cmsghdr *cm;

	if (n == 0 || n > FDPASS_MAX)
		return -EINVAL;
	memset(cbuf, 0, sizeof(cbuf));
	cm = CMSG_FIRSTHDR(&msg);
	if (!cm) /* not with n >= 1; gcc's -fanalyzer cannot tell */
		return -EINVAL;
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int) * n);
	memcpy(CMSG_DATA(cm), fds, sizeof(int) * n);
	if (sendmsg(sock, &msg, MSG_NOSIGNAL) < 0)
		return -errno;
	return 0;
}

int fdpass_recv(int sock, int *fds, size_t n)
{
	char cbuf[CMSG_SPACE(sizeof(int) * FDPASS_MAX)];
	char byte;
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = cbuf,
		.msg_controllen = sizeof(cbuf),
	};
	size_t got = 0;
	ssize_t r;

	if (n == 0 || n > FDPASS_MAX)
		return -EINVAL;
	r = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	if (r < 0)
		return -errno;
	if (r == 0)
		return -EPIPE;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&msg); cm;
	     cm = CMSG_NXTHDR(&msg, cm)) {
		size_t k;
		int tmp[FDPASS_MAX];

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		k = MIN((cm->cmsg_len - CMSG_LEN(0)) / sizeof(int),
			ARRAY_SIZE(tmp));
		memcpy(tmp, CMSG_DATA(cm), k * sizeof(int));
		for (size_t i = 0; i < k; i++) {
			if (got < n)
				fds[got] = tmp[i];
			else
				close(tmp[i]);
			got++;
		}
	}
	if (got != n || (msg.msg_flags & MSG_CTRUNC)) {
		for (size_t i = 0; i < MIN(got, n); i++)
			close(fds[i]);
		return -EBADMSG;
	}
	return 0;
}
