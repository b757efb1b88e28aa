// SPDX-License-Identifier: Apache-2.0
/*
 * bench-tcp.c - TCP connection rate and request/response latency.
 *
 * One binary with three modes.  "server" is a single-threaded epoll echo
 * server: on every connection it answers each 64-byte request with the same
 * 64 bytes until the peer closes, for thousands of short connections per
 * second as well as for persistent ones.  "crr" measures the connection
 * rate: a transaction is socket(), a blocking connect(), one request, its
 * answer and close().  Under nsbypass every one of those connect() calls is
 * trapped, so this is the workload where the agent's cost shows.  "rr" sends
 * one request at a time on a single kept-alive TCP_NODELAY connection; once
 * the socket has been switched, nothing in that loop is trapped, so it should
 * run at host speed.
 *
 * Each client mode prints `name: value unit` lines, and the last line is the
 * headline figure (STYLE.md section 8).  A failure prints `FAIL ...` on
 * stdout and exits 1; a usage error prints one line on stderr and exits 2.
 * Every run is bounded: clients give up SECONDS + 30 s after they start,
 * the server exits after 600 s at most.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MSG_LEN 64 /* request and answer size */
#define LISTEN_BACKLOG 4096
#define SERVER_MAX_SECONDS 600
#define CLIENT_MAX_SECONDS 3600
#define ALARM_SLACK_SECONDS 30
#define MAX_EVENTS 256
#define ACCEPT_BATCH 64 /* accepts per wakeup, to stay fair */
#define MAX_SAMPLES (20u * 1000 * 1000)
#define NSEC_PER_SEC 1000000000ULL

/* Latency samples in nanoseconds, grown on demand up to MAX_SAMPLES. */
struct samples {
	uint64_t *ns;
	size_t len;
	size_t cap;
	uint64_t dropped; /* past MAX_SAMPLES or out of memory */
};

/* One accepted connection of the server. */
struct conn {
	int fd;
	size_t in;	  /* bytes of the current request received */
	size_t out;	  /* bytes of the answer not sent yet */
	bool want_out;	  /* registered for EPOLLOUT instead of EPOLLIN */
	bool close_after; /* a crr request: close once answered */
	unsigned char buf[MSG_LEN];
};

/* First byte of a crr request: the server closes after its answer. */
#define CRR_CLOSE 'C'

/* Print the usage line and exit 2. */
static void __attribute__((noreturn)) usage(void)
{
	fputs("usage: bench-tcp server ADDR PORT | crr HOST PORT SECONDS"
	      " | rr HOST PORT SECONDS\n",
	      stderr);
	exit(2);
}

/* The symbolic name of errno value @e, such as "ECONNREFUSED". */
static const char *errno_name(int e)
{
	const char *n = strerrorname_np(e);

	return n ? n : "EUNKNOWN";
}

/* Report a failed call on stdout, where the harness looks, and exit 1. */
static void __attribute__((noreturn)) fail(const char *what, int e)
{
	if (e)
		printf("FAIL %s: %s\n", what, errno_name(e));
	else
		printf("FAIL %s\n", what);
	fflush(stdout);
	exit(1);
}

/* implements SIGALRM for the clients: the run overstayed its bound. */
static void on_client_alarm(int sig)
{
	static const char msg[] = "FAIL timeout\n";

	(void)sig;
	if (write(STDOUT_FILENO, msg, sizeof(msg) - 1) < 0) {
		/* Nothing left to do about it: we are exiting anyway. */
	}
	_exit(1);
}

/* implements SIGTERM, SIGINT and SIGALRM for the server: a clean exit. */
static void on_server_stop(int sig)
{
	(void)sig;
	_exit(0);
}

/* Install @fn for @sig, without SA_RESTART (nothing here needs it). */
static void set_signal(int sig, void (*fn)(int))
{
	struct sigaction sa = { .sa_handler = fn };

	sigemptyset(&sa.sa_mask);
	if (sigaction(sig, &sa, NULL) < 0)
		fail("sigaction", errno);
}

/* The monotonic clock in nanoseconds. */
static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

/* Parse decimal @s into @ret if it lies in [@min, @max]; 0 or -EINVAL. */
static int parse_ulong(const char *s, unsigned long min, unsigned long max,
		       unsigned long *ret)
{
	unsigned long v;
	char *end;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -EINVAL;
	*ret = v;
	return 0;
}

/*
 * Fill @ret with numeric IPv4 or IPv6 address @host and @port, so that no
 * name resolution ever happens; 0 or -EINVAL.
 */
static int parse_addr(const char *host, unsigned long port,
		      struct sockaddr_storage *ret, socklen_t *ret_len)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ret;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ret;

	memset(ret, 0, sizeof(*ret));
	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		*ret_len = sizeof(*sin);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		*ret_len = sizeof(*sin6);
		return 0;
	}
	return -EINVAL;
}

/* Record one latency; beyond MAX_SAMPLES or without memory, count it only. */
static void samples_add(struct samples *s, uint64_t ns)
{
	if (s->len == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 65536;
		uint64_t *p;

		if (cap > MAX_SAMPLES)
			cap = MAX_SAMPLES;
		p = cap > s->cap ? realloc(s->ns, cap * sizeof(*p)) : NULL;
		if (!p) {
			s->dropped++;
			return;
		}
		s->ns = p;
		s->cap = cap;
	}
	s->ns[s->len++] = ns;
}

/* qsort() comparator for uint64_t. */
static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* Sort the samples, which percentile() needs. */
static void samples_sort(struct samples *s)
{
	if (s->len)
		qsort(s->ns, s->len, sizeof(*s->ns), cmp_u64);
}

/* The @pct percentile (nearest rank) of sorted @s, in microseconds. */
static double percentile_us(const struct samples *s, unsigned int pct)
{
	size_t rank = (s->len * pct + 99) / 100;

	if (!s->len)
		return 0;
	if (rank == 0)
		rank = 1;
	return (double)s->ns[rank - 1] / 1000.0;
}

/* Send all of @len bytes on blocking @fd; 0 or -errno. */
static int send_all(int fd, const unsigned char *buf, size_t len)
{
	while (len) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n < 0)
			return -errno;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Receive exactly @len bytes on blocking @fd; 0, -errno or -ENODATA (EOF). */
static int recv_all(int fd, unsigned char *buf, size_t len)
{
	while (len) {
		ssize_t n = recv(fd, buf, len, 0);

		if (n < 0)
			return -errno;
		if (n == 0)
			return -ENODATA;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* One request and its answer on @fd; exits with FAIL on any error. */
static void transact(int fd, const unsigned char *req, unsigned char *resp)
{
	int r;

	r = send_all(fd, req, MSG_LEN);
	if (r < 0)
		fail("send", -r);
	r = recv_all(fd, resp, MSG_LEN);
	if (r == -ENODATA)
		fail("recv: connection closed by the server", 0);
	if (r < 0)
		fail("recv", -r);
}

/* Sleep for one millisecond, before retrying a connect(). */
static void sleep_1ms(void)
{
	struct timespec ts = { .tv_sec = 0, .tv_nsec = 1000000 };

	nanosleep(&ts, NULL);
}

/* Set up the safety alarm and the request buffer shared by both clients. */
static void client_start(unsigned long seconds, unsigned char *req)
{
	set_signal(SIGALRM, on_client_alarm);
	alarm((unsigned int)(seconds + ALARM_SLACK_SECONDS));
	memset(req, 'q', MSG_LEN);
}

/* Print how many samples were not kept, if any. */
static void print_dropped(const char *name, const struct samples *s)
{
	if (s->dropped)
		printf("%s_samples_dropped: %" PRIu64 " samples\n", name,
		       s->dropped);
}

/*
 * crr mode: for @seconds, open a connection to @sa, do one transaction and
 * close it, as fast as possible.  connect() failing with EADDRNOTAVAIL
 * (every local port in TIME_WAIT) is retried after 1 ms; time spent that
 * way counts against the rate but not against the latency samples.
 */
static int run_crr(const struct sockaddr_storage *sa, socklen_t salen,
		   unsigned long seconds)
{
	unsigned char req[MSG_LEN], resp[MSG_LEN];
	struct samples lat = { 0 };
	uint64_t start, end, t0, n = 0, retries = 0;
	double elapsed;

	client_start(seconds, req);
	req[0] = CRR_CLOSE;
	start = now_ns();
	end = start + seconds * NSEC_PER_SEC;
	for (;;) {
		int fd;

		t0 = now_ns();
		if (t0 >= end)
			break;
		fd = socket(sa->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			fail("socket", errno);
		if (connect(fd, (const struct sockaddr *)sa, salen) < 0) {
			int e = errno;

			close(fd);
			if (e != EADDRNOTAVAIL)
				fail("connect", e);
			retries++;
			sleep_1ms();
			continue;
		}
		transact(fd, req, resp);
		/* The server closes first: wait for its FIN, so that the
		 * TIME_WAIT is the server's, on its one port, and not ours,
		 * where thousands of them slow the source-port search of
		 * every later connect() on this host. */
		if (recv(fd, resp, 1, 0) != 0)
			fail("recv EOF", errno);
		if (close(fd) < 0)
			fail("close", errno);
		samples_add(&lat, now_ns() - t0);
		n++;
	}
	if (!n)
		fail("no connection completed", 0);
	elapsed = (double)(t0 - start) / (double)NSEC_PER_SEC;
	samples_sort(&lat);
	printf("crr_p50_us: %.1f us\n", percentile_us(&lat, 50));
	printf("crr_p99_us: %.1f us\n", percentile_us(&lat, 99));
	print_dropped("crr", &lat);
	printf("crr_addrnotavail: %" PRIu64 " retries\n", retries);
	printf("crr: %.0f conn/s\n", (double)n / elapsed);
	free(lat.ns);
	return 0;
}

/*
 * rr mode: one TCP_NODELAY connection to @sa, one request in flight at a
 * time for @seconds, every round trip timed.
 */
static int run_rr(const struct sockaddr_storage *sa, socklen_t salen,
		  unsigned long seconds)
{
	unsigned char req[MSG_LEN], resp[MSG_LEN];
	struct samples lat = { 0 };
	uint64_t start, end, t0, t1, n = 0;
	int fd, one = 1;

	client_start(seconds, req);
	fd = socket(sa->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		fail("socket", errno);
	/* Before connect(), so that nsbypass records and replays it. */
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) < 0)
		fail("setsockopt TCP_NODELAY", errno);
	if (connect(fd, (const struct sockaddr *)sa, salen) < 0)
		fail("connect", errno);
	start = now_ns();
	end = start + seconds * NSEC_PER_SEC;
	do {
		t0 = now_ns();
		transact(fd, req, resp);
		t1 = now_ns();
		samples_add(&lat, t1 - t0);
		n++;
	} while (t1 < end);
	close(fd);
	samples_sort(&lat);
	print_dropped("rr", &lat);
	printf("rr_p99_us: %.1f us\n", percentile_us(&lat, 99));
	printf("rr_tps: %.0f tps\n",
	       (double)n * (double)NSEC_PER_SEC / (double)(t1 - start));
	printf("rr_p50_us: %.1f us\n", percentile_us(&lat, 50));
	free(lat.ns);
	return 0;
}

/* Raise RLIMIT_NOFILE to its hard limit, for many open connections. */
static void raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* Close @c, which also removes it from the epoll set, and free it. */
static void conn_close(struct conn *c)
{
	close(c->fd);
	free(c);
}

/* Switch @c between waiting for requests and waiting to send; 0 or -errno. */
static int conn_watch(int ep, struct conn *c, bool want_out)
{
	struct epoll_event ev = {
		.events = want_out ? EPOLLOUT : EPOLLIN,
		.data.ptr = c,
	};

	if (c->want_out == want_out)
		return 0;
	if (epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev) < 0)
		return -errno;
	c->want_out = want_out;
	return 0;
}

/*
 * Serve @c once it is readable or writable.  The epoll set is level
 * triggered, so one recv() per wakeup is enough: if more is queued, the
 * next epoll_wait() says so, and an idle connection costs no EAGAIN round.
 * An answer that does not fit in the socket buffer is finished on EPOLLOUT.
 */
static void conn_event(int ep, struct conn *c)
{
	ssize_t n;

	if (!c->out) {
		n = recv(c->fd, c->buf + c->in, MSG_LEN - c->in, 0);
		if (n == 0)
			goto out_close;
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			goto out_close;
		}
		c->in += (size_t)n;
		if (c->in < MSG_LEN)
			return;
		c->in = 0;
		c->out = MSG_LEN;
		c->close_after = c->buf[0] == CRR_CLOSE;
	}
	n = send(c->fd, c->buf + MSG_LEN - c->out, c->out, MSG_NOSIGNAL);
	if (n < 0) {
		if (errno != EAGAIN && errno != EINTR)
			goto out_close;
		n = 0;
	}
	c->out -= (size_t)n;
	if (c->out == 0 && c->close_after)
		goto out_close;
	if (conn_watch(ep, c, c->out != 0) < 0)
		goto out_close;
	return;
out_close:
	conn_close(c);
}

/* Accept what is queued on listener @lfd, up to ACCEPT_BATCH connections. */
static void server_accept(int ep, int lfd)
{
	int one = 1;

	for (int i = 0; i < ACCEPT_BATCH; i++) {
		struct epoll_event ev = { .events = EPOLLIN };
		struct conn *c;
		int fd;

		fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			switch (errno) {
			case EAGAIN:
			case EINTR:
			case ECONNABORTED:
			case EPERM:
				return;
			case EMFILE:
			case ENFILE:
			case ENOBUFS:
			case ENOMEM:
				/* Out of resources: connections queue up. */
				return;
			default:
				fail("accept4", errno);
			}
		}
		/* Answer at once; a failure here costs speed only. */
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		c = calloc(1, sizeof(*c));
		if (!c) {
			close(fd);
			return;
		}
		c->fd = fd;
		ev.data.ptr = c;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
			conn_close(c);
			continue;
		}
	}
}

/*
 * server mode: listen on @sa and serve every connection from one epoll
 * loop until SIGTERM, SIGINT or SERVER_MAX_SECONDS.  Prints one line once
 * it listens, with the port it got if @sa asked for port 0.
 */
static int run_server(const struct sockaddr_storage *sa, socklen_t salen,
		      const char *addr)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
	struct epoll_event events[MAX_EVENTS];
	struct sockaddr_storage bound;
	socklen_t blen = sizeof(bound);
	int lfd, ep, one = 1;
	unsigned int port;

	set_signal(SIGTERM, on_server_stop);
	set_signal(SIGINT, on_server_stop);
	set_signal(SIGALRM, on_server_stop);
	alarm(SERVER_MAX_SECONDS);
	raise_nofile();

	lfd = socket(sa->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		     0);
	if (lfd < 0)
		fail("socket", errno);
	if (setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
		fail("setsockopt SO_REUSEADDR", errno);
	if (bind(lfd, (const struct sockaddr *)sa, salen) < 0)
		fail("bind", errno);
	if (listen(lfd, LISTEN_BACKLOG) < 0)
		fail("listen", errno);
	if (getsockname(lfd, (struct sockaddr *)&bound, &blen) < 0)
		fail("getsockname", errno);
	port = ntohs(bound.ss_family == AF_INET6 ?
			     ((struct sockaddr_in6 *)&bound)->sin6_port :
			     ((struct sockaddr_in *)&bound)->sin_port);

	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0)
		fail("epoll_create1", errno);
	if (epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev) < 0)
		fail("epoll_ctl", errno);
	printf("bench-tcp: listening on %s port %u\n", addr, port);
	fflush(stdout);

	for (;;) {
		int n = epoll_wait(ep, events, MAX_EVENTS, -1);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			fail("epoll_wait", errno);
		}
		for (int i = 0; i < n; i++) {
			if (!events[i].data.ptr)
				server_accept(ep, lfd);
			else
				conn_event(ep, events[i].data.ptr);
		}
	}
}

int main(int argc, char **argv)
{
	struct sockaddr_storage sa;
	unsigned long port, seconds;
	socklen_t salen;

	if (argc < 2)
		usage();
	if (strcmp(argv[1], "server") == 0) {
		if (argc != 4 || parse_ulong(argv[3], 0, 65535, &port) < 0 ||
		    parse_addr(argv[2], port, &sa, &salen) < 0)
			usage();
		return run_server(&sa, salen, argv[2]);
	}
	if (argc != 5 || parse_ulong(argv[3], 1, 65535, &port) < 0 ||
	    parse_ulong(argv[4], 1, CLIENT_MAX_SECONDS, &seconds) < 0 ||
	    parse_addr(argv[2], port, &sa, &salen) < 0)
		usage();
	if (strcmp(argv[1], "crr") == 0)
		return run_crr(&sa, salen, seconds);
	if (strcmp(argv[1], "rr") == 0)
		return run_rr(&sa, salen, seconds);
	usage();
}
