// SPDX-License-Identifier: Apache-2.0
/*
 * nsbypass-nsagent - the helper that runs inside the container's network
 * namespace, outside the seccomp filter.
 *
 * It reports the namespace's own subnets to the agent, which never
 * bypasses them: once at start and again after every address change
 * (RTNLGRP_IPV4_IFADDR / RTNLGRP_IPV6_IFADDR notifications, no polling).
 * A report is two SEQPACKET messages, each a full snapshot, so a lost or
 * merged event cannot leave the agent with a stale list: first
 * "subnets CIDR CIDR ...\n", then "addrs ADDR ADDR ...\n", the
 * namespace's own addresses of global (or site) scope, which the agent's
 * service map serves as the container's (docs/design.md §3.4; loopback
 * and link-local ones are left out: the map knows loopback itself, and a
 * link-local address is one link's only).  The subnets come first because
 * the agent starts the container once the first message of the first
 * report is in (it peeks at one byte): that must be the one the bypass
 * policy needs.  The helper exits when
 * the agent's end of the socket closes.
 *
 * It runs in the container's user namespace, where the container is root
 * and may ptrace it, so it sandboxes itself before anything else (see
 * sandbox()): the container must not be able to use it as an unfiltered
 * process.  The first report is sent after the sandbox is in place, and
 * nsbypass waits for it before it starts the container's command.
 *
 * With --tap it also sets up the slirp fallback network's side in the
 * namespace, as slirp4netns --configure does: it creates the tap device,
 * brings it up with the given MTU, adds the address(es) and the default
 * route(s) via the gateway(s), and brings up lo, all over rtnetlink
 * (libnl-3 route; see netconf.c).  It then sends the tap fd to the agent
 * as the first message, "tap NAME\n" with the fd attached (SCM_RIGHTS),
 * and closes its own copy: from then on only the agent can read and write
 * the tap's frames.  The first subnet report follows and already names
 * the tap's subnet(s).  A failure ends the helper with one line on stderr
 * and exit status 1; the agent sees the socket hang up.
 *
 * With --kill-on-hangup it is also the container's watchdog: when the
 * agent's end hangs up (the agent died: it closes the socket only after
 * it has killed the container itself), it SIGKILLs every other process in
 * its user namespace, the container's, before it exits.  The command
 * dies with the agent anyway (PR_SET_PDEATHSIG), but what the command
 * started would run on, with ENOSYS from every trapped call.
 *
 * --attach (with --tap) configures nothing: it only attaches to the tap
 * NAME, which whoever made it has configured already (rootlesskit does so
 * before it starts slirp4netns), or creates a bare one, as slirp4netns
 * without --configure does.  --tap-only ends the helper once the tap is
 * handed over, without reports: `nsbypass slirp4netns` needs no subnets,
 * and a helper that stayed would keep the namespace alive (the process in
 * it holds a reference), so its end would never take the tap away.
 *
 * Usage: nsbypass-nsagent --report-fd N [--kill-on-hangup]
 *        [--tap NAME [--tap-only]
 *        (--attach | --mtu N --address A/P --gateway G
 *        [--address6 A/P --gateway6 G])]
 * A bad argument gets one line on stderr and exit status 2.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/rtnl.h>
#include <poll.h>
#include <seccomp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "macaddr.h"
#include "netconf.h"
#include "netns.h"
#include "tap.h"

#define REPORT_MAX 16384
#define USAGE                                                         \
	"usage: nsbypass-nsagent --report-fd N [--kill-on-hangup] "   \
	"[--tap NAME [--tap-only] (--attach | --mtu N --address A/P " \
	"--gateway G [--address6 A/P --gateway6 G] [--mac MAC])]"

/* The tap's MTU: Ethernet's minimum, the tap driver's maximum. */
#define MTU_MIN 68
#define MTU_MAX 65535
#define MTU_MIN_IPV6 1280

struct args {
	int report_fd;
	bool kill_on_hangup; /* kill the user namespace when the
					 * agent hangs up */
	const char *tap;     /* NULL: no fallback network */
	unsigned int mtu;
	const char *address, *gateway;
	const char *address6, *gateway6; /* both NULL or both set */
	const char *mac;		 /* the tap's MAC address, or NULL */
	bool attach;   /* --attach: open the tap, configure nothing */
	bool tap_only; /* --tap-only: exit once the tap is sent */
};
#define SUBNETS_MAX 256
/* As many addresses as subnets: each is one line of the same bound. */
#define ADDRS_MAX 256

struct report {
	char buf[REPORT_MAX];
	size_t len;
	unsigned int count;
};

/* Append one address of global or site scope, host bits kept, to @r. */
static void add_own_addr(struct nl_object *obj, void *opaque)
{
	struct report *r = opaque;
	struct rtnl_addr *addr = (struct rtnl_addr *)obj;
	struct nl_addr *local = rtnl_addr_get_local(addr);
	int family = rtnl_addr_get_family(addr), n;
	char text[INET6_ADDRSTRLEN];

	if (!local || r->count >= ADDRS_MAX ||
	    rtnl_addr_get_scope(addr) >= RT_SCOPE_LINK ||
	    (family != AF_INET && family != AF_INET6) ||
	    nl_addr_get_len(local) != (family == AF_INET ? 4U : 16U) ||
	    !inet_ntop(family, nl_addr_get_binary_addr(local), text,
		       sizeof(text)))
		return;
	n = snprintf(r->buf + r->len, sizeof(r->buf) - r->len, " %s", text);
	if (n < 0 || (size_t)n >= sizeof(r->buf) - r->len)
		return;
	r->len += (size_t)n;
	r->count++;
}

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
		     strchr(text, '/')			   ? "" :
		     rtnl_addr_get_family(addr) == AF_INET ? "/32" :
							     "/128");
	if (n < 0 || (size_t)n >= sizeof(r->buf) - r->len)
		return;
	r->len += (size_t)n;
	r->count++;
}

/* Send "@word" and what @add appends for each address of @cache. */
static int send_list(struct nl_cache *cache, int fd, const char *word,
		     void (*add)(struct nl_object *, void *))
{
	struct report *r = calloc(1, sizeof(*r));
	int err;

	if (!r)
		return -ENOMEM;
	r->len = (size_t)snprintf(r->buf, sizeof(r->buf), "%s", word);
	nl_cache_foreach(cache, add, r);
	if (r->len < sizeof(r->buf) - 1)
		r->buf[r->len++] = '\n';
	err = send(fd, r->buf, r->len, MSG_NOSIGNAL) < 0 ? -errno : 0;
	free(r);
	return err;
}

/* Dump every address of the namespace and send one snapshot: the
 * subnets, then the addresses (the header says why). */
static int send_report(struct nl_sock *sk, int fd)
{
	struct nl_cache *cache = NULL;
	int err;

	err = rtnl_addr_alloc_cache(sk, &cache);
	if (err < 0) {
		fprintf(stderr, "nsbypass-nsagent: address dump: %s\n",
			nl_geterror(err));
		return -EIO;
	}
	err = send_list(cache, fd, "subnets", add_addr);
	if (err == 0)
		err = send_list(cache, fd, "addrs", add_own_addr);
	nl_cache_free(cache);
	return err;
}

/*
 * Deny what nsagent never needs and what could let a process that
 * controls it (ptrace from the container) get hold of a host socket or
 * act on one outside the agent's filter: other processes' fds and memory,
 * new unix sockets that could carry fds in, connect/listen/accept, exec.
 * Only netlink sockets may be created.  Foreign ABIs are killed.  The
 * tap set-up needs none of this: open() of /dev/net/tun, its TUNSETIFF
 * ioctl, rtnetlink requests and sendmsg() with SCM_RIGHTS stay allowed.
 */
static int sandbox(void)
{
	static const char *const denied[] = {
		"pidfd_getfd",
		"pidfd_open",
		"process_vm_readv",
		"process_vm_writev",
		"socketpair",
		"connect",
		"listen",
		"accept",
		"accept4",
		"execve",
		"execveat",
		"kcmp",
#ifndef __SANITIZE_ADDRESS__
		/* LeakSanitizer stops the world with ptrace at exit: in
		 * sanitizer (test) builds only, ptrace stays allowed. */
		"ptrace",
#endif
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

/* Parse a whole decimal number in [@min, @max]. */
static int parse_uint(const char *s, long min, long max, long *ret)
{
	char *end;
	long v;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -EINVAL;
	*ret = v;
	return 0;
}

/* Is @s an address (with a prefix if @prefix) of @family? */
static bool addr_is(const char *s, bool prefix, int family)
{
	int f;

	return netconf_addr_parse(s, prefix, &f) == 0 && f == family;
}

/* Print "nsbypass-nsagent: WHY; usage: ..." (one line) and fail. */
static int __attribute__((format(printf, 1, 2))) bad_args(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "nsbypass-nsagent: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "; " USAGE "\n");
	return -EINVAL;
}

static int parse_args(int argc, char **argv, struct args *a)
{
	uint8_t mac[6];
	const char *mtu = NULL;
	long v;

	memset(a, 0, sizeof(*a));
	if (argc < 3 || strcmp(argv[1], "--report-fd") != 0 ||
	    parse_uint(argv[2], 0, (1 << 20) - 1, &v) < 0)
		return bad_args("--report-fd N must come first");
	a->report_fd = (int)v;
	for (int i = 3; i < argc; i++) {
		const char *opt = argv[i], **slot;
		bool *flag = NULL;

		if (strcmp(opt, "--kill-on-hangup") == 0)
			flag = &a->kill_on_hangup;
		else if (strcmp(opt, "--attach") == 0)
			flag = &a->attach;
		else if (strcmp(opt, "--tap-only") == 0)
			flag = &a->tap_only;
		if (flag) {
			if (*flag)
				return bad_args("%s given twice", opt);
			*flag = true; /* a flag takes no value */
			continue;
		}
		if (strcmp(opt, "--tap") == 0)
			slot = &a->tap;
		else if (strcmp(opt, "--mtu") == 0)
			slot = &mtu;
		else if (strcmp(opt, "--address") == 0)
			slot = &a->address;
		else if (strcmp(opt, "--gateway") == 0)
			slot = &a->gateway;
		else if (strcmp(opt, "--address6") == 0)
			slot = &a->address6;
		else if (strcmp(opt, "--gateway6") == 0)
			slot = &a->gateway6;
		else if (strcmp(opt, "--mac") == 0)
			slot = &a->mac;
		else
			return bad_args("unknown argument '%s'", opt);
		if (i + 1 >= argc)
			return bad_args("%s needs a value", opt);
		if (*slot)
			return bad_args("%s given twice", opt);
		*slot = argv[++i];
	}
	if (mtu) {
		if (parse_uint(mtu, MTU_MIN, MTU_MAX, &v) < 0)
			return bad_args("--mtu must be %d to %d", MTU_MIN,
					MTU_MAX);
		a->mtu = (unsigned int)v;
	}
	if (!a->tap) {
		if (a->mtu || a->address || a->gateway || a->address6 ||
		    a->gateway6 || a->mac || a->attach || a->tap_only)
			return bad_args("tap settings without --tap");
		return 0;
	}
	if (!tap_name_is_valid(a->tap))
		return bad_args("--tap: invalid device name '%s' (1 to %d "
				"characters, no '/', ':' or blanks)",
				a->tap, IFNAMSIZ - 1);
	if (a->attach) {
		if (a->mtu || a->address || a->gateway || a->address6 ||
		    a->gateway6 || a->mac)
			return bad_args(
				"--attach configures nothing: no --mtu, "
				"--address, --gateway or --mac");
		return 0;
	}
	if (!a->mtu || !a->address || !a->gateway)
		return bad_args("--tap needs --mtu, --address and --gateway");
	if (!addr_is(a->address, true, AF_INET))
		return bad_args("--address: '%s' is not an IPv4 ADDR/PREFIX",
				a->address);
	if (!addr_is(a->gateway, false, AF_INET))
		return bad_args("--gateway: '%s' is not an IPv4 address",
				a->gateway);
	if (a->mac && macaddr_parse(a->mac, mac) < 0)
		return bad_args("--mac: '%s' is not a unicast MAC address "
				"xx:xx:xx:xx:xx:xx",
				a->mac);
	if (!a->address6 != !a->gateway6)
		return bad_args("--address6 and --gateway6 go together");
	if (!a->address6)
		return 0;
	if (!addr_is(a->address6, true, AF_INET6))
		return bad_args("--address6: '%s' is not an IPv6 ADDR/PREFIX",
				a->address6);
	if (!addr_is(a->gateway6, false, AF_INET6))
		return bad_args("--gateway6: '%s' is not an IPv6 address",
				a->gateway6);
	if (a->mtu < MTU_MIN_IPV6)
		return bad_args("IPv6 needs --mtu %d or more", MTU_MIN_IPV6);
	return 0;
}

/* Send "tap NAME\n" with @tap attached: the first message of all. */
static int send_tap(int fd, const char *name, int tap)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} control;
	char text[IFNAMSIZ + 8];
	struct iovec iov = { .iov_base = text };
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = control.buf,
		.msg_controllen = sizeof(control.buf),
	};
	struct cmsghdr *cm;

	iov.iov_len = (size_t)snprintf(text, sizeof(text), "tap %s\n", name);
	memset(&control, 0, sizeof(control));
	cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &tap, sizeof(int));
	return sendmsg(fd, &msg, MSG_NOSIGNAL) < 0 ? -errno : 0;
}

/*
 * Create and configure the tap (with --attach: only attach to it), hand
 * it to the agent, close our copy.  On failure, print one line and
 * return -errno.
 */
static int setup_tap(struct nl_sock *sk, const struct args *a)
{
	char what[128] = "cannot open the tap device";
	int tap = -1, ifindex = 0, r;

	r = tap_open(a->tap, &tap);
	if (r == 0 && a->attach) {
		snprintf(what, sizeof(what), "cannot send it to the agent");
		r = send_tap(a->report_fd, a->tap, tap);
		goto out_close_tap;
	}
	if (r == 0) {
		snprintf(what, sizeof(what), "cannot bring up lo");
		r = netconf_lo_up(sk);
	}
	if (r == 0 && a->mac) {
		uint8_t mac[6];

		snprintf(what, sizeof(what), "cannot set MAC address %s",
			 a->mac);
		r = macaddr_parse(a->mac, mac);
		if (r == 0)
			r = netconf_link_set_mac(sk, a->tap, mac);
	}
	if (r == 0) {
		snprintf(what, sizeof(what), "cannot bring it up with MTU %u",
			 a->mtu);
		r = netconf_link_up(sk, a->tap, a->mtu, &ifindex);
	}
	for (int v6 = 0; r == 0 && v6 < (a->address6 ? 2 : 1); v6++) {
		const char *addr = v6 ? a->address6 : a->address;
		const char *gw = v6 ? a->gateway6 : a->gateway;

		snprintf(what, sizeof(what), "cannot add address %s", addr);
		r = netconf_addr_add(sk, ifindex, addr);
		if (r < 0)
			break;
		snprintf(what, sizeof(what),
			 "cannot add the default route via %s", gw);
		r = netconf_route_add_default(sk, ifindex, gw);
	}
	if (r == 0) {
		snprintf(what, sizeof(what), "cannot send it to the agent");
		r = send_tap(a->report_fd, a->tap, tap);
	}
out_close_tap:
	if (tap >= 0)
		close(tap);
	if (r < 0)
		fprintf(stderr, "nsbypass-nsagent: tap %s: %s: %s\n", a->tap,
			what, strerror(-r));
	return r;
}

/*
 * The agent has gone: with --kill-on-hangup, SIGKILL what is left in our
 * user namespace (the container's), as the agent does when the command
 * exits.  Nothing there can work without the agent.
 */
static void agent_gone(const struct args *args)
{
	unsigned int n;
	dev_t dev;
	ino_t ino;

	if (!args->kill_on_hangup)
		return;
	if (userns_id(getpid(), &dev, &ino) < 0) {
		fprintf(stderr, "nsbypass-nsagent: the agent is gone, but our "
				"user namespace is unknown: nothing killed\n");
		return;
	}
	n = userns_kill_all(dev, ino);
	if (n)
		fprintf(stderr,
			"nsbypass-nsagent: the agent is gone: killed "
			"%u processes of the container\n",
			n);
}

/* Set up the tap (if asked), subscribe, report until the agent leaves.
 * Return: the exit status */
static int serve(struct nl_sock *events, struct nl_sock *dump,
		 const struct args *args)
{
	int fd = args->report_fd, changed = 0, r;

	if (nl_connect(dump, NETLINK_ROUTE) < 0) {
		fprintf(stderr, "nsbypass-nsagent: cannot open netlink\n");
		return 1;
	}
	/* Before the subscription: our own changes need no second report. */
	if (args->tap && setup_tap(dump, args) < 0)
		return 1;
	if (args->tap_only)
		return 0;
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
		if (p[1].revents) { /* agent gone (HUP) or talking: stop */
			if (p[1].revents & (POLLHUP | POLLERR))
				agent_gone(args);
			return 0;
		}
		changed = 0;
		while (nl_recvmsgs_default(events) >= 0 && !changed)
			;
		/* Drain whatever else queued, then report once. */
		while (nl_recvmsgs_default(events) >= 0)
			;
		r = send_report(dump, fd);
		if (r < 0) {
			if (r == -EPIPE || r == -ECONNRESET)
				agent_gone(args); /* it just left */
			return 0;
		}
	}
}

int main(int argc, char **argv)
{
	struct nl_sock *events, *dump;
	struct args args;
	int status = 1;

	if (parse_args(argc, argv, &args) < 0)
		return 2;
	if (sandbox() < 0) {
		fprintf(stderr,
			"nsbypass-nsagent: cannot load its seccomp filter\n");
		return 1;
	}
	events = nl_socket_alloc();
	dump = nl_socket_alloc();
	if (events && dump)
		status = serve(events, dump, &args);
	else
		fprintf(stderr, "nsbypass-nsagent: out of memory\n");
	nl_socket_free(events);
	nl_socket_free(dump);
	return status;
}
