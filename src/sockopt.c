// SPDX-License-Identifier: Apache-2.0
/*
 * sockopt.c - the allow-list of recorded and replayed socket options.
 * The seccomp filter traps setsockopt() for exactly these pairs (argument
 * filters on level and name), so no other setsockopt pays a round trip.
 * docs/design.md section 4 reviews it against what curl, OpenSSH, glibc,
 * Go, Java, node, python, nginx and dig set before connect().
 *
 * Only the names are recorded; at the switch each value is read from the
 * socket it was set on and set on the host socket (sockopt_copy()).  What
 * getsockopt() gives back, checked against the kernel's (sk_getsockopt(),
 * do_tcp_getsockopt(), do_ip_getsockopt(), do_ipv6_getsockopt(), 6.x):
 *
 * Need care:
 * - SO_RCVBUF, SO_SNDBUF read back doubled: __sock_set_rcvbuf() stores
 *   max(2 * min(val, net.core.rmem_max), SOCK_MIN_RCVBUF) (wmem_max and
 *   SOCK_MIN_SNDBUF for SO_SNDBUF).  Half of it is set, which stores the
 *   same number: a clamped value reads 2 * rmem_max and gives it again
 *   (rmem_max and wmem_max are global, not per namespace), a tiny one
 *   reads the minimum and gives the minimum.  Setting also locks the size
 *   (no autotuning), so copying a value nobody set would change the
 *   socket: handle-setsockopt.c records no name for a call the kernel
 *   refuses for its length (a faulting optval pointer still records one,
 *   and the host socket then gets the container socket's size, locked).
 * - TCP_MAXSEG reads the user's MSS while the socket is CLOSE or LISTEN
 *   (before its connect(), or after a failed one), and the cached MSS when
 *   none was set (536 on a new socket): a value equal to TCP_INFO's
 *   tcpi_snd_mss (the cached MSS) is not copied.  A user MSS that happens
 *   to equal it is lost; setting TCP_MAXSEG to 0 (no user MSS) copies
 *   nothing, which is what it means.
 * - SO_RCVTIMEO/SO_SNDTIMEO, _OLD (struct timeval) and _NEW (struct
 *   __kernel_sock_timeval): read and set with the same name, the length
 *   the kernel gave.  The value is kept in jiffies and read back rounded
 *   to them, and setting that gives the same jiffies; unset reads 0,
 *   which sets "no timeout".  The agent is native, so a foreign caller's
 *   layout does not matter here.
 * - SO_LINGER reads struct linger with the seconds of sk_lingertime:
 *   exact, as it is set in seconds.  Off reads { 0, n }, which only
 *   clears the flag: n (a time set before) is set first, with the flag.
 * - IPV6_V6ONLY: copied here and by sockinfo_copy_v6only() as before (it
 *   has to be set before the bind); the same value twice.
 * - TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT, TCP_SYNCNT, TCP_LINGER2,
 *   IP_TTL, IPV6_UNICAST_HOPS, IP_MTU_DISCOVER, IPV6_MTU_DISCOVER: unset,
 *   they read the default of the socket's namespace (a sysctl), which
 *   is then set explicitly: the host socket behaves as the container's
 *   did, not as the host's default says.  Only reached for a name that
 *   was set, so only for a value set back to that default or a call that
 *   failed.
 * - TCP_FASTOPEN_CONNECT sets only where the host's net.ipv4.tcp_fastopen
 *   allows clients (EOPNOTSUPP otherwise: counted as failed, as before).
 * - SO_RCVLOWAT on TCP may raise sk_rcvbuf (unlocked) and window_clamp
 *   when set; the same happens on the host socket, in the same order.
 * The rest are ints (or booleans, read back 0/1) read as they were set:
 * SO_REUSEADDR, SO_REUSEPORT, SO_KEEPALIVE, SO_BROADCAST, SO_OOBINLINE,
 * TCP_NODELAY, TCP_CORK, TCP_WINDOW_CLAMP, TCP_USER_TIMEOUT,
 * TCP_NOTSENT_LOWAT, TCP_FASTOPEN_NO_COOKIE, IP_TOS (the ECN bits of a
 * TCP socket are the kernel's, kept on set), IP_RECVERR, IP_PKTINFO,
 * IP_RECVTOS, IP_BIND_ADDRESS_NO_PORT, IP_MULTICAST_ALL, IPV6_TCLASS,
 * IPV6_RECVERR, IPV6_RECVPKTINFO, IPV6_RECVTCLASS, IPV6_MULTICAST_HOPS.
 * An option of the other family's level (IPV6_* on an IPv4 socket) fails
 * to read, as it failed to set: nothing is copied.  IPV6_MULTICAST_HOPS
 * reads on a TCP socket but is refused there (ENOPROTOOPT): the copy
 * fails as the caller's call did.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <stdint.h>
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

/* The MSS TCP_MAXSEG reads when no user MSS is set (see above). */
static int cached_mss(int fd)
{
	struct tcp_info ti = { 0 };
	socklen_t len = sizeof(ti);

	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0)
		return -errno;
	return (int)ti.tcpi_snd_mss;
}

int sockopt_copy(int from, int to, int level, int name)
{
	union {
		int i;
		struct linger l;
		uint8_t b[SOCKOPT_VAL_MAX];
	} v = { 0 };
	socklen_t len = sizeof(v);

	if (getsockopt(from, level, name, &v, &len) < 0)
		return -errno;
	if (level == SOL_SOCKET && (name == SO_RCVBUF || name == SO_SNDBUF)) {
		v.i /= 2;
	} else if (level == SOL_SOCKET && name == SO_LINGER && !v.l.l_onoff &&
		   v.l.l_linger) {
		struct linger on = { 1, v.l.l_linger };

		if (setsockopt(to, level, name, &on, sizeof(on)) < 0)
			return -errno;
	} else if (level == IPPROTO_TCP && name == TCP_MAXSEG &&
		   v.i == cached_mss(from))
		return 0;
	if (setsockopt(to, level, name, &v, len) < 0)
		return -errno;
	return 0;
}
