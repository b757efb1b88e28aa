#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tests/format-check.sh [--fix] [SOURCE-DIR]: every C file of the project
# formatted as .clang-format says, by Debian 12's clang-format 14 (the
# reference: other versions break lines differently).  Without --fix it
# prints the files that differ, with the first lines of their diff, and
# exits 1; with --fix it rewrites them.  Exit 77 (skipped) without
# clang-format 14.
set -euo pipefail

fix=0
if [ "${1:-}" = --fix ]; then fix=1; shift; fi
src=${1:-$(dirname "$0")/..}
cd "$src"

want=14
fmt=
for c in clang-format-$want clang-format; do
	if command -v "$c" >/dev/null &&
	   "$c" --version | grep -Eq "version $want\."; then
		fmt=$c
		break
	fi
done
if [ -z "$fmt" ]; then
	echo "# SKIP no clang-format $want (the reference formatter, Debian 12's;" \
	     "found: $(clang-format --version 2>/dev/null || echo none))"
	exit 77
fi

mapfile -t files < <(find src nsagent tests benchmarks -name '*.[ch]' | sort)
if [ "$fix" = 1 ]; then
	"$fmt" --style=file -i "${files[@]}"
	echo "format-check: ${#files[@]} files formatted with $fmt"
	exit 0
fi
bad=0
for f in "${files[@]}"; do
	if ! d=$("$fmt" --style=file "$f" | diff -u "$f" -); then
		bad=$((bad + 1))
		echo "not formatted: $f ($(grep -c '^+[^+]' <<<"$d") lines differ)"
		head -n 20 <<<"$d" | sed 's/^/    /'
	fi
done
if [ "$bad" -gt 0 ]; then
	echo "format-check: $bad of ${#files[@]} files differ;" \
	     "tests/format-check.sh --fix rewrites them"
	exit 1
fi
echo "format-check: ${#files[@]} files formatted as .clang-format says"
