// SPDX-License-Identifier: Apache-2.0
/*
 * test-oci-children.c - the daemon's accounting of a container's agents
 * when a fork fails or an agent dies too early (oci-children.h,
 * docs/design.md §6.6).
 *
 * Linked with -Wl,--wrap=fork,--wrap=agent_shm_unmap: the fork wrapper
 * fails the daemon's forks of an agent, or makes each one a child that
 * exits at once (an agent's stand-in; the daemon's loop never runs it);
 * the unmap wrapper notes how many agents the shared memory counts when
 * the daemon lets go of it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <uv.h>

#include "agent-shm.h"
#include "nbtest.h"
#include "oci-children.h"
#include "oci-services.h"
#include "util.h"

static enum { FORK_REAL, FORK_FAILS, FORK_STAND_IN } fork_mode;
static int forks;		  /* by the daemon, under the two modes */
static long agents_at_unmap = -1; /* the last unmap's count */

pid_t __real_fork(void);
pid_t __wrap_fork(void);
void __real_agent_shm_unmap(struct agent_shm *shm);
void __wrap_agent_shm_unmap(struct agent_shm *shm);

pid_t __wrap_fork(void)
{
	pid_t pid;

	if (fork_mode == FORK_REAL)
		return __real_fork();
	forks++;
	if (fork_mode == FORK_FAILS) {
		errno = EAGAIN;
		return -1;
	}
	pid = __real_fork();
	if (pid == 0)
		_exit(0);
	return pid;
}

void __wrap_agent_shm_unmap(struct agent_shm *shm)
{
	if (shm)
		agents_at_unmap = agent_shm_read32(&shm->agents);
	__real_agent_shm_unmap(shm);
}

static struct {
	uv_loop_t loop;
	struct oci_services services;
	struct oci_children children;
	struct oci_config cfg;
	struct oci_state st;
} d;

static void daemon_init(const char *id)
{
	static char idbuf[32];

	ASSERT_OK(uv_loop_init(&d.loop));
	ASSERT_OK(oci_services_init(&d.services, &d.loop));
	oci_children_init(&d.children, &d.loop, &d.services, "/nonexistent");
	snprintf(idbuf, sizeof(idbuf), "%s", id);
	d.st = (struct oci_state){ .id = idbuf, .pid = getpid() };
	fork_mode = FORK_REAL;
	forks = 0;
	agents_at_unmap = -1;
}

static void daemon_fini(void)
{
	oci_children_close(&d.children);
	oci_services_close(&d.services);
	uv_run(&d.loop, UV_RUN_DEFAULT);
	oci_services_fini(&d.services);
	ASSERT_OK(uv_loop_close(&d.loop));
}

/* A container's "notify fd": a pipe whose writer lives (not ended). */
static int live_fd(int *ret_writer)
{
	int p[2];

	ASSERT_OK(pipe2(p, O_CLOEXEC));
	*ret_writer = p[1];
	return p[0];
}

NBTEST(a_failed_fork_is_not_an_agent)
{
	int writer, nfd;

	daemon_init("forkless");
	nfd = live_fd(&writer);
	fork_mode = FORK_FAILS;
	ASSERT_EQ(oci_children_start(&d.children, &d.cfg, nfd, &d.st), -EAGAIN);
	ASSERT_EQ(forks, 1);
	ASSERT_EQ(d.children.n, 0);
	/* The memory let go of counts no agent for the fork that failed. */
	ASSERT_EQ(agents_at_unmap, 0);
	close(writer);
	daemon_fini();
}

NBTEST(an_agent_gone_before_its_adoption_is_restarted)
{
	int writer, nfd, shm_fd, sv[2], status;
	struct agent_shm *shm;
	pid_t dead, successor;

	daemon_init("early");
	/* The agent that asked: ended and reaped before the new daemon
	 * looks (its pidfd_open() fails with ESRCH). */
	dead = fork();
	ASSERT_OK(dead);
	if (dead == 0)
		_exit(0);
	ASSERT_EQ(waitpid(dead, &status, 0), dead);
	shm_fd = agent_shm_create(&shm);
	ASSERT_OK(shm_fd);
	shm->agent_pid = dead;
	shm->agents = 1;
	nfd = live_fd(&writer);
	ASSERT_OK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv));
	d.st.adopt_agent = dead;

	fork_mode = FORK_STAND_IN;
	ASSERT_OK(oci_children_adopt(&d.children, &d.cfg, &d.st,
				     (const int[]){ nfd, shm_fd, sv[0] }));
	/* Kept, with a successor forked: not dropped (its trapped calls
	 * would get ENOSYS). */
	ASSERT_EQ(d.children.n, 1);
	ASSERT_EQ(forks, 1);
	successor = d.children.c[0]->pid;
	ASSERT_TRUE(successor > 0 && successor != dead);
	ASSERT_TRUE(!d.children.c[0]->adopted);
	ASSERT_EQ(agent_shm_read32(&shm->agents), 2);
	/* The stand-in's clean end forgets the container. */
	ASSERT_EQ(waitpid(successor, &status, 0), successor);
	ASSERT_TRUE(oci_children_reaped(&d.children, successor, status));
	ASSERT_EQ(d.children.n, 0);
	close(sv[1]);
	close(writer);
	agent_shm_unmap(shm);
	daemon_fini();
}

int main(void)
{
	static const struct nbtest tests[] = {
		NBTEST_ENTRY(a_failed_fork_is_not_an_agent),
		NBTEST_ENTRY(an_agent_gone_before_its_adoption_is_restarted),
	};

	return nbtest_run(tests, ARRAY_SIZE(tests));
}
