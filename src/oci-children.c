// SPDX-License-Identifier: Apache-2.0
/*
 * oci-children.c - `nsbypass oci`'s agent processes: start, restart after
 * a crash, give up (oci-children.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "oci-agent.h"
#include "oci-children.h"
#include "util.h"

void oci_children_init(struct oci_children *s, uv_loop_t *loop,
		       struct oci_services *services)
{
	memset(s, 0, sizeof(*s));
	s->loop = loop;
	s->services = services;
}

/* Put @fd at @to (O_CLOEXEC); @fd is above every target (see below). */
static void move_fd(int fd, int to)
{
	if (fd >= 0 && dup3(fd, to, O_CLOEXEC) < 0)
		_exit(125);
}

/* A copy of @fd above 5, or -1 for -1. */
static int lift_fd(int fd)
{
	if (fd < 0)
		return -1;
	fd = fcntl(fd, F_DUPFD_CLOEXEC, 6);
	if (fd < 0)
		_exit(125);
	return fd;
}

/*
 * The agent process: the notify fd at 3, the service channel at 4, the
 * shared memory at 5, stdio; nothing else (the daemon holds every other
 * container's notify fd: an agent that kept one would keep that
 * container's listener alive).  The signals libuv handles in the daemon
 * are back to their defaults.  Never returns.
 */
static void __attribute__((noreturn))
agent_child(const struct oci_child *c, int services_fd, const sigset_t *mask)
{
	static char prefix[32];
	int nfd, sfd, mfd;

	signal(SIGCHLD, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	sigprocmask(SIG_SETMASK, mask, NULL);
	/* Copies above every target first, so that none lands on another. */
	nfd = lift_fd(c->notify_fd);
	sfd = lift_fd(services_fd);
	mfd = lift_fd(c->shm_fd);
	move_fd(nfd, 3);
	move_fd(sfd, 4);
	move_fd(mfd, 5);
	if (syscall(SYS_close_range, 6U, ~0U, 0) < 0)
		for (long fd = 6, max = sysconf(_SC_OPEN_MAX); fd < max; fd++)
			close((int)fd);
	if (sfd < 0)
		close(4);
	if (mfd < 0)
		close(5);
	prctl(PR_SET_NAME, "nsbypass-agent");
	snprintf(prefix, sizeof(prefix), "nsbypass agent %.12s", c->id);
	log_set_prefix(prefix);
	_exit(oci_agent_run(c->cfg, 3, c->container_pid, sfd >= 0 ? 4 : -1,
			    mfd >= 0 ? 5 : -1));
}

/* Fork the agent of @c (its first or a successor).  Return: 0/-errno */
static int spawn(struct oci_children *s, struct oci_child *c)
{
	sigset_t all, old;
	int sp[2], r;
	pid_t pid;

	/* The service channel (oci-services.h); without it the agent
	 * serves its own namespace's published ports only. */
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0) {
		log_warn_errno(-errno, "container %s: no service channel",
			       c->id);
		sp[0] = sp[1] = -1;
	}
	if (c->shm)
		__atomic_fetch_add(&c->shm->agents, 1, __ATOMIC_RELAXED);
	/* No libuv signal handler may run in the child before it resets
	 * them: it would write to the daemon's loop. */
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	pid = fork();
	if (pid == 0)
		agent_child(c, sp[1], &old);
	r = -errno;
	sigprocmask(SIG_SETMASK, &old, NULL);
	closep(&sp[1]);
	if (pid < 0) {
		closep(&sp[0]);
		return r;
	}
	c->pid = pid;
	if (sp[0] >= 0) {
		r = oci_services_add(s->services, sp[0], pid);
		if (r < 0)
			log_warn_errno(r, "container %s: no service channel",
				       c->id);
	}
	return 0;
}

static void on_child_closed(uv_handle_t *h)
{
	struct oci_child *c = h->data;

	free(c->cfg);
	free(c);
}

/* Forget @c: our fd copy closes (if no agent holds one, the container's
 * trapped calls get ENOSYS from now on). */
static void forget(struct oci_children *s, struct oci_child *c)
{
	for (size_t i = 0; i < s->n; i++) {
		if (s->c[i] == c) {
			s->c[i] = s->c[--s->n];
			break;
		}
	}
	closep(&c->notify_fd);
	closep(&c->shm_fd);
	agent_shm_unmap(c->shm);
	c->shm = NULL;
	if (c->timer_made) {
		uv_timer_stop(&c->timer);
		uv_close((uv_handle_t *)&c->timer, on_child_closed);
		return;
	}
	on_child_closed((uv_handle_t *)&c->timer);
}

int oci_children_start(struct oci_children *s, const struct oci_config *cfg,
		       int notify_fd, const char *id, pid_t container_pid)
{
	struct oci_child *c;
	struct timespec ts;
	int r;

	if (s->n == ARRAY_SIZE(s->c)) {
		log_warn("container %.*s: refused: %d agents run already",
			 OCI_LOG_ID, id, OCI_AGENTS_MAX);
		close(notify_fd);
		return -EMFILE;
	}
	c = calloc(1, sizeof(*c));
	if (c)
		c->cfg = malloc(sizeof(*cfg));
	if (!c || !c->cfg) {
		if (c)
			free(c);
		close(notify_fd);
		log_warn("container %.*s: refused: out of memory", OCI_LOG_ID,
			 id);
		return -ENOMEM;
	}
	*c->cfg = *cfg;
	c->set = s;
	c->notify_fd = notify_fd;
	c->container_pid = container_pid;
	c->timer.data = c;
	snprintf(c->id, sizeof(c->id), "%s", id);
	c->shm_fd = agent_shm_create(&c->shm);
	if (c->shm_fd < 0) {
		log_warn_errno(c->shm_fd,
			       "container %s: no memory to share with its "
			       "agent: it is not restarted if it crashes",
			       c->id);
		c->shm = NULL;
	} else {
		clock_gettime(CLOCK_REALTIME, &ts);
		c->shm->started_ns = (uint64_t)ts.tv_sec * 1000000000u +
				     (uint64_t)ts.tv_nsec;
	}
	s->c[s->n++] = c;
	r = spawn(s, c);
	if (r < 0) {
		log_errno(r, "container %s: cannot fork its agent", c->id);
		forget(s, c);
		return r;
	}
	log_info("container %s: agent pid %d serves pid %d", c->id, (int)c->pid,
		 (int)container_pid);
	return 0;
}

pid_t oci_children_container_pid(const struct oci_children *s, const char *id)
{
	if (strlen(id) > OCI_LOG_ID)
		return 0;
	for (size_t i = 0; i < s->n; i++)
		if (s->c[i]->container_pid > 0 && strcmp(s->c[i]->id, id) == 0)
			return s->c[i]->container_pid;
	return 0;
}

/* No process is left under the filter: the container has ended. */
static bool container_ended(int notify_fd)
{
	struct pollfd p = { .fd = notify_fd, .events = POLLIN };

	return poll(&p, 1, 0) == 1 && (p.revents & POLLHUP);
}

static void restart(struct oci_children *s, struct oci_child *c)
{
	int r = spawn(s, c);

	if (r < 0) {
		log_error("container %s: cannot fork a new agent (%s): given "
			  "up; its trapped calls fail with ENOSYS from now on",
			  c->id, strerror(-r));
		forget(s, c);
		return;
	}
	log_info("container %s: agent pid %d took over (agent %u of the "
		 "container)",
		 c->id, (int)c->pid,
		 c->shm ? agent_shm_read32(&c->shm->agents) : 0);
}

static void on_backoff(uv_timer_t *t)
{
	struct oci_child *c = t->data;

	restart(c->set, c);
}

bool oci_children_reaped(struct oci_children *s, pid_t pid, int status)
{
	struct oci_child *c = NULL;
	char how[48];
	uint64_t now, delay;

	for (size_t i = 0; i < s->n && !c; i++)
		if (s->c[i]->pid == pid)
			c = s->c[i];
	if (!c)
		return false;
	oci_services_remove(s->services, pid);
	c->pid = 0;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		log_info("container %s: agent pid %d ended", c->id, (int)pid);
		forget(s, c);
		return true;
	}
	if (WIFEXITED(status))
		snprintf(how, sizeof(how), "failed (exit status %d)",
			 WEXITSTATUS(status));
	else
		snprintf(how, sizeof(how), "killed by signal %d",
			 WTERMSIG(status));
	if (container_ended(c->notify_fd) || !c->shm) {
		log_warn("container %s: agent pid %d %s%s", c->id, (int)pid,
			 how,
			 c->shm ? "; the container has ended" :
				  "; not restarted (no shared memory)");
		forget(s, c);
		return true;
	}
	now = uv_now(s->loop);
	if (c->crashes == 0 || now - c->window_ms > OCI_AGENT_CRASH_WINDOW_MS) {
		c->window_ms = now;
		c->crashes = 0;
	}
	if (++c->crashes > OCI_AGENT_CRASHES_MAX) {
		log_error("container %s: its agent failed %u times in %d s "
			  "(pid %d %s): given up; its trapped calls fail with "
			  "ENOSYS from now on",
			  c->id, c->crashes, OCI_AGENT_CRASH_WINDOW_MS / 1000,
			  (int)pid, how);
		forget(s, c);
		return true;
	}
	delay = c->crashes == 1 ?
			0 :
			(uint64_t)OCI_AGENT_BACKOFF_MS << (c->crashes - 2);
	log_warn("container %s: agent pid %d %s: a new agent takes over%s "
		 "(crash %u of %d allowed in %d s)",
		 c->id, (int)pid, how, delay ? " after a back-off" : "",
		 c->crashes, OCI_AGENT_CRASHES_MAX,
		 OCI_AGENT_CRASH_WINDOW_MS / 1000);
	if (delay == 0) {
		restart(s, c);
		return true;
	}
	if (!c->timer_made) {
		uv_timer_init(s->loop, &c->timer);
		c->timer_made = true;
	}
	uv_timer_start(&c->timer, on_backoff, delay, 0);
	return true;
}

void oci_children_close(struct oci_children *s)
{
	while (s->n) {
		struct oci_child *c = s->c[s->n - 1];

		if (c->pid == 0)
			log_error("container %s: the daemon stops before its "
				  "agent's restart: its trapped calls fail "
				  "with ENOSYS from now on",
				  c->id);
		forget(s, c);
	}
}
