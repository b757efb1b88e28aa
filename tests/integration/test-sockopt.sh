#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# test-sockopt.sh - a bypassed socket keeps what the program set on the
# original: socket options set before connect (IPv4 and IPv6), fd number,
# FD_CLOEXEC and blocking mode, options set through a dup()ed fd; and the
# bypass works from a non-leader thread and in a fork+exec'd child.
# client-sockopts.py sets what curl, ssh, glibc's resolver, Go, Java,
# nginx and dig set before connect() (docs/design.md section 4) and reads
# it back after the switch.  sockprobe tfo: TCP_FASTOPEN_CONNECT (curl
# --tcp-fastopen) survives the switch, and with TCP_FASTOPEN_NO_COOKIE the
# SYN waits for the first write, when a second connect() gets EISCONN.
# sockprobe optrace: SO_RCVBUF set from memory another thread rewrites;
# the switched socket holds what the container's had (the agent reads
# the value from the socket, not from the racing memory).
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
nb_expect_ok "bypass optrace $H4" \
	nb_bypass --net=none -- "$SOCKPROBE" optrace "$H4" "$EP" 300
nb_stage "$NB_ITEST_DIR/nbclient.py" >/dev/null
CS=$(nb_stage "$NB_ITEST_DIR/client-sockopts.py")
for host in "$H4" "$H6"; do
	nb_expect_ok "bypass client-sockopts $host" \
		nb_bypass --net=none -- "$NB_PYTHON" "$CS" "$host" "$EP"
done
# The host's net.ipv4.tcp_fastopen must allow clients (bit 1, the
# default), or the host socket cannot take TCP_FASTOPEN_CONNECT.
if [ $(($(cat /proc/sys/net/ipv4/tcp_fastopen) & 1)) -eq 1 ]; then
	for host in "$H4" "$H6"; do
		for nocookie in 0 1; do
			nb_expect_ok "bypass tfo $host nocookie=$nocookie" \
				nb_bypass --net=none -- "$SOCKPROBE" tfo "$host" \
				"$EP" "$nocookie"
		done
	done
else
	echo "NOTE: net.ipv4.tcp_fastopen has no client bit here: tfo not run"
fi
# The static binary makes its syscalls without the dynamic libc.
nb_expect_ok "bypass sockprobe-static sockopt $H4" \
	nb_bypass --net=none -- "$SOCKPROBE_STATIC" sockopt "$H4" "$EP"

nb_done
