#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# test-service-race.sh - the attack test of the loopback exception
# (issue 12, docs/design.md §3.4): a container with -p 127.0.0.1:HP:CP
# and -p 127.0.0.1:HP2:CP2, whose published connects are switched to host
# sockets connected to host loopback, tries to reach LP, a host loopback
# service of this test, outside the container (sockprobe service-race):
#   - 10,000 connects, blocking and non-blocking, while a thread flips
#     the address between 127.0.0.1:CP and 127.0.0.1:LP; the server at CP
#     resets each connection and the client then tries
#     sendto(MSG_FASTOPEN) at LP (an unsettled socket is re-aimed);
#   - shutdown() during connect, then the same sendto();
#   - connects whose handshake waits (CP2's accept queue is full): cut
#     short by SO_SNDTIMEO (ETIMEDOUT) and by a signal (EINTR), then shut
#     down and sendto()'d at LP; and one during which CP2's listener
#     closes and a host process of the test (the squatter) binds
#     127.0.0.1:HP2, which the retransmitted SYN reaches: ECONNREFUSED, and
#     the squatter gets no data.
# LP accepts no connection; the published server accepts many.
set -xeuo pipefail
. "$(dirname "$0")/common.sh"

setup_rootless_test
require_tun "the fallback"
_nb_tmp
COUNT=${NB_SERVICE_RACE_COUNT:-10000}
D=$NB_TMP/race
mkdir -p "$D"
chown "$NB_USER" "$D"
CP=$(free_port) HP=$(free_port) CP2=$(free_port) HP2=$(free_port)
LP=$(free_port)
start_echo lpsvc 127.0.0.1 "$LP" "$NB_TMP/lp.peers"

L=$NB_TMP/race.log
start_bg race as_user timeout -k 5 170 "$NSBYPASS" run \
	-p "127.0.0.1:$HP:$CP" -p "127.0.0.1:$HP2:$CP2" -- \
	"$SOCKPROBE" service-race "$CP" "$HP" "$LP" "$CP2" "$COUNT" "$D"
PID=$NB_LAST_PID
for _i in $(seq 300); do
	[ -e "$D/cp2-up" ] && break
	kill -0 "$PID" 2>/dev/null || break
	sleep 0.1
done
[ -e "$D/cp2-up" ] || nb_fail "the container's listeners did not come up: $(cat "$L")"
# The squatter: binds 127.0.0.1:HP2 as soon as the container's listener
# has let it go; logs each connection and each byte it gets.
start_bg squatter "$NB_PYTHON" -u -c '
import socket, sys, threading, time
port, log = int(sys.argv[1]), sys.argv[2]
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
end = time.monotonic() + 170
while True:
    try:
        s.bind(("127.0.0.1", port))
        break
    except OSError:
        if time.monotonic() > end:
            sys.exit(0)
        time.sleep(0.002)
s.listen(16)
print("bound", flush=True)
def serve(c):
    try:
        while True:
            b = c.recv(64)
            if not b:
                break
            with open(log, "a") as f:
                f.write("data %r\n" % b)
    except OSError:
        pass
while True:
    c, peer = s.accept()
    with open(log, "a") as f:
        f.write("conn %s:%d\n" % peer)
    threading.Thread(target=serve, args=(c,), daemon=True).start()
' "$HP2" "$NB_TMP/squatter.peers"
SQ=$NB_LAST_PID
rc=0
wait "$PID" || rc=$?
kill "$SQ" 2>/dev/null || true
cat "$L"
if [ "$rc" -eq 0 ] && grep -q "^OK service-race" "$L"; then
	nb_pass "the container's attacks ended as they must: $(grep -E '^(race|stall|OK)' "$L" | tr '\n' ' ')"
else
	nb_error "sockprobe service-race: status $rc: $(grep -E '^(race|stall|OK|FAIL)' "$L" | tr '\n' ' ')"
fi
if [ -s "$NB_TMP/lp.peers" ]; then
	nb_error "the host loopback service at $LP was reached: $(head -n 5 "$NB_TMP/lp.peers")"
else
	nb_pass "the host loopback service at $LP accepted 0 connections"
fi
if grep -q '^data' "$NB_TMP/squatter.peers" 2>/dev/null; then
	nb_error "the squatter on 127.0.0.1:$HP2 got data from the container: $(cat "$NB_TMP/squatter.peers")"
else
	nb_pass "the squatter on 127.0.0.1:$HP2 got no data ($(grep -c '^conn' "$NB_TMP/squatter.peers" 2>/dev/null || echo 0) handshake(s) the agent closed unused)"
fi
grep -q '^bound' "$NB_TMP/squatter.log" &&
	nb_pass "the squatter held 127.0.0.1:$HP2 once the container's listener closed" ||
	nb_error "the squatter never bound 127.0.0.1:$HP2: the closed-listener case proved nothing"
nb_done
