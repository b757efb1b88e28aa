#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# test-bash-completion.sh NSBYPASS COMPLETION - the bash completion: once
# sourced, `complete -p nsbypass` names its function, and the function
# gives the commands, a command's options (read from its --help), the
# values of --net/--log-level/--netns-type, and commands after run's "--".
# NSBYPASS is put first in PATH under the name nsbypass, as installed.
set -euo pipefail

nsbypass=$1 completion=$2
# shellcheck source=tests/doc/common.sh
. "$(dirname "$0")/common.sh"

bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
ln -s "$(realpath "$nsbypass")" "$bin/nsbypass"
PATH=$bin:$PATH

# shellcheck source=contrib/bash-completion/nsbypass
. "$completion"
spec=$(complete -p nsbypass 2>&1) || true
if [[ "$spec" == "complete -F _nsbypass nsbypass" ]]; then
	echo "PASS: complete -p nsbypass: $spec"
else
	doc_fail "complete -p nsbypass: '$spec'"
fi

# comp LINE: COMPREPLY for the cursor at the end of LINE, split as bash
# splits it (COMP_WORDBREAKS: "--net=no" is three words, "--net" "=" "no").
comp() {
	local line=$1
	read -ra COMP_WORDS <<<"$(sed -E 's/=/ = /g' <<<"$line")"
	[[ "$line" == *" " ]] && COMP_WORDS+=("")
	[[ "$line" == *"=" ]] && COMP_WORDS[-1]="="
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMP_LINE=$line
	COMP_POINT=${#line}
	COMPREPLY=()
	_nsbypass nsbypass "${COMP_WORDS[COMP_CWORD]}" \
		"${COMP_WORDS[COMP_CWORD - 1]:-}" 2>/dev/null
	printf '%s\n' "${COMPREPLY[@]}" | sort
}

# expect LINE WANT...: the completions of LINE are exactly WANT.
expect() {
	local line=$1 got want
	shift
	got=$(comp "$line" | paste -sd' ')
	want=$(printf '%s\n' "$@" | sort | paste -sd' ')
	if [ "$got" = "$want" ]; then
		echo "PASS: '$line<TAB>': $got"
	else
		doc_fail "'$line<TAB>': got '$got', want '$want'"
	fi
}

# has LINE WORD...: the completions of LINE include every WORD.
has() {
	local line=$1 got w
	shift
	got=$(comp "$line")
	for w in "$@"; do
		grep -qxF -- "$w" <<<"$got" ||
			doc_fail "'$line<TAB>': no '$w' in: $(paste -sd' ' <<<"$got")"
	done
	echo "PASS: '$line<TAB>' includes $*"
}

expect "nsbypass r" run runtime
expect "nsbypass s" slirp4netns status
expect "nsbypass st" status
has "nsbypass " run slirp4netns profile oci daemon runtime status --help --version
expect "nsbypass run --ig" --ignore= --ignore-bind
has "nsbypass run -" --net= --mtu= --cidr= --enable-ipv6 --publish= --log-level= --help --version
expect "nsbypass run --net=" slirp none
expect "nsbypass run --net=n" none
expect "nsbypass oci --log-level=d" debug
expect "nsbypass slirp4netns --netns-type=p" pid path
expect "nsbypass profile --l" --listener
expect "nsbypass daemon --so" --socket=
has "nsbypass status -" --socket= --json --help --version
has "nsbypass oci --" --control= --metrics=
has "nsbypass runtime -" --runtime --listener --metadata --help
has "nsbypass run -- bas" bash
expect "nsbypass run --net=none -- nsbypas" nsbypass
# --listener takes its value as the next word: files, not options.
d=$(mktemp -d)
touch "$d/agent.sock"
expect "nsbypass profile --listener $d/ag" "$d/agent.sock"
# --runtime too: a file (the real runtime).
touch "$d/crun"
expect "nsbypass runtime --runtime $d/cr" "$d/crun"
# --control=: files.
expect "nsbypass oci --control=$d/ag" "$d/agent.sock"
rm -rf "$d"

doc_done "bash completion"
