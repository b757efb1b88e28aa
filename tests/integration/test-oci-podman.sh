#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# test-oci-podman.sh - `nsbypass oci` as the seccomp listenerPath agent of
# rootless podman (4.3 on Debian 12, 5.8 in the release tier; runc, then
# crun), all run by the unprivileged
# NB_USER, with a profile that notifies what nsbypass handles and names
# the daemon's socket.  The profile comes from `nsbypass profile
# --listener SOCK`; a build without that command gets an equivalent made
# here from /usr/share/containers/seccomp.json (connect, bind, listen and
# setsockopt moved to one SCMP_ACT_NOTIFY rule).  Podman's state lives in
# the test's temp dir; the container root is a busybox-static rootfs dir
# (--rootfs), as in test-podman-slirp4netns.sh.  Checks:
#   - --network none: busybox wget and nc in the container reach an HTTP
#     and an echo server on the test host 10.99.0.1 (negative control:
#     the same without the profile cannot);
#   - --network slirp4netns: the same works and is bypassed, while the
#     container's own subnet stays inside (nsagent reports it from the
#     container's namespaces; slirp4netns:cidr=10.99.0.0/24 makes it the
#     test host's); with the
#     annotation nsbypass.ignore=10.99.0.0/24 it goes through slirp4netns
#     instead (the agent's per-container count: 0 switched, 1 kept; the
#     server sees slirp4netns's connection);
#   - two containers at once and `podman exec` into each, with runc and
#     crun: every exec gets its own agent and is bypassed (crun's exec
#     state says "pid": 0: the daemon uses the container's);
#   - the agents end with their containers (podman rm), each logged once,
#     no warnings;
#   - podman 5 and later: its default network (pasta) and --network pasta
#     are bypassed; a port published by podman (-p, its own forwarder) and
#     one by nsbypass (annotation nsbypass.publish) both answer on the
#     test host;
#   - containers.conf [containers] seccomp_profile naming the profile: a
#     container with no per-container option is bypassed;
#   - crun (pretty-printed state) when it is installed and runs here
#     (tests/setup.sh mounts the hugetlb v1 cgroup crun needs), else a
#     SKIP note with the reason.
set -xeuo pipefail
. "$(dirname "$0")/common.sh"
. "$(dirname "$0")/oci-common.sh"

setup_rootless_test
require_cmd podman runc busybox newuidmap newgidmap python3
setup_subids
H4=$NB_HOST4
PD=$NB_TMP/podman
XDG=$NB_TMP/r
ROOTFS=$PD/rootfs
D=$PD/oci
SOCK=$D/oci.sock
LOG=$D/oci.log
PIDF=$D/oci.pid
PROFILE=$D/profile.json
mkdir -p "$PD/home" "$PD/root" "$PD/runroot" "$XDG" "$D" \
	"$ROOTFS/bin" "$ROOTFS/etc" "$ROOTFS/proc" "$ROOTFS/sys" \
	"$ROOTFS/dev" "$ROOTFS/tmp" "$ROOTFS/run"
install -m 0755 "$(command -v busybox)" "$ROOTFS/bin/busybox"
for a in $(busybox --list); do
	[ "$a" = busybox ] || ln -sf busybox "$ROOTFS/bin/$a"
done
cat >"$PD/containers.conf" <<EOC
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
runtime = "runc"
EOC
chown -R "$NB_USER:" "$PD" "$XDG"
chmod 700 "$XDG" "$D"

# pm ARGS...: podman ARGS as NB_USER, all state in PD, bounded in time.
pm() {
	runuser -u "$NB_USER" -- env -i -C / HOME="$PD/home" USER="$NB_USER" \
		LOGNAME="$NB_USER" XDG_RUNTIME_DIR="$XDG" \
		CONTAINERS_CONF="$PD/containers.conf" \
		PATH=/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin \
		LANG=C.UTF-8 timeout -k 5 60 \
		podman --root "$PD/root" --runroot "$PD/runroot" \
		--storage-driver vfs "$@"
}

pm_cleanup() {
	local rc=$? p
	set +e
	pm rm -a -f -t 0 >/dev/null 2>&1
	for p in $([ -z "${DPID:-}" ] || pgrep -P "$DPID" -x nsbypass-agent); do
		echo "cleanup: agent pid $p still runs"
		kill -9 "$p"
	done
	oci_daemon_cleanup
	p=$(cat "$XDG/libpod/tmp/pause.pid" 2>/dev/null)
	[ -z "$p" ] || kill "$p" 2>/dev/null
	(exit "$rc")
	cleanup
}
trap pm_cleanup EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

oci_test_servers
SLOG=$NB_TMP/server.peers
EP2=$(free_port)
start_echo echo4log "$H4" "$EP2" "$SLOG"

# The profile: nsbypass's own, or the fallback made from podman's default.
if as_user "$NSBYPASS" profile --help >/dev/null 2>&1; then
	as_user "$NSBYPASS" profile --listener "$SOCK" >"$PROFILE" ||
		nb_fail "nsbypass profile --listener failed"
	echo "profile: from nsbypass profile"
else
	[ -r /usr/share/containers/seccomp.json ] ||
		nb_skip "no nsbypass profile command and no /usr/share/containers/seccomp.json"
	"$NB_PYTHON" - "$SOCK" >"$PROFILE" <<'EOP'
import json, sys
notified = ["connect", "bind", "listen", "setsockopt"]
p = json.load(open("/usr/share/containers/seccomp.json"))
rules = []
for r in p["syscalls"]:
    r["names"] = [n for n in r["names"] if n not in notified]
    if r["names"]:
        rules.append(r)
rules.insert(0, {"names": notified, "action": "SCMP_ACT_NOTIFY"})
p["syscalls"] = rules
p["listenerPath"] = sys.argv[1]
json.dump(p, sys.stdout, indent=1)
EOP
	echo "profile: fallback from /usr/share/containers/seccomp.json" \
		"(no 'nsbypass profile' in this build)"
fi
chown "$NB_USER:" "$PROFILE"
grep -q "\"listenerPath\": *\"$SOCK\"" "$PROFILE" || nb_fail "the profile names no listenerPath"
# A base that allows io_uring (as some engines' defaults do): the
# profile made from it must deny it all the same.
python3 - "$PROFILE" >"$D/base-iou.json" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
p["syscalls"].insert(0, {"names": ["io_uring_setup", "io_uring_enter",
                                   "io_uring_register"],
                         "action": "SCMP_ACT_ALLOW"})
json.dump(p, sys.stdout)
PY
IOU_PROFILE=$D/profile-iou.json
as_user "$NSBYPASS" profile --listener "$SOCK" --base "$D/base-iou.json" \
	>"$IOU_PROFILE" || nb_fail "nsbypass profile --base base-iou.json failed"
install -m 0755 "$ESCAPE_PROBE" "$ROOTFS/escape-probe"

start_bg oci as_user "$NSBYPASS" oci --listen "$SOCK" --log-level info \
	--log-file "$LOG" --pid-file "$PIDF"
for _ in $(seq 1 100); do [ -S "$SOCK" ] && [ -s "$PIDF" ] && break; sleep 0.1; done
[ -S "$SOCK" ] || nb_fail "nsbypass oci does not listen on $SOCK"
DPID=$(cat "$PIDF")
PODMAN_MAJOR=$(pm --version | awk '{ split($3, v, "."); print v[1] + 0 }')
echo "podman: $(pm --version); pasta checks: $([ "$PODMAN_MAJOR" -ge 5 ] && echo yes || echo "no (podman < 5 has no pasta network)")"
mkdir -p "$ROOTFS/www"
echo "www-$EP" >"$ROOTFS/www/token.txt"
chown -R "$NB_USER:" "$ROOTFS/www"

t0=$SECONDS
nb_exec pm run --rm --network none --rootfs "$ROOTFS" /bin/busybox true
[ "$NB_RC" -eq 0 ] || nb_fail "rootless podman cannot run the busybox rootfs" \
	"(exit $NB_RC): $NB_ERR"
echo "TIME: podman set-up took $((SECONDS - t0)) s"

# pm_check DESC WANT_STATS RUNTIME OPTS... -- CMD...: "podman run --rm
# OPTS --security-opt seccomp=PROFILE --rootfs ROOTFS CMD" must print a
# last line "OK ..."; the agent must log WANT_STATS (an ERE).  PM_PROFILE
# names another profile than PROFILE.
pm_check() {
	local desc=$1 want=$2 rt=$3 opts=() mark st
	shift 3
	while [ "$1" != -- ]; do
		opts+=("$1")
		shift
	done
	shift
	mark=$(wc -l <"$LOG")
	nb_expect_ok "$rt: $desc" pm --runtime "$rt" run --rm "${opts[@]}" \
		--security-opt "seccomp=${PM_PROFILE:-$PROFILE}" --rootfs "$ROOTFS" "$@"
	st=$(oci_agent_stats "$mark")
	if grep -Eq -- "$want" <<<"$st"; then
		nb_pass "$rt: $desc: agent '$st'"
	else
		nb_error "$rt: $desc: agent stats '$st', want /$want/"
	fi
}

WGET="wget -q -O - http://$H4:$HTP/token.txt | grep -qx token-$EP && echo OK wget token-$EP"
NC="echo nc-hello-\$\$ | nc -w 5 $H4 $EP | grep -q nc-hello && echo OK nc"

nb_expect_fail "negative control: --network none without the profile" \
	"wget: can't connect to remote host \($H4\): Network is unreachable" \
	pm run --rm --network none --rootfs "$ROOTFS" sh -c "$WGET"

# runtime_checks RUNTIME: the single-container checks with RUNTIME.
runtime_checks() {
	local rt=$1
	pm_check "--network none: busybox wget from $H4" \
		"1 switched, 0 kept" "$rt" --network none -- sh -c "$WGET"
	pm_check "--network none: busybox nc to $H4" \
		"1 switched, 0 kept" "$rt" --network none -- sh -c "$NC"
	pm_check "--network slirp4netns: wget bypassed" \
		"1 switched, 0 kept" "$rt" --network slirp4netns -- sh -c "$WGET"
	# Its subnet made the test host's, so that a wrong bypass would
	# still stay on this machine.
	pm_check "--network slirp4netns:cidr=10.99.0.0/24: its own subnet stays inside" \
		"0 switched, 1 kept" "$rt" --network slirp4netns:cidr=10.99.0.0/24 -- \
		sh -c "nc -w 2 $H4 $EP </dev/null; echo OK tried $H4"
	local before
	before=$(grep -c '^tcp ' "$SLOG" 2>/dev/null || true)
	pm_check "--network slirp4netns + nsbypass.ignore=10.99.0.0/24: through slirp" \
		"0 switched, 1 kept" "$rt" --network slirp4netns \
		--annotation nsbypass.ignore=10.99.0.0/24 -- \
		sh -c "echo via-slirp | nc -w 5 $H4 $EP2 | grep -q via-slirp && echo OK via slirp"
	[ "$(grep -c '^tcp ' "$SLOG" 2>/dev/null || true)" -gt "$before" ] ||
		nb_error "$rt: the server saw no connection through slirp"
	[ "$PODMAN_MAJOR" -lt 5 ] || pasta_checks "$rt"
	escape_checks "$rt"
	hostnet_checks "$rt"
	profile_route_check "$rt"
}

# hostnet_checks RUNTIME: a container in the host's network namespace
# (--network host) has nothing to accelerate: every trapped call behaves
# as without nsbypass (a loopback server and client, a bind, an outside
# connect), no nsagent is started (it cannot join that namespace, and
# waited 5 s for reports before), nothing is switched.
hostnet_checks() {
	local rt=$1 lp mark
	lp=$(free_port)
	mark=$(wc -l <"$LOG")
	pm_check "--network host: loopback httpd + wget, bind, outside nc" \
		"0 switched, 0 kept, 0 refused" "$rt" --network host -- \
		sh -c "httpd -p 127.0.0.1:$lp -h /www && ok= &&
			for i in \$(seq 50); do
				wget -q -O - http://127.0.0.1:$lp/token.txt |
					grep -qx www-$EP && ok=1 && break
				sleep 0.1
			done; [ -n \"\$ok\" ] && $NC"
	if tail -n +"$((mark + 1))" "$LOG" | grep "shares our network namespace" >/dev/null; then
		nb_pass "$rt: --network host: the agent let every call through"
	else
		nb_error "$rt: --network host: the agent did not see the host's netns"
	fi
	if tail -n +"$((mark + 1))" "$LOG" | grep -E "nsagent|cannot join|warn"; then
		nb_error "$rt: --network host: nsagent was started or a warning logged"
	fi
}

# escape_checks RUNTIME: under a profile made with --base from one that
# allows io_uring, a switched socket can be neither rebound nor
# disconnected through io_uring or the i386 ABI, socketcall() included
# (test-escape.sh has the details); the host port stays free.  The i386
# ways only where the kernel runs i386 calls at all.
escape_checks() {
	local rt=$1 proto way bp probe want ways=uring
	if "$ESCAPE_PROBE" have-ia32; then
		ways="uring ia32 socketcall"
	else
		echo "$rt: not checked: the i386 ABI (this kernel does not run i386 calls)"
	fi
	for proto in tcp udp; do
		for way in $ways; do
			bp=$(free_port)
			probe="/escape-probe $way $proto $H4 $EP $bp 0"
			if [ "$way" = uring ]; then
				want="io_uring_setup -ENOSYS"
			else
				want="bind -EINVAL"
			fi
			PM_PROFILE=$IOU_PROFILE pm_check \
				"--base allowing io_uring: $way $proto on a switched socket" \
				"1 switched" "$rt" --network none -- \
				sh -c "$probe >/tmp/o; cat /tmp/o; grep -qx 'connect 0' /tmp/o &&
					grep -qx '$want' /tmp/o && echo OK $way $proto"
			python3 -c "import socket,sys; socket.socket(socket.AF_INET,
				socket.SOCK_STREAM if sys.argv[1] == 'tcp' else
				socket.SOCK_DGRAM).bind(('0.0.0.0', int(sys.argv[2])))" \
				"$proto" "$bp" && nb_pass "$rt: $way $proto: port $bp free" ||
				nb_error "$rt: $way $proto: the host holds port $bp"
		done
	done
}

# pasta_checks RUNTIME: podman 5's default network, pasta, and a port
# published by podman's forwarder next to one published by nsbypass.
pasta_checks() {
	local rt=$1 hp1 hp2 mark got st
	pm_check "default network (pasta): wget bypassed" \
		"1 switched, 0 kept" "$rt" -- sh -c "$WGET"
	pm_check "--network pasta: nc bypassed" \
		"1 switched, 0 kept" "$rt" --network pasta -- sh -c "$NC"
	hp1=$(free_port)
	hp2=$(free_port)
	# busybox httpd on 8080 inside: once published with podman -p (its
	# own forwarder), once with nsbypass.publish (the bind moves to the
	# host; no -p).
	nb_exec pm --runtime "$rt" run -d --name "pub-pm-$rt" -p "$H4:$hp1:8080" \
		--security-opt "seccomp=$PROFILE" --rootfs "$ROOTFS" \
		httpd -f -p 8080 -h /www
	[ "$NB_RC" -eq 0 ] || nb_error "$rt: podman run -p: exit $NB_RC: $NB_ERR"
	mark=$(wc -l <"$LOG")
	nb_exec pm --runtime "$rt" run -d --name "pub-nb-$rt" \
		--annotation "nsbypass.publish=$H4:$hp2:8080" \
		--security-opt "seccomp=$PROFILE" --rootfs "$ROOTFS" \
		httpd -f -p 8080 -h /www
	[ "$NB_RC" -eq 0 ] || nb_error "$rt: podman run nsbypass.publish: exit $NB_RC: $NB_ERR"
	for hp in "$hp1" "$hp2"; do
		got=
		for _ in $(seq 1 50); do
			got=$(curl -s --max-time 2 "http://$H4:$hp/token.txt" || true)
			[ -n "$got" ] && break
			sleep 0.2
		done
		[ "$got" = "www-$EP" ] &&
			nb_pass "$rt: pasta: $H4:$hp answers from the container" ||
			nb_error "$rt: pasta: $H4:$hp answered '$got', want www-$EP"
	done
	st=$(tail -n +"$((mark + 1))" "$LOG" | grep -m1 "published $H4:$hp2:8080/tcp" || true)
	[ -n "$st" ] && nb_pass "$rt: nsbypass.publish under pasta: $st" ||
		nb_error "$rt: no agent published $H4:$hp2:8080/tcp"
	nb_exec pm rm -f -t 0 "pub-pm-$rt" "pub-nb-$rt"
	oci_wait_no_agents ||
		nb_error "$rt: agents left after podman rm of the published containers"
}

# profile_route_check RUNTIME: containers.conf [containers]
# seccomp_profile names the profile: a container with no per-container
# option is bypassed (the route that stays when podman 6 drops
# network_cmd_path).
profile_route_check() {
	local rt=$1 mark st
	cp "$PD/containers.conf" "$PD/containers.conf.orig"
	printf '[containers]\nseccomp_profile = "%s"\n' "$PROFILE" >>"$PD/containers.conf"
	mark=$(wc -l <"$LOG")
	nb_expect_ok "$rt: containers.conf seccomp_profile, no option: wget" \
		pm --runtime "$rt" run --rm --network none --rootfs "$ROOTFS" sh -c "$WGET"
	st=$(oci_agent_stats "$mark")
	grep -q "1 switched, 0 kept" <<<"$st" &&
		nb_pass "$rt: containers.conf seccomp_profile: agent '$st'" ||
		nb_error "$rt: containers.conf seccomp_profile: agent stats '$st'"
	mv "$PD/containers.conf.orig" "$PD/containers.conf"
}

runtime_checks runc

# exec_checks RUNTIME: two containers at once, and an exec into each.
# crun sends "pid": 0 with an exec's state: the daemon gives that agent
# the container's pid from the container's own state.
exec_checks() {
	local rt=$1 mark n id c s XA XB
	mark=$(wc -l <"$LOG")
	for n in a b; do
		nb_exec pm --runtime "$rt" run -d --name "two-$n" --network none \
			--security-opt "seccomp=$PROFILE" --rootfs "$ROOTFS" sleep 120
		[ "$NB_RC" -eq 0 ] || nb_error "$rt: podman run -d two-$n: exit $NB_RC: $NB_ERR"
	done
	for _ in $(seq 1 50); do
		[ "$(oci_agents)" -ge 2 ] && break
		sleep 0.1
	done
	n=$(oci_agents)
	[ "$n" -ge 2 ] && nb_pass "$rt: two containers: $n agent processes" ||
		nb_error "$rt: two containers: $n agent processes"
	pm exec two-a sh -c "sleep 1; $WGET" >"$NB_TMP/exec-a.out" 2>&1 &
	XA=$!
	pm exec two-b sh -c "sleep 1; $NC" >"$NB_TMP/exec-b.out" 2>&1 &
	XB=$!
	wait "$XA" && grep -q '^OK' "$NB_TMP/exec-a.out" &&
		nb_pass "$rt: exec into two-a: wget bypassed" ||
		nb_error "$rt: exec into two-a: $(cat "$NB_TMP/exec-a.out")"
	wait "$XB" && grep -q '^OK' "$NB_TMP/exec-b.out" &&
		nb_pass "$rt: exec into two-b: nc bypassed" ||
		nb_error "$rt: exec into two-b: $(cat "$NB_TMP/exec-b.out")"
	for n in a b; do
		id=$(pm inspect -f '{{.Id}}' "two-$n" || true)
		c=$(tail -n +"$((mark + 1))" "$LOG" | grep -c "container $id: agent pid [0-9]* serves pid [1-9]" || true)
		[ "$c" -eq 2 ] && nb_pass "$rt: two-$n: one agent for the container, one for the exec" ||
			nb_error "$rt: two-$n: $c agents serving a known pid for id '$id', want 2"
		s=$(tail -n +"$((mark + 1))" "$LOG" | grep "agent ${id:0:12}: info: agent: 1 switched" || true)
		[ -n "$s" ] && nb_pass "$rt: two-$n: the exec was bypassed: $s" ||
			nb_error "$rt: two-$n: no agent of the exec switched a socket"
	done
	nb_exec pm rm -f -t 0 two-a two-b
	oci_wait_no_agents && nb_pass "$rt: podman rm: every agent ended" ||
		nb_error "$rt: agents left after podman rm: $(pgrep -a -P "$DPID" -x nsbypass-agent)"
}

exec_checks runc

# crun: needs the hugetlb v1 cgroup in this VM's hybrid mode.
if ! command -v crun >/dev/null; then
	echo "SKIP: crun part: crun is not installed"
elif ! pm --runtime crun run --rm --network none --rootfs "$ROOTFS" true \
	>"$NB_TMP/crun.out" 2>&1; then
	echo "SKIP: crun part: crun cannot run a container here:" \
		"$(tail -n 2 "$NB_TMP/crun.out")"
else
	runtime_checks crun
	exec_checks crun
fi

oci_stop_daemon
if grep -E ": (warn|error):" "$LOG"; then
	nb_error "warnings or errors in the daemon's log"
fi
echo "TIME: test-oci-podman.sh took $SECONDS s"
nb_done
