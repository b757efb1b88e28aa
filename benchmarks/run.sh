#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# run.sh - measure nsbypass against the host and the user-space stacks,
# side by side in one run, and print the speedup table.
#
#   benchmarks/run.sh [--full] [--time S] [--reps N] [--only PATH,...]
#                     [--out DIR]
#
# As root on a fresh Debian 12 machine it sets up what is missing
# (packages, /dev/net/tun, the build, the veth test host 10.99.0.1 and the
# unprivileged user nbtest), then runs iperf3 from each path to a server on
# the test host, interleaved (A B C A B C ...) so that the machine's noise
# hits every path alike.  Rootless paths run as nbtest.  Quick mode takes
# about a minute.
#
# Paths: host (a plain process), nsbypass (nsbypass run --net=none),
# slirp4netns (MTU 65520), slirp4netns-1500, pasta.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

time_s=3
reps=3
only=
out=$repo/bench-out
while [ $# -gt 0 ]; do
	case $1 in
	--full) time_s=10; reps=5 ;;
	--time) time_s=${2:?}; shift ;;
	--reps) reps=${2:?}; shift ;;
	--only) only=${2:?}; shift ;;
	--out) out=${2:?}; shift ;;
	-h | --help) sed -n '4,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "benchmarks/run.sh: unknown option '$1'" >&2; exit 2 ;;
	esac
	shift
done
[[ "$time_s" =~ ^[0-9]+$ ]] && [ "$time_s" -ge 1 ] ||
	{ echo "benchmarks/run.sh: --time wants whole seconds >= 1" >&2; exit 2; }
[[ "$reps" =~ ^[0-9]+$ ]] && [ "$reps" -ge 1 ] ||
	{ echo "benchmarks/run.sh: --reps wants a number >= 1" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] ||
	{ echo "benchmarks/run.sh: run as root (it sets up a veth test host and a test user)" >&2; exit 1; }

NB_SETUP_WHO=benchmarks
. tests/setup.sh
nb_install_packages tests/packages.txt benchmarks/packages.txt
nb_machine_fixups
nb_build build -Dwerror=true >/dev/null
. tests/integration/common.sh
setup_testhost
setup_user
mkdir -p "$out"
results=$out/results.tsv
: >"$results"

port=$(free_port)
start_bg iperf3-server iperf3 -s -B "$NB_HOST4" -p "$port"
wait_for_port "$NB_HOST4" "$port" tcp

all_paths=(host nsbypass slirp4netns slirp4netns-1500 pasta)
paths=()
for p in "${all_paths[@]}"; do
	if [ -z "$only" ] || [[ ",$only," == *",$p,"* ]]; then
		paths+=("$p")
	fi
done
[ "${#paths[@]}" -gt 0 ] ||
	{ echo "benchmarks/run.sh: --only names no path of: ${all_paths[*]}" >&2; exit 2; }

# in_path PATH CMD...: run CMD (as the test user) behind PATH.
in_path() {
	local path=$1
	shift
	case $path in
	host) as_user timeout 120 "$@" ;;
	nsbypass) as_user timeout 120 "$NSBYPASS" run --net=none -- "$@" ;;
	slirp4netns) as_user timeout 120 "$repo/benchmarks/in-slirp4netns.sh" 65520 "$@" ;;
	slirp4netns-1500) as_user timeout 120 "$repo/benchmarks/in-slirp4netns.sh" 1500 "$@" ;;
	pasta) as_user timeout 120 pasta --config-net --quiet -- "$@" ;;
	esac
}

# bulk_tcp PATH REP: one iperf3 run container -> host, Gbit/s received.
bulk_tcp() {
	local json=$NB_TMP/iperf.json v
	if in_path "$1" iperf3 -c "$NB_HOST4" -p "$port" -t "$time_s" -J \
		>"$json" 2>"$NB_TMP/iperf.err"; then
		v=$(python3 -c 'import json,sys; print("%.3f" % (json.load(open(sys.argv[1]))["end"]["sum_received"]["bits_per_second"] / 1e9))' "$json")
	else
		v=fail
		echo "  $1: iperf3 failed: $(tail -n 2 "$NB_TMP/iperf.err" | tr '\n' ' ')"
	fi
	echo "bulk-tcp $1 $2 $v Gbit/s" >>"$results"
	echo "  bulk-tcp $1 rep $2: $v Gbit/s"
}

echo "benchmarks: ${#paths[@]} paths x $reps reps x ${time_s}s, interleaved"
for rep in $(seq 1 "$reps"); do
	for p in "${paths[@]}"; do
		bulk_tcp "$p" "$rep"
	done
done

{
	echo "nsbypass $(git -C "$repo" describe --always --dirty 2>/dev/null || echo '?')," \
		"$(date -u +%Y-%m-%d), $(uname -r), $(nproc) cores," \
		"iperf3 1 stream ${time_s}s x $reps to $NB_HOST4 (veth)"
	python3 benchmarks/summary.py "$results" "$out"
} | tee "$out/table.txt"
echo "results: $out/table.txt, results.csv, results.json"
