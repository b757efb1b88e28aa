#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# test-sockopt.sh - a bypassed socket keeps what the program set on the
# original: socket options set before connect (IPv4 and IPv6), fd number,
# FD_CLOEXEC and blocking mode, options set through a dup()ed fd; and the
# bypass works from a non-leader thread and in a fork+exec'd child.
set -xeuo pipefail
# shellcheck source=tests/integration/common.sh
. "$(dirname "$0")/common.sh"

setup_rootless_test
H4=$NB_HOST4
H6=$NB_HOST6

start_test_echo
EP=$NB_ECHO_PORT

# Negative control: without the bypass, connect cannot succeed at all.
nb_expect_fail "isolated sockopt $H4" "ENETUNREACH" \
	nb_isolated "$SOCKPROBE" sockopt "$H4" "$EP"

for host in "$H4" "$H6"; do
	for mode in sockopt flags fdpass-dup threaded forkexec; do
		nb_expect_ok "bypass $mode $host" \
			nb_bypass --net=none -- "$SOCKPROBE" "$mode" "$host" "$EP"
	done
done
# The static binary makes its syscalls without the dynamic libc.
nb_expect_ok "bypass sockprobe-static sockopt $H4" \
	nb_bypass --net=none -- "$SOCKPROBE_STATIC" sockopt "$H4" "$EP"

nb_done
