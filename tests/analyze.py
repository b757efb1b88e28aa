#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""analyze.py - static analysis of src/ and nsagent/, the "lint" suite.

    tests/analyze.py --tool clang-tidy|gcc-analyzer [--sanitize B_SANITIZE]
                     [BUILD_DIR]

Runs one analyser over every translation unit of src/ and nsagent/ in
BUILD_DIR/compile_commands.json (meson writes it; default: build), with
the build's own flags, as many at a time as there are CPUs:

  clang-tidy     the checks of the .clang-tidy at the root: clang's static
                 analyser (path-sensitive: null and garbage values, dead
                 stores...), bugprone-*, CERT's C rules.  Clang's analyser
                 does not run __attribute__((cleanup)) handlers, so its
                 malloc checker is off there (see .clang-tidy) and:
  gcc-analyzer   gcc -fanalyzer, which analyses the code after gcc has
                 turned each cleanup attribute into calls on every way out
                 of the scope: leaks, double frees, use after free, NULL
                 dereferences, through _cleanup_free_ and _cleanup_close_.

Each prints every finding and exits 1 on any (a false positive is
silenced on its line, see .clang-tidy, or the code made plain to the
analyser); 0 when clean.  It skips (exit 77, a "SKIP: why" line) when
the tool is missing (tests/packages.txt installs clang-tidy; gcc comes
with build-essential), in a sanitizer build (--sanitize, from meson: the
same code, analysed once, in the plain build), and when the tool is not
the release its findings were sorted for: clang-tidy 14 and gcc 12,
Debian 12's.  A newer one checks more and reports new things, so in the
release tier (tests/release-root.sh: a Debian testing root, whose
compilers move under us) it would fail for a change of the distribution,
not of nsbypass.  NB_ANALYZE_ANY_VERSION=1 runs any release (to sort its
findings before moving the pinned versions below); NB_CLANG_TIDY names
the clang-tidy program.
"""

import argparse
import concurrent.futures
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time

# The releases whose findings are sorted (fixed or silenced).
CLANG_TIDY_MAJOR = 14
GCC_MAJOR = 12
SKIP = 77


def skip(why):
    print("SKIP: " + why)
    sys.exit(SKIP)


def version_ok(tool, major, pinned):
    if major == pinned or os.environ.get("NB_ANALYZE_ANY_VERSION") == "1":
        return
    skip("%s %s is not %d, the release whose findings are sorted (a newer "
         "one reports new things; NB_ANALYZE_ANY_VERSION=1 runs it anyway)"
         % (tool, major, pinned))


def units(build_dir):
    """The compile commands of src/ and nsagent/, one per source file."""
    path = os.path.join(build_dir, "compile_commands.json")
    try:
        with open(path) as f:
            db = json.load(f)
    except OSError as e:
        print("analyze.py: %s: %s (run meson setup first)" % (path, e.strerror))
        sys.exit(1)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    dirs = tuple(os.path.join(root, d) + os.sep for d in ("src", "nsagent"))
    seen, out = set(), []
    for e in db:
        file = os.path.normpath(os.path.join(e["directory"], e["file"]))
        # src/netns.c is built twice (libnsbypass, the nsagent): once is
        # enough.
        if file.startswith(dirs) and file not in seen:
            seen.add(file)
            out.append(dict(e, path=file, rel=os.path.relpath(file, root)))
    if not out:
        print("analyze.py: no file of src/ or nsagent/ in " + path)
        sys.exit(1)
    return out


def gcc_command(e):
    """@e's compile command with -fanalyzer, writing nothing."""
    args = shlex.split(e["command"]) if "command" in e else list(e["arguments"])
    out, drop = [], 0
    for a in args:
        if drop:
            drop -= 1
        elif a in ("-o", "-MF", "-MQ", "-MT"):
            drop = 1
        elif a not in ("-MD", "-MMD") and \
                not a.startswith("-fdiagnostics-color"):
            out.append(a)
    return out + ["-fanalyzer", "-Werror", "-fdiagnostics-color=never",
                  "-o", os.devnull]


def compiler_major(cc):
    """gcc's major version of @cc, or None if @cc is not gcc."""
    try:
        p = subprocess.run([cc, "-E", "-dM", "-x", "c", os.devnull],
                           capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    macros = dict(re.findall(r"^#define (\w+) (.*)$", p.stdout, re.M))
    if "__clang__" in macros or "__GNUC__" not in macros:
        return None
    return int(macros["__GNUC__"])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tool", required=True,
                    choices=("clang-tidy", "gcc-analyzer"))
    ap.add_argument("--sanitize", default="none",
                    help="the build's b_sanitize (meson passes it)")
    ap.add_argument("build_dir", nargs="?", default="build")
    a = ap.parse_args()

    if a.sanitize != "none":
        skip("a sanitizer build (b_sanitize=%s): the same code is analysed "
             "once, in the plain build" % a.sanitize)
    a.build_dir = os.path.abspath(a.build_dir)
    todo = units(a.build_dir)
    if a.tool == "clang-tidy":
        prog = os.environ.get("NB_CLANG_TIDY", "clang-tidy")
        if not shutil.which(prog):
            skip("%s is not installed (tests/packages.txt lists it: "
                 "apt-get install clang-tidy)" % prog)
        v = subprocess.run([prog, "--version"], capture_output=True,
                           text=True).stdout
        m = re.search(r"LLVM version (\d+)", v)
        version_ok(prog, int(m.group(1)) if m else "?", CLANG_TIDY_MAJOR)
        # The .clang-tidy at the root applies; every finding is an error
        # there (WarningsAsErrors), so the exit status tells.
        cmds = [[prog, "-p", a.build_dir, "--quiet", e["path"]] for e in todo]
        label = "%s %s" % (prog, m.group(1) if m else "?")
    else:
        cc = gcc_command(todo[0])[0]
        major = compiler_major(cc)
        if major is None:
            skip("the build's compiler (%s) is not gcc: -fanalyzer is "
                 "gcc's" % cc)
        version_ok("gcc", major, GCC_MAJOR)
        cmds = [gcc_command(e) for e in todo]
        label = "gcc %d -fanalyzer" % major

    def run(i):
        p = subprocess.run(cmds[i], cwd=todo[i]["directory"],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True)
        # clang-tidy says "N warnings generated" for what it filtered out.
        bad = p.returncode != 0 or \
            re.search(r"^\S+:\d+:\d+: (warning|error):", p.stdout, re.M)
        return bad, p.stdout

    start = time.monotonic()
    failed = []
    with concurrent.futures.ThreadPoolExecutor(os.cpu_count() or 2) as ex:
        for e, (bad, out) in zip(todo, ex.map(run, range(len(todo)))):
            if bad:
                failed.append(e["rel"])
                print("=== %s: %s" % (label, e["rel"]))
                print(out.rstrip())
    print("analyze.py: %s: %d files, %d with findings, %.0f s"
          % (label, len(todo), len(failed), time.monotonic() - start))
    if failed:
        print("analyze.py: findings in " + " ".join(failed))
        print("analyze.py: fix them, or silence a false positive on its "
              "line with the reason (see .clang-tidy)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
