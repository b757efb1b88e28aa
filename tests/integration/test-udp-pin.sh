#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# test-udp-pin.sh - a switched UDP socket cannot reach host loopback.
#
# Linux lets a connected UDP socket sendto() any address, and sendto() is
# not trapped.  The agent pins every switched UDP socket to the device its
# destination routes through, so datagrams to 127.0.0.1, ::1 and
# ::ffff:127.0.0.1 sent from it must never arrive at host-loopback
# listeners, while the echo through the same socket works.
set -xeuo pipefail
. "$(dirname "$0")/common.sh"

require_root
require_cmd ss timeout python3
setup_testhost
setup_user
H4=$NB_HOST4
H6=$NB_HOST6

LP=$(free_port)
LOG=$NB_TMP/host-loopback.datagrams
start_echo loop4 127.0.0.1 "$LP" "$LOG"
have_v6_loop=0
if ip -6 -o addr show dev lo | grep -q ' ::1/128 '; then
	start_echo loop6 ::1 "$LP" "$LOG"
	have_v6_loop=1
fi
start_test_echo
EP=$NB_ECHO_PORT

# Inside: echo through a connected UDP socket (proves it was switched,
# --net=none has no other way out), then sendto() loopback from it.
probe='
import socket, sys
fam, host, port, lport = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
f = socket.AF_INET6 if fam == "6" else socket.AF_INET
s = socket.socket(f, socket.SOCK_DGRAM)
s.settimeout(5)
s.connect((host, port))
s.send(b"ping")
assert s.recv(64) == b"ping", "no echo"
targets = ["::1", "::ffff:127.0.0.1", "::"] if fam == "6" else ["127.0.0.1", "0.0.0.0"]
for t in targets:
    for _ in range(20):
        try:
            s.sendto(b"evil", (t, lport))
        except OSError as e:
            print("sendto", t, e)
            break
s.send(b"pong")
assert s.recv(64) == b"pong", "no echo after"
print("OK sent")
'
nb_expect_ok "switched UDPv4 socket, sendto loopback" \
	nb_bypass --net=none -- python3 -c "$probe" 4 "$H4" "$EP" "$LP"
nb_expect_ok "switched UDPv6 socket, sendto loopback" \
	nb_bypass --net=none -- python3 -c "$probe" 6 "$H6" "$EP" "$LP"
# Negative control: the same probe has no way out without nsbypass (its
# connect() fails; python prints the text, not the errno name).
nb_expect_fail "unshare -r -n: no echo" "OSError: \[Errno [0-9]+\] Network is unreachable" \
	nb_isolated python3 -c "$probe" 4 "$H4" "$EP" "$LP"

# The listeners are alive (a datagram from the host reaches them) ...
python3 -c "
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(5)
s.sendto(b'canary', ('127.0.0.1', $LP))
assert s.recv(64) == b'canary'
"
sleep 0.5
# ... and saw nothing but the canary.
if grep -v '^udp 127\.0\.0\.1:' "$LOG" | grep -q .; then
	nb_error "host loopback received datagrams: $(cat "$LOG")"
elif [ "$(grep -c . "$LOG")" -ne 1 ]; then
	nb_error "host loopback log: want exactly the canary, got: $(cat "$LOG")"
else
	nb_pass "host loopback saw only the canary"
fi
nb_done
