#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# test-loopback.sh - loopback destinations are never bypassed: connects
# to 127.0.0.1, ::1 and 0.0.0.0 inside "nsbypass run" reach the
# namespace's own lo (ECONNREFUSED) and never a server on the host's
# loopback, which logs every accept and must see none.  The TOCTOU race
# (an address flipped between test host and 127.0.0.1 during connect)
# must never end on the host loopback: loop=0, host>0.  --ignore=CIDR
# keeps a destination from being bypassed (ENETUNREACH with --net=none).
set -xeuo pipefail
# shellcheck source=tests/integration/common.sh
. "$(dirname "$0")/common.sh"

setup_rootless_test
H4=$NB_HOST4
H6=$NB_HOST6

# A server on the HOST's loopback that records every connection.
LP=$(free_port)
LOG4=$NB_TMP/host-loopback4.accepts
LOG6=$NB_TMP/host-loopback6.accepts
start_echo loop4 127.0.0.1 "$LP" "$LOG4"
have_v6_loop=0
if grep -q ' ::1/128 ' <<<"$(ip -6 -o addr show dev lo)"; then
	start_echo loop6 ::1 "$LP" "$LOG6"
	have_v6_loop=1
fi

# An echo server on the test host for the race and --ignore checks.
start_test_echo
EP=$NB_ECHO_PORT

### Loopback destinations go to the namespace's own lo.
nb_expect_ok "bypass tcp-refused 127.0.0.1" \
	nb_bypass --net=none -- "$SOCKPROBE" tcp-refused 127.0.0.1 "$LP"
nb_expect_ok "bypass tcp-refused 127.0.0.2" \
	nb_bypass --net=none -- "$SOCKPROBE" tcp-refused 127.0.0.2 "$LP"
nb_expect_ok "bypass tcp-refused 0.0.0.0" \
	nb_bypass --net=none -- "$SOCKPROBE" tcp-refused 0.0.0.0 "$LP"
nb_expect_ok "bypass tcp-refused ::1" \
	nb_bypass --net=none -- "$SOCKPROBE" tcp-refused ::1 "$LP"
nb_expect_ok "bypass tcp-refused ::ffff:127.0.0.1" \
	nb_bypass --net=none -- "$SOCKPROBE" tcp-refused ::ffff:127.0.0.1 "$LP"
nb_expect_ok "bypass tcp-refused ::" \
	nb_bypass --net=none -- "$SOCKPROBE" tcp-refused :: "$LP"

### TOCTOU: the address flips between test host and 127.0.0.1.
nb_expect_ok "bypass race $H4:$EP vs 127.0.0.1:$LP" \
	nb_bypass --net=none -- "$SOCKPROBE" race "$H4" "$EP" "$LP" 10000
if [ "$NB_OK" = 1 ]; then
	loop=$(sed -n 's/.* loop=\([0-9]*\).*/\1/p' <<<"$NB_LAST")
	host=$(sed -n 's/.* host=\([0-9]*\).*/\1/p' <<<"$NB_LAST")
	if [ "${loop:-x}" != 0 ]; then
		nb_error "race: loop=${loop:-?}: a connect reached the host loopback"
	elif [ "${host:-0}" -le 0 ]; then
		nb_error "race: host=${host:-?}: no connect reached the test host"
	else
		nb_pass "race: loop=0 host=$host"
	fi
fi

### --ignore=CIDR: ignored destinations are not bypassed.
nb_expect_fail "--ignore=10.99.0.0/24 tcp-echo $H4" "ENETUNREACH" \
	nb_bypass --net=none --ignore=10.99.0.0/24 -- \
	"$SOCKPROBE" tcp-echo "$H4" "$EP"
nb_expect_fail "--ignore=fd99::/64 tcp-echo $H6" "ENETUNREACH|EADDRNOTAVAIL" \
	nb_bypass --net=none --ignore=fd99::/64 -- \
	"$SOCKPROBE" tcp-echo "$H6" "$EP"
nb_expect_ok "--ignore of another CIDR keeps $H4 bypassed" \
	nb_bypass --net=none --ignore=10.98.0.0/16 --ignore=fd98::/16 -- \
	"$SOCKPROBE" tcp-echo "$H4" "$EP"

### The host loopback servers saw nothing, yet they were alive and logging.
for f in "$LOG4" "$LOG6"; do
	[ -e "$f" ] || continue
	if [ -s "$f" ]; then
		nb_error "host loopback server got connections: $(head -n 5 "$f" | tr '\n' ' ')"
	else
		nb_pass "host loopback server $(basename "$f") got zero connections"
	fi
done
nb_expect_ok "host-side sanity connect to 127.0.0.1:$LP" \
	"$SOCKPROBE" tcp-echo 127.0.0.1 "$LP"
if [ "$(grep -c '' "$LOG4")" -ne 1 ]; then
	nb_error "host loopback log has $(grep -c '' "$LOG4") lines after one connect, want 1"
fi
if [ "$have_v6_loop" -eq 1 ]; then
	nb_expect_ok "host-side sanity connect to [::1]:$LP" \
		"$SOCKPROBE" tcp-echo ::1 "$LP"
	if [ "$(grep -c '' "$LOG6")" -ne 1 ]; then
		nb_error "host ::1 log has $(grep -c '' "$LOG6") lines after one connect, want 1"
	fi
fi

nb_done
