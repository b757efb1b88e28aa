#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# test-docker-rootless.sh - `nsbypass oci` as the listenerPath agent of
# rootless Docker (dockerd-rootless.sh: rootlesskit, slirp4netns, runc),
# all run by the unprivileged NB_USER.  Docker copies the whole seccomp
# profile, listenerPath included, into the OCI spec it gives runc.  The
# image is a busybox-static rootfs made here (docker import: no registry).
# Checks:
#   - docker run --security-opt seccomp=PROFILE, --network none and the
#     default bridge: busybox wget and nc reach the test host 10.99.0.1,
#     each connect switched (negative control: --network none without the
#     profile cannot);
#   - docker exec into a running container: its own agent, bypassed;
#   - dockerd started with --seccomp-profile PROFILE (daemon.json's
#     "seccomp-profile"): a plain docker run with no option is bypassed;
#   - every agent ends with its container; the daemon logs no warning.
# The suite installs docker.io only in the release tier
# (tests/release-root.sh, Docker 28 in Debian testing), which runs this.  Where it
# is missing, or Docker is older than 25 (20.10's profile type drops
# listenerPath; older ones are not tried), the test says SKIP and why.
set -xeuo pipefail
. "$(dirname "$0")/common.sh"
. "$(dirname "$0")/oci-common.sh"
. "$(dirname "$0")/docker-env.sh"

setup_rootless_test
DRS=$(docker_rootless_script) ||
	nb_skip "no dockerd-rootless.sh: docker.io is not installed here (the release tier installs Docker 28 and runs this test)"
require_cmd dockerd docker rootlesskit slirp4netns newuidmap newgidmap busybox setpriv
DV=$(dockerd --version | sed -n 's/^Docker version \([0-9]*\)\..*/\1/p')
[ "${DV:-0}" -ge 25 ] ||
	nb_skip "Docker $(dockerd --version | cut -d' ' -f3 | tr -d ,) is older than 25, which this test is written for (20.10 drops listenerPath from a profile)"
setup_subids
require_tun "rootless dockerd (slirp4netns)"

H4=$NB_HOST4
docker_env_setup "$DRS"
D=$DD/oci
SOCK=$D/oci.sock
LOG=$D/oci.log
PIDF=$D/oci.pid
PROFILE=$D/profile.json
install -d -m 0700 -o "$NB_USER" "$D"

dk_cleanup() {
	local rc=$?
	set +e
	stop_dockerd
	oci_daemon_cleanup
	(exit "$rc")
	cleanup
}
trap dk_cleanup EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

oci_test_servers

as_user "$NSBYPASS" profile --listener "$SOCK" >"$PROFILE" ||
	nb_fail "nsbypass profile --listener failed"
chown "$NB_USER:" "$PROFILE"
start_bg oci as_user "$NSBYPASS" oci --listen "$SOCK" --log-level info \
	--log-file "$LOG" --pid-file "$PIDF"
for _ in $(seq 1 100); do [ -S "$SOCK" ] && [ -s "$PIDF" ] && break; sleep 0.1; done
[ -S "$SOCK" ] || nb_fail "nsbypass oci does not listen on $SOCK"
DPID=$(cat "$PIDF")

t0=$SECONDS
start_dockerd || nb_skip "rootless dockerd does not start here (log above)"
echo "TIME: rootless dockerd up in $((SECONDS - t0)) s: $(dk version -f '{{.Server.Version}}')"
docker_import_rootfs nbbox || nb_fail "docker import of the busybox rootfs failed"

# dk_check DESC WANT OPTS... -- CMD...: "docker run --rm OPTS nbbox CMD"
# prints a last line "OK ..." and its agent logs WANT (an ERE).
dk_check() {
	local desc=$1 want=$2 opts=() mark st
	shift 2
	while [ "$1" != -- ]; do opts+=("$1"); shift; done
	shift
	mark=$(wc -l <"$LOG")
	nb_expect_ok "$desc" dk run --rm "${opts[@]}" nbbox "$@"
	st=$(oci_agent_stats "$mark")
	grep -Eq -- "$want" <<<"$st" && nb_pass "$desc: agent '$st'" ||
		nb_error "$desc: agent stats '$st', want /$want/"
}

WGET="wget -q -O - http://$H4:$HTP/token.txt | grep -qx token-$EP && echo OK wget token-$EP"
NC="echo nc-hello-\$\$ | nc -w 5 $H4 $EP | grep -q nc-hello && echo OK nc"
SEC=(--security-opt "seccomp=$PROFILE")

nb_expect_fail "negative control: --network none without the profile" \
	"wget: can't connect to remote host \($H4\): Network is unreachable" \
	dk run --rm --network none nbbox sh -c "$WGET"
dk_check "--network none: wget" "1 switched, 0 kept" \
	"${SEC[@]}" --network none -- sh -c "$WGET"
dk_check "--network none: nc" "1 switched, 0 kept" \
	"${SEC[@]}" --network none -- sh -c "$NC"
dk_check "default bridge: wget bypassed" "1 switched, 0 kept" \
	"${SEC[@]}" -- sh -c "$WGET"

# docker exec: the exec gets an agent of its own and is bypassed.
mark=$(wc -l <"$LOG")
nb_exec dk run -d --name ex1 --network none "${SEC[@]}" nbbox sleep 120
[ "$NB_RC" -eq 0 ] || nb_error "docker run -d: exit $NB_RC: $NB_ERR"
nb_expect_ok "docker exec: wget" dk exec ex1 sh -c "$WGET"
id=$(dk inspect -f '{{.Id}}' ex1 || true)
c=$(tail -n +"$((mark + 1))" "$LOG" | grep -c "container $id: agent pid [0-9]* serves pid [1-9]" || true)
[ "$c" -eq 2 ] && nb_pass "docker exec: one agent for the container, one for the exec" ||
	nb_error "docker exec: $c agents serving a known pid for '$id', want 2"
nb_exec dk rm -f ex1
oci_wait_no_agents && nb_pass "docker rm: every agent ended" ||
	nb_error "agents left after docker rm: $(pgrep -a -P "$DPID" -x nsbypass-agent)"

# One line of engine configuration: every container gets the profile.
# dockerd_stopped: stop dockerd; nothing it started may be left.
dockerd_stopped() {
	local pid=$DOCKERD_PID left
	stop_dockerd
	left=$(pgrep -a -f "$DD/data|$DK_XDG/" || true)
	[ -z "$left" ] && nb_pass "dockerd stopped, nothing of it left (rootlesskit was $pid)" ||
		nb_error "left after dockerd stopped: $left"
}

dockerd_stopped
start_dockerd --seccomp-profile "$PROFILE" ||
	nb_fail "rootless dockerd --seccomp-profile does not start (log above)"
dk_check "dockerd --seccomp-profile, no option: wget" "1 switched, 0 kept" \
	--network none -- sh -c "$WGET"
dockerd_stopped

oci_wait_no_agents || nb_error "agents left after dockerd stopped"
oci_stop_daemon
if grep -E ": (warn|error):" "$LOG"; then
	nb_error "warnings or errors in the daemon's log"
fi
echo "TIME: test-docker-rootless.sh took $SECONDS s"
nb_done
