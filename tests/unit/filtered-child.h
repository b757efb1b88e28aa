/* SPDX-License-Identifier: Apache-2.0 */
/*
 * filtered-child.h - a child process under `nsbypass run`'s seccomp
 * filter, for the tests of the notify layer: its notify fd comes back to
 * the test, which plays the agent.
 */
#ifndef NB_FILTERED_CHILD_H
#define NB_FILTERED_CHILD_H

#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fdpass.h"
#include "filter.h"
#include "nbtest.h"

/**
 * nbtest_filtered_child() - fork a child that runs @script under the filter
 * @script:	what the child does (its own checks: the child's exit status
 *		says, 0 when @script returns); it has 20 s (SIGALRM)
 * @ret_nfd:	the filter's notify fd, for the test
 *
 * The child sets no_new_privs, loads the filter (filter_install()) and
 * sends the notify fd back before it runs @script.  A kernel without
 * user notification skips the test.
 *
 * Return: the child's pid
 */
static inline pid_t nbtest_filtered_child(void (*script)(void), int *ret_nfd)
{
	int sp[2], nfd = -1, status;
	pid_t child;

	ASSERT_OK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp));
	child = fork();
	ASSERT_OK(child);
	if (child == 0) {
		close(sp[0]);
		alarm(20);
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
			_exit(77);
		nfd = filter_install();
		if (nfd < 0)
			_exit(77);
		if (fdpass_send(sp[1], &nfd, 1) < 0)
			_exit(2);
		close(nfd);
		close(sp[1]);
		script();
		_exit(0);
	}
	close(sp[1]);
	if (fdpass_recv(sp[0], &nfd, 1) < 0) {
		close(sp[0]);
		ASSERT_EQ(waitpid(child, &status, 0), child);
		if (WIFEXITED(status) && WEXITSTATUS(status) == 77)
			nbtest_skip("no seccomp filter with a notify fd here");
		nbtest_fail(__FILE__, __LINE__, "no notify fd from the child");
	}
	close(sp[0]);
	*ret_nfd = nfd;
	return child;
}

#endif /* NB_FILTERED_CHILD_H */
