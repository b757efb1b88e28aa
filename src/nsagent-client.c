// SPDX-License-Identifier: Apache-2.0
/*
 * nsagent-client.c - the agent's end of the nsagent report socket.
 *
 * The socket is SOCK_SEQPACKET: one message is one report, a full snapshot
 * of the namespace's subnets ("subnets ...") or of its own addresses
 * ("addrs ...", sent just after the subnets, for the service map).  A malformed or oversized report is logged
 * and ignored (the previous list stays).  When nsagent exits the socket
 * hangs up: the agent logs it and keeps the last list it had.  Bypass
 * and the fallback network go on (the tap fd is the agent's, nsagent
 * kept no copy); only subnet changes inside are no longer seen.
 *
 * With the fallback network, nsagent's first message is "tap NAME\n" with
 * the tap fd attached (SCM_RIGHTS); it goes to the on_tap callback.
 * nsagent runs where the container can reach it, so whatever it sends is
 * hostile input: messages are received with MSG_CMSG_CLOEXEC into a
 * control buffer large enough for the kernel's limit of fds per message,
 * every fd that arrives is either handed on exactly once or closed, and a
 * tap fd is handed on only after fstat() and TUNGETIFF show that it is a
 * tun file attached to a tap device of the announced name.
 */
#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "nsagent-client.h"
#include "util.h"

#define REPORT_WORD "subnets"
#define ADDRS_WORD "addrs"
#define TAP_WORD "tap "
/* The kernel passes at most SCM_MAX_FD (253) fds in one message. */
#define NSAGENT_FDS_MAX 253
/* /dev/net/tun is the misc device 10:200 (MISC_MAJOR, TUN_MINOR). */
#define TUN_DEV_MAJOR 10
#define TUN_DEV_MINOR 200

static_assert(NSAGENT_TAP_NAME_SIZE == IFNAMSIZ, "tap name size");

/* Parse one word of a report into slot @i of @out. */
typedef int (*parse_word_fn)(const char *word, void *out, size_t i);

/*
 * Split "@keyword WORD WORD ...[\n]" and parse each WORD with @fn into
 * @out, at most @max of them.  Return: 0, -EINVAL or -ENOSPC.
 */
static int parse_words(const char *msg, size_t len, const char *keyword,
		       parse_word_fn fn, void *out, size_t max, size_t *ret_n)
{
	size_t n = 0, wlen = strlen(keyword);
	const char *p, *end = msg + len;

	if (len < wlen || memcmp(msg, keyword, wlen) != 0)
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
		if (fn(tok, out, n) < 0)
			return -EINVAL;
		n++;
		p = q;
	}
	*ret_n = n;
	return 0;
}

static int parse_cidr(const char *word, void *out, size_t i)
{
	return cidr_parse(word, (struct cidr *)out + i);
}

/* A whole address, no prefix; v4-mapped becomes IPv4. */
static int parse_addr(const char *word, void *out, size_t i)
{
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };
	struct service_addr *a = (struct service_addr *)out + i;

	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, word, a->a) == 1) {
		a->family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, word, a->a) != 1)
		return -EINVAL;
	a->family = AF_INET6;
	if (memcmp(a->a, mapped, sizeof(mapped)) == 0) {
		memmove(a->a, a->a + 12, 4);
		memset(a->a + 4, 0, 12);
		a->family = AF_INET;
	}
	return 0;
}

int nsagent_parse_report(const char *msg, size_t len, struct cidr *ret,
			 size_t max, size_t *ret_n)
{
	return parse_words(msg, len, REPORT_WORD, parse_cidr, ret, max, ret_n);
}

int nsagent_parse_addrs(const char *msg, size_t len, struct service_addr *ret,
			size_t max, size_t *ret_n)
{
	return parse_words(msg, len, ADDRS_WORD, parse_addr, ret, max, ret_n);
}

int nsagent_parse_tap(const char *msg, size_t len, char *ret_name)
{
	size_t wlen = strlen(TAP_WORD), nlen;
	const char *name = msg + wlen;

	if (len < wlen + 2 || memcmp(msg, TAP_WORD, wlen) != 0 ||
	    msg[len - 1] != '\n')
		return -EINVAL;
	nlen = len - wlen - 1;
	if (nlen >= NSAGENT_TAP_NAME_SIZE)
		return -EINVAL;
	/* Also rejects NUL and a second line. */
	for (size_t i = 0; i < nlen; i++) {
		unsigned char ch = (unsigned char)name[i];

		if (ch <= ' ' || ch >= 0x7f || ch == '/' || ch == ':')
			return -EINVAL;
	}
	if (name[0] == '.' && (nlen == 1 || (nlen == 2 && name[1] == '.')))
		return -EINVAL;
	memcpy(ret_name, name, nlen);
	ret_name[nlen] = '\0';
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

/* @path if it is executable, with a debug line naming it; else NULL. */
static char *nsagent_found(const char *path, const char *where)
{
	if (access(path, X_OK) != 0)
		return NULL;
	log_debug("nsbypass-nsagent: %s (%s)", path, where);
	return strdup(path);
}

char *nsagent_find(void)
{
	_cleanup_free_ char *dir = exe_dir();
	const char *env = getenv("NSBYPASS_NSAGENT");
	/* Side by side (a copy of both), or in the build tree. */
	const char *subdirs[] = { "", "/../nsagent" };
	char path[PATH_MAX];

	if (env && *env)
		return nsagent_found(env, "$NSBYPASS_NSAGENT");
	for (size_t i = 0; dir && i < ARRAY_SIZE(subdirs); i++) {
		char *found;

		snprintf(path, sizeof(path), "%s%s/%s", dir, subdirs[i],
			 NB_NSAGENT_NAME);
		found = nsagent_found(path, i == 0 ? "next to nsbypass" :
						     "the build tree");
		if (found)
			return found;
	}
	/* Installed: the compiled-in PREFIX/LIBEXECDIR/nsbypass. */
	snprintf(path, sizeof(path), "%s/%s", NB_PKGLIBEXECDIR,
		 NB_NSAGENT_NAME);
	return nsagent_found(path, "installed");
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

/* An "addrs" report: to on_addrs, or nowhere without one. */
static void apply_addrs(struct nsagent_client *c, size_t len)
{
	struct service_addr *list;
	size_t n = 0;
	int r;

	c->addr_reports++;
	if (!c->on_addrs)
		return;
	list = calloc(NSAGENT_ADDRS_MAX, sizeof(*list));
	if (!list)
		return;
	r = nsagent_parse_addrs(c->buf, len, list, NSAGENT_ADDRS_MAX, &n);
	if (r < 0)
		log_warn_errno(r, "bad address report from nsagent, ignoring");
	else
		c->on_addrs(c, list, n);
	free(list);
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
	else if (!c->policy)
		; /* the agent reads the subnets itself (agent_watch_netns()) */
	else if (policy_set_subnets(c->policy, list, n) == 0)
		log_debug("nsagent: %zu container subnets", n);
	c->reports++;
	free(list);
}

/* Does @msg start with the word @word (then a blank, newline or end)? */
static bool is_word(const char *msg, size_t len, const char *word)
{
	size_t wlen = strlen(word);

	return len >= wlen && memcmp(msg, word, wlen) == 0 &&
	       (len == wlen || msg[wlen] == ' ' || msg[wlen] == '\n');
}

/* Is @fd a tun file attached to the tap device @name? */
static bool is_tap(int fd, const char *name)
{
	struct ifreq ifr;
	struct stat st;

	if (fstat(fd, &st) < 0 || !S_ISCHR(st.st_mode) ||
	    st.st_rdev != makedev(TUN_DEV_MAJOR, TUN_DEV_MINOR))
		return false;
	memset(&ifr, 0, sizeof(ifr));
	if (ioctl(fd, TUNGETIFF, &ifr) < 0)
		return false;
	if ((ifr.ifr_flags & (IFF_TUN | IFF_TAP)) != IFF_TAP ||
	    !(ifr.ifr_flags & IFF_NO_PI))
		return false;
	return strncmp(ifr.ifr_name, name, IFNAMSIZ) == 0;
}

/* Copy out the fds of every SCM_RIGHTS header of @msg, at most @max. */
static size_t collect_fds(struct msghdr *msg, int *fds, size_t max)
{
	size_t n = 0;

	for (struct cmsghdr *cm = CMSG_FIRSTHDR(msg); cm;
	     cm = CMSG_NXTHDR(msg, cm)) {
		size_t k;

		if (cm->cmsg_level != SOL_SOCKET ||
		    cm->cmsg_type != SCM_RIGHTS || cm->cmsg_len < CMSG_LEN(0))
			continue;
		k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < k && n < max; i++)
			memcpy(&fds[n++], CMSG_DATA(cm) + i * sizeof(int),
			       sizeof(int));
	}
	return n;
}

static void close_fds(const int *fds, size_t n)
{
	for (size_t i = 0; i < n; i++)
		close(fds[i]);
}

/*
 * A message that carried fds: a valid tap message goes to on_tap, and
 * every other fd is closed.  @len is the message's full length.
 */
static void take_fds(struct nsagent_client *c, size_t len, int flags,
		     const int *fds, size_t nfds)
{
	char name[NSAGENT_TAP_NAME_SIZE];

	if (len > NSAGENT_REPORT_MAX || (flags & MSG_CTRUNC) || nfds != 1 ||
	    nsagent_parse_tap(c->buf, len, name) < 0) {
		close_fds(fds, nfds);
		log_warn("nsagent sent %zu fd(s)%s with a message that is not "
			 "a tap message, closed them, ignoring",
			 nfds, flags & MSG_CTRUNC ? " (and more)" : "");
		return;
	}
	if (!is_tap(fds[0], name)) {
		close(fds[0]);
		log_warn("nsagent sent tap %s with an fd that is not that tap, "
			 "ignoring",
			 name);
		return;
	}
	if (!c->on_tap) {
		close(fds[0]);
		log_warn("nsagent sent tap %s but no fallback network wants "
			 "it, closed it, ignoring",
			 name);
		return;
	}
	log_debug("nsagent: tap %s", name);
	c->on_tap(c, fds[0], name);
}

static void on_report(uv_poll_t *h, int status, int events)
{
	struct nsagent_client *c = h->data;
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int) * NSAGENT_FDS_MAX)];
	} control;
	int fds[NSAGENT_FDS_MAX];
	char name[NSAGENT_TAP_NAME_SIZE];
	struct iovec iov;
	struct msghdr msg;
	size_t nfds;
	ssize_t n;

	/* recvmsg() gives 0 for an empty message as for EOF: EOF is the
	 * hang-up event. */
	if (status >= 0 && (events & UV_READABLE)) {
		iov.iov_base = c->buf;
		iov.iov_len = sizeof(c->buf);
		memset(&msg, 0, sizeof(msg));
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		msg.msg_control = control.buf;
		msg.msg_controllen = sizeof(control.buf);
		n = recvmsg(c->fd, &msg, MSG_TRUNC | MSG_CMSG_CLOEXEC);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		nfds = n < 0 ? 0 : collect_fds(&msg, fds, ARRAY_SIZE(fds));
		if (nfds || (n >= 0 && (msg.msg_flags & MSG_CTRUNC))) {
			take_fds(c, (size_t)n, msg.msg_flags, fds, nfds);
			return;
		}
		if (n > NSAGENT_REPORT_MAX) {
			log_warn("oversized report from nsagent, ignoring");
			return;
		}
		if (n > 0 && nsagent_parse_tap(c->buf, (size_t)n, name) == 0) {
			log_warn("tap %s from nsagent without its fd, ignoring",
				 name);
			return;
		}
		if (n > 0 && is_word(c->buf, (size_t)n, ADDRS_WORD)) {
			apply_addrs(c, (size_t)n);
			return;
		}
		if (n > 0) {
			apply(c, (size_t)n);
			return;
		}
		if (n == 0 && !(events & UV_DISCONNECT))
			return;
	}
	log_warn("nsagent exited: container subnets are no longer updated "
		 "(bypass and the fallback network go on)");
	nsagent_client_stop(c);
}

int nsagent_client_start(struct nsagent_client *c, uv_loop_t *loop, int fd,
			 struct policy *policy)
{
	nsagent_tap_cb on_tap = c->on_tap;
	nsagent_addrs_cb on_addrs = c->on_addrs;
	int r;

	memset(c, 0, sizeof(*c));
	c->on_tap = on_tap;
	c->on_addrs = on_addrs;
	c->fd = fd;
	c->policy = policy;
	r = uv_poll_init(loop, &c->poll, fd);
	if (r < 0) {
		close(fd);
		c->fd = -1;
		return r;
	}
	c->poll.data = c;
	r = uv_poll_start(&c->poll, UV_READABLE | UV_DISCONNECT, on_report);
	if (r < 0) {
		/* The handle needs uv_close(): on_closed() closes @fd. */
		c->closing = true;
		uv_close((uv_handle_t *)&c->poll, on_closed);
		return r;
	}
	return 0;
}

int nsagent_recv_tap(int fd, int timeout_ms, int *ret_tap_fd, char *ret_name)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int) * NSAGENT_FDS_MAX)];
	} control;
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int fds[NSAGENT_FDS_MAX];
	char text[NSAGENT_TAP_NAME_SIZE + 8];
	struct iovec iov = { .iov_base = text, .iov_len = sizeof(text) };
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = control.buf,
		.msg_controllen = sizeof(control.buf),
	};
	size_t nfds;
	ssize_t n;
	int r;

	do {
		r = poll(&p, 1, timeout_ms);
	} while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	if (r == 0)
		return -ETIMEDOUT;
	n = recvmsg(fd, &msg, MSG_TRUNC | MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
	if (n < 0)
		return -errno;
	nfds = collect_fds(&msg, fds, ARRAY_SIZE(fds));
	if (n == 0 && nfds == 0)
		return -EPIPE;
	/* MSG_TRUNC: n is the full length, longer than any tap message. */
	if (nfds != 1 || (msg.msg_flags & (MSG_CTRUNC | MSG_TRUNC)) ||
	    nsagent_parse_tap(text, (size_t)n, ret_name) < 0 ||
	    !is_tap(fds[0], ret_name)) {
		close_fds(fds, nfds);
		return -EPROTO;
	}
	*ret_tap_fd = fds[0];
	return 0;
}
