#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# test-badinput.sh - hostile connect/setsockopt arguments (bad pointers,
# lengths, families, fds) get exactly the kernel's errno and the agent
# keeps serving; and the agent leaks no fds: its fd count is the same
# before and after 1000 bypassed TCP connects (IPv4, then IPv6).
set -xeuo pipefail
# shellcheck source=tests/integration/common.sh
. "$(dirname "$0")/common.sh"

setup_rootless_test
H4=$NB_HOST4
H6=$NB_HOST6

start_test_echo
EP=$NB_ECHO_PORT

nb_expect_ok "bypass badinput $H4" \
	nb_bypass --net=none -- "$SOCKPROBE" badinput "$H4" "$EP"
nb_expect_ok "bypass sockprobe-static badinput $H4" \
	nb_bypass --net=none -- "$SOCKPROBE_STATIC" badinput "$H4" "$EP"

# The command's parent is the agent: count its fds before and after a
# burst of connects.  The agent caches a pidfd of each trapped thread and
# closes it within a second or so of the thread's exit (pidfd-cache.h):
# wait up to 4 s for the count to come back, then compare.
FDCOUNT='
count() { n=$(ls "/proc/$PPID/fd" | wc -l) && [ "$n" -gt 0 ] && echo "$n"; }
before=$(count) || { echo "FAIL cannot list /proc/$PPID/fd"; exit 1; }
"$1" many "$2" "$3" 1000 || { echo "FAIL many"; exit 1; }
for i in $(seq 40); do
	after=$(count) || { echo "FAIL cannot list /proc/$PPID/fd"; exit 1; }
	[ "$after" -eq "$before" ] && break
	sleep 0.1
done
echo "agent fds before=$before after=$after"
if [ "$before" -eq "$after" ]; then echo "OK fds=$after"; else
	ls -l "/proc/$PPID/fd"; echo "FAIL fd leak before=$before after=$after"; exit 1; fi
'
for host in "$H4" "$H6"; do
	nb_expect_ok "agent fd count unchanged by 1000 TCP connects to $host" \
		nb_bypass --net=none -- sh -c "$FDCOUNT" sh "$SOCKPROBE" "$host" "$EP"
done

nb_done
