// SPDX-License-Identifier: Apache-2.0
/*
 * sockopt.c - the allow-list of recorded and replayed socket options.
 * The seccomp filter traps setsockopt() for exactly these pairs (argument
 * filters on level and name), so no other setsockopt pays a round trip.
 * docs/design.md section 4 reviews it against what curl, OpenSSH, glibc,
 * Go, Java, node, python, nginx and dig set before connect().
 */
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "sockopt.h"
#include "util.h"

/* The formatter would break this brace-initializer macro apart. */
/* clang-format off */
#define OPT(l, n) { l, n, #l "/" #n }
/* clang-format on */

const struct sockopt_desc sockopt_recorded[] = {
	OPT(SOL_SOCKET, SO_REUSEADDR),
	OPT(SOL_SOCKET, SO_REUSEPORT),
	OPT(SOL_SOCKET, SO_KEEPALIVE),
	OPT(SOL_SOCKET, SO_LINGER),
	OPT(SOL_SOCKET, SO_RCVBUF),
	OPT(SOL_SOCKET, SO_SNDBUF),
	OPT(SOL_SOCKET, SO_RCVLOWAT),
	OPT(SOL_SOCKET, SO_RCVTIMEO_OLD),
	OPT(SOL_SOCKET, SO_SNDTIMEO_OLD),
	OPT(SOL_SOCKET, SO_RCVTIMEO_NEW),
	OPT(SOL_SOCKET, SO_SNDTIMEO_NEW),
	OPT(SOL_SOCKET, SO_BROADCAST),
	OPT(SOL_SOCKET, SO_OOBINLINE),
	OPT(IPPROTO_TCP, TCP_NODELAY),
	OPT(IPPROTO_TCP, TCP_MAXSEG),
	OPT(IPPROTO_TCP, TCP_CORK),
	OPT(IPPROTO_TCP, TCP_KEEPIDLE),
	OPT(IPPROTO_TCP, TCP_KEEPINTVL),
	OPT(IPPROTO_TCP, TCP_KEEPCNT),
	OPT(IPPROTO_TCP, TCP_SYNCNT),
	OPT(IPPROTO_TCP, TCP_LINGER2),
	OPT(IPPROTO_TCP, TCP_WINDOW_CLAMP),
	OPT(IPPROTO_TCP, TCP_USER_TIMEOUT),
	OPT(IPPROTO_TCP, TCP_NOTSENT_LOWAT),
	OPT(IPPROTO_TCP, TCP_FASTOPEN_CONNECT), /* curl --tcp-fastopen */
	OPT(IPPROTO_TCP, TCP_FASTOPEN_NO_COOKIE),
	OPT(IPPROTO_IP, IP_TOS),
	OPT(IPPROTO_IP, IP_TTL),
	OPT(IPPROTO_IP, IP_RECVERR),
	OPT(IPPROTO_IP, IP_MTU_DISCOVER),
	OPT(IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT),
	OPT(IPPROTO_IP, IP_PKTINFO),
	OPT(IPPROTO_IP, IP_RECVTOS),
	OPT(IPPROTO_IP, IP_MULTICAST_ALL), /* Java, IPv4 datagrams */
	OPT(IPPROTO_IPV6, IPV6_V6ONLY),
	OPT(IPPROTO_IPV6, IPV6_TCLASS),
	OPT(IPPROTO_IPV6, IPV6_UNICAST_HOPS),
	OPT(IPPROTO_IPV6, IPV6_RECVERR),
	OPT(IPPROTO_IPV6, IPV6_MTU_DISCOVER),
	OPT(IPPROTO_IPV6, IPV6_RECVPKTINFO),
	OPT(IPPROTO_IPV6, IPV6_RECVTCLASS),
	OPT(IPPROTO_IPV6, IPV6_MULTICAST_HOPS), /* Java, IPv6 datagrams */
};
const size_t sockopt_recorded_len = ARRAY_SIZE(sockopt_recorded);

static const struct sockopt_desc *sockopt_find(int level, int name)
{
	for (size_t i = 0; i < ARRAY_SIZE(sockopt_recorded); i++)
		if (sockopt_recorded[i].level == level &&
		    sockopt_recorded[i].name == name)
			return &sockopt_recorded[i];
	return NULL;
}

bool sockopt_is_recorded(int level, int name)
{
	return sockopt_find(level, name) != NULL;
}

const char *sockopt_name(int level, int name)
{
	const struct sockopt_desc *d = sockopt_find(level, name);

	return d ? d->str : NULL;
}
