#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# test-oci-listener.sh - `nsbypass oci`, the seccomp listenerPath daemon,
# run by the unprivileged NB_USER, with oci-sim (tests/oci-sim.c) as the
# runtime: oci-sim installs nsbypass's filter in a `unshare -r -n`
# namespace and sends the container process state with the notify fd, as
# runc does.  Checks:
#   - the socket is 0600: another user cannot connect; root can, and is
#     refused by the SO_PEERCRED uid check;
#   - hostile peers (oci-fuzz.py and oci-sim's own options): truncated
#     JSON, garbage, no fd, 3 fds where fds names 1, 70 fds, a 2 MiB
#     state, a pipe as seccompFd, bad metadata, a peer that sends nothing
#     (timed out while others are served): each refused with a log line,
#     the daemon keeps serving;
#   - a 1 MiB state in 4 KiB chunks, crun's pretty-printed JSON and 3
#     named fds are accepted;
#   - curl, python and sockprobe in a container reach servers on the test
#     host (negative control: plain unshare -r -n cannot); 127.0.0.1
#     stays inside; the container's own subnet stays inside (nsagent's
#     report, through the container's namespaces);
#   - nsbypass.ignore (annotation) and ignore= (metadata) keep a
#     destination inside; nsbypass.publish takes a bind to the host;
#   - two containers at once, each with its own agent process; a second
#     fd for the same id from a process that joined the container's
#     namespaces (an exec) gets its own agent too;
#   - the service map across agents: a published server in one container
#     is reached from an exec into it (127.0.0.1) and from another
#     container by its address, not when it opted out (c2c=false);
#   - each agent ends with its container, logged once, nothing left
#     running, no warning or error for a normal end.
set -xeuo pipefail
. "$(dirname "$0")/common.sh"
. "$(dirname "$0")/oci-common.sh"

setup_rootless_test
require_cmd curl python3 ip nsenter
OCI_SIM=${OCI_SIM:-$NB_REPO/build/tests/oci-sim}
[ -x "$OCI_SIM" ] || nb_fail "oci-sim not built: $OCI_SIM"
nb_stage_vars OCI_SIM
FUZZ=$(nb_stage "$NB_ITEST_DIR/oci-fuzz.py")
H4=$NB_HOST4
D=$NB_TMP/oci
mkdir -p "$D"
chown "$NB_USER:" "$D"
chmod 700 "$D"
SOCK=$D/oci.sock
LOG=$D/oci.log
PIDF=$D/oci.pid

oci_test_servers
LP=$(free_port)
LLOG=$NB_TMP/loopback.peers
start_echo loop4 127.0.0.1 "$LP" "$LLOG"

# The daemon, as NB_USER; --ready-fd is a file that gets "1".
start_bg oci as_user "$NSBYPASS" oci --listen "$SOCK" --log-level info \
	--log-file "$LOG" --pid-file "$PIDF" --ready-fd 3 3>"$NB_TMP/ready"
for _ in $(seq 1 100); do
	[ "$(cat "$NB_TMP/ready" 2>/dev/null)" = 1 ] && break
	sleep 0.1
done
[ "$(cat "$NB_TMP/ready" 2>/dev/null)" = 1 ] || nb_fail "no ready byte from nsbypass oci"
DPID=$(cat "$PIDF")
[ "$(stat -c %a "$SOCK")" = 600 ] || nb_error "socket mode $(stat -c %a "$SOCK"), want 600"
[ "$(stat -c %U "$SOCK")" = "$NB_USER" ] || nb_error "socket owner $(stat -c %U "$SOCK")"
cp "$LOG" "$NB_TMP/oci-daemon.log" 2>/dev/null || true

# sim ARGS... -- CMD...: a container as NB_USER: oci-sim in a new user
# and network namespace.
sim() {
	as_user timeout -k 5 30 unshare -r -n "$OCI_SIM" --listener "$SOCK" "$@"
}

# log_has ERE [N]: the daemon's log has at least N (1) matching lines,
# within 15 s (generous: a loaded CI machine starts agents slowly; a
# passing check waits only as long as it takes).
log_has() {
	local n=${2:-1} _i
	for _i in $(seq 1 150); do
		[ "$(grep -Ec -- "$1" "$LOG" || true)" -ge "$n" ] && return 0
		sleep 0.1
	done
	return 1
}

# expect_log DESC ERE [N]
expect_log() {
	if log_has "$2" "${3:-1}"; then
		nb_pass "$1: logged /$2/"
	else
		nb_error "$1: no log line /$2/ (x${3:-1}) in: $(tail -n 20 "$LOG")"
	fi
}

daemon_alive() {
	if kill -0 "$DPID" 2>/dev/null; then
		nb_pass "daemon still running after $1"
	else
		nb_fail "the daemon died after $1"
	fi
}

# A peer that sends nothing: refused after 10 s, while the rest goes on.
start_bg stall as_user "$NB_PYTHON" "$FUZZ" "$SOCK" stall
STALL_PID=$NB_LAST_PID

# ---- the socket's permissions and the peer uid check
nb_expect_fail "another user (nobody) cannot connect to the 0600 socket" \
	"Permission denied" runuser -u nobody -- "$NB_PYTHON" -c \
	"import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])" "$SOCK"
nb_expect_ok "root connects (0600 does not stop root) and is turned away" \
	timeout 20 "$NB_PYTHON" "$FUZZ" "$SOCK" mismatch
expect_log "root's connection" "refused the connection of pid [0-9]+: uid 0 is not ours"
grep -q "container fuzz" "$LOG" && nb_error "root's state was read"
daemon_alive "root's connection"

# ---- hostile states, each refused with one log line
fuzz() {
	local mode=$1 pat=$2 n
	n=$(grep -Ec -- "$pat" "$LOG" || true)
	nb_expect_ok "fuzz $mode: connection closed" \
		as_user timeout 30 "$NB_PYTHON" "$FUZZ" "$SOCK" "$mode"
	expect_log "fuzz $mode" "$pat" $((n + 1))
	daemon_alive "fuzz $mode"
}
fuzz truncated "refused a state \([0-9]+ bytes, 1 fds\): truncated JSON"
fuzz garbage "refused a state \([0-9]+ bytes, 1 fds\): not valid JSON"
fuzz nofd "refused a state \([0-9]+ bytes\): no fd came with it"
fuzz mismatch "container fuzz: refused: 3 fds came, fds names 1"
fuzz manyfds "refused the connection of pid [0-9]+: more than 64 fds"
fuzz huge "refused the connection of pid [0-9]+: the state is larger than"
nb_exec sim --id pipe-fd --send-pipe -- true
expect_log "a pipe as seccompFd" "container pipe-fd: refused: seccompFd is not a seccomp notify fd"
nb_exec sim --id bad-meta --metadata "ignore=10.0.0.0/99" -- true
expect_log "bad metadata" "container bad-meta: refused: metadata ignore: want CIDR"
nb_exec sim --id bad-ann --annotation "nsbypass.publish=x:y" -- true
expect_log "bad annotation" "container bad-ann: refused: annotation nsbypass.\* publish"
daemon_alive "the hostile states"
# No fd leaked in the daemon: only stdio, the socket, the loop's own,
# and the control socket's two (its socket, libmicrohttpd's epoll fd).
nfd=$(find "/proc/$DPID/fd" -mindepth 1 | wc -l)
[ "$nfd" -le 14 ] || nb_error "the daemon holds $nfd fds after the fuzz: $(ls -l "/proc/$DPID/fd")"

# ---- valid containers
nb_expect_fail "negative control: unshare -r -n cannot reach $H4" "ENETUNREACH" \
	nb_isolated "$SOCKPROBE" tcp-echo "$H4" "$EP"
nb_expect_ok "sockprobe tcp-echo $H4" sim --id c-probe -- "$SOCKPROBE" tcp-echo "$H4" "$EP"
nb_expect_ok "sockprobe tcp-echo $NB_HOST6" sim --id c-probe6 -- "$SOCKPROBE" tcp-echo "$NB_HOST6" "$EP"
nb_expect_ok "sockprobe udp-echo $H4" sim --id c-udp -- "$SOCKPROBE" udp-echo "$H4" "$EP"
nb_exec sim --id c-curl -- curl -sS -m 10 "http://$H4:$HTP/token.txt"
if [ "$NB_RC" -eq 0 ] && [ "$NB_OUT" = "token-$EP" ]; then
	nb_pass "curl from the container: $NB_OUT"
else
	nb_error "curl from the container: exit $NB_RC, '$NB_OUT'"
fi
nb_expect_ok "python from the container" sim --id c-python -- "$NB_PYTHON" -c "
import socket, sys
s = socket.create_connection(('$H4', $EP), timeout=5)
s.sendall(b'py-hello'); print('OK', s.recv(64).decode())"
nb_expect_ok "1 MiB state in 4 KiB chunks, pretty-printed, 3 named fds" \
	sim --id c-big --pad 1048576 --chunk 4096 --pretty --extra-fds 2 -- \
	"$SOCKPROBE" tcp-echo "$H4" "$EP"
expect_log "c-big" "container c-big: agent pid [0-9]+ serves"

nb_expect_fail "127.0.0.1 stays inside (its lo is down: ENETUNREACH)" "ENETUNREACH" \
	sim --id c-lo -- "$SOCKPROBE" tcp-echo 127.0.0.1 "$LP"
[ -s "$LLOG" ] && nb_error "the host's loopback server was reached: $(cat "$LLOG")"
expect_log "127.0.0.1 kept" "agent c-lo: info: agent: 0 switched, 1 kept"

# The container's own subnet (nsagent, in its namespaces, reports it).
nb_expect_ok "own subnet 10.99.0.0/24 stays inside, fd99::1 is bypassed" \
	sim --id c-subnet -- sh -c '
		ip link set lo up && ip addr add 10.99.0.77/24 dev lo &&
		"$0" tcp-refused "$1" "$2" && "$0" tcp-echo "$3" "$2"' \
	"$SOCKPROBE" "$H4" "$EP" "$NB_HOST6"
expect_log "own subnet" "agent c-subnet: info: agent: 1 switched, 1 kept"

# Per-container settings.
nb_expect_fail "annotation nsbypass.ignore=10.99.0.0/24 keeps $H4 inside" "ENETUNREACH" \
	sim --id c-ign --annotation nsbypass.ignore=10.99.0.0/24 -- \
	"$SOCKPROBE" tcp-echo "$H4" "$EP"
expect_log "annotation ignore" "agent c-ign: info: agent: 0 switched, 1 kept"
nb_expect_fail "metadata ignore=10.99.0.0/24 keeps $H4 inside" "ENETUNREACH" \
	sim --id c-meta --metadata "ignore=10.99.0.0/24" -- \
	"$SOCKPROBE" tcp-echo "$H4" "$EP"
expect_log "metadata ignore" "agent c-meta: info: agent: 0 switched, 1 kept"
nb_expect_ok "annotation nsbypass.ignore= (empty) overrides metadata" \
	sim --id c-over --metadata "ignore=10.99.0.0/24" \
	--annotation nsbypass.ignore= -- "$SOCKPROBE" tcp-echo "$H4" "$EP"
CP=$(free_port)
HP=$(free_port)
as_user timeout 30 unshare -r -n "$OCI_SIM" --listener "$SOCK" --id c-pub \
	--annotation "nsbypass.publish=$HP:$CP" -- "$NB_PYTHON" -c "
import socket
s = socket.socket(); s.bind(('0.0.0.0', $CP)); s.listen(1); s.settimeout(20)
c, _ = s.accept(); c.sendall(b'from-container'); c.close()" \
	>"$NB_TMP/pub.out" 2>&1 &
PUBPID=$!
NB_LAST_PID=$PUBPID
wait_for_port 0.0.0.0 "$HP"
r=$("$NB_PYTHON" -c "
import socket; s = socket.create_connection(('$H4', $HP), timeout=5)
print(s.recv(64).decode())" || true)
if [ "$r" = from-container ]; then
	nb_pass "nsbypass.publish=$HP:$CP: host -> $H4:$HP reaches the container"
else
	nb_error "nsbypass.publish: got '$r'"
fi
wait "$PUBPID" || nb_error "the published container failed: $(cat "$NB_TMP/pub.out")"
NB_LAST_PID=

# ---- two containers at once
sim --id c-two-a -- sh -c '"$0" tcp-echo "$1" "$2" && sleep 2 && "$0" many "$1" "$2" 20' \
	"$SOCKPROBE" "$H4" "$EP" >"$NB_TMP/two-a.out" 2>&1 &
A=$!
sim --id c-two-b -- sh -c '"$0" tcp-echo "$1" "$2" && sleep 2 && "$0" many "$1" "$2" 20' \
	"$SOCKPROBE" "$H4" "$EP" >"$NB_TMP/two-b.out" 2>&1 &
B=$!
log_has "container c-two-b: agent pid" && log_has "container c-two-a: agent pid" || true
sleep 1
n=$(oci_agents)
[ "$n" -ge 2 ] && nb_pass "two agent processes at once ($n)" ||
	nb_error "$n agent processes while two containers run"
wait "$A" && nb_pass "container A: $(tail -n1 "$NB_TMP/two-a.out")" ||
	nb_error "container A failed: $(cat "$NB_TMP/two-a.out")"
wait "$B" && nb_pass "container B: $(tail -n1 "$NB_TMP/two-b.out")" ||
	nb_error "container B failed: $(cat "$NB_TMP/two-b.out")"
expect_log "A ended" "container c-two-a: agent pid [0-9]+ ended"
expect_log "B ended" "container c-two-b: agent pid [0-9]+ ended"

# ---- an exec: a second fd for the same id, from inside the container
sim --id c-exec -- sh -c 'echo $$ >"$0"; exec sleep 30' "$D/exec.pid" \
	>"$NB_TMP/exec-init.out" 2>&1 &
INIT=$!
for _ in $(seq 1 150); do [ -s "$D/exec.pid" ] && break; sleep 0.1; done
# No pid namespace: the pid the container wrote is the host's too.
HPID=$(cat "$D/exec.pid" 2>/dev/null || true)
if [ -z "$HPID" ]; then
	nb_error "the exec test's container did not start"
else
	nb_expect_ok "exec into a running container (same id, its namespaces)" \
		as_user timeout 30 nsenter -t "$HPID" -U -n --preserve-credentials \
		"$OCI_SIM" --listener "$SOCK" --id c-exec -- \
		"$SOCKPROBE" tcp-echo "$H4" "$EP"
	expect_log "exec" "container c-exec: agent pid [0-9]+ serves" 2
	NSAGENTS=$(oci_nsagents)
	[ -n "$NSAGENTS" ] && nb_pass "the agents run nsagent: $NSAGENTS" ||
		nb_error "no nsagent under the running agents"
	expect_log "the exec's agent ended" "container c-exec: agent pid [0-9]+ ended"
	n=$(grep -c "container c-exec: agent pid [0-9]* ended" "$LOG" || true)
	[ "$n" -eq 1 ] && nb_pass "the container's own agent still runs" ||
		nb_error "$n c-exec agents ended, want 1 while the container runs"
	kill "$HPID" 2>/dev/null || true
fi
wait "$INIT" 2>/dev/null || true
expect_log "c-exec both ended" "container c-exec: agent pid [0-9]+ ended" 2

# ---- the service map across agents (docs/design.md §3.4): a published
# server in container S (its own address 10.77.0.1 on lo), reached from
# an exec into S at 127.0.0.1 (another agent: S's entry came through the
# daemon), from container B at 10.77.0.1, and not from B at 10.78.0.1,
# the address of container N, which opted out (metadata c2c=false).
# svc_server ID ADDR CP HP PIDFILE [SIM OPTS...]: a server that answers
# "svc-ID" to every connection, for 30 s.
svc_server() {
	local id=$1 addr=$2 cp=$3 hp=$4 pidf=$5
	shift 5
	sim --id "$id" --annotation "nsbypass.publish=$hp:$cp" "$@" -- sh -c '
		ip link set lo up && ip addr add "$1"/32 dev lo && echo $$ >"$4" &&
		exec "$0" -c "
import socket, sys
s = socket.socket(); s.bind((\"0.0.0.0\", int(sys.argv[1]))); s.listen(8)
s.settimeout(30)
while True:
    c, _ = s.accept(); c.sendall(sys.argv[2].encode()); c.close()" "$2" "$3"' \
		"$NB_PYTHON" "$addr" "$cp" "svc-$id" "$pidf" >"$NB_TMP/$id.out" 2>&1 &
}
# SVC_GET: a client "python3 -c SVC_GET ADDR PORT" printing what it got.
SVC_GET='
import socket, sys
try:
    c = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=3)
    print("OK got", c.recv(64).decode())
except OSError as e:
    print("OK not reached:", e)'
CPS=$(free_port) HPS=$(free_port) HPN=$(free_port)
svc_server svc 10.77.0.1 "$CPS" "$HPS" "$D/svc.pid"
SVC=$!
svc_server noc 10.78.0.1 "$CPS" "$HPN" "$D/noc.pid" --metadata c2c=false
NOC=$!
wait_for_port 0.0.0.0 "$HPS"
wait_for_port 0.0.0.0 "$HPN"
SPID=$(cat "$D/svc.pid")
mark=$(wc -l <"$LOG")
nb_expect_ok "exec into S: 127.0.0.1:$CPS" \
	as_user timeout 30 nsenter -t "$SPID" -U -n --preserve-credentials \
	"$OCI_SIM" --listener "$SOCK" --id svc -- "$NB_PYTHON" -c "$SVC_GET" 127.0.0.1 "$CPS"
nb_expect_last "exec into S" "OK got svc-svc"
grep -q " 1 served" <<<"$(oci_agent_stats "$mark")" &&
	nb_pass "exec into S: served by the exec's agent" ||
	nb_error "exec into S: stats '$(oci_agent_stats "$mark")'"
mark=$(wc -l <"$LOG")
nb_expect_ok "container B -> S at 10.77.0.1:$CPS" \
	sim --id c2c-b -- "$NB_PYTHON" -c "$SVC_GET" 10.77.0.1 "$CPS"
nb_expect_last "container B -> S" "OK got svc-svc"
grep -q " 1 served" <<<"$(oci_agent_stats "$mark")" &&
	nb_pass "B -> S: served" || nb_error "B -> S: stats '$(oci_agent_stats "$mark")'"
mark=$(wc -l <"$LOG")
nb_expect_ok "container B -> N (c2c=false) at 10.78.0.1:$CPS" \
	sim --id c2c-b2 -- "$NB_PYTHON" -c "$SVC_GET" 10.78.0.1 "$CPS"
[[ "$NB_LAST" == "OK not reached"* ]] && nb_pass "B -> N: not reached ($NB_LAST)" ||
	nb_error "B -> N: '$NB_LAST', want not reached"
grep -q " 0 served" <<<"$(oci_agent_stats "$mark")" &&
	nb_pass "B -> N: not served" || nb_error "B -> N: stats '$(oci_agent_stats "$mark")'"
kill "$SPID" "$(cat "$D/noc.pid")" 2>/dev/null || true
wait "$SVC" "$NOC" 2>/dev/null || true

# ---- the stalled peer was timed out meanwhile, the rest was served
wait "$STALL_PID" || nb_error "stall: $(cat "$NB_TMP/stall.log")"
expect_log "the silent peer" "refused the connection of pid [0-9]+: no complete state within 10 s"
daemon_alive "everything"

# ---- nothing left: every agent and nsagent ended, no noise
if oci_wait_no_agents; then
	nb_pass "no agent process left"
else
	nb_error "agents left: $(pgrep -a -P "$DPID" -x nsbypass-agent)"
fi
for p in $NSAGENTS; do
	kill -0 "$p" 2>/dev/null && nb_error "nsagent $p left: $(cat "/proc/$p/cmdline" | tr '\0' ' ')"
done
if grep -E "agent .*: (warn|error):|agent pid [0-9]+ (failed|killed)" "$LOG"; then
	nb_error "warnings or errors from agents of normal containers"
fi
oci_stop_daemon
[ -e "$SOCK" ] && nb_error "the socket is still there after SIGTERM"
[ -e "$PIDF" ] && nb_error "the pid file is still there after SIGTERM"
echo "----- daemon log"
cat "$LOG"
nb_done
