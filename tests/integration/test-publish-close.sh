#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# test-publish-close.sh - every close() of a published server and of a
# switched client sends its FIN.
#
# bench-tcp's server (one epoll loop, accept4 in batches, TCP_NODELAY on
# every accepted socket: a trapped setsockopt) runs published under
# `nsbypass run -p`, and bench-tcp's crr client makes connection after
# connection to it for 4 s, each closed by the server first: the client
# waits for that FIN before its next connect, so one lost hangs it for
# good.  Half the rounds the client is a plain host process, half it runs
# under `nsbypass run --net=none` (every connect switched).  Each round is
# bounded (15 s).
#
# Before the fix 4 rounds of 25 hung (and 2 of 30 with 1 s rounds): the
# agent answered the setsockopt before it closed its pidfd_getfd() copy,
# and a copy closed while the server closes its own fd can keep the
# socket open for good on this kernel: ESTABLISHED, no fd of any process
# refers to it, its stale entry still in the server's epoll set
# (docs/design.md §4, "No copy outlives the answer").  A hang prints the
# sockets and every fd and epoll set that refers to them.
set -xeuo pipefail
. "$(dirname "$0")/common.sh"

[ -x "${BENCH_TCP:-}" ] || nb_fail "BENCH_TCP not built"
setup_rootless_test
require_tun "the fallback"
_nb_tmp
BT=$(nb_stage "$BENCH_TCP")
H4=$NB_HOST4
ROUNDS=${ROUNDS:-8}
SECS=${SECS:-4}

# holders PORT: the server-side sockets of PORT, and every fd and epoll
# set that refers to one (what a hang leaves behind, for the log).
holders() {
	local ino hex f
	ss -tnieo "( sport = :$1 or dport = :$1 )" || true
	for ino in $(ss -tnie "( sport = :$1 )" | grep -o 'ino:[1-9][0-9]*' | cut -d: -f2); do
		hex=$(printf '%x' "$ino")
		for f in /proc/[0-9]*/task/[0-9]*/fd/*; do
			[ "$(readlink "$f" 2>/dev/null)" = "socket:[$ino]" ] &&
				echo "socket:[$ino] is $f ($(tr -d '\n' <"${f%/fd/*}/comm"))"
		done
		grep -H "ino:$hex\b" /proc/[0-9]*/fdinfo/* 2>/dev/null |
			sed "s/^/socket:[$ino] in the epoll set /" || true
	done
}

hung=0
for client in host nsbypass; do
	for r in $(seq "$ROUNDS"); do
		hp=$(free_port)
		out=$NB_TMP/server-$client-$r.out
		nb_bypass -p "$H4:$hp:7000" -- "$BT" server 0.0.0.0 7000 >"$out" 2>&1 &
		spid=$!
		for _i in $(seq 100); do
			grep -q listening "$out" && break
			sleep 0.05
		done
		grep -q listening "$out" || nb_fail "$client $r: the server did not start"
		# A moment after the start, as a benchmark's client comes.
		sleep 0.5
		rc=0
		if [ "$client" = host ]; then
			as_user timeout 15 "$BT" crr "$H4" "$hp" "$SECS" \
				>"$NB_TMP/crr-$client-$r.out" 2>&1 || rc=$?
		else
			as_user timeout 15 "$NSBYPASS" run --net=none -- \
				"$BT" crr "$H4" "$hp" "$SECS" \
				>"$NB_TMP/crr-$client-$r.out" 2>&1 || rc=$?
		fi
		if [ "$rc" -eq 0 ]; then
			nb_pass "$client client, round $r: $(grep 'conn/s' "$NB_TMP/crr-$client-$r.out")"
		else
			hung=$((hung + 1))
			nb_error "$client client, round $r: exited $rc (124: waited for a FIN that never came)"
			holders "$hp"
		fi
		pkill -TERM -u "$NB_USER" -f -- "$BT server 0.0.0.0 7000" || true
		wait "$spid" || true
	done
done
echo "$hung of $((2 * ROUNDS)) rounds hung"
nb_done
