#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# test-man.sh NSBYPASS MANPAGE - nsbypass(1) cannot drift from the help
# texts: every command that `nsbypass --help` lists has a section
# ".SS nsbypass CMD" in MANPAGE, and every long option (any --word) and
# annotation (nsbypass.KEY) that `nsbypass CMD --help` prints is named in
# that section; the global help's options are named in the page.  The page must also format without a
# groff warning.
set -euo pipefail

nsbypass=$1 man=$2
# shellcheck source=tests/doc/common.sh
. "$(dirname "$0")/common.sh"

[ -x "$nsbypass" ] || { echo "FAIL: no $nsbypass"; exit 1; }
[ -r "$man" ] || { echo "FAIL: no man page $man"; exit 1; }

# The page's text as written, with roff's escapes for '-' and fonts
# removed: "\-\-listen" is "--listen", "\fB--x\fP" is "--x".
plain=$(sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' -e 's/\\e/\\/g' "$man")

# long_opts: every --word and every annotation name (nsbypass.KEY) on
# stdin, once each.
long_opts() {
	grep -oE -- '--[a-z0-9][a-z0-9-]*|nsbypass\.[a-z][a-z0-9-]*' |
		sed 's/-*$//' | sort -u
}

# section CMD: the page's text from ".SS nsbypass CMD" to the next .SS/.SH.
section() {
	awk -v cmd="$1" '
		/^\.S[SH] / { on = ($1 == ".SS" && $2 == "nsbypass" && $3 == cmd) }
		on' <<<"$plain"
}

# check_opts WHERE TEXT HELP...: every long option of HELP is in TEXT.
check_opts() {
	local where=$1 text=$2 opt n=0
	shift 2
	while read -r opt; do
		[ -n "$opt" ] || continue
		n=$((n + 1))
		grep -qE -- "(^|[^a-z0-9-])${opt//./\\.}([^a-z0-9-]|\$)" <<<"$text" ||
			doc_fail "$where: $opt (from '$*') is not in $man"
	done < <("$@" 2>&1 | long_opts)
	echo "checked $n long options and annotations of '$*' against $where"
	[ "$n" -gt 0 ] || doc_fail "'$*' printed no long option"
}

check_opts "the page" "$plain" "$nsbypass" --help
cmds=$("$nsbypass" --help | awk '/^Commands:/ { on = 1; next }
	on && /^$/ { exit } on && $1 ~ /^[a-z]/ { print $1 }')
[ -n "$cmds" ] || doc_fail "no commands in 'nsbypass --help'"
for cmd in $cmds; do
	text=$(section "$cmd")
	if [ -z "$text" ]; then
		doc_fail "no section '.SS nsbypass $cmd' in $man"
		continue
	fi
	check_opts "section 'nsbypass $cmd'" "$text" "$nsbypass" "$cmd" --help
done
# Sections for commands that no longer exist.
while read -r cmd; do
	grep -qx -- "$cmd" <<<"$cmds" ||
		doc_fail "$man has a section 'nsbypass $cmd', but --help lists no such command"
done < <(awk '$1 == ".SS" && $2 == "nsbypass" { print $3 }' <<<"$plain")

# No placeholder left unfilled, and groff formats it without a warning.
if grep -n '@[a-zA-Z_]*@' "$man"; then
	doc_fail "$man has unfilled @...@ placeholders"
fi
if command -v groff >/dev/null; then
	warn=$(groff -man -ww -z "$man" 2>&1) || doc_fail "groff failed on $man"
	[ -z "$warn" ] || doc_fail "groff warns: $warn"
else
	echo "note: no groff: $man not formatted"
fi

doc_done "$man names every command, long option and annotation of the help texts"
