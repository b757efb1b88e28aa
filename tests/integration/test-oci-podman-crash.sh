#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# test-oci-podman-crash.sh - an agent that crashes and a daemon that
# restarts (docs/design.md §6.6) under a real engine: rootless podman
# (podman-env.sh; 4.3 on Debian 12, 5.8 in the release tier) with runc,
# then crun, as the unprivileged NB_USER, with `nsbypass profile
# --listener` and `nsbypass oci`.  test-oci-crash.sh and
# test-oci-restart.sh test the same with oci-sim.
#
# The container (--network none: only a bypass reaches the test host)
# runs a runner as its own process: it runs the scripts the test drops
# into a shared volume one after the other, so that the container's own
# agent serves them (a `podman exec` gets an agent of its own).  Per
# runtime, with a fresh daemon:
#   (a) SIGKILL of the container's agent while idle: a new agent takes
#       over ("took over"); the container's wget and nc to the test host
#       work and are switched (`nsbypass status --json` on the control
#       socket: restarts 1, switched up by 2), and so does `podman exec
#       CTR wget` (its own agent: 1 switched);
#   (b) SIGKILL while a blocking connect is in flight (busybox nc to
#       blackhole-server.py, which completes handshakes only after a
#       while; status shows it in flight first): the connect returns
#       success, never ENOSYS, and the new agent answers the notification
#       the dead one held;
#   (c) kill -9 of `nsbypass oci` while a `podman exec` runs: both agents
#       serve on; a new daemon on the same socket adopts them
#       ("adopted"), `nsbypass status` lists them with the container's
#       counters, the exec connects and its adopted agent ends with it, the container's next connect is switched, a
#       new `podman exec` gets an agent from the new daemon and is
#       switched, and a SIGKILL of the adopted agent is recovered;
#   (d) `podman stop` and `podman rm`: every agent ever started for the
#       container has ended, nothing is left running, and the logs have
#       no warning but the expected crash lines.
set -xeuo pipefail
. "$(dirname "$0")/common.sh"
. "$(dirname "$0")/oci-common.sh"

setup_rootless_test
require_cmd podman runc busybox newuidmap newgidmap python3
setup_subids
H4=$NB_HOST4
. "$NB_ITEST_DIR/podman-env.sh"
podman_env_setup
D=$PD/oci
SOCK=$D/oci.sock
CTL=$SOCK.control
PIDF=$D/oci.pid
PROFILE=$D/profile.json
LOG=
mkdir -p "$D"
chown "$NB_USER:" "$D"
chmod 700 "$D"

_crash_cleanup() {
	local rc=$? l
	set +e
	pm rm -a -f -t 0 >/dev/null 2>&1
	p=$(cat "$PIDF" 2>/dev/null)
	[ -z "$p" ] || kill "$p" 2>/dev/null
	for l in "$D"/daemon-*.log; do
		[ -s "$l" ] && { echo "----- $l"; cat "$l"; }
	done
	(exit "$rc")
	_pm_env_cleanup
}
trap _crash_cleanup EXIT

oci_test_servers
as_user "$NSBYPASS" profile --listener "$SOCK" >"$PROFILE" ||
	nb_fail "nsbypass profile --listener failed"
chown "$NB_USER:" "$PROFILE"

WGET="wget -q -O - http://$H4:$HTP/token.txt | grep -qx token-$EP && echo OK wget token-$EP"
NC="echo nc-hello-\$\$ | nc -w 5 $H4 $EP | grep -q nc-hello && echo OK nc"

# The container's own process: runs SH/cmd.N in order, its output and
# status into SH/out.N (renamed into place when complete).
RUNNER='trap "exit 0" TERM
i=0
while :; do
	if [ -e /share/cmd.$i ]; then
		sh /share/cmd.$i >/share/out.$i.tmp 2>&1
		echo "rc=$?" >>/share/out.$i.tmp
		mv /share/out.$i.tmp /share/out.$i
		i=$((i + 1))
	fi
	sleep 0.05
done'

DN=0
# daemon_start: a new `nsbypass oci` on SOCK (number DN, its log in
# D/daemon-DN.log: LOG), its pid in DPID; its control socket answers.
daemon_start() {
	DN=$((DN + 1))
	LOG=$D/daemon-$DN.log
	rm -f "$PIDF"
	start_bg "oci-$DN" as_user "$NSBYPASS" oci --listen "$SOCK" \
		--log-level info --log-file "$LOG" --pid-file "$PIDF"
	for _ in $(seq 100); do [ -s "$PIDF" ] && break; sleep 0.1; done
	[ -s "$PIDF" ] || nb_fail "daemon $DN did not start: $(cat "$NB_TMP/oci-$DN.log")"
	DPID=$(cat "$PIDF")
	for _ in $(seq 100); do
		as_user "$NSBYPASS" status --socket "$CTL" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	nb_fail "daemon $DN: no status on $CTL"
}

# daemon_stop: SIGTERM the current daemon; it must exit (5 s).  (Not
# oci_stop_daemon: its count of started and ended agents takes an adopted
# agent's crash, "ended without a clean exit", for an end.)
daemon_stop() {
	kill "$DPID"
	for _ in $(seq 50); do kill -0 "$DPID" 2>/dev/null || break; sleep 0.1; done
	kill -0 "$DPID" 2>/dev/null && nb_error "daemon $DN ignored SIGTERM" ||
		nb_pass "daemon $DN ended at SIGTERM"
}

# expect_log DESC ERE: the current daemon's log has a line ERE (15 s).
expect_log() { OCI_LOG_WAIT_S=15 oci_expect_log "$@"; }

# last_pid ERE: the pid in the last "agent pid N" of a line ERE in LOG.
last_pid() {
	grep -E -- "$1" "$LOG" | tail -n 1 | grep -Eo "agent pid [0-9]+" |
		grep -Eo "[0-9]+$" || true
}

# st FIELD...: those fields of the row of the container's agent (CA) in
# `nsbypass status --json --socket CTL`, space-separated.
st() {
	as_user "$NSBYPASS" status --json --socket "$CTL" >"$D/st.json" 2>"$D/st.err" ||
		{ echo "status failed: $(cat "$D/st.json" "$D/st.err")"; return 0; }
	"$NB_PYTHON" - "$D/st.json" "$CA" "$ID" "$@" <<'PY'
import json, sys
rows = [c for c in json.load(open(sys.argv[1]))["containers"]
        if c["agent_pid"] == int(sys.argv[2]) and c["id"] == sys.argv[3]]
print(" ".join(str(rows[0][k]) for k in sys.argv[4:]) if rows else "no row")
PY
}

# want_st DESC WANT FIELD...: st FIELD... must print WANT.
want_st() {
	local desc=$1 want=$2 got
	shift 2
	got=$(st "$@")
	[ "$got" = "$want" ] && nb_pass "$desc: status $* = $got" ||
		nb_error "$desc: status $* = '$got', want '$want'"
}

# inside_start SCRIPT: have the container's runner run SCRIPT (RUN_CUR).
inside_start() {
	local f=$SH/cmd.$RUN_N
	printf '%s\n' "$1" >"$f.tmp"
	chmod 644 "$f.tmp"
	mv "$f.tmp" "$f"
	RUN_CUR=$RUN_N
	RUN_N=$((RUN_N + 1))
}

# inside_check DESC ERE: the script of RUN_CUR ended with status 0 and
# printed ERE (30 s at most).
inside_check() {
	local out=$SH/out.$RUN_CUR
	for _ in $(seq 300); do [ -e "$out" ] && break; sleep 0.1; done
	if grep -qx "rc=0" "$out" 2>/dev/null && grep -Eq -- "$2" "$out"; then
		nb_pass "$1: $(grep -E -- "$2" "$out" | head -n 1)"
	else
		nb_error "$1: $(cat "$out" 2>/dev/null || echo "no end in 30 s")"
	fi
}

# kill_ca DESC: SIGKILL the container's agent CA; a new one must take
# over within 5 s (CA is then its pid).
kill_ca() {
	local n
	n=$(grep -c "container $ID: agent pid [0-9]* took over" "$LOG" || true)
	kill -9 "$CA"
	AGENTS+=("$CA")
	for _ in $(seq 50); do
		[ "$(grep -c "container $ID: agent pid [0-9]* took over" "$LOG" || true)" -gt "$n" ] &&
			break
		sleep 0.1
	done
	CA=$(last_pid "container $ID: agent pid [0-9]+ took over")
	if [ -n "$CA" ] && [ "$(grep -c "container $ID: agent pid [0-9]* took over" "$LOG" || true)" -gt "$n" ]; then
		nb_pass "$1: agent pid $CA took over"
	else
		nb_fail "$1: no agent took over: $(tail -n 20 "$LOG")"
	fi
}

# exec_check DESC: `podman exec CTR wget` is served by an agent of its own
# from the current daemon, and switched.
exec_check() {
	local mark s
	mark=$(wc -l <"$LOG")
	nb_expect_ok "$1: podman exec wget" pm exec "$CTR" sh -c "$WGET"
	for _ in $(seq 100); do
		s=$(tail -n +"$((mark + 1))" "$LOG" | grep "agent ${ID:0:12}: info: agent: " || true)
		[ -n "$s" ] && break
		sleep 0.1
	done
	grep -q "agent: 1 switched" <<<"$s" && nb_pass "$1: the exec's agent: $s" ||
		nb_error "$1: the exec's agent stats '$s', want 1 switched"
	# (Its pid only: the id has digits too.)
	AGENTS+=($(tail -n +"$((mark + 1))" "$LOG" |
		grep -Eo "container $ID: agent pid [0-9]+ serves" | awk '{ print $(NF - 1) }'))
}

# agents_alive: the pids of AGENTS that still run as an agent.
agents_alive() {
	local p
	for p in "${AGENTS[@]}"; do
		[ "$(cat "/proc/$p/comm" 2>/dev/null)" = nsbypass-agent ] && echo "$p"
	done
	return 0
}

# warnings_of LOG: the warning and error lines of LOG, but the crashes
# this test causes.
warnings_of() {
	grep -E ": (warn|error): " "$1" |
		grep -Ev "container $ID: agent pid [0-9]+ (killed by signal 9|ended without a clean exit): a new agent takes over" ||
		true
}

# crash_checks RUNTIME
crash_checks() {
	local rt=$1 lp s0 s1 first n xp xa
	CTR=crash-$rt
	SH=$PD/share-$rt
	RUN_N=0
	AGENTS=()
	install -d -m 0755 -o "$NB_USER" "$SH"
	daemon_start
	first=$DN
	nb_exec pm --runtime "$rt" run -d --name "$CTR" --network none \
		-v "$SH:/share" --security-opt "seccomp=$PROFILE" \
		--rootfs "$ROOTFS" sh -c "$RUNNER"
	[ "$NB_RC" -eq 0 ] || nb_fail "$rt: podman run -d: exit $NB_RC: $NB_ERR"
	ID=$(pm inspect -f '{{.Id}}' "$CTR")
	expect_log "$rt: the container's agent" "container $ID: agent pid [0-9]+ serves pid [1-9]" ||
		nb_fail "$rt: no agent"
	CA=$(last_pid "container $ID: agent pid [0-9]+ serves")

	inside_start "$WGET"
	inside_check "$rt: before any crash: wget" "^OK wget"
	want_st "$rt: before any crash" "0 1" restarts switched

	# ---- (a) idle
	kill_ca "$rt: (a) idle"
	inside_start "$WGET && $NC"
	inside_check "$rt: (a) after the crash: the container's wget and nc" "^OK nc"
	want_st "$rt: (a) the new agent switched both" "1 3" restarts switched
	exec_check "$rt: (a) after the crash"

	# ---- (b) a blocking connect in flight
	lp=$(free_port)
	start_bg "late-$rt" "$NB_PYTHON" -u "$NB_ITEST_DIR/blackhole-server.py" "$H4" "$lp" 3
	for _ in $(seq 50); do grep -q "blackhole ready" "$NB_TMP/late-$rt.log" && break; sleep 0.1; done
	grep -q "blackhole ready" "$NB_TMP/late-$rt.log" ||
		nb_fail "$rt: (b) the blackhole server is not ready"
	inside_start "nc -w 20 $H4 $lp -e sh -c 'echo OK connected >&2'"
	for _ in $(seq 50); do [ "$(st in_flight)" = 1 ] && break; sleep 0.05; done
	want_st "$rt: (b) before the kill" "1" in_flight
	kill_ca "$rt: (b) a connect in flight"
	inside_check "$rt: (b) the connect in flight returns success" "^OK connected"
	grep -q "Function not implemented" "$SH/out.$RUN_CUR" &&
		nb_error "$rt: (b) ENOSYS: $(cat "$SH/out.$RUN_CUR")"
	expect_log "$rt: (b) the new agent answered it" \
		"agent ${ID:0:12}: info: notification [0-9]+ \(syscall 42 of thread [0-9]+\) was left unanswered"
	want_st "$rt: (b)" "2 4 0" restarts switched in_flight

	# ---- (c) kill -9 of the daemon, a new one adopts the agent
	s0=$(st switched)
	# An exec that runs across the restart (its agent is adopted too),
	# waiting for the test's word to connect.
	n=$(grep -c "container $ID: agent pid [0-9]* serves" "$LOG" || true)
	pm exec "$CTR" sh -c "while [ ! -e /share/exec-go ]; do sleep 0.05; done; $WGET" \
		>"$D/exec-$rt.out" 2>&1 &
	xp=$!
	for _ in $(seq 100); do
		[ "$(grep -c "container $ID: agent pid [0-9]* serves" "$LOG" || true)" -gt "$n" ] && break
		sleep 0.1
	done
	xa=$(last_pid "container $ID: agent pid [0-9]+ serves")
	[ "$(grep -c "container $ID: agent pid [0-9]* serves" "$LOG" || true)" -gt "$n" ] ||
		nb_fail "$rt: (c) no agent for the long exec"
	AGENTS+=("$xa")
	kill -9 "$DPID"
	sleep 1
	kill -0 "$CA" && kill -0 "$xa" &&
		nb_pass "$rt: (c) the agents of the container and of its exec serve on without their daemon" ||
		nb_fail "$rt: (c) an agent died with its daemon"
	daemon_start
	expect_log "$rt: (c) the new daemon adopts the agent" "container $ID: agent pid $CA adopted"
	expect_log "$rt: (c) and the exec's" "container $ID: agent pid $xa adopted"
	want_st "$rt: (c) nsbypass status lists the adopted agent" "$ID 2 $s0" id restarts switched
	n=$(as_user "$NSBYPASS" status --socket "$CTL" 2>/dev/null | grep -c "^${ID:0:12}" || true)
	[ "$n" -eq 2 ] && nb_pass "$rt: (c) nsbypass status: 2 rows for $CTR" ||
		nb_error "$rt: (c) nsbypass status: $n rows for $CTR, want 2"
	touch "$SH/exec-go"
	wait "$xp" && grep -q "^OK wget" "$D/exec-$rt.out" &&
		nb_pass "$rt: (c) the adopted exec's wget: $(grep "^OK" "$D/exec-$rt.out")" ||
		nb_error "$rt: (c) the adopted exec: $(cat "$D/exec-$rt.out")"
	expect_log "$rt: (c) the adopted exec's agent ends with it" "container $ID: agent pid $xa ended"
	inside_start "$NC"
	inside_check "$rt: (c) under the new daemon: the container's nc" "^OK nc"
	s1=$((s0 + 1))
	want_st "$rt: (c) switched" "$s1" switched
	exec_check "$rt: (c) a new exec under the new daemon"
	kill_ca "$rt: (c) the adopted agent killed"
	inside_start "$WGET"
	inside_check "$rt: (c) after the adopted agent's crash: wget" "^OK wget"
	want_st "$rt: (c) after the adopted agent's crash" "3 $((s1 + 1))" restarts switched

	# ---- (d) the end
	AGENTS+=("$CA")
	nb_exec pm stop -t 5 "$CTR"
	[ "$NB_RC" -eq 0 ] || nb_error "$rt: (d) podman stop: exit $NB_RC: $NB_ERR"
	expect_log "$rt: (d) podman stop: the agent ends" "container $ID: agent pid $CA ended"
	nb_exec pm rm "$CTR"
	echo "agents of $CTR: ${AGENTS[*]}"
	[ "$NB_RC" -eq 0 ] || nb_error "$rt: (d) podman rm: exit $NB_RC: $NB_ERR"
	for _ in $(seq 50); do [ -z "$(agents_alive)" ] && break; sleep 0.1; done
	[ -z "$(agents_alive)" ] && nb_pass "$rt: (d) all ${#AGENTS[@]} agents ended" ||
		nb_error "$rt: (d) agents left: $(agents_alive)"
	oci_wait_no_agents && nb_pass "$rt: (d) the daemon runs no agent" ||
		nb_error "$rt: (d) agents left: $(pgrep -a -P "$DPID" || true)"
	daemon_stop
	for n in $(seq "$first" "$DN"); do
		s0=$(warnings_of "$D/daemon-$n.log")
		[ -z "$s0" ] && nb_pass "$rt: daemon $n: no warning but the crashes" ||
			nb_error "$rt: daemon $n: $s0"
	done
	rm -f "$PIDF"
}

nb_exec pm run --rm --network none --rootfs "$ROOTFS" /bin/busybox true
[ "$NB_RC" -eq 0 ] || nb_fail "rootless podman cannot run the busybox rootfs" \
	"(exit $NB_RC): $NB_ERR"
echo "podman: $(pm --version)"
crash_checks runc
if pm_crun_usable; then
	crash_checks crun
fi
nb_done
