// SPDX-License-Identifier: Apache-2.0
/*
 * cmd-oci.c - `nsbypass oci`: the OCI seccomp listenerPath daemon.
 *
 * Runtimes (runc, crun) connect to the listener socket for each
 * container and each `exec` into one and send the container process
 * state with the seccomp notify fd (oci-listener.c reads it).  The
 * daemon checks the state (oci-state.c), picks the fd named seccompFd,
 * checks that it is a seccomp notify fd, closes the rest, works out the
 * container's settings (oci-config.c) and forks one agent process for
 * it (oci-agent.c, oci-children.c).  It never serves a notification
 * itself, so no container can stall or crash the daemon or another
 * container's agent.  It reaps the agents, logs one line when one ends,
 * and starts a new one when one crashed while its container lives on
 * (oci-children.h).  It also passes the service map between the agents
 * (oci-services.c: a socketpair made at each fork).  On SIGTERM or
 * SIGINT it stops listening and exits 0; running agents go on serving
 * their containers until these exit.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "cli.h"
#include "cluster-cli.h"
#include "cmd.h"
#include "http-server.h"
#include "log.h"
#include "oci-children.h"
#include "oci-cluster.h"
#include "oci-config.h"
#include "oci-control.h"
#include "oci-listener.h"
#include "oci-services.h"
#include "oci-state.h"
#include "pid-file.h"
#include "test-hooks.h"
#include "util.h"

struct oci_daemon {
	uv_loop_t loop;
	struct oci_listener listener;
	uv_signal_t sigchld, sigterm, sigint;
	struct oci_config defaults;
	const char *listen_path;
	const char *control_path; /* NULL: the default */
	const char *metrics_spec;
	struct oci_control *control, *metrics;
	uint64_t started_ns;
	const char *pid_file;
	const char *log_file;
	int ready_fd;
	struct oci_children children;
	struct oci_services services;
	struct cluster_opts cluster_opts;
	struct oci_cluster cluster;
};

static void oci_usage(FILE *f)
{
	fprintf(f,
		"Usage: nsbypass oci --listen PATH [OPTIONS]\n"
		"\n"
		"Serve as the seccomp listenerPath of OCI runtimes (runc, crun):\n"
		"for every container (and every exec into one) the runtime sends\n"
		"its seccomp notify fd, and an agent process bypasses its TCP and\n"
		"UDP connects to the outside.  Use it with a profile from\n"
		"`nsbypass profile --listener PATH`.\n"
		"\n"
		"Options:\n"
		"  --listen=PATH     the unix socket to create (mode 0600; only\n"
		"                    peers of our own uid are served)\n"
		"  --ignore=CIDR     never bypass CIDR (repeatable); loopback,\n"
		"                    link-local, multicast and unspecified\n"
		"                    addresses and the container's own subnets\n"
		"                    are never bypassed in any case\n"
		"  --publish=[HOSTIP:]HOSTPORT:CONTAINERPORT[/tcp|/udp]\n"
		"                    a TCP bind() of CONTAINERPORT takes the host\n"
		"                    port (repeatable); UDP is left to the engine\n"
		"  --ignore-bind     no bind bypass: the engine forwards ports\n"
		"  --no-c2c          published ports are not switched to from\n"
		"                    other containers (their own namespace\n"
		"                    still is)\n"
		"  --control=PATH    the control socket that `nsbypass status`\n"
		"                    asks (GET /status, GET /metrics; mode 0600,\n"
		"                    our uid only); default: the --listen PATH\n"
		"                    with \".control\" added\n"
		"  --metrics=ADDR:PORT|unix:PATH  serve GET /metrics (Prometheus)\n"
		"                    there too; a TCP port has no authentication:\n"
		"                    give 127.0.0.1 (only the address given is\n"
		"                    bound; IPv6 as [::1]:PORT) or unix:PATH\n"
		"  --host-subnets=MODE  which of a container's own subnets are\n"
		"                    the host's, copied in by pasta: auto\n"
		"                    (default), none or all (as nsbypass run's)\n" CLUSTER_CLI_HELP
		"  --ready-fd=N      write \"1\" to fd N once listening\n"
		"  --pid-file=F      write our pid to F once listening\n"
		"  --log-file=F      append log lines to F instead of stderr\n"
		"  --log-level=LVL   error, warn (default), info or debug\n"
		"  -h, --help        show this help\n"
		"  --version         show the version\n"
		"\n"
		"Per container, the profile's listenerMetadata\n"
		"(\"ignore=CIDR,...;publish=SPEC,...;ignore-bind=true;c2c=false;\n"
		"host-subnets=auto\") and the annotations nsbypass.ignore,\n"
		"nsbypass.publish, nsbypass.ignore-bind, nsbypass.c2c and\n"
		"nsbypass.host-subnets replace these defaults, key by key.\n");
}

static const struct cli_command oci_cli = {
	.name = "oci",
	.usage = oci_usage,
	.unknown = "bad option",
};

static int parse_oci_args(int argc, char **argv, struct oci_daemon *d)
{
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, 'L' },
		{ "control", required_argument, NULL, 'c' },
		{ "metrics", required_argument, NULL, 'm' },
		{ "ignore", required_argument, NULL, 'i' },
		{ "publish", required_argument, NULL, 'p' },
		{ "ignore-bind", no_argument, NULL, 'B' },
		{ "no-c2c", no_argument, NULL, 'C' },
		{ "host-subnets", required_argument, NULL, 'H' },
		{ "ready-fd", required_argument, NULL, 'r' },
		{ "pid-file", required_argument, NULL, 'P' },
		{ "log-file", required_argument, NULL, 'f' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		CLUSTER_CLI_OPTIONS,
		{ 0 },
	};
	int o, r;

	optind = 1;
	opterr = 0;
	while ((o = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (o) {
		case 'L':
			d->listen_path = optarg;
			break;
		case 'c':
			if (!*optarg)
				return nb_usage_error(
					"oci: --control= needs a path");
			d->control_path = optarg;
			break;
		case 'm':
			d->metrics_spec = optarg;
			break;
		case 'i':
			r = cli_opt_ignore("oci", optarg, &d->defaults.policy);
			if (r)
				return r;
			break;
		case 'p':
			r = cli_opt_publish("oci", optarg,
					    &d->defaults.publish);
			if (r)
				return r;
			break;
		case 'B':
			d->defaults.ignore_bind = true;
			break;
		case 'C':
			d->defaults.no_c2c = true;
			break;
		case 'H':
			if (policy_parse_mirrored(optarg,
						  &d->defaults.policy
							   .mirrored_mode) < 0)
				return nb_usage_error(
					"oci: --host-subnets=%s: want 'auto', 'none' or 'all'",
					optarg);
			break;
		case 'r':
			if (parse_int(optarg, 0, INT32_MAX, &d->ready_fd) < 0 ||
			    fcntl(d->ready_fd, F_GETFD) < 0)
				return nb_usage_error(
					"oci: --ready-fd=%s: not an open fd",
					optarg);
			break;
		case 'P':
			d->pid_file = optarg;
			break;
		case 'f':
			d->log_file = optarg;
			break;
		case 'l':
			r = cli_opt_log_level("oci", optarg);
			if (r)
				return r;
			break;
		default:
			if (o >= CLUSTER_OPT_URLS && o <= CLUSTER_OPT_KEY) {
				r = cluster_cli_option(&d->cluster_opts, o,
						       optarg, "oci");
				if (r)
					return r;
				break;
			}
			return cli_opt_default(&oci_cli, o, argv);
		}
	}
	if (optind < argc)
		return nb_usage_error("oci: unexpected argument '%s'",
				      argv[optind]);
	if (!d->listen_path || !*d->listen_path)
		return nb_usage_error(
			"oci: --listen=PATH is required (see 'nsbypass oci --help')");
	return cluster_cli_finish(&d->cluster_opts, d->listen_path, "oci");
}

/* Is @fd a seccomp user-notification fd? */
static bool is_notify_fd(int fd)
{
	static const char want[] = "anon_inode:seccomp notify";
	char path[64], target[sizeof(want) + 1];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, target, sizeof(target));
	return n == (ssize_t)strlen(want) &&
	       memcmp(target, want, (size_t)n) == 0;
}

static void close_fds(int *fds, size_t n, size_t keep)
{
	for (size_t i = 0; i < n; i++)
		if (i != keep)
			close(fds[i]);
}

/*
 * A pid in the container @st names, for a state that names none: crun
 * sends "pid": 0 with the state of an exec.  The exec joins the
 * namespaces of the container, whose own state (its init's pid) came
 * first; its agent is alive as long as a process of the container is.
 */
static void start_agent(struct oci_daemon *d, const struct oci_config *cfg,
			int notify_fd, struct oci_state *st)
{
	if (st->pid == 0) {
		st->pid = oci_children_container_pid(&d->children, st->id);
		if (st->pid > 0)
			log_info("container %.*s: a state without a pid (an "
				 "exec under crun): the container's is %d",
				 OCI_LOG_ID, st->id, (int)st->pid);
		else
			log_warn("container %.*s: a state without a pid, and "
				 "no agent serves the container: its "
				 "namespaces are not known",
				 OCI_LOG_ID, st->id);
	}
	oci_children_start(&d->children, cfg, notify_fd, st);
}

/*
 * An agent of a previous daemon asks to be adopted (oci-reattach.h): it
 * must be the sender itself, and send a notify fd, its shared memory and
 * a service channel.  @fds are the n_fds received; all are consumed.
 */
static void adopt_agent(struct oci_daemon *d, const struct oci_config *cfg,
			const struct oci_state *st, int *fds, size_t n_fds,
			pid_t peer)
{
	static unsigned int refused; /* by the test hook */
	int keep[3];

	if (peer != st->adopt_agent || n_fds != 3) {
		log_warn("container %.*s: refused an adoption for agent pid "
			 "%d from pid %d with %zu fds",
			 OCI_LOG_ID, st->id, (int)st->adopt_agent, (int)peer,
			 n_fds);
		close_fds(fds, n_fds, n_fds);
		return;
	}
	if (refused < test_hook_value("NSBYPASS_TEST_REFUSE_ADOPTIONS")) {
		refused++;
		log_info("test hook: container %.*s: the adoption of agent pid "
			 "%d refused",
			 OCI_LOG_ID, st->id, (int)st->adopt_agent);
		close_fds(fds, n_fds, n_fds);
		return;
	}
	keep[0] = fds[st->seccomp_fd];
	keep[1] = fds[st->shm_fd];
	keep[2] = fds[st->services_fd];
	oci_children_adopt(&d->children, cfg, st, keep);
}

/* implements oci_payload_cb */
static void on_payload(struct oci_listener *l, const char *buf, size_t len,
		       int *fds, size_t n_fds, pid_t peer)
{
	struct oci_daemon *d = container_of(l, struct oci_daemon, listener);
	static struct oci_config cfg;
	struct oci_state st;
	const char *why;
	char cwhy[160];
	int nfd;

	if (n_fds == 0) {
		log_warn("refused a state (%zu bytes): no fd came with it",
			 len);
		return;
	}
	if (oci_state_parse(buf, len, &st, &why) < 0) {
		log_warn("refused a state (%zu bytes, %zu fds): %s", len, n_fds,
			 why);
		close_fds(fds, n_fds, n_fds);
		return;
	}
	nfd = st.n_fds == n_fds ? fds[st.seccomp_fd] : -1;
	if (nfd < 0) {
		log_warn("container %.*s: refused: %zu fds came, fds names %zu",
			 OCI_LOG_ID, st.id, n_fds, st.n_fds);
		close_fds(fds, n_fds, n_fds);
	} else if (!is_notify_fd(nfd)) {
		log_warn("container %.*s: refused: seccompFd is not a seccomp "
			 "notify fd",
			 OCI_LOG_ID, st.id);
		close_fds(fds, n_fds, n_fds);
	} else {
		cfg = d->defaults;
		if (oci_config_apply(&cfg, &st, cwhy, sizeof(cwhy)) < 0) {
			log_warn("container %.*s: refused: %s", OCI_LOG_ID,
				 st.id, cwhy);
			close_fds(fds, n_fds, n_fds);
		} else if (st.adopt_agent) {
			adopt_agent(d, &cfg, &st, fds, n_fds, peer);
		} else {
			close_fds(fds, n_fds, st.seccomp_fd);
			start_agent(d, &cfg, nfd, &st);
		}
	}
	oci_state_clear(&st);
}

static void on_sigchld(uv_signal_t *h, int signum)
{
	struct oci_daemon *d = container_of(h, struct oci_daemon, sigchld);
	int status;
	pid_t p;

	(void)signum;
	while ((p = waitpid(-1, &status, WNOHANG)) > 0)
		if (!oci_cluster_reaped(&d->cluster, p, status))
			oci_children_reaped(&d->children, p, status);
}

static void on_stop(uv_signal_t *h, int signum)
{
	struct oci_daemon *d = h->data;

	log_info("signal %d: stopping; %zu agents go on until their "
		 "containers end",
		 signum, d->children.n);
	oci_listener_stop(&d->listener);
	oci_control_stop(d->control);
	oci_control_stop(d->metrics);
	oci_children_close(&d->children);
	oci_cluster_stop(&d->cluster);
	oci_services_close(&d->services);
	uv_close((uv_handle_t *)&d->sigchld, NULL);
	uv_close((uv_handle_t *)&d->sigterm, NULL);
	uv_close((uv_handle_t *)&d->sigint, NULL);
}

/*
 * The control socket (--control, or the listener's path + ".control"
 * when that fits) and the metrics endpoint (--metrics).  What was asked
 * for and fails is fatal; the default control socket only warns: the
 * containers matter more than their status.
 */
static int start_endpoints(struct oci_daemon *d)
{
	char def[sizeof(((struct sockaddr_un *)0)->sun_path)];
	const char *path = d->control_path, *mpath;
	struct timespec ts;
	int fd, r;

	clock_gettime(CLOCK_REALTIME, &ts);
	d->started_ns = (uint64_t)ts.tv_sec * 1000000000u +
			(uint64_t)ts.tv_nsec;
	if (!path && oci_control_default_path(d->listen_path, def, sizeof(def)))
		path = def;
	else if (!path)
		log_info("no control socket: %s%s is too long for a unix "
			 "socket (give --control=PATH)",
			 d->listen_path, OCI_CONTROL_SUFFIX);
	if (path) {
		fd = http_listen_unix(path);
		r = fd < 0 ? fd :
			     oci_control_start(&d->loop, fd, path, true,
					       &d->children, &d->cluster,
					       d->started_ns, &d->control);
		if (r < 0 && d->control_path)
			return log_errno(r, "cannot serve --control=%s", path),
			       r;
		if (r < 0)
			log_warn_errno(r,
				       "no control socket: cannot serve %s "
				       "(`nsbypass status` will not reach us)",
				       path);
	}
	if (!d->metrics_spec)
		return 0;
	fd = oci_control_listen(d->metrics_spec, &mpath);
	r = fd < 0 ? fd :
		     oci_control_start(&d->loop, fd, mpath, false, &d->children,
				       &d->cluster, d->started_ns, &d->metrics);
	if (r < 0) {
		if (r == -EINVAL)
			log_error("--metrics=%s: want ADDR:PORT (a numeric "
				  "address, IPv6 in brackets) or unix:PATH",
				  d->metrics_spec);
		else
			log_errno(r, "cannot serve --metrics=%s",
				  d->metrics_spec);
		oci_control_stop(d->control);
		d->control = NULL;
		return r;
	}
	log_info("metrics on %s", d->metrics_spec);
	return 0;
}

/*
 * O_NONBLOCK only for the open: a FIFO without a reader is then ENXIO at
 * once instead of a daemon that never starts.  The writes block, as they
 * would on stderr.
 */
static int open_log_file(const char *path)
{
	const int flags = O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY;
	int fd = open(path, flags | O_NONBLOCK, 0600);

	if (fd < 0)
		return -errno;
	if (fcntl(fd, F_SETFL, O_APPEND) < 0) {
		close(fd);
		return -errno;
	}
	if (dup2(fd, STDERR_FILENO) < 0) {
		close(fd);
		return -errno;
	}
	close(fd);
	return 0;
}

int nb_cmd_oci(int argc, char **argv)
{
	static struct oci_daemon d;
	bool wrote_pid_file = false;
	int r;

	d.ready_fd = -1;
	policy_init(&d.defaults.policy);
	cluster_cli_init(&d.cluster_opts);
	r = parse_oci_args(argc, argv, &d);
	if (r)
		return r;
	if (d.log_file) {
		r = open_log_file(d.log_file);
		if (r < 0) {
			log_errno(r, "oci: --log-file=%s%s", d.log_file,
				  r == -ENXIO ? " (a FIFO with no reader)" :
						"");
			return 1;
		}
	}
	log_set_prefix("nsbypass oci");
	/* A runtime that hangs up must not kill us in a write. */
	signal(SIGPIPE, SIG_IGN);
	uv_loop_init(&d.loop);
	r = oci_services_init(&d.services, &d.loop);
	if (r < 0)
		return log_errno(r, "oci: cannot start"), 1;
	oci_children_init(&d.children, &d.loop, &d.services, d.listen_path);
	r = oci_listener_start(&d.listener, &d.loop, d.listen_path, on_payload);
	if (r < 0)
		return log_errno(r, "cannot listen on %s", d.listen_path), 1;
	r = start_endpoints(&d);
	if (r < 0) {
		oci_listener_stop(&d.listener);
		return 1;
	}
	uv_signal_init(&d.loop, &d.sigchld);
	uv_signal_start(&d.sigchld, on_sigchld, SIGCHLD);
	if (cluster_cli_on(&d.cluster_opts))
		oci_cluster_start(&d.cluster, &d.loop, &d.cluster_opts,
				  &d.services);
	uv_signal_init(&d.loop, &d.sigterm);
	uv_signal_init(&d.loop, &d.sigint);
	d.sigterm.data = d.sigint.data = &d;
	uv_signal_start(&d.sigterm, on_stop, SIGTERM);
	uv_signal_start(&d.sigint, on_stop, SIGINT);
	if (d.pid_file) {
		r = pid_file_write(d.pid_file, getpid());
		if (r == -EEXIST)
			log_warn("--pid-file=%s is not a regular file: not "
				 "written, ignoring",
				 d.pid_file);
		else if (r < 0)
			log_warn_errno(r,
				       "cannot write --pid-file=%s, ignoring",
				       d.pid_file);
		wrote_pid_file = r == 0;
	}
	if (d.ready_fd >= 0) {
		if (write(d.ready_fd, "1", 1) != 1)
			log_warn_errno(-errno, "--ready-fd=%d, ignoring",
				       d.ready_fd);
		close(d.ready_fd);
	}
	log_info("listening on %s: %zu ignored CIDRs, %zu published ports%s",
		 d.listen_path, d.defaults.policy.n_ignore,
		 d.defaults.publish.n,
		 d.defaults.ignore_bind ? ", no bind bypass" : "");
	uv_run(&d.loop, UV_RUN_DEFAULT);
	uv_loop_close(&d.loop);
	oci_services_fini(&d.services);
	/* Ours only if we wrote it and no one wrote another pid since. */
	if (wrote_pid_file)
		pid_file_remove(d.pid_file, getpid());
	return 0;
}
