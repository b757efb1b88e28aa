// SPDX-License-Identifier: Apache-2.0
/*
 * s4n.c - the slirp4netns-compatible mode once cmd-slirp4netns.c has
 * parsed its command line.
 *
 * nsbypass-nsagent is started in the target's user and network
 * namespaces (nsjoin.c); it creates and configures the tap (--configure)
 * or attaches to the one that is there, hands the fd over and exits.
 * This process never enters the target's namespaces: it runs the
 * fallback network's libslirp on its libuv loop behind the tap, serves
 * the API socket, writes "1" to --ready-fd, and exits with status 0 when
 * --exit-fd hangs up, on SIGTERM or SIGINT, or when the tap goes away
 * with its namespace.  See docs/compat-slirp4netns.md.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <uv.h>

#include "config.h"
#include "fallback.h"
#include "log.h"
#include "nsagent-client.h"
#include "nsjoin.h"
#include "s4n-api-socket.h"
#include "s4n-cleaner.h"
#include "s4n-hostfwd.h"
#include "s4n.h"
#include "sandbox.h"
#include "util.h"

#define S4N_TAP_TIMEOUT_MS 10000
#define S4N_NSAGENT_ARGS_MAX 22
/* The container's IPv6 address that --configure sets (slirp4netns lets
 * SLAAC pick one at random) and that IPv6 forwards go to by default. */
#define S4N_GUEST6 "fd00::100"
#define S4N_GATEWAY6 "fd00::2"

struct s4n_ctx {
	uv_loop_t loop;
	struct fallback *fallback;
	struct hostfwd_table *table;
	struct api_socket *api;
	uv_poll_t exit_poll;
	bool exit_polling;
	int pidfd; /* PID form: the target, else -1 */
	uv_poll_t pid_poll;
	bool pid_polling;
	int cleaner; /* our end of the API socket cleaner's pair, or -1 */
	uv_signal_t signals[2];
	bool stopping;
};

static const int stop_signals[] = { SIGTERM, SIGINT };
_Static_assert(ARRAY_SIZE(stop_signals) ==
		       ARRAY_SIZE(((struct s4n_ctx *)0)->signals),
	       "one uv_signal_t per stop signal");

/* nsagent's command line: the tap only, then it exits. */
static void nsagent_argv(const struct s4n_args *a, char **argv)
{
	static char mtu[16], addr[INET_ADDRSTRLEN + 8], gw[INET_ADDRSTRLEN],
		mac[18];
	char ip[INET_ADDRSTRLEN];
	size_t n = 0;

	argv[n++] = (char *)NB_NSAGENT_NAME;
	argv[n++] = (char *)"--report-fd";
	argv[n++] = (char *)"3";
	argv[n++] = (char *)"--tap";
	argv[n++] = (char *)a->tap;
	argv[n++] = (char *)"--tap-only";
	if (!a->configure) {
		argv[n++] = (char *)"--attach";
	} else {
		snprintf(mtu, sizeof(mtu), "%u", a->cfg.mtu);
		inet_ntop(AF_INET, &a->cfg.guest, ip, sizeof(ip));
		snprintf(addr, sizeof(addr), "%s/%u", ip, a->cfg.prefix);
		inet_ntop(AF_INET, &a->cfg.host, gw, sizeof(gw));
		argv[n++] = (char *)"--mtu";
		argv[n++] = mtu;
		argv[n++] = (char *)"--address";
		argv[n++] = addr;
		argv[n++] = (char *)"--gateway";
		argv[n++] = gw;
		if (a->has_mac) {
			snprintf(mac, sizeof(mac),
				 "%02x:%02x:%02x:%02x:%02x:%02x", a->mac[0],
				 a->mac[1], a->mac[2], a->mac[3], a->mac[4],
				 a->mac[5]);
			argv[n++] = (char *)"--mac";
			argv[n++] = mac;
		}
		if (a->cfg.enable_ipv6) {
			argv[n++] = (char *)"--address6";
			argv[n++] = (char *)S4N_GUEST6 "/64";
			argv[n++] = (char *)"--gateway6";
			argv[n++] = (char *)S4N_GATEWAY6;
		}
	}
	ASSERT(n < S4N_NSAGENT_ARGS_MAX);
	argv[n] = NULL;
}

/* Has the process behind @pidfd exited (its pidfd is readable)? */
static bool pidfd_exited(int pidfd)
{
	struct pollfd p = { .fd = pidfd, .events = POLLIN };

	return poll(&p, 1, 0) == 1;
}

/*
 * Have nsagent open (and with -c configure) the tap in the target's
 * namespaces and hand it over.  In the PID form, @pidfd is the target:
 * it must still be there once its namespace files are open, or they
 * could be another process's that got the same PID.
 * Return: the tap fd, or -errno (logged).
 */
static int get_tap(const struct s4n_args *a, int pidfd)
{
	const char *netns = a->netns_type_path ? a->target : a->netns_file;
	const char *userns = a->userns_path	? a->userns_path :
			     a->netns_type_path ? NULL :
						  a->userns_file;
	char *argv[S4N_NSAGENT_ARGS_MAX], name[NSAGENT_TAP_NAME_SIZE];
	_cleanup_free_ char *path = nsagent_find();
	_cleanup_close_ int mine = -1, theirs = -1;
	struct nsjoin j;
	int sp[2], tap = -1, r;
	pid_t pid;

	if (!path)
		return log_errno(-ENOENT, "nsbypass-nsagent not found: it sets "
					  "up the tap");
	r = nsjoin_open(&j, netns, userns);
	if (r < 0)
		return log_errno(r, "cannot open the namespaces of %s%s%s%s",
				 netns, userns ? " and " : "",
				 userns ? userns : "",
				 r == -EINVAL ?
					 " (not a namespace of that type)" :
					 "");
	if (pidfd >= 0 && pidfd_exited(pidfd)) {
		nsjoin_close(&j);
		return log_errno(-ESRCH, "process %d exited", a->pid);
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0) {
		r = -errno;
		nsjoin_close(&j);
		return log_errno(r, "socketpair");
	}
	mine = sp[0];
	theirs = sp[1];
	nsagent_argv(a, argv);
	pid = nsjoin_spawn(&j, path, argv, theirs);
	nsjoin_close(&j);
	if (pid < 0)
		return log_errno(pid, "cannot start %s", path);
	closep(&theirs);
	r = nsagent_recv_tap(mine, S4N_TAP_TIMEOUT_MS, &tap, name);
	if (r < 0)
		kill(pid, SIGKILL);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	if (r < 0)
		return log_errno(r, "no tap %s from nsbypass-nsagent%s", a->tap,
				 r == -EPIPE ? " (it said why above)" : "");
	if (strcmp(name, a->tap) != 0) {
		close(tap);
		return log_errno(-EPROTO,
				 "nsbypass-nsagent sent tap %s, not %s", name,
				 a->tap);
	}
	return tap;
}

static int host_len(const struct hostfwd *fwd)
{
	return fwd->host.sa.sa_family == AF_INET ? sizeof(struct sockaddr_in) :
						   sizeof(struct sockaddr_in6);
}

/* implements hostfwd_ops.add: the forward is slirp's */
static int fwd_add(void *opaque, const struct hostfwd *fwd)
{
	struct s4n_ctx *ctx = opaque;

	if (!ctx->fallback)
		return -ESHUTDOWN;
	return fallback_add_hostfwd(ctx->fallback, fwd->udp, &fwd->host.sa,
				    (socklen_t)host_len(fwd), &fwd->guest.sa,
				    (socklen_t)host_len(fwd));
}

/* implements hostfwd_ops.remove */
static int fwd_remove(void *opaque, const struct hostfwd *fwd)
{
	struct s4n_ctx *ctx = opaque;

	if (!ctx->fallback)
		return -ESHUTDOWN;
	return fallback_remove_hostfwd(ctx->fallback, fwd->udp, &fwd->host.sa,
				       (socklen_t)host_len(fwd));
}

static const struct hostfwd_ops fwd_ops = {
	.add = fwd_add,
	.remove = fwd_remove,
};

/* Close every handle; uv_run() returns once they are closed. */
static void s4n_stop(struct s4n_ctx *ctx)
{
	if (ctx->stopping)
		return;
	ctx->stopping = true;
	api_socket_stop(ctx->api);
	ctx->api = NULL;
	if (ctx->fallback)
		fallback_stop(ctx->fallback);
	ctx->fallback = NULL;
	if (ctx->exit_polling)
		uv_close((uv_handle_t *)&ctx->exit_poll, NULL);
	if (ctx->pid_polling)
		uv_close((uv_handle_t *)&ctx->pid_poll, NULL);
	for (size_t i = 0; i < ARRAY_SIZE(ctx->signals); i++)
		uv_close((uv_handle_t *)&ctx->signals[i], NULL);
}

static void on_exit_fd(uv_poll_t *p, int status, int events)
{
	struct s4n_ctx *ctx = container_of(p, struct s4n_ctx, exit_poll);

	log_info("--exit-fd: exiting");
	s4n_stop(ctx);
}

static void on_signal(uv_signal_t *h, int signum)
{
	struct s4n_ctx *ctx = h->data;

	log_info("%s: exiting", strsignal(signum));
	s4n_stop(ctx);
}

static void on_target_exit(uv_poll_t *p, int status, int events)
{
	struct s4n_ctx *ctx = container_of(p, struct s4n_ctx, pid_poll);

	log_info("the target process exited: exiting");
	s4n_stop(ctx);
}

/* implements fallback_gone_cb: the namespace died, so do we */
static void on_tap_gone(struct fallback *f, void *data)
{
	struct s4n_ctx *ctx = data;

	log_info("the tap went away with its namespace: exiting");
	s4n_stop(ctx);
}

/* The --outbound-addr[6] line's text: the address, or "any". */
static const char *outbound_text(const struct fallback_config *c, bool v6,
				 char *buf, size_t size)
{
	if (!v6 && c->outbound.sin_family == AF_INET)
		return inet_ntop(AF_INET, &c->outbound.sin_addr, buf,
				 (socklen_t)size);
	if (v6 && c->outbound6.sin6_family == AF_INET6)
		return inet_ntop(AF_INET6, &c->outbound6.sin6_addr, buf,
				 (socklen_t)size);
	return "any";
}

static void print_summary(const struct s4n_args *a)
{
	const struct fallback_config *c = &a->cfg;
	char net[INET_ADDRSTRLEN], host[INET_ADDRSTRLEN], dns[INET_ADDRSTRLEN],
		guest[INET_ADDRSTRLEN], out4[INET_ADDRSTRLEN],
		out6[INET6_ADDRSTRLEN], mac[18] = "the kernel's";

	inet_ntop(AF_INET, &c->network, net, sizeof(net));
	inet_ntop(AF_INET, &c->host, host, sizeof(host));
	inet_ntop(AF_INET, &c->dns, dns, sizeof(dns));
	inet_ntop(AF_INET, &c->guest, guest, sizeof(guest));
	if (a->has_mac)
		snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x",
			 a->mac[0], a->mac[1], a->mac[2], a->mac[3], a->mac[4],
			 a->mac[5]);
	printf("nsbypass slirp4netns: slirp on %s (%s)\n"
	       "* MTU:             %u\n"
	       "* Network:         %s/%u\n"
	       "* Gateway:         %s\n"
	       "* DNS:             %s%s\n"
	       "* Recommended IP:  %s\n"
	       "* MAC address:     %s\n"
	       "* Host loopback:   %s\n"
	       "* IPv6:            %s\n"
	       "* Outbound IPv4:   %s\n"
	       "* Outbound IPv6:   %s\n"
	       "* API socket:      %s\n"
	       "* Sandbox:         %s\n"
	       "* Seccomp:         %s\n",
	       a->tap, a->configure ? "configured" : "as it was", c->mtu, net,
	       c->prefix, host, dns, c->disable_dns ? " (disabled)" : "", guest,
	       mac,
	       c->enable_host_loopback ? "reachable via the gateway" :
					 "blocked",
	       c->enable_ipv6 ? "fd00::/64, gateway fd00::2, DNS fd00::3" :
				"off",
	       outbound_text(c, false, out4, sizeof(out4)),
	       outbound_text(c, true, out6, sizeof(out6)),
	       a->api_socket ? a->api_socket : "none",
	       a->enable_sandbox ? "on" : "off",
	       a->enable_seccomp ? "on" : "off");
	fflush(stdout);
}

/* Tell whoever waits on --ready-fd that the network runs. */
static void signal_ready(int fd)
{
	ssize_t n;

	do {
		n = write(fd, "1", 1);
	} while (n < 0 && errno == EINTR);
	if (n != 1)
		log_warn_errno(-errno,
			       "cannot write to --ready-fd %d, ignoring", fd);
	close(fd);
}

/*
 * Before the namespaces are touched: the signals (a SIGTERM during the
 * set-up ends it once the loop runs) and the API socket, whose path may
 * be in the way.  Requests are served once the loop runs, slirp first.
 */
static int s4n_listen(struct s4n_ctx *ctx, const struct s4n_args *a)
{
	struct in6_addr guest6;
	int r;

	for (size_t i = 0; i < ARRAY_SIZE(ctx->signals); i++) {
		uv_signal_init(&ctx->loop, &ctx->signals[i]);
		ctx->signals[i].data = ctx;
		uv_signal_start(&ctx->signals[i], on_signal, stop_signals[i]);
	}
	if (a->cfg.enable_ipv6)
		inet_pton(AF_INET6, S4N_GUEST6, &guest6);
	ctx->table = hostfwd_table_new(&fwd_ops, ctx, a->cfg.guest,
				       a->cfg.enable_ipv6 ? &guest6 : NULL);
	if (!ctx->table)
		return log_errno(-ENOMEM, "hostfwd table");
	if (!a->api_socket)
		return 0;
	r = api_socket_start(&ctx->loop, a->api_socket, ctx->table, &ctx->api);
	if (r < 0)
		return log_errno(r, "cannot listen on the API socket %s%s",
				 a->api_socket,
				 r == -EEXIST ?
					 " (a file that is not a socket is "
					 "in the way)" :
					 "");
	return 0;
}

/*
 * --enable-sandbox: an empty root of our own (libslirp's files and an
 * empty /run, which slirp4netns's users look for), no capabilities but
 * CAP_NET_BIND_SERVICE (slirp4netns keeps it: a forward to a low port
 * added later, where we have it).  --enable-seccomp: the allow-list,
 * last (it refuses the calls the sandbox makes), with the loop rebuilt
 * under it (sandbox.h says why).  Everything the network needs from the
 * host is open by now; a failure is fatal, as in slirp4netns.
 */
static int confine(struct s4n_ctx *ctx, const struct s4n_args *a)
{
	static const struct sandbox_file slirp_files[] = SANDBOX_SLIRP_FILES;
	struct sandbox_file files[ARRAY_SIZE(slirp_files) + 1];
	size_t n = 0;
	int r;

	if (!a->enable_sandbox && !a->enable_seccomp)
		return 0;
	/* Neither may remove the API socket at exit: the cleaner does. */
	if (a->api_socket) {
		ctx->cleaner = s4n_cleaner_start(a->api_socket);
		if (ctx->cleaner < 0)
			return ctx->cleaner;
	}
	if (a->enable_sandbox) {
		for (; slirp_files[n].path; n++)
			files[n] = slirp_files[n];
		files[n++] = (struct sandbox_file){ "/run", "" };
		files[n] = (struct sandbox_file){ NULL, NULL };
		r = sandbox_enter_root(files);
		if (r == 0)
			r = sandbox_drop_caps(1ULL << CAP_NET_BIND_SERVICE);
		if (r < 0)
			return log_errno(r, "cannot create the sandbox");
	} else if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		/* What an unprivileged process needs to load a filter. */
		return log_errno(-errno, "cannot set no_new_privs");
	}
	if (!a->enable_seccomp)
		return 0;
	r = sandbox_load_filter();
	if (r == 0) {
		r = uv_loop_fork(&ctx->loop);
		if (r < 0)
			log_errno(r,
				  "cannot rebuild the loop under the filter");
	}
	if (r < 0)
		return log_errno(r, "cannot load the seccomp filter");
	return 0;
}

/* The rest on the loop: slirp, the exit fd, the target's end. */
static int s4n_start(struct s4n_ctx *ctx, const struct s4n_args *a, int tap)
{
	int r;

	r = fallback_start(&ctx->loop, &a->cfg, tap, &ctx->fallback);
	if (r < 0)
		return log_errno(r, "cannot start slirp on %s", a->tap);
	fallback_set_gone_cb(ctx->fallback, on_tap_gone, ctx);
	if (a->exit_fd >= 0) {
		/* Any event counts, as for slirp4netns: data, HUP, error. */
		r = uv_poll_init(&ctx->loop, &ctx->exit_poll, a->exit_fd);
		/* Once inited, s4n_stop() closes it, started or not. */
		ctx->exit_polling = r == 0;
		if (r == 0)
			r = uv_poll_start(&ctx->exit_poll,
					  UV_READABLE | UV_DISCONNECT,
					  on_exit_fd);
		if (r < 0)
			return log_errno(r, "cannot watch --exit-fd %d",
					 a->exit_fd);
	}
	/* Our tap keeps the namespace alive: the target's end is the end
	 * of the namespace we can see. */
	if (ctx->pidfd >= 0) {
		r = uv_poll_init(&ctx->loop, &ctx->pid_poll, ctx->pidfd);
		ctx->pid_polling = r == 0;
		if (r == 0)
			r = uv_poll_start(&ctx->pid_poll, UV_READABLE,
					  on_target_exit);
		if (r < 0)
			return log_errno(r, "cannot watch process %d", a->pid);
	}
	return confine(ctx, a);
}

int s4n_run(const struct s4n_args *a)
{
	static struct s4n_ctx ctx;
	int tap, r;

	/* Before the loop exists: the sandbox keeps only what we name. */
	if (a->enable_sandbox) {
		const int keep[] = { STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO,
				     a->exit_fd, a->ready_fd };

		r = sandbox_close_fds(keep, ARRAY_SIZE(keep));
		if (r < 0)
			return log_errno(r, "cannot close inherited fds"), 1;
	}
	/* Ours now: no helper may inherit them. */
	if (a->exit_fd >= 0)
		fcntl(a->exit_fd, F_SETFD, FD_CLOEXEC);
	if (a->ready_fd >= 0)
		fcntl(a->ready_fd, F_SETFD, FD_CLOEXEC);
	/* libslirp send()s on host sockets without MSG_NOSIGNAL. */
	signal(SIGPIPE, SIG_IGN);

	ctx.pidfd = -1;
	ctx.cleaner = -1;
	if (a->pid > 0) {
		ctx.pidfd = (int)syscall(SYS_pidfd_open, a->pid, 0);
		if (ctx.pidfd < 0)
			return log_errno(-errno, "cannot open process %d",
					 a->pid),
			       1;
	}
	uv_loop_init(&ctx.loop);
	r = s4n_listen(&ctx, a);
	if (r == 0) {
		tap = get_tap(a, ctx.pidfd);
		r = tap < 0 ? tap : s4n_start(&ctx, a, tap);
	}
	if (r == 0) {
		print_summary(a);
		if (a->ready_fd >= 0)
			signal_ready(a->ready_fd);
	} else {
		s4n_stop(&ctx);
	}
	uv_run(&ctx.loop, UV_RUN_DEFAULT);
	uv_loop_close(&ctx.loop);
	ctx.table = hostfwd_table_free(ctx.table);
	closep(&ctx.pidfd);
	s4n_cleaner_finish(ctx.cleaner);
	return r < 0 ? 1 : 0;
}
