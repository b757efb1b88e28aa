#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# test-podman-slirp4netns.sh - the slirp4netns-compatible binary (S4NN_BIN,
# see slirp4netns-compat.sh) as rootless podman's network: podman 4.3
# with runc, run by the unprivileged user, "--network slirp4netns[:OPTS]"
# and containers.conf "[engine] network_cmd_path" naming the binary.
# Podman starts it from inside its rootless user namespace with -c (the
# binary configures tap0 itself), -e/-r fds and --netns-type=path.  Every
# check runs with runc, then with crun (a SKIP note with the reason when
# crun cannot run here).
#
# Everything podman keeps lives in this test's temp dir (HOME,
# XDG_RUNTIME_DIR, CONTAINERS_CONF, --root, --runroot, vfs storage); the
# container root is a busybox-static rootfs dir (--rootfs: no image, no
# pull) with sockprobe-static in it.  Checks:
#   - the binary under test is what podman ran, and it exits with the
#     container;
#   - -c configured tap0: 10.0.2.100/24, MTU 65520, default via 10.0.2.2;
#     with "slirp4netns:cidr=10.41.0.0/24,mtu=1500" the binary gets
#     --cidr and the container 10.41.0.100/24, MTU 1500, via 10.41.0.2;
#   - the container reaches TCP and UDP echo servers and an HTTP server
#     (busybox wget) on the test host 10.99.0.1;
#   - --disable-host-loopback (podman's default): 10.0.2.2 does not reach
#     a server on the host's 127.0.0.1; allow_host_loopback=true (no
#     --disable-host-loopback) does: the positive control;
#   - -p 127.0.0.1:HP:CP and -p 10.99.0.1:HP:CP reach a server in the
#     container, with podman's default port handler (rootlessport: the
#     binary only carries the traffic) and with port_handler=slirp4netns
#     (podman sends add_hostfwd to the binary's --api-socket, whose
#     process then holds the host sockets); podman rm closes them.
# On failure the log of every argv the binary got (s4nn-argv.log) is
# printed; NB_S4NN_API_TRACE=1 also logs the API socket's requests and
# replies (s4nn-api.log).  Run it against the real slirp4netns with
# NSBYPASS_SLIRP4NETNS=/usr/bin/slirp4netns.
set -xeuo pipefail
. "$(dirname "$0")/common.sh"
. "$(dirname "$0")/slirp4netns-compat.sh"

s4nn_setup
require_cmd podman runc busybox
# pm_crun_usable; the pm defined below replaces podman-env.sh's.
. "$NB_ITEST_DIR/podman-env.sh"
H4=$NB_HOST4
PD=$NB_TMP/podman
# XDG_RUNTIME_DIR short: podman puts the API socket at
# $XDG_RUNTIME_DIR/libpod/tmp/<64 hex>.net, and sun_path has 108 bytes.
XDG=$NB_TMP/r
ROOTFS=$PD/rootfs
mkdir -p "$PD/home" "$PD/root" "$PD/runroot" "$XDG" \
	"$ROOTFS/bin" "$ROOTFS/etc" "$ROOTFS/proc" "$ROOTFS/sys" \
	"$ROOTFS/dev" "$ROOTFS/tmp" "$ROOTFS/run"
cp "$(command -v busybox)" "$ROOTFS/bin/busybox"
for a in $(busybox --list); do
	[ "$a" = busybox ] || ln -sf busybox "$ROOTFS/bin/$a"
done
install -m 0755 "$SOCKPROBE_STATIC" "$ROOTFS/sockprobe"
printf '#!/bin/sh\nread l\necho "from-container: $l"\n' >"$ROOTFS/srv.sh"
chmod 755 "$ROOTFS/srv.sh" "$ROOTFS/sockprobe"
cat >"$PD/containers.conf" <<EOF
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
runtime = "runc"
network_cmd_path = "$S4NN_WRAP"
EOF
chown -R "$NB_USER:" "$PD" "$XDG"
chmod 700 "$XDG"

# pm ARGS...: podman ARGS as NB_USER, all state in PD, bounded in time.
pm() {
	runuser -u "$NB_USER" -- env -i -C / HOME="$PD/home" USER="$NB_USER" \
		LOGNAME="$NB_USER" XDG_RUNTIME_DIR="$XDG" \
		CONTAINERS_CONF="$PD/containers.conf" \
		PATH=/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin \
		LANG=C.UTF-8 timeout -k 5 30 \
		podman --root "$PD/root" --runroot "$PD/runroot" \
		--storage-driver vfs "$@"
}

# Containers, podman's pause process (which holds its user namespace),
# any binary still running, then common.sh's cleanup.
pm_cleanup() {
	local rc=$? p
	set +e
	pm rm -a -f -t 0 >/dev/null 2>&1
	p=$(cat "$XDG/libpod/tmp/pause.pid" 2>/dev/null)
	[ -z "$p" ] || kill "$p" 2>/dev/null
	for p in $(sed -n 's/^pid \([0-9]*\):.*/\1/p' "$S4NN_ARGV_LOG" 2>/dev/null); do
		if s4nn_alive "$p" && grep -q tap0 "/proc/$p/cmdline" 2>/dev/null; then
			echo "cleanup: the binary (pid $p) still runs"
			kill -9 "$p" 2>/dev/null
		fi
	done
	p=$(cat "$XDG/libpod/tmp/pause.pid" 2>/dev/null)
	[ -z "$p" ] || s4nn_wait_gone "$p" 5 || kill -9 "$p" 2>/dev/null
	(exit "$rc")
	cleanup
}
trap pm_cleanup EXIT
# Killed (meson's timeout): still clean up, or podman's pause process and
# containers outlive the test.
trap 'exit 143' TERM
trap 'exit 130' INT

# pm_run DESC OPTS... -- CMD...: "podman --runtime RT run --rm OPTS
# --rootfs ROOTFS CMD"
# as a check, like nb_expect_ok; then the binary podman ran must exit.
pm_run() {
	local desc=$1 opts=() s4
	shift
	while [ "$1" != -- ]; do
		opts+=("$1")
		shift
	done
	shift
	desc="$RT: $desc"
	s4nn_mark "$desc"
	nb_expect_ok "$desc" pm --runtime "$RT" run --rm "${opts[@]}" \
		--rootfs "$ROOTFS" "$@"
	s4=$(s4nn_pid)
	if [ -z "$s4" ]; then
		nb_error "$desc: podman did not run the binary under test"
	elif ! s4nn_wait_gone "$s4" 5; then
		nb_error "$desc: the binary (pid $s4) outlived the container"
	fi
}

start_test_echo
EP=$NB_ECHO_PORT
SLOG=$NB_TMP/server.peers
EP2=$(free_port)
start_echo echo4log "$H4" "$EP2" "$SLOG"
LP=$(free_port)
LLOG=$NB_TMP/host-loopback.peers
start_echo loop4 127.0.0.1 "$LP" "$LLOG"
mkdir -p "$NB_TMP/www"
echo "token-$EP" >"$NB_TMP/www/token.txt"
HTP=$(free_port)
start_http http4 "$H4" "$HTP" "$NB_TMP/www"

t0=$SECONDS
# First run: podman sets up its user namespace and storage.
nb_exec pm run --rm --network none --rootfs "$ROOTFS" /bin/busybox true
[ "$NB_RC" -eq 0 ] || nb_fail "rootless podman cannot run the busybox rootfs" \
	"even without a network (exit $NB_RC): $NB_ERR"
echo "TIME: podman set-up took $((SECONDS - t0)) s"

# pm_ports HANDLER NETWORK: a server in a container, published on
# 127.0.0.1:HP1 and 10.99.0.1:HP2, queried from the host.
pm_ports() {
	local h=$1 net=$2 cp hp1 hp2 name=fwd-$1-$RT s4 i r t0=$SECONDS
	cp=$(free_port)
	hp1=$(free_port)
	hp2=$(free_port)
	s4nn_mark "ports $h"
	nb_exec pm --runtime "$RT" run -d --name "$name" --network "$net" \
		-p "127.0.0.1:$hp1:$cp/tcp" -p "$H4:$hp2:$cp/tcp" \
		--rootfs "$ROOTFS" nc -ll -p "$cp" -e /srv.sh
	if [ "$NB_RC" -ne 0 ]; then
		nb_error "$RT: $h: podman run -d -p ... failed (exit $NB_RC)"
		return 0
	fi
	s4=$(s4nn_pid)
	s4nn_runs
	[ -n "$s4" ] || nb_error "$RT: $h: podman did not run the binary under test"
	# Until the server in the container listens, 10 s at most.
	i=$((SECONDS + 10))
	while :; do
		r=$(s4nn_ask 127.0.0.1 "$hp1" "hello-$hp1" || true)
		if [ "$r" = "from-container: hello-$hp1" ] || [ "$SECONDS" -ge "$i" ]; then
			break
		fi
		sleep 0.2
	done
	if [ "$r" = "from-container: hello-$hp1" ]; then
		nb_pass "$RT: $h: host -> 127.0.0.1:$hp1 -> container :$cp: '$r'"
	else
		nb_error "$RT: $h: host -> 127.0.0.1:$hp1 -> container :$cp: got '$r'"
	fi
	for i in 1 2 3; do
		r=$(s4nn_ask "$H4" "$hp2" "hello-$hp2-$i" || true)
		if [ "$r" = "from-container: hello-$hp2-$i" ]; then
			nb_pass "$RT: $h: host -> $H4:$hp2 -> container :$cp: '$r'"
		else
			nb_error "$RT: $h: host -> $H4:$hp2 -> container :$cp: got '$r'"
		fi
	done
	nb_exec pm port "$name"
	if grep -qx "$cp/tcp -> 127.0.0.1:$hp1" <<<"$NB_OUT" &&
	   grep -qx "$cp/tcp -> $H4:$hp2" <<<"$NB_OUT"; then
		nb_pass "$RT: $h: podman port lists both"
	else
		nb_error "$RT: $h: podman port: $NB_OUT"
	fi
	if [ "$h" = slirp4netns ]; then
		s4nn_runs | grep -q -- "'--api-socket'" ||
			nb_error "$RT: $h: the binary got no --api-socket"
		local o1 o2
		o1=$(s4nn_listener_pid tcp 127.0.0.1 "$hp1")
		o2=$(s4nn_listener_pid tcp "$H4" "$hp2")
		if [ -n "$s4" ] && [ "$o1" = "$s4" ] && [ "$o2" = "$s4" ]; then
			nb_pass "$RT: $h: the binary (pid $s4) holds the host sockets"
		else
			nb_error "$RT: $h: host sockets held by pids '$o1' '$o2', want the binary's ${s4:-?}"
		fi
	fi
	nb_exec pm rm -f -t 0 "$name"
	[ "$NB_RC" -eq 0 ] || nb_error "$RT: $h: podman rm -f $name: exit $NB_RC"
	if [ -n "$s4" ] && ! s4nn_wait_gone "$s4" 10; then
		nb_error "$RT: $h: the binary (pid $s4) outlived the container"
	fi
	if [ -n "$(s4nn_listener_pid tcp 127.0.0.1 "$hp1")$(s4nn_listener_pid tcp "$H4" "$hp2")" ]; then
		nb_error "$RT: $h: the host ports are still bound after podman rm"
	fi
	nb_expect_fail "$RT: $h: 127.0.0.1:$hp1 is closed after podman rm" "^FAIL connect: ECONNREFUSED" \
		"$SOCKPROBE_STATIC" tcp-echo 127.0.0.1 "$hp1"
	echo "TIME: $RT: port case $h took $((SECONDS - t0)) s"
}

# outgoing_checks: the container's own connections, with RT.
outgoing_checks() {
	t0=$SECONDS
	pm_run "default network: tap0 configured by -c" --network slirp4netns -- \
		sh -c 'ip -o -4 addr show dev tap0; ip -o link show dev tap0; ip route
			ip -o -4 addr show dev tap0 | grep -q " 10\.0\.2\.100/24 " &&
			ip -o link show dev tap0 | grep -q " mtu 65520 " &&
			ip route | grep -q "^default via 10\.0\.2\.2 dev tap0" &&
			echo OK tap0 10.0.2.100/24 mtu 65520 via 10.0.2.2'
	s4nn_runs
	pm_run "container -> $H4 TCP" --network slirp4netns -- \
		/sockprobe tcp-echo "$H4" "$EP"
	pm_run "container -> $H4 UDP" --network slirp4netns -- \
		/sockprobe udp-echo "$H4" "$EP"
	pm_run "20 connections container -> $H4" --network slirp4netns -- \
		/sockprobe many "$H4" "$EP2" 20
	pm_run "busybox wget from $H4" --network slirp4netns -- \
		sh -c "wget -q -O - http://$H4:$HTP/token.txt | grep -qx token-$EP &&
			echo OK wget token-$EP"
	if [ "$(grep -c '^tcp ' "$SLOG" || true)" -lt 20 ]; then
		nb_error "$RT: the test host's server logged $(grep -c '^tcp ' "$SLOG" || true) TCP connections, want >= 20"
	fi

	s4nn_mark "loopback"
	: >"$LLOG" # the previous runtime's positive control wrote to it
	nb_expect_fail "$RT: --disable-host-loopback: 10.0.2.2 does not reach host 127.0.0.1" "^FAIL connect: ENETUNREACH" \
		pm --runtime "$RT" run --rm --network slirp4netns --rootfs "$ROOTFS" \
		/sockprobe tcp-echo 10.0.2.2 "$LP"
	s4nn_runs | grep -q -- "'--disable-host-loopback'" ||
		nb_error "$RT: podman did not pass --disable-host-loopback"
	if [ -s "$LLOG" ]; then
		nb_error "$RT: the host's loopback server was reached: $(cat "$LLOG")"
	fi
	pm_run "allow_host_loopback=true: 10.0.2.2 reaches host 127.0.0.1" \
		--network slirp4netns:allow_host_loopback=true -- \
		/sockprobe tcp-echo 10.0.2.2 "$LP"
	if s4nn_runs | grep -q -- "'--disable-host-loopback'"; then
		nb_error "$RT: allow_host_loopback=true: podman still passed --disable-host-loopback"
	fi
	[ -s "$LLOG" ] || nb_error "$RT: allow_host_loopback=true: the loopback server logged nothing"

	pm_run "cidr=10.41.0.0/24,mtu=1500" \
		--network slirp4netns:cidr=10.41.0.0/24,mtu=1500 -- \
		sh -c 'ip -o -4 addr show dev tap0; ip -o link show dev tap0; ip route
			ip -o -4 addr show dev tap0 | grep -q " 10\.41\.0\.100/24 " &&
			ip -o link show dev tap0 | grep -q " mtu 1500 " &&
			ip route | grep -q "^default via 10\.41\.0\.2 dev tap0" &&
			/sockprobe tcp-echo "$0" "$1"' "$H4" "$EP"
	s4nn_runs | grep -q -- "'--cidr=10.41.0.0/24'" ||
		nb_error "$RT: cidr=: podman did not pass --cidr=10.41.0.0/24"
	echo "TIME: $RT: outgoing checks took $((SECONDS - t0)) s"
}

RTS=(runc)
if pm_crun_usable; then
	RTS+=(crun)
fi
for RT in "${RTS[@]}"; do
	outgoing_checks
	pm_ports rootlessport slirp4netns
	pm_ports slirp4netns slirp4netns:port_handler=slirp4netns
done

nb_exec pm ps -a -q
[ -z "$NB_OUT" ] || nb_error "containers left: $NB_OUT"
if [ "${NB_S4NN_API_TRACE:-0}" = 1 ]; then
	cat "$S4NN_API_LOG"
fi
echo "TIME: test-podman-slirp4netns.sh took $SECONDS s"
nb_done
