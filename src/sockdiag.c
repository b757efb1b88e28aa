// SPDX-License-Identifier: Apache-2.0
/*
 * sockdiag.c - a small NETLINK_SOCK_DIAG client for TCP sockets.
 *
 * Two requests of inet_diag (linux/inet_diag.h), version 2:
 *   exact:  SOCK_DIAG_BY_FAMILY with an inet_diag_sockid, answered with one
 *           inet_diag_msg or an error.  The kernel looks the id up as it
 *           would a segment from (idiag_dst, idiag_dport) to (idiag_src,
 *           idiag_sport): with a zero remote end, that is the listener a SYN
 *           to idiag_src:idiag_sport would find.  A cookie other than
 *           INET_DIAG_NOCOOKIE must be the found socket's, else ENOENT.
 *   dump:   the same with NLM_F_DUMP, a state mask and idiag_sport set: the
 *           kernel filters listeners by that port itself; we filter the
 *           answers again, so that a kernel that did not would only cost
 *           time.
 * One family per request: the handler is chosen by sdiag_family, and
 * AF_UNSPEC has none.  A reply that is not for our sequence number (left
 * over from an answer not read to its end) is skipped.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "sockdiag.h"
#include "inaddr.h"
#include "util.h"

/* An inet address in a form both requests and matches use. */
struct inet_dst {
	int family; /* AF_INET for a v4-mapped IPv6 address */
	uint8_t addr[16];
	uint16_t port; /* host order */
};

/* @sa as Linux delivers to it: a v4-mapped address is the IPv4 one. */
static int dst_parse(const struct sockaddr *sa, socklen_t len,
		     struct inet_dst *ret)
{
	struct sockdiag_sock s;
	int r = sockdiag_sock_set_addr(&s, sa, len);

	if (r < 0)
		return r;
	memset(ret, 0, sizeof(*ret));
	ret->port = s.port;
	if (s.family == AF_INET6 && inaddr_is_v4mapped(s.addr)) {
		ret->family = AF_INET;
		memcpy(ret->addr, s.addr + 12, 4);
	} else {
		ret->family = s.family;
		memcpy(ret->addr, s.addr, sizeof(ret->addr));
	}
	return 0;
}

int sockdiag_open(struct sockdiag *d)
{
	d->seq = 0;
	d->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK,
		       NETLINK_SOCK_DIAG);
	return d->fd < 0 ? -errno : 0;
}

void sockdiag_close(struct sockdiag *d)
{
	closep(&d->fd);
}

static int parse_sock(const struct nlmsghdr *h, struct sockdiag_sock *s)
{
	const struct inet_diag_msg *m = NLMSG_DATA(h);
	const struct rtattr *a;
	int alen;

	if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*m)))
		return -EPROTO;
	if (m->idiag_family != AF_INET && m->idiag_family != AF_INET6)
		return -EPROTO;
	memset(s, 0, sizeof(*s));
	s->family = m->idiag_family;
	s->state = m->idiag_state;
	memcpy(s->addr, m->id.idiag_src, s->family == AF_INET ? 4 : 16);
	s->port = ntohs(m->id.idiag_sport);
	s->cookie = (uint64_t)m->id.idiag_cookie[1] << 32 |
		    m->id.idiag_cookie[0];
	s->uid = m->idiag_uid;
	s->ifindex = m->id.idiag_if;
	alen = (int)(h->nlmsg_len - NLMSG_LENGTH(sizeof(*m)));
	a = (const struct rtattr *)((const char *)m + NLMSG_ALIGN(sizeof(*m)));
	for (; RTA_OK(a, alen); a = RTA_NEXT(a, alen))
		if (a->rta_type == INET_DIAG_SKV6ONLY && RTA_PAYLOAD(a) >= 1)
			s->v6only = *(const uint8_t *)RTA_DATA(a) != 0;
	return 0;
}

/* What to do with each socket of an answer. */
struct answer {
	uint32_t seq;
	bool dump;
	uint16_t port;	 /* dump: only this port, 0 for all */
	uint32_t states; /* dump: only these states */
	sockdiag_cb cb;
	void *opaque;
	int err; /* the first error: from @cb, or of the answer */
};

/* One message of the answer; true when it was the last. */
static bool take_message(const struct nlmsghdr *h, struct answer *an)
{
	struct sockdiag_sock s;
	int r;

	if (h->nlmsg_type == NLMSG_DONE) {
		/* Since Linux 4.x DONE carries the dump's own error. */
		if (h->nlmsg_len >= NLMSG_LENGTH(sizeof(int))) {
			memcpy(&r, NLMSG_DATA(h), sizeof(r));
			if (r < 0 && !an->err)
				an->err = r;
		}
		return true;
	}
	if (h->nlmsg_type == NLMSG_ERROR) {
		const struct nlmsgerr *e = NLMSG_DATA(h);

		if (!an->err)
			an->err = h->nlmsg_len < NLMSG_LENGTH(sizeof(*e)) ?
					  -EPROTO :
				  e->error ? e->error :
					     -EPROTO;
		return true;
	}
	if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY)
		return false;
	r = parse_sock(h, &s);
	if (r < 0) {
		if (!an->err)
			an->err = r;
	} else if (!an->err &&
		   (!an->dump || ((!an->port || s.port == an->port) &&
				  (an->states & (1U << s.state))))) {
		an->err = an->cb(&s, an->opaque);
	}
	return !an->dump; /* an exact request has one answer */
}

/*
 * Read the answer to request @an->seq to its end.  The kernel fills a dump
 * message as we read the previous one, so a non-blocking read finds the
 * next one at once: EAGAIN before the end means the answer was lost.
 */
static int read_answer(struct sockdiag *d, struct answer *an)
{
	char buf[SOCKDIAG_BUF_SIZE] __attribute__((aligned(NLMSG_ALIGNTO)));

	for (;;) {
		struct sockaddr_nl from;
		struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
		struct msghdr m = {
			.msg_name = &from,
			.msg_namelen = sizeof(from),
			.msg_iov = &iov,
			.msg_iovlen = 1,
		};
		ssize_t n = recvmsg(d->fd, &m, 0);
		int len;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return an->err ? an->err : -errno;
		}
		if (m.msg_flags & MSG_TRUNC) {
			/* Its end may have been cut off: stop here.  Later
			 * parts carry this seq and are skipped. */
			return an->err ? an->err : -EMSGSIZE;
		}
		if (m.msg_namelen != sizeof(from) || from.nl_pid != 0)
			continue; /* not the kernel's */
		len = (int)n;
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf;
		     NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
			if (h->nlmsg_seq != an->seq)
				continue;
			if (take_message(h, an))
				return an->err;
		}
		if (len != 0)
			return an->err ? an->err : -EPROTO;
	}
}

static int send_request(struct sockdiag *d, const struct inet_diag_req_v2 *r,
			bool dump, uint32_t *ret_seq)
{
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	struct {
		struct nlmsghdr h;
		struct inet_diag_req_v2 r;
	} req;

	memset(&req, 0, sizeof(req));
	req.h.nlmsg_len = sizeof(req);
	req.h.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	req.h.nlmsg_flags = NLM_F_REQUEST | (dump ? NLM_F_DUMP : 0);
	req.h.nlmsg_seq = ++d->seq;
	req.r = *r;
	if (d->fd < 0)
		return -EBADF;
	if (sendto(d->fd, &req, sizeof(req), 0, (struct sockaddr *)&kernel,
		   sizeof(kernel)) < 0)
		return -errno;
	*ret_seq = req.h.nlmsg_seq;
	return 0;
}

static int store_one(const struct sockdiag_sock *s, void *opaque)
{
	if (opaque)
		*(struct sockdiag_sock *)opaque = *s;
	return 0;
}

int sockdiag_tcp_lookup(struct sockdiag *d, const struct sockaddr *dst,
			socklen_t len, uint64_t cookie,
			struct sockdiag_sock *ret)
{
	struct inet_diag_req_v2 r = {
		.sdiag_protocol = IPPROTO_TCP,
		.idiag_states = ~0U,
	};
	struct answer an = { .cb = store_one, .opaque = ret };
	struct inet_dst t;
	int err;

	err = dst_parse(dst, len, &t);
	if (err < 0)
		return err;
	r.sdiag_family = (uint8_t)t.family;
	memcpy(r.id.idiag_src, t.addr, sizeof(r.id.idiag_src));
	r.id.idiag_sport = htons(t.port);
	r.id.idiag_cookie[0] = (uint32_t)cookie;
	r.id.idiag_cookie[1] = (uint32_t)(cookie >> 32);
	err = send_request(d, &r, false, &an.seq);
	if (err < 0)
		return err;
	return read_answer(d, &an);
}

static int dump_family(struct sockdiag *d, int family, uint16_t port,
		       uint32_t states, sockdiag_cb cb, void *opaque)
{
	struct inet_diag_req_v2 r = {
		.sdiag_family = (uint8_t)family,
		.sdiag_protocol = IPPROTO_TCP,
		.idiag_states = states,
		.id.idiag_sport = htons(port),
	};
	struct answer an = {
		.dump = true,
		.port = port,
		.states = states,
		.cb = cb,
		.opaque = opaque,
	};
	int err = send_request(d, &r, true, &an.seq);

	return err < 0 ? err : read_answer(d, &an);
}

int sockdiag_tcp_dump(struct sockdiag *d, int family, uint16_t port,
		      uint32_t states, sockdiag_cb cb, void *opaque)
{
	int r;

	if (family == AF_INET || family == AF_INET6)
		return dump_family(d, family, port, states, cb, opaque);
	if (family != AF_UNSPEC)
		return -EAFNOSUPPORT;
	r = dump_family(d, AF_INET, port, states, cb, opaque);
	if (r < 0)
		return r;
	return dump_family(d, AF_INET6, port, states, cb, opaque);
}

struct collect {
	struct sockdiag_sock *socks;
	size_t max, n;
	bool overflow;
};

static int collect_one(const struct sockdiag_sock *s, void *opaque)
{
	struct collect *c = opaque;

	if (c->n < c->max)
		c->socks[c->n++] = *s;
	else
		c->overflow = true; /* read on: the dump is drained */
	return 0;
}

int sockdiag_tcp_listeners(struct sockdiag *d, int family, uint16_t port,
			   struct sockdiag_sock *ret, size_t max, size_t *ret_n)
{
	struct collect c = { .socks = ret, .max = max };
	int r;

	*ret_n = 0;
	if (port == 0)
		return -EINVAL;
	r = sockdiag_tcp_dump(d, family, port, 1U << TCP_LISTEN, collect_one,
			      &c);
	*ret_n = c.n;
	if (r < 0)
		return r;
	return c.overflow ? -ENOSPC : 0;
}

int sockdiag_sock_set_addr(struct sockdiag_sock *s, const struct sockaddr *sa,
			   socklen_t len)
{
	if (sa->sa_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *s4 = (const void *)sa;

		s->family = AF_INET;
		memset(s->addr, 0, sizeof(s->addr));
		memcpy(s->addr, &s4->sin_addr, 4);
		s->port = ntohs(s4->sin_port);
		return 0;
	}
	if (sa->sa_family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *s6 = (const void *)sa;

		s->family = AF_INET6;
		memcpy(s->addr, &s6->sin6_addr, 16);
		s->port = ntohs(s6->sin6_port);
		return 0;
	}
	if (sa->sa_family == AF_INET || sa->sa_family == AF_INET6)
		return -EINVAL;
	return -EAFNOSUPPORT;
}

bool sockdiag_receives(const struct sockdiag_sock *s,
		       const struct sockaddr *dst)
{
	socklen_t len = dst->sa_family == AF_INET ? sizeof(struct sockaddr_in) :
						    sizeof(struct sockaddr_in6);
	struct inet_dst t;

	if (dst_parse(dst, len, &t) < 0 || s->port != t.port)
		return false;
	if (s->family == AF_INET)
		return t.family == AF_INET && (inaddr_is_zero(s->addr, 4) ||
					       memcmp(s->addr, t.addr, 4) == 0);
	if (s->family != AF_INET6)
		return false;
	if (t.family == AF_INET6) /* a v4-mapped bind takes no IPv6 */
		return !inaddr_is_v4mapped(s->addr) &&
		       (inaddr_is_zero(s->addr, 16) ||
			memcmp(s->addr, t.addr, 16) == 0);
	if (s->v6only)
		return false;
	if (inaddr_is_zero(s->addr, 16))
		return true;
	/* ::ffff:0.0.0.0 is the IPv4 wildcard of an IPv6 socket. */
	return inaddr_is_v4mapped(s->addr) &&
	       (inaddr_is_zero(s->addr + 12, 4) ||
		memcmp(s->addr + 12, t.addr, 4) == 0);
}
