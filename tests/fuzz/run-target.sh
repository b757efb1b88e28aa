#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# run-target.sh - run one libFuzzer target for a bounded time (the
# fuzz suite's test; see README.md here):
#
#   run-target.sh EXE NAME FUZZ-DIR [LIBFUZZER-ARGS...]
#
# Starts from the seed corpus FUZZ-DIR/corpus/NAME (read only: what the
# run finds goes to a temporary directory, removed at the end) with the
# dictionary FUZZ-DIR/NAME.dict when there is one, for NB_FUZZ_SECONDS
# seconds (15 by default).  A crash, leak, sanitizer report or an input
# slower than 10 s fails the test; its input is kept as
# NB_FUZZ_ARTIFACTS/NAME-crash-SHA1 (default: fuzz-artifacts in the
# current directory, the build directory under meson test).
set -euo pipefail

[ $# -ge 3 ] || { echo "usage: run-target.sh EXE NAME FUZZ-DIR [ARGS...]" >&2; exit 2; }
exe=$1 name=$2 dir=$3
shift 3
secs=${NB_FUZZ_SECONDS:-15}
artifacts=${NB_FUZZ_ARTIFACTS:-$PWD/fuzz-artifacts}
seeds=$dir/corpus/$name
[ -d "$seeds" ] || { echo "run-target.sh: no seed corpus $seeds" >&2; exit 1; }
mkdir -p "$artifacts"
work=$(mktemp -d "${TMPDIR:-/tmp}/nsbypass-fuzz-$name.XXXXXX")
trap 'rm -rf "$work" "$work.log"' EXIT
args=(-max_total_time="$secs" -timeout=10 -rss_limit_mb=2048
	-print_final_stats=1 -artifact_prefix="$artifacts/$name-"
	# libFuzzer's default for both is 77, which meson takes for a skip.
	-error_exitcode=1 -timeout_exitcode=1)
[ ! -f "$dir/$name.dict" ] || args+=(-dict="$dir/$name.dict")
echo "run-target.sh: $name for $secs s from $seeds ($(find "$seeds" -type f | wc -l) seeds)"
# libFuzzer's log, whole only when it failed: a line per new input is
# too much for a CI log.
rc=0
"$exe" "${args[@]}" "$@" "$work" "$seeds" >"$work.log" 2>&1 || rc=$?
if [ "$rc" -ne 0 ]; then
	cat "$work.log"
	# Again at the end, for a summary that shows only the last lines:
	# what went wrong, where, and the input kept.
	grep -m 1 -E '^==[0-9]+==ERROR|assertion failed|runtime error' "$work.log" || true
	grep -m 4 -E '^ +#[0-3] ' "$work.log" || true
	grep -E 'Test unit written to|^SUMMARY:' "$work.log" | tail -n 2 || true
	rm -f "$work.log"
	echo "run-target.sh: $name failed (exit status $rc); the input is in $artifacts"
	exit 1
fi
# The last status line (executions, cov: and ft:) and the final stats.
grep -E '^#[0-9]+' "$work.log" | tail -n 1
grep '^stat::' "$work.log"
rm -f "$work.log"
