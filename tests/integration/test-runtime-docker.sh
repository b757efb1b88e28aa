#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# test-runtime-docker.sh - `nsbypass runtime` as the default runtime of a
# rootless dockerd (dockerd-rootless.sh: rootlesskit, slirp4netns, runc)
# run by the unprivileged NB_USER: `dockerd --add-runtime
# nsbypass=WRAPPER --default-runtime nsbypass`, WRAPPER a two-line script
# `exec nsbypass runtime --runtime runc -- "$@"`.  The listener is at its
# default, $XDG_RUNTIME_DIR/nsbypass/oci.sock, which runc resolves in
# rootlesskit's mount namespace (the environment reaches it through
# dockerd, containerd and the shim).  No container gets a seccomp option:
# Docker's default profile is in config.json and the wrapper merges the
# notified calls into it.  This works with Docker 20.10, which drops a
# profile's listenerPath.  Checks:
#   - docker run --network none and the default bridge: busybox wget and
#     nc reach the test host 10.99.0.1, each connect switched;
#   - docker exec into a running container: its own agent, bypassed;
#   - docker run -p H4:PORT:8080 (rootlesskit's port driver) of busybox
#     httpd answers on the test host; the bind bypass instead (no -p)
#     answers too, and the agent logs the publish: a second runtime
#     (--add-runtime nsbypass-pub) whose wrapper passes --metadata
#     publish=H4:PORT3:8080, and with Docker >= 24 the annotation
#     nsbypass.publish=H4:PORT2:8080;
#   - every agent ends with its container; the daemon logs no warning.
# docker.io is installed only in the release tier (tests/release-root.sh,
# Docker 28); where it is missing, or dockerd does not start, the test
# says SKIP and why.  Debian 12's docker.io 20.10 passes it too (run by
# hand with the packages extracted into a private mount namespace).
set -xeuo pipefail
. "$(dirname "$0")/common.sh"
. "$(dirname "$0")/oci-common.sh"
. "$(dirname "$0")/docker-env.sh"

setup_rootless_test
DRS=$(docker_rootless_script) ||
	nb_skip "no dockerd-rootless.sh: docker.io is not installed here (the release tier installs Docker 28 and runs this test)"
require_cmd dockerd docker rootlesskit slirp4netns newuidmap newgidmap busybox setpriv curl runc
DV=$(dockerd --version | sed -n 's/^Docker version \([0-9]*\)\..*/\1/p')
setup_subids
require_tun "rootless dockerd (slirp4netns)"

H4=$NB_HOST4
docker_env_setup "$DRS"
D=$DK_XDG/nsbypass
SOCK=$D/oci.sock
LOG=$DD/oci.log
PIDF=$DD/oci.pid
WRAPPER=$DD/nsbypass-runc
install -d -m 0700 -o "$NB_USER" "$D"
printf '#!/bin/sh\nexec %s runtime --runtime runc -- "$@"\n' "$NSBYPASS" >"$WRAPPER"
# A second runtime whose containers publish 8080 on the test host's HP3
# through the bind bypass (the wrapper's --metadata: any Docker).
HP3=$(free_port)
WRAPPER_PUB=$DD/nsbypass-runc-pub
printf '#!/bin/sh\nexec %s runtime --runtime runc --metadata %s -- "$@"\n' \
	"$NSBYPASS" "publish=$H4:$HP3:8080" >"$WRAPPER_PUB"
chmod 0755 "$WRAPPER" "$WRAPPER_PUB"
chown "$NB_USER:" "$WRAPPER" "$WRAPPER_PUB"

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
start_bg oci as_user "$NSBYPASS" oci --listen "$SOCK" --log-level info \
	--log-file "$LOG" --pid-file "$PIDF"
for _ in $(seq 1 100); do [ -S "$SOCK" ] && [ -s "$PIDF" ] && break; sleep 0.1; done
[ -S "$SOCK" ] || nb_fail "nsbypass oci does not listen on $SOCK"
DPID=$(cat "$PIDF")

start_dockerd --add-runtime "nsbypass=$WRAPPER" --default-runtime nsbypass \
	--add-runtime "nsbypass-pub=$WRAPPER_PUB" ||
	nb_skip "rootless dockerd does not start here (log above)"
echo "docker: $(dk version -f '{{.Server.Version}}')"
docker_import_rootfs nbbox || nb_fail "docker import of the busybox rootfs failed"
mkdir -p "$NB_TMP/www"

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

dk_check "--network none: wget, no option" "1 switched, 0 kept" \
	--network none -- sh -c "$WGET"
dk_check "--network none: nc" "1 switched, 0 kept" \
	--network none -- sh -c "$NC"
dk_check "default bridge: wget bypassed" "1 switched, 0 kept" \
	-- sh -c "$WGET"
nb_expect_fail "seccomp=unconfined: started, not accelerated" \
	"wget: can't connect to remote host \($H4\): Network is unreachable" \
	dk run --rm --network none --security-opt seccomp=unconfined nbbox sh -c "$WGET"

# docker exec: the exec gets an agent of its own and is bypassed.
mark=$(wc -l <"$LOG")
nb_exec dk run -d --name ex1 --network none nbbox sleep 120
[ "$NB_RC" -eq 0 ] || nb_error "docker run -d: exit $NB_RC: $NB_ERR"
nb_expect_ok "docker exec: wget" dk exec ex1 sh -c "$WGET"
id=$(dk inspect -f '{{.Id}}' ex1 || true)
c=$(tail -n +"$((mark + 1))" "$LOG" | grep -c "container $id: agent pid [0-9]* serves pid [1-9]" || true)
[ "$c" -eq 2 ] && nb_pass "docker exec: one agent for the container, one for the exec" ||
	nb_error "docker exec: $c agents serving a known pid for '$id', want 2"
nb_exec dk rm -f ex1

# Published ports: busybox httpd on 8080 inside, serving /www/token.txt.
HTTPD="mkdir -p /www && echo www-$EP >/www/token.txt && exec httpd -f -p 8080 -h /www"
# http_answers PORT DESC: the test host's PORT serves www-EP.
http_answers() {
	local got=
	for _ in $(seq 1 50); do
		got=$(curl -s --max-time 2 "http://$H4:$1/token.txt" || true)
		[ -n "$got" ] && break
		sleep 0.2
	done
	[ "$got" = "www-$EP" ] && nb_pass "$2: $H4:$1 answers from the container" ||
		nb_error "$2: $H4:$1 answered '$got', want www-$EP"
}
hp1=$(free_port)
nb_exec dk run -d --name pub-dk -p "$H4:$hp1:8080" nbbox sh -c "$HTTPD"
[ "$NB_RC" -eq 0 ] || nb_error "docker run -p: exit $NB_RC: $NB_ERR"
http_answers "$hp1" "-p through rootlesskit's port driver"
if [ "${DV:-0}" -ge 24 ]; then
	hp2=$(free_port)
	mark=$(wc -l <"$LOG")
	nb_exec dk run -d --name pub-nb --annotation "nsbypass.publish=$H4:$hp2:8080" \
		nbbox sh -c "$HTTPD"
	[ "$NB_RC" -eq 0 ] || nb_error "docker run nsbypass.publish: exit $NB_RC: $NB_ERR"
	http_answers "$hp2" "nsbypass.publish (the bind bypass)"
	st=$(tail -n +"$((mark + 1))" "$LOG" | grep -m1 "published $H4:$hp2:8080/tcp" || true)
	[ -n "$st" ] && nb_pass "nsbypass.publish: $st" ||
		nb_error "no agent published $H4:$hp2:8080/tcp"
else
	echo "SKIP: the nsbypass.publish annotation part: Docker $DV has no docker run --annotation (24 and later)"
fi
mark=$(wc -l <"$LOG")
nb_exec dk run -d --name pub-md --runtime nsbypass-pub nbbox sh -c "$HTTPD"
[ "$NB_RC" -eq 0 ] || nb_error "docker run --runtime nsbypass-pub: exit $NB_RC: $NB_ERR"
http_answers "$HP3" "the wrapper's --metadata publish= (the bind bypass)"
st=$(tail -n +"$((mark + 1))" "$LOG" | grep -m1 "published $H4:$HP3:8080/tcp" || true)
[ -n "$st" ] && nb_pass "--metadata publish=: $st" ||
	nb_error "no agent published $H4:$HP3:8080/tcp"
nb_exec dk rm -f pub-dk pub-nb pub-md
oci_wait_no_agents && nb_pass "docker rm: every agent ended" ||
	nb_error "agents left after docker rm: $(pgrep -a -P "$DPID" -x nsbypass-agent)"

stop_dockerd
oci_stop_daemon
if grep -E ": (warn|error):" "$LOG"; then
	nb_error "warnings or errors in the daemon's log"
fi
echo "TIME: test-runtime-docker.sh took $SECONDS s"
nb_done
