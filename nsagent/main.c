// SPDX-License-Identifier: Apache-2.0
/*
 * nsbypass-nsagent - the helper that runs inside the container's network
 * namespace, outside the seccomp filter.
 *
 * It reports the namespace's own subnets to the agent, which never
 * bypasses them: once at start and again after every address change
 * (RTNLGRP_IPV4_IFADDR / RTNLGRP_IPV6_IFADDR notifications, no polling).
 * A report is one SEQPACKET message: "subnets CIDR CIDR ...\n", a full
 * snapshot, so a lost or merged event cannot leave the agent with a stale
 * list.  The helper exits when the agent's end of the socket closes.
 *
 * It runs in the container's user namespace, where the container is root
 * and may ptrace it, so it sandboxes itself before anything else (see
 * sandbox()): the container must not be able to use it as an unfiltered
 * process.  The first report is sent after the sandbox is in place, and
 * nsbypass waits for it before it starts the container's command.
 *
 * Usage: nsbypass-nsagent --report-fd N
 */
#include <errno.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/rtnl.h>
#include <poll.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define REPORT_MAX 16384
#define SUBNETS_MAX 256

struct report {
	char buf[REPORT_MAX];
	size_t len;
	unsigned int count;
};

/* Append the network of one address (host bits cleared) to @r. */
static void add_addr(struct nl_object *obj, void *opaque)
{
	struct report *r = opaque;
	struct rtnl_addr *addr = (struct rtnl_addr *)obj;
	struct nl_addr *local = rtnl_addr_get_local(addr);
	struct nl_addr *net;
	char text[128];
	int n;

	if (!local || r->count >= SUBNETS_MAX)
		return;
	net = nl_addr_clone(local);
	if (!net)
		return;
	nl_addr_set_prefixlen(net, rtnl_addr_get_prefixlen(addr));
	/* Clear the host bits: nl_addr2str() prints what is stored. */
	{
		unsigned char *b = nl_addr_get_binary_addr(net);
		unsigned int bits = nl_addr_get_len(net) * 8;
		unsigned int plen = nl_addr_get_prefixlen(net);

		for (unsigned int i = plen; i < bits; i++)
			b[i / 8] &= (unsigned char)~(0x80 >> (i % 8));
	}
	nl_addr2str(net, text, sizeof(text));
	nl_addr_put(net);
	/* nl_addr2str() omits the prefix of a full-length address. */
	n = snprintf(r->buf + r->len, sizeof(r->buf) - r->len, " %s%s", text,
		     strchr(text, '/') ? "" :
		     rtnl_addr_get_family(addr) == AF_INET ? "/32" : "/128");
	if (n < 0 || (size_t)n >= sizeof(r->buf) - r->len)
		return;
	r->len += (size_t)n;
	r->count++;
}

/* Dump every address of the namespace and send one snapshot. */
static int send_report(struct nl_sock *sk, int fd)
{
	struct nl_cache *cache = NULL;
	struct report *r = calloc(1, sizeof(*r));
	int err;

	if (!r)
		return -ENOMEM;
	err = rtnl_addr_alloc_cache(sk, &cache);
	if (err < 0) {
		free(r);
		fprintf(stderr, "nsbypass-nsagent: address dump: %s\n",
			nl_geterror(err));
		return -EIO;
	}
	r->len = (size_t)snprintf(r->buf, sizeof(r->buf), "subnets");
	nl_cache_foreach(cache, add_addr, r);
	nl_cache_free(cache);
	if (r->len < sizeof(r->buf) - 1)
		r->buf[r->len++] = '\n';
	err = send(fd, r->buf, r->len, MSG_NOSIGNAL) < 0 ? -errno : 0;
	free(r);
	return err;
}

/*
 * Deny what nsagent never needs and what could let a process that
 * controls it (ptrace from the container) get hold of a host socket or
 * act on one outside the agent's filter: other processes' fds and memory,
 * new unix sockets that could carry fds in, connect/listen/accept, exec.
 * Only netlink sockets may be created.  Foreign ABIs are killed.
 */
static int sandbox(void)
{
	static const char *const denied[] = {
		"pidfd_getfd", "pidfd_open", "ptrace", "process_vm_readv",
		"process_vm_writev", "socketpair", "connect", "listen",
		"accept", "accept4", "execve", "execveat", "kcmp",
	};
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	int r = 0;

	if (!ctx)
		return -ENOMEM;
	for (size_t i = 0; r == 0 && i < sizeof(denied) / sizeof(denied[0]);
	     i++) {
		int nr = seccomp_syscall_resolve_name(denied[i]);

		if (nr != __NR_SCMP_ERROR)
			r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0);
	}
	if (r == 0)
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EAFNOSUPPORT),
				     SCMP_SYS(socket), 1,
				     SCMP_A0(SCMP_CMP_NE, AF_NETLINK));
	if (r == 0)
		r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH,
				     SCMP_ACT_KILL_PROCESS);
	if (r == 0)
		r = seccomp_load(ctx);
	seccomp_release(ctx);
	return r;
}

/* Events only say "something changed": the dump says what is now. */
static int ignore_event(struct nl_msg *msg, void *arg)
{
	*(int *)arg = 1;
	return NL_OK;
}

static int parse_args(int argc, char **argv, int *ret_fd)
{
	char *end;
	long v;

	if (argc == 3 && strcmp(argv[1], "--report-fd") == 0) {
		v = strtol(argv[2], &end, 10);
		if (*argv[2] && !*end && v >= 0 && v < 1 << 20) {
			*ret_fd = (int)v;
			return 0;
		}
	}
	fprintf(stderr, "nsbypass-nsagent: usage: nsbypass-nsagent --report-fd N\n");
	return -EINVAL;
}

int main(int argc, char **argv)
{
	struct nl_sock *events, *dump;
	int fd, changed = 0;

	if (parse_args(argc, argv, &fd) < 0)
		return 2;
	if (sandbox() < 0) {
		fprintf(stderr, "nsbypass-nsagent: cannot load its seccomp filter\n");
		return 1;
	}
	events = nl_socket_alloc();
	dump = nl_socket_alloc();
	if (!events || !dump || nl_connect(dump, NETLINK_ROUTE) < 0) {
		fprintf(stderr, "nsbypass-nsagent: cannot open netlink\n");
		return 1;
	}
	nl_socket_disable_seq_check(events);
	nl_socket_modify_cb(events, NL_CB_VALID, NL_CB_CUSTOM, ignore_event,
			    &changed);
	if (nl_connect(events, NETLINK_ROUTE) < 0 ||
	    nl_socket_add_memberships(events, RTNLGRP_IPV4_IFADDR,
				      RTNLGRP_IPV6_IFADDR, 0) < 0) {
		fprintf(stderr, "nsbypass-nsagent: cannot subscribe\n");
		return 1;
	}
	nl_socket_set_nonblocking(events);
	if (send_report(dump, fd) < 0)
		return 1;

	for (;;) {
		struct pollfd p[2] = {
			{ .fd = nl_socket_get_fd(events), .events = POLLIN },
			{ .fd = fd, .events = POLLIN },
		};

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return 1;
		}
		if (p[1].revents)	/* agent gone (HUP) or talking: stop */
			return 0;
		changed = 0;
		while (nl_recvmsgs_default(events) >= 0 && !changed)
			;
		/* Drain whatever else queued, then report once. */
		while (nl_recvmsgs_default(events) >= 0)
			;
		if (send_report(dump, fd) < 0)
			return 0;
	}
}
