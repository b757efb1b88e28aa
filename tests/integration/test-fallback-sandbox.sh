#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# test-fallback-sandbox.sh - the fallback network of `nsbypass run` (the
# libslirp stack that parses every frame the container sends) runs in a
# confined process of its own, apart from the agent (docs/design.md §1.3,
# §7), and still works.
#
# As the unprivileged user, with a build made with -Dtest_hooks=true:
#   - NSBYPASS_TEST_SANDBOX_PROBE makes the real fallback process, once it
#     has the tap (the agent then holds its notify fd), try to open a file
#     in the user's home, /etc/passwd, create a file, exec /bin/sh, ptrace
#     the agent, read its memory, signal it, pidfd_open it, take its
#     notify fd with pidfd_getfd() (the number read from the agent's
#     /proc/PID/fd in a first run), use that fd number, and open AF_UNIX,
#     AF_NETLINK and AF_PACKET sockets, a socketpair and a user namespace:
#     one "refused" line each, and "15 of 15 refused";
#   - from outside: the process is not the agent, its /proc/PID/root (read
#     as the user) holds only etc/resolv.conf and dev/urandom, CapInh,
#     CapPrm, CapEff, CapBnd and CapAmb are 0, NoNewPrivs 1, Seccomp 2;
#     its soft fd limit is the hard one (slirp holds a host socket per
#     closed connection for a while: a connection-rate load ran out at
#     1024); its user and mount namespaces are its own, its network
#     namespace the host's; its fds hold no seccomp notify fd and no
#     pidfd, and share no socket with the agent (its report and route
#     sockets); stdin and stdout are /dev/null;
#   - it still carries TCP and UDP over IPv4, TCP over IPv6
#     (--enable-ipv6), DNS through 10.0.2.3 (the resolv.conf it was given,
#     answered by dns-responder.py on the test host), and a published UDP
#     port, whose host socket is the fallback process's; it sleeps when
#     idle;
#   - when the command ends, the process is gone and the host port free;
#   - a fallback killed by SIGSYS (what its seccomp filter does to a call
#     off the allow-list) is logged with the line that names the filter,
#     and the command goes on: the bypass still works.
# Skips (77) without a -Dtest_hooks build.
set -xeuo pipefail
# shellcheck source=tests/integration/common.sh
. "$(dirname "$0")/common.sh"

setup_rootless_test
require_cmd mount flock find
require_tun "the fallback"
[ "${NB_TEST_HOOKS:-0}" = 1 ] ||
	nb_skip "not a -Dtest_hooks=true build (tests/run.sh makes one)"

H4=$NB_HOST4
H6=$NB_HOST6
start_test_echo
EP=$NB_ECHO_PORT
SRV=$(nb_stage "$NB_ITEST_DIR/publish-server.py")
QUERY=$(nb_stage "$NB_ITEST_DIR/dns-query.py")
HOME_DIR=$(getent passwd "$NB_USER" | cut -d: -f6)
SECRET=$HOME_DIR/.nsbypass-sandbox-secret
install -m 0600 -o "$NB_USER" /dev/null "$SECRET"
fbs_cleanup() {
	local rc=$?
	set +e
	rm -f "$SECRET"
	(exit "$rc")	# cleanup reads the script's status from $?
	cleanup
}
trap fbs_cleanup EXIT
echo "the user's secret" >"$SECRET"
as_user cat "$SECRET" >/dev/null || nb_fail "the user cannot read $SECRET"

# DNS: the fallback binds /etc/resolv.conf into its root; the runs below
# see ours (a mount namespace of their own, in_resolv), and a responder
# on the test host answers.  Port 53 there is shared with test-dns.sh:
# its lock.
NAME=probe.nsbypass.test
WANT=198.51.100.7
RESOLV=$NB_TMP/resolv.conf
echo "nameserver $H4" >"$RESOLV"
chmod 644 "$RESOLV"
# in_resolv CMD...: CMD (as_user ...) where /etc/resolv.conf is $RESOLV.
export -f as_user
in_resolv() {
	unshare -m --propagation private -- bash -c \
		'mount --bind "$1" /etc/resolv.conf && shift && "$@"' \
		bash "$RESOLV" "$@"
}
exec {dns_lock}>>/run/nsbypass-test-dns.lock
flock -w 60 "$dns_lock" || nb_fail "cannot lock /run/nsbypass-test-dns.lock"
DNS=1
if _nb_listening "$H4" 53 udp; then
	DNS=0
	echo "note: something listens on $H4:53/udp: no DNS check"
elif ! in_resolv true; then
	DNS=0
	echo "note: no mount namespace with a test resolv.conf: no DNS check"
else
	: >"$NB_TMP/dns.queries"
	start_bg dns "$NB_PYTHON" -u "$NB_ITEST_DIR/dns-responder.py" \
		"$H4" 53 "$NAME" "$WANT" "$NB_TMP/dns.queries"
	wait_for_port "$H4" 53 udp
fi

# fallback_pid LOG: the fallback's pid from the agent's debug line.
fallback_pid() {
	sed -n 's/.*debug: fallback network: process \([0-9]*\)$/\1/p' "$1" | head -n 1
}

# wait_log LOG PATTERN: up to 20 s until PATTERN (an ERE) is in LOG.
wait_log() {
	for _ in $(seq 200); do
		grep -Eq -- "$2" "$1" && return 0
		sleep 0.1
	done
	_nb_dump_logs
	nb_fail "no /$2/ in $1 after 20 s"
}

wrap=
[ "$DNS" = 0 ] || wrap=in_resolv
# start_run NAME ENV CMD...: nsbypass run as the user in the background,
# the published UDP port, IPv6 and the test host --ignore'd (through
# slirp), with ENV (VAR=VALUE or "") in its environment.
start_run() {
	local name=$1 env=$2
	shift 2
	start_bg "$name" $wrap as_user env ${env:+"$env"} \
		timeout -k 5 90 "$NSBYPASS" run --log-level=debug --enable-ipv6 \
		--ignore=10.99.0.0/24 --ignore=fd99::/64 -p "$HP:$CP/udp" \
		-- "$@"
}

# The command inside: a UDP server on the published port, the checks
# through slirp, one "check NAME: LAST-LINE" each, then it waits for
# $NB_TMP/done.NAME.
inner='
name=$1 sockprobe=$2 h4=$3 h6=$4 ep=$5 srv=$6 cp=$7 query=$8 dns=$9 done=${10}
python3 -u "$srv" 90 "udp:0.0.0.0:$cp" &
check() { c=$1; shift; echo "check $c: $("$@" 2>&1 | tail -n 1)"; }
check tcp4 "$sockprobe" tcp-echo "$h4" "$ep"
check udp4 "$sockprobe" udp-echo "$h4" "$ep"
check many "$sockprobe" many "$h4" "$ep" 50
check tcp6 "$sockprobe" tcp-echo "$h6" "$ep"
[ "$dns" = 0 ] || check dns python3 "$query" 10.0.2.3 53 probe.nsbypass.test
echo "checks done"
for _ in $(seq 600); do [ -e "$done.$name" ] && exit 0; sleep 0.1; done
exit 3'

# 1. A first run without the probe: the agent's notify fd number, which
# the probe then tries to take (the agent's fds are the same each run).
HP=$(free_port) CP=$(free_port)
start_run learn "" sh -c "$inner" sh learn "$SOCKPROBE" "$H4" "$H6" "$EP" \
	"$SRV" "$CP" "$QUERY" "$DNS" "$NB_TMP/done"
L=$NB_TMP/learn.log
wait_log "$L" '^checks done'
FB=$(fallback_pid "$L")
[ -n "$FB" ] || nb_fail "no 'fallback network: process N' line: $(cat "$L")"
AGENT=$(awk '/^PPid:/ { print $2 }' "/proc/$FB/status")
NFD=$(for f in /proc/"$AGENT"/fd/*; do
	case $(readlink "$f") in *"seccomp notify"*) echo "${f##*/}" ;; esac
done | head -n 1)
[ -n "$NFD" ] || nb_fail "the agent $AGENT holds no seccomp notify fd: $(ls -l "/proc/$AGENT/fd")"
echo "agent $AGENT holds the notify fd $NFD"
touch "$NB_TMP/done.learn"
wait "$NB_PID_learn" || nb_error "the first run failed: $(cat "$L")"

# 2. The probed run: everything is checked on this one.
HP=$(free_port) CP=$(free_port)
start_run probed "NSBYPASS_TEST_SANDBOX_PROBE=file=$SECRET,fd=$NFD" \
	sh -c "$inner" sh probed "$SOCKPROBE" "$H4" "$H6" "$EP" "$SRV" "$CP" \
	"$QUERY" "$DNS" "$NB_TMP/done"
L=$NB_TMP/probed.log
wait_log "$L" '^checks done'
FB=$(fallback_pid "$L")
[ -n "$FB" ] && [ -d "/proc/$FB" ] || nb_fail "no fallback process: $(cat "$L")"
AGENT=$(awk '/^PPid:/ { print $2 }' "/proc/$FB/status")
[ "$FB" != "$AGENT" ] && [ "$(cat "/proc/$AGENT/comm")" = nsbypass ] &&
	nb_pass "the fallback ($FB) is a process of its own, a child of the agent ($AGENT)" ||
	nb_error "fallback $FB, parent $AGENT ($(cat "/proc/$AGENT/comm"))"
[[ "$(readlink "/proc/$AGENT/fd/$NFD")" == *"seccomp notify"* ]] &&
	nb_pass "the agent holds the notify fd at $NFD, the number probed" ||
	nb_error "the agent's fd $NFD is $(readlink "/proc/$AGENT/fd/$NFD"), not the notify fd"

# The probe's lines: each attempt refused, with the errno that proves who
# refused it (EPERM: the filter; EBADF: the fd is not there).
probe_lines=(
	"open a file of the user's: refused"
	"open /etc/passwd: refused"
	"create a file: refused"
	"exec /bin/sh: refused (Operation not permitted)"
	"ptrace the agent: refused (Operation not permitted)"
	"read the agent's memory: refused (Operation not permitted)"
	"signal the agent: refused (Operation not permitted)"
	"pidfd_open the agent: refused (Operation not permitted)"
	"take the agent's notify fd: refused (Operation not permitted)"
	"use the notify fd's number: refused (Bad file descriptor)"
	"AF_UNIX socket: refused (Address family not supported by protocol)"
	"AF_NETLINK socket: refused (Address family not supported by protocol)"
	"AF_PACKET socket: refused (Address family not supported by protocol)"
	"socketpair: refused (Operation not permitted)"
	"unshare a user namespace: refused (Operation not permitted)"
)
for l in "${probe_lines[@]}"; do
	grep -qF "nsbypass: info: sandbox probe: $l" "$L" &&
		nb_pass "probe: $l" || nb_error "probe: no line '$l'"
done
grep -qF "sandbox probe: ${#probe_lines[@]} of ${#probe_lines[@]} refused" "$L" &&
	nb_pass "probe: ${#probe_lines[@]} of ${#probe_lines[@]} refused" ||
	nb_error "probe: want '${#probe_lines[@]} of ${#probe_lines[@]} refused': $(grep 'sandbox probe' "$L")"
if grep -q "NOT refused" "$L"; then
	nb_error "probe: $(grep 'NOT refused' "$L")"
fi

# Its root, as the user sees it: nothing but the two files.
root=$(as_user find "/proc/$FB/root/" -mindepth 1 | sed "s|^/proc/$FB/root/||" | sort | tr '\n' ' ')
[ "$root" = "dev dev/urandom etc etc/resolv.conf " ] &&
	nb_pass "its root holds only: $root" ||
	nb_error "its root holds: '$root'"
as_user sh -c ": <'/proc/$FB/root$SECRET'" 2>/dev/null &&
	nb_error "the user's file is in its root" ||
	nb_pass "the user's file is not in its root"

# Capabilities, no_new_privs, seccomp.
st=/proc/$FB/status
for f in CapInh CapPrm CapEff CapBnd CapAmb; do
	v=$(awk -v f="$f:" '$1 == f { print $2 }' "$st")
	[ "$v" = 0000000000000000 ] && nb_pass "$f: $v" || nb_error "$f: '$v', want 0"
done
[ "$(awk '$1 == "NoNewPrivs:" { print $2 }' "$st")" = 1 ] &&
	nb_pass "NoNewPrivs: 1" || nb_error "$(grep NoNewPrivs "$st")"
[ "$(awk '$1 == "Seccomp:" { print $2 }' "$st")" = 2 ] &&
	nb_pass "Seccomp: 2 (filter)" || nb_error "$(grep Seccomp: "$st")"

# Its fd limit: the hard one (libslirp holds a host socket per closed
# connection for a while; the agent raises its own limit after the fork).
lim=$(awk '/^Max open files/ { print $4 "/" $5 }' "/proc/$FB/limits")
[ "${lim%/*}" = "${lim#*/}" ] && nb_pass "its fd limit is the hard one: $lim" ||
	nb_error "its fd limit (soft/hard): $lim"

# Namespaces: user and mount its own, the network the host's.
for ns in user mnt net; do
	a=$(readlink "/proc/$AGENT/ns/$ns") f=$(readlink "/proc/$FB/ns/$ns")
	case $ns:$([ "$a" = "$f" ] && echo same || echo own) in
	user:own | mnt:own | net:same) nb_pass "$ns namespace: $f (agent: $a)" ;;
	*) nb_error "$ns namespace: fallback $f, agent $a" ;;
	esac
done

# Its fds: no notify fd, no pidfd, no socket of the agent's.
ls -l "/proc/$FB/fd"
fds=$(for f in /proc/"$FB"/fd/*; do readlink "$f"; done)
if grep -Eq 'seccomp notify|pidfd' <<<"$fds"; then
	nb_error "it holds: $(grep -E 'seccomp notify|pidfd' <<<"$fds" | tr '\n' ' ')"
else
	nb_pass "it holds no notify fd and no pidfd"
fi
agent_socks=$(for f in /proc/"$AGENT"/fd/*; do readlink "$f"; done |
	grep -E '^socket:|^anon_inode:' | sort -u)
shared=$(grep -E '^socket:' <<<"$fds" | sort -u | comm -12 - <(echo "$agent_socks") | tr '\n' ' ')
[ -z "$shared" ] && nb_pass "it shares no socket with the agent" ||
	nb_error "sockets of the agent's in it: $shared"
[ "$(readlink "/proc/$FB/fd/0")" = /dev/null ] &&
	[ "$(readlink "/proc/$FB/fd/1")" = /dev/null ] &&
	nb_pass "stdin and stdout are /dev/null" ||
	nb_error "stdin $(readlink "/proc/$FB/fd/0"), stdout $(readlink "/proc/$FB/fd/1")"

# It still works.
for c in tcp4 udp4 many tcp6; do
	got=$(sed -n "s/^check $c: //p" "$L")
	[[ "$got" == OK* ]] && nb_pass "through the fallback: $c: $got" ||
		nb_error "through the fallback: $c: '$got'"
done
if [ "$DNS" = 1 ]; then
	got=$(sed -n "s/^check dns: //p" "$L")
	[ "$got" = "OK $NAME A $WANT" ] &&
		nb_pass "DNS through 10.0.2.3 (the resolv.conf in its root): $got" ||
		nb_error "DNS through 10.0.2.3: '$got'"
fi
wait_log "$L" "^ready"
got=$("$NB_PYTHON" -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(5)
s.sendto(b"hello", (sys.argv[1], int(sys.argv[2])))
print(s.recvfrom(2048)[0].decode().strip())' "$H4" "$HP" 2>&1 || true)
[[ "$got" == "udp peer "* ]] && nb_pass "published UDP port $HP: $got" ||
	nb_error "published UDP port $HP: '$got'"
owner=$(ss -Hulnp "( sport = :$HP )" | grep -o 'pid=[0-9]*' | sort -u | tr '\n' ' ')
[ "$owner" = "pid=$FB " ] && nb_pass "its host socket is the fallback's ($owner)" ||
	nb_error "the host socket of $HP belongs to '$owner', want pid=$FB"

# Idle, with slirp holding the connections the checks closed, it sleeps.
hz=$(getconf CLK_TCK)
ticks() { awk '{ print $14 + $15 }' "/proc/$FB/stat"; }
a=$(ticks)
sleep 2
b=$(ticks)
[ $((b - a)) -le $((hz / 5)) ] && nb_pass "idle: $((b - a)) of $((2 * hz)) ticks in 2 s" ||
	nb_error "busy while idle: $((b - a)) of $((2 * hz)) ticks in 2 s"

touch "$NB_TMP/done.probed"
rc=0
wait "$NB_PID_probed" || rc=$?
[ "$rc" -eq 0 ] && nb_pass "the command's status: 0" || nb_error "the command's status: $rc"
if [ -d "/proc/$FB" ]; then
	nb_error "the fallback $FB runs on after the command: $(cat "/proc/$FB/status" | head -n 3)"
else
	nb_pass "the fallback is gone with the command"
fi
[ -z "$(ss -Hulnp "( sport = :$HP )")" ] && nb_pass "host port $HP is free" ||
	nb_error "host port $HP is still bound: $(ss -Hulnp "( sport = :$HP )")"
if grep -q "warn: the fallback network's process" "$L"; then
	nb_error "its end was reported as early: $(grep "fallback network's process" "$L")"
fi

# 3. The fallback killed by SIGSYS, as its filter kills: a line that says
# so, and the bypass goes on (the test host is not --ignore'd here).
start_bg sigsys as_user timeout -k 5 90 "$NSBYPASS" run --log-level=debug -- \
	sh -c 'for _ in $(seq 600); do [ -e "$1" ] && exec "$2" tcp-echo "$3" "$4"
		sleep 0.1; done; exit 3' sh "$NB_TMP/done.sigsys" "$SOCKPROBE" "$H4" "$EP"
L=$NB_TMP/sigsys.log
wait_log "$L" "fallback network on tap0"
FB=$(fallback_pid "$L")
kill -SYS "$FB"
wait_log "$L" "fallback network's process was killed"
touch "$NB_TMP/done.sigsys"
rc=0
wait "$NB_PID_sigsys" || rc=$?
grep -qF "warn: the fallback network's process was killed by its seccomp filter: a system call outside its allow-list" "$L" &&
	nb_pass "a fallback killed by SIGSYS: the line names the seccomp filter" ||
	nb_error "no seccomp line: $(grep "fallback network's process" "$L")"
[ "$rc" -eq 0 ] && grep -q "^OK " "$L" &&
	nb_pass "the command went on, bypassed: $(grep '^OK ' "$L")" ||
	nb_error "the command after the fallback's death: exit $rc: $(tail -n 3 "$L")"
nb_done
