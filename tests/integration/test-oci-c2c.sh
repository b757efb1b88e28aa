#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# test-oci-c2c.sh - the service map under `nsbypass oci` (issue 12,
# docs/design.md §3.4): rootless podman (runc, then crun), one daemon, a
# busybox httpd published with the annotation nsbypass.publish (its bind
# taken to a host listener), as the unprivileged NB_USER.
#   - the container's own command reaches its server at 127.0.0.1:8080
#     (one agent: its own entry);
#   - `podman exec SRV wget` at 127.0.0.1, [::1] and the container's own
#     address 10.51.0.100 gets the page: the exec's agent has the entry
#     from the daemon (the oci channel; a pod-mate's entry, same netns);
#   - container B (slirp4netns:cidr=10.52.0.0/24) reaches A by A's
#     address 10.51.0.100:8080 and by an IPv6 address added in A
#     (fd51::100 on lo: slirp4netns gives every container fd00::100), the
#     agents' counters say "served";
#   - a sidecar in A's network namespace (--network container:SRV)
#     reaches it at 127.0.0.1:8080;
#   - nsbypass.c2c=false on C: B's connect to C's address is not served
#     (it goes where it would without the map: to the host, which has no
#     route there), while C's own exec still is;
#   - when A ends, B no longer reaches A's address through the map (the
#     daemon withdrew A's record);
#   - no warning in the daemon's log.
set -xeuo pipefail
. "$(dirname "$0")/common.sh"
. "$(dirname "$0")/oci-common.sh"

setup_rootless_test
require_cmd podman runc busybox newuidmap newgidmap curl
# What the map does not serve (c2c=false, A gone) stays on this machine.
nb_unroutable 10.51.0.0/24 10.52.0.0/24 10.53.0.0/24 fd51::/64
setup_subids
H4=$NB_HOST4
. "$NB_ITEST_DIR/podman-env.sh"
podman_env_setup
D=$PD/oci
SOCK=$D/oci.sock
LOG=$D/oci.log
PIDF=$D/oci.pid
PROFILE=$D/profile.json
mkdir -p "$D" "$ROOTFS/www"
echo "c2c-page-$$" >"$ROOTFS/www/token.txt"
PAGE="c2c-page-$$"
chown -R "$NB_USER:" "$D" "$ROOTFS/www"
chmod 700 "$D"

_c2c_cleanup() {
	local rc=$?
	set +e
	pm rm -a -f -t 0 >/dev/null 2>&1
	oci_daemon_cleanup
	(exit "$rc")
	_pm_env_cleanup
}
trap _c2c_cleanup EXIT

as_user "$NSBYPASS" profile --listener "$SOCK" >"$PROFILE" ||
	nb_fail "nsbypass profile --listener failed"
chown "$NB_USER:" "$PROFILE"
start_bg oci as_user "$NSBYPASS" oci --listen "$SOCK" --log-level debug \
	--log-file "$LOG" --pid-file "$PIDF"
for _ in $(seq 1 100); do [ -S "$SOCK" ] && [ -s "$PIDF" ] && break; sleep 0.1; done
[ -S "$SOCK" ] || nb_fail "nsbypass oci does not listen on $SOCK"
DPID=$(cat "$PIDF")

nb_exec pm run --rm --network none --rootfs "$ROOTFS" /bin/busybox true
[ "$NB_RC" -eq 0 ] || nb_fail "rootless podman cannot run the busybox rootfs" \
	"(exit $NB_RC): $NB_ERR"

SEC=(--security-opt "seccomp=$PROFILE")
# get URL...: busybox wget of each URL (5 s each) must print the page.
get() {
	local u s=
	for u in "$@"; do
		s="$s timeout 5 wget -q -O - $u/token.txt | grep -qx $PAGE &&"
	done
	echo "$s echo OK got $*"
}

# want_stats DESC MARK ERE: that stats line must match ERE.
want_stats() {
	local st
	st=$(oci_agent_stats "$2")
	if grep -Eq -- "$3" <<<"$st"; then
		nb_pass "$1: agent '$st'"
	else
		nb_error "$1: agent stats '$st', want /$3/"
	fi
}

# c2c_run DESC WANT RUNTIME OPTS... -- CMD: "podman run --rm" must print
# a last line "OK ..."; its agent's stats must match WANT.
c2c_run() {
	local desc=$1 want=$2 rt=$3 opts=() mark
	shift 3
	while [ "$1" != -- ]; do
		opts+=("$1")
		shift
	done
	shift
	mark=$(wc -l <"$LOG")
	nb_expect_ok "$rt: $desc" pm --runtime "$rt" run --rm "${opts[@]}" \
		"${SEC[@]}" --rootfs "$ROOTFS" "$@"
	want_stats "$rt: $desc" "$mark" "$want"
}

# c2c_exec DESC WANT RUNTIME CTR CMD: the same for "podman exec CTR".
c2c_exec() {
	local desc=$1 want=$2 rt=$3 ctr=$4 mark
	shift 4
	mark=$(wc -l <"$LOG")
	nb_expect_ok "$rt: $desc" pm exec "$ctr" "$@"
	want_stats "$rt: $desc" "$mark" "$want"
}

# wait_host_page PORT: the published server answers on the host.
wait_host_page() {
	oci_wait_page "$H4" "$1" "$PAGE"
}

# c2c_checks RUNTIME
c2c_checks() {
	local rt=$1 hpa hpc hps a=srv-$1 c=noc-$1 mark
	hpa=$(free_port)
	hpc=$(free_port)
	hps=$(free_port)

	# The container's own command, one agent.
	c2c_run "own command: httpd, then wget 127.0.0.1:8080" \
		"[1-9][0-9]* published, 1 served" "$rt" \
		--network slirp4netns --annotation "nsbypass.publish=$hps:8080" -- \
		sh -c "httpd -f -p 8080 -h /www & sleep 0.5 && $(get http://127.0.0.1:8080)"

	# A: the server, with an IPv6 address of its own added on lo.
	nb_exec pm --runtime "$rt" run -d --name "$a" "${SEC[@]}" \
		--network slirp4netns:cidr=10.51.0.0/24,enable_ipv6=true \
		--cap-add NET_ADMIN --annotation "nsbypass.publish=$hpa:8080" \
		--rootfs "$ROOTFS" sh -c "ip addr add fd51::100/128 dev lo && exec httpd -f -p 8080 -h /www"
	[ "$NB_RC" -eq 0 ] || nb_fail "$rt: podman run $a: exit $NB_RC: $NB_ERR"
	wait_host_page "$hpa" && nb_pass "$rt: A answers on the host at $hpa" ||
		nb_fail "$rt: A does not answer on the host at $H4:$hpa"

	# (a) podman exec: the exec's own agent, A's entry from the daemon.
	c2c_exec "exec A: wget 127.0.0.1, [::1], 10.51.0.100" \
		"0 published, 3 served" "$rt" "$a" \
		sh -c "$(get http://127.0.0.1:8080 'http://[::1]:8080' http://10.51.0.100:8080)"

	# (b) B reaches A by A's addresses, v4 and v6.
	c2c_run "B -> A at 10.51.0.100 and [fd51::100]" "0 published, 2 served" \
		"$rt" --network slirp4netns:cidr=10.52.0.0/24,enable_ipv6=true -- \
		sh -c "$(get http://10.51.0.100:8080 'http://[fd51::100]:8080')"

	# (c) a sidecar in A's network namespace.
	c2c_run "sidecar --network container:$a -> 127.0.0.1:8080" \
		"0 published, 1 served" "$rt" --network "container:$a" -- \
		sh -c "$(get http://127.0.0.1:8080)"

	# (d) C opted out: not served from B, still from inside.
	nb_exec pm --runtime "$rt" run -d --name "$c" "${SEC[@]}" \
		--network slirp4netns:cidr=10.53.0.0/24 \
		--annotation "nsbypass.publish=$hpc:8080" \
		--annotation nsbypass.c2c=false --rootfs "$ROOTFS" \
		httpd -f -p 8080 -h /www
	[ "$NB_RC" -eq 0 ] || nb_fail "$rt: podman run $c: exit $NB_RC: $NB_ERR"
	wait_host_page "$hpc" && nb_pass "$rt: C answers on the host at $hpc" ||
		nb_fail "$rt: C does not answer on the host at $H4:$hpc"
	c2c_run "B -> C (nsbypass.c2c=false) at 10.53.0.100: not served" \
		"0 published, 0 served" "$rt" \
		--network slirp4netns:cidr=10.52.0.0/24 -- \
		sh -c "timeout 3 wget -q -O - http://10.53.0.100:8080/token.txt | grep -qx $PAGE && echo reached || echo OK not reached"
	c2c_exec "exec C (c2c off): wget 127.0.0.1 still served" \
		"0 published, 1 served" "$rt" "$c" sh -c "$(get http://127.0.0.1:8080)"

	# A ends: its record is withdrawn.
	nb_exec pm rm -f -t 0 "$a" "$c"
	oci_wait_no_agents || nb_error "$rt: agents left after podman rm"
	c2c_run "A gone: B -> 10.51.0.100 not served" "0 published, 0 served" \
		"$rt" --network slirp4netns:cidr=10.52.0.0/24 -- \
		sh -c "timeout 3 wget -q -O - http://10.51.0.100:8080/token.txt | grep -qx $PAGE && echo reached || echo OK not reached"
}

c2c_checks runc
if pm_crun_usable; then
	c2c_checks crun
fi

oci_stop_daemon
if grep -E ": (warn|error):" "$LOG"; then
	nb_error "warnings or errors in the daemon's log"
fi
echo "TIME: test-oci-c2c.sh took $SECONDS s"
nb_done
