// SPDX-License-Identifier: Apache-2.0
/*
 * fallback-proc.c - the fallback network of `nsbypass run` in a confined
 * process of its own (see fallback-proc.h).
 *
 *   agent (nsbypass run)                   fallback process
 *   fallback_proc_spawn(), first ────────► /dev/null on stdin and stdout,
 *     ctl: SOCK_SEQPACKET, agent -> child  sandbox_enter(): every fd but
 *     the agent's end shut for reading     stdio and ctl closed, own user
 *                                          and mount ns, empty root, no
 *                                          caps, the seccomp allow-list
 *   nsagent's tap arrives                  recvmsg(ctl): blocks
 *   fallback_proc_give_tap() ───────────►  uv_loop_init() (after the
 *                                          filter: no io_uring), slirp on
 *                                          the tap, published ports
 *   the command exits                      ...
 *   fallback_proc_end(): close ctl ─────►  ctl hangs up: stop, _exit(0)
 *   waitpid(), SIGKILL after 1 s
 *
 * The loop is made after the sandbox: libuv >= 1.45 would otherwise give
 * it an io_uring, which the filter refuses (sandbox.h).  The agent never
 * reads a byte from the control socket.  Should the agent be killed, the
 * process gets SIGKILL (PR_SET_PDEATHSIG).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "config.h"
#include "fallback-proc.h"
#include "fdpass.h"
#include "log.h"
#include "sandbox.h"
#include "util.h"

/* How long fallback_proc_end() waits for the process before SIGKILL. */
#define END_WAIT_MS 1000
#define END_POLL_MS 10

/* The child's state: its loop and what it runs on it. */
struct fallback_child {
	uv_loop_t loop;
	uv_poll_t ctl_poll;
	struct fallback *f;
	bool ended;
};

/* Stop the fallback and the control socket's watch: the loop then ends. */
static void child_end(struct fallback_child *c)
{
	if (c->ended)
		return;
	c->ended = true;
	if (c->f)
		fallback_stop(c->f);
	c->f = NULL;
	uv_close((uv_handle_t *)&c->ctl_poll, NULL);
}

/* The agent closed its end (or, against the rules, sent more): end. */
static void on_ctl(uv_poll_t *h, int status, int events)
{
	child_end(container_of(h, struct fallback_child, ctl_poll));
}

/* implements fallback_gone_cb: the container's namespace is gone */
static void on_tap_gone(struct fallback *f, void *data)
{
	child_end(data);
}

/* Forward @ports through slirp to the container's address. */
static void forward_ports(struct fallback *f, const struct fallback_config *cfg,
			  const struct publish_table *ports)
{
	char spec[PUBLISH_SPEC_MAX];
	struct sockaddr_storage host;
	struct sockaddr_in guest = { .sin_family = AF_INET };
	int len, r;

	for (size_t i = 0; i < ports->n; i++) {
		const struct publish *p = &ports->p[i];

		len = publish_host_addr(p, p->family, &host);
		guest.sin_addr = cfg->guest;
		guest.sin_port = htons(p->container_port);
		r = len < 0 ? len :
			      fallback_add_hostfwd(f, p->udp,
						   (struct sockaddr *)&host,
						   (socklen_t)len,
						   (struct sockaddr *)&guest,
						   sizeof(guest));
		if (r < 0)
			log_errno(r, "published port %s: the host port",
				  publish_to_string(p, spec));
		else
			log_info("published %s through slirp",
				 publish_to_string(p, spec));
	}
}

/*
 * The capabilities the process keeps: none, but CAP_NET_BIND_SERVICE when
 * a port below net.ipv4.ip_unprivileged_port_start is forwarded.  It only
 * matters where the sandbox makes no user namespace (real root): in a new
 * one it grants nothing on the host's network namespace.
 */
static uint64_t caps_to_keep(const struct publish_table *ports)
{
	FILE *f = fopen("/proc/sys/net/ipv4/ip_unprivileged_port_start", "re");
	char line[16];
	int start = 1024;

	if (f) {
		if (fgets(line, sizeof(line), f)) {
			line[strcspn(line, "\n")] = '\0';
			if (parse_int(line, 0, 65536, &start) < 0)
				start = 1024;
		}
		fclose(f);
	}
	for (size_t i = 0; i < ports->n; i++)
		if (ports->p[i].host_port < start)
			return 1ULL << CAP_NET_BIND_SERVICE;
	return 0;
}

/*
 * stdin and stdout become /dev/null (the process reads no terminal and
 * prints nothing but log lines), stderr too if it was closed, so that no
 * socket of slirp's ever takes one of their numbers.  @ctl is moved out of
 * their way first.  Return: @ctl's number, or -errno.
 */
static int settle_stdio(int ctl)
{
	int null, r = 0;

	if (ctl <= STDERR_FILENO) {
		int moved = fcntl(ctl, F_DUPFD_CLOEXEC, STDERR_FILENO + 1);

		if (moved < 0)
			return -errno;
		close(ctl);
		ctl = moved;
	}
	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null < 0)
		return -errno;
	if (dup2(null, STDIN_FILENO) < 0 || dup2(null, STDOUT_FILENO) < 0 ||
	    (fcntl(STDERR_FILENO, F_GETFD) < 0 &&
	     dup2(null, STDERR_FILENO) < 0))
		r = -errno;
	if (null > STDERR_FILENO)
		close(null);
	return r < 0 ? r : ctl;
}

/*
 * libslirp keeps a host socket per connection until its own TCP state
 * lets it go, long after the close: the soft fd limit (1024, often) ends
 * a connection-heavy container's network with ENETUNREACH (what slirp
 * answers a failed socket() with).  The agent raises its own limit, after
 * this process is forked; as rootless engines do for slirp4netns, this
 * one goes to the hard limit too, before the filter (no setrlimit).
 */
static void raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			log_debug("fallback network: cannot raise its fd "
				  "limit: %s",
				  strerror(errno));
	}
}

/* The process's signals: a group of its own, nothing from a terminal. */
static void settle_signals(void)
{
	static const int ignored[] = { SIGINT, SIGQUIT, SIGPIPE, SIGTTOU };
	sigset_t none;

	/* Ctrl-C and Ctrl-Z in a terminal are the command's. */
	setpgid(0, 0);
	/* libslirp send()s without MSG_NOSIGNAL; SIGTTOU: a log line on
	 * a terminal with "stty tostop" must not stop the process. */
	for (size_t i = 0; i < ARRAY_SIZE(ignored); i++)
		signal(ignored[i], SIG_IGN);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

/*
 * Confine the process: stdio settled, every fd but stdio and @ctl closed,
 * the sandbox entered.  Return: @ctl's number now, or -errno (logged).
 */
static int confine(int ctl, const struct publish_table *ports)
{
	static const struct sandbox_file files[] = SANDBOX_SLIRP_FILES;
	int keep[] = { STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO, -1 };
	struct sandbox_config sc = {
		.keep_fds = keep,
		.n_keep_fds = ARRAY_SIZE(keep),
		.files = files,
		.keep_caps = caps_to_keep(ports),
	};
	int r;

	ctl = settle_stdio(ctl);
	if (ctl < 0)
		return log_errno(ctl, "fallback network: cannot set up stdio");
	raise_fd_limit();
	keep[3] = ctl;
	r = sandbox_enter(&sc);
	if (r < 0)
		return log_errno(r, "fallback network: cannot confine its "
				    "process, not started");
	return ctl;
}

/*
 * slirp on @tap (owned from now on), on a loop made here, under the
 * filter (no io_uring), until @ctl hangs up or the tap goes.
 * Return: 0, or -errno (logged)
 */
static int serve(const struct fallback_config *cfg,
		 const struct publish_table *ports, const char *tap_name,
		 int ctl, int tap)
{
	static struct fallback_child c;
	int r;

	r = uv_loop_init(&c.loop);
	if (r == 0)
		r = fallback_start(&c.loop, cfg, tap, &c.f);
	else
		close(tap);
	if (r < 0)
		return log_errno(r, "cannot start the fallback network on %s",
				 tap_name);
	log_info("fallback network on %s, mtu %u", tap_name, cfg->mtu);
	forward_ports(c.f, cfg, ports);
	fallback_set_gone_cb(c.f, on_tap_gone, &c);
	r = uv_poll_init(&c.loop, &c.ctl_poll, ctl);
	if (r == 0)
		r = uv_poll_start(&c.ctl_poll, UV_READABLE | UV_DISCONNECT,
				  on_ctl);
	if (r < 0)
		return log_errno(r, "fallback network: cannot watch the agent");
	return uv_run(&c.loop, UV_RUN_DEFAULT) < 0 ? -EIO : 0;
}

/* The fallback's process, from the fork on.  Never returns. */
static void __attribute__((noreturn))
child_main(const struct fallback_config *cfg, const struct publish_table *ports,
	   const char *tap_name, int ctl)
{
	int tap, r;

	settle_signals();
	ctl = confine(ctl, ports);
	/* Blocking: nothing else to do until the tap comes.  EOF: the agent
	 * ended before nsagent delivered it, nothing to do at all. */
	r = ctl < 0 ? ctl : fdpass_recv(ctl, &tap, 1);
	if (r == 0) {
#ifdef NB_TEST_HOOKS
		/* The agent holds everything the probe must not reach by now
		 * (the notify fd came with the socket the tap came on). */
		sandbox_probe_env();
#endif
		r = serve(cfg, ports, tap_name, ctl, tap);
	} else if (ctl >= 0 && r != -EPIPE) {
		log_errno(r, "fallback network: no tap from the agent");
	}
	/* Not exit(): nothing of the agent's atexit() runs here. */
	_exit(r < 0 && r != -EPIPE ? 1 : 0);
}

int fallback_proc_spawn(const struct fallback_config *cfg,
			const struct publish_table *ports, const char *tap_name,
			struct fallback_proc *ret)
{
	pid_t parent = getpid(), pid;
	int sp[2], r;

	ret->pid = 0;
	ret->ctl = -1;
	ret->ending = false;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
		return -errno;
	pid = fork();
	if (pid == 0) {
		close(sp[0]);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(0);
		child_main(cfg, ports, tap_name, sp[1]);
	}
	r = pid < 0 ? -errno : 0;
	close(sp[1]);
	if (r < 0) {
		close(sp[0]);
		return r;
	}
	/* One way: whatever the process might send is never read. */
	if (shutdown(sp[0], SHUT_RD) < 0)
		log_debug("fallback network: shutdown(SHUT_RD): %s",
			  strerror(errno));
	ret->pid = pid;
	ret->ctl = sp[0];
	log_debug("fallback network: process %d", (int)pid);
	return 0;
}

int fallback_proc_give_tap(struct fallback_proc *p, int tap_fd)
{
	int r = p->ctl < 0 ? -EPIPE : fdpass_send(p->ctl, &tap_fd, 1);

	close(tap_fd);
	return r;
}

/* Say how the process ended, the agent not having ended it. */
static void log_early_end(int status)
{
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS)
		log_warn("the fallback network's process was killed by its "
			 "seccomp filter: a system call outside its allow-list "
			 "(the kernel's audit log names it); only bypassed "
			 "traffic leaves from now on");
	else if (WIFSIGNALED(status))
		log_warn("the fallback network's process was killed by "
			 "signal %d (%s); only bypassed traffic leaves from "
			 "now on",
			 WTERMSIG(status), strsignal(WTERMSIG(status)));
	else if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
		log_warn("the fallback network's process exited with status "
			 "%d; only bypassed traffic leaves from now on",
			 WEXITSTATUS(status));
	else
		log_info("the fallback network's process ended");
}

bool fallback_proc_reaped(struct fallback_proc *p, pid_t pid, int status)
{
	if (p->pid <= 0 || pid != p->pid)
		return false;
	p->pid = 0;
	closep(&p->ctl);
	if (!p->ending)
		log_early_end(status);
	return true;
}

void fallback_proc_end(struct fallback_proc *p)
{
	const struct timespec tick = { .tv_nsec = END_POLL_MS * 1000000L };
	int status;

	p->ending = true;
	closep(&p->ctl);
	if (p->pid <= 0)
		return;
	for (int i = 0; i < END_WAIT_MS / END_POLL_MS; i++) {
		pid_t r = waitpid(p->pid, &status, WNOHANG);

		if (r == p->pid || (r < 0 && errno != EINTR)) {
			p->pid = 0;
			return;
		}
		nanosleep(&tick, NULL);
	}
	log_debug("fallback network: process %d did not end, killing it",
		  (int)p->pid);
	kill(p->pid, SIGKILL);
	while (waitpid(p->pid, &status, 0) < 0 && errno == EINTR)
		;
	p->pid = 0;
}
