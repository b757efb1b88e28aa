#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# run.sh - build the libFuzzer targets (clang, ASan+UBSan) and run each
# for a bounded time; tests/run.sh calls it (README.md here).
#
#   tests/fuzz/run.sh [--seconds N] [--build-dir DIR] [TARGET...]
#   tests/fuzz/run.sh --probe
#
# Configures DIR (default build-fuzz) with CC=clang -Dfuzz=true
# -Db_sanitize=address,undefined, builds only the targets (alias
# fuzz-targets), and runs the meson suite 'fuzz' (every target, or those
# named) with N seconds per target (15 by default), as many at once as
# there are CPUs.  The results are in DIR/meson-logs/testlog.json.
# Exit status: 0, 1 when a build or a target failed, 77 (with one line
# "SKIP: REASON") when clang or libFuzzer is missing.  --probe only says
# whether they are there (0, or 77 and the reason on stdout).
set -euo pipefail

cd "$(dirname "$0")/../.."

secs=15
dir=build-fuzz
probe=0
while [ $# -gt 0 ]; do
	case $1 in
	--seconds) [ $# -ge 2 ] || { echo "run.sh: --seconds wants N" >&2; exit 2; }
		secs=$2; shift ;;
	--build-dir) [ $# -ge 2 ] || { echo "run.sh: --build-dir wants DIR" >&2; exit 2; }
		dir=$2; shift ;;
	--probe) probe=1 ;;
	-h | --help) sed -n '4,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	-*) echo "run.sh: unknown option '$1'" >&2; exit 2 ;;
	*) break ;;
	esac
	shift
done
case $secs in
'' | *[!0-9]*) echo "run.sh: --seconds wants a number of seconds, not '$secs'" >&2; exit 2 ;;
esac

# fuzz_probe: can clang link a libFuzzer target with ASan+UBSan?
fuzz_probe() {
	local t rc=0
	command -v clang >/dev/null 2>&1 || {
		echo "clang is missing (Debian: apt-get install clang libclang-rt-dev)"
		return 77
	}
	t=$(mktemp -d "${TMPDIR:-/tmp}/nsbypass-fuzz-probe.XXXXXX")
	printf '%s\n' '#include <stddef.h>' '#include <stdint.h>' \
		'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);' \
		'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { return 0; }' >"$t/p.c"
	clang -fsanitize=fuzzer,address,undefined -o "$t/p" "$t/p.c" >"$t/log" 2>&1 || rc=$?
	if [ "$rc" -ne 0 ]; then
		echo "clang cannot link a libFuzzer target (Debian: apt-get install libclang-rt-dev): $(head -n 1 "$t/log")"
		rm -rf "$t"
		return 77
	fi
	rm -rf "$t"
}

if [ "$probe" -eq 1 ]; then
	fuzz_probe
	exit
fi
reason=$(fuzz_probe) || { echo "SKIP: $reason"; exit 77; }

opts=(-Dfuzz=true -Dtests=false -Dbenchmarks=false
	-Db_sanitize=address,undefined -Db_lundef=false)
if [ -f "$dir/meson-private/coredata.dat" ]; then
	meson configure "$dir" "${opts[@]}" >/dev/null
else
	CC=clang meson setup "$dir" "${opts[@]}" >"${TMPDIR:-/tmp}/nsbypass-fuzz-setup.log" 2>&1 || {
		cat "${TMPDIR:-/tmp}/nsbypass-fuzz-setup.log"
		exit 1
	}
fi
ninja -C "$dir" fuzz-targets
rm -f "$dir/meson-logs/testlog.json"
# A crash stops the target's run and fails its test; the sanitizers abort
# so that libFuzzer keeps the input.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1:abort_on_error=1}
NB_FUZZ_SECONDS=$secs meson test -C "$dir" --suite fuzz --no-rebuild \
	--num-processes "$(nproc)" --print-errorlogs "$@"
