// SPDX-License-Identifier: Apache-2.0
/*
 * test-sandbox.c - the confinement of the libslirp process (sandbox.h),
 * each test in a forked child, as an unprivileged user where that
 * matters (nobody when the test runs as root): the user's files are
 * gone, exec, ptrace, other processes, new socket families and fds not
 * kept are refused, no capability is left, a call off the allow-list
 * kills, and libslirp on a libuv loop still works confined: ARP, ICMP
 * echo, UDP and TCP through host sockets, DNS forwarding through the
 * bound resolv.conf, a host forward.  That last part is the proof that
 * the allow-list is enough for what slirp does.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <uv.h>

#include "fallback.h"
#include "int80.h"
#include "nbtest.h"
#include "sandbox.h"
#include "util.h"

#define NOBODY 65534

static char tmpdir[] = "/tmp/test-sandbox-XXXXXX";
static char home_file[64]; /* a file of the user's, readable to nobody */
static char resolv[64];	   /* a resolv.conf naming 127.0.0.77 */

static void make_files(void)
{
	static bool made;
	FILE *f;

	if (made)
		return;
	ASSERT_TRUE(mkdtemp(tmpdir) != NULL);
	ASSERT_EQ(chmod(tmpdir, 0755), 0);
	snprintf(home_file, sizeof(home_file), "%s/secret", tmpdir);
	f = fopen(home_file, "w");
	ASSERT_TRUE(f != NULL);
	fputs("secret\n", f);
	fclose(f);
	snprintf(resolv, sizeof(resolv), "%s/resolv.conf", tmpdir);
	f = fopen(resolv, "w");
	ASSERT_TRUE(f != NULL);
	fputs("nameserver 127.0.0.77\n", f);
	fclose(f);
	made = true;
}

/* In the child: become nobody if root (no capability in the host's
 * user namespace, as a rootless user). */
static void become_unprivileged(void)
{
	if (getuid() != 0)
		return;
	ASSERT_EQ(setgroups(0, NULL), 0);
	ASSERT_EQ(setresgid(NOBODY, NOBODY, NOBODY), 0);
	ASSERT_EQ(setresuid(NOBODY, NOBODY, NOBODY), 0);
	/* The uid change made us non-dumpable: /proc/self would be root's,
	 * and a rootless user's process is dumpable. */
	ASSERT_EQ(prctl(PR_SET_DUMPABLE, 1, 0, 0, 0), 0);
}

/* Run @fn in a child; the test passes if it exits 0 (77: skipped). */
static int run_child(void (*fn)(void))
{
	int status;
	pid_t pid;

	make_files();
	fflush(stdout);
	pid = fork();
	ASSERT_TRUE(pid >= 0);
	if (pid == 0) {
		fn();
		fflush(stdout);
		_exit(0);
	}
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	return status;
}

static void expect_child_passes(void (*fn)(void))
{
	int status = run_child(fn);

	if (WIFEXITED(status) && WEXITSTATUS(status) == 77)
		nbtest_skip("see the child's reason above");
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		nbtest_fail(__FILE__, __LINE__, "child status 0x%x", status);
}

/* The caps of this thread are all empty (but @keep). */
static void assert_caps(uint64_t keep)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];

	ASSERT_EQ(syscall(SYS_capget, &h, d), 0);
	for (int i = 0; i < _LINUX_CAPABILITY_U32S_3; i++) {
		ASSERT_EQ(d[i].effective, (uint32_t)(keep >> (32 * i)));
		ASSERT_EQ(d[i].permitted, (uint32_t)(keep >> (32 * i)));
		ASSERT_EQ(d[i].inheritable, 0);
	}
}

#define ASSERT_ERRNO(call, err)                                               \
	do {                                                                  \
		errno = 0;                                                    \
		long _r = (long)(call);                                       \
		if (_r >= 0 || errno != (err))                                \
			nbtest_fail(__FILE__, __LINE__,                       \
				    "%s: %ld, errno %d (%s), want %s", #call, \
				    _r, errno, strerror(errno), #err);        \
	} while (0)

static void confined_child(void)
{
	char *const argv[] = { (char *)"/bin/sh", (char *)"-c",
			       (char *)"exit 0", NULL };
	const struct sandbox_file files[] = SANDBOX_SLIRP_FILES;
	int keep = open("/dev/null", O_RDONLY);
	int stray = open("/dev/null", O_RDONLY);
	int fds[] = { 0, 1, 2, keep };
	struct sandbox_config c = {
		.keep_fds = fds,
		.n_keep_fds = ARRAY_SIZE(fds),
		.files = files,
	};
	struct stat host_resolv;
	bool have_resolv = stat("/etc/resolv.conf", &host_resolv) == 0;
	int fd;

	ASSERT_TRUE(keep >= 0 && stray >= 0);
	become_unprivileged();
	/* Before: the user can read these. */
	fd = open(home_file, O_RDONLY);
	ASSERT_TRUE(fd >= 0);
	close(fd);
	ASSERT_OK(sandbox_enter(&c));
	ASSERT_TRUE(sandbox_active());

	ASSERT_ERRNO(open(home_file, O_RDONLY), ENOENT);
	ASSERT_ERRNO(open("/etc/passwd", O_RDONLY), ENOENT);
	ASSERT_ERRNO(open("/proc/self/status", O_RDONLY), ENOENT);
	ASSERT_ERRNO(open("/x", O_WRONLY | O_CREAT, 0600), EPERM);
	if (have_resolv) {
		struct stat st;

		ASSERT_EQ(stat("/etc/resolv.conf", &st), 0);
		ASSERT_EQ(st.st_size, host_resolv.st_size);
		fd = open("/etc/resolv.conf", O_RDONLY);
		ASSERT_TRUE(fd >= 0);
		close(fd);
	}
	ASSERT_ERRNO(execve(argv[0], argv, NULL), EPERM);
	ASSERT_ERRNO(ptrace(PTRACE_ATTACH, getppid(), NULL, NULL), EPERM);
	ASSERT_ERRNO(syscall(SYS_pidfd_open, getppid(), 0), EPERM);
	ASSERT_ERRNO(kill(getppid(), 0), EPERM);
	ASSERT_ERRNO(socket(AF_UNIX, SOCK_STREAM, 0), EAFNOSUPPORT);
	ASSERT_ERRNO(socket(AF_NETLINK, SOCK_RAW, 0), EAFNOSUPPORT);
	ASSERT_ERRNO(socket(AF_PACKET, SOCK_RAW, 0), EAFNOSUPPORT);
	ASSERT_ERRNO(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), EPERM);
	ASSERT_ERRNO(unshare(CLONE_NEWUSER), EPERM);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ASSERT_TRUE(fd >= 0);
	close(fd);
	fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ASSERT_TRUE(fd >= 0 || errno == EAFNOSUPPORT); /* IPv6 off */
	if (fd >= 0)
		close(fd);
	ASSERT_ERRNO(fcntl(stray, F_GETFD), EBADF);
	ASSERT_TRUE(fcntl(keep, F_GETFD) >= 0);
	assert_caps(0);
#ifdef NB_TEST_HOOKS
	{
		struct sandbox_probe p = {
			.file = home_file,
			.fd = stray,
			.pid = getppid(),
		};

		ASSERT_EQ(sandbox_probe(&p), 0);
	}
#endif
}

NBTEST(confined_refuses)
{
	expect_child_passes(confined_child);
}

/* Step 3 alone, where prctl() still answers: every set is empty. */
static void caps_child(void)
{
	become_unprivileged();
	ASSERT_OK(sandbox_enter_root(NULL));
	ASSERT_OK(sandbox_drop_caps(0));
	assert_caps(0);
	for (int cap = 0; cap <= CAP_LAST_CAP; cap++) {
		ASSERT_EQ(prctl(PR_CAPBSET_READ, cap, 0, 0, 0), 0);
		ASSERT_EQ(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, cap, 0,
				0),
			  0);
	}
	ASSERT_EQ(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0), 1);
}

NBTEST(no_capability_left)
{
	expect_child_passes(caps_child);
}

/* As root (podman's rootless user namespace is such a case): no new user
 * namespace; CAP_NET_BIND_SERVICE may be kept, as slirp4netns keeps it. */
static void root_child(void)
{
	const uint64_t keep = 1ULL << CAP_NET_BIND_SERVICE;
	struct sandbox_config c = { .keep_caps = keep };
	struct stat before, after;

	if (getuid() != 0)
		nbtest_skip("not root");
	ASSERT_EQ(stat("/proc/self/ns/user", &before), 0);
	ASSERT_OK(sandbox_enter_root(NULL));
	ASSERT_EQ(getuid(), 0);
	ASSERT_ERRNO(stat("/proc/self/ns/user", &after), ENOENT);
	ASSERT_OK(sandbox_drop_caps(c.keep_caps));
	ASSERT_OK(sandbox_load_filter());
	assert_caps(keep);
	ASSERT_ERRNO(open("/etc/passwd", O_RDONLY), ENOENT);
	ASSERT_ERRNO(execve("/bin/true", (char *const[]){ NULL }, NULL), EPERM);
}

NBTEST(root_keeps_namespace)
{
	expect_child_passes(root_child);
}

/* A call off the allow-list kills the process (SIGSYS). */
static void off_list_child(void)
{
	struct sandbox_config c = { 0 };

	become_unprivileged();
	ASSERT_OK(sandbox_enter(&c));
	syscall(SYS_getcwd, NULL, 0);
	_exit(3); /* not reached */
}

NBTEST(off_list_kills)
{
	int status = run_child(off_list_child);

	ASSERT_TRUE(WIFSIGNALED(status));
	ASSERT_EQ(WTERMSIG(status), SIGSYS);
}

#ifdef __x86_64__
/* The i386 ABI (int $0x80) kills the process whatever the call. */
static void foreign_abi_child(void)
{
	struct sandbox_config c = { 0 };
	long r;

	become_unprivileged();
	ASSERT_OK(sandbox_enter(&c));
	r = int80(I386_GETPID, 0, 0);
	_exit(r == getpid() ? 4 : 3); /* not reached */
}

NBTEST(foreign_abi_kills)
{
	int status;

	if (!have_int80())
		nbtest_skip("this kernel does not run i386 calls (int $0x80 "
			    "kills even an unconfined process)");
	status = run_child(foreign_abi_child);

	ASSERT_TRUE(WIFSIGNALED(status));
	ASSERT_EQ(WTERMSIG(status), SIGSYS);
}
#endif

/* ---- libslirp confined: frames through a socketpair "tap" ---- */

static const uint8_t guest_mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

struct net {
	uv_loop_t loop;
	uv_timer_t alive; /* the fallback's handles are unref'd */
	struct fallback *f;
	int tap; /* our end; the fallback has the other */
	uint8_t gw_mac[6];
	struct in_addr guest, gw, dns;
	uint8_t frame[2048];
	ssize_t len;
};

static uint16_t csum(const void *data, size_t len, uint32_t sum)
{
	const uint8_t *p = data;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)(p[len - 1] << 8);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)get16(p) << 16 | get16(p + 2);
}

/* Ethernet + IPv4 header for @proto with @payload bytes after it. */
static size_t ip_header(struct net *n, uint8_t *b, struct in_addr dst,
			uint8_t proto, size_t payload)
{
	memcpy(b, n->gw_mac, 6);
	memcpy(b + 6, guest_mac, 6);
	put16(b + 12, 0x0800);
	b += 14;
	memset(b, 0, 20);
	b[0] = 0x45;
	put16(b + 2, (uint16_t)(20 + payload));
	b[8] = 64;
	b[9] = proto;
	memcpy(b + 12, &n->guest, 4);
	memcpy(b + 16, &dst, 4);
	put16(b + 10, csum(b, 20, 0));
	return 34;
}

/* The sum of the TCP/UDP pseudo header. */
static uint32_t pseudo(const uint8_t *ip, uint8_t proto, size_t len)
{
	uint32_t s = 0;

	for (int i = 12; i < 20; i += 2)
		s += get16(ip + i);
	return s + proto + (uint32_t)len;
}

static void send_frame(struct net *n, const uint8_t *b, size_t len)
{
	ASSERT_EQ(send(n->tap, b, len, 0), (long)len);
}

static void on_alive(uv_timer_t *t)
{
}

/*
 * Turn the loop and read frames until @match accepts one (kept in
 * n->frame), or 3 s pass.  @poke, if given, is called every turn: the
 * host side of a test, on the same thread.
 */
static bool wait_frame(struct net *n, bool (*match)(struct net *, void *),
		       void *arg, bool (*poke)(struct net *, void *))
{
	struct timespec t0, t;

	if (!uv_is_active((uv_handle_t *)&n->alive)) {
		uv_timer_init(&n->loop, &n->alive);
		uv_timer_start(&n->alive, on_alive, 1000000, 0);
	}

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct pollfd p = { .fd = n->tap, .events = POLLIN };

		uv_run(&n->loop, UV_RUN_NOWAIT);
		if (poke)
			poke(n, arg);
		while ((n->len = recv(n->tap, n->frame, sizeof(n->frame),
				      MSG_DONTWAIT)) > 0)
			if (!match || match(n, arg))
				return true;
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (t.tv_sec - t0.tv_sec >= 3)
			return false;
		poll(&p, 1, 2);
	}
}

/* An IPv4 frame of @proto from @src; returns its L4 header or NULL. */
static const uint8_t *ipv4_of(struct net *n, uint8_t proto, struct in_addr src)
{
	const uint8_t *ip = n->frame + 14;

	if (n->len < 34 || get16(n->frame + 12) != 0x0800 || ip[9] != proto ||
	    memcmp(ip + 12, &src, 4) != 0)
		return NULL;
	return ip + (ip[0] & 0xf) * 4;
}

static bool is_arp_reply(struct net *n, void *arg)
{
	const uint8_t *a = n->frame + 14;

	if (n->len < 42 || get16(n->frame + 12) != 0x0806 ||
	    get16(a + 6) != 2 || memcmp(a + 14, &n->gw, 4) != 0)
		return false;
	memcpy(n->gw_mac, a + 8, 6);
	return true;
}

static void send_arp_request(struct net *n)
{
	uint8_t b[42] = { 0 };

	memset(b, 0xff, 6);
	memcpy(b + 6, guest_mac, 6);
	put16(b + 12, 0x0806);
	put16(b + 14, 1); /* Ethernet */
	put16(b + 16, 0x0800);
	b[18] = 6;
	b[19] = 4;
	put16(b + 20, 1); /* request */
	memcpy(b + 22, guest_mac, 6);
	memcpy(b + 28, &n->guest, 4);
	memcpy(b + 38, &n->gw, 4);
	send_frame(n, b, sizeof(b));
}

static void check_arp(struct net *n)
{
	send_arp_request(n);
	ASSERT_TRUE(wait_frame(n, is_arp_reply, NULL, NULL));
}

static bool is_echo_reply(struct net *n, void *arg)
{
	const uint8_t *icmp = ipv4_of(n, IPPROTO_ICMP, n->gw);

	return icmp && icmp[0] == 0 && get16(icmp + 4) == 0x4242;
}

static void check_ping(struct net *n)
{
	uint8_t b[34 + 16];
	uint8_t *icmp = b + ip_header(n, b, n->gw, IPPROTO_ICMP, 16);

	memset(icmp, 0, 16);
	icmp[0] = 8; /* echo request */
	put16(icmp + 4, 0x4242);
	put16(icmp + 6, 1);
	memcpy(icmp + 8, "sandbox!", 8);
	put16(icmp + 2, csum(icmp, 16, 0));
	send_frame(n, b, sizeof(b));
	ASSERT_TRUE(wait_frame(n, is_echo_reply, NULL, NULL));
}

static void send_udp(struct net *n, struct in_addr dst, uint16_t sport,
		     uint16_t dport, const char *data)
{
	uint8_t b[128];
	size_t len = strlen(data);
	uint8_t *udp = b + ip_header(n, b, dst, IPPROTO_UDP, 8 + len);

	put16(udp, sport);
	put16(udp + 2, dport);
	put16(udp + 4, (uint16_t)(8 + len));
	put16(udp + 6, 0); /* no checksum */
	memcpy(udp + 8, data, len);
	send_frame(n, b, 34 + 8 + len);
}

/* A bound IPv4 socket of @type on @addr (port 0: any); its port. */
static int host_socket(int type, const char *addr, uint16_t *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons(*port) };
	socklen_t al = sizeof(a);
	int one = 1,
	    fd = socket(AF_INET, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	ASSERT_TRUE(fd >= 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	inet_pton(AF_INET, addr, &a.sin_addr);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		close(fd);
		return -errno;
	}
	if (type == SOCK_STREAM)
		ASSERT_EQ(listen(fd, 4), 0);
	ASSERT_EQ(getsockname(fd, (struct sockaddr *)&a, &al), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

struct udp_case {
	int fd; /* the host's socket */
	uint16_t port;
	bool got;
};

/* The host side: answer "pong" to the datagram slirp sent from its host
 * socket. */
static bool udp_echo(struct net *n, void *arg)
{
	struct udp_case *u = arg;
	struct sockaddr_in from;
	socklen_t fl = sizeof(from);
	char buf[16];
	ssize_t r = recvfrom(u->fd, buf, sizeof(buf), 0,
			     (struct sockaddr *)&from, &fl);

	if (r == 4 && memcmp(buf, "ping", 4) == 0) {
		u->got = true;
		sendto(u->fd, "pong", 4, 0, (struct sockaddr *)&from, fl);
	}
	return true;
}

static bool is_pong(struct net *n, void *arg)
{
	struct udp_case *u = arg;
	const uint8_t *udp = ipv4_of(n, IPPROTO_UDP, n->gw);

	return udp && get16(udp) == u->port && get16(udp + 2) == 40000 &&
	       memcmp(udp + 8, "pong", 4) == 0;
}

static void check_udp(struct net *n, int fd, uint16_t port)
{
	struct udp_case u = { .fd = fd, .port = port };

	send_udp(n, n->gw, 40000, port, "ping");
	ASSERT_TRUE(wait_frame(n, is_pong, &u, udp_echo));
	ASSERT_TRUE(u.got);
}

struct tcp_case {
	int listener, conn;
	uint16_t port;
	uint32_t their_seq;
	bool got_hello;
};

static void send_tcp(struct net *n, struct tcp_case *t, uint8_t flags,
		     uint32_t seq, uint32_t ack, const char *data)
{
	uint8_t b[128];
	size_t len = data ? strlen(data) : 0;
	uint8_t *ip = b + 14;
	uint8_t *tcp = b + ip_header(n, b, n->gw, IPPROTO_TCP, 20 + len);

	memset(tcp, 0, 20);
	put16(tcp, 40001);
	put16(tcp + 2, t->port);
	put32(tcp + 4, seq);
	put32(tcp + 8, ack);
	tcp[12] = 5 << 4;
	tcp[13] = flags;
	put16(tcp + 14, 65535);
	if (len)
		memcpy(tcp + 20, data, len);
	put16(tcp + 16, csum(tcp, 20 + len, pseudo(ip, IPPROTO_TCP, 20 + len)));
	send_frame(n, b, 34 + 20 + len);
}

/* A TCP segment of the connection to the container's port 40001 with
 * all of @want's flags (0x12 SYN-ACK, 0x10 ACK). */
static const uint8_t *tcp_of(struct net *n, struct tcp_case *t, uint8_t want)
{
	const uint8_t *tcp = ipv4_of(n, IPPROTO_TCP, n->gw);

	if (!tcp || get16(tcp) != t->port || get16(tcp + 2) != 40001 ||
	    (tcp[13] & want) != want)
		return NULL;
	return tcp;
}

static bool is_synack(struct net *n, void *arg)
{
	struct tcp_case *t = arg;
	const uint8_t *tcp = tcp_of(n, t, 0x12);

	if (!tcp)
		return false;
	t->their_seq = get32(tcp + 4);
	return true;
}

/* The host side: accept, then read "hello" and answer "world". */
static bool tcp_host(struct net *n, void *arg)
{
	struct tcp_case *t = arg;
	char buf[16];

	if (t->conn < 0)
		t->conn = accept4(t->listener, NULL, NULL,
				  SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (t->conn >= 0 && !t->got_hello &&
	    recv(t->conn, buf, sizeof(buf), 0) == 5 &&
	    memcmp(buf, "hello", 5) == 0) {
		t->got_hello = true;
		ASSERT_EQ(send(t->conn, "world", 5, 0), 5);
	}
	return true;
}

static bool is_world(struct net *n, void *arg)
{
	const uint8_t *tcp = tcp_of(n, arg, 0x10);
	const uint8_t *ip = n->frame + 14;

	if (!tcp)
		return false;
	return get16(ip + 2) - (tcp - ip) - (tcp[12] >> 4) * 4 == 5 &&
	       memcmp(tcp + (tcp[12] >> 4) * 4, "world", 5) == 0;
}

static void check_tcp(struct net *n, int listener, uint16_t port)
{
	struct tcp_case t = { .listener = listener, .conn = -1, .port = port };

	send_tcp(n, &t, 0x02, 1000, 0, NULL); /* SYN */
	ASSERT_TRUE(wait_frame(n, is_synack, &t, tcp_host));
	send_tcp(n, &t, 0x18, 1001, t.their_seq + 1, "hello"); /* PSH ACK */
	ASSERT_TRUE(wait_frame(n, is_world, &t, tcp_host));
	ASSERT_TRUE(t.got_hello);
	close(t.conn);
}

/* The host side of DNS: the query slirp forwarded to resolv.conf's
 * nameserver (127.0.0.77 in the bound file). */
static bool dns_host(struct net *n, void *arg)
{
	struct udp_case *u = arg;
	char buf[16];

	if (recv(u->fd, buf, sizeof(buf), 0) == 4 &&
	    memcmp(buf, "dnsq", 4) == 0)
		u->got = true;
	return true;
}

static bool seen(struct net *n, void *arg)
{
	return ((struct udp_case *)arg)->got;
}

static void check_dns(struct net *n, int fd)
{
	struct udp_case u = { .fd = fd };

	send_udp(n, n->dns, 40002, 53, "dnsq");
	/* Any frame (or none): the host side's flag is what counts. */
	wait_frame(n, seen, &u, dns_host);
	ASSERT_TRUE(u.got);
}

struct fwd_case {
	int fd;
	uint16_t port;
};

static bool is_fwd_syn(struct net *n, void *arg)
{
	const uint8_t *tcp = ipv4_of(n, IPPROTO_TCP, n->gw);

	return tcp && get16(tcp + 2) == 8080 && (tcp[13] & 0x12) == 0x02;
}

/* A host forward added inside the sandbox: slirp binds and listens, and
 * a connection to it reaches the container as a SYN to port 8080. */
static void check_hostfwd(struct net *n)
{
	struct sockaddr_in host = { .sin_family = AF_INET };
	struct sockaddr_in guest = { .sin_family = AF_INET,
				     .sin_port = htons(8080),
				     .sin_addr = n->guest };
	uint16_t port = 0;
	int probe = host_socket(SOCK_STREAM, "127.0.0.1", &port), fd;

	/* A free port: the one the kernel just gave, closed again. */
	close(probe);
	inet_pton(AF_INET, "127.0.0.1", &host.sin_addr);
	host.sin_port = htons(port);
	ASSERT_OK(fallback_add_hostfwd(n->f, false, (struct sockaddr *)&host,
				       sizeof(host), (struct sockaddr *)&guest,
				       sizeof(guest)));
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	ASSERT_TRUE(fd >= 0);
	connect(fd, (struct sockaddr *)&host, sizeof(host));
	ASSERT_TRUE(wait_frame(n, is_fwd_syn, NULL, NULL));
	close(fd);
}

/*
 * @early: the loop and slirp exist before the sandbox (the drop-in's
 * order); otherwise both are made inside (a fallback process that gets
 * its tap after confining itself).
 */
static void slirp_child(bool early)
{
	const struct sandbox_file files[] = {
		{ "/etc/resolv.conf", resolv },
		{ "/dev/urandom", NULL },
		{ NULL, NULL },
	};
	struct sandbox_config c = { .files = files };
	struct fallback_config cfg;
	static struct net n;
	uint16_t uport = 0, tport = 0, dport = 53;
	int sp[2], udp, tcp, dns = -1;

	fallback_config_default(&cfg);
	cfg.mtu = 1500;
	cfg.enable_host_loopback = true; /* 10.0.2.2 is 127.0.0.1 */
	n.guest = cfg.guest;
	n.gw = cfg.host;
	n.dns = cfg.dns;
	udp = host_socket(SOCK_DGRAM, "127.0.0.1", &uport);
	tcp = host_socket(SOCK_STREAM, "127.0.0.1", &tport);
	ASSERT_TRUE(udp >= 0 && tcp >= 0);
	if (getuid() == 0) /* port 53 needs root, and we are, for now */
		dns = host_socket(SOCK_DGRAM, "127.0.0.77", &dport);
	ASSERT_EQ(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sp), 0);
	n.tap = sp[0];
	{
		int keep[] = { 0, 1, 2, sp[0], sp[1], udp, tcp, dns };

		ASSERT_OK(sandbox_close_fds(keep, ARRAY_SIZE(keep)));
	}
	become_unprivileged();
	if (early) {
		ASSERT_EQ(uv_loop_init(&n.loop), 0);
		ASSERT_OK(fallback_start(&n.loop, &cfg, sp[1], &n.f));
		c.loop = &n.loop; /* libuv >= 1.45: its io_uring goes */
	}
	ASSERT_OK(sandbox_enter(&c));
	if (!early) {
		ASSERT_EQ(uv_loop_init(&n.loop), 0);
		ASSERT_OK(fallback_start(&n.loop, &cfg, sp[1], &n.f));
	}
	check_arp(&n);
	check_ping(&n);
	check_udp(&n, udp, uport);
	check_tcp(&n, tcp, tport);
	if (dns >= 0)
		check_dns(&n, dns);
	check_hostfwd(&n);
	fallback_stop(n.f);
	uv_close((uv_handle_t *)&n.alive, NULL);
	ASSERT_EQ(uv_run(&n.loop, UV_RUN_DEFAULT), 0);
	ASSERT_EQ(uv_loop_close(&n.loop), 0);
	/* A normal exit, confined: atexit handlers and, in the sanitizer
	 * build, LeakSanitizer's check, which must stand down. */
	exit(0);
}

static void slirp_early_child(void)
{
	slirp_child(true);
}

static void slirp_late_child(void)
{
	slirp_child(false);
}

NBTEST(slirp_works_confined_started_before)
{
	expect_child_passes(slirp_early_child);
}

NBTEST(slirp_works_confined_started_inside)
{
	expect_child_passes(slirp_late_child);
}

/*
 * The fallback's process gets its tap with frames queued already (the
 * command runs by then): slirp reads them in the loop's first turn,
 * before it ever polled.  A datagram among them must still get its
 * answer: libslirp counts a UDP socket's expiry from its clock, which
 * only slirp_pollfds_poll() sets, and a socket made before the first
 * poll expired at once (its answer was dropped).
 */
static void slirp_queued_child(void)
{
	static const struct sandbox_file files[] = SANDBOX_SLIRP_FILES;
	struct sandbox_config c = { .files = files };
	struct fallback_config cfg;
	static struct net n;
	struct udp_case u = { 0 };
	int sp[2];

	fallback_config_default(&cfg);
	cfg.mtu = 1500;
	cfg.enable_host_loopback = true; /* 10.0.2.2 is 127.0.0.1 */
	n.guest = cfg.guest;
	n.gw = cfg.host;
	/* slirp's own address: 52:55 and the IPv4 address */
	n.gw_mac[0] = 0x52;
	n.gw_mac[1] = 0x55;
	memcpy(n.gw_mac + 2, &cfg.host, 4);
	u.fd = host_socket(SOCK_DGRAM, "127.0.0.1", &u.port);
	ASSERT_TRUE(u.fd >= 0);
	ASSERT_EQ(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sp), 0);
	n.tap = sp[0];
	become_unprivileged();
	ASSERT_OK(sandbox_enter(&c));
	send_arp_request(&n);
	send_udp(&n, n.gw, 40000, u.port, "ping");
	ASSERT_EQ(uv_loop_init(&n.loop), 0);
	ASSERT_OK(fallback_start(&n.loop, &cfg, sp[1], &n.f));
	ASSERT_TRUE(wait_frame(&n, is_pong, &u, udp_echo));
	ASSERT_TRUE(u.got);
	fallback_stop(n.f);
	uv_close((uv_handle_t *)&n.alive, NULL);
	ASSERT_EQ(uv_run(&n.loop, UV_RUN_DEFAULT), 0);
	ASSERT_EQ(uv_loop_close(&n.loop), 0);
	exit(0);
}

NBTEST(slirp_answers_frames_queued_before_start)
{
	expect_child_passes(slirp_queued_child);
}

static void cleanup(void)
{
	if (tmpdir[sizeof(tmpdir) - 7] == 'X')
		return; /* never made */
	unlink(home_file);
	unlink(resolv);
	rmdir(tmpdir);
}

int main(void)
{
	static const struct nbtest tests[] = {
		NBTEST_ENTRY(confined_refuses),
		NBTEST_ENTRY(no_capability_left),
		NBTEST_ENTRY(root_keeps_namespace),
		NBTEST_ENTRY(off_list_kills),
#ifdef __x86_64__
		NBTEST_ENTRY(foreign_abi_kills),
#endif
		NBTEST_ENTRY(slirp_works_confined_started_before),
		NBTEST_ENTRY(slirp_works_confined_started_inside),
		NBTEST_ENTRY(slirp_answers_frames_queued_before_start),
	};
	int r = nbtest_run(tests, ARRAY_SIZE(tests));

	cleanup();
	return r;
}
