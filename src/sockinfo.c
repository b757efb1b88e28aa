// SPDX-License-Identifier: Apache-2.0
/*
 * sockinfo.c - getsockopt() queries on a copy of a container socket.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "seccomp-compat.h"
#include "sockinfo.h"

static int get_int(int fd, int level, int name, int *ret)
{
	socklen_t len = sizeof(*ret);

	if (getsockopt(fd, level, name, ret, &len) < 0)
		return -errno;
	return 0;
}

uint64_t sockinfo_cookie(int fd)
{
	uint64_t c = 0;
	socklen_t len = sizeof(c);

	if (getsockopt(fd, SOL_SOCKET, SO_COOKIE, &c, &len) < 0)
		return 0;
	return c;
}

uint64_t sockinfo_netns_cookie(int fd)
{
	uint64_t c = 0;
	socklen_t len = sizeof(c);

	if (getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, &c, &len) < 0)
		return 0;
	return c;
}

/*
 * Bound: a local port, or a local address other than the wildcard.  From
 * the same getsockname(), the domain: every family fills in sa_family,
 * which spares a getsockopt(SO_DOMAIN).
 */
static void query_local(const struct sockaddr_storage *ss, struct sockinfo *ret)
{
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s = (const void *)ss;

		ret->any_addr = s->sin_addr.s_addr == INADDR_ANY;
		ret->bound = s->sin_port || !ret->any_addr;
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s = (const void *)ss;

		ret->any_addr = IN6_IS_ADDR_UNSPECIFIED(&s->sin6_addr);
		ret->bound = s->sin6_port || !ret->any_addr;
	}
}

int sockinfo_query_kind(int fd, struct sockinfo *ret)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int r;

	memset(ret, 0, sizeof(*ret));
	memset(&ss, 0, sizeof(ss));
	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0) {
		if (errno == ENOTSOCK || errno == EBADF)
			return -errno;
		/* A family without getsockname() (AF_ALG): not ours. */
		ss.ss_family = AF_UNSPEC;
	}
	ret->domain = ss.ss_family;
	query_local(&ss, ret);
	r = get_int(fd, SOL_SOCKET, SO_TYPE, &ret->type);
	if (r < 0)
		return r;
	r = get_int(fd, SOL_SOCKET, SO_PROTOCOL, &ret->protocol);
	if (r < 0)
		return r;
	ret->cookie = sockinfo_cookie(fd);
	return 0;
}

int sockinfo_query(int fd, struct sockinfo *ret)
{
	struct sockinfo si;
	int r, v;

	r = sockinfo_query_kind(fd, &si);
	if (r < 0)
		return r;
	si.netns_cookie = sockinfo_netns_cookie(fd);
	/* si.bound: a listening inet socket always has a port. */
	if (get_int(fd, SOL_SOCKET, SO_BINDTOIFINDEX, &v) == 0)
		si.bound_ifindex = v;
	*ret = si;
	return 0;
}

struct timeval sockinfo_sndtimeo(int fd)
{
	struct timeval tv = { 0 };
	socklen_t len = sizeof(tv);

	if (getsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, &len) < 0)
		memset(&tv, 0, sizeof(tv));
	return tv;
}

bool sockinfo_is_v6only(int fd)
{
	int v = 0;

	return get_int(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v) == 0 && v;
}

void sockinfo_copy_v6only(int from, int to)
{
	socklen_t len = sizeof(int);
	int v;

	if (getsockopt(from, IPPROTO_IPV6, IPV6_V6ONLY, &v, &len) == 0)
		(void)setsockopt(to, IPPROTO_IPV6, IPV6_V6ONLY, &v, sizeof(v));
}

bool sockinfo_is_switchable(const struct sockinfo *si)
{
	if (si->domain != AF_INET && si->domain != AF_INET6)
		return false;
	if (si->type == SOCK_STREAM)
		return si->protocol == IPPROTO_TCP;
	if (si->type == SOCK_DGRAM)
		return si->protocol == IPPROTO_UDP;
	return false;
}
