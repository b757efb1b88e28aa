#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# test-host-socket.sh - a socket switched to the host stays a one-way
# street to the destination it was switched for.
#
# host-socket: on a connected switched socket a second connect() gets
# EISCONN, a disconnect (AF_UNSPEC) EOPNOTSUPP, listen() EOPNOTSUPP,
# bind() EINVAL, a connect to the host's loopback fails; on one whose
# non-blocking connect failed (a host socket with no peer), sendto()
# with MSG_FASTOPEN and connect() to the host's loopback and listen() all
# fail (the device pin).  race-host: for 3 s a thread flips the address
# family (AF_UNIX when the agent reads, AF_INET when the kernel does) or
# swaps the fd number between a container socket and the switched one;
# no connect() may succeed.  A listener on the host's 127.0.0.1 logs
# every accept and must see none.
set -xeuo pipefail
. "$(dirname "$0")/common.sh"

setup_rootless_test
H4=$NB_HOST4
H6=$NB_HOST6
start_test_echo
EP=$NB_ECHO_PORT
CP=$(free_port)		# nothing listens there
LP=$(free_port)
LOG=$NB_TMP/host-loopback.accepts
start_echo loop4 127.0.0.1 "$LP" "$LOG"

nb_expect_ok "switched socket: no second connect, listen, bind, loopback" \
	nb_bypass --net=none -- "$SOCKPROBE" host-socket "$H4" "$EP" "$CP" "$LP"
for how in family fdswap; do
	nb_expect_ok "race-host $how: never connects" \
		nb_bypass --net=none -- "$SOCKPROBE" race-host "$H4" "$EP" "$LP" \
		"$how" 3
done

# The loopback server was alive (one probe from the host) and saw only it.
python3 -c "
import socket
socket.create_connection(('127.0.0.1', $LP), timeout=5).close()
"
sleep 0.3
if [ "$(grep -c '^tcp ' "$LOG" 2>/dev/null || true)" != 1 ]; then
	nb_error "host loopback accepts: want only the host's probe, got: $(cat "$LOG" 2>/dev/null)"
else
	nb_pass "host loopback saw only the host's own probe"
fi
nb_done
