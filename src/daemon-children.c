// SPDX-License-Identifier: Apache-2.0
/*
 * daemon-children.c - the `nsbypass oci` processes of `nsbypass daemon`.
 *
 * Each child has three handles on the loop: its uv_process_t (libuv
 * reaps it and calls on_child_exit), a uv_poll_t on the read end of its ready
 * pipe while it starts, and one uv_timer_t, for the ready timeout and
 * then for the SIGKILL after a SIGTERM that was not obeyed.  The child
 * leaves the list when it is reaped; its memory goes when the last of
 * its handles is closed.
 *
 * As bypass4netnsd does (pkg/bypass4netnsd/bypass4netnsd.go), a child is
 * told to write its ready byte to fd 3, the write end of a pipe; the
 * daemon keeps only the read end, so EOF there means the child is gone
 * or closed it without a word.  Unlike bypass4netnsd, the wait is
 * bounded, never blocks other requests, and a child that dies later is
 * noticed and dropped from the list.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "daemon-children.h"
#include "daemon-state.h"
#include "log.h"
#include "pid-file.h"
#include "util.h"

/* After EOF on the ready pipe, how long to wait for the exit status. */
#define DAEMON_READY_EOF_GRACE_MS 500

enum child_state {
	CHILD_STARTING,
	CHILD_RUNNING,
	CHILD_STOPPING,
	CHILD_STATE_MAX,
};

struct child {
	struct child *prev, *next; /* in the list while not reaped */
	struct daemon_children *set;
	struct daemon_spec *spec;
	enum child_state state;
	pid_t pid;
	uv_process_t proc;
	/* A child of the daemon before us (daemon-state.h): not ours to
	 * reap; its end is its pidfd becoming readable. */
	bool adopted;
	int pidfd;
	uv_poll_t exited;
	uv_poll_t ready;
	uv_timer_t timer;
	int ready_fd;	/* read end, until ready is closed */
	bool polling;	/* ready is open */
	bool spawned;	/* there is a process */
	bool was_ready; /* it listened on socketPath */
	bool reaped;
	int open_handles;
	daemon_reply_cb cb; /* the request that waits, or NULL */
	void *opaque;
};

struct daemon_children {
	uv_loop_t *loop;
	char *exe;
	int state_fd; /* daemon-state.h; -1: none */
	struct child *head;
	size_t n;
	bool shutting_down;
	void (*done)(void *opaque);
	void *done_opaque;
	char *const *extra; /* daemon_children_set_extra_args() */
	size_t n_extra;
};

struct daemon_children *daemon_children_new(uv_loop_t *loop, const char *exe)
{
	struct daemon_children *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->loop = loop;
	c->state_fd = -1;
	c->exe = strdup(exe);
	if (!c->exe) {
		free(c);
		return NULL;
	}
	return c;
}

struct daemon_children *daemon_children_free(struct daemon_children *c)
{
	if (c) {
		ASSERT(!c->head);
		closep(&c->state_fd);
		free(c->exe);
		free(c);
	}
	return NULL;
}

void daemon_children_set_extra_args(struct daemon_children *c,
				    char *const *args, size_t n)
{
	c->extra = args;
	c->n_extra = n;
}

/* @argv (NULL-terminated, freed) with @c's extra arguments after it. */
static char **with_extra(const struct daemon_children *c, char **argv)
{
	size_t n = 0;
	char **all;

	if (!argv || !c->n_extra)
		return argv;
	while (argv[n])
		n++;
	all = calloc(n + c->n_extra + 1, sizeof(*all));
	if (all) {
		memcpy(all, argv, n * sizeof(*all));
		memcpy(all + n, c->extra, c->n_extra * sizeof(*all));
	}
	free(argv);
	return all;
}

void daemon_children_set_state(struct daemon_children *c, int dirfd)
{
	closep(&c->state_fd);
	c->state_fd = dirfd;
}

/* Send @sig to the child, ours or adopted. */
static void child_kill(struct child *ch, int sig)
{
	if (ch->adopted)
		syscall(SYS_pidfd_send_signal, ch->pidfd, sig, NULL, 0);
	else
		uv_process_kill(&ch->proc, sig);
}

/* The first 12 characters of an id, as bypass4netnsd logs it. */
static const char *short_id(const struct child *ch)
{
	static char buf[13];

	snprintf(buf, sizeof(buf), "%s", ch->spec->id);
	return buf;
}

/* Answer the waiting request, if any: @body is taken. */
static void reply(struct child *ch, unsigned int status, char *body)
{
	daemon_reply_cb cb = ch->cb;

	ch->cb = NULL;
	if (cb)
		cb(ch->opaque, status, body);
	else
		free(body);
}

static void reply_error(struct child *ch, unsigned int status, const char *msg)
{
	reply(ch, status, daemon_error_json(msg));
}

static void on_handle_closed(uv_handle_t *h)
{
	struct child *ch = h->data;

	if (--ch->open_handles > 0)
		return;
	closep(&ch->pidfd);
	daemon_spec_free(ch->spec);
	free(ch);
}

static void close_handle(struct child *ch, uv_handle_t *h)
{
	h->data = ch;
	uv_close(h, on_handle_closed);
}

static void on_ready_closed(uv_handle_t *h)
{
	struct child *ch = h->data;

	closep(&ch->ready_fd);
	on_handle_closed(h);
}

static void stop_ready(struct child *ch)
{
	if (!ch->polling)
		return;
	ch->polling = false;
	uv_poll_stop(&ch->ready);
	ch->ready.data = ch;
	uv_close((uv_handle_t *)&ch->ready, on_ready_closed);
}

static void on_kill_timeout(uv_timer_t *t)
{
	struct child *ch = container_of(t, struct child, timer);

	log_warn("daemon: bypass %s: pid %d did not exit on SIGTERM, "
		 "killing it",
		 short_id(ch), ch->pid);
	child_kill(ch, SIGKILL);
}

/* Ask the child to exit: SIGTERM, and SIGKILL if it does not. */
static void terminate(struct child *ch, int sig)
{
	ch->state = CHILD_STOPPING;
	if (ch->reaped)
		return;
	child_kill(ch, sig);
	if (sig != SIGKILL)
		uv_timer_start(&ch->timer, on_kill_timeout,
			       DAEMON_STOP_TIMEOUT_MS, 0);
	else
		uv_timer_stop(&ch->timer);
}

/* The child did not get ready: the POST fails with 500. */
static void fail_start(struct child *ch, const char *why)
{
	char msg[256];

	stop_ready(ch);
	log_warn("daemon: bypass %s: nsbypass oci (pid %d) %s", short_id(ch),
		 ch->pid, why);
	snprintf(msg, sizeof(msg), "nsbypass oci %s%s%s%s", why,
		 ch->spec->log_file ? " (see its log file " : "",
		 ch->spec->log_file ? ch->spec->log_file : "",
		 ch->spec->log_file ? ")" : "");
	reply_error(ch, 500, msg);
	terminate(ch, SIGKILL);
}

static void on_ready_timeout(uv_timer_t *t)
{
	struct child *ch = container_of(t, struct child, timer);
	char why[64];

	snprintf(why, sizeof(why), "was not ready within %d ms",
		 DAEMON_READY_TIMEOUT_MS);
	fail_start(ch, why);
}

static void on_ready_eof_timeout(uv_timer_t *t)
{
	struct child *ch = container_of(t, struct child, timer);

	fail_start(ch, "closed its ready fd without writing to it");
}

/* The running bypass on disk, for a daemon after us. */
static void save_state(struct child *ch)
{
	int r;

	if (ch->set->state_fd < 0)
		return;
	r = daemon_state_save(ch->set->state_fd, ch->spec, ch->pid);
	if (r < 0)
		log_warn_errno(r,
			       "daemon: bypass %s: not kept for a daemon "
			       "after this one",
			       short_id(ch));
}

static void on_ready(uv_poll_t *p, int status, int events)
{
	struct child *ch = container_of(p, struct child, ready);
	char buf[16];
	ssize_t n;

	n = read(ch->ready_fd, buf, sizeof(buf));
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		/* Most likely it is exiting: give on_child_exit() a moment
		 * to tell how. */
		stop_ready(ch);
		uv_timer_start(&ch->timer, on_ready_eof_timeout,
			       DAEMON_READY_EOF_GRACE_MS, 0);
		return;
	}
	stop_ready(ch);
	uv_timer_stop(&ch->timer);
	ch->state = CHILD_RUNNING;
	ch->was_ready = true;
	log_info("daemon: bypass %s: nsbypass oci (pid %d) listens on %s",
		 short_id(ch), ch->pid, ch->spec->socket_path);
	save_state(ch);
	reply(ch, 201, daemon_json_text(daemon_status_json(ch->spec, ch->pid)));
}

/*
 * What a child that died without its cleanup (SIGKILL) left: its socket,
 * if it ever listened there (one that never did may have failed because
 * another process listens there) and a socket is there, and its pid
 * file, if it holds its pid.
 */
static void remove_leftovers(struct child *ch)
{
	struct stat st;

	if (ch->was_ready && lstat(ch->spec->socket_path, &st) == 0 &&
	    S_ISSOCK(st.st_mode))
		unlink(ch->spec->socket_path);
	if (ch->spec->pid_file)
		pid_file_remove(ch->spec->pid_file, ch->pid);
}

static void unlink_child(struct child *ch)
{
	struct daemon_children *c = ch->set;

	if (ch->prev)
		ch->prev->next = ch->next;
	else
		c->head = ch->next;
	if (ch->next)
		ch->next->prev = ch->prev;
	ch->prev = ch->next = NULL;
	c->n--;
}

/* The child is gone, as @why says. */
static void child_exited(struct child *ch, const char *why)
{
	struct daemon_children *c = ch->set;

	ch->reaped = true;
	/* Its bypass is over, unless the daemon stops: the next one
	 * starts it again. */
	if (c->state_fd >= 0 && !c->shutting_down)
		daemon_state_remove(c->state_fd, ch->spec->id);
	switch (ch->state) {
	case CHILD_STARTING:
		fail_start(ch, why);
		break;
	case CHILD_RUNNING:
		log_warn("daemon: bypass %s: nsbypass oci (pid %d) %s, "
			 "removed",
			 short_id(ch), ch->pid, why);
		break;
	case CHILD_STOPPING:
		log_info("daemon: bypass %s: nsbypass oci (pid %d) %s",
			 short_id(ch), ch->pid, why);
		reply(ch, 200, NULL);
		break;
	default:
		ASSERT(false);
	}
	remove_leftovers(ch);
	stop_ready(ch);
	uv_timer_stop(&ch->timer);
	unlink_child(ch);
	close_handle(ch, (uv_handle_t *)&ch->timer);
	if (ch->adopted) {
		uv_poll_stop(&ch->exited);
		close_handle(ch, (uv_handle_t *)&ch->exited);
	} else {
		close_handle(ch, (uv_handle_t *)&ch->proc);
	}
	if (c->shutting_down && !c->head && c->done) {
		void (*done)(void *) = c->done;

		c->done = NULL;
		done(c->done_opaque);
	}
}

static void on_child_exit(uv_process_t *p, int64_t exit_status, int term_signal)
{
	struct child *ch = container_of(p, struct child, proc);
	char why[64];

	if (term_signal)
		snprintf(why, sizeof(why), "was killed by signal %d",
			 term_signal);
	else
		snprintf(why, sizeof(why), "exited with status %d",
			 (int)exit_status);
	child_exited(ch, why);
}

/* An adopted child ended (its pidfd is readable): not ours, no status. */
static void on_adopted_exit(uv_poll_t *p, int status, int events)
{
	struct child *ch = container_of(p, struct child, exited);

	(void)status;
	(void)events;
	child_exited(ch, "ended");
}

/*
 * Start the child with the ready pipe as its fd 3.  Sets ch->spawned
 * when there is a process (to wait for) whatever the result.
 */
static int spawn(struct daemon_children *c, struct child *ch)
{
	_cleanup_free_ char **argv =
		with_extra(c, daemon_spec_oci_argv(ch->spec, "nsbypass"));
	_cleanup_close_ int wfd = -1;
	uv_process_options_t opts = { 0 };
	uv_stdio_container_t stdio[4];
	int fds[2], r;

	if (!argv)
		return -ENOMEM;
	if (pipe2(fds, O_CLOEXEC) < 0)
		return -errno;
	ch->ready_fd = fds[0];
	wfd = fds[1];
	/* No input; output and errors where ours go, until --log-file
	 * takes over; the ready pipe as fd 3. */
	stdio[0].flags = UV_IGNORE;
	stdio[1].flags = UV_INHERIT_FD;
	stdio[1].data.fd = STDOUT_FILENO;
	stdio[2].flags = UV_INHERIT_FD;
	stdio[2].data.fd = STDERR_FILENO;
	stdio[3].flags = UV_INHERIT_FD;
	stdio[3].data.fd = wfd;
	opts.file = c->exe;
	opts.args = argv;
	opts.stdio = stdio;
	opts.stdio_count = ARRAY_SIZE(stdio);
	opts.exit_cb = on_child_exit;
	/* The handle is initialised even when the spawn fails. */
	r = uv_spawn(c->loop, &ch->proc, &opts);
	ch->open_handles++;
	if (r < 0)
		return r;
	ch->spawned = true;
	ch->pid = ch->proc.pid;
	r = uv_poll_init(c->loop, &ch->ready, ch->ready_fd);
	if (r < 0)
		return r;
	ch->open_handles++;
	ch->polling = true;
	r = uv_poll_start(&ch->ready, UV_READABLE | UV_DISCONNECT, on_ready);
	if (r < 0)
		stop_ready(ch); /* the handle goes, then ready_fd */
	return r;
}

/* Link @ch into the set's list (the newest first). */
static void link_child(struct daemon_children *c, struct child *ch)
{
	ch->next = c->head;
	if (c->head)
		c->head->prev = ch;
	c->head = ch;
	c->n++;
}

static struct child *find(struct daemon_children *c, const char *id,
			  const char *socket_path)
{
	for (struct child *ch = c->head; ch; ch = ch->next)
		if ((id && strcmp(ch->spec->id, id) == 0) ||
		    (socket_path &&
		     strcmp(ch->spec->socket_path, socket_path) == 0))
			return ch;
	return NULL;
}

int daemon_children_create(struct daemon_children *c, struct daemon_spec *spec,
			   daemon_reply_cb cb, void *opaque)
{
	struct child *ch;
	int r;

	if (c->shutting_down)
		r = -ESHUTDOWN;
	else if (c->n >= DAEMON_CHILDREN_MAX)
		r = -ENOSPC;
	else if (find(c, spec->id, NULL))
		r = -EEXIST;
	else if (find(c, NULL, spec->socket_path))
		r = -EADDRINUSE;
	else
		r = 0;
	ch = r == 0 ? calloc(1, sizeof(*ch)) : NULL;
	if (!ch) {
		daemon_spec_free(spec);
		return r < 0 ? r : -ENOMEM;
	}
	ch->set = c;
	ch->spec = spec;
	ch->ready_fd = -1;
	ch->pidfd = -1;
	ch->state = CHILD_STARTING;
	uv_timer_init(c->loop, &ch->timer);
	ch->open_handles = 1;
	r = spawn(c, ch);
	if (r < 0 && !ch->spawned) {
		/* No process, no exit to wait for. */
		closep(&ch->ready_fd);
		close_handle(ch, (uv_handle_t *)&ch->timer);
		if (ch->open_handles > 1)
			close_handle(ch, (uv_handle_t *)&ch->proc);
		return log_warn_errno(r, "daemon: cannot start nsbypass oci");
	}
	link_child(c, ch);
	if (r < 0) {
		/* Its ready byte could not be seen: on_child_exit cleans up. */
		closep(&ch->ready_fd);
		terminate(ch, SIGKILL);
		return log_warn_errno(r, "daemon: cannot watch nsbypass oci");
	}
	ch->cb = cb;
	ch->opaque = opaque;
	uv_timer_start(&ch->timer, on_ready_timeout, DAEMON_READY_TIMEOUT_MS,
		       0);
	log_info("daemon: bypass %s: started nsbypass oci, pid %d",
		 short_id(ch), ch->pid);
	return 0;
}

/* Take on @spec's child @pid, which a daemon before us started and which
 * still runs; false if it cannot be watched (then it is started anew). */
static bool adopt(struct daemon_children *c, struct daemon_spec *spec,
		  pid_t pid)
{
	struct child *ch;
	int fd;

	fd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (fd < 0)
		return false;
	ch = calloc(1, sizeof(*ch));
	if (!ch || uv_poll_init(c->loop, &ch->exited, fd) < 0) {
		free(ch);
		close(fd);
		return false;
	}
	ch->set = c;
	ch->spec = spec;
	ch->ready_fd = -1;
	ch->pidfd = fd;
	ch->pid = pid;
	ch->adopted = true;
	ch->spawned = true;
	ch->was_ready = true;
	ch->state = CHILD_RUNNING;
	uv_timer_init(c->loop, &ch->timer);
	ch->open_handles = 2; /* the timer and the pidfd's poll */
	link_child(c, ch);
	uv_poll_start(&ch->exited, UV_READABLE, on_adopted_exit);
	log_info("daemon: bypass %s: nsbypass oci (pid %d) adopted, on %s",
		 short_id(ch), (int)pid, spec->socket_path);
	return true;
}

/* implements daemon_state_cb */
static void restore_one(void *opaque, struct daemon_spec *spec, pid_t pid,
			bool alive)
{
	struct daemon_children *c = opaque;
	char id[13];
	int r;

	snprintf(id, sizeof(id), "%s", spec->id);
	if (find(c, spec->id, spec->socket_path)) {
		daemon_spec_free(spec);
		return;
	}
	if (alive && adopt(c, spec, pid))
		return;
	log_info("daemon: bypass %s: its nsbypass oci (pid %d) is gone: "
		 "started again",
		 id, (int)pid);
	r = daemon_children_create(c, spec, NULL, NULL);
	if (r < 0) {
		log_warn_errno(r, "daemon: bypass %s: not started again", id);
		daemon_state_remove(c->state_fd, id);
	}
}

int daemon_children_restore(struct daemon_children *c)
{
	int r;

	if (c->state_fd < 0)
		return 0;
	r = daemon_state_load(c->state_fd, restore_one, c);
	if (r < 0)
		log_warn_errno(r, "daemon: the bypasses of the daemon before "
				  "this one cannot be read");
	return r;
}

int daemon_children_delete(struct daemon_children *c, const char *id,
			   daemon_reply_cb cb, void *opaque)
{
	struct child *ch = find(c, id, NULL);

	if (!ch || ch->state != CHILD_RUNNING)
		return -ENOENT;
	ch->cb = cb;
	ch->opaque = opaque;
	log_info("daemon: bypass %s: stopping pid %d", short_id(ch), ch->pid);
	terminate(ch, SIGTERM);
	return 0;
}

char *daemon_children_list(struct daemon_children *c)
{
	json_object *arr = json_object_new_array();
	struct child *ch = c->head;

	if (!arr)
		return NULL;
	/* Oldest first: the list has the newest at its head. */
	while (ch && ch->next)
		ch = ch->next;
	for (; ch; ch = ch->prev) {
		json_object *o;

		if (ch->state != CHILD_RUNNING)
			continue;
		o = daemon_status_json(ch->spec, ch->pid);
		if (!o || json_object_array_add(arr, o) < 0) {
			json_object_put(o);
			json_object_put(arr);
			return NULL;
		}
	}
	return daemon_json_text(arr);
}

void daemon_children_shutdown(struct daemon_children *c,
			      void (*done)(void *opaque), void *opaque)
{
	c->shutting_down = true;
	c->done = done;
	c->done_opaque = opaque;
	for (struct child *ch = c->head; ch; ch = ch->next) {
		if (ch->state == CHILD_STARTING) {
			stop_ready(ch);
			reply_error(ch, 503, "the daemon is shutting down");
		}
		if (ch->state != CHILD_STOPPING)
			terminate(ch, SIGTERM);
	}
	if (!c->head) {
		c->done = NULL;
		done(opaque);
	}
}
