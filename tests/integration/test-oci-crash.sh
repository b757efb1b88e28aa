#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# test-oci-crash.sh - an `nsbypass oci` agent killed with SIGKILL while its
# container runs (docs/design.md §6.6), as the unprivileged NB_USER with
# oci-sim as the runtime.  A new agent takes over on the same notify fd
# and shared memory; what the dead one received and never answered is
# answered by the new one.  Cases:
#   (a) idle: the next TCP connect is switched by the new agent, an
#       AF_UNIX connect works (before: ENOSYS for every trapped call);
#   (b) a blocking connect in flight, to a server that completes the
#       handshake only after 1.5 s: it returns success (never ENOSYS,
#       never hung), the new agent logs the notification it took over;
#   (c) a bulk transfer through a switched socket: every byte arrives
#       (SHA-256 on both ends), and the next connect is switched;
#   (d) 8 threads connecting in a loop plus AF_UNIX connects while the
#       agent is killed 3 times, 300 ms apart: no connect fails;
#   (f) a server published by the bind bypass (nsbypass.publish): after
#       the crash 127.0.0.1:PORT inside still reaches it (the new agent
#       took the container's record back from the shared memory);
#   (g) 20 connects in flight whose process is SIGKILLed: their journal
#       slots are freed (nsbypass status: in_flight 20, then 0);
#   (e) a crash loop: killed over and over, the daemon backs off and, at
#       the 6th crash within 60 s, gives up with one error line naming
#       the container; trapped calls then get ENOSYS (fail-closed), and
#       nothing is left running.
# The counters live in the shared memory: the last agent's stats line
# counts the switches of all of them.
set -xeuo pipefail
. "$(dirname "$0")/common.sh"
. "$(dirname "$0")/oci-common.sh"

oci_sim_setup
H4=$NB_HOST4
LOG=$D/oci.log

oci_cleanup_on_exit

BP=$(free_port)	  # sink: SHA-256 of what arrives
start_bg sink "$NB_PYTHON" -u "$NB_ITEST_DIR/sink-server.py" "$H4" "$BP"
wait_for_port "$H4" "$BP" tcp

start_bg oci as_user "$NSBYPASS" oci --listen "$SOCK" --log-level info \
	--log-file "$LOG" --pid-file "$PIDF"
for _ in $(seq 100); do [ -S "$SOCK" ] && [ -s "$PIDF" ] && break; sleep 0.1; done
[ -S "$SOCK" ] || nb_fail "nsbypass oci does not listen on $SOCK"
DPID=$(cat "$PIDF")

# container ID SCRIPT...: a container as NB_USER in the background, its
# stdout in $D/ID.out; CPID its oci-sim pid.
container() {
	local id=$1
	shift
	as_user timeout -k 5 120 unshare -r -n "$OCI_SIM" --listener "$SOCK" \
		--id "$id" -- sh -c "$@" >"$D/$id.out" 2>&1 &
	CPID=$!
}

# agent_of ID: the pid of the agent serving container ID (5 s at most).
agent_of() {
	local p _i
	for _i in $(seq 50); do
		p=$(grep -Eo "container $1: agent pid [0-9]+ (serves|took over)" "$LOG" |
			tail -n 1 | grep -Eo "pid [0-9]+" | cut -d' ' -f2 || true)
		if [ -n "$p" ] && kill -0 "$p" 2>/dev/null; then
			echo "$p"
			return 0
		fi
		sleep 0.1
	done
	return 1
}

# kill_agent ID: SIGKILL the agent of ID and wait for its successor
# (logged "took over", 5 s at most); true if one took over.
kill_agent() {
	local old n _i
	old=$(agent_of "$1") || return 1
	n=$(grep -c "container $1: agent pid [0-9]* took over" "$LOG" || true)
	kill -9 "$old"
	for _i in $(seq 50); do
		[ "$(grep -c "container $1: agent pid [0-9]* took over" "$LOG" || true)" -gt "$n" ] &&
			return 0
		sleep 0.1
	done
	return 1
}

# expect_log DESC ERE: the daemon's log has a line ERE within 10 s (a
# failed check does not end the test).
expect_log() { oci_expect_log "$@" || true; }

# wait_file F: wait (10 s at most) until F exists.
wait_file() {
	for _ in $(seq 100); do [ -e "$1" ] && return 0; sleep 0.1; done
	return 1
}

# expect_out ID ERE DESC: container ID ended well and printed ERE.
expect_out() {
	local rc=0
	wait "$CPID" || rc=$?
	if [ "$rc" -eq 0 ] && grep -Eq -- "$2" "$D/$1.out"; then
		nb_pass "$3: $(grep -E -- "$2" "$D/$1.out" | head -n 1)"
	else
		nb_error "$3: exit $rc, output: $(cat "$D/$1.out")"
	fi
}

# stats_of ID: the last stats line an agent of ID logged.
stats_of() {
	grep "nsbypass agent ${1:0:12}: info: agent: " "$LOG" | tail -n 1
}

# in_flight ID: the slots in use of container ID, from nsbypass status.
in_flight() {
	as_user "$NSBYPASS" status --socket "$SOCK.control" --json |
		"$NB_PYTHON" -c 'import json, sys
print([c["in_flight"] for c in json.load(sys.stdin)["containers"] if c["id"] == sys.argv[1]][0])' "$1"
}

# ---- (a) idle
GO=$D/a.go
container a "
while [ ! -e $GO ]; do sleep 0.05; done
$NB_PYTHON $CLIENT once $H4 $SP && $NB_PYTHON $CLIENT errno 127.0.0.1 1 &&
$NB_PYTHON -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); print(\"OK unix\")' $USOCK"
agent_of a >/dev/null || nb_fail "(a): no agent"
kill_agent a && nb_pass "(a) idle: a new agent took over" || nb_error "(a): no agent took over"
touch "$GO"
expect_out a "^OK unix" "(a) idle: TCP and AF_UNIX connects after the crash"
grep -q "^OK connected" "$D/a.out" || nb_error "(a): the TCP connect failed: $(cat "$D/a.out")"
# Kept inside (lo is down in this namespace: ENETUNREACH), not ENOSYS.
grep -Eq "^errno (101|111)$" "$D/a.out" || nb_error "(a): 127.0.0.1:1: $(cat "$D/a.out")"
st=$(stats_of a)
grep -q "agent: 1 switched, " <<<"$st" && nb_pass "(a): the new agent switched the connect: $st" ||
	nb_error "(a): stats '$st', want 1 switched"

# ---- (b) a blocking connect in flight: seen in flight by nsbypass
# status before the kill (a blackhole server whose full queue let a SYN
# through now and then: then another try, on a new port).
b_try() {
	local id=$1 lp n=
	lp=$(free_port)
	start_bg "late-$id" "$NB_PYTHON" -u "$NB_ITEST_DIR/blackhole-server.py" "$H4" "$lp" 1.5
	# Its accept queue full first: listening alone is not enough.
	for _ in $(seq 50); do grep -q "blackhole ready" "$NB_TMP/late-$id.log" && break; sleep 0.1; done
	container "$id" "$NB_PYTHON $CLIENT once $H4 $lp"
	for _ in $(seq 20); do
		n=$(in_flight "$id" 2>/dev/null || true)
		[ "$n" = 1 ] && break
		sleep 0.05
	done
	if [ "$n" != 1 ]; then
		wait "$CPID" || true
		return 1
	fi
	kill_agent "$id" || nb_error "(b): no agent took over"
	expect_out "$id" "^OK connected after" "(b) the connect in flight returns success"
	grep -Eq "nsbypass agent $id: info: notification [0-9]+ \(syscall 42 of thread [0-9]+\) was left unanswered" "$LOG" &&
		nb_pass "(b): the new agent answered the notification the dead one held" ||
		nb_error "(b): no notification taken over in the log"
	grep -q "1 recovered" <<<"$(stats_of "$id")" && nb_pass "(b): $(stats_of "$id")" ||
		nb_error "(b): stats '$(stats_of "$id")', want 1 recovered"
}
b_try b || b_try b2 || b_try b3 || nb_error "(b): no connect stayed in flight in 3 tries"

# ---- (c) a bulk transfer
MARK=$D/c.connected
container c "$NB_PYTHON $CLIENT bulk $H4 $BP 400 $MARK && $NB_PYTHON $CLIENT once $H4 $SP"
wait_file "$MARK" || nb_fail "(c): the bulk client never connected: $(cat "$D/c.out")"
kill_agent c || nb_error "(c): no agent took over"
expect_out c "^OK bulk 419430400 bytes" "(c) every byte of the transfer arrived"
grep -q "^OK connected" "$D/c.out" || nb_error "(c): the connect after the crash failed"
grep -q "agent: 2 switched" <<<"$(stats_of c)" && nb_pass "(c): $(stats_of c)" ||
	nb_error "(c): stats '$(stats_of c)', want 2 switched (counted across agents)"

# ---- (d) connects in flight from 9 threads, 3 kills
container d "$NB_PYTHON $CLIENT loop $H4 $SP 4 8 $USOCK"
agent_of d >/dev/null || nb_fail "(d): no agent"
for i in 1 2 3; do
	sleep 0.3
	kill_agent d || nb_error "(d): no agent took over (kill $i)"
done
expect_out d "^connects [0-9]+ unix [0-9]+ errors \{\}" "(d) no connect failed across 3 crashes"

# ---- (f) the container's own published service, after the crash
HP=$(free_port)
CP=$(free_port)
GO=$D/f.go
as_user timeout -k 5 120 unshare -r -n "$OCI_SIM" --listener "$SOCK" --id f \
	--annotation "nsbypass.publish=$H4:$HP:$CP" -- sh -c "
$NB_PYTHON -u -c 'import socket, sys
s = socket.socket()
s.bind((\"0.0.0.0\", int(sys.argv[1])))
s.listen(64)
open(sys.argv[2], \"w\").close()
while True:
    s.accept()[0].close()' $CP $D/f.listening &
srv=\$!
while [ ! -e $GO ]; do sleep 0.05; done
$NB_PYTHON $CLIENT once 127.0.0.1 $CP; rc=\$?; kill \$srv; exit \$rc" >"$D/f.out" 2>&1 &
CPID=$!
wait_file "$D/f.listening" || nb_fail "(f): the server never listened: $(cat "$D/f.out")"
_nb_listening "$H4" "$HP" tcp && nb_pass "(f): the bind took the host port $HP" ||
	nb_error "(f): nothing listens on $H4:$HP"
kill_agent f || nb_error "(f): no agent took over"
expect_log "(f) the new agent" "nsbypass agent f: info: service map: 1 published service\(s\) of the container taken over"
touch "$GO"
expect_out f "^OK connected" "(f) 127.0.0.1:$CP inside reaches the published server after the crash"

# ---- (g) connects in flight whose process is killed leave no journal
# slot behind (a leak filled the journal: the agent then spun and every
# trapped call hung); `nsbypass status` shows the slots in use.
LP2=$(free_port)
start_bg hole "$NB_PYTHON" -u "$NB_ITEST_DIR/blackhole-server.py" "$H4" "$LP2"
for _ in $(seq 50); do grep -q "blackhole ready" "$NB_TMP/hole.log" && break; sleep 0.1; done
GO=$D/g.go
container g "
$NB_PYTHON -c 'import socket, sys, threading, time
def hang():
    socket.socket().connect((sys.argv[1], int(sys.argv[2])))
for _ in range(20):
    threading.Thread(target=hang, daemon=True).start()
time.sleep(120)' $H4 $LP2 &
echo \$! >$D/g.pid
while [ ! -e $GO ]; do sleep 0.05; done
$NB_PYTHON $CLIENT once $H4 $SP"
n=
for _ in $(seq 100); do
	n=$(in_flight g 2>/dev/null || true)
	[ "$n" = 20 ] && break
	sleep 0.1
done
[ "$n" = 20 ] && nb_pass "(g) 20 connects in flight" || nb_error "(g) in flight: '$n', want 20"
kill -9 "$(cat "$D/g.pid")"
for _ in $(seq 100); do
	n=$(in_flight g 2>/dev/null || true)
	[ "$n" = 0 ] && break
	sleep 0.1
done
[ "$n" = 0 ] && nb_pass "(g) their process killed: no slot left in use" ||
	nb_error "(g) in flight after the kill: '$n', want 0"
touch "$GO"
expect_out g "^OK connected" "(g) the container's next connect"

# ---- (e) a crash loop ends fail-closed
GO=$D/e.go
container e "
while [ ! -e $GO ]; do sleep 0.05; done
$NB_PYTHON $CLIENT errno $H4 $SP"
agent_of e >/dev/null || nb_fail "(e): no agent"
for i in 1 2 3 4 5; do
	kill_agent e || nb_error "(e): no agent took over (kill $i)"
done
kill -9 "$(agent_of e)"
expect_log "(e) the 6th crash" "error: container e: its agent failed 6 times in 60 s \(pid [0-9]+ killed by signal 9\): given up; its trapped calls fail with ENOSYS from now on"
[ "$(grep -c "error: " "$LOG")" -eq 1 ] && nb_pass "(e): one error line in all" ||
	nb_error "(e): $(grep -c "error: " "$LOG") error lines"
touch "$GO"
expect_out e "^errno 38$" "(e) fail-closed: a trapped connect gets ENOSYS"
grep -q "takes over after a back-off (crash 2 of 5" "$LOG" && nb_pass "(e): restarts back off" ||
	nb_error "(e): no back-off logged"

oci_wait_no_agents || nb_error "agents left running: $(pgrep -a -P "$DPID" || true)"
oci_stop_daemon
grep -E "warn: |error: " "$LOG" | grep -Ev "killed by signal 9|failed 6 times" &&
	nb_error "unexpected warnings in the daemon's log" || nb_pass "no other warning"
nb_done
