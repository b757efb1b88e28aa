#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# test-fallback.sh - the fallback network (nsbypass run --net=slirp, the
# default): an embedded libslirp stack behind tap0 (10.0.2.100/24, gateway
# 10.0.2.2) carries what is not bypassed.
#
# As the unprivileged user: a destination outside is still bypassed; an
# --ignore'd one goes through slirp (TCP and UDP echo work, and the server
# logs connections, which slirp makes from the host side); the gateway
# 10.0.2.2 does not reach the host's loopback unless
# --enable-host-loopback is given (the host loopback listener must log
# nothing until then).  The negative control: plain unshare has no route.
set -xeuo pipefail
. "$(dirname "$0")/common.sh"

setup_rootless_test
require_tun "the fallback"
H4=$NB_HOST4
EP=$(free_port)
SLOG=$NB_TMP/server.peers
start_echo echo4 "$H4" "$EP" "$SLOG"
LP=$(free_port)
LLOG=$NB_TMP/host-loopback.peers
start_echo loop4 127.0.0.1 "$LP" "$LLOG"

nb_expect_ok "--net=slirp: outside destinations are still bypassed" \
	nb_bypass -- "$SOCKPROBE" tcp-echo "$H4" "$EP"
nb_expect_ok "--ignore'd destination over TCP through slirp" \
	nb_bypass --ignore=10.99.0.0/24 -- "$SOCKPROBE" tcp-echo "$H4" "$EP"
nb_expect_ok "--ignore'd destination over UDP through slirp" \
	nb_bypass --ignore=10.99.0.0/24 -- "$SOCKPROBE" udp-echo "$H4" "$EP"
nb_expect_ok "100 connections through slirp" \
	nb_bypass --ignore=10.99.0.0/24 -- "$SOCKPROBE" many "$H4" "$EP" 100
nb_expect_ok "the container's network is slirp4netns's" \
	nb_bypass -- sh -c 'ip -o -4 addr show dev tap0 | grep -q " 10.0.2.100/24 " &&
		ip route | grep -q "^default via 10.0.2.2 dev tap0" && echo OK tap0'
nb_expect_fail "negative control: unshare -r -n has no route" "ENETUNREACH" \
	nb_isolated "$SOCKPROBE" tcp-echo "$H4" "$EP"
# The server notes a connection when it accepts it, which can be after the
# client is done with it (the kernel completes the handshake from the
# listen queue): give it up to 5 s.
for _i in $(seq 50); do
	[ "$(grep -c '^tcp ' "$SLOG" || true)" -ge 102 ] && break
	sleep 0.1
done
if [ "$(grep -c '^tcp ' "$SLOG" || true)" -lt 102 ]; then
	nb_error "the server logged $(grep -c '^tcp ' "$SLOG" || true) TCP connections, want >= 102"
else
	nb_pass "the server saw the connections"
fi

# A peer that closes while slirp still sends to it: libslirp's send() on
# the host side gets EPIPE, which must not kill the agent (SIGPIPE).
CP=$(free_port)
start_bg closer "$NB_PYTHON" -c "
import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('$H4', $CP)); s.listen(16)
end = time.time() + 120
while time.time() < end:
    c, _ = s.accept()
    c.close()	# an orderly close: slirp's next send()s get EPIPE
"
wait_for_port "$H4" "$CP" tcp
closer='
import socket, sys
for _ in range(5):
    try:
        s = socket.create_connection((sys.argv[1], int(sys.argv[2])),
                                     timeout=5)
        for _ in range(64):
            s.sendall(b"x" * 65536)
    except OSError:
        pass	# reset: expected, the peer closed
    finally:
        s.close()
print("OK sent into closed connections")
'
# A connection closed on both sides stays in slirp a while (TIME_WAIT
# there): its host socket reports EPOLLHUP for good, and while it was
# left in slirp's epoll set the loop woke on every turn and spun at 100 %
# of a core.  The agent (the command's parent) and the fallback process
# (the agent's other child, which runs slirp) must sleep: their CPU time
# over 2 s, in clock ticks, must be a small part of them.
idle='
import os, socket, sys, time
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5)
while s.recv(4096):
    pass				# the peer closes at once
s.shutdown(socket.SHUT_WR)		# both sides closed, s still open
time.sleep(0.3)
agent = os.getppid()
kids = open("/proc/%d/task/%d/children" % (agent, agent)).read().split()
procs = [agent] + [int(k) for k in kids if int(k) != os.getpid()]
if len(procs) != 2:
    sys.exit("FAIL want the agent and one fallback process, got %s" % procs)
def ticks():
    n = 0
    for p in procs:
        f = open("/proc/%d/stat" % p).read().rsplit(")", 1)[1].split()
        n += int(f[11]) + int(f[12])	# utime + stime
    return n
hz = os.sysconf("SC_CLK_TCK")
a = ticks(); time.sleep(2); b = ticks()
print("agent and fallback ticks while idle: %d of %d" % (b - a, 2 * hz))
if b - a <= hz // 5:
    print("OK idle")
'
nb_expect_ok "the agent and the fallback sleep while slirp holds a closed connection" \
	nb_bypass --ignore=10.99.0.0/24 -- python3 -c "$idle" "$H4" "$CP"
nb_expect_ok "a peer that closes does not kill the agent" \
	nb_bypass --ignore=10.99.0.0/24 -- sh -c \
	'python3 -c "$1" "$2" "$3" && "$4" tcp-echo "$2" "$5"' sh \
	"$closer" "$H4" "$CP" "$SOCKPROBE" "$EP"

# The gateway and the host's loopback: without --enable-host-loopback,
# libslirp refuses a connection to 10.0.2.2 as unreachable (ENETUNREACH).
# Only sockprobe prints "FAIL connect: ...", so the pattern also proves
# that nsbypass run started and ran the probe: the empty host loopback
# log below says nothing if it did not.
nb_expect_fail "10.0.2.2 does not reach the host's loopback" "^FAIL connect: ENETUNREACH" \
	nb_bypass -- "$SOCKPROBE" tcp-echo 10.0.2.2 "$LP"
if [ -s "$LLOG" ]; then
	nb_error "host loopback was reached: $(cat "$LLOG")"
fi
nb_expect_ok "--enable-host-loopback: 10.0.2.2 reaches it" \
	nb_bypass --enable-host-loopback -- "$SOCKPROBE" tcp-echo 10.0.2.2 "$LP"
nb_done
