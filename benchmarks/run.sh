#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# run.sh - measure nsbypass against the host and the user-space stacks,
# side by side in one run, and print the speedup table.
#
#   benchmarks/run.sh [--full | --smoke] [--time S] [--reps N]
#                     [--only NAME,...] [--out DIR] [--json FILE]
#                     [--csv FILE] [--no-setup]
#
# As root on a fresh Debian 12 machine it sets up what is missing
# (packages, /dev/net/tun, the build, the veth test host 10.99.0.1 and the
# unprivileged user nbtest), then runs every workload from every path to
# servers on the test host, interleaved (rep 1: A B C, rep 2: A B C, ...)
# so that the machine's noise hits every path alike.  Rootless paths run
# as nbtest.  It prints a table with each path's median, min-max and its
# ratio to host and to slirp4netns, PASS/MISS per target, and writes
# results.json, results.csv, table.txt and chart.png to the output
# directory (default bench-out/).
#
# Modes: quick (default, under 3 minutes), --full (10 s x 5 reps, every
# workload on every path, then benchmarks/soak.sh into OUT/soak and
# benchmarks/multinode.sh into OUT/multinode unless --only is given),
# --smoke (about 15 s: host, nsbypass and
# slirp4netns only, used by the test suite to keep the harness working).
# --only takes workload and/or path names:
#   workloads: bulk-tcp bulk-tcp-4 bulk-tcp-in bulk-tcp-in-4 udp crr rr
#              redis syscall c2c lan
#   paths:     host nsbypass nsbypass-slirp slirp4netns slirp4netns-1500
#              pasta pasta-nsbypass podman-nsbypass podman-slirp4netns
#              podman-pasta-nsbypass podman-pasta docker-nsbypass docker
# nsbypass-slirp: the target --ignore'd, so that traffic goes through
# nsbypass's own libslirp fallback.  pasta-nsbypass: nsbypass run
# --net=none with pasta attached as podman 5 attaches it.  lan: from a
# "node" namespace to a LAN peer on its uplink's subnet, which pasta
# mirrors into the container (host, pasta and pasta-nsbypass only).  The
# engine paths, benchmarks/engines.sh, are rootless podman (runc and
# slirp4netns; podman 5's pasta and crun) and rootless Docker, with and
# without nsbypass (podman: its profile and `nsbypass oci`; Docker: the
# `nsbypass runtime` wrapper); they run in --full mode or when --only
# names them, each where its engine runs: podman 5 and Docker 28 in the
# release tier's root, `tests/release-root.sh forky --run
# benchmarks/run.sh ...`.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

mode=quick
time_s=
reps=
only=
out=$repo/bench-out
json_to=
csv_to=
setup=1
die_usage() { echo "benchmarks/run.sh: $*" >&2; exit 2; }
while [ $# -gt 0 ]; do
	case $1 in
	--full) mode=full ;;
	--smoke) mode=smoke ;;
	--time) time_s=${2:-}; shift ;;
	--reps) reps=${2:-}; shift ;;
	--only) only=${2:-}; shift ;;
	--out) out=${2:-}; shift ;;
	--json) json_to=${2:-}; shift ;;
	--csv) csv_to=${2:-}; shift ;;
	--no-setup) setup=0 ;;
	-h | --help) sed -n '4,42p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) die_usage "unknown option '$1' (see --help)" ;;
	esac
	shift
done
case $mode in
quick) : "${time_s:=2}" "${reps:=3}" ;;
full) : "${time_s:=10}" "${reps:=5}" ;;
smoke) : "${time_s:=1}" "${reps:=1}" ;;
esac
[[ "$time_s" =~ ^[0-9]+$ ]] && [ "$time_s" -ge 1 ] && [ "$time_s" -le 600 ] ||
	die_usage "--time wants whole seconds from 1 to 600"
[[ "$reps" =~ ^[0-9]+$ ]] && [ "$reps" -ge 1 ] && [ "$reps" -le 100 ] ||
	die_usage "--reps wants a number from 1 to 100"
[ -n "$out" ] || die_usage "--out wants a directory"
[ "$(id -u)" -eq 0 ] ||
	{ echo "benchmarks/run.sh: run as root (it sets up a veth test host and a test user)" >&2; exit 1; }

all_workloads=(bulk-tcp bulk-tcp-4 bulk-tcp-in bulk-tcp-in-4 udp crr rr redis syscall c2c lan)
all_paths=(host nsbypass nsbypass-slirp slirp4netns slirp4netns-1500 pasta
	pasta-nsbypass podman-nsbypass podman-slirp4netns podman-pasta-nsbypass podman-pasta
	docker-nsbypass docker)
workloads=()
paths=()
if [ -n "$only" ]; then
	IFS=, read -r -a names <<<"$only"
	for n in "${names[@]}"; do
		if [[ " ${all_workloads[*]} " == *" $n "* ]]; then
			workloads+=("$n")
		elif [[ " ${all_paths[*]} " == *" $n "* ]]; then
			paths+=("$n")
		else
			die_usage "--only: '$n' is no workload (${all_workloads[*]}) nor path (${all_paths[*]})"
		fi
	done
fi
if [ "$mode" = smoke ]; then
	[ "${#workloads[@]}" -gt 0 ] || workloads=(bulk-tcp bulk-tcp-in crr rr syscall)
	# slirp4netns too: its wrapper script is the harness's own part that
	# the test user runs (a checkout out of the user's reach broke it).
	[ "${#paths[@]}" -gt 0 ] || paths=(host nsbypass slirp4netns)
fi
[ "${#workloads[@]}" -gt 0 ] || workloads=("${all_workloads[@]}")
if [ "${#paths[@]}" -eq 0 ]; then
	paths=("${all_paths[@]}")
	# Container starts cost seconds: the podman paths are --full's.
	[ "$mode" = full ] || paths=("${paths[@]:0:7}")
fi

### Setup.
. benchmarks/setup.sh
setup_testhost
setup_user
# The user runs the benchmark programs and the slirp4netns wrapper too:
# staged copies (nb_stage), whatever the checkout's folder.
IN_SLIRP4NETNS=$repo/benchmarks/in-slirp4netns.sh
IN_PASTA_NSBYPASS=$repo/benchmarks/in-pasta-nsbypass.sh
nb_stage_vars BENCH_TCP BENCH_SYSCALL IN_SLIRP4NETNS IN_PASTA_NSBYPASS
# A directory the user can write (iperf3 output, the agent's numbers).
udir=$NB_TMP/user
install -d -m 0700 -o "$NB_USER" "$udir"
mkdir -p "$out"
results=$out/results.tsv
: >"$results"

### Servers on the test host, one per kind, for the whole run.
H=$NB_HOST4
iperf_port=$(free_port)
start_bg iperf3 iperf3 -s -B "$H" -p "$iperf_port"
wait_for_port "$H" "$iperf_port" tcp
if [[ " ${workloads[*]} " == *" redis "* ]]; then
	if command -v redis-server >/dev/null && command -v redis-benchmark >/dev/null; then
		redis_port=$(free_port)
		start_bg redis redis-server --bind "$H" --port "$redis_port" \
			--save '' --appendonly no --protected-mode no
		wait_for_port "$H" "$redis_port" tcp
	else
		echo "benchmarks: redis-server/redis-benchmark missing: no redis workload"
		workloads=("${workloads[@]/redis/}")
	fi
fi

# The container engine paths (benchmarks/engines.sh).
. benchmarks/engines.sh
engines_setup "${paths[@]}"

# bench_bin PATH PROGRAM: where PROGRAM is seen from behind PATH.
bench_bin() {
	case $1 in
	podman-* | docker*) echo "/opt/nb/${2##*/}" ;;
	*) echo "$2" ;;
	esac
}

# in_path PATH CMD...: run CMD as the test user behind PATH, bounded: a
# stuck run is recorded as failed within seconds, not minutes.
in_path() {
	local path=$1 t=$((time_s * 4 + 30))
	shift
	case $path in
	host) as_user timeout "$t" "$@" ;;
	nsbypass) as_user timeout "$t" "$NSBYPASS" run --net=none -- "$@" ;;
	nsbypass-slirp) as_user timeout "$t" "$NSBYPASS" run --net=slirp \
		--ignore="$H/32" -- "$@" ;;
	slirp4netns) as_user timeout "$t" "$IN_SLIRP4NETNS" 65520 "$@" ;;
	slirp4netns-1500) as_user timeout "$t" "$IN_SLIRP4NETNS" 1500 "$@" ;;
	pasta) as_user timeout "$t" pasta --config-net --quiet -- "$@" ;;
	pasta-nsbypass) as_user timeout "$t" "$IN_PASTA_NSBYPASS" "$NSBYPASS" - \
		-- "$@" ;;
	podman-* | docker*) engine_run "$path" "$@" ;;
	esac
}

# in_path_published PATH HOSTPORT PORT CMD...: like in_path, with the test
# host's $H:HOSTPORT published to PORT inside, each path its own way: a
# bind bypass (nsbypass), libslirp's hostfwd (nsbypass --ignore-bind,
# slirp4netns through its API socket as rootless engines do), pasta -t.
# On the host path CMD itself must listen on $H:HOSTPORT.
in_path_published() {
	local path=$1 hp=$2 cp=$3 t=$((time_s * 4 + 30))
	shift 3
	case $path in
	host) as_user timeout "$t" "$@" ;;
	nsbypass) as_user timeout "$t" "$NSBYPASS" run --net=none \
		--publish="$H:$hp:$cp" -- "$@" ;;
	nsbypass-slirp) as_user timeout "$t" "$NSBYPASS" run --net=slirp \
		--ignore-bind --publish="$H:$hp:$cp" -- "$@" ;;
	slirp4netns) as_user timeout "$t" "$IN_SLIRP4NETNS" 65520 \
		--publish="$H:$hp:$cp" "$@" ;;
	slirp4netns-1500) as_user timeout "$t" "$IN_SLIRP4NETNS" 1500 \
		--publish="$H:$hp:$cp" "$@" ;;
	pasta) as_user timeout "$t" pasta --config-net --quiet \
		-t "$H/$hp:$cp" -- "$@" ;;
	pasta-nsbypass) as_user timeout "$t" "$IN_PASTA_NSBYPASS" "$NSBYPASS" - \
		--publish="$H:$hp:$cp" -- "$@" ;;
	podman-* | docker*) engine_run_published "$path" "$hp" "$cp" "$@" ;;
	esac
}

# Which paths a workload runs on: the interception cost only means
# something where there is interception; quick mode keeps the slow
# user-space paths to the headline workloads (to stay under 3 minutes).
runs_on() {
	local w=$1 p=$2
	case $p in
	podman-* | docker*) engine_ready "$p" || return 1 ;;
	esac
	case $w in
	syscall) [ "$p" = host ] || [ "$p" = nsbypass ] ;;
	lan) [ "$p" = host ] || [ "$p" = pasta ] || [ "$p" = pasta-nsbypass ] ;;
	c2c) [ "$p" = host ] || [ "$p" = nsbypass ] || { [ "$mode" = full ] &&
		{ [ "$p" = nsbypass-slirp ] || [ "$p" = slirp4netns ]; }; } ;;
	bulk-tcp) true ;;
	bulk-tcp-in) [ "$mode" = full ] || [ "$p" = host ] ||
		[ "$p" = nsbypass ] || [ "$p" = slirp4netns ] ;;
	crr | rr) [ "$mode" = full ] ||
		{ [ "$p" != pasta ] && [ "$p" != slirp4netns-1500 ]; } ;;
	*) [ "$mode" = full ] || [ "$p" = host ] || [ "$p" = nsbypass ] ;;
	esac
}

# record WORKLOAD PATH REP VALUE UNIT
record() {
	echo "$1 $2 $3 $4 $5" >>"$results"
	echo "  $1 $2 rep $3: $4 $5"
}

# jget FILE EXPR: evaluate EXPR on the JSON document j of FILE.
jget() {
	python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

# last_value FILE NAME: the value of the line "NAME: VALUE UNIT".
last_value() {
	sed -n "s/^$2: \([0-9.]*\) .*/\1/p" "$1" | tail -n 1
}

# iperf PATH REP NAME ARGS...: one iperf3 measurement, JSON in $udir.
# The server runs one test at a time and answers "the server is busy"
# while it tears the last one down, and a user-space stack can lose the
# control connection's first packets: up to three tries, each failure
# said with its reason, so a cell reads "failed" only when the path is
# broken.
iperf() {
	local try why
	for try in 1 2 3; do
		iperf_once "$@" && return 0
		why=$({ jget "$udir/iperf.json" 'j.get("error", "")' 2>/dev/null
			tail -n 2 "$NB_TMP/iperf.err"; } | tr '\n' ' ')
		echo "  $1: $3 try $try failed: ${why:-no output}"
		sleep 1
	done
	return 1
}

iperf_once() {	# iperf_once PATH REP NAME ARGS...
	local p=$1 rep=$2 name=$3
	shift 3
	rm -f "$udir/iperf.json"
	if [ "$p" = nsbypass ] && [ "$name" = bulk-tcp ]; then
		# Also read the agent's CPU time and peak RSS: the agent is
		# the parent of the command inside.
		in_path "$p" sh -c 'cat /proc/$PPID/stat >"$1/agent.stat0"
			shift; iperf3 "$@" >"$0/iperf.json"; rc=$?
			cat /proc/$PPID/stat >"$0/agent.stat1"
			grep VmHWM /proc/$PPID/status >"$0/agent.status"
			exit $rc' "$udir" "$udir" -c "$H" -p "$iperf_port" \
			-t "$time_s" -J "$@" 2>"$NB_TMP/iperf.err"
	else
		in_path "$p" sh -c 'iperf3 "$@" >"$0/iperf.json"' "$udir" \
			-c "$H" -p "$iperf_port" -t "$time_s" -J "$@" \
			2>"$NB_TMP/iperf.err"
	fi
}

w_bulk() {	# w_bulk PATH REP NAME STREAMS
	local v
	if iperf "$1" "$2" "$3" -P "$4"; then
		v=$(jget "$udir/iperf.json" '"%.3f" % (j["end"]["sum_received"]["bits_per_second"] / 1e9)')
	else
		v=fail
	fi
	record "$3" "$1" "$2" "$v" Gbit/s
	if [ "$1" = nsbypass ] && [ "$3" = bulk-tcp ] && [ -s "$udir/agent.stat1" ]; then
		# utime+stime (fields 14, 15) in clock ticks, over the run.
		local hz t0 t1 rss
		hz=$(getconf CLK_TCK)
		t0=$(awk '{print $14 + $15}' "$udir/agent.stat0")
		t1=$(awk '{print $14 + $15}' "$udir/agent.stat1")
		record agent-cpu nsbypass "$2" \
			"$(awk -v a="$t0" -v b="$t1" -v hz="$hz" -v s="$time_s" \
				'BEGIN { printf "%.2f", (b - a) / hz / s * 100 }')" "%core"
		rss=$(awk '{print $2}' "$udir/agent.status")
		record agent-rss nsbypass "$2" "$(awk -v k="$rss" 'BEGIN { printf "%.2f", k / 1024 }')" MiB
	fi
}

w_bulk_in() {	# w_bulk_in PATH REP NAME STREAMS: host -> container, published port
	local hp cp v=fail got spid i
	hp=$(free_port)
	cp=$hp
	[ "$1" = host ] || cp=5201
	# A one-off iperf3 server inside; the client on the host retries
	# until it answers, since a slirp forward listens before the
	# server inside does (the early connects get a reset).
	if [ "$1" = host ]; then
		in_path_published host "$hp" "$cp" iperf3 -s -1 -B "$H" -p "$hp" \
			>"$NB_TMP/iperf-in-server.log" 2>&1 &
	else
		in_path_published "$1" "$hp" "$cp" iperf3 -s -1 -p "$cp" \
			>"$NB_TMP/iperf-in-server.log" 2>&1 &
	fi
	spid=$!
	for i in $(seq 50); do
		if as_user timeout $((time_s + 20)) iperf3 -c "$H" -p "$hp" \
			-t "$time_s" -P "$4" -J >"$udir/iperf-in.json" 2>"$NB_TMP/iperf.err" &&
			got=$(jget "$udir/iperf-in.json" '"%.3f" % (j["end"]["sum_received"]["bits_per_second"] / 1e9)' 2>/dev/null); then
			v=$got
			break
		fi
		kill -0 "$spid" 2>/dev/null || break
		sleep 0.2
	done
	[ "$v" != fail ] || echo "  $1: $3 failed: $(tail -n 3 "$NB_TMP/iperf-in-server.log" | tr '\n' ' ')"
	record "$3" "$1" "$2" "$v" Gbit/s
	# The server exits after its one test; do not leave it behind if
	# the client never got through.
	for i in $(seq 50); do kill -0 "$spid" 2>/dev/null || break; sleep 0.1; done
	kill "$spid" 2>/dev/null || true
	wait "$spid" 2>/dev/null || true
}

w_udp() {	# UDP at a fixed offered rate: received rate and loss
	local rate=1G v loss
	if iperf "$1" "$2" udp -u -b "$rate"; then
		v=$(jget "$udir/iperf.json" '"%.3f" % (j["end"]["sum"]["bits_per_second"] / 1e9)')
		loss=$(jget "$udir/iperf.json" '"%.2f" % j["end"]["sum"]["lost_percent"]')
	else
		v=fail loss=fail
	fi
	record udp-1G "$1" "$2" "$v" Gbit/s
	record udp-1G-loss "$1" "$2" "$loss" "%"
}

w_bench_tcp() {	# w_bench_tcp PATH REP MODE: crr or rr through bench-tcp
	local f=$udir/bench.out v port pid
	# A server per run.  crr: every connection leaves a TIME_WAIT socket
	# for 60 s; on one server port they pile up and the source-port
	# search in connect() slows every later run.  rr: a shared server
	# would end after its 600 s bound, halfway through a --full run.
	port=$(free_port)
	start_bg "$3-server-$1-$2" "$BENCH_TCP" server "$H" "$port"
	pid=$NB_LAST_PID
	wait_for_port "$H" "$port" tcp
	# crr runs 1 s whatever --time says: client and server share this
	# host's port space, and a TIME_WAIT holds its 4-tuple for 60 s, so
	# about 28,000 connections to one server port exhaust the ephemeral
	# ports (slirp then reports ENETUNREACH).  More runs, not longer ones.
	# rr: 1 s is about 30,000 round trips, plenty for p50 and p99.
	local secs=1
	if in_path "$1" sh -c '"$@" >"$0"' "$f" "$(bench_bin "$1" "$BENCH_TCP")" "$3" "$H" \
		"$port" "$secs" 2>"$NB_TMP/bench.err"; then
		if [ "$3" = crr ]; then
			record crr "$1" "$2" "$(last_value "$f" crr)" conn/s
		else
			record rr-p50 "$1" "$2" "$(last_value "$f" rr_p50_us)" us
			record rr-p99 "$1" "$2" "$(last_value "$f" rr_p99_us)" us
		fi
	else
		echo "  $1: bench-tcp $3 failed: $(tail -n 2 "$NB_TMP/bench.err" "$f" 2>/dev/null | tr '\n' ' ')"
		if [ "$3" = crr ]; then record crr "$1" "$2" fail conn/s
		else record rr-p50 "$1" "$2" fail us; fi
	fi
	kill "$pid" 2>/dev/null || true
}

w_redis() {	# redis-benchmark GET and SET against the host's redis
	local f=$udir/redis.csv n=$((time_s > 2 ? time_s * 10000 : 20000)) set get
	if in_path "$1" sh -c 'redis-benchmark "$@" >"$0"' "$f" -h "$H" \
		-p "$redis_port" -t set,get -n "$n" -q --csv 2>"$NB_TMP/redis.err"; then
		set=$(awk -F'","' '/^"SET"/ {print $2}' "$f" | tr -d '"')
		get=$(awk -F'","' '/^"GET"/ {print $2}' "$f" | tr -d '"')
	else
		set=fail get=fail
	fi
	record redis-set "$1" "$2" "${set:-fail}" req/s
	record redis-get "$1" "$2" "${get:-fail}" req/s
}

w_syscall() {	# microseconds per trapped setsockopt(), an untrapped call, the floor
	local f=$udir/syscall.out n=$((time_s * 20000)) modes="setsockopt untrapped"
	# The floor (a supervisor of our own that does no work) is the
	# machine's, not a path's: measured once a repetition, on the host.
	[ "$1" = host ] && modes="$modes floor"
	if in_path "$1" sh -c 'out=$1 bin=$2 n=$3; shift 3; : >"$out"
		for m; do "$bin" "$m" "$n" >>"$out" || exit 1; done' \
		sh "$f" "$(bench_bin "$1" "$BENCH_SYSCALL")" "$n" $modes \
		2>"$NB_TMP/syscall.err"; then
		record syscall-trapped "$1" "$2" "$(ns_to_us "$f" setsockopt)" us
		record syscall-untrapped "$1" "$2" "$(ns_to_us "$f" getsockopt)" us
		[ "$1" != host ] ||
			record syscall-floor "$1" "$2" "$(ns_to_us "$f" floor)" us
	else
		echo "  $1: bench-syscall failed: $(tail -n 2 "$NB_TMP/syscall.err" "$f" 2>/dev/null | tr '\n' ' ')"
		record syscall-trapped "$1" "$2" fail us
	fi
}

# ns_to_us FILE NAME: bench-syscall's headline NAME in microseconds.
ns_to_us() {
	awk -v ns="$(last_value "$1" "$2")" 'BEGIN { printf "%.2f", ns / 1000 }'
}

# c2c: container -> container through a published port, each path its
# own way.  nsbypass: two runs of distinct --cidr sharing a per-user
# registry; B connects to A's container address, which B's service map
# switches to A's host listener.  nsbypass-slirp and slirp4netns: B
# connects to A's port published on the test host, out through B's
# libslirp and in through A's hostfwd, what rootless containers do today.
# host: two host processes over the test host's address, the limit.
C2C_PORT=5201
c2c_xdg=$udir/xdg
install -d -m 0700 -o "$NB_USER" "$c2c_xdg"

# c2c_side SIDE PATH HP CMD...: CMD as c2c's server (a, published on
# $H:HP) or client (b) on PATH, bounded as in_path is.
c2c_side() {
	local side=$1 p=$2 hp=$3 t=$((time_s * 4 + 30))
	shift 3
	case $p/$side in
	host/*) as_user timeout "$t" "$@" ;;
	nsbypass/a) as_user env XDG_RUNTIME_DIR="$c2c_xdg" timeout "$t" \
		"$NSBYPASS" run --cidr=10.41.0.0/24 \
		--publish="$H:$hp:$C2C_PORT" -- "$@" ;;
	nsbypass/b) as_user env XDG_RUNTIME_DIR="$c2c_xdg" timeout "$t" \
		"$NSBYPASS" run --log-level=info --cidr=10.42.0.0/24 -- "$@" \
		2>"$NB_TMP/c2c-agent.log" ;;
	nsbypass-slirp/a) as_user timeout "$t" "$NSBYPASS" run --net=slirp \
		--ignore-bind --publish="$H:$hp:$C2C_PORT" -- "$@" ;;
	nsbypass-slirp/b) as_user timeout "$t" "$NSBYPASS" run --net=slirp \
		--ignore="$H/32" -- "$@" ;;
	slirp4netns/a) as_user timeout "$t" "$IN_SLIRP4NETNS" 65520 \
		--publish="$H:$hp:$C2C_PORT" "$@" ;;
	slirp4netns/b) as_user timeout "$t" "$IN_SLIRP4NETNS" 65520 "$@" ;;
	esac
}

# c2c_ready PATH HP SPID: wait (10 s at most) until A serves: its host
# listener (the bind bypass) and its registry record under nsbypass; a
# slirp forward listens before the server inside does, so the client
# retries there.
c2c_ready() {
	local i
	[ "$1" = host ] || [ "$1" = nsbypass ] || return 0
	for i in $(seq 100); do
		if _nb_listening "$H" "$2" tcp && { [ "$1" = host ] ||
			grep -qs "^entry .* $2 " "$c2c_xdg"/nsbypass/services/*; }; then
			return 0
		fi
		kill -0 "$3" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# c2c_end SPID: end the server side and all it started.
c2c_end() {
	local p
	for p in $(_nb_tree "$1"); do kill "$p" 2>/dev/null || true; done
	wait "$1" 2>/dev/null || true
}

# c2c_client PATH HP DST DPORT TRIES CMD...: the client, retried: a
# slirp forward listens before the server inside does.  True when CMD
# succeeded.
c2c_client() {
	local p=$1 hp=$2 tries=$5 i
	shift 5
	for i in $(seq "$tries"); do
		c2c_side b "$p" "$hp" "$@" && return 0
		kill -0 "$spid" 2>/dev/null || return 1
		sleep 0.2
	done
	return 1
}

w_c2c() {	# w_c2c PATH REP: c2c-bulk (iperf3, 1 stream) and c2c-crr
	local p=$1 hp spid v dst=$H dport sport addr=0.0.0.0
	[ "$p" != nsbypass ] || dst=10.41.0.100
	# A connect the map does not serve (B's scan not in yet) must not
	# follow the host's default route off this machine.
	if [ "$p" = nsbypass ] && [ -z "${c2c_unroutable:-}" ]; then
		nb_unroutable 10.41.0.0/24 10.42.0.0/24
		c2c_unroutable=1
	fi
	for m in c2c-bulk c2c-crr; do
		# Server side: on the host at $H:HP; in A at C2C_PORT,
		# published on $H:HP.  The client reaches A at its address
		# (nsbypass) or at the published port.
		hp=$(free_port)
		sport=$C2C_PORT dport=$hp
		case $p in
		host) sport=$hp addr=$H ;;
		nsbypass) dport=$C2C_PORT ;;
		esac
		if [ "$m" = c2c-bulk ]; then
			c2c_side a "$p" "$hp" iperf3 -s -1 -B "$addr" -p "$sport" \
				>"$NB_TMP/c2c-server.log" 2>&1 &
		else
			c2c_side a "$p" "$hp" "$BENCH_TCP" server "$addr" "$sport" \
				>"$NB_TMP/c2c-server.log" 2>&1 &
		fi
		spid=$!
		v=fail
		if ! c2c_ready "$p" "$hp" "$spid"; then
			:
		elif [ "$m" = c2c-bulk ]; then
			c2c_client "$p" "$hp" "$dst" "$dport" 50 \
				sh -c 'iperf3 "$@" >"$0" && grep -q sum_received "$0"' \
				"$udir/c2c.json" -c "$dst" -p "$dport" -t "$time_s" -J \
				2>"$NB_TMP/c2c.err" &&
				v=$(jget "$udir/c2c.json" '"%.3f" % (j["end"]["sum_received"]["bits_per_second"] / 1e9)') ||
				v=fail
		else
			c2c_client "$p" "$hp" "$dst" "$dport" 20 \
				sh -c '"$@" >"$0"' "$udir/c2c.out" "$BENCH_TCP" crr \
				"$dst" "$dport" 1 2>"$NB_TMP/c2c.err" &&
				v=$(last_value "$udir/c2c.out" crr) || v=fail
		fi
		[ "$v" != fail ] ||
			echo "  $p: $m failed: $(tail -n 3 "$NB_TMP/c2c-server.log" "$NB_TMP/c2c.err" 2>/dev/null | tr '\n' ' ')"
		# Switched by B's map, or not measuring what it claims.
		[ "$p" != nsbypass ] ||
			echo "  nsbypass: B's $(grep -o 'agent: .*' "$NB_TMP/c2c-agent.log" | tail -n 1)"
		record "$m" "$p" "$2" "${v:-fail}" "$([ "$m" = c2c-bulk ] && echo Gbit/s || echo conn/s)"
		c2c_end "$spid"
	done
}

# lan: the topology of tests/integration/test-pasta.sh.  A "node"
# namespace, whose uplink veth has LAN_NODE_ADDR/24 and a default route
# via a router that does not answer (pasta maps the gateway to the node's
# loopback, so it must not be the peer), leads to a LAN peer namespace
# with LAN_PEER_ADDR/24 and the servers.  pasta copies the uplink's
# address and route into the container: the peer is on a subnet of the
# container's, mirrored from the node, which nsbypass bypasses.  The
# client runs as the test user in the node: directly (host), under pasta
# alone, under nsbypass with pasta attached.
LAN_NODE=nbbnode
LAN_PEER=nbbpeer
LAN_IF=nbbn0
LAN_NODE_ADDR=10.124.0.1
LAN_PEER_ADDR=10.124.0.2
lan_ready=0

lan_setup() {
	[ "$lan_ready" = 0 ] || return 0
	nb_netns "$LAN_NODE" "$LAN_PEER"
	ip link add "$LAN_IF" netns "$LAN_NODE" type veth peer name nbbp0 \
		netns "$LAN_PEER"
	ip -n "$LAN_NODE" addr add "$LAN_NODE_ADDR/24" dev "$LAN_IF"
	ip -n "$LAN_PEER" addr add "$LAN_PEER_ADDR/24" dev nbbp0
	ip -n "$LAN_NODE" link set "$LAN_IF" up
	ip -n "$LAN_PEER" link set nbbp0 up
	ip -n "$LAN_NODE" route add default via 10.124.0.254
	lan_iperf_port=$(free_port)
	start_bg lan-iperf3 ip netns exec "$LAN_PEER" iperf3 -s \
		-B "$LAN_PEER_ADDR" -p "$lan_iperf_port"
	lan_wait_port "$lan_iperf_port" || nb_fail "no iperf3 server on the LAN peer"
	lan_ready=1
}

# lan_wait_port PORT: true once the peer listens on PORT (5 s at most).
lan_wait_port() {
	for _ in $(seq 50); do
		ip netns exec "$LAN_PEER" ss -Hltn src "$LAN_PEER_ADDR:$1" |
			grep . >/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# in_lan PATH CMD...: CMD as the test user in the node, behind PATH; the
# agent's log (pasta-nsbypass) in NB_TMP/lan-agent.log.
in_lan() {
	local path=$1 t=$((time_s * 4 + 30))
	shift
	case $path in
	host) NB_AS_USER_NETNS=$LAN_NODE as_user timeout "$t" "$@" ;;
	pasta) NB_AS_USER_NETNS=$LAN_NODE as_user timeout "$t" pasta \
		--config-net --quiet -i "$LAN_IF" -- "$@" ;;
	pasta-nsbypass) NB_AS_USER_NETNS=$LAN_NODE as_user timeout "$t" \
		"$IN_PASTA_NSBYPASS" "$NSBYPASS" "$LAN_IF" --log-level=info \
		-- "$@" 2>"$NB_TMP/lan-agent.log" ;;
	esac
}

w_lan() {	# w_lan PATH REP: lan-bulk (iperf3, 1 stream) and lan-crr
	local p=$1 v port pid
	lan_setup
	v=fail
	rm -f "$udir/lan.json"
	if in_lan "$p" sh -c 'iperf3 "$@" >"$0"' "$udir/lan.json" \
		-c "$LAN_PEER_ADDR" -p "$lan_iperf_port" -t "$time_s" -J \
		2>"$NB_TMP/lan.err"; then
		v=$(jget "$udir/lan.json" '"%.3f" % (j["end"]["sum_received"]["bits_per_second"] / 1e9)') || v=fail
	fi
	[ "$v" != fail ] || echo "  $p: lan-bulk failed: $(tail -n 3 "$NB_TMP/lan.err" 2>/dev/null | tr '\n' ' ')"
	lan_switched "$p"
	record lan-bulk "$p" "$2" "$v" Gbit/s
	# A server per run, as w_bench_tcp does (TIME_WAIT sockets).
	port=$(free_port)
	start_bg "lan-crr-server-$p-$2" ip netns exec "$LAN_PEER" \
		"$BENCH_TCP" server "$LAN_PEER_ADDR" "$port"
	pid=$NB_LAST_PID
	v=fail
	if lan_wait_port "$port" && in_lan "$p" sh -c '"$@" >"$0"' \
		"$udir/lan.out" "$BENCH_TCP" crr "$LAN_PEER_ADDR" "$port" 1 \
		2>"$NB_TMP/lan.err"; then
		v=$(last_value "$udir/lan.out" crr)
	fi
	[ "$v" != fail ] || echo "  $p: lan-crr failed: $(tail -n 3 "$NB_TMP/lan.err" "$udir/lan.out" 2>/dev/null | tr '\n' ' ')"
	lan_switched "$p"
	record lan-crr "$p" "$2" "${v:-fail}" conn/s
	kill "$pid" 2>/dev/null || true
}

# lan_switched PATH: say what the agent did (bypassed, or not measuring
# what it claims).
lan_switched() {
	[ "$1" = pasta-nsbypass ] || return 0
	echo "  pasta-nsbypass: $(grep -o 'agent: .*' "$NB_TMP/lan-agent.log" | tail -n 1)"
}

run_workload() {	# run_workload WORKLOAD PATH REP
	case $1 in
	bulk-tcp) w_bulk "$2" "$3" bulk-tcp 1 ;;
	bulk-tcp-4) w_bulk "$2" "$3" bulk-tcp-4 4 ;;
	bulk-tcp-in) w_bulk_in "$2" "$3" bulk-tcp-in 1 ;;
	bulk-tcp-in-4) w_bulk_in "$2" "$3" bulk-tcp-in-4 4 ;;
	udp) w_udp "$2" "$3" ;;
	crr) w_bench_tcp "$2" "$3" crr ;;
	rr) w_bench_tcp "$2" "$3" rr ;;
	redis) w_redis "$2" "$3" ;;
	syscall) w_syscall "$2" "$3" ;;
	c2c) w_c2c "$2" "$3" ;;
	lan) w_lan "$2" "$3" ;;
	esac
}

started=$(date +%s)
echo "benchmarks: $mode mode, workloads: ${workloads[*]}; paths: ${paths[*]};" \
	"$reps reps x ${time_s}s, interleaved"
for rep in $(seq 1 "$reps"); do
	for w in "${workloads[@]}"; do
		[ -n "$w" ] || continue
		for p in "${paths[@]}"; do
			runs_on "$w" "$p" || continue
			run_workload "$w" "$p" "$rep"
		done
	done
done

{
	echo "nsbypass ${NB_DESCRIBE:-$(git -C "$repo" describe --always --dirty 2>/dev/null || echo '?')}," \
		"$(date -u +%Y-%m-%d), Linux $(uname -r), $(nproc) cores," \
		"$mode mode: $reps x ${time_s}s per path, interleaved," \
		"servers on $H (veth); took $(($(date +%s) - started)) s"
	echo "$(. /etc/os-release && echo "$PRETTY_NAME")${ENGINE_VERSIONS:+; ${ENGINE_VERSIONS%; }}"
	python3 benchmarks/summary.py "$results" "$out"
} | tee "$out/table.txt"
if command -v gnuplot >/dev/null; then
	python3 benchmarks/chart.py "$out/results.json" "$out/chart.gp" "$out/chart.png" &&
		gnuplot "$out/chart.gp" && echo "chart: $out/chart.png"
else
	echo "chart: gnuplot missing (apt-get install gnuplot-nox), no chart.png"
fi
# The soak and density of `nsbypass oci` (their own table), when --only
# did not choose what to run.
if [ "$mode" = full ] && [ -z "$only" ]; then
	bash benchmarks/soak.sh --no-setup --out "$out/soak" ||
		echo "benchmarks: soak.sh failed (its output is above)"
	# Across two nodes: host to host, nsbypass's cluster map, an overlay.
	bash benchmarks/multinode.sh --no-setup --time "$time_s" --reps "$reps" \
		--out "$out/multinode" ||
		echo "benchmarks: multinode.sh failed (its output is above)"
fi
[ -z "$json_to" ] || cp "$out/results.json" "$json_to"
[ -z "$csv_to" ] || cp "$out/results.csv" "$csv_to"
echo "results: $out/table.txt, results.json, results.csv"
