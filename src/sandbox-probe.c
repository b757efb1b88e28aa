// SPDX-License-Identifier: Apache-2.0
/*
 * sandbox-probe.c - the test hook (-Dtest_hooks=true builds only): a
 * confined process tries what its confinement must refuse, and logs each
 * outcome, so that a test can look from outside at what the real
 * fallback process may do.  A release build compiles none of it.
 */
#include "config.h"

#ifdef NB_TEST_HOOKS
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "log.h"
#include "sandbox.h"
#include "util.h"

struct probe_run {
	int tried, refused;
};

/* Record one try: @r < 0 means refused, with errno @err. */
static void outcome(struct probe_run *run, const char *what, long r, int err)
{
	run->tried++;
	if (r < 0) {
		run->refused++;
		log_info("sandbox probe: %s: refused (%s)", what,
			 strerror(err));
	} else {
		log_warn("sandbox probe: %s: NOT refused", what);
	}
}

/* Try open(@path, @flags); close what opened. */
static void try_open(struct probe_run *run, const char *what, const char *path,
		     int flags)
{
	int fd = open(path, flags | O_CLOEXEC, 0600);

	outcome(run, what, fd, errno);
	if (fd >= 0)
		close(fd);
}

static void try_socket(struct probe_run *run, const char *what, int af,
		       int type)
{
	int fd = socket(af, type | SOCK_CLOEXEC, 0);

	outcome(run, what, fd, errno);
	if (fd >= 0)
		close(fd);
}

/* What touches another process: @pid is the agent (or the parent). */
static void try_process(struct probe_run *run, pid_t pid, int fd)
{
	static char secret[8];
	char buf[sizeof(secret)];
	struct iovec local = { buf, sizeof(buf) };
	struct iovec remote = { secret, sizeof(secret) };
	long r;
	int pidfd;

	r = ptrace(PTRACE_ATTACH, pid, NULL, NULL);
	outcome(run, "ptrace the agent", r, errno);
	if (r == 0)
		ptrace(PTRACE_DETACH, pid, NULL, NULL);
	/* Forked from it, we know an address of its. */
	r = process_vm_readv(pid, &local, 1, &remote, 1, 0);
	outcome(run, "read the agent's memory", r, errno);
	r = kill(pid, 0);
	outcome(run, "signal the agent", r, errno);
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	outcome(run, "pidfd_open the agent", pidfd, errno);
	/* Tried even without a pidfd: the filter must answer EPERM before
	 * the kernel looks at the arguments (EBADF would not prove that). */
	if (fd >= 0) {
		r = syscall(SYS_pidfd_getfd, pidfd, fd, 0);
		outcome(run, "take the agent's notify fd", r, errno);
		if (r >= 0)
			close((int)r);
	}
	if (pidfd >= 0)
		close(pidfd);
}

int sandbox_probe(const struct sandbox_probe *p)
{
	static char *const argv[] = { (char *)"/bin/sh", (char *)"-c",
				      (char *)"exit 0", NULL };
	struct probe_run run = { 0 };
	int sp[2];
	long r;

	if (p->file)
		try_open(&run, "open a file of the user's", p->file, O_RDONLY);
	try_open(&run, "open /etc/passwd", "/etc/passwd", O_RDONLY);
	try_open(&run, "create a file", "/sandbox-probe", O_WRONLY | O_CREAT);
	/* Should it work, the process is gone: no summary line. */
	r = execve(argv[0], argv, NULL);
	outcome(&run, "exec /bin/sh", r, errno);
	try_process(&run, p->pid > 0 ? p->pid : getppid(), p->fd);
	if (p->fd >= 0) {
		r = fcntl(p->fd, F_GETFD);
		outcome(&run, "use the notify fd's number", r, errno);
	}
	try_socket(&run, "AF_UNIX socket", AF_UNIX, SOCK_STREAM);
	try_socket(&run, "AF_NETLINK socket", AF_NETLINK, SOCK_RAW);
	try_socket(&run, "AF_PACKET socket", AF_PACKET, SOCK_RAW);
	r = socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp);
	outcome(&run, "socketpair", r, errno);
	if (r == 0) {
		close(sp[0]);
		close(sp[1]);
	}
	r = unshare(CLONE_NEWUSER);
	outcome(&run, "unshare a user namespace", r, errno);
	log_warn("sandbox probe: %d of %d refused", run.refused, run.tried);
	return run.tried - run.refused;
}

int sandbox_probe_env(void)
{
	const char *env = getenv("NSBYPASS_TEST_SANDBOX_PROBE");
	struct sandbox_probe p = { .fd = -1 };
	_cleanup_free_ char *copy = NULL;
	char *save = NULL;
	int v;

	if (!env)
		return 0;
	copy = strdup(env);
	if (!copy)
		return -ENOMEM;
	for (char *kv = strtok_r(copy, ",", &save); kv;
	     kv = strtok_r(NULL, ",", &save)) {
		if (strncmp(kv, "file=", 5) == 0)
			p.file = kv + 5;
		else if (strncmp(kv, "fd=", 3) == 0 &&
			 parse_int(kv + 3, 0, 1 << 20, &v) == 0)
			p.fd = v;
		else if (strncmp(kv, "pid=", 4) == 0 &&
			 parse_int(kv + 4, 1, 1 << 30, &v) == 0)
			p.pid = v;
		else
			return log_errno(-EINVAL,
					 "NSBYPASS_TEST_SANDBOX_PROBE: "
					 "bad item '%s'",
					 kv);
	}
	return sandbox_probe(&p);
}
#endif
