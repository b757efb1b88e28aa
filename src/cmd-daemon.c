// SPDX-License-Identifier: Apache-2.0
/*
 * cmd-daemon.c - `nsbypass daemon`: bypass4netnsd's REST API on a unix
 * socket, for nerdctl (--annotation nerdctl/bypass4netns=true).  Each
 * POST /v1/bypass starts an `nsbypass oci` for the container's
 * listenerPath; DELETE stops it.  docs/design.md §6.4.
 *
 * One thread, one libuv loop: the HTTP server (daemon-http.c) and the
 * children (daemon-children.c) both run on it.  SIGTERM or SIGINT: the
 * socket is removed at once, every child is stopped (SIGTERM, then
 * SIGKILL after DAEMON_STOP_TIMEOUT_MS), then the daemon exits 0.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "cli.h"
#include "cluster-cli.h"
#include "cmd.h"
#include "daemon-children.h"
#include "daemon-http.h"
#include "log.h"
#include "private-dir.h"
#include "util.h"

/* Where nerdctl looks for bypass4netnsd, under $XDG_RUNTIME_DIR
 * (containerd/nerdctl pkg/bypass4netnsutil/bypass4netnsutil.go). */
#define DAEMON_DEFAULT_SOCKET "bypass4netnsd.sock"

struct daemon_ctx {
	uv_loop_t loop;
	uv_signal_t sigterm, sigint;
	struct daemon_children *children;
	struct daemon_http *http;
	char *socket_path;
	char *state_dir; /* daemon-state.h */
	bool stopping;
	struct cluster_cli_pass cluster; /* for every nsbypass oci */
};

static void daemon_usage(FILE *f)
{
	fprintf(f,
		"Usage: nsbypass daemon [--socket PATH] [OPTIONS]\n"
		"\n"
		"Serve bypass4netnsd's REST API (what nerdctl calls for\n"
		"--annotation nerdctl/bypass4netns=true) on a unix socket: each\n"
		"POST /v1/bypass starts `nsbypass oci` on the spec's socketPath,\n"
		"DELETE /v1/bypass/ID stops it, GET /v1/bypass lists them.\n"
		"Only clients of the daemon's own uid are served.\n"
		"\n"
		"Options:\n"
		"  --socket=PATH     the API socket (default\n"
		"                    $XDG_RUNTIME_DIR/" DAEMON_DEFAULT_SOCKET
		", where\n"
		"                    nerdctl looks for it); created with mode 0600\n"
		"  --state-dir=DIR   where each running bypass is kept for the\n"
		"                    next daemon, which adopts or restarts it\n"
		"                    (default: the socket's path + \".state\";\n"
		"                    made 0700)\n"
		"  --log-level=LVL   error, warn, info (default) or debug\n" CLUSTER_CLI_HELP
		"                    (each `nsbypass oci` gets them)\n"
		"  --multinode[=true], --multinode-etcd-address=URL,\n"
		"  --multinode-host-address=IP  bypass4netnsd's spellings of\n"
		"                    --cluster and --node-address\n"
		"  -h, --help, --version\n"
		"\n"
		"SIGTERM or SIGINT stops every bypass, removes the socket and\n"
		"exits 0; the next daemon with the same --state-dir starts them\n"
		"again.\n");
}

static const struct cli_command daemon_cli = {
	.name = "daemon",
	.usage = daemon_usage,
	.unknown = "bad option",
};

static int parse_daemon_args(int argc, char **argv, struct daemon_ctx *ctx)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "state-dir", required_argument, NULL, 'S' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "multinode", optional_argument, NULL, 'M' },
		{ "multinode-etcd-address", required_argument, NULL, 'M' },
		{ "multinode-host-address", required_argument, NULL, 'M' },
		CLUSTER_CLI_OPTIONS,
		{ 0 },
	};
	const char *xdg;
	int o, r, idx;

	optind = 1;
	opterr = 0;
	while ((idx = -1, o = getopt_long(argc, argv, "+:h", opts, &idx)) !=
	       -1) {
		switch (o) {
		case 's':
			if (optarg[0] == '\0')
				return nb_usage_error(
					"daemon: --socket: empty path");
			free(ctx->socket_path);
			ctx->socket_path = strdup(optarg);
			break;
		case 'S':
			if (optarg[0] != '/')
				return nb_usage_error(
					"daemon: --state-dir=%s: an absolute "
					"path is wanted",
					optarg);
			free(ctx->state_dir);
			ctx->state_dir = strdup(optarg);
			break;
		case 'l':
			r = cli_opt_log_level("daemon", optarg);
			if (r)
				return r;
			break;
		default:
			if (idx >= 0 && (o == 'M' || (o >= CLUSTER_OPT_URLS &&
						      o <= CLUSTER_OPT_KEY))) {
				r = cluster_cli_pass_option(&ctx->cluster, o,
							    opts[idx].name,
							    optarg);
				if (r)
					return r;
				break;
			}
			return cli_opt_default(&daemon_cli, o, argv);
		}
	}
	if (optind < argc)
		return nb_usage_error("daemon: unexpected argument '%s'",
				      argv[optind]);
	if (!ctx->socket_path) {
		xdg = getenv("XDG_RUNTIME_DIR");
		if (!xdg || xdg[0] != '/')
			return nb_usage_error("daemon: no --socket, and "
					      "XDG_RUNTIME_DIR is not set");
		if (asprintf(&ctx->socket_path, "%s/%s", xdg,
			     DAEMON_DEFAULT_SOCKET) < 0)
			ctx->socket_path = NULL;
	}
	if (ctx->socket_path && !ctx->state_dir &&
	    asprintf(&ctx->state_dir, "%s.state", ctx->socket_path) < 0)
		ctx->state_dir = NULL;
	if (!ctx->socket_path || !ctx->state_dir)
		return nb_usage_error("daemon: out of memory");
	return cluster_cli_pass_finish(&ctx->cluster, ctx->socket_path);
}

static void on_handle_closed(uv_handle_t *h)
{
}

/* Every child is gone: close the server, and the loop runs out. */
static void on_children_gone(void *opaque)
{
	struct daemon_ctx *ctx = opaque;

	daemon_http_stop(ctx->http);
	ctx->http = NULL;
	uv_close((uv_handle_t *)&ctx->sigterm, on_handle_closed);
	uv_close((uv_handle_t *)&ctx->sigint, on_handle_closed);
}

static void on_signal(uv_signal_t *s, int signum)
{
	struct daemon_ctx *ctx = s->data;

	if (ctx->stopping)
		return;
	ctx->stopping = true;
	log_info("daemon: %s: stopping every bypass", strsignal(signum));
	/* No new client can find us from now on. */
	if (unlink(ctx->socket_path) < 0 && errno != ENOENT)
		log_warn_errno(-errno, "daemon: cannot remove %s",
			       ctx->socket_path);
	daemon_children_shutdown(ctx->children, on_children_gone, ctx);
}

static int daemon_start(struct daemon_ctx *ctx)
{
	int fd, r;

	fd = daemon_http_listen(ctx->socket_path);
	if (fd == -EADDRINUSE)
		return log_errno(fd, "daemon: a daemon already serves %s",
				 ctx->socket_path);
	if (fd == -EEXIST)
		return log_errno(fd,
				 "daemon: %s is in the way and is not a "
				 "socket",
				 ctx->socket_path);
	if (fd < 0)
		return log_errno(fd, "daemon: cannot listen on %s",
				 ctx->socket_path);
	/* Children run this very binary: /proc/self/exe stays right
	 * even when the file is replaced by an upgrade meanwhile. */
	ctx->children = daemon_children_new(&ctx->loop, "/proc/self/exe");
	if (!ctx->children) {
		close(fd);
		unlink(ctx->socket_path);
		return log_errno(-ENOMEM, "daemon: cannot start");
	}
	daemon_children_set_extra_args(ctx->children, ctx->cluster.argv,
				       ctx->cluster.n);
	r = daemon_http_start(&ctx->loop, fd, ctx->children, &ctx->http);
	if (r < 0) {
		unlink(ctx->socket_path);
		return log_errno(r, "daemon: cannot start the HTTP server");
	}
	/* The bypasses of the daemon before us (daemon-state.h). */
	r = private_dir_open_path(ctx->state_dir);
	if (r < 0) {
		log_warn_errno(r,
			       "daemon: no state directory %s (ours, mode "
			       "0700 wanted): bypasses are not kept for the "
			       "next daemon",
			       ctx->state_dir);
	} else {
		daemon_children_set_state(ctx->children, r);
		daemon_children_restore(ctx->children);
	}
	uv_signal_init(&ctx->loop, &ctx->sigterm);
	uv_signal_init(&ctx->loop, &ctx->sigint);
	ctx->sigterm.data = ctx->sigint.data = ctx;
	uv_signal_start(&ctx->sigterm, on_signal, SIGTERM);
	uv_signal_start(&ctx->sigint, on_signal, SIGINT);
	log_info("daemon: serving the bypass4netnsd API on %s (pid %d)",
		 ctx->socket_path, (int)getpid());
	return 0;
}

int nb_cmd_daemon(int argc, char **argv)
{
	struct daemon_ctx ctx = { 0 };
	int r;

	log_max_level = LOG_LEVEL_INFO;
	cluster_cli_pass_init(&ctx.cluster);
	r = parse_daemon_args(argc, argv, &ctx);
	if (r) {
		free(ctx.socket_path);
		free(ctx.state_dir);
		cluster_cli_pass_free(&ctx.cluster);
		return r;
	}
	/* A client that hangs up must not kill the daemon. */
	signal(SIGPIPE, SIG_IGN);
	uv_loop_init(&ctx.loop);
	r = daemon_start(&ctx);
	if (r == 0)
		uv_run(&ctx.loop, UV_RUN_DEFAULT);
	else
		uv_run(&ctx.loop, UV_RUN_NOWAIT);
	uv_loop_close(&ctx.loop);
	ctx.children = daemon_children_free(ctx.children);
	free(ctx.socket_path);
	free(ctx.state_dir);
	cluster_cli_pass_free(&ctx.cluster);
	return r < 0 ? 1 : 0;
}
