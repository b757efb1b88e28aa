#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# test-nsagent-tap.sh - nsbypass-nsagent sets up the fallback network's
# tap inside a rootless netns and hands it over, as the unprivileged user.
#
# nsagent-tap-check.py plays the agent inside "unshare -r -n": with --tap
# tap0 --mtu 65520 --address 10.0.2.100/24 --gateway 10.0.2.2 the first
# message is "tap tap0\n" with one fd that TUNGETIFF calls tap0 (IFF_TAP),
# nsagent keeps no copy, the link is up with its MTU, address and default
# route, lo is up, the next messages are a report ("addrs" naming
# 10.0.2.100, then "subnets" naming 10.0.2.0/24),
# and nsagent exits within 2 s once the agent's end closes.  Without
# --tap the first message is a report, as before.  A set-up failure (a
# gateway off the link) ends nsagent with one stderr line, no message and
# no tap left behind.  Bad arguments (a tap name too long, missing or
# malformed settings) exit 2 with exactly one stderr line.
set -xeuo pipefail
# shellcheck source=tests/integration/common.sh
. "$(dirname "$0")/common.sh"

NSAGENT=${NSAGENT:-$NB_REPO/build/nsagent/nsbypass-nsagent}
[ -x "$NSAGENT" ] || nb_fail "binary $NSAGENT not built"
setup_rootless_test
require_cmd ip
require_tun "nsagent --tap"

# The user runs nsagent and the check script: staged copies (nb_stage).
CHECK=$(nb_stage "$NB_ITEST_DIR/nsagent-tap-check.py")
nb_stage_vars NSAGENT

# in_netns CMD...: as NB_USER, CMD in a fresh rootless user+net namespace.
# shellcheck disable=SC2317 # called through nb_exec
in_netns() {
	as_user timeout -k 5 60 unshare -r -n "$@"
}

nb_expect_ok "--tap: tap handed over, configured, reported" \
	in_netns "$NB_PYTHON" "$CHECK" "$NSAGENT" tap
nb_expect_last "--tap: tap handed over, configured, reported" "OK all checks of tap"
nb_expect_ok "without --tap: a subnet report first, no fd" \
	in_netns "$NB_PYTHON" "$CHECK" "$NSAGENT" plain
nb_expect_ok "--tap with a gateway off the link: one line, exit 1, no tap" \
	in_netns "$NB_PYTHON" "$CHECK" "$NSAGENT" fail --tap tap0 --mtu 1500 \
	--address 10.0.2.100/24 --gateway 10.0.3.2

# expect_usage_error DESC ARGS...: nsagent exits 2 with one stderr line.
# The trace of the shell functions on the way must not count as a line.
exec {xtrace_fd}>&2
BASH_XTRACEFD=$xtrace_fd
expect_usage_error() {
	local desc=$1 lines
	shift
	nb_exec in_netns "$NSAGENT" "$@"
	lines=$(printf '%s' "$NB_ERR" | grep -c '' || true)
	if [ "$NB_RC" -ne 2 ]; then
		nb_error "$desc: exit status $NB_RC, want 2"
	elif [ "$lines" -ne 1 ]; then
		nb_error "$desc: $lines lines on stderr, want exactly 1"
	elif [[ "$NB_ERR" != "nsbypass-nsagent: "* ]]; then
		nb_error "$desc: stderr does not start with 'nsbypass-nsagent: '"
	else
		nb_pass "$desc: $NB_ERR"
	fi
}

rf=(--report-fd 1)
ok_args=(--mtu 65520 --address 10.0.2.100/24 --gateway 10.0.2.2)
expect_usage_error "tap name of 16 characters" \
	"${rf[@]}" --tap 0123456789abcdef "${ok_args[@]}"
expect_usage_error "tap name with a slash" "${rf[@]}" --tap tap/0 "${ok_args[@]}"
expect_usage_error "--tap without --gateway" \
	"${rf[@]}" --tap tap0 --mtu 65520 --address 10.0.2.100/24
expect_usage_error "--address without a prefix" \
	"${rf[@]}" --tap tap0 --mtu 65520 --address 10.0.2.100 --gateway 10.0.2.2
expect_usage_error "--gateway not IPv4" \
	"${rf[@]}" --tap tap0 --mtu 65520 --address 10.0.2.100/24 --gateway fd00::2
expect_usage_error "--mtu 65536" \
	"${rf[@]}" --tap tap0 --mtu 65536 --address 10.0.2.100/24 --gateway 10.0.2.2
expect_usage_error "--address6 without --gateway6" \
	"${rf[@]}" --tap tap0 "${ok_args[@]}" --address6 fd00::100/64
expect_usage_error "tap settings without --tap" "${rf[@]}" --mtu 1500
expect_usage_error "unknown argument" "${rf[@]}" --tap tap0 "${ok_args[@]}" --bogus 1
expect_usage_error "no --report-fd" --tap tap0 "${ok_args[@]}"
nb_done
