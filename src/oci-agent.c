// SPDX-License-Identifier: Apache-2.0
/*
 * oci-agent.c - the per-container process of `nsbypass oci`.
 *
 * It runs the same single-loop agent as `nsbypass run` (agent.h), with
 * the container's namespaces found from the state's pid instead of made
 * by us: a short-lived child joins them to make a probe socket (its
 * SO_NETNS_COOKIE names the container's netns), and nsbypass-nsagent,
 * started there through nsjoin.c, reports the container's subnets
 * (10.0.2.0/24 under slirp4netns, say) so that they are never bypassed.
 * nsagent exits when this process does (its report socket hangs up).
 * It runs without --kill-on-hangup: the user namespace of a rootless
 * podman container is shared by every container of the user.
 */
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "agent.h"
#include "fdpass.h"
#include "log.h"
#include "nsagent-client.h"
#include "netview.h"
#include "nsjoin.h"
#include "oci-agent.h"
#include "oci-reattach.h"
#include "oci-service-link.h"
#include "service-registry.h"
#include "sockinfo.h"
#include "test-hooks.h"
#include "util.h"

struct oci_agent {
	uv_loop_t loop;
	struct agent agent;
	struct nsagent_client nsagent;
	pid_t nsagent_pid;	      /* 0: none */
	struct oci_service_link link; /* to the daemon's oci-services.c */
	/* Of every other agent of the user: `nsbypass run` instances and
	 * other `nsbypass oci` processes (one per container under
	 * `nsbypass daemon`). */
	struct service_registry registry;
	/* A new daemon, once this one is gone (oci-reattach.h). */
	struct oci_reattach reattach;
	int shm_fd;
};

/* Close every fd from 3 on but the @n of @keep (-1s allowed). */
static void close_all_but(const int *keep, size_t n)
{
	unsigned int from = 3;

	for (;;) {
		unsigned int next = ~0U;

		for (size_t i = 0; i < n; i++)
			if (keep[i] >= (int)from &&
			    (unsigned int)keep[i] < next)
				next = (unsigned int)keep[i];
		if (next > from)
			syscall(SYS_close_range, from,
				next == ~0U ? ~0U : next - 1, 0);
		if (next == ~0U)
			return;
		from = next + 1;
	}
}

/*
 * Sockets made in the namespaces of @j, by a child that joins them: @fds
 * gets a probe socket (its SO_NETNS_COOKIE names the netns), and the
 * netlink monitor and request sockets of netview.h.
 */
static int probe_sockets(const struct nsjoin *j, int fds[3])
{
	int sp[2], s[3] = { -1, -1, -1 }, r, status;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		r = -errno;
		close(sp[0]);
		close(sp[1]);
		return r;
	}
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		/* It joins the container's user namespace: nothing there
		 * may trace it or find our fds in it (the notify fd, the
		 * memory shared with the daemon). */
		prctl(PR_SET_DUMPABLE, 0);
		close_all_but((const int[]){ sp[1], j->userns_fd, j->netns_fd },
			      3);
		if ((j->userns_fd >= 0 &&
		     setns(j->userns_fd, CLONE_NEWUSER) < 0) ||
		    setns(j->netns_fd, CLONE_NEWNET) < 0)
			_exit(1);
		test_hook_pause("NSBYPASS_TEST_PROBE_HOLD_MS");
		s[0] = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		_exit(s[0] >= 0 && netview_open_fds(&s[1], &s[2]) == 0 &&
				      fdpass_send(sp[1], s, 3) == 0 ?
			      0 :
			      1);
	}
	close(sp[1]);
	/* The child's exit closes its end: no hang without a socket. */
	r = fdpass_recv(sp[0], fds, 3);
	close(sp[0]);
	waitpid(pid, &status, 0);
	return r;
}

/* Wait for nsagent's first report on @fd, which nsagent_client reads. */
static int wait_first_report(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char c;
	int r;

	do
		r = poll(&p, 1, OCI_AGENT_REPORT_TIMEOUT_MS);
	while (r < 0 && errno == EINTR);
	if (r == 0)
		return -ETIMEDOUT;
	if (r < 0)
		return -errno;
	return recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) == 1 ? 0 : -EPIPE;
}

/* nsagent in the container's namespaces; its report socket, or -errno. */
static int start_nsagent(const struct nsjoin *j, pid_t *ret_pid)
{
	char *argv[] = { (char *)"nsbypass-nsagent", (char *)"--report-fd",
			 (char *)"3", NULL };
	_cleanup_free_ char *path = nsagent_find();
	_cleanup_close_ int theirs = -1;
	int sp[2], r;
	pid_t pid;

	if (!path)
		return -ENOENT;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
		return -errno;
	theirs = sp[1];
	pid = nsjoin_spawn(j, path, argv, theirs);
	if (pid < 0) {
		close(sp[0]);
		return pid;
	}
	r = wait_first_report(sp[0]);
	if (r < 0) {
		close(sp[0]);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return r;
	}
	*ret_pid = pid;
	return sp[0];
}

/*
 * nsagent exits once its report socket hangs up (closed by now): reap it,
 * or an init that does not reap orphans would keep it as a zombie.
 */
static void reap_nsagent(pid_t pid)
{
	for (int i = 0; i < 100; i++) {
		if (waitpid(pid, NULL, WNOHANG) != 0)
			return;
		usleep(10000);
	}
	log_warn("nsbypass-nsagent (pid %d) did not exit, killed", (int)pid);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* Is @net (a /proc/PID/ns/net) the network namespace we run in? */
static bool is_our_netns(const char *net)
{
	struct stat theirs, ours;

	return stat(net, &theirs) == 0 &&
	       stat("/proc/self/ns/net", &ours) == 0 &&
	       theirs.st_dev == ours.st_dev && theirs.st_ino == ours.st_ino;
}

/*
 * The container's netns cookie and nsagent's reports, as far as known.  A
 * container in our own network namespace (podman --network host) has
 * nothing to switch and nothing of its own to report: *ret_ours says so,
 * its cookie is then the agent's own (which makes the agent let every
 * call through, agent_start()), and no nsagent is started (joining would
 * fail anyway: the namespace belongs to a user namespace above the
 * container's).
 */
static void learn_container(pid_t pid, uint64_t *ret_cookie, bool *ret_ours,
			    int *ret_report, pid_t *ret_nsagent, int ret_nl[2])
{
	char net[64], user[64];
	struct nsjoin j;
	int r, s[3] = { -1, -1, -1 };

	*ret_cookie = 0;
	*ret_ours = false;
	*ret_report = -1;
	ret_nl[0] = ret_nl[1] = -1;
	if (pid <= 0)
		return; /* not known: the daemon said so */
	snprintf(net, sizeof(net), "/proc/%d/ns/net", (int)pid);
	snprintf(user, sizeof(user), "/proc/%d/ns/user", (int)pid);
	*ret_ours = is_our_netns(net);
	if (*ret_ours)
		return;
	r = nsjoin_open(&j, net, user);
	if (r == -ENOENT || r == -ESRCH) {
		/* A container that ends at once (a short command, a health
		 * check) may be gone before its agent looks: nothing to
		 * switch, and no reason for a warning. */
		log_info("the container's process %d ended before its agent "
			 "looked at it",
			 (int)pid);
		return;
	}
	if (r < 0) {
		log_warn_errno(r,
			       "cannot open the namespaces of pid %d, "
			       "ignoring",
			       (int)pid);
		return;
	}
	r = probe_sockets(&j, s);
	if (r >= 0 && s[0] >= 0) {
		*ret_cookie = sockinfo_netns_cookie(s[0]);
		close(s[0]);
		ret_nl[0] = s[1];
		ret_nl[1] = s[2];
	} else {
		log_warn_errno(r, "no socket in the container's netns: any "
				  "netns but the host's counts as its own");
	}
	r = start_nsagent(&j, ret_nsagent);
	if (r >= 0)
		*ret_report = r;
	else
		log_warn_errno(r,
			       "no subnet reports from nsbypass-nsagent: "
			       "only the built-in ranges and the ignore list "
			       "stay inside");
	nsjoin_close(&j);
}

/* implements nsagent_addrs_cb: the container's own addresses, for the
 * service map */
static void on_addrs(struct nsagent_client *c, const struct service_addr *addrs,
		     size_t n)
{
	struct oci_agent *oa = container_of(c, struct oci_agent, nsagent);

	agent_set_own_addrs(&oa->agent, addrs, n);
}

/* The container's record may have changed: the daemon hears of it, and
 * the other agents of the user through the registry (each a no-op when
 * not open). */
static void on_services_changed(struct agent *a)
{
	struct oci_agent *oa = container_of(a, struct oci_agent, agent);

	oci_service_link_changed(&oa->link);
	service_registry_changed(&oa->registry);
}

/* implements agent_done_cb: the container is gone */
static void on_done(struct agent *a)
{
	struct oci_agent *oa = container_of(a, struct oci_agent, agent);

	nsagent_client_stop(&oa->nsagent);
	oci_service_link_stop(&oa->link);
	oci_reattach_stop(&oa->reattach);
	service_registry_close(&oa->registry); /* its file goes now */
}

/* The daemon closed our service channel: it ended (its pidfd says so
 * too), or, alive, it refused our request to be adopted. */
static void on_link_hangup(struct oci_service_link *l)
{
	struct oci_agent *oa = container_of(l, struct oci_agent, link);

	if (!oa->agent.stopping)
		oci_reattach_refused(&oa->reattach);
}

/* implements oci_reattach_cb: a new daemon has us, with a new channel */
static void on_attached(struct oci_reattach *r, int services_fd)
{
	struct oci_agent *oa = container_of(r, struct oci_agent, reattach);
	int e;

	/* The old link's handle closed long ago (its hang-up started the
	 * tries, which wait at least OCI_REATTACH_MS / 2). */
	oci_service_link_stop(&oa->link);
	oci_service_link_fini(&oa->link);
	e = oci_service_link_start(&oa->link, &oa->agent, &oa->loop,
				   services_fd);
	if (e < 0)
		log_warn_errno(e, "no service channel to the new daemon");
}

/* The shared memory of @shm_fd (kept open, for a new daemon), with this
 * agent's pid and start in it; NULL (logged) if there is none. */
static struct agent_shm *map_shm(int shm_fd)
{
	struct agent_shm *shm = NULL;
	struct timespec ts;
	int r;

	if (shm_fd < 0)
		return NULL;
	r = agent_shm_map(shm_fd, &shm);
	if (r < 0) {
		log_warn_errno(r, "no memory shared with the daemon: counters "
				  "and in-flight calls are lost if this agent "
				  "crashes");
		return NULL;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	shm->agent_pid = getpid();
	shm->agent_started_ns = (uint64_t)ts.tv_sec * 1000000000u +
				(uint64_t)ts.tv_nsec;
	shm->clean_exit = 0;
	return shm;
}

int oci_agent_run(const struct oci_config *cfg, int notify_fd, pid_t pid,
		  int services_fd, int shm_fd, const char *listen_path,
		  const struct oci_state *st, pid_t daemon_pid)
{
	struct agent_settings set = {
		.policy = &cfg->policy,
		.publish = &cfg->publish,
		.bind_bypass = !cfg->ignore_bind,
		.service_map = true,
		.no_c2c = cfg->no_c2c,
	};
	static struct oci_agent oa;
	uint64_t cookie;
	bool ours, watched = false;
	int report, r, status = 0, nl[2];

	oa.reattach.daemon_pidfd = -1;
	set.shm = map_shm(shm_fd);
	oa.shm_fd = set.shm ? shm_fd : -1;
	if (!set.shm)
		closep(&shm_fd);
	uv_loop_init(&oa.loop);
	oa.nsagent.fd = -1;
	oa.nsagent.on_addrs = on_addrs;
	oa.link.fd = -1;
	service_registry_init(&oa.registry);
	test_hook_pause("NSBYPASS_TEST_AGENT_LEARN_PAUSE_MS");
	learn_container(pid, &cookie, &ours, &report, &oa.nsagent_pid, nl);
	r = agent_init(&oa.agent, &oa.loop, &set);
	/* Subnets read at each decision (§5); else nsagent's reports. */
	if (r == 0 && nl[0] >= 0) {
		watched = agent_watch_netns(&oa.agent, nl[0], nl[1]) == 0;
		if (!watched)
			log_warn("cannot watch the container's addresses: "
				 "nsagent's reports set its subnets");
	} else {
		closep(&nl[0]);
		closep(&nl[1]);
	}
	if (r < 0) {
		close(notify_fd);
		log_errno(r, "cannot start the agent");
		status = 1;
		goto out_agent;
	}
	if (ours)
		cookie = oa.agent.host_netns;
	oa.agent.on_services_changed = on_services_changed;
	r = agent_start(&oa.agent, notify_fd, cookie, on_done);
	if (r < 0) {
		log_errno(r, "cannot watch the notify fd");
		status = 1;
		goto out_agent;
	}
	if (report >= 0) {
		r = nsagent_client_start(&oa.nsagent, &oa.loop, report,
					 watched ? NULL : &oa.agent.policy);
		report = -1; /* owned by the client, even on failure */
		if (r < 0)
			log_warn("cannot watch nsagent reports, ignoring");
	}
	/* Other containers' services, and ours for them: only for a
	 * namespace of its own that is known (not the host's). */
	if (services_fd >= 0 && cookie && !ours) {
		r = oci_service_link_start(&oa.link, &oa.agent, &oa.loop,
					   services_fd);
		if (r < 0)
			log_warn_errno(r, "no service channel to the daemon: "
					  "other containers' services not "
					  "served");
	} else {
		closep(&services_fd);
	}
	services_fd = -1;
	/* The per-user registry too, with the rule of `nsbypass run`: not
	 * with c2c off (the container is in nobody's map), nor without
	 * XDG_RUNTIME_DIR.  Under `nsbypass daemon` every container has a
	 * daemon of its own, so this is how they reach each other. */
	if (cookie && !ours && !cfg->no_c2c && oa.agent.services)
		service_registry_join(&oa.registry, &oa.agent, &oa.loop,
				      cookie);
	/* Our daemon (the parent) may end before the container: then a
	 * new one is asked to adopt us. */
	oa.reattach.loop = &oa.loop;
	oa.reattach.listen_path = listen_path;
	oa.reattach.st = st;
	oa.reattach.container_pid = pid;
	oa.reattach.notify_fd = oa.agent.notify.fd;
	oa.reattach.shm_fd = oa.shm_fd;
	oa.reattach.on_attached = on_attached;
	/* Not getppid() now: the daemon may have died since the fork
	 * (we would watch init).  Reparented already: it has. */
	test_hook_pause("NSBYPASS_TEST_AGENT_WATCH_PAUSE_MS");
	oci_reattach_watch(&oa.reattach, daemon_pid);
	if (getppid() != daemon_pid)
		oci_reattach_refused(&oa.reattach);
	oa.link.on_hangup = on_link_hangup;
	uv_run(&oa.loop, UV_RUN_DEFAULT);
	/* on_done() closed it; should the loop end otherwise, the file
	 * still goes and the handles close before the loop does. */
	service_registry_close(&oa.registry);
	uv_run(&oa.loop, UV_RUN_NOWAIT);
	uv_loop_close(&oa.loop);
out_agent:
	closep(&services_fd);
	oci_service_link_fini(&oa.link);
	agent_fini(&oa.agent);
	closep(&report);
	if (oa.nsagent_pid > 0)
		reap_nsagent(oa.nsagent_pid);
	if (set.shm) {
		/* The daemon reads it once we are gone: an end it need not
		 * recover from (a failed start too is no crash to retry
		 * forever, but that one the daemon sees by the status). */
		__atomic_store_n(&set.shm->clean_exit, status == 0,
				 __ATOMIC_RELEASE);
		agent_shm_unmap(set.shm);
	}
	closep(&oa.shm_fd);
	return status;
}
