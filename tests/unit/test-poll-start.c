// SPDX-License-Identifier: Apache-2.0
/*
 * test-poll-start.c - a start whose uv_poll_start() fails frees what it
 * made, on the loop: nsagent_client_start(), daemon_http_start() (either
 * of its two polls) and daemon_children_create() (the ready pipe's poll).
 *
 * libuv refuses uv_poll_start() when another handle of the loop watches
 * the fd (UV_EEXIST), which these callers cannot arrange between their
 * own uv_poll_init() and uv_poll_start(): the program is linked with
 * -Wl,--wrap=uv_poll_start, and the wrapper fails the call chosen by
 * fail_at.  Before, the result was ignored: the start said 0 with an fd
 * nobody watched.  The sanitizer build sees a leak or a freed handle.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <uv.h>

#include "daemon-api.h"
#include "daemon-children.h"
#include "daemon-http.h"
#include "nbtest.h"
#include "nsagent-client.h"
#include "policy.h"
#include "util.h"

static unsigned int calls;
static unsigned int fail_at; /* 1-based; 0: never */

int __real_uv_poll_start(uv_poll_t *h, int events, uv_poll_cb cb);
int __wrap_uv_poll_start(uv_poll_t *h, int events, uv_poll_cb cb);

int __wrap_uv_poll_start(uv_poll_t *h, int events, uv_poll_cb cb)
{
	if (++calls == fail_at)
		return UV_EEXIST;
	return __real_uv_poll_start(h, events, cb);
}

/* Fail the @n-th uv_poll_start() from now on. */
static void fail_call(unsigned int n)
{
	fail_at = calls + n;
}

static bool fd_is_open(int fd)
{
	return fcntl(fd, F_GETFD) >= 0;
}

NBTEST(nsagent_client_closes_fd)
{
	struct nsagent_client c = { 0 };
	struct policy p;
	uv_loop_t loop;
	int sv[2];

	policy_init(&p);
	ASSERT_EQ(uv_loop_init(&loop), 0);
	ASSERT_OK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv));
	fail_call(1);
	ASSERT_EQ(nsagent_client_start(&c, &loop, sv[0], &p), UV_EEXIST);
	ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
	ASSERT_TRUE(!fd_is_open(sv[0]));
	ASSERT_EQ(c.fd, -1);
	nsagent_client_stop(&c); /* nothing left to stop */
	ASSERT_EQ(uv_loop_close(&loop), 0);
	close(sv[1]);
}

/* daemon_http_start() with its @n-th poll failing. */
static void http_start_fails(unsigned int n)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct daemon_children *children;
	struct daemon_http *h = NULL;
	char dir[] = "/tmp/test-poll-start.XXXXXX";
	uv_loop_t loop;
	int fd;

	ASSERT_TRUE(mkdtemp(dir) != NULL);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/api.sock", dir);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ASSERT_OK(fd);
	ASSERT_OK(bind(fd, (struct sockaddr *)&sun, sizeof(sun)));
	ASSERT_OK(listen(fd, 4));
	ASSERT_EQ(uv_loop_init(&loop), 0);
	children = daemon_children_new(&loop, "/bin/true");
	ASSERT_TRUE(children != NULL);
	fail_call(n);
	ASSERT_EQ(daemon_http_start(&loop, fd, children, &h), UV_EEXIST);
	ASSERT_TRUE(h == NULL);
	/* MHD, the socket and the server go as the handles close. */
	ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
	ASSERT_TRUE(!fd_is_open(fd));
	ASSERT_EQ(uv_loop_close(&loop), 0);
	daemon_children_free(children);
	unlink(sun.sun_path);
	rmdir(dir);
}

NBTEST(daemon_http_mhd_poll)
{
	http_start_fails(1);
}

NBTEST(daemon_http_listen_poll)
{
	http_start_fails(2);
}

static unsigned int replies;

static void on_reply(void *opaque, unsigned int status, char *body)
{
	replies++;
	free(body);
}

static bool shut_down;

static void on_shut_down(void *opaque)
{
	shut_down = true;
}

/* The child is started, its ready pipe cannot be watched: it is killed,
 * reaped and freed, and the request is refused at once (no callback). */
NBTEST(daemon_children_ready_poll)
{
	static const char body[] =
		"{\"id\":\"c1\",\"socketPath\":\"/tmp/test-poll-start-c1.sock\"}";
	struct daemon_children *children;
	struct daemon_spec *spec;
	char err[128];
	uv_loop_t loop;

	ASSERT_EQ(uv_loop_init(&loop), 0);
	children = daemon_children_new(&loop, "/bin/true");
	ASSERT_TRUE(children != NULL);
	ASSERT_EQ(daemon_spec_parse(body, strlen(body), &spec, err,
				    sizeof(err)),
		  0);
	fail_call(1);
	ASSERT_EQ(daemon_children_create(children, spec, on_reply, NULL),
		  UV_EEXIST);
	daemon_children_shutdown(children, on_shut_down, NULL);
	ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
	ASSERT_TRUE(shut_down);
	ASSERT_EQ(replies, 0);
	ASSERT_EQ(uv_loop_close(&loop), 0);
	daemon_children_free(children);
}

int main(void)
{
	static const struct nbtest tests[] = {
		NBTEST_ENTRY(nsagent_client_closes_fd),
		NBTEST_ENTRY(daemon_http_mhd_poll),
		NBTEST_ENTRY(daemon_http_listen_poll),
		NBTEST_ENTRY(daemon_children_ready_poll),
	};

	return nbtest_run(tests, ARRAY_SIZE(tests));
}
