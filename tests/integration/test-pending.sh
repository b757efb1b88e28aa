#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# test-pending.sh - blocking connects that wait on the agent's loop.
#
# SLOW is a listener on the test host whose accept queue is full, so the
# kernel drops every SYN to it and a connect() hangs (no packet leaves the
# machine).  Checks: SO_SNDTIMEO ends a blocking connect with EINPROGRESS
# as Linux does; a connect that hangs does not hold up another thread's
# connect (answers go out of order); a caller killed while its connect
# hangs leaves nothing behind in the agent (its fd count returns to the
# value before).  In-flight blocking connects are bounded: with the
# agent's fd limit at 200 the bound is (200 - 64) / 2 = 68
# (pending-connect.c), so
# of 72 simultaneous connects to SLOW, 4 fail at once with ENOBUFS, the
# errno docs/design.md §3.1 names (issue 10, point 12), and the rest
# run into SO_SNDTIMEO.
set -xeuo pipefail
. "$(dirname "$0")/common.sh"

setup_rootless_test
H4=$NB_HOST4
H6=$NB_HOST6
start_test_echo
EP=$NB_ECHO_PORT
SP=$(free_port)
start_bg slow4 "$NB_PYTHON" -u "$NB_ITEST_DIR/blackhole-server.py" "$H4" "$SP"
wait_for_port "$H4" "$SP" tcp
start_bg slow6 "$NB_PYTHON" -u "$NB_ITEST_DIR/blackhole-server.py" "$H6" "$SP"
wait_for_port "$H6" "$SP" tcp
sleep 0.5	# the fillers are queued 0.2 s apart

for H in "$H4" "$H6"; do
	nb_expect_ok "SO_SNDTIMEO 1000 ms to $H" \
		nb_bypass --net=none -- "$SOCKPROBE" sndtimeo "$H" "$SP" 1000
	nb_expect_ok "slow connect does not block a fast one ($H)" \
		nb_bypass --net=none -- "$SOCKPROBE" slow-fast "$H" "$SP" "$H" "$EP"
done

script='
n() { ls /proc/$PPID/fd | wc -l; }
before=$(n)
"$1" killed-pending "$2" "$3"
"$1" killed-pending "$2" "$3"
# Pending connects go within a tick (0.2 s), cached pidfds of the dead
# callers within about a second (pidfd-cache.h).
for i in $(seq 40); do [ "$(n)" -eq "$before" ] && break; sleep 0.1; done
echo "OK fds $before $(n)"
'
nb_expect_ok "killed while connecting: agent keeps no fd" \
	nb_bypass --net=none -- sh -c "$script" sh "$SOCKPROBE" "$H4" "$SP"
if [ "$NB_OK" = 1 ]; then
	fds=$(grep "^OK fds " <<<"$NB_OUT" || true)
	read -r _ _ before after <<<"$fds"
	if [ -z "${before:-}" ] || [ "$before" != "$after" ]; then
		nb_error "agent fds before/after killed connects: '$fds'"
	else
		nb_pass "agent fds $before before, $after after"
	fi
fi
# The bound on in-flight connects, and the errno past it.
nb_expect_ok "72 connects at once, bound 68" \
	as_user prlimit --nofile=200:200 timeout -k 5 "$NB_CMD_TIMEOUT" \
	"$NSBYPASS" run --net=none -- "$SOCKPROBE" pending-bound "$H4" "$SP" 72
nb_expect_last "72 connects at once, bound 68" "OK enobufs=4 inprogress=68"
# docs/design.md must name the errno a program gets there.
bound_doc=$(grep -A1 'In-flight connects are bounded' "$NB_REPO/docs/design.md" |
	tr '\n' ' ')
if grep -q 'past that `ENOBUFS`' <<<"$bound_doc"; then
	nb_pass "design.md names ENOBUFS for the bound"
else
	nb_error "design.md says: $bound_doc"
fi
nb_done
