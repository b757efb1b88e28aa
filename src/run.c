// SPDX-License-Identifier: Apache-2.0
/*
 * run.c - `nsbypass run` once cmd-run.c has parsed its command line: the
 * command in a new rootless user and network namespace whose TCP and UDP
 * to the outside go through sockets made in the caller's network
 * namespace.
 *
 * The process forks.  The child unshares a user and a network namespace,
 * which maps the caller to root inside and, when the caller has
 * subordinate ids (/etc/subuid, /etc/subgid), those from 1 on: the
 * parent writes such maps with newuidmap/newgidmap while the child waits
 * (idmap.h); the single mapping the child writes itself.  It brings up lo, starts nsbypass-nsagent
 * (double-forked, so that it is never one of the command's children),
 * installs the filter and sends the notify fd, one socket made inside
 * (whose SO_NETNS_COOKIE names the container's namespace) and the nsagent
 * report socket to the parent, waits for the parent's go-ahead and execs
 * the command.  The parent stays in the caller's namespaces and is the
 * agent; it exits with the command's status.
 */
#include <errno.h>
#include <fcntl.h>
#include <arpa/inet.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <uv.h>

#include "agent.h"
#include "fallback-proc.h"
#include "fallback.h"
#include "fdpass.h"
#include "filter.h"
#include "idmap.h"
#include "log.h"
#include "netns.h"
#include "netview.h"
#include "nsagent-client.h"
#include "policy.h"
#include "publish.h"
#include "run.h"
#include "service-registry.h"
#include "sockinfo.h"
#include "util.h"

#define NB_NSAGENT_NAME_ARG "nsbypass-nsagent"

/* The fallback network's tap, inside the container. */
#define RUN_TAP_NAME "tap0"
#define RUN_NSAGENT_ARGS_MAX 20

struct run_ctx {
	uv_loop_t loop;
	struct agent agent;
	struct nsagent_client nsagent;
	struct service_registry registry; /* of other runs' services */
	const struct run_config *cfg;	  /* what was asked for */
	char *nsagent_path;		  /* NULL: subnets are not tracked */
	struct fallback_proc fallback;
	bool tap_given;
	char *nsagent_argv[RUN_NSAGENT_ARGS_MAX];
	struct idmap idmap; /* the container's uid and gid maps */
	pid_t child;
	int status;
	bool reaped;
	bool have_userns; /* the container's user namespace: */
	dev_t userns_dev; /* what is left in it when the command */
	ino_t userns_ino; /* exits is killed */
	uv_signal_t sigchld;
	uv_signal_t fwd[4];
};

/*
 * SIGINT and SIGQUIT from a terminal reach the command directly (same
 * process group): forwarding them too would deliver them twice, so the
 * agent ignores them.  Signals sent to the agent's pid are forwarded.
 */
static const int forwarded_signals[] = { SIGTERM, SIGHUP, SIGUSR1, SIGUSR2 };
static const int ignored_signals[] = { SIGINT, SIGQUIT };
_Static_assert(ARRAY_SIZE(forwarded_signals) ==
		       ARRAY_SIZE(((struct run_ctx *)0)->fwd),
	       "one uv_signal_t per forwarded signal");

/* Wait up to 5 s for nsagent's first report (sent once it is sandboxed). */
static int wait_first_report(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char c;

	if (poll(&p, 1, 5000) != 1)
		return -ETIMEDOUT;
	if (recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) != 1)
		return -EPIPE;
	return 0;
}

/*
 * Start nsagent in this namespace; returns the agent's end of its report
 * socket.  The middle process exits at once, so nsagent is reparented
 * away from the command (a wait() loop in it must not wait for nsagent);
 * it gets its own session, so a terminal's Ctrl-C is not for it.
 */
static int start_nsagent(const char *path, char *const *argv)
{
	int sp[2], status, r;
	pid_t mid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
		return -errno;
	mid = fork();
	if (mid < 0) {
		close(sp[0]);
		close(sp[1]);
		return -errno;
	}
	if (mid == 0) {
		if (fork() != 0)
			_exit(0);
		setsid();
		/* dup2() onto itself would keep FD_CLOEXEC. */
		if (sp[1] == 3 ? fcntl(3, F_SETFD, 0) < 0 : dup2(sp[1], 3) < 0)
			_exit(127);
		execv(path, argv);
		_exit(127);
	}
	close(sp[1]);
	waitpid(mid, &status, 0);
	r = wait_first_report(sp[0]);
	if (r < 0) {
		close(sp[0]);
		return r;
	}
	return sp[0];
}

/*
 * The child's user namespace gets its maps: the single mapping from the
 * child itself; the subordinate ranges from the parent (newuidmap needs
 * the pid of a process in the namespace, and runs outside it), told by
 * RUN_SYNC_UNSHARED, answering RUN_SYNC_MAPPED.  Exits on failure.
 */
#define RUN_SYNC_UNSHARED 'U'
#define RUN_SYNC_MAPPED 'M'

static void child_map_ids(int sock, const struct idmap *m)
{
	char c;
	int r;

	if (!m->subids) {
		r = netns_map_single(m->uid.lines[0].outside,
				     m->gid.lines[0].outside);
		if (r < 0) {
			log_errno(r,
				  "cannot map uid %u and gid %u in the "
				  "user namespace",
				  m->uid.lines[0].outside,
				  m->gid.lines[0].outside);
			_exit(125);
		}
		return;
	}
	c = RUN_SYNC_UNSHARED;
	if (send(sock, &c, 1, MSG_NOSIGNAL) != 1)
		_exit(125);
	/* EOF: the parent failed and said why. */
	if (read(sock, &c, 1) != 1 || c != RUN_SYNC_MAPPED)
		_exit(125);
}

/* The parent's half of child_map_ids(). */
static int parent_map_ids(struct run_ctx *ctx, int sock)
{
	char c;
	int r;

	if (!ctx->idmap.subids)
		return 0;
	if (read(sock, &c, 1) != 1 || c != RUN_SYNC_UNSHARED)
		return -EPIPE; /* the child said why */
	r = idmap_apply(&ctx->idmap, ctx->child);
	if (r < 0)
		return r;
	c = RUN_SYNC_MAPPED;
	if (send(sock, &c, 1, MSG_NOSIGNAL) != 1)
		return log_errno(-errno, "cannot start the child");
	return 0;
}

/* The child: namespaces, filter, hand-over, exec.  Never returns. */
static void __attribute__((noreturn))
run_child(int sock, const struct idmap *idmap, bool net_none,
	  const char *nsagent, char *const *nsagent_argv, char **argv)
{
	_cleanup_close_ int probe = -1, nfd = -1, report = -1, mon = -1,
			    dump = -1;
	char go;
	int r, fds[5];

	r = netns_unshare_user_net();
	if (r < 0) {
		log_errno(r, "cannot create user and network namespace");
		_exit(125);
	}
	child_map_ids(sock, idmap);
	r = netns_lo_up();
	if (r < 0)
		log_warn_errno(r, "cannot bring up lo, ignoring");
	/* Only lo: glibc's getaddrinfo(AI_ADDRCONFIG) would answer "Name or
	 * service not known" without asking, though the bypass reaches the
	 * resolver.  Addresses that route nowhere satisfy its check. */
	if (net_none) {
		r = netns_add_addrconfig_addrs();
		if (r < 0)
			log_warn_errno(r,
				       "cannot add the AI_ADDRCONFIG addresses "
				       "to lo, ignoring");
	}
	probe = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (probe < 0) {
		log_errno(-errno, "socket");
		_exit(125);
	}
	/* The agent reads the container's addresses and routes through
	 * these before each decision (netview.h). */
	r = netview_open_fds(&mon, &dump);
	if (r < 0) {
		log_errno(r, "cannot open the netlink sockets");
		_exit(125);
	}
	if (nsagent) {
		report = start_nsagent(nsagent, nsagent_argv);
		if (report < 0) {
			log_errno(report, "cannot start %s", nsagent);
			_exit(125);
		}
	}
	nfd = filter_install();
	if (nfd < 0) {
		log_errno(nfd, "cannot install seccomp filter");
		_exit(125);
	}
	fds[0] = nfd;
	fds[1] = probe;
	fds[2] = mon;
	fds[3] = dump;
	fds[4] = report;
	r = fdpass_send(sock, fds, nsagent ? 5 : 4);
	if (r < 0) {
		log_errno(r, "cannot hand the notify fd to the agent");
		_exit(125);
	}
	closep(&nfd);
	closep(&probe);
	closep(&report);
	closep(&mon);
	closep(&dump);
	/* Wait until the agent serves the fd: EOF means it failed. */
	if (read(sock, &go, 1) != 1)
		_exit(125);
	close(sock);
	execvp(argv[0], argv);
	log_errno(-errno, "cannot run %s", argv[0]);
	_exit(errno == ENOENT ? 127 : 126);
}

static void on_sigchld(uv_signal_t *h, int signum)
{
	struct run_ctx *ctx = container_of(h, struct run_ctx, sigchld);
	int status;
	pid_t p;

	while ((p = waitpid(-1, &status, WNOHANG)) > 0) {
		if (fallback_proc_reaped(&ctx->fallback, p, status))
			continue;
		if (p != ctx->child)
			continue;
		ctx->status = status;
		ctx->reaped = true;
	}
	if (!ctx->reaped)
		return;
	if (ctx->have_userns) {
		unsigned int n = userns_kill_all(ctx->userns_dev,
						 ctx->userns_ino);

		if (n)
			log_info("killed %u processes the command left behind",
				 n);
	}
	agent_stop(&ctx->agent);
	service_registry_close(&ctx->registry);
	nsagent_client_stop(&ctx->nsagent);
	uv_close((uv_handle_t *)&ctx->sigchld, NULL);
	for (size_t i = 0; i < ARRAY_SIZE(ctx->fwd); i++)
		uv_close((uv_handle_t *)&ctx->fwd[i], NULL);
}

static void on_forward(uv_signal_t *h, int signum)
{
	struct run_ctx *ctx = h->data;

	kill(ctx->child, signum);
}

bool run_via_slirp(const struct run_config *cfg, const struct publish *p)
{
	return p->udp || cfg->ignore_bind ||
	       publish_port_shared(&cfg->publish, p);
}

/* implements nsagent_tap_cb: the tap is configured, hand it to the
 * fallback's process, which starts slirp on it */
static void on_tap(struct nsagent_client *c, int tap_fd, const char *name)
{
	struct run_ctx *ctx = container_of(c, struct run_ctx, nsagent);
	int r;

	if (!ctx->cfg->slirp || ctx->tap_given) {
		close(tap_fd);
		log_warn("unexpected tap %s from nsagent, ignoring", name);
		return;
	}
	ctx->tap_given = true;
	r = fallback_proc_give_tap(&ctx->fallback, tap_fd);
	if (r < 0)
		log_errno(r, "cannot start the fallback network on %s", name);
}

/* implements nsagent_addrs_cb: the container's own addresses, for the
 * service map */
static void on_addrs(struct nsagent_client *c, const struct service_addr *addrs,
		     size_t n)
{
	struct run_ctx *ctx = container_of(c, struct run_ctx, nsagent);

	agent_set_own_addrs(&ctx->agent, addrs, n);
}

/*
 * nsagent's command line: reports always, the tap with --net=slirp.  It
 * kills what is left in the container if the agent dies (the agent
 * cannot: SIGKILL, a crash).
 */
static void build_nsagent_argv(struct run_ctx *ctx)
{
	static char mtu[16], addr[32], gw[INET_ADDRSTRLEN];
	char ip[INET_ADDRSTRLEN];
	size_t n = 0;

	ctx->nsagent_argv[n++] = (char *)NB_NSAGENT_NAME_ARG;
	ctx->nsagent_argv[n++] = (char *)"--report-fd";
	ctx->nsagent_argv[n++] = (char *)"3";
	ctx->nsagent_argv[n++] = (char *)"--kill-on-hangup";
	if (ctx->cfg->slirp) {
		snprintf(mtu, sizeof(mtu), "%u", ctx->cfg->fb_cfg.mtu);
		inet_ntop(AF_INET, &ctx->cfg->fb_cfg.guest, ip, sizeof(ip));
		snprintf(addr, sizeof(addr), "%s/%u", ip,
			 ctx->cfg->fb_cfg.prefix);
		inet_ntop(AF_INET, &ctx->cfg->fb_cfg.host, gw, sizeof(gw));
		ctx->nsagent_argv[n++] = (char *)"--tap";
		ctx->nsagent_argv[n++] = (char *)RUN_TAP_NAME;
		ctx->nsagent_argv[n++] = (char *)"--mtu";
		ctx->nsagent_argv[n++] = mtu;
		ctx->nsagent_argv[n++] = (char *)"--address";
		ctx->nsagent_argv[n++] = addr;
		ctx->nsagent_argv[n++] = (char *)"--gateway";
		ctx->nsagent_argv[n++] = gw;
		if (ctx->cfg->fb_cfg.enable_ipv6) {
			ctx->nsagent_argv[n++] = (char *)"--address6";
			ctx->nsagent_argv[n++] = (char *)"fd00::100/64";
			ctx->nsagent_argv[n++] = (char *)"--gateway6";
			ctx->nsagent_argv[n++] = (char *)"fd00::2";
		}
	}
	ASSERT(n < RUN_NSAGENT_ARGS_MAX);
	ctx->nsagent_argv[n] = NULL;
}

/* The fallback's own subnets are the container's: never bypass them,
 * not even before nsagent's first report. */
static int ignore_fallback_subnets(const struct fallback_config *cfg,
				   struct policy *pol)
{
	char text[INET6_ADDRSTRLEN + 8], ip[INET_ADDRSTRLEN];
	struct cidr c;
	int r;

	inet_ntop(AF_INET, &cfg->network, ip, sizeof(ip));
	snprintf(text, sizeof(text), "%s/%u", ip, cfg->prefix);
	r = cidr_parse(text, &c);
	if (r == 0)
		r = policy_add_ignore(pol, &c);
	if (r == 0 && cfg->enable_ipv6 && cidr_parse("fd00::/64", &c) == 0)
		r = policy_add_ignore(pol, &c);
	return r;
}

/* --net=none: the addresses on lo for AI_ADDRCONFIG stay inside. */
static int ignore_addrconfig_addrs(struct policy *pol)
{
	static const char *const cidrs[] = NETNS_ADDRCONFIG_CIDRS;
	struct cidr c;
	int r = 0;

	for (size_t i = 0; r == 0 && i < ARRAY_SIZE(cidrs); i++) {
		r = cidr_parse(cidrs[i], &c);
		if (r == 0)
			r = policy_add_ignore(pol, &c);
	}
	return r;
}

int run_ignore_own_subnets(const struct run_config *cfg, struct policy *pol)
{
	return cfg->slirp ? ignore_fallback_subnets(&cfg->fb_cfg, pol) :
			    ignore_addrconfig_addrs(pol);
}

static int exit_status(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 1;
}

/* The container's own addresses on the fallback network, for the service
 * map, known before nsagent reports: the guest's, and fd00::100. */
static size_t fallback_own_addrs(const struct run_config *cfg,
				 struct service_addr own[2])
{
	size_t n = 0;

	if (!cfg->slirp)
		return 0;
	memset(own, 0, 2 * sizeof(*own));
	own[n].family = AF_INET;
	memcpy(own[n++].a, &cfg->fb_cfg.guest, 4);
	if (cfg->fb_cfg.enable_ipv6 &&
	    inet_pton(AF_INET6, "fd00::100", own[n].a) == 1)
		own[n++].family = AF_INET6;
	return n;
}

/* implements agent.on_services_changed: tell the other runs */
static void on_services_changed(struct agent *a)
{
	struct run_ctx *ctx = container_of(a, struct run_ctx, agent);

	service_registry_changed(&ctx->registry);
}

/*
 * The per-user registry (service-registry.h): other runs of the user
 * reach the container's published services by its address, and it
 * theirs.  Not with --no-c2c (the container is in nobody's map), nor
 * without XDG_RUNTIME_DIR (no directory known to be the user's alone).
 */
static void open_registry(struct run_ctx *ctx)
{
	if (ctx->cfg->no_c2c || !ctx->agent.services ||
	    !ctx->agent.container_netns)
		return;
	if (service_registry_join(&ctx->registry, &ctx->agent, &ctx->loop,
				  ctx->agent.container_netns) == 0)
		ctx->agent.on_services_changed = on_services_changed;
}

/* The parent: take the fds, start the agent, let the child go, serve. */
static int run_parent(struct run_ctx *ctx, int sock, const struct policy *pol)
{
	struct service_addr own[2];
	const struct agent_settings settings = {
		.policy = pol,
		.publish = &ctx->cfg->publish,
		.bind_bypass = !ctx->cfg->ignore_bind,
		.service_map = true,
		.own_addrs = own,
		.n_own_addrs = fallback_own_addrs(ctx->cfg, own),
		.no_c2c = ctx->cfg->no_c2c,
	};
	int fds[5] = { -1, -1, -1, -1, -1 }, r;
	uint64_t container_netns;

	r = parent_map_ids(ctx, sock);
	if (r < 0)
		return r;
	r = fdpass_recv(sock, fds, ctx->nsagent_path ? 5 : 4);
	if (r < 0)
		return log_errno(r, "no notify fd from the child");
	container_netns = sockinfo_netns_cookie(fds[1]);
	close(fds[1]);
	/* The child is in its user namespace now (it sent the fds). */
	ctx->have_userns = userns_id(ctx->child, &ctx->userns_dev,
				     &ctx->userns_ino) == 0;
	if (!ctx->have_userns)
		log_warn("cannot identify the container's user namespace: "
			 "processes left behind will not be killed");

	r = agent_init(&ctx->agent, &ctx->loop, &settings);
	if (r == 0) {
		r = agent_watch_netns(&ctx->agent, fds[2], fds[3]);
		fds[2] = fds[3] = -1;
	}
	if (r < 0) {
		close(fds[0]);
		closep(&fds[2]);
		closep(&fds[3]);
		closep(&fds[4]);
		return log_errno(
			r, "cannot start the agent%s",
			r == -EOPNOTSUPP ?
				" (SO_NETNS_COOKIE needs Linux >= 5.14)" :
				"");
	}
	r = agent_start(&ctx->agent, fds[0], container_netns, NULL);
	if (r < 0) {
		closep(&fds[4]);
		return log_errno(r, "cannot watch the notify fd");
	}
	/* Not fatal: without reports only the built-in ranges, the
	 * --ignore list and lo are known to be the container's. */
	ctx->nsagent.fd = -1;
	ctx->nsagent.on_tap = on_tap;
	ctx->nsagent.on_addrs = on_addrs;
	/* Its subnet reports are not applied: the agent reads them itself
	 * at each decision (agent_watch_netns()); its addresses still feed
	 * the service map. */
	if (fds[4] >= 0 &&
	    nsagent_client_start(&ctx->nsagent, &ctx->loop, fds[4], NULL) < 0)
		log_warn("cannot watch nsagent reports, ignoring");
	open_registry(ctx);

	uv_signal_init(&ctx->loop, &ctx->sigchld);
	uv_signal_start(&ctx->sigchld, on_sigchld, SIGCHLD);
	for (size_t i = 0; i < ARRAY_SIZE(ctx->fwd); i++) {
		uv_signal_init(&ctx->loop, &ctx->fwd[i]);
		ctx->fwd[i].data = ctx;
		uv_signal_start(&ctx->fwd[i], on_forward, forwarded_signals[i]);
		uv_unref((uv_handle_t *)&ctx->fwd[i]);
	}
	for (size_t i = 0; i < ARRAY_SIZE(ignored_signals); i++)
		signal(ignored_signals[i], SIG_IGN);
	/* A log line to a stderr pipe whose reader is gone must not kill
	 * the agent (libslirp's sends are the fallback process's, which
	 * ignores SIGPIPE itself).  Only here, after the fork: an ignored
	 * signal would stay ignored across the command's exec(). */
	signal(SIGPIPE, SIG_IGN);
	if (send(sock, "G", 1, MSG_NOSIGNAL) != 1)
		return log_errno(-errno, "cannot start the child");
	/* The child may have exited before SIGCHLD was watched. */
	on_sigchld(&ctx->sigchld, SIGCHLD);
	uv_run(&ctx->loop, UV_RUN_DEFAULT);
	return 0;
}

void run_config_default(struct run_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->slirp = true;
	fallback_config_default(&cfg->fb_cfg);
}

/*
 * The fallback network's process, forked before this process holds
 * anything it must not have: the notify fd, pidfds and nsagent's socket
 * come later.  It forwards the published ports that go through slirp.
 */
static int spawn_fallback(struct run_ctx *ctx)
{
	static struct publish_table ports;
	const struct publish_table *all = &ctx->cfg->publish;

	ports.n = 0;
	for (size_t i = 0; i < all->n; i++)
		if (run_via_slirp(ctx->cfg, &all->p[i]))
			ports.p[ports.n++] = all->p[i];
	return fallback_proc_spawn(&ctx->cfg->fb_cfg, &ports, RUN_TAP_NAME,
				   &ctx->fallback);
}

int run_command(const struct run_config *cfg, const struct policy *pol,
		char **argv)
{
	static struct run_ctx ctx;
	int sv[2], r;
	pid_t parent = getpid();

	ctx.cfg = cfg;
	service_registry_init(&ctx.registry);
	ctx.fallback.pid = 0;
	ctx.fallback.ctl = -1;
	ctx.nsagent_path = nsagent_find();
	if (!ctx.nsagent_path && cfg->slirp)
		return log_errno(
			       -ENOENT,
			       "nsbypass-nsagent not found: it "
			       "sets up the fallback network (or use --net=none)"),
		       1;
	if (!ctx.nsagent_path)
		log_warn(
			"nsbypass-nsagent not found: container subnets are not tracked");
	build_nsagent_argv(&ctx);
	idmap_plan(&ctx.idmap, getuid(), getgid(), cfg->single_id,
		   "/etc/subuid", "/etc/subgid");
	if (cfg->slirp) {
		r = spawn_fallback(&ctx);
		if (r < 0)
			return log_errno(r, "cannot start the fallback "
					    "network's process"),
			       1;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		log_errno(-errno, "socketpair");
		fallback_proc_end(&ctx.fallback);
		return 1;
	}
	uv_loop_init(&ctx.loop);
	ctx.child = fork();
	if (ctx.child < 0) {
		log_errno(-errno, "fork");
		fallback_proc_end(&ctx.fallback);
		return 1;
	}
	if (ctx.child == 0) {
		close(sv[0]);
		/* Without the agent every trapped call would fail with
		 * ENOSYS: go down with it. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(125);
		run_child(sv[1], &ctx.idmap, !cfg->slirp, ctx.nsagent_path,
			  ctx.nsagent_argv, argv);
	}
	close(sv[1]);
	r = run_parent(&ctx, sv[0], pol);
	close(sv[0]);
	service_registry_close(&ctx.registry); /* its file, on every path */
	if (r < 0) {
		kill(ctx.child, SIGKILL);
		waitpid(ctx.child, NULL, 0);
		fallback_proc_end(&ctx.fallback);
		return 1;
	}
	/* Its end closes the host ports it forwarded: before ours. */
	fallback_proc_end(&ctx.fallback);
	uv_loop_close(&ctx.loop);
	agent_fini(&ctx.agent);
	free(ctx.nsagent_path);
	return exit_status(ctx.status);
}
