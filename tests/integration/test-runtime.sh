#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# test-runtime.sh - `nsbypass runtime`, the OCI runtime wrapper, as the
# runtime of rootless podman (4.3 on Debian 12, 5.8 in the release tier),
# all run by the unprivileged NB_USER.  No container is given a seccomp
# profile or an annotation: the wrapper merges the notified calls into
# the filter podman wrote into config.json (its default profile) and
# sets listenerPath.  Two ways to name the real runtime:
#   - runc: a two-line script, `exec nsbypass runtime --runtime runc
#     --listener SOCK -- "$@"`;
#   - crun: a symlink named nsbypass-runtime-crun to nsbypass, the
#     listener at its default, $XDG_RUNTIME_DIR/nsbypass/oci.sock (podman
#     runs the runtime with XDG_RUNTIME_DIR set, HOME only at create).
# Checks, for each: --network none (busybox wget and nc reach the test
# host 10.99.0.1, each connect switched) and the default network;
# podman exec (an agent of its own, bypassed); --security-opt
# seccomp=unconfined starts unaccelerated (nothing is weakened); with
# no listener socket a container still starts; containers.conf's
# [engine] runtime naming the wrapper (no --runtime); every agent ends with its
# container and the daemon logs no warning.  crun: SKIP of that part
# with the reason when it cannot run here.
set -xeuo pipefail
. "$(dirname "$0")/common.sh"
. "$(dirname "$0")/oci-common.sh"

setup_rootless_test
require_cmd podman runc busybox newuidmap newgidmap
setup_subids
H4=$NB_HOST4
. "$NB_ITEST_DIR/podman-env.sh"
# shellcheck disable=SC2034 # read by pm (podman-env.sh)
PM_TIMEOUT=60 # a create through the wrapper, then runc or crun
podman_env_setup
D=$XDG/nsbypass
SOCK=$D/oci.sock
LOG=$PD/oci.log
PIDF=$PD/oci.pid
mkdir -p "$D"
# The two wrappers.
RUNC_W=$PD/nsbypass-runc
printf '#!/bin/sh\nexec %s runtime --runtime runc --listener %s -- "$@"\n' \
	"$NSBYPASS" "$SOCK" >"$RUNC_W"
chmod 0755 "$RUNC_W"
CRUN_W=$PD/nsbypass-runtime-crun
ln -s "$NSBYPASS" "$CRUN_W"
chown -R "$NB_USER:" "$PD" "$XDG"
chmod 700 "$XDG" "$D"

_runtime_cleanup() {
	local rc=$? p
	set +e
	pm rm -a -f -t 0 >/dev/null 2>&1
	for p in $([ -z "${DPID:-}" ] || pgrep -P "$DPID" -x nsbypass-agent); do
		echo "cleanup: agent pid $p still runs"
		kill -9 "$p"
	done
	oci_daemon_cleanup
	(exit "$rc")
	_pm_env_cleanup
}
trap _runtime_cleanup EXIT

oci_test_servers
start_bg oci as_user "$NSBYPASS" oci --listen "$SOCK" --log-level info \
	--log-file "$LOG" --pid-file "$PIDF"
for _ in $(seq 1 100); do [ -S "$SOCK" ] && [ -s "$PIDF" ] && break; sleep 0.1; done
[ -S "$SOCK" ] || nb_fail "nsbypass oci does not listen on $SOCK"
DPID=$(cat "$PIDF")
echo "podman: $(pm --version)"

nb_exec pm --runtime runc run --rm --network none --rootfs "$ROOTFS" /bin/busybox true
[ "$NB_RC" -eq 0 ] || nb_fail "rootless podman cannot run the busybox rootfs" \
	"(exit $NB_RC): $NB_ERR"

WGET="wget -q -O - http://$H4:$HTP/token.txt | grep -qx token-$EP && echo OK wget token-$EP"
NC="echo nc-hello-\$\$ | nc -w 5 $H4 $EP | grep -q nc-hello && echo OK nc"

# rt_check DESC WANT WRAPPER OPTS... -- CMD...: "podman --runtime WRAPPER
# run --rm OPTS --rootfs ROOTFS CMD" prints a last line "OK ..."; its
# agent logs WANT (an ERE).
rt_check() {
	local desc=$1 want=$2 w=$3 opts=() mark st
	shift 3
	while [ "$1" != -- ]; do opts+=("$1"); shift; done
	shift
	mark=$(wc -l <"$LOG")
	nb_expect_ok "${w##*/}: $desc" pm --runtime "$w" run --rm "${opts[@]}" \
		--rootfs "$ROOTFS" "$@"
	st=$(oci_agent_stats "$mark")
	grep -Eq -- "$want" <<<"$st" && nb_pass "${w##*/}: $desc: agent '$st'" ||
		nb_error "${w##*/}: $desc: agent stats '$st', want /$want/"
}

# wrapper_checks WRAPPER: every check through WRAPPER.
wrapper_checks() {
	local w=$1 n=${1##*/} mark id c
	rt_check "--network none: wget, no seccomp option" "1 switched, 0 kept" \
		"$w" --network none -- sh -c "$WGET"
	rt_check "--network none: nc" "1 switched, 0 kept" \
		"$w" --network none -- sh -c "$NC"
	rt_check "default network: wget bypassed" "1 switched, 0 kept" \
		"$w" -- sh -c "$WGET"
	nb_expect_fail "$n: seccomp=unconfined: started, not accelerated" \
		"wget: can't connect to remote host \($H4\): Network is unreachable" \
		pm --runtime "$w" run --rm --network none \
		--security-opt seccomp=unconfined --rootfs "$ROOTFS" sh -c "$WGET"
	# podman exec: the exec has an agent of its own, bypassed.
	mark=$(wc -l <"$LOG")
	nb_exec pm --runtime "$w" run -d --name "ex-$n" --network none \
		--rootfs "$ROOTFS" sleep 120
	[ "$NB_RC" -eq 0 ] || nb_error "$n: podman run -d: exit $NB_RC: $NB_ERR"
	nb_expect_ok "$n: podman exec: wget" pm exec "ex-$n" sh -c "$WGET"
	id=$(pm inspect -f '{{.Id}}' "ex-$n" || true)
	c=$(tail -n +"$((mark + 1))" "$LOG" | grep -c "container $id: agent pid [0-9]* serves" || true)
	[ "$c" -eq 2 ] && nb_pass "$n: podman exec: one agent for the container, one for the exec" ||
		nb_error "$n: podman exec: $c agents for '$id', want 2"
	nb_exec pm rm -f -t 0 "ex-$n"
	oci_wait_no_agents && nb_pass "$n: podman rm: every agent ended" ||
		nb_error "$n: agents left after podman rm: $(pgrep -a -P "$DPID" -x nsbypass-agent)"
}

wrapper_checks "$RUNC_W"
if pm_crun_usable; then
	wrapper_checks "$CRUN_W"
fi

# containers.conf: the wrapper as podman's runtime, no --runtime at all.
cp "$PD/containers.conf" "$PD/containers.conf.orig"
sed -i 's/^runtime = "runc"$/runtime = "nsbypass"/' "$PD/containers.conf"
grep -qx 'runtime = "nsbypass"' "$PD/containers.conf" ||
	nb_fail "podman_env_setup's containers.conf has no runtime = \"runc\" line to replace"
printf '[engine.runtimes]\nnsbypass = ["%s"]\n' "$RUNC_W" >>"$PD/containers.conf"
cat "$PD/containers.conf"
mark=$(wc -l <"$LOG")
nb_expect_ok "containers.conf runtime = nsbypass: wget, no option" \
	pm run --rm --network none --rootfs "$ROOTFS" sh -c "$WGET"
st=$(oci_agent_stats "$mark")
grep -q "1 switched, 0 kept" <<<"$st" && nb_pass "containers.conf runtime: agent '$st'" ||
	nb_error "containers.conf runtime: agent stats '$st'"
mv "$PD/containers.conf.orig" "$PD/containers.conf"

oci_stop_daemon
if grep -E ": (warn|error):" "$LOG"; then
	nb_error "warnings or errors in the daemon's log"
fi
# No listener: the container must still start (unaccelerated).
nb_expect_ok "no nsbypass oci running: the container starts" \
	pm --runtime "$RUNC_W" run --rm --network none --rootfs "$ROOTFS" \
	sh -c 'echo OK started'
echo "TIME: test-runtime.sh took $SECONDS s"
nb_done
