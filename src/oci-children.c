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
		       struct oci_services *services, const char *listen_path)
{
	memset(s, 0, sizeof(*s));
	s->loop = loop;
	s->services = services;
	s->listen_path = listen_path;
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
agent_child(const struct oci_child *c, int services_fd, const sigset_t *mask,
	    pid_t daemon)
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
			    mfd >= 0 ? 5 : -1, c->set->listen_path, &c->st,
			    daemon));
}

/* Fork the agent of @c (its first or a successor).  Return: 0/-errno */
static int spawn(struct oci_children *s, struct oci_child *c)
{
	pid_t pid, self = getpid();
	sigset_t all, old;
	int sp[2], r;

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
		agent_child(c, sp[1], &old, self);
	r = -errno;
	sigprocmask(SIG_SETMASK, &old, NULL);
	closep(&sp[1]);
	if (pid < 0) {
		if (c->shm)
			__atomic_fetch_sub(&c->shm->agents, 1,
					   __ATOMIC_RELAXED);
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

	if (--c->open_handles > 0)
		return;
	oci_state_clear(&c->st);
	free(c->cfg);
	free(c);
}

/* Stop watching an adopted agent's end (it ended, or we stop). */
static void unwatch(struct oci_child *c)
{
	if (c->exit_poll_made) {
		c->exit_poll_made = false;
		uv_poll_stop(&c->exit_poll);
		/* uv_close() takes the fd out of the loop at once. */
		uv_close((uv_handle_t *)&c->exit_poll, on_child_closed);
	}
	closep(&c->pidfd);
	c->adopted = false;
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
	unwatch(c);
	if (c->timer_made) {
		c->timer_made = false;
		uv_timer_stop(&c->timer);
		uv_close((uv_handle_t *)&c->timer, on_child_closed);
	}
	/* Our own reference: freed now, or by the last handle's close. */
	on_child_closed((uv_handle_t *)&c->timer);
}

/* A new entry for container @st, with @notify_fd (closed on failure). */
static struct oci_child *child_new(struct oci_children *s,
				   const struct oci_config *cfg,
				   const struct oci_state *st, int notify_fd)
{
	struct oci_child *c;

	if (s->n == ARRAY_SIZE(s->c)) {
		log_warn("container %.*s: refused: %d agents run already",
			 OCI_LOG_ID, st->id, OCI_AGENTS_MAX);
		close(notify_fd);
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (c)
		c->cfg = malloc(sizeof(*cfg));
	if (!c || !c->cfg || oci_state_copy(&c->st, st) < 0) {
		if (c)
			free(c->cfg);
		free(c);
		close(notify_fd);
		log_warn("container %.*s: refused: out of memory", OCI_LOG_ID,
			 st->id);
		return NULL;
	}
	*c->cfg = *cfg;
	c->set = s;
	c->notify_fd = notify_fd;
	c->shm_fd = -1;
	c->pidfd = -1;
	c->open_handles = 1; /* ours */
	c->container_pid = st->pid;
	c->timer.data = c;
	c->exit_poll.data = c;
	snprintf(c->id, sizeof(c->id), "%s", st->id);
	s->c[s->n++] = c;
	return c;
}

int oci_children_start(struct oci_children *s, const struct oci_config *cfg,
		       int notify_fd, const struct oci_state *st)
{
	struct oci_child *c = child_new(s, cfg, st, notify_fd);
	struct timespec ts;
	int r;

	if (!c)
		return -ENOMEM;
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
	r = spawn(s, c);
	if (r < 0) {
		log_errno(r, "container %s: cannot fork its agent", c->id);
		forget(s, c);
		return r;
	}
	log_info("container %s: agent pid %d serves pid %d", c->id, (int)c->pid,
		 (int)c->container_pid);
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

/*
 * Agent @pid of @c is gone: on purpose (@clean: its container ended), or
 * as @how says.  Forget the container, restart its agent, or give up.
 */
static void agent_gone(struct oci_children *s, struct oci_child *c, pid_t pid,
		       bool clean, const char *how)
{
	uint64_t now, delay;

	oci_services_remove(s->services, pid);
	c->pid = 0;
	if (clean) {
		log_info("container %s: agent pid %d ended", c->id, (int)pid);
		forget(s, c);
		return;
	}
	if (container_ended(c->notify_fd) || !c->shm) {
		log_warn("container %s: agent pid %d %s%s", c->id, (int)pid,
			 how,
			 c->shm ? "; the container has ended" :
				  "; not restarted (no shared memory)");
		forget(s, c);
		return;
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
		return;
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
		return;
	}
	if (!c->timer_made) {
		uv_timer_init(s->loop, &c->timer);
		c->timer_made = true;
		c->open_handles++;
	}
	uv_timer_start(&c->timer, on_backoff, delay, 0);
}

bool oci_children_reaped(struct oci_children *s, pid_t pid, int status)
{
	struct oci_child *c = NULL;
	char how[48];

	for (size_t i = 0; i < s->n && !c; i++)
		if (s->c[i]->pid == pid && !s->c[i]->adopted)
			c = s->c[i];
	if (!c)
		return false;
	if (WIFEXITED(status))
		snprintf(how, sizeof(how), "failed (exit status %d)",
			 WEXITSTATUS(status));
	else
		snprintf(how, sizeof(how), "killed by signal %d",
			 WTERMSIG(status));
	agent_gone(s, c, pid, WIFEXITED(status) && WEXITSTATUS(status) == 0,
		   how);
	return true;
}

/* An adopted agent ended: it is not our child, so there is no status;
 * the clean_exit flag it leaves says whether on purpose. */
static void on_adopted_exit(uv_poll_t *h, int status, int events)
{
	struct oci_child *c = h->data;
	pid_t pid = c->pid;
	bool clean;

	(void)status;
	(void)events;
	clean = c->shm &&
		__atomic_load_n(&c->shm->clean_exit, __ATOMIC_ACQUIRE) == 1;
	unwatch(c);
	agent_gone(c->set, c, pid, clean, "ended without a clean exit");
}

/* Is @pid the agent of one of ours already? */
static bool known_agent(const struct oci_children *s, pid_t pid)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->c[i]->pid == pid)
			return true;
	return false;
}

int oci_children_adopt(struct oci_children *s, const struct oci_config *cfg,
		       const struct oci_state *st, const int fds[3])
{
	pid_t pid = st->adopt_agent;
	struct agent_shm *shm = NULL;
	struct oci_child *c;
	int r;

	r = known_agent(s, pid) ? -EEXIST : agent_shm_map(fds[1], &shm);
	if (r == 0 && agent_shm_read32((const uint32_t *)&shm->agent_pid) !=
			      (uint32_t)pid)
		r = -ESRCH;
	if (r < 0) {
		log_warn("container %.*s: agent pid %d not adopted: %s",
			 OCI_LOG_ID, st->id, (int)pid,
			 r == -EEXIST ? "it is ours already" :
			 r == -ESRCH ? "its shared memory names another agent" :
				       "not an agent's shared memory");
		agent_shm_unmap(shm);
		close(fds[0]);
		close(fds[1]);
		close(fds[2]);
		return r;
	}
	c = child_new(s, cfg, st, fds[0]);
	if (!c) {
		agent_shm_unmap(shm);
		close(fds[1]);
		close(fds[2]);
		return -ENOMEM;
	}
	c->shm = shm;
	c->shm_fd = fds[1];
	c->pid = pid;
	c->adopted = true;
	/* Its end, seen by a pidfd: a later pid of the same number cannot
	 * be taken for it. */
	c->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	r = c->pidfd < 0 ? -errno :
			   uv_poll_init(s->loop, &c->exit_poll, c->pidfd);
	if (r == 0) {
		c->exit_poll_made = true;
		c->open_handles++;
		r = uv_poll_start(&c->exit_poll, UV_READABLE, on_adopted_exit);
	}
	if (r == -ESRCH) {
		/* It died since it asked: we hold its fd and memory now, so
		 * its container gets a new agent as after any crash. */
		close(fds[2]);
		c->adopted = false;
		agent_gone(s, c, pid,
			   __atomic_load_n(&shm->clean_exit, __ATOMIC_ACQUIRE),
			   "ended before its adoption");
		return 0;
	}
	if (r < 0) {
		log_warn_errno(r,
			       "container %s: agent pid %d not adopted: "
			       "its end cannot be watched",
			       c->id, (int)pid);
		close(fds[2]);
		forget(s, c);
		return r;
	}
	r = oci_services_add(s->services, fds[2], pid);
	if (r < 0)
		log_warn_errno(r, "container %s: no service channel", c->id);
	log_info("container %s: agent pid %d adopted (it serves pid %d; "
		 "agent %u of the container)",
		 c->id, (int)pid, (int)c->container_pid,
		 agent_shm_read32(&shm->agents));
	return 0;
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
