#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# soak.sh - soak and density of `nsbypass oci` (issue 14 point 6): what a
# long-running daemon keeps, what each container costs, what one busy
# container does to another, how long a killed agent leaves its
# container waiting.
#
#   benchmarks/soak.sh [--smoke] [--cycles N] [--connects N]
#                      [--containers N] [--reps N] [--out DIR] [--no-setup]
#
# As root: it sets up what run.sh does (packages, build, the veth test
# host 10.99.0.1, the user nbtest), then, as nbtest, one `nsbypass oci`
# (with --control, read by `nsbypass status --json`) and oci-sim
# containers (tests/oci-sim.c: the runtime side of a seccomp
# listenerPath, in `unshare -r -n`).  Four parts:
#   soak      --cycles containers (50) one after the other, each making
#             --connects switched connects (20) to the test host: the
#             daemon's fds (by kind), VmRSS, VmHWM, its processes, the
#             registry's files, at the start, after the first cycle and
#             after the last;
#   density   --containers containers (100) at once, each asleep after
#             one switched connect: the Pss of every agent and nsagent
#             (/proc/PID/smaps_rollup), the part of an agent's Pss that
#             is its shared memory with the daemon (the memfd), their
#             total, the daemon's RSS and Pss;
#   noisy     bench-tcp crr (1 s: connect, 64-byte request/answer,
#             close; its p50/p99 per connection) in one container, alone
#             ("quiet") and while another floods its agent with trapped
#             setsockopt(TCP_NODELAY) from 8 processes ("flood"), --reps
#             times interleaved; the flood's rate of trapped calls;
#   restart   a container connecting in a loop; its agent SIGKILLed
#             mid-loop: the longest gap between two completed connects
#             (the restart as the container sees it), and the loop's
#             usual gap, --reps times.
# Prints a table (median and min-max over the samples) and writes
# results.tsv, results.json and table.txt to --out (default
# bench-out/soak).  Nothing here is a test: no number is checked.
# --smoke: a few seconds (3 cycles, 3 containers, 1 rep), for
# `meson test bench-smoke`.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

cycles=50
nconnects=20
ncontainers=100
reps=5
out=$repo/bench-out/soak
setup=1
die_usage() { echo "benchmarks/soak.sh: $*" >&2; exit 2; }
while [ $# -gt 0 ]; do
	case $1 in
	--smoke) cycles=3 nconnects=5 ncontainers=3 reps=1 ;;
	--cycles) cycles=${2:-}; shift ;;
	--connects) nconnects=${2:-}; shift ;;
	--containers) ncontainers=${2:-}; shift ;;
	--reps) reps=${2:-}; shift ;;
	--out) out=${2:-}; shift ;;
	--no-setup) setup=0 ;;
	-h | --help) sed -n '4,39p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) die_usage "unknown option '$1' (see --help)" ;;
	esac
	shift
done
for v in cycles nconnects ncontainers reps; do
	[[ "${!v}" =~ ^[0-9]+$ ]] && [ "${!v}" -ge 1 ] && [ "${!v}" -le 1000 ] ||
		die_usage "--${v#n} wants a number from 1 to 1000"
done
[ -n "$out" ] || die_usage "--out wants a directory"
[ "$(id -u)" -eq 0 ] ||
	{ echo "benchmarks/soak.sh: run as root (it sets up a veth test host and a test user)" >&2; exit 1; }

### Setup, as run.sh does it.
. benchmarks/setup.sh
. tests/integration/oci-common.sh
setup_testhost
setup_user
SOAK_CLIENT=$repo/benchmarks/soak-client.py
nb_stage_vars BENCH_TCP BENCH_SYSCALL OCI_SIM SOAK_CLIENT
H=$NB_HOST4
mkdir -p "$out"
results=$out/results.tsv
: >"$results"

# The daemon's folders: a 0700 one of the user's, and an XDG_RUNTIME_DIR
# in it for the agents' service registry (whose files must not pile up).
D=$NB_TMP/soak
RT=$D/rt
install -d -m 0700 -o "$NB_USER" "$D" "$RT"
SOCK=$D/oci.sock
CTL=$D/oci.control
LOG=$D/oci.log
PIDF=$D/oci.pid
REG=$RT/nsbypass/services

soak_cleanup() {
	local rc=$?
	set +e
	oci_daemon_cleanup >/dev/null
	(exit "$rc")
	cleanup
}
trap soak_cleanup EXIT

# A server on the test host that accepts and closes.
SP=$(free_port)
start_bg accept "$NB_PYTHON" -u tests/integration/sink-server.py --close "$H" "$SP"
wait_for_port "$H" "$SP" tcp

start_bg oci as_user env XDG_RUNTIME_DIR="$RT" "$NSBYPASS" oci --listen "$SOCK" \
	--control "$CTL" --log-level info --log-file "$LOG" --pid-file "$PIDF"
for _ in $(seq 100); do [ -S "$CTL" ] && [ -s "$PIDF" ] && break; sleep 0.1; done
[ -S "$CTL" ] || nb_fail "nsbypass oci does not serve $CTL: $(tail -n 5 "$LOG" 2>/dev/null)"
DPID=$(cat "$PIDF")

# record SECTION METRIC CASE REP VALUE UNIT
record() {
	echo "$*" >>"$results"
	echo "  $*"
}

# container ID CMD...: an oci-sim container as the test user, bounded;
# its output in $D/ID.out.
container() {
	local id=$1
	shift
	as_user timeout -k 5 600 unshare -r -n "$OCI_SIM" --listener "$SOCK" \
		--id "$id" -- "$@" >"$D/$id.out" 2>&1
}

# status_json: what `nsbypass status --json` says now.
status_json() {
	as_user "$NSBYPASS" status --socket "$CTL" --json
}

# agent_pid ID: the pid of the agent serving container ID (5 s at most).
agent_pid() {
	local p _i
	for _i in $(seq 50); do
		p=$(status_json | python3 -c 'import json, sys
for c in json.load(sys.stdin)["containers"]:
    if c["id"] == sys.argv[1] and c["agent_pid"]:
        print(c["agent_pid"])' "$1") || true
		[ -z "$p" ] || { echo "$p"; return 0; }
		sleep 0.1
	done
	return 1
}

# counter ID NAME: a counter of container ID from the status.
counter() {
	status_json | python3 -c 'import json, sys
for c in json.load(sys.stdin)["containers"]:
    if c["id"] == sys.argv[1]:
        print(c[sys.argv[2]])' "$1" "$2"
}

# descendants PID: how many processes run below PID.
descendants() {
	_nb_tree "$1" | tail -n +2 | wc -l
}

# end_tree PID: end PID and all it started; wait for it.
end_tree() {
	local p
	for p in $(_nb_tree "$1"); do kill "$p" 2>/dev/null || true; done
	wait "$1" 2>/dev/null || true
}

# status_kb PID FIELD: FIELD (VmRSS, VmHWM) of /proc/PID/status in kB.
status_kb() {
	awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"
}

# pss_kb PID: the Pss of PID in kB (smaps_rollup).
pss_kb() {
	awk '$1 == "Pss:" { print $2 }' "/proc/$1/smaps_rollup"
}

# memfd_pss_kb PID: the Pss of PID's mappings of the agents' shared
# memory (memfd "nsbypass-agent"), in kB.
memfd_pss_kb() {
	awk '/^[0-9a-f]+-[0-9a-f]+ / { m = ($0 ~ /memfd:nsbypass-agent/) }
		m && $1 == "Pss:" { s += $2 } END { print s + 0 }' "/proc/$1/smaps"
}

# daemon_snapshot CASE: the daemon's fds (all, sockets, memfds), memory,
# processes below it and the registry's files, recorded as CASE.
daemon_snapshot() {
	local c=$1 fds socks memfds
	fds=$(find "/proc/$DPID/fd" -mindepth 1 | wc -l)
	socks=$(find "/proc/$DPID/fd" -mindepth 1 -lname 'socket:*' | wc -l)
	memfds=$(find "/proc/$DPID/fd" -mindepth 1 -lname '/memfd:*' | wc -l)
	record soak daemon-fds "$c" 1 "$fds" fds
	record soak daemon-sockets "$c" 1 "$socks" fds
	record soak daemon-memfds "$c" 1 "$memfds" fds
	record soak daemon-rss "$c" 1 "$(status_kb "$DPID" VmRSS)" kB
	record soak daemon-hwm "$c" 1 "$(status_kb "$DPID" VmHWM)" kB
	record soak daemon-procs "$c" 1 "$(descendants "$DPID")" procs
	record soak registry-files "$c" 1 "$(find "$REG" -mindepth 1 2>/dev/null | wc -l)" files
}

started=$(date +%s)
# Other work on the machine moves every figure: the table says how busy
# it was.
load0=$(cut -d' ' -f1-3 /proc/loadavg)
echo "soak: $cycles cycles x $nconnects connects, $ncontainers containers at once," \
	"$reps reps; daemon pid $DPID"

### soak: start/stop cycles, one after the other.
echo "soak"
daemon_snapshot start
failed=0
t0=$(date +%s%N)
for i in $(seq 1 "$cycles"); do
	container "soak-$i" "$NB_PYTHON" "$SOAK_CLIENT" connects "$H" "$SP" "$nconnects" ||
		{ failed=$((failed + 1)); echo "  cycle $i failed: $(cat "$D/soak-$i.out")"; }
	if [ "$i" -eq 1 ]; then
		oci_wait_no_agents || echo "  cycle 1: its agent is still running"
		daemon_snapshot cycle-1
	fi
done
t1=$(date +%s%N)
oci_wait_no_agents || echo "  agents still running after the last cycle: $(oci_agents)"
# The switched connects of all cycles, from their agents' stats lines.
switched=$(grep -o "info: agent: [0-9]* switched" "$LOG" | awk '{ s += $3 } END { print s + 0 }')
daemon_snapshot "end-$cycles"
record soak cycles-failed "end-$cycles" 1 "$failed" cycles
record soak connects-switched "end-$cycles" 1 "$switched" connects
record soak cycle-time all 1 "$(((t1 - t0) / cycles / 1000000))" ms

### density: many containers at once.
echo "density"
pids=()
for i in $(seq 1 "$ncontainers"); do
	container "dense-$i" sh -c "\"\$0\" \"\$1\" connects $H $SP 1 && touch $D/dense-$i.ready && exec sleep 600" \
		"$NB_PYTHON" "$SOAK_CLIENT" &
	pids+=("$!")
done
ready=0
for _ in $(seq 1200); do
	ready=$(find "$D" -maxdepth 1 -name 'dense-*.ready' | wc -l)
	[ "$ready" -lt "$ncontainers" ] || break
	sleep 0.1
done
echo "  $ready of $ncontainers containers connected"
sleep 1 # let the last nsagents settle
agents=$(pgrep -P "$DPID" -x nsbypass-agent || true)
total=0
for a in $agents; do
	p=$(pss_kb "$a") && m=$(memfd_pss_kb "$a") || continue
	record density agent-pss per-agent "$a" "$p" kB
	record density agent-memfd-pss per-agent "$a" "$m" kB
	total=$((total + p))
	for n in $(pgrep -P "$a" -f "^nsbypass-nsagent " || true); do
		p=$(pss_kb "$n") || continue
		record density nsagent-pss per-nsagent "$n" "$p" kB
		total=$((total + p))
	done
done
p=$(pss_kb "$DPID")
total=$((total + p))
record density containers-ready all 1 "$ready" containers
record density agents all 1 "$(wc -w <<<"$agents")" procs
record density daemon-rss all 1 "$(status_kb "$DPID" VmRSS)" kB
record density daemon-pss all 1 "$p" kB
record density daemon-memfd-pss all 1 "$(memfd_pss_kb "$DPID")" kB
record density daemon-fds all 1 "$(find "/proc/$DPID/fd" -mindepth 1 | wc -l)" fds
record density total-pss all 1 "$total" kB
for p in "${pids[@]}"; do end_tree "$p"; done
for _ in $(seq 100); do [ "$(oci_agents)" -eq 0 ] && break; sleep 0.1; done

### noisy: connect latency alone and next to a flood, interleaved.
echo "noisy"
# flood_start REP: a container (flood-REP) whose 8 processes call
# setsockopt(TCP_NODELAY) in a loop, every call trapped; FLOOD its pid.
flood_start() {
	FLOOD_ID=flood-$1
	container "$FLOOD_ID" sh -c 'i=0; while [ $i -lt 8 ]; do
		(while :; do "$0" setsockopt 100000 >/dev/null || exit 1; done) &
		i=$((i + 1)); done; wait' "$BENCH_SYSCALL" &
	FLOOD=$!
	agent_pid "$FLOOD_ID" >/dev/null || nb_fail "the flood container has no agent"
	sleep 0.5
}

# latency CASE REP: one bench-tcp crr run of 1 s in a container.
latency() {
	local port pid f=$D/crr-$1-$2.res n0 n1 t0 t1
	port=$(free_port)
	start_bg "crr-server-$1-$2" "$BENCH_TCP" server "$H" "$port"
	pid=$NB_LAST_PID
	wait_for_port "$H" "$port" tcp
	[ "$1" = quiet ] || { n0=$(counter "$FLOOD_ID" notifications); t0=$(date +%s%N); }
	if container "crr-$1-$2" sh -c '"$@" >"$0"' "$f" "$BENCH_TCP" crr "$H" "$port" 1; then
		record noisy connect-p50 "$1" "$2" "$(sed -n 's/^crr_p50_us: \([0-9.]*\) .*/\1/p' "$f")" us
		record noisy connect-p99 "$1" "$2" "$(sed -n 's/^crr_p99_us: \([0-9.]*\) .*/\1/p' "$f")" us
		record noisy crr "$1" "$2" "$(sed -n 's/^crr: \([0-9.]*\) .*/\1/p' "$f")" conn/s
	else
		echo "  crr $1 $2 failed: $(cat "$f" "$D/crr-$1-$2.out" 2>/dev/null | tail -n 3)"
		record noisy connect-p50 "$1" "$2" fail us
	fi
	if [ "$1" != quiet ]; then
		n1=$(counter "$FLOOD_ID" notifications)
		t1=$(date +%s%N)
		# Over the measuring container's life, its start included.
		record noisy flood-rate "$1" "$2" "$(((n1 - n0) * 1000000000 / (t1 - t0)))" calls/s
	fi
	kill "$pid" 2>/dev/null || true
}

for rep in $(seq 1 "$reps"); do
	# Alternate the order, so neither case always follows the other.
	if [ $((rep % 2)) -eq 1 ]; then
		latency quiet "$rep"
		flood_start "$rep"; latency flood "$rep"; end_tree "$FLOOD"
	else
		flood_start "$rep"; latency flood "$rep"; end_tree "$FLOOD"
		latency quiet "$rep"
	fi
	oci_wait_no_agents || true
done

### restart: SIGKILL of an agent, seen from its container's connect loop.
echo "restart"
for rep in $(seq 1 "$reps"); do
	id=restart-$rep
	mark=$D/$id.mark
	container "$id" "$NB_PYTHON" "$SOAK_CLIENT" gaps "$H" "$SP" 3 "$mark" &
	cpid=$!
	for _ in $(seq 100); do [ -e "$mark" ] && break; sleep 0.05; done
	a=$(agent_pid "$id") || nb_fail "$id has no agent"
	sleep 1
	kill -9 "$a"
	if wait "$cpid"; then
		record restart gap-max kill "$rep" \
			"$(sed -n 's/^gap_max_ms: \([0-9.]*\) .*/\1/p' "$D/$id.out")" ms
		record restart gap-p50 kill "$rep" \
			"$(sed -n 's/^gap_p50_ms: \([0-9.]*\) .*/\1/p' "$D/$id.out")" ms
	else
		echo "  $id failed: $(cat "$D/$id.out")"
		record restart gap-max kill "$rep" fail ms
	fi
	grep -q "container $id: agent pid [0-9]* took over" "$LOG" ||
		echo "  $id: no agent took over? $(grep "$id" "$LOG" | tail -n 3)"
done

{
	echo "nsbypass ${NB_DESCRIBE:-$(git -C "$repo" describe --always --dirty 2>/dev/null || echo '?')}," \
		"$(date -u +%Y-%m-%d), Linux $(uname -r), $(nproc) cores," \
		"soak: $cycles cycles x $nconnects connects, $ncontainers containers," \
		"$reps reps; servers on $H (veth); took $(($(date +%s) - started)) s;" \
		"load average $load0 at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end"
	echo "$(. /etc/os-release && echo "$PRETTY_NAME")"
	python3 benchmarks/soak-summary.py "$results" "$out"
} | tee "$out/table.txt"
oci_stop_daemon >/dev/null || true
echo "results: $out/table.txt, results.json, results.tsv"
