#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# run.sh - build nsbypass and run its whole test suite, unit and
# integration.  This is the project's one test command, for developers and
# CI alike (a fresh Debian 12 machine, as root):
#
#   tests/run.sh [--sanitize] [--build-dir DIR] [-- MESON-TEST-ARGS...]
#
# As root it first installs the missing Debian packages listed in
# tests/packages.txt and applies the machine fix-ups the tests need (see
# ENVIRONMENT.md).  Then it configures BUILD with -Dwerror=true, builds,
# runs "meson test", and summarises BUILD/meson-logs/testlog.json: the
# reason of every skipped test, and as the very last line
# "N passed, N failed, N skipped".  It exits non-zero if any test failed
# or none passed.  --sanitize builds in build-sanitize with ASan+UBSan.
set -euo pipefail

cd "$(dirname "$0")/.."

usage() {
	cat <<'EOF'
Usage: tests/run.sh [OPTIONS] [-- MESON-TEST-ARGS...]

Build nsbypass and run the unit and integration tests.

Options:
  --sanitize        build with -Db_sanitize=address,undefined (default
                    build dir: build-sanitize)
  --build-dir DIR   meson build directory (default: build)
  -h, --help        show this help

MESON-TEST-ARGS are passed to "meson test", e.g. -- --suite integration.
EOF
}

sanitize=0
build_dir=
test_args=()
while [ $# -gt 0 ]; do
	case $1 in
	--sanitize) sanitize=1 ;;
	--build-dir) [ $# -ge 2 ] || { usage >&2; exit 2; }
		build_dir=$2; shift ;;
	--build-dir=*) build_dir=${1#--build-dir=} ;;
	-h | --help) usage; exit 0 ;;
	--) shift; test_args=("$@"); break ;;
	*) echo "run.sh: unknown option '$1'" >&2; usage >&2; exit 2 ;;
	esac
	shift
done
if [ -z "$build_dir" ]; then
	if [ "$sanitize" -eq 1 ]; then
		build_dir=build-sanitize
	else
		build_dir=build
	fi
fi

start=$(date +%s)
log() { echo "run.sh: $*"; }
NB_SETUP_WHO=run.sh
. tests/setup.sh

### Packages and machine fix-ups (ENVIRONMENT.md).
nb_install_packages tests/packages.txt
# Whatever the distribution, these must be there now.
need_missing=()
for c in meson ninja cc pkg-config python3; do
	command -v "$c" >/dev/null 2>&1 || need_missing+=("command $c")
done
for m in libseccomp libuv; do
	pkg-config --exists "$m" 2>/dev/null || need_missing+=("pkg-config module $m")
done
if [ "${#need_missing[@]}" -ne 0 ]; then
	log "missing: ${need_missing[*]}"
	exit 1
fi
nb_machine_fixups
nb_user_preflight "${NB_USER:-nbtest}" || exit 1
[ "$(id -u)" -eq 0 ] ||
	log "note: not root: the integration tests need root and will be skipped"

### Configure and build.
opts=(-Dwerror=true)
if [ "$sanitize" -eq 1 ]; then
	opts+=("-Db_sanitize=address,undefined" -Db_lundef=false)
fi
nb_build "$build_dir" "${opts[@]}"
built=$(date +%s)
log "build took $((built - start)) s"

### Test.
# Sanitizer reports fail the test that triggered them; as_user in the
# integration tests passes these through to the user's processes.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1:abort_on_error=1}
testlog=$build_dir/meson-logs/testlog.json
rm -f "$testlog"
meson_rc=0
meson test -C "$build_dir" --print-errorlogs --num-processes 2 \
	"${test_args[@]}" || meson_rc=$?
log "meson test exit status $meson_rc; tests took $(($(date +%s) - built)) s," \
	"$(($(date +%s) - start)) s in all"

### Summary: skip reasons, then the one last line.
summary_rc=0
python3 - "$testlog" "$meson_rc" <<'EOF' || summary_rc=$?
import json
import os
import re
import sys

path, meson_rc = sys.argv[1], int(sys.argv[2])
passed = failed = skipped = 0
skip_re = re.compile(r"^(?:SKIP:\s*(.*)|.*#\s*SKIP\b\s*(.*))$")
if not os.path.exists(path):
    print("run.sh: no %s: meson test did not run" % path)
else:
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            t = json.loads(line)
            name, result = t.get("name", "?"), t.get("result", "?")
            if result in ("OK", "EXPECTEDFAIL"):
                passed += 1
            elif result == "SKIP":
                skipped += 1
                reason = "(no reason given)"
                out = (t.get("stdout") or "") + "\n" + (t.get("stderr") or "")
                for l in out.splitlines():
                    m = skip_re.match(l.strip())
                    if m and (m.group(1) or m.group(2)):
                        reason = (m.group(1) or m.group(2)).strip()
                print("SKIP %s: %s" % (name, reason))
            else:
                failed += 1
                print("FAIL %s: %s" % (name, result))
if meson_rc != 0 and failed == 0:
    print("run.sh: meson test failed (exit status %d) without a failed test"
          % meson_rc)
print("%d passed, %d failed, %d skipped" % (passed, failed, skipped))
sys.exit(1 if failed or passed == 0 or meson_rc != 0 else 0)
EOF
exit "$summary_rc"
