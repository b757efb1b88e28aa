#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# test-oci-adopt.sh - the races of an `nsbypass oci` agent with its
# daemons (docs/design.md §6.6, "A daemon that restarts"), held open by
# the -Dtest_hooks hooks (src/test-hooks.h), as the unprivileged NB_USER
# with oci-sim as the runtime.  Two containers: a, in a network namespace
# of its own, and h, in the daemon's (its agent lets every call continue,
# and has no service channel until a daemon adopts it).
#   (a) the probe child a's agent forks into the container's user
#       namespace, held there: it is not dumpable (/proc/PID/fd is
#       root's) and keeps none of the agent's fds (no notify fd, no
#       shared memory: three fds above stdio, its own);
#   (b) the daemon is killed between the agents' fork and the start of
#       their watch (each agent paused there): both still see their
#       daemon's end (they watch the pid they had before the fork, not
#       getppid(), which is init's by then: h would never be adopted);
#   (c) the next daemon refuses the first adoption request (it closes the
#       channel), before the agent takes the channel (it pauses): that
#       agent asks again, and both are adopted; a's next connect is
#       switched, h's continues.
set -xeuo pipefail
. "$(dirname "$0")/common.sh"
. "$(dirname "$0")/oci-common.sh"

[ "${NB_TEST_HOOKS:-0}" = 1 ] ||
	nb_skip "not a -Dtest_hooks=true build (tests/run.sh makes one)"
oci_sim_setup
H4=$NB_HOST4
LOG=

adopt_cleanup() {
	local rc=$?
	set +e
	oci_daemon_cleanup
	[ -s "$D/daemon-1.log" ] && { echo "----- daemon-1.log"; cat "$D/daemon-1.log"; }
	(exit "$rc")
	cleanup
}
trap adopt_cleanup EXIT

# daemon N ENV...: daemon number N on SOCK with the hooks ENV, its log in
# D/daemon-N.log (LOG), its pid in DPID.
daemon() {
	local n=$1
	shift
	LOG=$D/daemon-$n.log
	rm -f "$PIDF"
	start_bg "oci-$n" as_user env "$@" "$NSBYPASS" oci --listen "$SOCK" \
		--log-level info --log-file "$LOG" --pid-file "$PIDF"
	for _ in $(seq 100); do [ -S "$SOCK" ] && [ -s "$PIDF" ] && break; sleep 0.1; done
	[ -s "$PIDF" ] || nb_fail "daemon $n did not start"
	DPID=$(cat "$PIDF")
}

# h has no probe child: it pauses before a does, for longer than a's hold,
# so both pause together for 2 s.  The hold is 3 s, the time the test has
# to find the held child: a CI run once failed this test in 6.4 s with a
# 1 s hold (its log was lost; a child gone before pgrep is the one step
# that a loaded machine can miss).  The agents pause 300 ms after each
# request: a refusal is in before their channel to that daemon is started.
HOLD_MS=3000
PAUSE_MS=5000
daemon 1 NSBYPASS_TEST_PROBE_HOLD_MS=$HOLD_MS NSBYPASS_TEST_AGENT_WATCH_PAUSE_MS=$PAUSE_MS \
	NSBYPASS_TEST_ATTACH_PAUSE_MS=300
LOG1=$LOG
GO=$D/go
# container ID UNSHARE-OPTION...: ID waits for GO, then connects once; its
# oci-sim's pid in C_ID.
container() {
	as_user timeout -k 5 60 unshare "${@:2}" "$OCI_SIM" --listener "$SOCK" --id "$1" \
		-- sh -c "while [ ! -e $GO ]; do sleep 0.05; done
$NB_PYTHON $CLIENT once $H4 $SP" >"$D/$1.out" 2>&1 &
	eval "C_$1=\$!"
}
container a -r -n
container h -r
oci_expect_log "the agents" "container [ah]: agent pid [0-9]+ serves" 2 ||
	nb_fail "no agents"
A=$(grep -Eo "container a: agent pid [0-9]+" "$LOG" | grep -Eo "[0-9]+$")
AH=$(grep -Eo "container h: agent pid [0-9]+" "$LOG" | grep -Eo "[0-9]+$")

# ---- (a) the probe child, held in the container's namespaces
oci_expect_log "(a) the probe child is held" \
	"nsbypass agent a: info: test hook: NSBYPASS_TEST_PROBE_HOLD_MS" ||
	nb_fail "the probe child was not held"
P=$(pgrep -P "$A" -x nsbypass-agent | head -n 1 || true)
[ -n "$P" ] || nb_fail "(a): no probe child under agent $A"
[ "$(readlink "/proc/$P/ns/user")" != "$(readlink "/proc/$A/ns/user")" ] &&
	nb_pass "(a) the probe child $P is in the container's user namespace" ||
	nb_error "(a) the probe child $P is not in the container's user namespace"
# Not dumpable: its /proc entries are root's, not NB_USER's (but for
# /proc/PID itself, world-readable).
owner=$(stat -c %u "/proc/$P/fd")
[ "$owner" = 0 ] && nb_pass "(a) the probe child is not dumpable" ||
	nb_error "(a) /proc/$P/fd is uid $owner's: the probe child is dumpable"
fds=()
for f in /proc/"$P"/fd/*; do
	[ "${f##*/}" -gt 2 ] && fds+=("${f##*/} -> $(readlink "$f")")
done
if [ "${#fds[@]}" -le 3 ] && ! printf '%s\n' "${fds[@]}" | grep -Eq "seccomp|memfd|\.log"; then
	nb_pass "(a) the probe child's fds above stdio: ${fds[*]}"
else
	nb_error "(a) the probe child holds the agent's fds: ${fds[*]}"
fi

# ---- (b) the daemon killed before the agents watch it
oci_expect_log "(b) the agents pause before their watch" \
	"nsbypass agent [ah]: info: test hook: NSBYPASS_TEST_AGENT_WATCH_PAUSE_MS" 2 ||
	nb_fail "the agents did not pause"
kill -9 "$DPID"
for c in a h; do
	# After the rest of its pause.
	OCI_LOG_WAIT_S=$((PAUSE_MS / 1000 + 5)) oci_expect_log "(b) agent $c sees its daemon's end" \
		"nsbypass agent $c: info: the daemon ended: serving on" || true
done

# ---- (c) a refused adoption is asked again
daemon 2 NSBYPASS_TEST_REFUSE_ADOPTIONS=1
oci_expect_log "(c) the first request refused" \
	"test hook: container [ah]: the adoption of agent pid ($A|$AH) refused" || true
oci_expect_log "(c) a's agent is adopted" "container a: agent pid $A adopted" || true
oci_expect_log "(c) h's agent is adopted" "container h: agent pid $AH adopted" || true
LOG=$LOG1 oci_expect_log "(c) the refused agent asked again" \
	"nsbypass agent [ah]: info: the daemon dropped this agent's channel: asking again" || true
touch "$GO"
for c in a h; do
	rc=0
	eval "wait \$C_$c" || rc=$?
	[ "$rc" = 0 ] && grep -q "^OK connected" "$D/$c.out" &&
		nb_pass "(c) $c's connect: $(grep "^OK" "$D/$c.out")" ||
		nb_error "(c) $c's connect: exit $rc: $(cat "$D/$c.out")"
done
oci_expect_log "(c) the adopted agents' ends" "container [ah]: agent pid ($A|$AH) ended" 2 || true
st=$(grep "nsbypass agent a: info: agent: " "$LOG1" | tail -n 1 || true)
grep -q "agent: 1 switched" <<<"$st" && nb_pass "(c) a's adopted agent switched it: $st" ||
	nb_error "(c) a's connect not switched: '$st'"
for p in "$A" "$AH"; do
	for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
	kill -0 "$p" 2>/dev/null && nb_error "agent $p left running"
done
oci_stop_daemon
nb_done
