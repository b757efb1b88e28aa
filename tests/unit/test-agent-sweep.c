// SPDX-License-Identifier: Apache-2.0
/*
 * test-agent-sweep.c - the agent's sweep check (agent_socket_alive()):
 * a record's socket is alive while its (pid, fd) holds that very socket,
 * by inode, and not once it is closed, when another socket took its fd
 * number, or when the process is gone; all without a copy of the fd.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent.h"
#include "nbtest.h"
#include "util.h"

static uint64_t ino_of(int fd)
{
	struct stat st;

	ASSERT_OK(fstat(fd, &st));
	return (uint64_t)st.st_ino;
}

NBTEST(alive_by_inode)
{
	struct sockstate s = { .cookie = 1 };
	int fd = socket(AF_INET, SOCK_STREAM, 0), other;
	uint64_t ino;

	ASSERT_TRUE(fd >= 0);
	ino = ino_of(fd);
	s.pid = getpid();
	s.fd = fd;
	s.ino = ino;
	ASSERT_TRUE(agent_socket_alive(&s, NULL));
	/* No inode known: never taken for alive. */
	s.ino = 0;
	ASSERT_TRUE(!agent_socket_alive(&s, NULL));
	s.ino = ino;
	/* Closed, then the fd number taken by another socket. */
	close(fd);
	ASSERT_TRUE(!agent_socket_alive(&s, NULL));
	other = socket(AF_INET, SOCK_STREAM, 0);
	ASSERT_EQ(other, fd);
	ASSERT_TRUE(ino_of(other) != ino);
	ASSERT_TRUE(!agent_socket_alive(&s, NULL));
	/* Not a socket at that fd: a pipe. */
	close(other);
	{
		int p[2];

		ASSERT_OK(pipe(p));
		s.fd = p[0];
		s.ino = ino_of(p[0]);
		ASSERT_TRUE(!agent_socket_alive(&s, NULL));
		close(p[0]);
		close(p[1]);
	}
}

NBTEST(process_gone)
{
	struct sockstate s = { .cookie = 1 };
	int fd = socket(AF_INET, SOCK_DGRAM, 0), status;
	pid_t pid;

	ASSERT_TRUE(fd >= 0);
	pid = fork();
	ASSERT_TRUE(pid >= 0);
	if (pid == 0)
		_exit(0);
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	/* The child had the socket at the same fd, and is gone. */
	s.pid = pid;
	s.fd = fd;
	s.ino = ino_of(fd);
	ASSERT_TRUE(!agent_socket_alive(&s, NULL));
	s.pid = getpid();
	ASSERT_TRUE(agent_socket_alive(&s, NULL));
	close(fd);
}

int main(void)
{
	static const struct nbtest tests[] = {
		NBTEST_ENTRY(alive_by_inode),
		NBTEST_ENTRY(process_gone),
	};

	return nbtest_run(tests, ARRAY_SIZE(tests));
}
