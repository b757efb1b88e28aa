#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# test-slirp4netns-compat.sh - `nsbypass slirp4netns`, run through a
# symlink named slirp4netns, as rootlesskit and podman run slirp4netns.
#
# As the unprivileged user, against "unshare -r -n" namespaces:
#  - the CLI: --help names every option rootlesskit and podman probe,
#    --version's first line is "slirp4netns version X.Y.Z...", bad input
#    gets one "nsbypass: " line and a non-zero status;
#  - PID form with --configure --mtu 65520 --disable-host-loopback -r -e
#    --api-socket: the ready byte, the tap as slirp4netns configures it,
#    TCP and UDP to the test host through the gateway, no host loopback;
#    the API socket: add_hostfwd (TCP and UDP) to servers inside, list,
#    remove (then refused), oversized and garbage requests answered with
#    errors, an idle client that blocks nobody; the exit fd closing ends
#    it with status 0, nothing left in the namespace, the socket gone;
#  - slirp4netns's default lets the gateway reach host loopback; SIGTERM
#    ends it with status 0; so do the tap's removal and the target's end;
#  - rootlesskit's shape: the tap made and configured beforehand (here
#    with --cidr), no --configure;
#  - a user namespace that does not map the user to root;
#  - --netns-type=path with --userns-path, and podman's shape: started
#    inside the user namespace with --netns-type=path and no
#    --userns-path, --enable-sandbox --enable-seccomp --enable-ipv6 (the
#    filter is on, IPv6 reaches the test host);
#  - --enable-sandbox --enable-seccomp as the user (PID form): the root
#    it sees is empty (libslirp's two files and an empty /run), CapEff is
#    cap_net_bind_service alone, Seccomp 2; TCP, UDP, IPv6 and DNS go
#    through, the API adds, lists and removes; the API socket is removed
#    after its exit and after a kill -9 (by the cleaner process);
#    --enable-seccomp alone too;
#  - the options slirp4netns takes through libslirp's SlirpConfig:
#    --outbound-addr (an address, and an interface name) and
#    --outbound-addr6: the test host sees the connection from there;
#    --disable-dns: 10.0.2.3 answers no DNS; --macaddress on the tap;
#    slirp4netns's words for a bad --cidr, --macaddress or
#    --outbound-addr; an extra argument is warned about, not refused;
#  - rootless podman itself, with runc then crun (network_cmd_path, a
#    published port through the API socket) and rootlesskit itself
#    (--slirp4netns-binary).
#
# It runs in a private mount namespace of its own where one can be made,
# with a test resolv.conf naming a DNS responder on the test host (the
# DNS checks are skipped otherwise).
set -xeuo pipefail

if [ -z "${NB_S4N_MNTNS:-}" ] && [ "$(id -u)" -eq 0 ] &&
	unshare -m --propagation private true 2>/dev/null; then
	NB_S4N_MNTNS=1 exec unshare -m --propagation private "$0" "$@"
fi
# shellcheck source=tests/integration/common.sh
. "$(dirname "$0")/common.sh"

setup_rootless_test
require_cmd nsenter ip mkfifo python3
require_tun "slirp"

# The name slirp4netns beside the staged nsbypass (setup_user).
SLIRP4NETNS=$NB_STAGED_SLIRP4NETNS
API=$(nb_stage "$NB_ITEST_DIR/slirp4netns-api.py")
ECHO=$(nb_stage "$NB_ITEST_DIR/echo-server.py")
# The user's own directory: pid files, ready files, API sockets.
U=$NB_TMP/u
mkdir -p "$U"
chown "$NB_USER" "$U"

HOLDERS=()
S4N_PIDS=()
PODMAN_DIR=
s4n_cleanup() {
	local p
	for p in "${S4N_PIDS[@]}" "${HOLDERS[@]}"; do
		kill -9 "$p" 2>/dev/null || true
	done
	if [ -n "$PODMAN_DIR" ]; then
		p=$(cat "$PODMAN_DIR/xdg/libpod/tmp/pause.pid" 2>/dev/null)
		[ -z "$p" ] || kill -9 "$p" 2>/dev/null
		rm -rf "$PODMAN_DIR"
	fi
}
# common.sh's cleanup reads the exit status from $?: keep it for it.
s4n_exit() {
	local rc=$?
	set +e
	s4n_cleanup
	(exit "$rc")
	cleanup
}
trap s4n_exit EXIT

H4=$NB_HOST4
H6=$NB_HOST6
start_test_echo
EP=$NB_ECHO_PORT
LP=$(free_port)
LLOG=$NB_TMP/host-loopback.peers
start_echo loop4 127.0.0.1 "$LP" "$LLOG"

# DNS: in our private mount namespace, /etc/resolv.conf names a responder
# on the test host (port 53 there: one test at a time, as test-dns.sh).
DNS_NAME=probe.nsbypass.test
DNS_WANT=198.51.100.7
DNSQ=$(nb_stage "$NB_ITEST_DIR/dns-query.py")
DNS_OK=
if [ -n "${NB_S4N_MNTNS:-}" ]; then
	exec {dns_lock}>>/run/nsbypass-test-dns.lock
	flock -w 60 "$dns_lock" || nb_fail "cannot lock /run/nsbypass-test-dns.lock"
	echo "nameserver $H4" >"$NB_TMP/resolv.conf"
	chmod 644 "$NB_TMP/resolv.conf"
	if ! _nb_listening "$H4" 53 udp &&
		mount --bind "$NB_TMP/resolv.conf" /etc/resolv.conf; then
		DNS_LOG=$NB_TMP/dns.queries
		: >"$DNS_LOG"
		start_bg dns "$NB_PYTHON" -u "$NB_ITEST_DIR/dns-responder.py" \
			"$H4" 53 "$DNS_NAME" "$DNS_WANT" "$DNS_LOG"
		wait_for_port "$H4" 53 udp
		DNS_OK=1
	fi
fi
[ -n "$DNS_OK" ] || echo "note: no test resolv.conf: the DNS checks are skipped"

# wait_file FILE WANT PID: wait up to 15 s until FILE holds WANT, while
# PID (if given) lives.
wait_file() {
	local f=$1 want=$2 pid=${3:-} _i
	for _i in $(seq 1 150); do
		[ "$(cat "$f" 2>/dev/null)" = "$want" ] && return 0
		if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
			return 1
		fi
		sleep 0.1
	done
	return 1
}

# start_holder NAME [UNSHARE-OPTIONS]: a process in a fresh rootless
# user+net namespace (default: unshare -r -n); HOLDER is its pid.
start_holder() {
	local pidf=$U/$1.holder opts=(-r -n)
	[ $# -lt 2 ] || opts=("${@:2}")
	start_bg "holder-$1" as_user unshare "${opts[@]}" sh -c \
		'echo $$ >"$1"; exec sleep 300' sh "$pidf"
	wait_file_nonempty "$pidf" || nb_fail "holder $1 did not start"
	HOLDER=$(cat "$pidf")
	HOLDERS+=("$HOLDER")
}

wait_file_nonempty() {
	local _i
	for _i in $(seq 1 100); do
		[ -s "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

# in_ns PID CMD...: as the user, CMD in PID's user and network namespace.
in_ns() {
	local pid=$1
	shift
	as_user timeout -k 5 60 nsenter -t "$pid" -U -n --preserve-credentials "$@"
}

# start_s4n NAME [--exit-fifo] [--in-userns PID] ARGS...: slirp4netns ARGS
# as the user, with fd 3 a file that receives the ready byte
# ($U/NAME.ready) and, with --exit-fifo, fd 4 the read end of a FIFO whose
# only writer is a process of ours (S4N_EXITW): killing it closes the exit
# fd.  --in-userns starts it inside PID's user namespace, as podman does.
# Sets S4N_PID (slirp4netns itself), S4N_BG (to wait for its status) and
# S4N_READY.
start_s4n() {
	local name=$1 efifo=/dev/null pidf prefix=()
	shift
	pidf=$U/$name.pid
	S4N_READY=$U/$name.ready
	S4N_EXITW=
	if [ "${1:-}" = --exit-fifo ]; then
		shift
		efifo=$NB_TMP/$name.exit
		mkfifo -m 666 "$efifo"
		start_bg "exitw-$name" sh -c 'exec sleep 300 >"$1"' sh "$efifo"
		S4N_EXITW=$NB_LAST_PID
	fi
	if [ "${1:-}" = --in-userns ]; then
		prefix=(nsenter -t "$2" -U --preserve-credentials --)
		shift 2
	fi
	# nsenter without -p execs the command itself: the pid stays.
	start_bg "s4n-$name" as_user sh -c \
		'echo $$ >"$1"; r=$2; e=$3; shift 3; exec "$@" 3>"$r" 4<"$e"' \
		sh "$pidf" "$S4N_READY" "$efifo" ${prefix[@]+"${prefix[@]}"} \
		"$SLIRP4NETNS" "$@"
	S4N_BG=$NB_LAST_PID
	wait_file_nonempty "$pidf" || nb_fail "slirp4netns $name did not start"
	S4N_PID=$(cat "$pidf")
	S4N_PIDS+=("$S4N_PID")
}

# expect_ready DESC: the ready byte arrives.
expect_ready() {
	if wait_file "$S4N_READY" 1 "$S4N_PID"; then
		nb_pass "$1: ready"
	else
		_nb_dump_logs
		nb_fail "$1: no ready byte"
	fi
}

# expect_exit DESC STATUS: slirp4netns ends within 5 s with STATUS.
expect_exit() {
	local _i rc=0
	for _i in $(seq 1 50); do
		kill -0 "$S4N_PID" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$S4N_PID" 2>/dev/null; then
		nb_error "$1: still running after 5 s"
		kill -9 "$S4N_PID"
	fi
	wait "$S4N_BG" || rc=$?
	if [ "$rc" -eq "$2" ]; then
		nb_pass "$1: exit status $rc"
	else
		nb_error "$1: exit status $rc, want $2"
	fi
}

# expect_ns_empty DESC PID: no process but PID is in PID's netns.
expect_ns_empty() {
	local ns p left=
	ns=$(readlink "/proc/$2/ns/net")
	for p in /proc/[0-9]*; do
		[ "${p#/proc/}" = "$2" ] && continue
		[ "$(readlink "$p/ns/net" 2>/dev/null)" = "$ns" ] &&
			left="$left ${p#/proc/}($(cat "$p/comm" 2>/dev/null))"
	done
	if [ -n "$left" ]; then
		nb_error "$1: left in the namespace:$left"
	else
		nb_pass "$1: nothing left in the namespace"
	fi
}

api() {
	as_user timeout -k 5 30 "$NB_PYTHON" "$API" "$@"
}

#### The command line.
nb_exec as_user "$SLIRP4NETNS" --help
for opt in --netns-type --userns-path --enable-ipv6 --cidr \
	--disable-host-loopback --api-socket --enable-sandbox \
	--enable-seccomp --mtu --configure --exit-fd --ready-fd \
	--outbound-addr --outbound-addr6 --disable-dns --macaddress; do
	grep -q -- "$opt" <<<"$NB_OUT" || nb_error "--help does not name $opt"
done
[ "$NB_RC" -eq 0 ] || nb_error "--help: exit status $NB_RC"
# Not supported, so not named: rootlesskit and podman probe --help.
! grep -q -- --target-type <<<"$NB_OUT" || nb_error "--help names --target-type"
nb_exec as_user "$NSBYPASS" slirp4netns -h
grep -q -- --netns-type <<<"$NB_OUT" || nb_error "nsbypass slirp4netns -h"
nb_exec as_user "$SLIRP4NETNS" --version
if [ "$NB_RC" -ne 0 ] ||
	! head -n 1 <<<"$NB_OUT" | grep -Eq '^slirp4netns version [0-9]+\.[0-9]+\.[0-9]+'; then
	nb_error "--version: exit $NB_RC, first line '$(head -n 1 <<<"$NB_OUT")'"
fi
nb_exec as_user "$SLIRP4NETNS" -v
grep -q '^libslirp: ' <<<"$NB_OUT" || nb_error "-v does not name libslirp"

# expect_bad DESC ARGS...: non-zero, one "nsbypass: " line on stderr.
# The trace of the shell functions on the way must not count as a line.
expect_bad() {
	local desc=$1 lines
	shift
	{ set +x; } 2>/dev/null
	nb_exec as_user timeout -k 5 20 "$SLIRP4NETNS" "$@"
	set -x
	lines=$(printf '%s' "$NB_ERR" | grep -c '' || true)
	if [ "$NB_RC" -eq 0 ] || [ "$NB_RC" -ge 124 ]; then
		nb_error "$desc: exit status $NB_RC, want a usage error"
	elif [ "$lines" -ne 1 ] || [[ "$NB_ERR" != "nsbypass: "* ]]; then
		nb_error "$desc: want one 'nsbypass: ' line on stderr, got: $NB_ERR"
	else
		nb_pass "$desc: $NB_ERR"
	fi
}
expect_bad "no arguments"
expect_bad "--mtu 0" --mtu 0 1 tap0
expect_bad "--mtu 65522" --mtu=65522 1 tap0
expect_bad "--mtu not a number" --mtu 1500x 1 tap0
expect_bad "--cidr garbage" --cidr=foo 1
expect_bad "--cidr IPv6" --cidr=fd00::/64 1
expect_bad "--netns-type garbage" --netns-type=foo 1
expect_bad "unknown option" --bogus 1
expect_bad "unsupported option" --target-type=bess 1
expect_bad "--ready-fd not open" -r 77 1
expect_bad "--exit-fd not a number" -e x 1
expect_bad "--ready-fd without value" 1 -r
expect_bad "not a PID" abc tap0
expect_bad "PID 0" 0 tap0
expect_bad "bad tap name" 1 tap/0
expect_bad "tap name too long" 1 0123456789abcdef
expect_bad "IPv6 with a small MTU" --enable-ipv6 --mtu 1000 1
expect_bad "no such process" 999999999 tap0
expect_bad "no such netns file" --netns-type=path /nonexistent tap0
expect_bad "not a netns file" --netns-type=path /proc/self/ns/user tap0
expect_bad "not a userns file" --userns-path=/proc/self/ns/net 1 tap0
expect_bad "empty api socket path" -a "" 1
# slirp4netns's words, which scripts grep for (its own tests do).
# expect_words DESC WORDS ARGS...: as expect_bad, the line holds WORDS.
expect_words() {
	local desc=$1 words=$2
	shift 2
	expect_bad "$desc" "$@"
	grep -qF -- "$words" <<<"$NB_ERR" ||
		nb_error "$desc: want '$words' in: $NB_ERR"
}
expect_words "--cidr with host bits" \
	"CIDR needs to be a network address like 10.0.2.0/24, not like 10.0.2.100/24" \
	-c --cidr 10.0.2.100/24 1 tap0
expect_words "--cidr not a CIDR" "invalid CIDR: 24" -c --cidr 24 1 tap0
expect_words "--cidr without a prefix" "invalid CIDR: 10.0.2.0" \
	-c --cidr 10.0.2.0 1 tap0
expect_words "--cidr garbage words" "invalid CIDR: foo" --cidr=foo 1
expect_words "--cidr prefix 26" "prefix length needs to be 1-25" \
	-c --cidr 10.0.2.0/26 1 tap0
expect_words "--cidr prefix 0" "prefix length needs to be 1-25" \
	--cidr 10.0.0.0/0 1 tap0
expect_words "--cidr bad address" "invalid network address: 300.0.2.0" \
	--cidr 300.0.2.0/24 1 tap0
expect_words "--macaddress without -c" \
	"--macaddr cannot be specified when --configure or -c is not specified" \
	--macaddress 0e:d4:18:d9:38:fb 1 tap0
expect_words "--macaddress garbage" "macaddress has to be a valid MAC address" \
	-c --macaddress zz 1 tap0
expect_words "--macaddress multicast" "macaddress has to be a valid MAC address" \
	-c --macaddress 01:00:5e:00:00:01 1 tap0
expect_words "--outbound-addr no such interface" \
	"outbound-addr has to be valid ipv4 address or interface name" \
	--outbound-addr=nosuchif0 1 tap0
expect_words "--outbound-addr6 an IPv4 address" \
	"outbound-addr6 has to be valid ipv6 address or interface name" \
	--outbound-addr6=10.99.0.1 1 tap0

#### PID form, as podman's PostConfigureNetNS path and the man page run it.
start_holder main
SOCK=$U/main.sock
start_s4n main --exit-fifo --configure --mtu 65520 --disable-host-loopback \
	-r 3 -e 4 --api-socket "$SOCK" "$HOLDER" tap0
expect_ready "PID form"
nb_expect_ok "the tap as slirp4netns configures it" \
	in_ns "$HOLDER" sh -c 'ip -o -4 addr show dev tap0 | grep -q " 10.0.2.100/24 " &&
		ip route | grep -q "^default via 10.0.2.2 dev tap0" &&
		ip link show dev tap0 | grep -q " mtu 65520 .*state UP\|state UNKNOWN" &&
		ip link show dev lo | grep -q "UP" && echo OK tap0'
nb_expect_ok "TCP to the test host through slirp" \
	in_ns "$HOLDER" "$SOCKPROBE" tcp-echo "$H4" "$EP"
nb_expect_ok "UDP to the test host through slirp" \
	in_ns "$HOLDER" "$SOCKPROBE" udp-echo "$H4" "$EP"
nb_expect_ok "100 connections through slirp" \
	in_ns "$HOLDER" "$SOCKPROBE" many "$H4" "$EP" 100
nb_expect_fail "--disable-host-loopback: 10.0.2.2 does not reach host 127.0.0.1" "^FAIL connect: ENETUNREACH" \
	in_ns "$HOLDER" "$SOCKPROBE" tcp-echo 10.0.2.2 "$LP"
[ ! -s "$LLOG" ] || nb_error "host loopback was reached: $(cat "$LLOG")"

# Port forwards into the namespace, through the API socket.
GP=$(free_port)
# nsenter without -p execs the server: the pid file names the server.
start_bg inner-echo as_user sh -c 'echo $$ >"$1"; shift; exec "$@"' sh \
	"$U/inner-echo.pid" nsenter -t "$HOLDER" -U -n --preserve-credentials \
	"$NB_PYTHON" -u "$ECHO" 0.0.0.0 "$GP"
for _ in $(seq 1 100); do
	in_ns "$HOLDER" ss -Hltn "( sport = :$GP )" | grep -q . && break
	sleep 0.1
done
in_ns "$HOLDER" ss -Hltn "( sport = :$GP )" | grep -q . ||
	nb_fail "the echo server in the namespace does not listen"
HP=$(free_port)
HPU=$(free_port)
nb_expect_ok "add_hostfwd tcp 127.0.0.1" api "$SOCK" request \
	"{\"execute\":\"add_hostfwd\",\"arguments\":{\"proto\":\"tcp\",\"host_addr\":\"127.0.0.1\",\"host_port\":$HP,\"guest_port\":$GP}}"
nb_expect_last "add_hostfwd tcp 127.0.0.1" 'OK {"return": {"id": 1}}'
nb_expect_ok "add_hostfwd udp, default addresses" api "$SOCK" request \
	"{\"execute\":\"add_hostfwd\",\"arguments\":{\"proto\":\"udp\",\"host_port\":$HPU,\"guest_port\":$GP}}"
nb_expect_last "add_hostfwd udp, default addresses" 'OK {"return": {"id": 2}}'
nb_expect_ok "a host client reaches the namespace's TCP server" \
	as_user "$SOCKPROBE" tcp-echo 127.0.0.1 "$HP"
# Not from 127.0.0.1: with --disable-host-loopback, libslirp maps that
# source to the gateway and then drops the replies to it (slirp4netns
# 1.2.0 does the same).
nb_expect_ok "a host client reaches the namespace's UDP server" \
	as_user "$SOCKPROBE" udp-echo "$H4" "$HPU"
nb_expect_ok "list_hostfwd shows both" api "$SOCK" expect-entries \
	"[{\"id\":1,\"proto\":\"tcp\",\"host_addr\":\"127.0.0.1\",\"host_port\":$HP,\"guest_addr\":\"10.0.2.100\",\"guest_port\":$GP},{\"id\":2,\"proto\":\"udp\",\"host_addr\":\"0.0.0.0\",\"host_port\":$HPU,\"guest_addr\":\"10.0.2.100\",\"guest_port\":$GP}]"
nb_expect_ok "add_hostfwd on a port in use: an error" api "$SOCK" request \
	"{\"execute\":\"add_hostfwd\",\"arguments\":{\"proto\":\"tcp\",\"host_addr\":\"127.0.0.1\",\"host_port\":$LP,\"guest_port\":$GP}}"
nb_expect_last "add_hostfwd on a port in use: an error" \
	'OK {"error": {"desc": "bad request: add_hostfwd: slirp_add_hostfwd failed (Address already in use)"}}'
nb_expect_ok "remove_hostfwd 1" api "$SOCK" request \
	'{"execute":"remove_hostfwd","arguments":{"id":1}}'
nb_expect_last "remove_hostfwd 1" 'OK {"return": {}}'
nb_expect_fail "the removed forward is refused" "ECONNREFUSED" \
	as_user "$SOCKPROBE" tcp-echo 127.0.0.1 "$HP"
nb_expect_ok "remove_hostfwd of an unknown id: an error" api "$SOCK" request \
	'{"execute":"remove_hostfwd","arguments":{"id":1}}'
grep -q '"error"' <<<"$NB_LAST" || nb_error "no error for an unknown id: $NB_LAST"
nb_expect_ok "an oversized request gets an error" api "$SOCK" raw 4096
nb_expect_ok "a huge request gets an error" api "$SOCK" raw 1000000
nb_expect_ok "garbage gets an error" api "$SOCK" request 'garbage{'
grep -q '"error"' <<<"$NB_LAST" || nb_error "no error for garbage: $NB_LAST"
nb_expect_ok "an idle client blocks nobody, and times out" api "$SOCK" idle 10
nb_expect_ok "the daemon still answers" api "$SOCK" expect-entries \
	"[{\"id\":2,\"proto\":\"udp\",\"host_addr\":\"0.0.0.0\",\"host_port\":$HPU,\"guest_addr\":\"10.0.2.100\",\"guest_port\":$GP}]"

# The exit fd closes: status 0, nothing left behind.
kill "$S4N_EXITW"
expect_exit "--exit-fd hung up" 0
[ ! -e "$SOCK" ] || nb_error "the API socket $SOCK is still there"
kill "$(cat "$U/inner-echo.pid")" 2>/dev/null || true
sleep 0.3
expect_ns_empty "after --exit-fd" "$HOLDER"

#### The API socket's path: a stale socket is replaced, a live one or a
#### file that is not a socket is not.
start_holder apipath
SOCK=$U/apipath.sock
as_user "$NB_PYTHON" -c 'import socket, sys
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$SOCK"
start_s4n stale -c -r 3 -a "$SOCK" "$HOLDER"
expect_ready "a stale socket at the API path"
nb_expect_ok "the API answers on the path of the stale socket" \
	api "$SOCK" expect-entries '[]'
expect_bad "a live API socket in the way" -c -a "$SOCK" "$HOLDER" tap1
kill -TERM "$S4N_PID"
expect_exit "stale socket replaced" 0
LONG=$U/a-directory-whose-name-is-long-enough-to-push-the-socket-path-past-108-bytes
as_user mkdir "$LONG"
SOCK=$LONG/and-a-socket-name-that-is-not-short-either.sock
start_s4n longpath -c -r 3 -a "$SOCK" "$HOLDER" tap2
expect_ready "an API socket path of ${#SOCK} bytes"
nb_expect_ok "the API answers on a path too long for sun_path" \
	api "$SOCK" expect-entries '[]'
kill -TERM "$S4N_PID"
expect_exit "long API socket path" 0
[ ! -e "$SOCK" ] || nb_error "the long-path API socket is still there"
as_user touch "$U/apipath.file"
expect_bad "a regular file in the way" -c -a "$U/apipath.file" "$HOLDER" tap1
[ -f "$U/apipath.file" ] || nb_error "the regular file was removed"

#### slirp4netns's defaults: host loopback reachable, MTU 1500; SIGTERM.
start_holder defaults
start_s4n defaults -c -r 3 "$HOLDER"
expect_ready "defaults"
nb_expect_ok "MTU 1500 by default" in_ns "$HOLDER" sh -c \
	'ip link show dev tap0 | grep -q " mtu 1500 " && echo OK mtu 1500'
nb_expect_ok "without --disable-host-loopback, 10.0.2.2 reaches host 127.0.0.1" \
	in_ns "$HOLDER" "$SOCKPROBE" tcp-echo 10.0.2.2 "$LP"
kill -TERM "$S4N_PID"
expect_exit "SIGTERM" 0

#### The end of the namespace's tap, or of the target, ends it too.
start_holder tapgone
start_s4n tapgone -c -r 3 "$HOLDER" tap0
expect_ready "tap removal"
in_ns "$HOLDER" ip link del tap0
expect_exit "the tap was removed" 0
start_s4n targetgone -c -r 3 "$HOLDER" tap0
expect_ready "target end"
kill "$HOLDER"
expect_exit "the target exited" 0

#### rootlesskit's shape: the tap is there, configured; no --configure.
start_holder rlk
in_ns "$HOLDER" sh -c 'ip tuntap add mode tap name tap0 &&
	ip addr add 10.0.3.100/24 dev tap0 && ip link set tap0 mtu 65520 &&
	ip link set tap0 up && ip link set lo up &&
	ip route add default via 10.0.3.2 dev tap0'
start_s4n rlk --mtu 65520 -r 3 --disable-host-loopback --cidr 10.0.3.0/24 \
	"$HOLDER" tap0
expect_ready "rootlesskit shape"
nb_expect_ok "rootlesskit shape: TCP through the tap it made" \
	in_ns "$HOLDER" "$SOCKPROBE" tcp-echo "$H4" "$EP"
nb_expect_ok "rootlesskit shape: the tap kept its configuration" \
	in_ns "$HOLDER" sh -c 'ip -o -4 addr show dev tap0 | grep -q " 10.0.3.100/24 " &&
		[ "$(ip -o -4 addr show dev tap0 | wc -l)" -eq 1 ] && echo OK untouched'
kill -TERM "$S4N_PID"
expect_exit "rootlesskit shape" 0

#### --netns-type=path with --userns-path.
start_holder path
start_s4n path -c -r 3 --netns-type=path --userns-path="/proc/$HOLDER/ns/user" \
	"/proc/$HOLDER/ns/net" tap0
expect_ready "--netns-type=path --userns-path"
nb_expect_ok "--netns-type=path: TCP through slirp" \
	in_ns "$HOLDER" "$SOCKPROBE" tcp-echo "$H4" "$EP"
kill -TERM "$S4N_PID"
expect_exit "--netns-type=path" 0

#### A user namespace that does not map the user to root: nsagent keeps
#### CAP_NET_ADMIN across its exec as an ambient capability.
start_holder unmapped -U -n
start_s4n unmapped -c -r 3 "$HOLDER" tap0
expect_ready "a user namespace without root mapping"
nb_expect_ok "unmapped user: the tap is configured, TCP goes through" \
	in_ns "$HOLDER" "$SOCKPROBE" tcp-echo "$H4" "$EP"
kill -TERM "$S4N_PID"
expect_exit "unmapped user" 0

#### podman's shape: inside the user namespace already, the netns by path.
start_holder podman
SOCK=$U/podman.sock
start_s4n podman --exit-fifo --in-userns "$HOLDER" --disable-host-loopback \
	--mtu=65520 --enable-sandbox --enable-seccomp --enable-ipv6 -c -e 4 -r 3 \
	--api-socket "$SOCK" --netns-type=path "/proc/$HOLDER/ns/net" tap0
expect_ready "podman shape"
if grep -q '^Seccomp:[[:space:]]*2' "/proc/$S4N_PID/status"; then
	nb_pass "--enable-seccomp: the filter is on"
else
	nb_error "--enable-seccomp: $(grep '^Seccomp' "/proc/$S4N_PID/status")"
fi
nb_expect_ok "podman shape: TCP through slirp" \
	in_ns "$HOLDER" "$SOCKPROBE" tcp-echo "$H4" "$EP"
nb_expect_ok "podman shape: UDP through slirp" \
	in_ns "$HOLDER" "$SOCKPROBE" udp-echo "$H4" "$EP"
nb_expect_ok "podman shape: TCP over IPv6 through slirp" \
	in_ns "$HOLDER" "$SOCKPROBE" tcp-echo "$H6" "$EP"
nb_expect_ok "podman shape: fd00::100/64 and the IPv6 default route" \
	in_ns "$HOLDER" sh -c 'ip -o -6 addr show dev tap0 | grep -q " fd00::100/64 " &&
		ip -6 route | grep -q "^default via fd00::2 dev tap0" && echo OK v6'
# An IPv6 forward, to the container's fd00::100.
GP6=$(free_port)
HP6=$(free_port)
start_bg inner-echo6 as_user sh -c 'echo $$ >"$1"; shift; exec "$@"' sh \
	"$U/inner-echo6.pid" nsenter -t "$HOLDER" -U -n --preserve-credentials \
	"$NB_PYTHON" -u "$ECHO" :: "$GP6"
for _ in $(seq 1 100); do
	in_ns "$HOLDER" ss -Hltn "( sport = :$GP6 )" | grep -q . && break
	sleep 0.1
done
nb_expect_ok "podman shape: add_hostfwd tcp ::1" api "$SOCK" request \
	"{\"execute\":\"add_hostfwd\",\"arguments\":{\"proto\":\"tcp\",\"host_addr\":\"::1\",\"host_port\":$HP6,\"guest_port\":$GP6}}"
nb_expect_last "podman shape: add_hostfwd tcp ::1" 'OK {"return": {"id": 1}}'
nb_expect_ok "podman shape: a host client reaches the namespace over IPv6" \
	as_user "$SOCKPROBE" tcp-echo ::1 "$HP6"
nb_expect_ok "podman shape: the IPv6 forward is listed" api "$SOCK" expect-entries \
	"[{\"id\":1,\"proto\":\"tcp\",\"host_addr\":\"::1\",\"host_port\":$HP6,\"guest_addr\":\"fd00::100\",\"guest_port\":$GP6}]"
kill "$(cat "$U/inner-echo6.pid")" 2>/dev/null || true
kill "$S4N_EXITW"
expect_exit "podman shape: --exit-fd hung up" 0

#### --enable-sandbox --enable-seccomp as the user, PID form: confined.
# expect_status_field DESC PID FIELD WANT: /proc/PID/status's FIELD, as
# the user reads it.
expect_status_field() {
	local got
	got=$(as_user awk -v f="$3:" '$1 == f {print $2}' "/proc/$2/status")
	if [ "$got" = "$4" ]; then
		nb_pass "$1: $3 $got"
	else
		nb_error "$1: $3 is '$got', want $4"
	fi
}
# inner_echo NAME PORT: an echo server in HOLDER's namespaces on PORT.
inner_echo() {
	start_bg "inner-$1" as_user sh -c 'echo $$ >"$1"; shift; exec "$@"' sh \
		"$U/inner-$1.pid" nsenter -t "$HOLDER" -U -n --preserve-credentials \
		"$NB_PYTHON" -u "$ECHO" 0.0.0.0 "$2"
	for _ in $(seq 1 100); do
		in_ns "$HOLDER" ss -Hltn "( sport = :$2 )" | grep -q . && return 0
		sleep 0.1
	done
	nb_fail "the echo server $1 in the namespace does not listen"
}
# wait_gone FILE: wait up to 5 s until FILE is no more.
wait_gone() {
	local _i
	for _i in $(seq 1 50); do
		[ -e "$1" ] || return 0
		sleep 0.1
	done
	return 1
}
start_holder sandbox
SOCK=$U/sandbox.sock
start_s4n sandbox --exit-fifo -c --enable-ipv6 --enable-sandbox \
	--enable-seccomp -r 3 -e 4 --api-socket "$SOCK" "$HOLDER" tap0
expect_ready "sandbox"
ROOT=$(as_user sh -c 'cd "/proc/$1/root" && find . -mindepth 1 | sort | tr "\n" " "' \
	sh "$S4N_PID")
if [ "$ROOT" = "./dev ./dev/urandom ./etc ./etc/resolv.conf ./run " ]; then
	nb_pass "sandbox: the root holds only libslirp's files and an empty /run"
else
	nb_error "sandbox: the root holds: $ROOT"
fi
for d in home root var tmp usr proc; do
	! as_user test -e "/proc/$S4N_PID/root/$d" ||
		nb_error "sandbox: /$d is in its root"
done
expect_status_field sandbox "$S4N_PID" CapEff 0000000000000400
expect_status_field sandbox "$S4N_PID" CapPrm 0000000000000400
expect_status_field sandbox "$S4N_PID" CapBnd 0000000000000400
expect_status_field sandbox "$S4N_PID" CapAmb 0000000000000000
expect_status_field sandbox "$S4N_PID" NoNewPrivs 1
expect_status_field sandbox "$S4N_PID" Seccomp 2
if command -v getpcaps >/dev/null; then
	nb_expect_ok "sandbox: getpcaps names cap_net_bind_service" \
		as_user sh -c 'getpcaps "$1" 2>&1 | tail -n 1 | grep -x ".*cap_net_bind_service[=+]ep" && echo OK' \
		sh "$S4N_PID"
fi
nb_expect_ok "sandbox: TCP through slirp" \
	in_ns "$HOLDER" "$SOCKPROBE" tcp-echo "$H4" "$EP"
nb_expect_ok "sandbox: UDP through slirp" \
	in_ns "$HOLDER" "$SOCKPROBE" udp-echo "$H4" "$EP"
nb_expect_ok "sandbox: TCP over IPv6 through slirp" \
	in_ns "$HOLDER" "$SOCKPROBE" tcp-echo "$H6" "$EP"
if [ -n "$DNS_OK" ]; then
	nb_expect_ok "sandbox: DNS through 10.0.2.3" \
		in_ns "$HOLDER" "$NB_PYTHON" "$DNSQ" 10.0.2.3 53 "$DNS_NAME"
	nb_expect_last "sandbox: DNS through 10.0.2.3" "OK $DNS_NAME A $DNS_WANT"
fi
GP=$(free_port)
HP=$(free_port)
inner_echo sandbox "$GP"
nb_expect_ok "sandbox: add_hostfwd" api "$SOCK" request \
	"{\"execute\":\"add_hostfwd\",\"arguments\":{\"proto\":\"tcp\",\"host_addr\":\"127.0.0.1\",\"host_port\":$HP,\"guest_port\":$GP}}"
nb_expect_last "sandbox: add_hostfwd" 'OK {"return": {"id": 1}}'
nb_expect_ok "sandbox: a host client reaches the namespace through the forward" \
	as_user "$SOCKPROBE" tcp-echo 127.0.0.1 "$HP"
nb_expect_ok "sandbox: list_hostfwd" api "$SOCK" expect-entries \
	"[{\"id\":1,\"proto\":\"tcp\",\"host_addr\":\"127.0.0.1\",\"host_port\":$HP,\"guest_addr\":\"10.0.2.100\",\"guest_port\":$GP}]"
nb_expect_ok "sandbox: remove_hostfwd" api "$SOCK" request \
	'{"execute":"remove_hostfwd","arguments":{"id":1}}'
nb_expect_last "sandbox: remove_hostfwd" 'OK {"return": {}}'
nb_expect_fail "sandbox: the removed forward is refused" "ECONNREFUSED" \
	as_user "$SOCKPROBE" tcp-echo 127.0.0.1 "$HP"
# slirp4netns's words for its API errors, through the socket.
nb_expect_ok "sandbox: no execute" api "$SOCK" request '{"unexpectedjson": 42}'
nb_expect_last "sandbox: no execute" \
	'OK {"error": {"desc": "bad request: no execute found (want an \"execute\" string)"}}'
nb_expect_ok "sandbox: too large" api "$SOCK" raw 1000000
grep -q 'too large message' <<<"$NB_OUT" || nb_error "sandbox: too large: $NB_OUT"
kill "$(cat "$U/inner-sandbox.pid")" 2>/dev/null || true
S4N_DEAD=$S4N_PID
kill "$S4N_EXITW"
expect_exit "sandbox: --exit-fd hung up" 0
[ ! -e "$SOCK" ] && nb_pass "sandbox: the API socket is removed at exit" ||
	nb_error "sandbox: the API socket $SOCK is still there"
# A kill -9 leaves it to the cleaner alone.
start_s4n sandbox-kill -c --enable-sandbox --enable-seccomp -r 3 \
	--api-socket "$SOCK" "$HOLDER" tap0
expect_ready "sandbox, to be killed"
nb_expect_ok "sandbox, to be killed: the API answers" api "$SOCK" expect-entries '[]'
kill -9 "$S4N_PID"
wait "$S4N_BG" || true
wait_gone "$SOCK" && nb_pass "sandbox: the API socket is removed after kill -9" ||
	nb_error "sandbox: the API socket $SOCK is still there after kill -9"
# --enable-seccomp alone: the filter, no sandbox, the socket removed.
start_s4n seccomp -c --enable-seccomp -r 3 --api-socket "$SOCK" "$HOLDER" tap0
expect_ready "seccomp alone"
expect_status_field "seccomp alone" "$S4N_PID" Seccomp 2
expect_status_field "seccomp alone" "$S4N_PID" NoNewPrivs 1
nb_expect_ok "seccomp alone: the API answers" api "$SOCK" expect-entries '[]'
nb_expect_ok "seccomp alone: TCP through slirp" \
	in_ns "$HOLDER" "$SOCKPROBE" tcp-echo "$H4" "$EP"
kill -TERM "$S4N_PID"
expect_exit "seccomp alone: SIGTERM" 0
[ ! -e "$SOCK" ] && nb_pass "seccomp alone: the API socket is removed at exit" ||
	nb_error "seccomp alone: the API socket $SOCK is still there"

#### --outbound-addr, --outbound-addr6: the test host sees the
#### connection from there (by default it would come from its own
#### address, the destination being local).
start_holder outbound
OP=$(free_port)
OLOG=$NB_TMP/outbound.peers
start_echo out4 "$H4" "$OP" "$OLOG"
start_echo out6 "$H6" "$OP" "$OLOG"
start_s4n outbound -c -6 -r 3 --outbound-addr=lo --outbound-addr6=::1 \
	"$HOLDER" tap0
expect_ready "--outbound-addr=lo --outbound-addr6=::1"
nb_expect_ok "--outbound-addr=lo: TCP to the test host" \
	in_ns "$HOLDER" "$SOCKPROBE" tcp-echo "$H4" "$OP"
nb_expect_ok "--outbound-addr=lo: UDP to the test host" \
	in_ns "$HOLDER" "$SOCKPROBE" udp-echo "$H4" "$OP"
nb_expect_ok "--outbound-addr6=::1: TCP over IPv6 to the test host" \
	in_ns "$HOLDER" "$SOCKPROBE" tcp-echo "$H6" "$OP"
kill -TERM "$S4N_PID"
expect_exit "--outbound-addr" 0
for want in "tcp 127.0.0.1:" "udp 127.0.0.1:" "tcp ::1:"; do
	grep -q "^$want" "$OLOG" && nb_pass "the test host saw $want..." ||
		nb_error "the test host did not see $want...: $(cat "$OLOG")"
done
! grep -q "^tcp $H4:" "$OLOG" || nb_error "a connection came from $H4: $(cat "$OLOG")"
: >"$OLOG"
start_s4n outbound-num -c -r 3 --outbound-addr=127.0.0.1 "$HOLDER" tap0
expect_ready "--outbound-addr=127.0.0.1"
nb_expect_ok "--outbound-addr=127.0.0.1: TCP to the test host" \
	in_ns "$HOLDER" "$SOCKPROBE" tcp-echo "$H4" "$OP"
kill -TERM "$S4N_PID"
expect_exit "--outbound-addr=127.0.0.1" 0
grep -q "^tcp 127.0.0.1:" "$OLOG" && nb_pass "the test host saw 127.0.0.1" ||
	nb_error "the test host did not see 127.0.0.1: $(cat "$OLOG")"

#### --disable-dns: nothing answers on 10.0.2.3.
if [ -n "$DNS_OK" ]; then
	start_holder nodns
	: >"$DNS_LOG"
	start_s4n nodns -c -r 3 --disable-dns "$HOLDER" tap0
	expect_ready "--disable-dns"
	nb_expect_fail "--disable-dns: 10.0.2.3 does not answer" "FAIL" \
		in_ns "$HOLDER" "$NB_PYTHON" "$DNSQ" 10.0.2.3 53 "$DNS_NAME"
	[ ! -s "$DNS_LOG" ] && nb_pass "--disable-dns: no query reached the resolver" ||
		nb_error "--disable-dns: the resolver got: $(cat "$DNS_LOG")"
	nb_expect_ok "--disable-dns: TCP still goes through" \
		in_ns "$HOLDER" "$SOCKPROBE" tcp-echo "$H4" "$EP"
	kill -TERM "$S4N_PID"
	expect_exit "--disable-dns" 0
fi

#### --macaddress: the tap has it; an extra argument is warned about.
start_holder mac
start_s4n mac -c -r 3 --macaddress 0e:d4:18:d9:38:fb "$HOLDER" tap0 extra
expect_ready "--macaddress, an extra argument"
nb_expect_ok "--macaddress: ip link in the namespace shows it" \
	in_ns "$HOLDER" sh -c 'ip link show dev tap0 | grep -q "link/ether 0e:d4:18:d9:38:fb " && echo OK mac'
nb_expect_ok "--macaddress: TCP goes through" \
	in_ns "$HOLDER" "$SOCKPROBE" tcp-echo "$H4" "$EP"
kill -TERM "$S4N_PID"
expect_exit "--macaddress" 0
grep -q "too many arguments: 'extra' ignored" "$NB_TMP/s4n-mac.log" &&
	nb_pass "an extra argument: warned, not refused" ||
	nb_error "no warning for the extra argument: $(cat "$NB_TMP/s4n-mac.log")"

#### rootless podman itself, with network_cmd_path pointing at us: the
#### container's network and a published port through the API socket.
if command -v podman >/dev/null 2>&1 && command -v runc >/dev/null 2>&1 &&
	[ -x /bin/busybox ] && grep -q "^$NB_USER:" /etc/subuid; then
	# Short: podman's API socket path, $XDG_RUNTIME_DIR/libpod/tmp/
	# <64 hex>.net, must fit sun_path for podman's own client.
	D=$(mktemp -d /tmp/nbp.XXXXXX)
	PODMAN_DIR=$D
	mkdir -p "$D/xdg" "$D/rootfs/bin" "$D/rootfs/etc" "$D/rootfs/proc" \
		"$D/rootfs/sys" "$D/rootfs/dev" "$D/rootfs/tmp"
	cp /bin/busybox "$D/rootfs/bin/busybox"
	for t in sh nc; do ln -s busybox "$D/rootfs/bin/$t"; done
	# A private containers.conf: nothing of the user's changes.
	cat >"$D/containers.conf" <<EOF
[engine]
network_cmd_path = "$SLIRP4NETNS"
cgroup_manager = "cgroupfs"
events_logger = "file"
runtime = "runc"
EOF
	chown -R "$NB_USER" "$D"
	chmod 700 "$D/xdg"
	# runc, then crun (a SKIP note with the reason if crun cannot run).
	rts=(runc)
	if ! command -v crun >/dev/null; then
		echo "SKIP: crun part: crun is not installed"
	elif ! as_user env XDG_RUNTIME_DIR="$D/xdg" HOME="$D/xdg" \
		CONTAINERS_CONF="$D/containers.conf" timeout -k 5 60 podman \
		--root "$D/root" --runroot "$D/runroot" --storage-driver vfs \
		--runtime crun run --rm --network none --rootfs "$D/rootfs" \
		/bin/sh -c true >"$NB_TMP/crun.out" 2>&1; then
		echo "SKIP: crun part: crun cannot run a container here:" \
			"$(tail -n 2 "$NB_TMP/crun.out")"
	else
		rts+=(crun)
	fi
	for rt in "${rts[@]}"; do
		PP=$(free_port)
		start_bg "podman-$rt" as_user env XDG_RUNTIME_DIR="$D/xdg" HOME="$D/xdg" \
			CONTAINERS_CONF="$D/containers.conf" timeout -k 5 90 podman \
			--root "$D/root" --runroot "$D/runroot" --storage-driver vfs \
			--runtime "$rt" run --rm --network slirp4netns:port_handler=slirp4netns \
			-p "127.0.0.1:$PP:80" --rootfs "$D/rootfs" /bin/sh -c \
			"echo hi-from-podman | nc -w 3 $H4 $EP && echo served | nc -l -p 80 -w 20"
		PODMAN_BG=$NB_LAST_PID
		wait_for_port 127.0.0.1 "$PP" tcp
		# The forward listens on the host as soon as podman adds it, before
		# the container's "nc -l" runs (it first talks to the test host):
		# until then slirp's connection to the container is refused and the
		# client reads EOF at once.  Retry an empty answer for up to 10 s.
		nb_expect_ok "$rt: podman: a published port through our API socket" \
			as_user "$NB_PYTHON" -c 'import socket, sys, time
end = time.time() + 10
while True:
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
    data = b""
    while True:
        b = s.recv(100)
        if not b:
            break
        data += b
    s.close()
    if data or time.time() > end:
        break
    time.sleep(0.2)
print("OK got %r" % data.strip().decode() if data.strip() == b"served" else "FAIL got %r" % data)' "$PP"
		rc=0
		wait "$PODMAN_BG" || rc=$?
		if [ "$rc" -eq 0 ] && grep -q '^hi-from-podman$' "$NB_TMP/podman-$rt.log"; then
			nb_pass "$rt: podman: the container reached the test host and exited 0"
		else
			nb_error "$rt: podman: exit status $rc, log: $(tail -n 5 "$NB_TMP/podman-$rt.log")"
		fi
	done
	sleep 0.5
	if grep -lsa -- "$D/xdg/netns" /proc/[0-9]*/cmdline; then
		nb_error "podman: a slirp4netns of that container still runs"
	else
		nb_pass "podman: our slirp4netns ended with the container"
	fi
	# Rootless podman leaves its pause process (it holds the user
	# namespace) running for the next command: ours is the test's to end.
	p=$(cat "$D/xdg/libpod/tmp/pause.pid" 2>/dev/null || true)
	[ -z "$p" ] || kill "$p" 2>/dev/null || true
	for _ in $(seq 1 50); do
		left=$(grep -lsa -- "XDG_RUNTIME_DIR=$D/xdg" /proc/[0-9]*/environ || true)
		[ -z "$left" ] && break
		sleep 0.1
	done
	[ -z "$left" ] && nb_pass "podman: no process of its state dir left (pause ended)" ||
		nb_error "podman: processes left: $left"
else
	echo "note: no podman, runc, busybox or subuid range: podman skipped"
fi

#### rootlesskit itself, with --slirp4netns-binary pointing at us.
if command -v rootlesskit >/dev/null 2>&1 &&
	[ -n "$(getent passwd "$NB_USER")" ] && grep -q "^$NB_USER:" /etc/subuid; then
	nb_expect_ok "rootlesskit --net=slirp4netns --slirp4netns-binary=nsbypass" \
		as_user timeout -k 5 60 rootlesskit --net=slirp4netns \
		--slirp4netns-binary="$SLIRP4NETNS" --disable-host-loopback \
		"$SOCKPROBE" tcp-echo "$H4" "$EP"
else
	echo "note: no rootlesskit or no subuid range for $NB_USER: skipped"
fi
nb_done
