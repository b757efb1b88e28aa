#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# test-dns.sh - DNS through the fallback network: a query from inside the
# container to 10.0.2.3:53 is answered by the resolver the host's
# /etc/resolv.conf names (nsbypass run --net=slirp, the default).
#
# libslirp 4.7 forwards a UDP or TCP packet for its virtual nameserver
# (vnameserver, 10.0.2.3) only when it is for port 53, and then to the
# first IPv4 "nameserver" line of /etc/resolv.conf, read by the agent when
# the first query arrives and re-read when the file changes.  Any address
# is used as it is, loopback included: --disable-host-loopback (our
# default) governs the gateway 10.0.2.2, not the nameserver.  Without an
# IPv4 nameserver line the query is dropped (no fallback to 127.0.0.1 in
# 4.7, not even with --enable-host-loopback); so is a packet for another
# port of 10.0.2.3.
#
# The test owns the resolver so that nothing leaves the machine: the
# script re-executes itself in a private mount namespace, bind-mounts its
# own resolv.conf on /etc/resolv.conf there (the agent, started from the
# script as the test user, reads it) and answers on the named address
# with dns-responder.py, which logs every query it gets:
#   - upstream on the test host 10.99.0.1:53: the container's query to
#     10.0.2.3 gets the responder's A record, and the responder saw the
#     query from 10.99.0.1 (the agent's host-side socket), not from the
#     container;
#   - upstream on a loopback address: still answered under the default
#     --disable-host-loopback (a host running systemd-resolved or
#     dnsmasq on 127.0.0.x works);
#   - 10.0.2.3 on another port than 53 reaches nothing, although a
#     responder listens on that port of the upstream address;
#   - negative control: --net=none has no route to 10.0.2.3 (ENETUNREACH)
#     and the responder sees nothing;
#   - --net=none: getaddrinfo(AI_ADDRCONFIG) (python, getent ahostsv4)
#     asks the resolver on the test host through the bypass.
# Skips (77) when no private mount namespace can be made.
set -xeuo pipefail

if [ -z "${NB_DNS_MNTNS:-}" ] && [ "$(id -u)" -eq 0 ]; then
	if unshare -m --propagation private true 2>/dev/null; then
		NB_DNS_MNTNS=1 exec unshare -m --propagation private "$0" "$@"
	fi
	echo "SKIP: cannot create a private mount namespace for a test resolv.conf"
	exit 77
fi
# shellcheck source=tests/integration/common.sh
. "$(dirname "$0")/common.sh"

setup_rootless_test
require_cmd mount flock
[ -n "${NB_DNS_MNTNS:-}" ] || nb_skip "not in a private mount namespace"
require_tun "the fallback"

# One run at a time: the responder needs port 53 of the test host.
exec {dns_lock}>>/run/nsbypass-test-dns.lock
flock -w 60 "$dns_lock" || nb_fail "cannot lock /run/nsbypass-test-dns.lock"
if _nb_listening "$NB_HOST4" 53 udp; then
	nb_skip "something else listens on $NB_HOST4:53/udp"
fi

NAME=probe.nsbypass.test
WANT=198.51.100.7	# TEST-NET-2: only ever an answer, never contacted
QUERY=$(nb_stage "$NB_ITEST_DIR/dns-query.py")

# The agent reads /etc/resolv.conf: ours, in this mount namespace only.
# It is rewritten in place (same inode) for each upstream.
RESOLV=$NB_TMP/resolv.conf
echo "nameserver $NB_HOST4" >"$RESOLV"
chmod 644 "$RESOLV"
mount --bind "$RESOLV" /etc/resolv.conf ||
	nb_skip "cannot bind-mount a test resolv.conf on /etc/resolv.conf"
grep -qx "nameserver $NB_HOST4" /etc/resolv.conf ||
	nb_fail "the bind mount did not take: $(cat /etc/resolv.conf)"

# start_dns NAME ADDR PORT: a responder answering $NAME with $WANT,
# logging to $NB_TMP/NAME.queries.
start_dns() {
	: >"$NB_TMP/$1.queries"
	start_bg "$1" "$NB_PYTHON" -u "$NB_ITEST_DIR/dns-responder.py" \
		"$2" "$3" "$NAME" "$WANT" "$NB_TMP/$1.queries"
	wait_for_port "$2" "$3" udp
}

# expect_queries DESC LOG WANT_COUNT [PEER]: LOG holds exactly WANT_COUNT
# lines, each a query for $NAME (type A), from PEER (an address) if given.
expect_queries() {
	local desc=$1 log=$2 want=$3 peer=${4:-} n good
	n=$(grep -c '' "$log" || true)
	good=$(grep -c "^query $NAME 1 from ${peer:+$peer:}" "$log" || true)
	if [ "$n" -ne "$want" ] || [ "$good" -ne "$want" ]; then
		nb_error "$desc: the responder logged $n line(s), $good" \
			 "matching, want $want: $(cat "$log")"
	else
		nb_pass "$desc: $want as expected${peer:+ from $peer}"
	fi
}

# 1. The upstream is the test host: answered through slirp.
start_dns dns4 "$NB_HOST4" 53
nb_expect_ok "query to 10.0.2.3 is answered by the resolv.conf nameserver" \
	nb_bypass -- "$NB_PYTHON" "$QUERY" 10.0.2.3 53 "$NAME"
nb_expect_last "query to 10.0.2.3 is answered by the resolv.conf nameserver" \
	"OK $NAME A $WANT"
expect_queries "slirp forwarded the query from the host side" \
	"$NB_TMP/dns4.queries" 1 "$NB_HOST4"

# 2. A loopback upstream (systemd-resolved, dnsmasq) works too, although
# the gateway does not reach the host's loopback by default.  A random
# 127/8 address keeps off any real local resolver.
LO=127.$((RANDOM % 200 + 50)).$((RANDOM % 250 + 1)).$((RANDOM % 250 + 1))
start_dns dnslo "$LO" 53
echo "nameserver $LO" >"$RESOLV"
nb_expect_ok "a loopback nameserver ($LO) answers through 10.0.2.3" \
	nb_bypass -- "$NB_PYTHON" "$QUERY" 10.0.2.3 53 "$NAME"
nb_expect_last "a loopback nameserver ($LO) answers through 10.0.2.3" \
	"OK $NAME A $WANT"
expect_queries "the loopback nameserver got the query" \
	"$NB_TMP/dnslo.queries" 1 127.0.0.1

# 3. Only port 53 of 10.0.2.3 is forwarded: another port must not reach
# the same address's other services (a loopback one here).
OP=$(free_port)
start_dns dnsport "$LO" "$OP"
nb_expect_fail "10.0.2.3 port $OP is not forwarded" "timeout" \
	nb_bypass -- "$NB_PYTHON" "$QUERY" 10.0.2.3 "$OP" "$NAME"
expect_queries "nothing reached $LO:$OP" "$NB_TMP/dnsport.queries" 0

# 4. Negative control: without the fallback there is no way to 10.0.2.3.
echo "nameserver $NB_HOST4" >"$RESOLV"
: >"$NB_TMP/dns4.queries"
nb_expect_fail "--net=none: no route to 10.0.2.3" "ENETUNREACH" \
	nb_bypass --net=none -- "$NB_PYTHON" "$QUERY" 10.0.2.3 53 "$NAME"
expect_queries "--net=none: the responder saw nothing" \
	"$NB_TMP/dns4.queries" 0

# 5. --net=none: glibc's getaddrinfo(AI_ADDRCONFIG) asks the resolver (on
# the test host, reached through the bypass).  With only lo it answered
# "Name or service not known" and sent nothing: the addresses nsbypass
# puts on lo (192.0.0.8, 100::8) satisfy its check and route nowhere.
nb_expect_ok "--net=none: python getaddrinfo(AI_ADDRCONFIG) resolves $NAME" \
	nb_bypass --net=none -- python3 -c "
import socket
a = socket.getaddrinfo('$NAME', 80, socket.AF_INET, socket.SOCK_STREAM, 0,
                       socket.AI_ADDRCONFIG)
print('OK', a[0][4][0])"
nb_expect_last "--net=none: python getaddrinfo(AI_ADDRCONFIG) resolves $NAME" \
	"OK $WANT"
nb_expect_ok "--net=none: getent ahostsv4 $NAME" \
	nb_bypass --net=none -- sh -c "getent ahostsv4 $NAME | head -n 1 &&
		echo OK getent"
grep -q "^$WANT " <<<"$NB_OUT" && nb_pass "getent ahostsv4 gave $WANT" ||
	nb_error "getent ahostsv4 gave: $NB_OUT"
expect_queries "--net=none: the queries came through the bypass" \
	"$NB_TMP/dns4.queries" 2
nb_expect_fail "--net=none: 192.0.0.8 is the container's own (refused on lo, not switched)" \
	"Connection refused" \
	nb_bypass --net=none -- python3 -c "
import socket, sys
s = socket.socket()
s.settimeout(3)
s.connect(('192.0.0.8', 9))"
nb_done
