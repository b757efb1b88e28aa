// SPDX-License-Identifier: Apache-2.0
/*
 * sockprobe.c - multi-call socket test client for the integration tests.
 *
 * "sockprobe MODE ARGS..." runs one probe inside the network namespace of
 * a container whose socket calls are intercepted by the seccomp agent.  A
 * probe either observes that the calls behave exactly as the plain kernel
 * would (flags, options, errnos, fd numbers) or attacks the interceptor
 * (hostile pointers and lengths, a TOCTOU rewrite of the address).  Each
 * mode ends with a last line "OK <detail>" on stdout and exit status 0,
 * or "FAIL <reason>" on stdout and exit status 1.  Usage errors give one
 * line on stderr and exit status 2.  Addresses are numeric IPv4 or IPv6.
 * Every blocking wait is bounded by a 5 s timeout, and alarm() bounds the
 * whole run so that a wedged interceptor cannot hang the test suite.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define TIMEOUT_MS 5000
#define SAFETY_SECS 60
#define CHILD_WAIT_MS 20000
#define BAD_FD 9999
#define BIG_OPTLEN (1 << 20)
#define PING "ping\n"

/* A parsed numeric socket address. */
struct addr {
	struct sockaddr_storage ss;
	socklen_t len;
};

/* A symbolic errno name and its value. */
struct errname {
	const char *name;
	int num;
};

/* The formatter would break this brace-initializer macro apart. */
/* clang-format off */
#define E(x) { #x, x }
/* clang-format on */
static const struct errname errnames[] = {
	E(EPERM),	 E(ENOENT),	     E(EINTR),
	E(EBADF),	 E(EAGAIN),	     E(ENOMEM),
	E(EACCES),	 E(EFAULT),	     E(EBUSY),
	E(EINVAL),	 E(ENFILE),	     E(EMFILE),
	E(EPIPE),	 E(ENOSYS),	     E(ENOTSOCK),
	E(EDESTADDRREQ), E(EMSGSIZE),	     E(EPROTOTYPE),
	E(ENOPROTOOPT),	 E(EPROTONOSUPPORT), E(ESOCKTNOSUPPORT),
	E(EOPNOTSUPP),	 E(EPFNOSUPPORT),    E(EAFNOSUPPORT),
	E(EADDRINUSE),	 E(EADDRNOTAVAIL),   E(ENETDOWN),
	E(ENETUNREACH),	 E(ENETRESET),	     E(ECONNABORTED),
	E(ECONNRESET),	 E(ENOBUFS),	     E(EISCONN),
	E(ENOTCONN),	 E(ETIMEDOUT),	     E(ECONNREFUSED),
	E(EHOSTDOWN),	 E(EHOSTUNREACH),    E(EALREADY),
	E(EINPROGRESS),
};
#undef E

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Map an errno value to its symbolic name; "0" for success. */
static const char *errno_name(int err)
{
	static __thread char buf[24];
	size_t i;

	if (err == 0)
		return "0";
	for (i = 0; i < ARRAY_SIZE(errnames); i++)
		if (errnames[i].num == err)
			return errnames[i].name;
	snprintf(buf, sizeof(buf), "errno%d", err);
	return buf;
}

/* Map a symbolic errno name (or "0") to its value; -1 if unknown. */
static int errno_value(const char *name)
{
	size_t i;

	if (strcmp(name, "0") == 0)
		return 0;
	for (i = 0; i < ARRAY_SIZE(errnames); i++)
		if (strcmp(errnames[i].name, name) == 0)
			return errnames[i].num;
	return -1;
}

/* Print "FAIL <reason>" as the last line and exit 1. */
static void __attribute__((noreturn, format(printf, 1, 2)))
fail(const char *fmt, ...)
{
	va_list ap;

	fputs("FAIL ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	exit(1);
}

/* Fail with the name and text of an errno value. */
static void __attribute__((noreturn)) fail_errno(const char *what, int err)
{
	fail("%s: %s (%s)", what, errno_name(err), strerror(err));
}

/* Print one usage error line on stderr and exit 2. */
static void __attribute__((noreturn, format(printf, 1, 2)))
usage(const char *fmt, ...)
{
	va_list ap;

	fputs("sockprobe: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

/* SIGALRM handler: the global safety net fired, report and leave. */
static void on_alarm(int sig)
{
	static const char msg[] = "FAIL timeout: safety alarm fired\n";
	ssize_t n;

	(void)sig;
	n = write(STDOUT_FILENO, msg, sizeof(msg) - 1);
	(void)n;
	_exit(1);
}

/* Parse a decimal number in [min, max] or exit with a usage error. */
static unsigned long parse_num(const char *s, unsigned long min,
			       unsigned long max, const char *what)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || v < min || v > max)
		usage("bad %s '%s'", what, s);
	return v;
}

/* Parse numeric HOST and PORT into @a, IPv4 or IPv6. */
static void parse_addr(const char *host, const char *port, struct addr *a)
{
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&a->ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&a->ss;
	uint16_t p = (uint16_t)parse_num(port, 0, 65535, "port");

	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(p);
		a->len = sizeof(*sin);
	} else if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(p);
		a->len = sizeof(*sin6);
	} else {
		usage("bad numeric address '%s'", host);
	}
}

/* Parse HOST and PORT that must be IPv4 into @sin. */
static void parse_addr4(const char *host, const char *port,
			struct sockaddr_in *sin)
{
	struct addr a;

	parse_addr(host, port, &a);
	if (a.ss.ss_family != AF_INET)
		usage("this mode needs an IPv4 address, got '%s'", host);
	memcpy(sin, &a.ss, sizeof(*sin));
}

/* Format a socket address as "a.b.c.d:port" or "[v6]:port". */
static void fmt_addr(const struct sockaddr *sa, char *buf, size_t len)
{
	const struct sockaddr_in6 *sin6 = (const void *)sa;
	const struct sockaddr_in *sin = (const void *)sa;
	char ip[INET6_ADDRSTRLEN];

	if (sa->sa_family == AF_INET) {
		inet_ntop(AF_INET, &sin->sin_addr, ip, sizeof(ip));
		snprintf(buf, len, "%s:%u", ip, ntohs(sin->sin_port));
	} else if (sa->sa_family == AF_INET6) {
		inet_ntop(AF_INET6, &sin6->sin6_addr, ip, sizeof(ip));
		snprintf(buf, len, "[%s]:%u", ip, ntohs(sin6->sin6_port));
	} else {
		snprintf(buf, len, "family%d", sa->sa_family);
	}
}

/* Bound blocking send/recv/connect on @fd by the 5 s timeout. */
static int set_timeouts(int fd)
{
	struct timeval tv = { .tv_sec = TIMEOUT_MS / 1000 };

	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0)
		return -1;
	return 0;
}

/* Create a socket with timeouts set, or fail the probe. */
static int must_socket(int family, int type)
{
	int fd = socket(family, type, 0);

	if (fd < 0)
		fail_errno("socket", errno);
	if (set_timeouts(fd) < 0)
		fail_errno("setsockopt timeouts", errno);
	return fd;
}

/* Wait up to the timeout for @events on @fd; 0 ready, -1 with errno. */
static int wait_fd(int fd, short events)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	int rc;

	do {
		rc = poll(&pfd, 1, TIMEOUT_MS);
	} while (rc < 0 && errno == EINTR);
	if (rc == 0)
		errno = ETIMEDOUT;
	return rc > 0 ? 0 : -1;
}

/* Format "what: ENAME (text)" into @msg and return -1. */
static int errmsg(char *msg, size_t len, const char *what, int err)
{
	snprintf(msg, len, "%s: %s (%s)", what, errno_name(err), strerror(err));
	return -1;
}

/* Connect, send a ping, read the echo; peer or error text into @msg. */
static int echo_client(const struct addr *a, char *msg, size_t len)
{
	struct sockaddr_storage peer;
	socklen_t plen = sizeof(peer);
	char buf[64];
	ssize_t n;
	int fd, rc = -1;

	fd = socket(a->ss.ss_family, SOCK_STREAM, 0);
	if (fd < 0)
		return errmsg(msg, len, "socket", errno);
	if (set_timeouts(fd) < 0)
		errmsg(msg, len, "setsockopt timeouts", errno);
	else if (connect(fd, (const void *)&a->ss, a->len) < 0)
		errmsg(msg, len,
		       errno == EINPROGRESS ? "connect timeout" : "connect",
		       errno);
	else if (getpeername(fd, (void *)&peer, &plen) < 0)
		errmsg(msg, len, "getpeername", errno);
	else if ((n = send(fd, PING, strlen(PING), MSG_NOSIGNAL)) < 0)
		errmsg(msg, len, "send", errno);
	else if (n != (ssize_t)strlen(PING))
		snprintf(msg, len, "send: short write %zd", n);
	else if ((n = recv(fd, buf, sizeof(buf), 0)) < 0)
		errmsg(msg, len, errno == EAGAIN ? "recv timeout" : "recv",
		       errno);
	else if (n == 0)
		snprintf(msg, len, "recv: connection closed before reply");
	else
		rc = 0;
	if (rc == 0)
		fmt_addr((void *)&peer, msg, len);
	close(fd);
	return rc;
}

/* Mode tcp-echo: blocking connect, ping, echo; print the peer. */
static int mode_tcp_echo(char **av)
{
	char msg[256];
	struct addr a;

	parse_addr(av[0], av[1], &a);
	if (echo_client(&a, msg, sizeof(msg)) < 0)
		fail("%s", msg);
	printf("OK %s\n", msg);
	return 0;
}

/* Fail unless O_NONBLOCK is still set on @fd. */
static void check_nonblock(int fd, const char *when)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0)
		fail_errno("fcntl F_GETFL", errno);
	if (!(fl & O_NONBLOCK))
		fail("O_NONBLOCK cleared %s", when);
}

/* Mode tcp-nonblock: non-blocking connect, poll, SO_ERROR, echo. */
static int mode_tcp_nonblock(char **av)
{
	socklen_t elen = sizeof(int);
	char buf[64];
	struct addr a;
	int fd, err;
	ssize_t n;

	parse_addr(av[0], av[1], &a);
	fd = socket(a.ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (fd < 0)
		fail_errno("socket", errno);
	if (connect(fd, (void *)&a.ss, a.len) < 0 && errno != EINPROGRESS)
		fail_errno("connect", errno);
	check_nonblock(fd, "by connect");
	if (wait_fd(fd, POLLOUT) < 0)
		fail_errno("poll POLLOUT", errno);
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0)
		fail_errno("getsockopt SO_ERROR", errno);
	if (err)
		fail_errno("SO_ERROR", err);
	check_nonblock(fd, "after connect completed");
	n = send(fd, PING, strlen(PING), MSG_NOSIGNAL);
	if (n < 0)
		fail_errno("send", errno);
	if (n != (ssize_t)strlen(PING))
		fail("send: short write %zd", n);
	if (wait_fd(fd, POLLIN) < 0)
		fail_errno("poll POLLIN", errno);
	n = recv(fd, buf, sizeof(buf), 0);
	if (n < 0)
		fail_errno("recv", errno);
	if (n == 0)
		fail("recv: connection closed before reply");
	close(fd);
	printf("OK nonblock\n");
	return 0;
}

/* Blocking connect to @a that must fail with @want; print OK @label. */
static int expect_connect_errno(const struct addr *a, int want,
				const char *label)
{
	int fd = must_socket(a->ss.ss_family, SOCK_STREAM);
	int err = 0;

	if (connect(fd, (const void *)&a->ss, a->len) < 0)
		err = errno;
	close(fd);
	if (err == 0)
		fail("connect succeeded, want %s", errno_name(want));
	if (err != want)
		fail("connect: got %s (%s) want %s", errno_name(err),
		     strerror(err), errno_name(want));
	printf("OK %s\n", label);
	return 0;
}

/* Mode tcp-refused: blocking connect must fail with ECONNREFUSED. */
static int mode_tcp_refused(char **av)
{
	struct addr a;

	parse_addr(av[0], av[1], &a);
	return expect_connect_errno(&a, ECONNREFUSED, "refused");
}

/* Mode connect-errno: blocking connect must fail with the named errno. */
static int mode_connect_errno(char **av)
{
	int want = errno_value(av[2]);
	struct addr a;

	parse_addr(av[0], av[1], &a);
	if (want <= 0)
		usage("unknown errno name '%s'", av[2]);
	return expect_connect_errno(&a, want, av[2]);
}

/*
 * The address shared with the flipper thread.  Both variants differ only
 * in the first 8 bytes (family, port, IPv4 address; sin_zero is zero in
 * both), so one aligned 8-byte atomic store switches between two whole,
 * valid addresses and the kernel never sees a torn mix of the two.
 */
union race_addr {
	struct sockaddr_in sin;
	uint64_t w[2];
};

_Static_assert(sizeof(struct sockaddr_in) == 16, "sockaddr_in is 16 bytes");

static union race_addr race_shared __attribute__((aligned(16)));
static uint64_t race_word[2];
static int race_stop;

/* Flipper thread: rewrite the shared address as fast as possible. */
static void *race_flipper(void *arg)
{
	(void)arg;
	while (!__atomic_load_n(&race_stop, __ATOMIC_RELAXED)) {
		__atomic_store_n(&race_shared.w[0], race_word[0],
				 __ATOMIC_RELAXED);
		__atomic_store_n(&race_shared.w[0], race_word[1],
				 __ATOMIC_RELAXED);
	}
	return NULL;
}

/* Remember up to three distinct "other" errnos of the race. */
static void race_note_other(int *seen, int err)
{
	int i;

	for (i = 0; i < 3; i++) {
		if (seen[i] == err)
			return;
		if (seen[i] == 0) {
			seen[i] = err;
			return;
		}
	}
}

/* Compare address and port of two IPv4 socket addresses. */
static int same_sin(const struct sockaddr_in *a, const struct sockaddr_in *b)
{
	return a->sin_addr.s_addr == b->sin_addr.s_addr &&
	       a->sin_port == b->sin_port;
}

/* Mode race: connect while another thread flips the address (TOCTOU). */
static int mode_race(char **av)
{
	unsigned long i, count, host = 0, loop = 0, refused = 0, other = 0;
	struct sockaddr_in hsin, lsin, peer;
	union race_addr tmp;
	int seen[3] = { 0 };
	pthread_t thr;
	socklen_t plen;
	char buf[64];
	int fd, rc;

	parse_addr4(av[0], av[1], &hsin);
	parse_addr4("127.0.0.1", av[2], &lsin);
	count = parse_num(av[3], 1, 100000000, "count");

	memcpy(&tmp.sin, &hsin, sizeof(hsin));
	race_word[0] = tmp.w[0];
	memcpy(&tmp.sin, &lsin, sizeof(lsin));
	race_word[1] = tmp.w[0];
	memcpy(&race_shared.sin, &hsin, sizeof(hsin));

	rc = pthread_create(&thr, NULL, race_flipper, NULL);
	if (rc)
		fail_errno("pthread_create", rc);
	for (i = 0; i < count; i++) {
		fd = socket(AF_INET, SOCK_STREAM, 0);
		if (fd < 0 || set_timeouts(fd) < 0)
			fail_errno("socket setup", errno);
		if (connect(fd, (void *)&race_shared.sin,
			    sizeof(race_shared.sin)) < 0) {
			if (errno == ECONNREFUSED) {
				refused++;
			} else {
				other++;
				race_note_other(seen, errno);
			}
			close(fd);
			continue;
		}
		plen = sizeof(peer);
		if (getpeername(fd, (void *)&peer, &plen) < 0) {
			other++;
			race_note_other(seen, errno);
		} else if (same_sin(&peer, &hsin)) {
			host++;
		} else if (same_sin(&peer, &lsin)) {
			loop++;
		} else {
			other++;
			fmt_addr((void *)&peer, buf, sizeof(buf));
			fprintf(stderr, "race: unexpected peer %s\n", buf);
		}
		close(fd);
	}
	__atomic_store_n(&race_stop, 1, __ATOMIC_RELAXED);
	pthread_join(thr, NULL);
	for (i = 0; i < 3 && seen[i]; i++)
		fprintf(stderr, "race: other error: %s (%s)\n",
			errno_name(seen[i]), strerror(seen[i]));
	printf("OK host=%lu loop=%lu refused=%lu other=%lu\n", host, loop,
	       refused, other);
	return 0;
}

/* One socket option checked by the sockopt mode. */
struct optdesc {
	const char *name;
	int level;
	int opt;
	int val;   /* value to set; SO_LINGER: the time; SO_RCVTIMEO: seconds */
	int buf;   /* kernel adjusts it: compare to the pre-connect read */
	int fam;   /* only on sockets of this family, 0: any */
	int reset; /* then set back to 0, the default */
};

static const struct optdesc sockopts[] = {
	{ "SO_REUSEADDR", SOL_SOCKET, SO_REUSEADDR, 1, 0, 0, 0 },
	{ "SO_KEEPALIVE", SOL_SOCKET, SO_KEEPALIVE, 1, 0, 0, 0 },
	{ "TCP_NODELAY", IPPROTO_TCP, TCP_NODELAY, 1, 0, 0, 0 },
	{ "TCP_KEEPIDLE", IPPROTO_TCP, TCP_KEEPIDLE, 77, 0, 0, 0 },
	{ "TCP_KEEPINTVL", IPPROTO_TCP, TCP_KEEPINTVL, 11, 0, 0, 0 },
	{ "TCP_KEEPCNT", IPPROTO_TCP, TCP_KEEPCNT, 5, 0, 0, 0 },
	{ "SO_SNDBUF", SOL_SOCKET, SO_SNDBUF, 65536, 1, 0, 0 },
	{ "SO_RCVBUF", SOL_SOCKET, SO_RCVBUF, 100000, 1, 0, 0 },
	{ "SO_LINGER", SOL_SOCKET, SO_LINGER, 7, 0, 0, 0 },
	{ "SO_RCVTIMEO", SOL_SOCKET, SO_RCVTIMEO, 3, 0, 0, 0 },
	{ "TCP_USER_TIMEOUT", IPPROTO_TCP, TCP_USER_TIMEOUT, 12345, 0, 0, 0 },
	{ "IP_TOS", IPPROTO_IP, IP_TOS, 0x10, 0, AF_INET, 0 },
	{ "IPV6_TCLASS", IPPROTO_IPV6, IPV6_TCLASS, 0x20, 0, AF_INET6, 0 },
	{ "IPV6_V6ONLY", IPPROTO_IPV6, IPV6_V6ONLY, 1, 0, AF_INET6, 0 },
	{ "SO_OOBINLINE", SOL_SOCKET, SO_OOBINLINE, 1, 0, 0, 1 },
	{ "TCP_NOTSENT_LOWAT", IPPROTO_TCP, TCP_NOTSENT_LOWAT, 4096, 0, 0, 1 },
};

static int is_opt(const struct optdesc *d, int level, int opt)
{
	return d->level == level && d->opt == opt;
}

/* Option @d on @fd set to its table value (and back to 0), or fail. */
static void opt_set(int fd, const struct optdesc *d)
{
	struct linger lg = { .l_onoff = 1, .l_linger = d->val };
	struct timeval tv = { .tv_sec = d->val, .tv_usec = 500000 };
	const void *p = &d->val;
	socklen_t len = sizeof(int);
	int zero = 0;

	if (is_opt(d, SOL_SOCKET, SO_LINGER)) {
		p = &lg;
		len = sizeof(lg);
	} else if (is_opt(d, SOL_SOCKET, SO_RCVTIMEO)) {
		p = &tv;
		len = sizeof(tv);
	}
	if (setsockopt(fd, d->level, d->opt, p, len) < 0 ||
	    (d->reset &&
	     setsockopt(fd, d->level, d->opt, &zero, sizeof(zero)) < 0))
		fail_errno(d->name, errno);
}

/* What opt_set() should read back, as opt_get() writes it. */
static void opt_expected(const struct optdesc *d, char *out, size_t len)
{
	if (d->reset)
		snprintf(out, len, "0");
	else if (is_opt(d, SOL_SOCKET, SO_LINGER))
		snprintf(out, len, "1/%d", d->val);
	else if (is_opt(d, SOL_SOCKET, SO_RCVTIMEO))
		snprintf(out, len, "%d.500000", d->val);
	else
		snprintf(out, len, "%d", d->val);
}

/* Read option @d of @fd as text into @out (linger as "onoff/secs",
 * a timeout as "secs.usecs"). */
static void opt_get(int fd, const struct optdesc *d, char *out, size_t len)
{
	struct linger lg;
	struct timeval tv;
	socklen_t l;
	int v;

	if (is_opt(d, SOL_SOCKET, SO_LINGER)) {
		l = sizeof(lg);
		if (getsockopt(fd, d->level, d->opt, &lg, &l) < 0)
			fail_errno(d->name, errno);
		snprintf(out, len, "%d/%d", lg.l_onoff, lg.l_linger);
		return;
	}
	if (is_opt(d, SOL_SOCKET, SO_RCVTIMEO)) {
		l = sizeof(tv);
		if (getsockopt(fd, d->level, d->opt, &tv, &l) < 0)
			fail_errno(d->name, errno);
		snprintf(out, len, "%ld.%06ld", (long)tv.tv_sec,
			 (long)tv.tv_usec);
		return;
	}
	l = sizeof(v);
	if (getsockopt(fd, d->level, d->opt, &v, &l) < 0)
		fail_errno(d->name, errno);
	snprintf(out, len, "%d", v);
}

/* Fail unless integer SOL_SOCKET option @opt of @fd equals @want. */
static void check_sol_int(int fd, int opt, const char *name, int want)
{
	socklen_t l = sizeof(int);
	int v;

	if (getsockopt(fd, SOL_SOCKET, opt, &v, &l) < 0)
		fail_errno(name, errno);
	if (v != want)
		fail("%s before=%d after=%d", name, want, v);
}

/* Mode sockopt: options set before connect must survive the connect. */
static int mode_sockopt(char **av)
{
	char before[ARRAY_SIZE(sockopts)][32], after[32], set[32];
	const struct optdesc *d;
	struct addr a;
	size_t i;
	int fd, fam;

	parse_addr(av[0], av[1], &a);
	fam = a.ss.ss_family;
	fd = socket(fam, SOCK_STREAM, IPPROTO_TCP);
	if (fd < 0)
		fail_errno("socket", errno);
	if (set_timeouts(fd) < 0)
		fail_errno("setsockopt timeouts", errno);
	for (i = 0; i < ARRAY_SIZE(sockopts); i++) {
		d = &sockopts[i];
		if (d->fam && fam != d->fam)
			continue;
		opt_set(fd, d);
		opt_get(fd, d, before[i], sizeof(before[i]));
		opt_expected(d, set, sizeof(set));
		if (!d->buf && strcmp(set, before[i]) != 0)
			fail("%s set=%s got=%s", d->name, set, before[i]);
	}
	if (connect(fd, (void *)&a.ss, a.len) < 0)
		fail_errno("connect", errno);
	for (i = 0; i < ARRAY_SIZE(sockopts); i++) {
		d = &sockopts[i];
		if (d->fam && fam != d->fam)
			continue;
		opt_get(fd, d, after, sizeof(after));
		if (strcmp(before[i], after) != 0)
			fail("%s before=%s after=%s", d->name, before[i],
			     after);
	}
	check_sol_int(fd, SO_DOMAIN, "SO_DOMAIN", fam);
	check_sol_int(fd, SO_TYPE, "SO_TYPE", SOCK_STREAM);
	check_sol_int(fd, SO_PROTOCOL, "SO_PROTOCOL", IPPROTO_TCP);
	close(fd);
	printf("OK sockopt\n");
	return 0;
}

/* Mode optrace: SO_RCVBUF set from memory another thread rewrites (4096
 * and 1 MiB, as fast as it can) COUNT times, each socket then switched:
 * the switched socket must hold the size the container's socket had,
 * whichever value the kernel read. */
static int mode_optrace(char **av)
{
	unsigned long i, count, small = 0;
	pthread_t thr;
	struct addr a;
	int rc;

	parse_addr(av[0], av[1], &a);
	count = parse_num(av[2], 1, 100000, "count");
	race_word[0] = 4096;
	race_word[1] = 1 << 20;
	race_shared.w[0] = race_word[0];
	rc = pthread_create(&thr, NULL, race_flipper, NULL);
	if (rc)
		fail_errno("pthread_create", rc);
	for (i = 0; i < count; i++) {
		int fd = must_socket(a.ss.ss_family, SOCK_STREAM), before,
		    after;
		socklen_t l = sizeof(int);

		if (setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &race_shared.w[0],
			       sizeof(int)) < 0)
			fail_errno("setsockopt SO_RCVBUF", errno);
		if (getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &before, &l) < 0)
			fail_errno("getsockopt SO_RCVBUF", errno);
		if (connect(fd, (void *)&a.ss, a.len) < 0)
			fail_errno("connect", errno);
		l = sizeof(int);
		if (getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &after, &l) < 0)
			fail_errno("getsockopt SO_RCVBUF", errno);
		if (before != after)
			fail("SO_RCVBUF before=%d after=%d (try %lu)", before,
			     after, i);
		small += before < 65536;
		close(fd);
	}
	__atomic_store_n(&race_stop, 1, __ATOMIC_RELAXED);
	pthread_join(thr, NULL);
	printf("OK optrace %lu (%lu small)\n", count, small);
	return 0;
}

/* Fail unless @fd has FD_CLOEXEC == @cloexec, is blocking and connected. */
static void check_fd_flags(int fd, int cloexec, const char *which)
{
	struct sockaddr_storage peer;
	socklen_t plen = sizeof(peer);
	int fdfl = fcntl(fd, F_GETFD);
	int fl = fcntl(fd, F_GETFL);

	if (fdfl < 0 || fl < 0)
		fail_errno("fcntl", errno);
	if (!!(fdfl & FD_CLOEXEC) != cloexec)
		fail("%s socket: FD_CLOEXEC is %s after connect", which,
		     cloexec ? "clear" : "set");
	if (fl & O_NONBLOCK)
		fail("%s socket: O_NONBLOCK set after connect", which);
	if (getpeername(fd, (void *)&peer, &plen) < 0)
		fail("%s socket: fd %d not connected after connect: %s", which,
		     fd, errno_name(errno));
}

/* Create a blocking socket with @flags, connect it and check its flags. */
static void flags_one(const struct addr *a, int flags, const char *which)
{
	int fd = must_socket(a->ss.ss_family, SOCK_STREAM | flags);

	if (connect(fd, (const void *)&a->ss, a->len) < 0)
		fail_errno("connect", errno);
	check_fd_flags(fd, !!(flags & SOCK_CLOEXEC), which);
	close(fd);
}

/* Mode flags: connect must keep the fd number, FD_CLOEXEC and blocking. */
static int mode_flags(char **av)
{
	struct addr a;

	parse_addr(av[0], av[1], &a);
	flags_one(&a, SOCK_CLOEXEC, "cloexec");
	flags_one(&a, 0, "plain");
	printf("OK flags\n");
	return 0;
}

/* Mode udp-echo: connected UDP socket, send a ping, wait for the echo. */
static int mode_udp_echo(char **av)
{
	struct sockaddr_storage peer;
	socklen_t plen = sizeof(peer);
	char buf[256];
	struct addr a;
	ssize_t n;
	int fd;

	parse_addr(av[0], av[1], &a);
	fd = must_socket(a.ss.ss_family, SOCK_DGRAM);
	if (connect(fd, (void *)&a.ss, a.len) < 0)
		fail_errno("connect", errno);
	if (send(fd, "ping", 4, 0) != 4)
		fail_errno("send", errno);
	if (wait_fd(fd, POLLIN) < 0)
		fail_errno("poll POLLIN", errno);
	n = recv(fd, buf, sizeof(buf), 0);
	if (n < 0)
		fail_errno("recv", errno);
	if (getpeername(fd, (void *)&peer, &plen) < 0)
		fail_errno("getpeername", errno);
	close(fd);
	fmt_addr((void *)&peer, buf, sizeof(buf));
	printf("OK %s\n", buf);
	return 0;
}

/* State shared by the badinput cases. */
struct bad_ctx {
	struct sockaddr_in sin; /* valid HOST:PORT */
	char *page;		/* starts with HOST:PORT, then comes hole */
	char *hole;		/* the PROT_NONE page */
	char *big;		/* BIG_OPTLEN bytes, starting with int 1 */
	int mismatches;
};

/* Print one case line and count it if @got differs from @want. */
static void bad_report(struct bad_ctx *c, const char *name, int got, int want)
{
	printf("case %s: got %s want %s\n", name, errno_name(got),
	       errno_name(want));
	if (got != want)
		c->mismatches++;
}

/* Raw connect(2) with the arguments passed through untouched. */
static int raw_connect(int fd, const void *addr, long len)
{
	return syscall(SYS_connect, (long)fd, addr, len) < 0 ? errno : 0;
}

/* Raw setsockopt(2) with the arguments passed through untouched. */
static int raw_setsockopt(int fd, int level, int opt, const void *val, long len)
{
	return syscall(SYS_setsockopt, (long)fd, (long)level, (long)opt, val,
		       len) < 0 ?
		       errno :
		       0;
}

/* Run one connect case on a fresh AF_INET socket. */
static void bad_connect(struct bad_ctx *c, const char *name, const void *addr,
			long len, int want)
{
	int fd = must_socket(AF_INET, SOCK_STREAM);

	bad_report(c, name, raw_connect(fd, addr, len), want);
	close(fd);
}

/* Run one setsockopt case at @level on a fresh AF_INET TCP socket. */
static void bad_setsockopt_at(struct bad_ctx *c, const char *name, int level,
			      int opt, const void *val, long len, int want)
{
	int fd = must_socket(AF_INET, SOCK_STREAM);

	bad_report(c, name, raw_setsockopt(fd, level, opt, val, len), want);
	close(fd);
}

/* Run one SOL_SOCKET setsockopt case on a fresh AF_INET socket. */
static void bad_setsockopt(struct bad_ctx *c, const char *name, int opt,
			   const void *val, long len, int want)
{
	bad_setsockopt_at(c, name, SOL_SOCKET, opt, val, len, want);
}

/* Map a readable page followed by an inaccessible one, and a big buffer. */
static void bad_setup(struct bad_ctx *c)
{
	long pg = sysconf(_SC_PAGESIZE);
	char *m;

	m = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		fail_errno("mmap", errno);
	if (mprotect(m + pg, pg, PROT_NONE) < 0)
		fail_errno("mprotect", errno);
	c->page = m;
	c->hole = m + pg;
	memcpy(c->page, &c->sin, sizeof(c->sin));
	c->big = calloc(1, BIG_OPTLEN);
	if (!c->big)
		fail_errno("calloc", ENOMEM);
	*(int *)c->big = 1;
	if (fcntl(BAD_FD, F_GETFD) >= 0 || errno != EBADF)
		fail("fd %d is open, cannot use it as a bad fd", BAD_FD);
}

/* The connect(2) cases of badinput. */
static void bad_connect_cases(struct bad_ctx *c)
{
	struct sockaddr_in6 sin6 = {
		.sin6_family = AF_INET6,
		.sin6_port = c->sin.sin_port,
		.sin6_addr = IN6ADDR_LOOPBACK_INIT,
	};
	struct sockaddr_in odd = c->sin;
	char *edge = c->hole - 8;
	int p[2], err;

	bad_connect(c, "connect-null-addr", NULL, 16, EFAULT);
	bad_connect(c, "connect-unmapped-addr", c->hole, 16, EFAULT);
	memcpy(edge, &c->sin, 8);
	bad_connect(c, "connect-addr-crosses-page", edge, 16, EFAULT);
	bad_connect(c, "connect-addrlen-0", &c->sin, 0, EINVAL);
	bad_connect(c, "connect-addrlen-1", &c->sin, 1, EINVAL);
	bad_connect(c, "connect-addrlen-4096", c->page, 4096, EINVAL);
	bad_connect(c, "connect-addrlen-minus-1", &c->sin, -1, EINVAL);
	odd.sin_family = 0x7777;
	bad_connect(c, "connect-family-0x7777", &odd, 16, EAFNOSUPPORT);
	bad_connect(c, "connect-inet6-on-inet", &sin6, sizeof(sin6),
		    EAFNOSUPPORT);
	bad_report(c, "connect-bad-fd",
		   raw_connect(BAD_FD, &c->sin, sizeof(c->sin)), EBADF);
	if (pipe(p) < 0)
		fail_errno("pipe", errno);
	err = raw_connect(p[0], &c->sin, sizeof(c->sin));
	bad_report(c, "connect-on-pipe", err, ENOTSOCK);
	close(p[0]);
	close(p[1]);
}

/* The setsockopt(2) cases of badinput. */
static void bad_setsockopt_cases(struct bad_ctx *c)
{
	int one = 1;

	bad_setsockopt(c, "setsockopt-keepalive-optlen-1", SO_KEEPALIVE, &one,
		       1, EINVAL);
	bad_setsockopt(c, "setsockopt-keepalive-null", SO_KEEPALIVE, NULL, 4,
		       EFAULT);
	bad_setsockopt(c, "setsockopt-keepalive-optlen-1MiB", SO_KEEPALIVE,
		       c->big, BIG_OPTLEN, 0);
	bad_setsockopt(c, "setsockopt-keepalive-optlen-minus-1", SO_KEEPALIVE,
		       &one, -1, EINVAL);
	bad_report(c, "setsockopt-nodelay-bad-fd",
		   raw_setsockopt(BAD_FD, IPPROTO_TCP, TCP_NODELAY, &one,
				  sizeof(one)),
		   EBADF);
	bad_setsockopt(c, "setsockopt-linger-optlen-4", SO_LINGER, &one, 4,
		       EINVAL);
	bad_setsockopt(c, "setsockopt-rcvtimeo-unmapped", SO_RCVTIMEO, c->hole,
		       16, EFAULT);
	/* The kernel checks these values, not the agent (it answers
	 * CONTINUE): the errno is the kernel's. */
	bad_setsockopt(c, "setsockopt-rcvbuf-optlen-2", SO_RCVBUF, &one, 2,
		       EINVAL);
	bad_setsockopt_at(c, "setsockopt-maxseg-1", IPPROTO_TCP, TCP_MAXSEG,
			  &one, sizeof(one), EINVAL);
	bad_setsockopt_at(c, "setsockopt-user-timeout-minus-1", IPPROTO_TCP,
			  TCP_USER_TIMEOUT, &(int){ -1 }, sizeof(int), EINVAL);
	bad_setsockopt_at(c, "setsockopt-ttl-1000", IPPROTO_IP, IP_TTL,
			  &(int){ 1000 }, sizeof(int), EINVAL);
	bad_setsockopt_at(c, "setsockopt-tclass-on-inet", IPPROTO_IPV6,
			  IPV6_TCLASS, &one, sizeof(one), ENOPROTOOPT);
}

/* Mode badinput: hostile connect/setsockopt arguments keep kernel errnos. */
static int mode_badinput(char **av)
{
	struct bad_ctx c = { .mismatches = 0 };
	int fd, err = 0;

	parse_addr4(av[0], av[1], &c.sin);
	bad_setup(&c);
	bad_connect_cases(&c);
	bad_setsockopt_cases(&c);

	fd = must_socket(AF_INET, SOCK_STREAM);
	if (connect(fd, (void *)&c.sin, sizeof(c.sin)) < 0)
		err = errno;
	close(fd);
	bad_report(&c, "alive-after", err, 0);

	free(c.big);
	if (c.mismatches)
		fail("badinput %d mismatches", c.mismatches);
	printf("OK badinput\n");
	return 0;
}

/* Mode many: COUNT sequential connects, all of which must succeed. */
static int mode_many(char **av)
{
	unsigned long i, count, failed = 0, first_at = 0;
	int fd, first = 0, err;
	struct addr a;

	parse_addr(av[0], av[1], &a);
	count = parse_num(av[2], 1, 100000000, "count");
	for (i = 0; i < count; i++) {
		err = 0;
		fd = socket(a.ss.ss_family, SOCK_STREAM, 0);
		if (fd < 0 || set_timeouts(fd) < 0 ||
		    connect(fd, (void *)&a.ss, a.len) < 0)
			err = errno;
		if (fd >= 0)
			close(fd);
		if (err && !failed++) {
			first = err;
			first_at = i;
		}
	}
	if (failed)
		fail("many failed=%lu/%lu first=%s (%s) at %lu", failed, count,
		     errno_name(first), strerror(first), first_at);
	printf("OK many=%lu\n", count);
	return 0;
}

/* Argument and result of the threaded mode's worker. */
struct thread_job {
	struct addr a;
	int rc;
	char msg[256];
};

/* Worker thread: run the tcp-echo sequence off the leader thread. */
static void *echo_thread(void *arg)
{
	struct thread_job *job = arg;

	job->rc = echo_client(&job->a, job->msg, sizeof(job->msg));
	return NULL;
}

/* Mode threaded: tcp-echo from a non-leader thread. */
static int mode_threaded(char **av)
{
	struct thread_job job = { .rc = -1 };
	pthread_t thr;
	int rc;

	parse_addr(av[0], av[1], &job.a);
	rc = pthread_create(&thr, NULL, echo_thread, &job);
	if (rc)
		fail_errno("pthread_create", rc);
	pthread_join(thr, NULL);
	if (job.rc < 0)
		fail("thread: %s", job.msg);
	printf("OK threaded\n");
	return 0;
}

/* Sleep for @ms milliseconds. */
static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Mode forkexec: re-exec ourselves as "tcp-echo" in a child. */
static int mode_forkexec(char **av)
{
	char *cargv[] = { "sockprobe", "tcp-echo", av[0], av[1], NULL };
	struct addr a;
	int status;
	long waited;
	pid_t pid, r;

	parse_addr(av[0], av[1], &a);
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		fail_errno("fork", errno);
	if (pid == 0) {
		execv("/proc/self/exe", cargv);
		printf("FAIL exec /proc/self/exe: %s\n", strerror(errno));
		fflush(stdout);
		_exit(127);
	}
	for (waited = 0;; waited += 10) {
		r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			break;
		if (r < 0 && errno != EINTR)
			fail_errno("waitpid", errno);
		if (waited >= CHILD_WAIT_MS) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			fail("child timed out");
		}
		sleep_ms(10);
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail("child status 0x%x", status);
	printf("OK forkexec\n");
	return 0;
}

/* Milliseconds on the monotonic clock. */
static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* A blocking connect bounded by SO_SNDTIMEO = @ms; returns its errno. */
static int timed_connect(const struct addr *a, long ms, long *ret_elapsed)
{
	struct timeval tv = { .tv_sec = ms / 1000,
			      .tv_usec = (ms % 1000) * 1000 };
	long t0;
	int fd, err = 0;

	fd = socket(a->ss.ss_family, SOCK_STREAM, 0);
	if (fd < 0)
		return errno;
	if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0) {
		err = errno;
		close(fd);
		return err;
	}
	t0 = now_ms();
	if (connect(fd, (const void *)&a->ss, a->len) < 0)
		err = errno;
	*ret_elapsed = now_ms() - t0;
	close(fd);
	return err;
}

/* Mode sndtimeo: a blocking connect to a host that never answers ends
 * with EINPROGRESS once SO_SNDTIMEO (MS) has run out, as Linux does. */
static int mode_sndtimeo(char **av)
{
	long ms = (long)parse_num(av[2], 100, 20000, "milliseconds"), took;
	struct addr a;
	int err;

	parse_addr(av[0], av[1], &a);
	err = timed_connect(&a, ms, &took);
	if (err != EINPROGRESS)
		fail("connect: got %s, want EINPROGRESS", errno_name(err));
	if (took < ms * 9 / 10)
		fail("connect returned after %ld ms, before SO_SNDTIMEO %ld ms",
		     took, ms);
	printf("OK sndtimeo %ld ms\n", took);
	return 0;
}

struct slow_job {
	struct addr a;
	int err;
	volatile int done;
};

static void *slow_thread(void *arg)
{
	struct slow_job *job = arg;
	long took;

	job->err = timed_connect(&job->a, 3000, &took);
	job->done = 1;
	return NULL;
}

/* Mode slow-fast: while one thread's connect hangs (SLOW never answers),
 * another thread's connect to FAST completes: answers go out of order. */
static int mode_slow_fast(char **av)
{
	struct slow_job job = { .err = -1 };
	char msg[256];
	struct addr fast;
	pthread_t thr;
	int rc;

	parse_addr(av[0], av[1], &job.a);
	parse_addr(av[2], av[3], &fast);
	rc = pthread_create(&thr, NULL, slow_thread, &job);
	if (rc)
		fail_errno("pthread_create", rc);
	sleep_ms(300);
	if (job.done)
		fail("slow connect ended early: %s", errno_name(job.err));
	if (echo_client(&fast, msg, sizeof(msg)) < 0)
		fail("fast: %s", msg);
	if (job.done)
		fail("fast connect answered only after the slow one");
	pthread_join(thr, NULL);
	if (job.err != EINPROGRESS)
		fail("slow: got %s, want EINPROGRESS", errno_name(job.err));
	printf("OK slow-fast %s\n", msg);
	return 0;
}

/* Mode killed-pending: a child blocks in connect() to SLOW (no timeout)
 * and is killed; the interceptor must drop the pending connect. */
static int mode_killed_pending(char **av)
{
	struct addr a;
	int status;
	pid_t pid;

	parse_addr(av[0], av[1], &a);
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		fail_errno("fork", errno);
	if (pid == 0) {
		int fd = socket(a.ss.ss_family, SOCK_STREAM, 0);

		connect(fd, (void *)&a.ss, a.len);
		_exit(3);
	}
	sleep_ms(500);
	if (waitpid(pid, &status, WNOHANG) != 0)
		fail("child connect did not block (status 0x%x)", status);
	kill(pid, SIGKILL);
	if (waitpid(pid, &status, 0) != pid)
		fail_errno("waitpid", errno);
	if (!WIFSIGNALED(status))
		fail("child was not killed: status 0x%x", status);
	printf("OK killed-pending\n");
	return 0;
}

/* Expect @r (a call's result) to fail with @want (0: with any errno). */
static void expect_errno(const char *what, int r, int want)
{
	int err = r < 0 ? errno : 0;

	if (r >= 0)
		fail("%s: succeeded, must fail with %s", what,
		     want ? errno_name(want) : "an error");
	if (want && err != want)
		fail("%s: got %s, want %s", what, errno_name(err),
		     errno_name(want));
}

/* A socket switched to the host: blocking connect to HOST:PORT. */
static int switched_socket(const struct addr *a)
{
	int fd = must_socket(a->ss.ss_family, SOCK_STREAM);

	if (connect(fd, (const void *)&a->ss, a->len) < 0)
		fail_errno("connect", errno);
	return fd;
}

/* Mode host-socket: a switched socket, connected or failed, must never
 * become a way to the host's loopback, a host listener or a bare host
 * socket.  CLOSEDPORT is a closed port on HOST; LOOPPORT a port on the
 * host's loopback (the caller checks that its listener saw nothing). */
static int mode_host_socket(char **av)
{
	struct sockaddr unspec = { .sa_family = AF_UNSPEC };
	struct sockaddr_in any = { .sin_family = AF_INET };
	struct addr a, closed, loop;
	socklen_t l = sizeof(int);
	int fd, err = 0;

	parse_addr(av[0], av[1], &a);
	parse_addr(av[0], av[2], &closed);
	parse_addr("127.0.0.1", av[3], &loop);
	if (a.ss.ss_family != AF_INET)
		usage("host-socket needs an IPv4 HOST");

	/* Connected: stays connected, cannot listen or bind. */
	fd = switched_socket(&a);
	expect_errno("second connect", connect(fd, (void *)&a.ss, a.len),
		     EISCONN);
	expect_errno("connect AF_UNSPEC", connect(fd, &unspec, sizeof(unspec)),
		     EOPNOTSUPP);
	expect_errno("listen", listen(fd, 8), EOPNOTSUPP);
	expect_errno("bind", bind(fd, (void *)&any, sizeof(any)), EINVAL);
	expect_errno("connect loopback",
		     connect(fd, (void *)&loop.ss, loop.len), 0);
	close(fd);

	/* Failed non-blocking connect: a host socket with no peer. */
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (fd < 0)
		fail_errno("socket", errno);
	if (connect(fd, (void *)&closed.ss, closed.len) == 0)
		fail("connect to the closed port succeeded");
	if (errno != EINPROGRESS && errno != ECONNREFUSED)
		fail_errno("connect closed port", errno);
	if (errno == EINPROGRESS) {
		if (wait_fd(fd, POLLOUT) < 0)
			fail_errno("poll", errno);
		getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &l);
		if (err != ECONNREFUSED)
			fail("closed port: SO_ERROR %s", errno_name(err));
	}
	/* The first attempt only moves the socket layer out of
	 * SS_CONNECTING; the next ones would really connect. */
	for (int i = 0; i < 3; i++)
		expect_errno("sendto MSG_FASTOPEN loopback",
			     (int)sendto(fd, "x", 1, MSG_FASTOPEN,
					 (void *)&loop.ss, loop.len),
			     0);
	expect_errno("connect loopback after failure",
		     connect(fd, (void *)&loop.ss, loop.len), 0);
	expect_errno("listen after failure", listen(fd, 8), 0);
	close(fd);
	printf("OK host-socket\n");
	return 0;
}

struct racer {
	struct sockaddr_in *shared; /* mode family */
	int fd_a, fd_b, slot;	    /* mode fdswap */
	int fdswap;
	volatile int stop;
};

/* Flip the shared address's family, or swap what fd @slot holds. */
static void *host_racer(void *arg)
{
	struct racer *r = arg;

	while (!r->stop) {
		if (r->fdswap) {
			dup2(r->fd_a, r->slot);
			dup2(r->fd_b, r->slot);
		} else {
			__atomic_store_n(&r->shared->sin_family, AF_UNIX,
					 __ATOMIC_RELAXED);
			__atomic_store_n(&r->shared->sin_family, AF_INET,
					 __ATOMIC_RELAXED);
		}
	}
	return NULL;
}

/* Mode race-host: for SECONDS, connect() a switched socket to the host's
 * 127.0.0.1:LOOPPORT while another thread flips the address's family
 * (AF_UNIX at check, AF_INET at use: "family") or swaps the fd number
 * between a container socket and the switched one ("fdswap").  No connect
 * may succeed. */
static int mode_race_host(char **av)
{
	struct racer r = { 0 };
	struct sockaddr_in loop4;
	struct addr a, loop;
	long end, n = 0, ok = 0;
	pthread_t thr;
	int fd, rc;

	parse_addr(av[0], av[1], &a);
	parse_addr("127.0.0.1", av[2], &loop);
	memcpy(&loop4, &loop.ss, sizeof(loop4));
	r.fdswap = strcmp(av[3], "fdswap") == 0;
	if (!r.fdswap && strcmp(av[3], "family") != 0)
		usage("race-host: want 'family' or 'fdswap', got '%s'", av[3]);
	end = now_ms() + 1000L * (long)parse_num(av[4], 1, 30, "seconds");
	r.shared = &loop4;
	/* A connected switched socket: connect() must fail whatever the
	 * kernel or the agent reads. */
	r.fd_b = switched_socket(&a);
	r.fd_a = socket(AF_INET, SOCK_STREAM, 0);
	r.slot = 200;
	if (r.fd_a < 0 || dup2(r.fd_b, r.slot) < 0)
		fail_errno("socket/dup2", errno);
	fd = r.fdswap ? r.slot : r.fd_b;
	rc = pthread_create(&thr, NULL, host_racer, &r);
	if (rc)
		fail_errno("pthread_create", rc);
	while (now_ms() < end) {
		n++;
		if (connect(fd, (void *)&loop4, sizeof(loop4)) == 0) {
			struct sockaddr_storage peer;
			socklen_t pl = sizeof(peer);
			char pb[64] = "?";

			if (getpeername(fd, (void *)&peer, &pl) == 0)
				fmt_addr((void *)&peer, pb, sizeof(pb));
			fprintf(stderr,
				"race-host: connect %ld succeeded, "
				"peer %s\n",
				n, pb);
			ok++;
		}
	}
	r.stop = 1;
	pthread_join(thr, NULL);
	if (ok)
		fail("race-host %s: %ld of %ld connects succeeded", av[3], ok,
		     n);
	printf("OK race-host %s tries=%ld\n", av[3], n);
	return 0;
}

/*
 * Mode service-race (docs/design.md §3.4, the loopback exception, run
 * inside `nsbypass run -p 127.0.0.1:HP:CP -p 127.0.0.1:HP2:CP2`): attacks
 * on the host socket connected to host loopback, whose only legitimate
 * peer is our published listener.  LP is a host loopback service of the
 * test, outside the container; it must see nothing.
 *
 *   race: COUNT connects, blocking and non-blocking in turn, while a
 *	thread flips the address between 127.0.0.1:CP and 127.0.0.1:LP; the
 *	server at CP (this process, published) resets every connection, and
 *	the client then tries sendto(MSG_FASTOPEN) to 127.0.0.1:LP, twice
 *	(an unsettled socket is re-aimed by the second).
 *   shutdown: COUNT/10 blocking connects to CP while a thread shuts the
 *	socket down, then the same sendto()s.
 *   stall: the server at CP2 never accepts and its queue is full, so a
 *	connect's handshake waits for the SYN's retransmission: with
 *	SO_SNDTIMEO (ETIMEDOUT), hit by a caught signal (EINTR), each then
 *	shut down and sendto()'d at LP; then a non-blocking one while the
 *	listener closes and the test's squatter binds 127.0.0.1:HP2, which
 *	the retransmitted SYN reaches: ECONNREFUSED (connected, it would send
 *	the squatter "attack").  DIR/cp2-up: CP2 listens; DIR/cp2-closed: it
 *	closed.
 */
struct svc_race {
	struct sockaddr_in lp; /* 127.0.0.1:LP, the host service */
	uint16_t hp;	       /* host port of CP: a served peer */
	int shut_fd;	       /* the socket the shutdown thread hits */
	int stop;
	unsigned long accepted, served, refused, reset, other, aimed;
	int fo_seen[3], conn_seen[3]; /* errnos of sendto(), connect() */
};

static struct svc_race svc;

/* The published server: accept, reset at once. */
static void *svc_server(void *arg)
{
	struct linger rst = { 1, 0 };
	int l = *(int *)arg, c;

	for (;;) {
		c = accept(l, NULL, NULL);
		if (c < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			return NULL;
		}
		__atomic_add_fetch(&svc.accepted, 1, __ATOMIC_RELAXED);
		(void)setsockopt(c, SOL_SOCKET, SO_LINGER, &rst, sizeof(rst));
		close(c);
	}
}

static int svc_listen(uint16_t port, int backlog)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons(port) };
	int one = 1, l = socket(AF_INET, SOCK_STREAM, 0);

	if (l < 0 ||
	    setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(l, (void *)&a, sizeof(a)) < 0 || listen(l, backlog) < 0)
		fail_errno("published listener", errno);
	return l;
}

/* After a connect: wait for the server's reset, then try to aim @fd at
 * LP with sendto(MSG_FASTOPEN), twice.  Counts a socket that got there. */
static void svc_try_aim(int fd)
{
	struct sockaddr_storage peer;
	socklen_t pl = sizeof(peer);
	char b;

	(void)wait_fd(fd, POLLIN);
	(void)recv(fd, &b, 1, MSG_DONTWAIT);
	for (int i = 0; i < 2; i++) {
		ssize_t n = sendto(fd, "x", 1, MSG_FASTOPEN | MSG_DONTWAIT,
				   (void *)&svc.lp, sizeof(svc.lp));

		if (n < 0 && errno != EINPROGRESS) {
			race_note_other(svc.fo_seen, errno);
			continue;
		}
		(void)wait_fd(fd, POLLOUT);
	}
	pl = sizeof(peer);
	if (getpeername(fd, (void *)&peer, &pl) == 0 &&
	    same_sin((void *)&peer, &svc.lp)) {
		svc.aimed++;
		fprintf(stderr, "service-race: a socket reached LP\n");
	}
}

/* One connect of the race; @nonblock picks the mode. */
static void svc_race_one(int nonblock)
{
	struct sockaddr_in peer;
	socklen_t pl = sizeof(peer);
	int fd = socket(AF_INET, SOCK_STREAM | (nonblock ? SOCK_NONBLOCK : 0),
			0);
	int err = 0;

	if (fd < 0 || set_timeouts(fd) < 0)
		fail_errno("socket setup", errno);
	if (connect(fd, (void *)&race_shared.sin, sizeof(race_shared.sin)) < 0)
		err = errno;
	if (nonblock && err == EINPROGRESS) {
		socklen_t l = sizeof(err);

		(void)wait_fd(fd, POLLOUT);
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &l) < 0)
			err = errno;
	}
	if (err) {
		/* The server's reset can beat the end of connect(), on
		 * Linux too (a blocking caller not yet woken). */
		if (err == ECONNREFUSED)
			svc.refused++;
		else if (err == ECONNRESET)
			svc.reset++;
		else
			svc.other++;
		if (err != ECONNREFUSED && err != ECONNRESET)
			race_note_other(svc.conn_seen, err);
		close(fd);
		return;
	}
	/* Connected: to our listener's host port (the reset may already
	 * have taken the peer away: counted as reset). */
	if (getpeername(fd, (void *)&peer, &pl) < 0) {
		if (errno == ENOTCONN) {
			svc.reset++;
		} else {
			svc.other++;
			race_note_other(svc.conn_seen, errno);
		}
	} else if (ntohs(peer.sin_port) == svc.hp) {
		svc.served++;
	} else {
		char buf[64];

		svc.other++;
		if (same_sin(&peer, &svc.lp))
			svc.aimed++;
		fmt_addr((void *)&peer, buf, sizeof(buf));
		fprintf(stderr, "service-race: unexpected peer %s\n", buf);
	}
	svc_try_aim(fd);
	close(fd);
}

static void *svc_shutter(void *arg)
{
	(void)arg;
	while (!__atomic_load_n(&svc.stop, __ATOMIC_RELAXED)) {
		int fd = __atomic_load_n(&svc.shut_fd, __ATOMIC_RELAXED);

		if (fd >= 0)
			(void)shutdown(fd, SHUT_RDWR);
	}
	return NULL;
}

static void svc_on_usr1(int sig)
{
	(void)sig;
}

static void *svc_kicker(void *arg)
{
	sleep_ms(300);
	pthread_kill(*(pthread_t *)arg, SIGUSR1);
	return NULL;
}

/* One stalled connect to @cp2: its errno; then shutdown() and sendto(). */
static int svc_stall(uint16_t cp2, int how)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons(cp2),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct timeval tv = { 0, 300000 };
	pthread_t me = pthread_self(), thr;
	int fd = socket(AF_INET, SOCK_STREAM, 0), err = 0;

	if (fd < 0)
		fail_errno("socket", errno);
	if (how == 0 &&
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0)
		fail_errno("SO_SNDTIMEO", errno);
	if (how == 1 && pthread_create(&thr, NULL, svc_kicker, &me))
		fail("pthread_create");
	if (connect(fd, (void *)&a, sizeof(a)) < 0)
		err = errno;
	if (how == 1)
		pthread_join(thr, NULL);
	(void)shutdown(fd, SHUT_RDWR);
	svc_try_aim(fd);
	close(fd);
	return err;
}

/* A non-blocking connect to @cp2 while its listener @l closes. */
static int svc_stall_close(uint16_t cp2, int l, const char *dir)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons(cp2),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), err = 0;
	char path[4096];
	pid_t pid;

	if (fd < 0)
		fail_errno("socket", errno);
	snprintf(path, sizeof(path), "%s/cp2-closed", dir);
	pid = fork();
	if (pid == 0) { /* the listener closes while the connect waits */
		sleep_ms(300);
		close(l);
		close(creat(path, 0644));
		_exit(0);
	}
	close(l);
	if (connect(fd, (void *)&a, sizeof(a)) < 0)
		err = errno;
	if (err == EINPROGRESS) {
		socklen_t sl = sizeof(err);

		(void)wait_fd(fd, POLLOUT);
		(void)getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &sl);
		if (!err) {
			/* Connected: to whom?  The test's squatter logs
			 * any data it gets. */
			err = EINPROGRESS;
			(void)send(fd, "attack\n", 7, MSG_NOSIGNAL);
		}
	}
	waitpid(pid, NULL, 0);
	svc_try_aim(fd);
	close(fd);
	return err;
}

static int mode_service_race(char **av)
{
	uint16_t cp = (uint16_t)parse_num(av[0], 1, 65535, "CP");
	uint16_t cp2 = (uint16_t)parse_num(av[3], 1, 65535, "CP2");
	unsigned long count = parse_num(av[4], 1, 1000000, "count");
	struct sigaction sa = { .sa_handler = svc_on_usr1 };
	struct sockaddr_in cpa, fill;
	int l, l2, e_tmo, e_intr, e_close, fillfd;
	pthread_t thr, srv;
	union race_addr tmp;
	char path[4096];

	alarm(150);
	svc.hp = (uint16_t)parse_num(av[1], 1, 65535, "HP");
	parse_addr4("127.0.0.1", av[2], &svc.lp);
	parse_addr4("127.0.0.1", av[0], &cpa);
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGUSR1, &sa, NULL) < 0)
		fail_errno("sigaction", errno);
	l = svc_listen(cp, 128);
	l2 = svc_listen(cp2, 0);
	snprintf(path, sizeof(path), "%s/cp2-up", av[5]);
	close(creat(path, 0644));
	if (pthread_create(&srv, NULL, svc_server, &l))
		fail("pthread_create");

	/* The race: the same flipper as mode race. */
	memcpy(&tmp.sin, &cpa, sizeof(cpa));
	race_word[0] = tmp.w[0];
	memcpy(&tmp.sin, &svc.lp, sizeof(svc.lp));
	race_word[1] = tmp.w[0];
	memcpy(&race_shared.sin, &cpa, sizeof(cpa));
	if (pthread_create(&thr, NULL, race_flipper, NULL))
		fail("pthread_create");
	for (unsigned long i = 0; i < count; i++)
		svc_race_one((int)(i & 1));
	__atomic_store_n(&race_stop, 1, __ATOMIC_RELAXED);
	pthread_join(thr, NULL);
	printf("race: served=%lu refused=%lu reset=%lu other=%lu aimed=%lu\n",
	       svc.served, svc.refused, svc.reset, svc.other, svc.aimed);

	/* shutdown() during connect. */
	memcpy(&race_shared.sin, &cpa, sizeof(cpa));
	svc.shut_fd = -1;
	if (pthread_create(&thr, NULL, svc_shutter, NULL))
		fail("pthread_create");
	for (unsigned long i = 0; i < count / 10 + 1; i++) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);

		if (fd < 0 || set_timeouts(fd) < 0)
			fail_errno("socket setup", errno);
		__atomic_store_n(&svc.shut_fd, fd, __ATOMIC_RELAXED);
		(void)connect(fd, (void *)&cpa, sizeof(cpa));
		svc_try_aim(fd);
		__atomic_store_n(&svc.shut_fd, -1, __ATOMIC_RELAXED);
		close(fd);
	}
	__atomic_store_n(&svc.stop, 1, __ATOMIC_RELAXED);
	pthread_join(thr, NULL);

	/* Stalls: fill CP2's queue (backlog 0: one connection). */
	fill = cpa;
	fill.sin_port = htons(cp2);
	fillfd = socket(AF_INET, SOCK_STREAM, 0);
	if (fillfd < 0 || connect(fillfd, (void *)&fill, sizeof(fill)) < 0)
		fail_errno("filling CP2's queue", errno);
	e_tmo = svc_stall(cp2, 0);
	e_intr = svc_stall(cp2, 1);
	e_close = svc_stall_close(cp2, l2, av[5]);
	close(fillfd);
	for (int i = 0; i < 3 && svc.fo_seen[i]; i++)
		fprintf(stderr, "service-race: sendto(MSG_FASTOPEN): %s\n",
			errno_name(svc.fo_seen[i]));
	for (int i = 0; i < 3 && svc.conn_seen[i]; i++)
		fprintf(stderr, "service-race: connect: %s\n",
			errno_name(svc.conn_seen[i]));
	printf("stall: sndtimeo=%s signal=%s closed=%s\n", errno_name(e_tmo),
	       errno_name(e_intr), errno_name(e_close));
	if (svc.aimed)
		fail("%lu switched sockets re-aimed at 127.0.0.1:%s", svc.aimed,
		     av[2]);
	if (!svc.served || svc.other)
		fail("served=%lu other=%lu: want some served, no other",
		     svc.served, svc.other);
	if (e_tmo != ETIMEDOUT || e_intr != EINTR || e_close != ECONNREFUSED)
		fail("stalled connects: want ETIMEDOUT, EINTR, ECONNREFUSED");
	printf("OK service-race served=%lu refused=%lu accepted=%lu\n",
	       svc.served, svc.refused,
	       __atomic_load_n(&svc.accepted, __ATOMIC_RELAXED));
	return 0;
}

/* Mode fdpass-dup: options set on a dup()ed socket survive its connect. */
static int mode_fdpass_dup(char **av)
{
	socklen_t l = sizeof(int);
	int fd, dfd, one = 1, v = 0;
	struct addr a;

	parse_addr(av[0], av[1], &a);
	fd = must_socket(a.ss.ss_family, SOCK_STREAM);
	dfd = dup(fd);
	if (dfd < 0)
		fail_errno("dup", errno);
	close(fd);
	if (setsockopt(dfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) < 0)
		fail_errno("setsockopt TCP_NODELAY", errno);
	if (connect(dfd, (void *)&a.ss, a.len) < 0)
		fail_errno("connect", errno);
	if (getsockopt(dfd, IPPROTO_TCP, TCP_NODELAY, &v, &l) < 0)
		fail_errno("getsockopt TCP_NODELAY", errno);
	if (v != 1)
		fail("TCP_NODELAY before=1 after=%d", v);
	close(dfd);
	printf("OK dup\n");
	return 0;
}

static volatile sig_atomic_t intr_handled;

static void on_usr1(int sig)
{
	(void)sig;
	intr_handled++;
}

static void *intr_thread(void *arg)
{
	(void)arg;
	sleep_ms(700);
	kill(getpid(), SIGUSR1); /* process-directed, as kill(1) */
	return NULL;
}

/*
 * Mode intr: a blocking connect to LATE (a listener that takes
 * connections only after a while) is hit by a caught SIGUSR1 after 0.7 s.
 * norestart: connect() fails with EINTR at once; a second connect() waits
 * for the handshake and returns 0; a third gets EISCONN.  restart
 * (SA_RESTART): the handler runs, the call goes on and returns 0; a second
 * connect() gets EISCONN.  As Linux does.
 */
static int mode_intr(char **av)
{
	struct sigaction sa = { .sa_handler = on_usr1 };
	int restart = strcmp(av[2], "restart") == 0;
	struct addr a;
	pthread_t thr;
	long t0, took;
	int fd, r, err;

	if (!restart && strcmp(av[2], "norestart") != 0)
		usage("intr: want 'restart' or 'norestart', got '%s'", av[2]);
	parse_addr(av[0], av[1], &a);
	sa.sa_flags = restart ? SA_RESTART : 0;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGUSR1, &sa, NULL) < 0)
		fail_errno("sigaction", errno);
	fd = socket(a.ss.ss_family, SOCK_STREAM, 0);
	if (fd < 0)
		fail_errno("socket", errno);
	r = pthread_create(&thr, NULL, intr_thread, NULL);
	if (r)
		fail_errno("pthread_create", r);
	t0 = now_ms();
	r = connect(fd, (const void *)&a.ss, a.len);
	err = r < 0 ? errno : 0;
	took = now_ms() - t0;
	pthread_join(thr, NULL);
	if (intr_handled != 1)
		fail("the handler ran %d times, want 1", (int)intr_handled);
	if (!restart) {
		if (err != EINTR)
			fail("connect: got %s after %ld ms, want EINTR",
			     errno_name(err), took);
		r = connect(fd, (const void *)&a.ss, a.len);
		if (r < 0)
			fail("second connect: got %s, want 0 (it waits)",
			     errno_name(errno));
	} else if (err) {
		fail("connect: got %s after %ld ms, want 0 (restarted)",
		     errno_name(err), took);
	}
	r = connect(fd, (const void *)&a.ss, a.len);
	if (r == 0 || errno != EISCONN)
		fail("last connect: got %s, want EISCONN",
		     r == 0 ? "0" : errno_name(errno));
	close(fd);
	printf("OK intr %s: first connect %s after %ld ms\n", av[2],
	       err ? errno_name(err) : "0", took);
	return 0;
}

/* connect() of @fd to @sa, @len: 0 or the errno. */
static int try_connect(int fd, const void *sa, socklen_t len)
{
	return connect(fd, sa, len) < 0 ? errno : 0;
}

/* Send a ping on connected UDP socket @fd and wait for the echo. */
static void udp_ping(int fd, const char *what)
{
	char buf[64];

	if (send(fd, "ping", 4, 0) != 4)
		fail("%s: send: %s", what, errno_name(errno));
	if (wait_fd(fd, POLLIN) < 0)
		fail("%s: no echo: %s", what, errno_name(errno));
	if (recv(fd, buf, sizeof(buf), 0) != 4 || memcmp(buf, "ping", 4))
		fail("%s: bad echo", what);
}

/* Fail unless connect() of a new @family/@type socket (@v6only: -1 to
 * leave it) to @sa, @len fails with @want. */
static void want_connect(int family, int type, int v6only, const void *sa,
			 socklen_t len, int want, const char *what)
{
	int fd = must_socket(family, type), err;

	if (v6only >= 0 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only,
				      sizeof(v6only)) < 0)
		fail_errno("IPV6_V6ONLY", errno);
	err = try_connect(fd, sa, len);
	if (err != want)
		fail("%s: got %s, want %s", what, errno_name(err),
		     errno_name(want));
	close(fd);
}

/* Mode v4-on-v6: an IPv6 UDP socket takes an AF_INET destination as its
 * v4-mapped form (Linux's __ip6_datagram_connect()), also once it is a
 * host socket; everything else with the other family fails as Linux
 * fails it, the length checked before the family. */
static int mode_v4_on_v6(char **av)
{
	struct sockaddr_in6 peer, want6 = { .sin6_family = AF_INET6 };
	socklen_t plen = sizeof(peer);
	struct sockaddr_in sin;
	struct addr a6;
	char buf[INET6_ADDRSTRLEN + 16];
	int fd, err;

	parse_addr4(av[0], av[2], &sin);
	parse_addr(av[1], av[2], &a6);
	want6.sin6_port = sin.sin_port;
	want6.sin6_addr.s6_addr[10] = want6.sin6_addr.s6_addr[11] = 0xff;
	memcpy(&want6.sin6_addr.s6_addr[12], &sin.sin_addr, 4);

	fd = must_socket(AF_INET6, SOCK_DGRAM);
	err = try_connect(fd, &sin, sizeof(sin));
	if (err)
		fail("v6 udp to AF_INET: %s", errno_name(err));
	if (getpeername(fd, (void *)&peer, &plen) < 0)
		fail_errno("getpeername", errno);
	fmt_addr((void *)&peer, buf, sizeof(buf));
	if (plen != sizeof(peer) || peer.sin6_family != AF_INET6 ||
	    peer.sin6_port != want6.sin6_port ||
	    memcmp(&peer.sin6_addr, &want6.sin6_addr, 16) != 0)
		fail("v6 udp to AF_INET: peer %s, want the v4-mapped form",
		     buf);
	udp_ping(fd, "v6 udp to AF_INET");
	/* Again, now on the switched socket, and a short one. */
	err = try_connect(fd, &sin, sizeof(sin));
	if (err)
		fail("v6 udp re-connect to AF_INET: %s", errno_name(err));
	udp_ping(fd, "v6 udp re-connect to AF_INET");
	err = try_connect(fd, &sin, 8);
	if (err != EINVAL)
		fail("switched v6 udp, AF_INET of 8 bytes: got %s, want EINVAL",
		     errno_name(err));
	close(fd);

	want_connect(AF_INET6, SOCK_DGRAM, 1, &sin, sizeof(sin), EAFNOSUPPORT,
		     "v6only udp to AF_INET");
	want_connect(AF_INET6, SOCK_DGRAM, 0, &sin, 8, EINVAL,
		     "v6 udp to AF_INET of 8 bytes");
	want_connect(AF_INET6, SOCK_STREAM, 0, &sin, sizeof(sin), EINVAL,
		     "v6 tcp to AF_INET of 16 bytes");
	want_connect(AF_INET6, SOCK_STREAM, 0, &sin, sizeof(want6),
		     EAFNOSUPPORT, "v6 tcp to AF_INET of 28 bytes");
	want_connect(AF_INET, SOCK_DGRAM, -1, &want6, sizeof(want6),
		     EAFNOSUPPORT, "v4 udp to AF_INET6");
	want_connect(AF_INET, SOCK_STREAM, -1, &want6, 8, EINVAL,
		     "v4 tcp to AF_INET6 of 8 bytes");

	/* A connected (switched) v6 TCP socket: EISCONN comes first. */
	fd = must_socket(AF_INET6, SOCK_STREAM);
	if (set_timeouts(fd) < 0)
		fail_errno("setsockopt timeouts", errno);
	err = try_connect(fd, &a6.ss, a6.len);
	if (err)
		fail("v6 tcp to %s: %s", av[1], errno_name(err));
	err = try_connect(fd, &sin, sizeof(sin));
	if (err != EISCONN)
		fail("connected v6 tcp to AF_INET: got %s, want EISCONN",
		     errno_name(err));
	close(fd);
	printf("OK v4-on-v6 peer %s\n", buf);
	return 0;
}

/* Read int option @level/@name of @fd, or fail. */
static int get_int_opt(int fd, int level, int name, const char *what)
{
	socklen_t l = sizeof(int);
	int v;

	if (getsockopt(fd, level, name, &v, &l) < 0)
		fail_errno(what, errno);
	return v;
}

/* Mode tfo: TCP_FASTOPEN_CONNECT (curl --tcp-fastopen), and with
 * NOCOOKIE 1 TCP_FASTOPEN_NO_COOKIE too, set before connect, survive it;
 * with both the SYN waits for the first write, and a second connect()
 * meanwhile gets Linux's EISCONN.  The echo still works. */
static int mode_tfo(char **av)
{
	int nocookie = (int)parse_num(av[2], 0, 1, "NOCOOKIE"), one = 1;
	char buf[16];
	struct addr a;
	int fd, err, v;

	parse_addr(av[0], av[1], &a);
	fd = must_socket(a.ss.ss_family, SOCK_STREAM);
	if (set_timeouts(fd) < 0)
		fail_errno("setsockopt timeouts", errno);
	if (setsockopt(fd, IPPROTO_TCP, TCP_FASTOPEN_CONNECT, &one,
		       sizeof(one)) < 0)
		fail_errno("TCP_FASTOPEN_CONNECT", errno);
	if (nocookie && setsockopt(fd, IPPROTO_TCP, TCP_FASTOPEN_NO_COOKIE,
				   &one, sizeof(one)) < 0)
		fail_errno("TCP_FASTOPEN_NO_COOKIE", errno);
	err = try_connect(fd, &a.ss, a.len);
	if (err)
		fail("connect: %s", errno_name(err));
	v = get_int_opt(fd, IPPROTO_TCP, TCP_FASTOPEN_CONNECT,
			"TCP_FASTOPEN_CONNECT");
	if (v != 1)
		fail("TCP_FASTOPEN_CONNECT before=1 after=%d", v);
	v = get_int_opt(fd, IPPROTO_TCP, TCP_FASTOPEN_NO_COOKIE,
			"TCP_FASTOPEN_NO_COOKIE");
	if (v != nocookie)
		fail("TCP_FASTOPEN_NO_COOKIE before=%d after=%d", nocookie, v);
	err = try_connect(fd, &a.ss, a.len);
	if (err != EISCONN)
		fail("second connect: got %s, want EISCONN", errno_name(err));
	if (send(fd, PING, strlen(PING), 0) != (ssize_t)strlen(PING))
		fail_errno("send", errno);
	if (recv(fd, buf, sizeof(buf), MSG_WAITALL) != (ssize_t)strlen(PING))
		fail("no echo: %s", errno_name(errno));
	close(fd);
	printf("OK tfo nocookie=%d\n", nocookie);
	return 0;
}

struct bound_job {
	const struct addr *a;
	int err;
};

static void *bound_thread(void *arg)
{
	struct bound_job *job = arg;
	long took;

	job->err = timed_connect(job->a, 3000, &took);
	return NULL;
}

/* Mode pending-bound: COUNT threads at once start a blocking connect to
 * SLOW (never answered, SO_SNDTIMEO 3 s).  Prints how many failed with
 * ENOBUFS at once (the agent's bound on in-flight connects), how many
 * ran into the timeout (EINPROGRESS) and how many got anything else. */
static int mode_pending_bound(char **av)
{
	int n = (int)parse_num(av[2], 1, 256, "COUNT"), i, rc;
	int enobufs = 0, inprogress = 0, other = 0, other_err = 0;
	struct bound_job jobs[256];
	pthread_t thr[256];
	struct addr a;

	parse_addr(av[0], av[1], &a);
	for (i = 0; i < n; i++) {
		jobs[i].a = &a;
		jobs[i].err = -1;
		rc = pthread_create(&thr[i], NULL, bound_thread, &jobs[i]);
		if (rc)
			fail_errno("pthread_create", rc);
	}
	for (i = 0; i < n; i++) {
		pthread_join(thr[i], NULL);
		if (jobs[i].err == ENOBUFS)
			enobufs++;
		else if (jobs[i].err == EINPROGRESS)
			inprogress++;
		else
			other++, other_err = jobs[i].err;
	}
	if (other)
		fail("%d connects got neither ENOBUFS nor EINPROGRESS, e.g. %s",
		     other, errno_name(other_err));
	printf("OK enobufs=%d inprogress=%d\n", enobufs, inprogress);
	return 0;
}

/* One entry of the mode table. */
struct mode {
	const char *name;
	int nargs;
	int (*fn)(char **av);
	const char *args;
};

static const struct mode modes[] = {
	{ "tcp-echo", 2, mode_tcp_echo, "HOST PORT" },
	{ "tcp-nonblock", 2, mode_tcp_nonblock, "HOST PORT" },
	{ "tcp-refused", 2, mode_tcp_refused, "HOST PORT" },
	{ "connect-errno", 3, mode_connect_errno, "HOST PORT ERRNO_NAME" },
	{ "race", 4, mode_race, "HOST PORT LOOPPORT COUNT" },
	{ "sockopt", 2, mode_sockopt, "HOST PORT" },
	{ "optrace", 3, mode_optrace, "HOST PORT COUNT" },
	{ "flags", 2, mode_flags, "HOST PORT" },
	{ "udp-echo", 2, mode_udp_echo, "HOST PORT" },
	{ "badinput", 2, mode_badinput, "HOST PORT" },
	{ "many", 3, mode_many, "HOST PORT COUNT" },
	{ "threaded", 2, mode_threaded, "HOST PORT" },
	{ "forkexec", 2, mode_forkexec, "HOST PORT" },
	{ "fdpass-dup", 2, mode_fdpass_dup, "HOST PORT" },
	{ "sndtimeo", 3, mode_sndtimeo, "SLOWHOST PORT MS" },
	{ "slow-fast", 4, mode_slow_fast, "SLOWHOST PORT FASTHOST PORT" },
	{ "killed-pending", 2, mode_killed_pending, "SLOWHOST PORT" },
	{ "intr", 3, mode_intr, "LATEHOST PORT restart|norestart" },
	{ "host-socket", 4, mode_host_socket, "HOST PORT CLOSEDPORT LOOPPORT" },
	{ "v4-on-v6", 3, mode_v4_on_v6, "HOST4 HOST6 PORT" },
	{ "tfo", 3, mode_tfo, "HOST PORT NOCOOKIE" },
	{ "pending-bound", 3, mode_pending_bound, "SLOWHOST PORT COUNT" },
	{ "race-host", 5, mode_race_host,
	  "HOST PORT LOOPPORT family|fdswap SECONDS" },
	{ "service-race", 6, mode_service_race, "CP HP LP CP2 COUNT DIR" },
};

/* Dispatch to the mode named by argv[1]. */
int main(int argc, char **argv)
{
	size_t i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGALRM, on_alarm);
	signal(SIGPIPE, SIG_IGN);
	alarm(SAFETY_SECS);
	if (argc < 2)
		usage("usage: sockprobe MODE ARGS... (see the source)");
	for (i = 0; i < ARRAY_SIZE(modes); i++) {
		if (strcmp(argv[1], modes[i].name) != 0)
			continue;
		if (argc - 2 != modes[i].nargs)
			usage("usage: sockprobe %s %s", modes[i].name,
			      modes[i].args);
		return modes[i].fn(argv + 2);
	}
	usage("unknown mode '%s'", argv[1]);
}
