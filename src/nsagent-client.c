// SPDX-License-Identifier: Apache-2.0
/*
 * nsagent-client.c - the agent's end of the nsagent report socket.
 *
 * The socket is SOCK_SEQPACKET: one message is one report, a full snapshot
 * of the namespace's subnets.  A malformed or oversized report is logged
 * and ignored (the previous list stays).  When nsagent exits the socket
 * hangs up: the agent logs it and keeps the last list it had.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "nsagent-client.h"
#include "util.h"

#define REPORT_WORD "subnets"

int nsagent_parse_report(const char *msg, size_t len, struct cidr *ret,
			 size_t max, size_t *ret_n)
{
	size_t n = 0, wlen = strlen(REPORT_WORD);
	const char *p, *end = msg + len;

	if (len < wlen || memcmp(msg, REPORT_WORD, wlen) != 0)
		return -EINVAL;
	p = msg + wlen;
	if (end > p && end[-1] == '\n')
		end--;
	while (p < end) {
		char tok[64];
		const char *q;
		size_t tl;

		if (*p != ' ')
			return -EINVAL;
		while (p < end && *p == ' ')
			p++;
		q = p;
		while (q < end && *q != ' ')
			q++;
		tl = (size_t)(q - p);
		if (tl == 0)
			break;
		if (tl >= sizeof(tok))
			return -EINVAL;
		if (n >= max)
			return -ENOSPC;
		memcpy(tok, p, tl);
		tok[tl] = '\0';
		if (cidr_parse(tok, &ret[n]) < 0)
			return -EINVAL;
		n++;
		p = q;
	}
	*ret_n = n;
	return 0;
}

static char *exe_dir(void)
{
	char buf[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
	char *slash;

	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	slash = strrchr(buf, '/');
	if (!slash)
		return NULL;
	*slash = '\0';
	return strdup(buf);
}

char *nsagent_find(void)
{
	_cleanup_free_ char *dir = exe_dir();
	const char *env = getenv("NSBYPASS_NSAGENT");
	/* Installed side by side, or in the build tree. */
	const char *subdirs[] = { "", "/../nsagent" };
	char path[PATH_MAX];

	if (env && *env)
		return access(env, X_OK) == 0 ? strdup(env) : NULL;
	for (size_t i = 0; dir && i < ARRAY_SIZE(subdirs); i++) {
		snprintf(path, sizeof(path), "%s%s/%s", dir, subdirs[i],
			 NB_NSAGENT_NAME);
		if (access(path, X_OK) == 0)
			return strdup(path);
	}
	snprintf(path, sizeof(path), "%s/%s", NB_LIBEXECDIR, NB_NSAGENT_NAME);
	return access(path, X_OK) == 0 ? strdup(path) : NULL;
}

static void on_closed(uv_handle_t *h)
{
	struct nsagent_client *c = h->data;

	close(c->fd);
	c->fd = -1;
}

void nsagent_client_stop(struct nsagent_client *c)
{
	if (c->closing || c->fd < 0)
		return;
	c->closing = true;
	uv_poll_stop(&c->poll);
	uv_close((uv_handle_t *)&c->poll, on_closed);
}

static void apply(struct nsagent_client *c, size_t len)
{
	struct cidr *list = calloc(POLICY_LIST_MAX, sizeof(*list));
	size_t n = 0;
	int r;

	if (!list)
		return;
	r = nsagent_parse_report(c->buf, len, list, POLICY_LIST_MAX, &n);
	if (r < 0)
		log_warn_errno(r, "bad report from nsagent, ignoring");
	else if (policy_set_subnets(c->policy, list, n) == 0)
		log_debug("nsagent: %zu container subnets", n);
	c->reports++;
	free(list);
}

static void on_report(uv_poll_t *h, int status, int events)
{
	struct nsagent_client *c = h->data;
	ssize_t n;

	/* recv() gives 0 for an empty message as for EOF: EOF is the
	 * hang-up event. */
	if (status >= 0 && (events & UV_READABLE)) {
		n = recv(c->fd, c->buf, sizeof(c->buf), MSG_TRUNC);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n > NSAGENT_REPORT_MAX) {
			log_warn("oversized report from nsagent, ignoring");
			return;
		}
		if (n > 0) {
			apply(c, (size_t)n);
			return;
		}
		if (n == 0 && !(events & UV_DISCONNECT))
			return;
	}
	log_warn("nsagent exited: container subnets are no longer updated");
	nsagent_client_stop(c);
}

int nsagent_client_start(struct nsagent_client *c, uv_loop_t *loop, int fd,
			 struct policy *policy)
{
	int r;

	memset(c, 0, sizeof(*c));
	c->fd = fd;
	c->policy = policy;
	r = uv_poll_init(loop, &c->poll, fd);
	if (r < 0) {
		close(fd);
		c->fd = -1;
		return r;
	}
	c->poll.data = c;
	uv_poll_start(&c->poll, UV_READABLE | UV_DISCONNECT, on_report);
	return 0;
}
