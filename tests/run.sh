#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# run.sh - build nsbypass and run its whole test suite, unit and
# integration.  This is the project's one test command, for developers and
# CI alike (a fresh Debian 12 machine, as root):
#
#   tests/run.sh [--sanitize] [--build-dir DIR] [--release-tier R]
#                [--fuzz SECONDS] [-- MESON-TEST-ARGS...]
#
# As root it first installs the missing Debian packages listed in
# tests/packages.txt and applies the machine fix-ups the tests need (see
# nb_machine_fixups in tests/setup.sh).  Then it configures BUILD with
# -Dwerror=true and -Dtest_hooks=true (the hooks the integration tests
# drive; never in a release build), builds, runs "meson test", and summarises
# BUILD/meson-logs/testlog.json: the reason of every skipped test, and as
# the very last line
# "N passed, N failed, N skipped".  It exits non-zero if any test failed
# or none passed.  --sanitize builds in build-sanitize with ASan+UBSan.
#
# Then the fuzzing (tests/fuzz/run.sh): every libFuzzer target, built with
# clang and ASan+UBSan in BUILD-fuzz, runs SECONDS (15) from its seed
# corpus; each counts in the last line as "fuzz/NAME" (a SKIP with the
# reason without clang or libFuzzer).  Only in the plain run: not with
# --sanitize, MESON-TEST-ARGS, NB_FUZZ=off or --fuzz off, and not in the
# release tier (release-root.sh sets NB_FUZZ=off), so that CI (.ci/run)
# fuzzes once, in its first run.
#
# Then the release tier: the same suite, built with -Dwerror=true, in a
# root of Debian testing (forky: podman 5.8 with pasta, crun 1.28, runc
# 1.3, Docker 28; tests/release-root.sh), made once and cached.  Its tests
# count in the last line as "forky/NAME".  If no forky root can be made
# (the mirror's testing moved or broke), trixie (Debian 13) runs instead,
# and the log says which.  Not with --sanitize, MESON-TEST-ARGS or
# NB_RELEASE_TIER=off; --release-tier trixie|forky|off chooses.
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
  --release-tier R  forky (default), trixie or off: the suite again in a
                    root of that Debian release (tests/release-root.sh)
  --fuzz SECONDS    run each fuzz target SECONDS (default 15), or off
                    (tests/fuzz/run.sh)
  -h, --help        show this help

MESON-TEST-ARGS are passed to "meson test", e.g. -- --suite integration.
EOF
}

sanitize=0
build_dir=
test_args=()
tier=${NB_RELEASE_TIER:-}
fuzz=${NB_FUZZ:-}
while [ $# -gt 0 ]; do
	case $1 in
	--sanitize) sanitize=1 ;;
	--build-dir) [ $# -ge 2 ] || { usage >&2; exit 2; }
		build_dir=$2; shift ;;
	--build-dir=*) build_dir=${1#--build-dir=} ;;
	--release-tier) [ $# -ge 2 ] || { usage >&2; exit 2; }
		tier=$2; shift ;;
	--release-tier=*) tier=${1#--release-tier=} ;;
	--fuzz) [ $# -ge 2 ] || { usage >&2; exit 2; }
		fuzz=$2; shift ;;
	--fuzz=*) fuzz=${1#--fuzz=} ;;
	-h | --help) usage; exit 0 ;;
	--) shift; test_args=("$@"); break ;;
	*) echo "run.sh: unknown option '$1'" >&2; usage >&2; exit 2 ;;
	esac
	shift
done
case $tier in
'')
	# The default: the tier with the full plain run, as root.
	tier=forky
	if [ "$sanitize" -eq 1 ] || [ "${#test_args[@]}" -ne 0 ] ||
	   [ "$(id -u)" -ne 0 ]; then
		tier=off
	fi ;;
forky | trixie | off) ;;
*) echo "run.sh: --release-tier wants forky, trixie or off, not '$tier'" >&2
	exit 2 ;;
esac
case $fuzz in
'')
	# The default: in the plain, whole run only (see the top).
	fuzz=15
	if [ "$sanitize" -eq 1 ] || [ "${#test_args[@]}" -ne 0 ]; then
		fuzz=off
	fi ;;
off) ;;
*[!0-9]* | 0*) echo "run.sh: --fuzz wants a number of seconds or off, not '$fuzz'" >&2
	exit 2 ;;
esac
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

### Packages and machine fix-ups (tests/setup.sh).
nb_install_packages tests/packages.txt
[ "$fuzz" = off ] || nb_install_packages tests/fuzz/packages.txt
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
opts=(-Dwerror=true -Dtest_hooks=true)
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

### Fuzzing: each target for $fuzz s (tests/fuzz/run.sh).
# fuzz_log: its testlog.json; fuzz_note: why it did not run.
fuzz_log=
fuzz_note=
fuzz_rc=0
if [ "$fuzz" != off ]; then
	fuzz_start=$(date +%s)
	if fuzz_note=$(bash tests/fuzz/run.sh --probe); then
		fuzz_log=${build_dir%/}-fuzz/meson-logs/testlog.json
		log "fuzzing: each target for $fuzz s (tests/fuzz/run.sh)"
		bash tests/fuzz/run.sh --seconds "$fuzz" \
			--build-dir "${build_dir%/}-fuzz" || fuzz_rc=$?
	fi
	log "fuzzing: exit status $fuzz_rc, $(($(date +%s) - fuzz_start)) s"
fi

### The release tier: the suite in a root of a newer Debian release.
# tier_ran: the release whose suite ran; tier_note: why none did.
tier_ran=
tier_note=
tier_rc=0
if [ "$tier" != off ]; then
	tier_start=$(date +%s)
	for r in "$tier" trixie; do
		log "release tier: the suite in a Debian $r root (tests/release-root.sh $r)"
		tier_rc=0
		bash tests/release-root.sh "$r" || tier_rc=$?
		if [ "$tier_rc" -ne 3 ]; then
			tier_ran=$r
			break
		fi
		tier_note="no $r root could be made (see above)"
		[ "$r" != trixie ] || break
		log "release tier: no $r root; trying trixie, the stable fallback"
	done
	log "release tier: ${tier_ran:-none} ran, exit status $tier_rc," \
		"$(($(date +%s) - tier_start)) s"
fi

### Summary: skip reasons, then the one last line.
summary_rc=0
tier_log=
[ -z "$tier_ran" ] ||
	tier_log=${NB_RELEASE_ROOTS:-/var/cache/nsbypass/roots}/$tier_ran/src/nsbypass/build/meson-logs/testlog.json
python3 - "$testlog" "$meson_rc" "$tier" "$tier_ran" "$tier_log" "$tier_rc" \
	"$tier_note" "$fuzz" "$fuzz_log" "$fuzz_rc" \
	"$fuzz_note" <<'EOF' || summary_rc=$?
import json
import os
import re
import sys

path, meson_rc = sys.argv[1], int(sys.argv[2])
tier, tier_ran, tier_log, tier_rc, tier_note = sys.argv[3:8]
tier_rc = int(tier_rc)
fuzz, fuzz_log, fuzz_rc, fuzz_note = sys.argv[8:12]
fuzz_rc = int(fuzz_rc)
passed = failed = skipped = 0
FAIL_LINES = 25
skip_re = re.compile(r"^(?:SKIP:\s*(.*)|.*#\s*SKIP\b\s*(.*))$")
# A failed check as the integration tests (FAIL:, ERROR:) and the unit
# tests (not ok, "# file:line: ...") print it.
check_re = re.compile(r"^(?:FAIL:|ERROR:|not ok\b|# \S+:\d+: )")


def count(path, prefix):
    """Count the tests of one testlog.json; False if there is none."""
    global passed, failed, skipped
    if not os.path.exists(path):
        return False
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            t = json.loads(line)
            name = prefix + t.get("name", "?")
            result = t.get("result", "?")
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
                # The test's own words, so that a CI log that keeps only
                # this summary still says why (a sanitizer report ends
                # its stderr, a failed check is a "# file:line" comment):
                # first its failed checks wherever they are (a cleanup's
                # trace can fill the tail), then the tail.
                checks = [l for stream in ("stdout", "stderr")
                          for l in (t.get(stream) or "").splitlines()
                          if check_re.match(l)]
                for l in checks[:FAIL_LINES]:
                    print("  check| %s" % l)
                for stream in ("stdout", "stderr"):
                    tail = (t.get(stream) or "").splitlines()[-FAIL_LINES:]
                    for l in tail:
                        print("  %s| %s" % (stream[3:], l))
    return True


if not count(path, ""):
    print("run.sh: no %s: meson test did not run" % path)
if meson_rc != 0 and failed == 0:
    print("run.sh: meson test failed (exit status %d) without a failed test"
          % meson_rc)
if fuzz != "off":
    before = failed
    if not fuzz_log:
        # One result per target either way: each has its seed corpus.
        for name in sorted(os.listdir("tests/fuzz/corpus")):
            skipped += 1
            print("SKIP fuzz/%s: %s" % (name, fuzz_note or "did not run"))
    elif not count(fuzz_log, "fuzz/"):
        # tests/fuzz/run.sh did not get to running a target: its build
        # failed.
        failed += 1
        print("FAIL fuzz: the fuzz targets were not built (exit status "
              "%d; see above)" % fuzz_rc)
    elif fuzz_rc != 0 and failed == before:
        failed += 1
        print("FAIL fuzz: tests/fuzz/run.sh exited %d without a failed "
              "target" % fuzz_rc)
if tier != "off":
    if not tier_ran:
        skipped += 1
        print("SKIP release-tier: %s" % (tier_note or "did not run"))
    elif not count(tier_log, tier_ran + "/"):
        # The root was there but its suite did not get to testing (its
        # build failed, say): that is a failure, not a skip.
        failed += 1
        print("FAIL release-tier: the %s suite ended (exit status %d) "
              "before any test ran" % (tier_ran, tier_rc))
    elif tier_rc != 0 and failed == 0:
        failed += 1
        print("FAIL release-tier: the %s suite exited %d without a failed "
              "test" % (tier_ran, tier_rc))
print("%d passed, %d failed, %d skipped" % (passed, failed, skipped))
sys.exit(1 if failed or passed == 0 or meson_rc != 0 else 0)
EOF
exit "$summary_rc"
