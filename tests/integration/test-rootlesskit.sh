#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# test-rootlesskit.sh - the slirp4netns-compatible binary (S4NN_BIN, see
# slirp4netns-compat.sh) as rootlesskit's network: "rootlesskit
# --net=slirp4netns --slirp4netns-binary=BIN", run by the unprivileged
# user with the flags of Docker's dockerd-rootless.sh, once with each port
# driver that can sit on it:
#
#   slirp4netns  rootlesskit gives BIN --api-socket and publishes ports
#                with add_hostfwd/remove_hostfwd requests on it: the host
#                listeners belong to BIN's process;
#   builtin      rootlesskit listens on the host itself and connects
#                inside the child's netns: BIN only carries the child's
#                outgoing traffic.
#
# The child (rootlesskit's command) is an echo server on 0.0.0.0:CP in
# the child's network namespace; checks from inside run with nsenter into
# the child's user+net namespaces.  For each driver:
#   - BIN was run (not some slirp4netns in PATH), and is gone at the end;
#   - the child reaches a TCP and a UDP echo server on the test host
#     10.99.0.1 (outgoing traffic through BIN);
#   - with --disable-host-loopback, 10.0.2.2 does not reach a server on
#     the host's 127.0.0.1 (and that server logs nothing);
#   - "rootlessctl add-ports" of 127.0.0.1:HP1:CP/tcp,
#     10.99.0.1:HP2:CP/tcp and 10.99.0.1:HP3:CP/udp: list-ports shows
#     them, host clients get echoes from the child's server (whose accept
#     log proves it answered), with the slirp4netns driver BIN's process
#     holds the host sockets; remove-ports closes them again.
# On failure the log of every argv the binary got (s4nn-argv.log) is
# printed; NB_S4NN_API_TRACE=1 also logs the API socket's requests and
# replies (s4nn-api.log).  Run it against the real slirp4netns with
# NSBYPASS_SLIRP4NETNS=/usr/bin/slirp4netns.
set -xeuo pipefail
. "$(dirname "$0")/common.sh"
. "$(dirname "$0")/slirp4netns-compat.sh"

s4nn_setup
require_cmd rootlesskit rootlessctl
# Killed (meson's timeout): still run the EXIT trap, which stops the
# rootlesskit instances.
trap 'exit 143' TERM
trap 'exit 130' INT
H4=$NB_HOST4
XDG=$NB_TMP/xdg
mkdir -p "$XDG"
chown "$NB_USER:" "$XDG"
chmod 700 "$XDG"
install -m 0644 "$NB_ITEST_DIR/echo-server.py" "$S4NN_DIR/"
start_test_echo
EP=$NB_ECHO_PORT
SLOG=$NB_TMP/server.peers
: >"$SLOG"
# start_test_echo's servers log nothing: one more with an accept log.
EP2=$(free_port)
start_echo echo4log "$H4" "$EP2" "$SLOG"
LP=$(free_port)
LLOG=$NB_TMP/host-loopback.peers
start_echo loop4 127.0.0.1 "$LP" "$LLOG"

# as NB_USER, with the rootless runtime dir, bounded in time.
rk_user() {
	runuser -u "$NB_USER" -- env -i -C / HOME="$XDG" USER="$NB_USER" \
		LOGNAME="$NB_USER" XDG_RUNTIME_DIR="$XDG" \
		PATH=/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin \
		LANG=C.UTF-8 timeout -k 5 "$@"
}

# rk_in PID CMD...: CMD in the user and network namespaces of PID.
rk_in() {
	local pid=$1
	shift
	rk_user 30 nsenter -U -n --preserve-credentials -t "$pid" "$@"
}

# rk_ports STATE: list-ports --json as "ID PROTO PARENTIP PARENTPORT
# CHILDPORT" lines.
rk_ports() {
	rk_user 30 rootlessctl --socket "$1/api.sock" list-ports --json |
		"$NB_PYTHON" -c '
import json, sys
for line in sys.stdin:
    line = line.strip()
    if not line:
        continue
    p = json.loads(line)
    s = p["spec"]
    print(p["id"], s["proto"], s.get("parentIP", ""), s["parentPort"],
          s["childPort"])'
}

# rk_case DRIVER: the whole check list with --port-driver=DRIVER.
rk_case() {
	local drv=$1 st=$XDG/rk-$1 cp hp1 hp2 hp3 clog pid child s4 id1 id2 id3
	local t0=$SECONDS ports lp
	cp=$(free_port)
	hp1=$(free_port)
	hp2=$(free_port)
	hp3=$(free_port)
	clog=$S4NN_DIR/child-$drv.peers
	s4nn_mark "rootlesskit --port-driver=$drv"
	start_bg "rootlesskit-$drv" runuser -u "$NB_USER" -- env -i -C / \
		HOME="$XDG" USER="$NB_USER" LOGNAME="$NB_USER" \
		XDG_RUNTIME_DIR="$XDG" PATH=/usr/bin:/bin:/usr/sbin:/sbin \
		LANG=C.UTF-8 timeout -k 5 150 \
		rootlesskit --state-dir="$st" \
		--net=slirp4netns --mtu=65520 \
		--slirp4netns-binary="$S4NN_WRAP" \
		--slirp4netns-sandbox=auto --slirp4netns-seccomp=auto \
		--disable-host-loopback --port-driver="$drv" \
		--copy-up=/etc --copy-up=/run \
		"$NB_PYTHON" -u "$S4NN_DIR/echo-server.py" 0.0.0.0 "$cp" "$clog"
	pid=$NB_LAST_PID
	for _ in $(seq 1 200); do
		grep -q '^echo-server: listening' "$NB_TMP/rootlesskit-$drv.log" &&
			[ -s "$st/child_pid" ] && break
		s4nn_alive "$pid" || break
		sleep 0.1
	done
	if ! grep -q '^echo-server: listening' "$NB_TMP/rootlesskit-$drv.log"; then
		nb_error "$drv: rootlesskit's child did not start (see rootlesskit-$drv.log)"
		kill "$pid" 2>/dev/null || true
		return 0
	fi
	child=$(cat "$st/child_pid")
	s4=$(s4nn_pid)
	echo "$drv: rootlesskit child pid $child, binary pid ${s4:-none}," \
		"up after $((SECONDS - t0)) s"
	s4nn_runs
	if [ -n "$s4" ]; then
		nb_pass "$drv: rootlesskit ran the binary under test (pid $s4)"
	else
		nb_error "$drv: rootlesskit did not run $S4NN_WRAP"
	fi
	if [ "$drv" = slirp4netns ] && ! s4nn_runs | grep -q -- "'--api-socket'"; then
		nb_error "$drv: the binary got no --api-socket"
	fi
	# What rootlesskit made of the child's network (it configures tap0).
	rk_in "$child" ip -o addr show dev tap0 || true
	rk_in "$child" ip route || true

	# (a) Out of the child to the test host.
	nb_expect_ok "$drv: child -> $H4 TCP" \
		rk_in "$child" "$SOCKPROBE_STATIC" tcp-echo "$H4" "$EP"
	nb_expect_ok "$drv: child -> $H4 UDP" \
		rk_in "$child" "$SOCKPROBE_STATIC" udp-echo "$H4" "$EP"
	nb_expect_ok "$drv: child -> $H4 TCP, logged" \
		rk_in "$child" "$SOCKPROBE_STATIC" tcp-echo "$H4" "$EP2"
	nb_expect_ok "$drv: 20 connections child -> $H4" \
		rk_in "$child" "$SOCKPROBE_STATIC" many "$H4" "$EP2" 20
	nb_expect_fail "$drv: --disable-host-loopback: 10.0.2.2 does not reach host 127.0.0.1" "^FAIL connect: ENETUNREACH" \
		rk_in "$child" "$SOCKPROBE_STATIC" tcp-echo 10.0.2.2 "$LP"

	# (b) Ports published into the child.
	nb_exec rk_user 30 rootlessctl --socket "$st/api.sock" add-ports \
		"127.0.0.1:$hp1:$cp/tcp"
	id1=$NB_OUT
	nb_exec rk_user 30 rootlessctl --socket "$st/api.sock" add-ports \
		"$H4:$hp2:$cp/tcp"
	id2=$NB_OUT
	nb_exec rk_user 30 rootlessctl --socket "$st/api.sock" add-ports \
		"$H4:$hp3:$cp/udp"
	id3=$NB_OUT
	if ! [[ "$id1" =~ ^[0-9]+$ && "$id2" =~ ^[0-9]+$ && "$id3" =~ ^[0-9]+$ ]]; then
		nb_error "$drv: add-ports gave ids '$id1' '$id2' '$id3'"
	else
		nb_pass "$drv: add-ports gave ids $id1 $id2 $id3"
	fi
	ports=$(rk_ports "$st" || true)
	echo "$drv: list-ports:"$'\n'"$ports"
	for lp in "$id1 tcp 127.0.0.1 $hp1 $cp" "$id2 tcp $H4 $hp2 $cp" \
		  "$id3 udp $H4 $hp3 $cp"; do
		if grep -qx "$lp" <<<"$ports"; then
			nb_pass "$drv: list-ports shows $lp"
		else
			nb_error "$drv: list-ports lacks '$lp'"
		fi
	done
	nb_expect_ok "$drv: host -> 127.0.0.1:$hp1 -> child :$cp TCP" \
		"$SOCKPROBE_STATIC" tcp-echo 127.0.0.1 "$hp1"
	nb_expect_ok "$drv: host -> $H4:$hp2 -> child :$cp TCP" \
		"$SOCKPROBE_STATIC" tcp-echo "$H4" "$hp2"
	nb_expect_ok "$drv: host -> $H4:$hp3 -> child :$cp UDP" \
		"$SOCKPROBE_STATIC" udp-echo "$H4" "$hp3"
	# One at a time: libslirp listens with a backlog of 1, so a burst of
	# connects (sockprobe many) sees dropped SYNs and 1 s retransmits.
	nb_expect_ok "$drv: 5 more echoes host -> $H4:$hp2 -> child" \
		sh -c 'for i in 1 2 3 4 5; do "$0" tcp-echo "$1" "$2" || exit 1; done' \
		"$SOCKPROBE_STATIC" "$H4" "$hp2"
	if [ "$(grep -c '^tcp ' "$clog" || true)" -ge 7 ] &&
	   grep -q '^udp ' "$clog"; then
		nb_pass "$drv: the child's server logged the connections"
	else
		nb_error "$drv: the child's server logged $(grep -c '^tcp ' "$clog" || true)" \
			"TCP connections (want >= 7) and $(grep -c '^udp ' "$clog" || true) UDP"
	fi
	if [ "$drv" = slirp4netns ] && [ -n "$s4" ]; then
		local o1 o2 o3
		o1=$(s4nn_listener_pid tcp 127.0.0.1 "$hp1")
		o2=$(s4nn_listener_pid tcp "$H4" "$hp2")
		o3=$(s4nn_listener_pid udp "$H4" "$hp3")
		if [ "$o1" = "$s4" ] && [ "$o2" = "$s4" ] && [ "$o3" = "$s4" ]; then
			nb_pass "$drv: the binary (pid $s4) holds the host sockets"
		else
			nb_error "$drv: host sockets held by pids '$o1' '$o2' '$o3', want the binary's $s4"
		fi
	fi

	nb_exec rk_user 30 rootlessctl --socket "$st/api.sock" remove-ports "$id1"
	[ "$NB_RC" -eq 0 ] || nb_error "$drv: remove-ports $id1: exit $NB_RC"
	ports=$(rk_ports "$st" || true)
	if grep -q "^$id1 " <<<"$ports" || ! grep -q "^$id2 " <<<"$ports"; then
		nb_error "$drv: after remove-ports $id1, list-ports is: $ports"
	else
		nb_pass "$drv: remove-ports $id1 removed it alone"
	fi
	[ -z "$(s4nn_listener_pid tcp 127.0.0.1 "$hp1")" ] ||
		nb_error "$drv: 127.0.0.1:$hp1 still listens after remove-ports"
	nb_expect_fail "$drv: 127.0.0.1:$hp1 is closed after remove-ports" "^FAIL connect: ECONNREFUSED" \
		"$SOCKPROBE_STATIC" tcp-echo 127.0.0.1 "$hp1"
	nb_expect_ok "$drv: $H4:$hp2 still works" \
		"$SOCKPROBE_STATIC" tcp-echo "$H4" "$hp2"
	nb_exec rk_user 30 rootlessctl --socket "$st/api.sock" remove-ports "$id2" "$id3"
	[ "$NB_RC" -eq 0 ] || nb_error "$drv: remove-ports $id2 $id3: exit $NB_RC"
	ports=$(rk_ports "$st" || true)
	[ -z "$ports" ] || nb_error "$drv: list-ports not empty at the end: $ports"
	if [ -n "$(s4nn_listener_pid tcp "$H4" "$hp2")$(s4nn_listener_pid udp "$H4" "$hp3")" ]; then
		nb_error "$drv: $H4:$hp2/tcp or $H4:$hp3/udp still bound after remove-ports"
	fi

	# The end: rootlesskit goes, the binary with it.
	kill "$pid"
	s4nn_wait_gone "$pid" 15 || nb_error "$drv: rootlesskit did not exit on SIGTERM"
	if [ -n "$s4" ]; then
		if s4nn_wait_gone "$s4" 10; then
			nb_pass "$drv: the binary exited with rootlesskit"
		else
			nb_error "$drv: the binary (pid $s4) outlived rootlesskit"
			kill -9 "$s4" 2>/dev/null || true
		fi
	fi
	echo "TIME: $drv case took $((SECONDS - t0)) s"
}

rk_case slirp4netns
rk_case builtin
if [ "$(grep -c '^tcp ' "$SLOG" || true)" -lt 42 ]; then
	nb_error "the test host's server logged $(grep -c '^tcp ' "$SLOG" || true) TCP connections, want >= 42"
else
	nb_pass "the test host's server saw the child's connections"
fi
if [ -s "$LLOG" ]; then
	nb_error "the host's loopback server was reached: $(cat "$LLOG")"
else
	nb_pass "the host's loopback server was never reached"
fi
if [ "${NB_S4NN_API_TRACE:-0}" = 1 ]; then
	cat "$S4NN_API_LOG"
fi
echo "TIME: test-rootlesskit.sh took $SECONDS s"
nb_done
