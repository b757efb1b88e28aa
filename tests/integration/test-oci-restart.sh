#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# test-oci-restart.sh - `nsbypass oci` itself ends while its containers run
# (docs/design.md §6.6, "A daemon that restarts"), as the unprivileged
# NB_USER with oci-sim as the runtime.  The agents serve on; a new daemon
# on the same listener path adopts them (each asks, oci-reattach.h), and
# covers them as its own: a crash of an adopted agent is recovered.
#   (a) kill -9 of the daemon while two containers connect in a loop (4
#       threads each, plus AF_UNIX connects): no connect fails;
#   (b) a new daemon adopts both agents (logged with their pids), and
#       `nsbypass status` of the new daemon lists them with their counts;
#   (c) kill -9 of an adopted agent: the new daemon starts another, which
#       answers what was in flight; still no connect fails;
#   (d) SIGTERM of that daemon, a third one (an upgrade): it adopts both,
#       and logs their ends when the containers end (clean exits);
#   (e) an adoption request from a process that is not the agent it names
#       is refused with one line, and changes nothing.
set -xeuo pipefail
. "$(dirname "$0")/common.sh"
. "$(dirname "$0")/oci-common.sh"

oci_sim_setup
H4=$NB_HOST4
LOG=

restart_cleanup() {
	local rc=$?
	set +e
	oci_daemon_cleanup
	for l in "$D"/daemon-*.log; do
		[ -s "$l" ] && { echo "----- $l"; cat "$l"; }
	done
	(exit "$rc")
	cleanup
}
trap restart_cleanup EXIT


# daemon N: start daemon number N on SOCK, its log in D/daemon-N.log
# (LOG), its pid in DPID.
daemon() {
	LOG=$D/daemon-$1.log
	rm -f "$PIDF"
	start_bg "oci-$1" as_user "$NSBYPASS" oci --listen "$SOCK" \
		--log-level info --log-file "$LOG" --pid-file "$PIDF"
	for _ in $(seq 100); do [ -S "$SOCK" ] && [ -s "$PIDF" ] && break; sleep 0.1; done
	[ -s "$PIDF" ] || nb_fail "daemon $1 did not start"
	DPID=$(cat "$PIDF")
}

# expect_log DESC ERE [N]: the current daemon's log has N (1) lines ERE
# within 10 s (a failed check does not end the test).
expect_log() { oci_expect_log "$@" || true; }

daemon 1
for c in r1 r2; do
	as_user timeout -k 5 120 unshare -r -n "$OCI_SIM" --listener "$SOCK" \
		--id "$c" -- "$NB_PYTHON" "$CLIENT" loop "$H4" "$SP" 90 4 "$USOCK" "$D/stop" \
		>"$D/$c.out" 2>&1 &
	eval "C_$c=\$!"
done
expect_log "two agents" "agent pid [0-9]+ serves" 2
A1=$(grep -Eo "container r1: agent pid [0-9]+" "$LOG" | grep -Eo "[0-9]+$")
A2=$(grep -Eo "container r2: agent pid [0-9]+" "$LOG" | grep -Eo "[0-9]+$")
sleep 1

# ---- (a), (b)
kill -9 "$DPID"
sleep 1
kill -0 "$A1" && kill -0 "$A2" && nb_pass "(a) both agents serve on without their daemon" ||
	nb_error "(a) an agent died with its daemon"
daemon 2
expect_log "(b) the new daemon adopts r1's agent" "container r1: agent pid $A1 adopted"
expect_log "(b) the new daemon adopts r2's agent" "container r2: agent pid $A2 adopted"

# The new daemon's status lists both, with their counters of before.
nb_exec as_user "$NSBYPASS" status --socket "$SOCK.control" --json
if [ "$NB_RC" -eq 0 ] && "$NB_PYTHON" -c '
import json, sys
c = {x["id"]: x for x in json.loads(sys.argv[1])["containers"]}
ok = sorted(c) == ["r1", "r2"] and all(
    c[i]["agent_pid"] == int(p) and c[i]["switched"] > 0
    for i, p in (("r1", sys.argv[2]), ("r2", sys.argv[3])))
sys.exit(0 if ok else 1)' "$NB_OUT" "$A1" "$A2"; then
	nb_pass "(b) nsbypass status of the new daemon lists both adopted agents, their switches counted"
else
	nb_error "(b) nsbypass status: exit $NB_RC: $NB_OUT"
fi

# ---- (c)
kill -9 "$A1"
expect_log "(c) an adopted agent's crash is recovered" "container r1: agent pid [0-9]+ took over"

# ---- (d)
sleep 1
kill "$DPID"
for _ in $(seq 50); do kill -0 "$DPID" 2>/dev/null || break; sleep 0.1; done
daemon 3
expect_log "(d) the third daemon adopts both" "agent pid [0-9]+ adopted" 2

# ---- (e) a forged adoption: oci-sim names r2's agent, but sends it
# itself, with a notify fd of its own.
nb_exec as_user timeout -k 5 30 unshare -r -n "$OCI_SIM" --listener "$SOCK" \
	--id forged --adopt-pid "$A2" -- true
expect_log "(e) a forged adoption is refused" "container forged: refused an adoption for agent pid $A2 from pid [0-9]+ with 3 fds"

# The containers connect until now (under load (a)-(e) took longer than
# the 9 s they once had: they ended before (c), and no agent was left to
# adopt).
touch "$D/stop"
for c in r1 r2; do
	rc=0
	eval "wait \$C_$c" || rc=$?
	if [ "$rc" -eq 0 ] && grep -Eq "^connects [0-9]+ unix [0-9]+ errors \{\}" "$D/$c.out"; then
		nb_pass "(a)-(d) $c: no connect failed: $(cat "$D/$c.out")"
	else
		nb_error "$c: exit $rc: $(cat "$D/$c.out")"
	fi
done
expect_log "(d) the adopted agents' ends" "container r[12]: agent pid [0-9]+ ended" 2
grep -E "warn: |error: " "$LOG" | grep -v "container forged: refused" &&
	nb_error "unexpected warnings in the last daemon's log" ||
	nb_pass "no other warning from the last daemon"
oci_wait_no_agents || nb_error "agents left running"
nb_done
