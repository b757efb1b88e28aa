// SPDX-License-Identifier: Apache-2.0
/*
 * oci-reattach.c - ask a new daemon to adopt the agent (oci-reattach.h).
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"
#include "oci-reattach.h"
#include "test-hooks.h"
#include "util.h"

int oci_reattach_send(const char *path, const char *text, const int fds[3],
		      pid_t *ret_daemon)
{
	struct ucred cred;
	socklen_t clen = sizeof(cred);
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char cbuf[CMSG_SPACE(3 * sizeof(int))];
	size_t len = strlen(text), off;
	_cleanup_close_ int s = -1;
	struct iovec iov;
	struct msghdr msg = { 0 };
	struct cmsghdr *cm;
	ssize_t n;

	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	/* A unix connect either completes or fails at once; the daemon's
	 * backlog full is EAGAIN. */
	if (connect(s, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
	    getsockopt(s, SOL_SOCKET, SO_PEERCRED, &cred, &clen) < 0)
		return -errno;
	*ret_daemon = cred.pid;
	/* The fds with the first bytes, as runc sends them. */
	iov.iov_base = (void *)text;
	iov.iov_len = len;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cbuf;
	msg.msg_controllen = sizeof(cbuf);
	memset(cbuf, 0, sizeof(cbuf));
	cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(3 * sizeof(int));
	memcpy(CMSG_DATA(cm), fds, 3 * sizeof(int));
	n = sendmsg(s, &msg, MSG_NOSIGNAL);
	if (n < 0)
		return -errno;
	for (off = (size_t)n; off < len; off += (size_t)n) {
		n = send(s, text + off, len - off, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR) {
			n = 0;
			continue;
		}
		if (n <= 0)
			return n < 0 ? -errno : -EPIPE;
	}
	/* The daemon reads to EOF. */
	if (shutdown(s, SHUT_WR) < 0)
		return -errno;
	return 0;
}

/* One try; true once a daemon has the request. */
static bool try_once(struct oci_reattach *r)
{
	_cleanup_free_ char *text = NULL;
	int sp[2], fds[3], e;
	pid_t daemon = 0;

	if (oci_state_format_adopt(r->st, r->container_pid, getpid(), &text) <
	    0)
		return false;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
		return false;
	fds[0] = r->notify_fd;
	fds[1] = r->shm_fd;
	fds[2] = sp[1];
	e = oci_reattach_send(r->listen_path, text, fds, &daemon);
	close(sp[1]);
	if (e < 0) {
		close(sp[0]);
		/* No daemon yet: normal, said once. */
		if (!r->warned)
			log_info("no daemon at %s (%s): serving on, trying "
				 "again",
				 r->listen_path, strerror(-e));
		r->warned = true;
		return false;
	}
	log_info("asked the daemon at %s (pid %d) to adopt this agent",
		 r->listen_path, (int)daemon);
	test_hook_pause("NSBYPASS_TEST_ATTACH_PAUSE_MS");
	r->on_attached(r, sp[0]);
	oci_reattach_watch(r, daemon);
	return true;
}

static void on_timer(uv_timer_t *t)
{
	struct oci_reattach *r = container_of(t, struct oci_reattach, timer);

	if (try_once(r))
		return;
	r->delay_ms = MIN(r->delay_ms * 2, (unsigned int)OCI_REATTACH_MAX_MS);
	uv_timer_start(&r->timer, on_timer, r->delay_ms, 0);
}

/* Start trying, a little later (a daemon that restarts needs a moment to
 * listen, and the old one's agents should not all come at once). */
static void start_trying(struct oci_reattach *r)
{
	if (!r->timer_made) {
		uv_timer_init(r->loop, &r->timer);
		/* The container's end, not this, ends the loop. */
		uv_unref((uv_handle_t *)&r->timer);
		r->timer_made = true;
	}
	r->warned = false;
	r->delay_ms = OCI_REATTACH_MS;
	uv_timer_start(&r->timer, on_timer,
		       OCI_REATTACH_MS / 2 + (unsigned int)getpid() % 250, 0);
}

static void unwatch(struct oci_reattach *r)
{
	if (r->poll_made) {
		r->poll_made = false;
		uv_poll_stop(&r->daemon_poll);
		/* uv_close() takes the fd out of the loop at once. */
		uv_close((uv_handle_t *)&r->daemon_poll, NULL);
	}
	closep(&r->daemon_pidfd);
}

static void daemon_gone(struct oci_reattach *r)
{
	log_info("the daemon ended: serving on, and looking for a new one "
		 "at %s",
		 r->listen_path);
	start_trying(r);
}

static void on_daemon_end(uv_poll_t *h, int status, int events)
{
	struct oci_reattach *r = container_of(h, struct oci_reattach,
					      daemon_poll);

	(void)status;
	(void)events;
	unwatch(r);
	daemon_gone(r);
}

void oci_reattach_watch(struct oci_reattach *r, pid_t pid)
{
	if (!r->listen_path || !r->st || r->notify_fd < 0 || r->shm_fd < 0)
		return;
	unwatch(r);
	r->daemon_pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (r->daemon_pidfd < 0 && errno == ESRCH) {
		/* Gone already: look for the next one now. */
		daemon_gone(r);
		return;
	}
	if (r->daemon_pidfd < 0 ||
	    uv_poll_init(r->loop, &r->daemon_poll, r->daemon_pidfd) < 0) {
		log_warn("cannot watch the daemon (pid %d): no new daemon "
			 "will adopt this agent",
			 (int)pid);
		closep(&r->daemon_pidfd);
		return;
	}
	r->poll_made = true;
	uv_unref((uv_handle_t *)&r->daemon_poll);
	uv_poll_start(&r->daemon_poll, UV_READABLE, on_daemon_end);
}

/* Has the watched daemon ended (its pidfd readable)? */
static bool daemon_ended(const struct oci_reattach *r)
{
	struct pollfd p = { .fd = r->daemon_pidfd, .events = POLLIN };

	return r->daemon_pidfd >= 0 && poll(&p, 1, 0) == 1;
}

void oci_reattach_refused(struct oci_reattach *r)
{
	if (!r->listen_path || daemon_ended(r) ||
	    (r->timer_made && uv_is_active((uv_handle_t *)&r->timer)))
		return; /* on_daemon_end() or the tries under way */
	/* Also what a daemon that is exiting looks like for a moment (its
	 * sockets close before its pidfd says it ended): the tries go as
	 * after its end, and a daemon that keeps refusing gets one every
	 * OCI_REATTACH_MAX_MS. */
	log_info("the daemon dropped this agent's channel: asking again");
	unwatch(r);
	start_trying(r);
}

void oci_reattach_stop(struct oci_reattach *r)
{
	unwatch(r);
	if (!r->timer_made)
		return;
	r->timer_made = false;
	uv_timer_stop(&r->timer);
	uv_close((uv_handle_t *)&r->timer, NULL);
}
