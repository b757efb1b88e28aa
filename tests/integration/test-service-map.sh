#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# test-service-map.sh - a published service reached from inside its own
# container (issue 12, docs/design.md §3.4), as the unprivileged user.
#
#   nsbypass run -p HP:CP with an HTTP server on :: at CP: GETs from
#   inside to 127.0.0.1, [::1], the container's own address (10.0.2.100)
#   and 0.0.0.0 at CP get the page, switched by the service map to the
#   host listener (the agent's counters say so); the host still gets it at
#   HP.  A port not published stays inside (kept, not served).  When the
#   server closes its port, the next inside connects are refused, also
#   while another host process listens on HP, which sees nothing.  A port
#   published on host loopback only (-p 127.0.0.1:HP:CP) is served by the
#   loopback exception of §3.4: 127.0.0.1, [::1] and 10.0.2.100 inside,
#   blocking and non-blocking clients.
#   Issue 12 point 4 (service-map-cases.py, with --enable-ipv6): fd00::100;
#   a v6-only server at [::1] (127.0.0.1 refused); a server bound to
#   10.0.2.100 only (127.0.0.1 refused, as the kernel refuses it inside);
#   SO_REUSEPORT pairs per family, both served; a server bound in a forked
#   child; close (refused) and bind again (served); port 0 and a port
#   published twice stay inside, UDP goes through slirp, none in the map.
#   An address added inside after start (ip addr add 10.0.9.7/32 dev lo)
#   is served as the container's own once nsagent reports it.
set -xeuo pipefail
. "$(dirname "$0")/common.sh"

setup_rootless_test
require_tun "the fallback"
require_cmd curl ip
_nb_tmp
INSIDE=$(nb_stage "$NB_ITEST_DIR/service-map-inside.sh")
H4=$NB_HOST4
D=$NB_TMP/svc
mkdir -p "$D/www"
echo "svcmap-page" >"$D/www/index.html"
chown -R "$NB_USER" "$D"

HP=$(free_port) CP=$(free_port) CP2=$(free_port)
L=$NB_TMP/svc1.log
start_bg svc1 as_user timeout -k 5 90 "$NSBYPASS" run --log-level=debug \
	-p "$HP:$CP" -- sh "$INSIDE" "$D" "$CP" "$CP2"
PID=$NB_LAST_PID

# wait_file FILE: up to 40 s, while the container runs.
wait_file() {
	local _i
	for _i in $(seq 400); do
		[ -e "$1" ] && return 0
		kill -0 "$PID" 2>/dev/null || break
		sleep 0.1
	done
	_nb_dump_logs
	nb_fail "no $1: the container did not get there"
}

# host_get NAME URL: a GET from the host must return the page.
host_get() {
	local got
	got=$(curl -sS --max-time 5 "$2" 2>&1 | head -n 1) || true
	if [ "$got" = svcmap-page ]; then
		nb_pass "$1: $got"
	else
		nb_error "$1: got '$got', want svcmap-page"
	fi
}

wait_file "$D/inside-done"
host_get "the host reaches the server at 127.0.0.1:$HP" "http://127.0.0.1:$HP/"
host_get "the host reaches the server at $H4:$HP" "http://$H4:$HP/"
touch "$D/host-done"

# The server closed: another host process takes HP (the wildcard, as
# the published listener had it) before the container connects again.
wait_file "$D/closed"
start_echo squatter 0.0.0.0 "$HP" "$NB_TMP/squatter.peers"
touch "$D/squatter"
wait "$PID" || nb_error "the container exited with status $?"

# expect_line WANT WHY: a line of the container's output.
expect_line() {
	if grep -qx -- "$1" "$L"; then
		nb_pass "$2: $1"
	else
		nb_error "$2: no line '$1' in: $(grep -E '^(GET|FAIL|TIMEOUT)' "$L")"
	fi
}
expect_line "GET v4-loopback: svcmap-page" "inside, 127.0.0.1:CP"
expect_line "GET v6-loopback: svcmap-page" "inside, [::1]:CP"
expect_line "GET own-address: svcmap-page" "inside, 10.0.2.100:CP"
expect_line "GET unspecified: svcmap-page" "inside, 0.0.0.0:CP"
expect_line "GET unpublished: svcmap-page" "an unpublished port stays inside"
expect_line "END" "the container ran to its end"
for name in closed-at-once closed-v4-loopback closed-own-address \
	closed-unpublished; do
	if grep -q "^FAIL $name: ECONNREFUSED\$" "$L"; then
		nb_pass "after close, $name: refused"
	else
		nb_error "after close, $name: want refused, got: $(grep " $name:" "$L")"
	fi
done
if [ -s "$NB_TMP/squatter.peers" ]; then
	nb_error "a connect from inside reached the other host listener: $(cat "$NB_TMP/squatter.peers")"
else
	nb_pass "the other listener on $HP saw no connection from inside"
fi

# The agent's word: every inside GET to CP served by the map, the
# unpublished one kept, the closed listener's entry refused or swept.
stats=$(grep -o 'info: agent: .*' "$L" || true)
served=$(sed -n 's/.* \([0-9]*\) served.*/\1/p' <<<"$stats")
if [ -n "$served" ] && [ "$served" -ge 4 ]; then
	nb_pass "the agent served $served connects by the map: $stats"
else
	nb_error "the agent's counters: '$stats', want >= 4 served"
fi
# expect_switches CP HP MIN: at least MIN connects to CP switched to HP
expect_switches() {
	local n
	n=$(grep -c "service at port $1: switched to host port $2" "$L" || true)
	[ "$n" -ge "$3" ] && nb_pass "$n connects to $1 switched to host port $2" ||
		nb_error "$n log lines of a switch to host port $2, want >= $3"
}
expect_switches "$CP" "$HP" 4
if grep -q "service at port $CP: its listener is gone: ECONNREFUSED" "$L"; then
	nb_pass "the stale entry answered ECONNREFUSED"
elif grep -q "service map: 1 closed listener(s) dropped" "$L"; then
	nb_pass "the stale entry was swept before the first connect after close"
else
	nb_error "the closed listener's entry was neither refused nor swept"
fi
if grep -q "service at port $CP2" "$L"; then
	nb_error "the unpublished port $CP2 went through the map"
else
	nb_pass "the unpublished port $CP2 did not go through the map"
fi
# -p 127.0.0.1:HP:CP: the host listener is on host loopback only, which
# only the loopback exception of §3.4 reaches: inside, 127.0.0.1, [::1]
# and 10.0.2.100 at CP are served, by blocking and non-blocking clients
# (the latter get EINPROGRESS, as Linux answers for loopback, and a
# connected socket); the host reaches it at 127.0.0.1:HP.
HP3=$(free_port) CP3=$(free_port)
lo_inside='
import errno, os, select, socket, subprocess, sys, time
cp, www, d = int(sys.argv[1]), sys.argv[2], sys.argv[3]
srv = subprocess.Popen([sys.executable, "-m", "http.server", str(cp),
    "--bind", "::", "--directory", www], stdout=subprocess.DEVNULL,
    stderr=subprocess.DEVNULL)
def page(c):
    c.sendall(b"GET / HTTP/1.0\r\n\r\n")
    data = b""
    while True:
        b = c.recv(4096)
        if not b:
            break
        data += b
    return data.split(b"\r\n\r\n", 1)[-1].strip().decode(errors="replace")
def get(host, nonblock):
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    c = socket.socket(fam, socket.SOCK_STREAM)
    try:
        if not nonblock:
            c.settimeout(5)
            c.connect((host, cp))
            return page(c)
        c.setblocking(False)
        e = c.connect_ex((host, cp))
        first = errno.errorcode.get(e, str(e))
        select.select([], [c], [], 5)
        e = c.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if e:
            return "%s then %s" % (first, errno.errorcode.get(e, e))
        c.setblocking(True)
        c.settimeout(5)
        return "%s %s" % (first, page(c))
    except OSError as e:
        return type(e).__name__
    finally:
        c.close()
for _ in range(100):
    if get("127.0.0.1", False) == "svcmap-page":
        break
    time.sleep(0.1)
for host in ("127.0.0.1", "::1", "10.0.2.100"):
    print("GET lo-block %s: %s" % (host, get(host, False)), flush=True)
    print("GET lo-nonblock %s: %s" % (host, get(host, True)), flush=True)
open(os.path.join(d, "lo-up"), "w").close()
for _ in range(300):
    if os.path.exists(os.path.join(d, "lo-host-done")):
        break
    time.sleep(0.1)
srv.kill()
'
start_bg svc2 as_user timeout -k 5 60 "$NSBYPASS" run --log-level=debug \
	-p "127.0.0.1:$HP3:$CP3" -- python3 -u -c "$lo_inside" "$CP3" "$D/www" "$D"
PID=$NB_LAST_PID
wait_file "$D/lo-up"
host_get "-p 127.0.0.1:$HP3: the host reaches the server" \
	"http://127.0.0.1:$HP3/"
touch "$D/lo-host-done"
wait "$PID" || nb_error "the second container exited with status $?"
L=$NB_TMP/svc2.log
for h in 127.0.0.1 ::1 10.0.2.100; do
	expect_line "GET lo-block $h: svcmap-page" \
		"-p 127.0.0.1:$HP3:$CP3, inside, blocking, $h"
	expect_line "GET lo-nonblock $h: EINPROGRESS svcmap-page" \
		"-p 127.0.0.1:$HP3:$CP3, inside, non-blocking, $h"
done
expect_switches "$CP3" "$HP3 (loopback)" 6
stats=$(grep -o 'info: agent: .*' "$L" || true)
served=$(sed -n 's/.* \([0-9]*\) served.*/\1/p' <<<"$stats")
if [ -n "$served" ] && [ "$served" -ge 6 ]; then
	nb_pass "-p 127.0.0.1:$HP3:$CP3: the agent served $served: $stats"
else
	nb_error "-p 127.0.0.1:$HP3:$CP3: the agent's counters: '$stats', want >= 6 served"
fi
# Issue 12 point 4, in one container with --enable-ipv6 (fd00::100):
# service-map-cases.py checks from inside; here the host's side and the
# agent's word on which ports went through the map.
P6=$(free_port) P6O=$(free_port) PB=$(free_port) PR=$(free_port)
PF=$(free_port) PO=$(free_port) PU=$(free_port) PT=$(free_port)
PRB=$(free_port) HB=$(free_port) HT1=$(free_port) HT2=$(free_port)
pub=()
for p in "$P6" "$P6O" "$PR" "$PF" "$PO" "$PRB"; do pub+=(-p "$(free_port):$p"); done
start_bg svc3 as_user timeout -k 5 60 "$NSBYPASS" run --log-level=debug \
	--enable-ipv6 "${pub[@]}" -p "$HB:$PB" -p "$(free_port):$PU/udp" \
	-p "$HT1:$PT" -p "$HT2:$PT" -- python3 -u \
	"$(nb_stage "$NB_ITEST_DIR/service-map-cases.py")" "$D" "$P6" "$P6O" \
	"$PB" "$PR" "$PF" "$PO" "$PU" "$PT" "$PRB"
PID=$NB_LAST_PID
wait_file "$D/cases-up"
host_get_tag() { # NAME URL-less HOST PORT WANT
	local got
	got=$("$NB_PYTHON" -c 'import socket,sys
c=socket.create_connection((sys.argv[1],int(sys.argv[2])),5)
print(c.makefile().readline().strip())' "$2" "$3" 2>&1) || true
	[ "$got" = "$4" ] && nb_pass "$1: $got" || nb_error "$1: got '$got', want $4"
}
host_get_tag "the host reaches the server bound to 10.0.2.100" 127.0.0.1 "$HB" bound
host_get_tag "the host reaches a port published twice (first)" 127.0.0.1 "$HT1" twice
host_get_tag "the host reaches a port published twice (second)" 127.0.0.1 "$HT2" twice
touch "$D/cases-host-done"
wait "$PID" || nb_error "the third container exited with status $?"
L=$NB_TMP/svc3.log
grep -E '^(OK|FAIL) ' "$L" | while read -r verdict rest; do
	[ "$verdict" = OK ] && nb_pass "inside: $rest" || nb_error "inside: $rest"
done
expect_line "END" "the cases container ran to its end"
grep -c '^OK ' "$L" | grep -qx 24 && nb_pass "24 inside cases" ||
	nb_error "$(grep -c '^OK ' "$L") inside cases passed, want 24"
for p in "$P6" "$P6O" "$PB" "$PR" "$PF" "$PO" "$PRB"; do
	grep -q "service at port $p: switched to host port" "$L" &&
		nb_pass "port $p served by the map" ||
		nb_error "port $p: no switch by the map in the log"
done
P0=$(sed -n 's/^PORT0 //p' "$L")
for p in "$P0" "$PU" "$PT"; do
	if [ -n "$p" ] && ! grep -q "service at port $p:" "$L"; then
		nb_pass "port $p (port 0, UDP, published twice) not in the map"
	else
		nb_error "port '$p' went through the map: $(grep "service at port $p:" "$L")"
	fi
done
# An address added inside after start (10.0.9.7 on lo, as the container's
# root): nsagent reports it and the agent serves it as the container's
# own.  The first connect right after `ip addr add` may come before the
# report (then it is not served: bypassed to the host's 10.0.9.7, nothing
# there); the container retries for up to 2 s and prints how long the
# report took (LAG) and what the first connect got (FIRST).
HP4=$(free_port) CP4=$(free_port)
addr_inside='
import shutil, socket, subprocess, sys, time
cp, www, d = int(sys.argv[1]), sys.argv[2], sys.argv[3]
srv = subprocess.Popen([sys.executable, "-m", "http.server", str(cp),
    "--bind", "::", "--directory", www], stdout=subprocess.DEVNULL,
    stderr=subprocess.DEVNULL)
def get(host, timeout):
    try:
        c = socket.create_connection((host, cp), timeout)
        c.sendall(b"GET / HTTP/1.0\r\n\r\n")
        page = c.makefile("rb").read().split(b"\r\n\r\n", 1)[-1].strip()
        return page.decode(errors="replace")
    except OSError as e:
        return type(e).__name__
for _ in range(100):
    if get("127.0.0.1", 1) == "svcmap-page":
        break
    time.sleep(0.05)
subprocess.run([shutil.which("ip") or "/usr/sbin/ip", "addr", "add", "10.0.9.7/32", "dev", "lo"], check=True)
t0 = time.monotonic()
got = get("10.0.9.7", 0.2)
print("FIRST", got, flush=True)
while got != "svcmap-page" and time.monotonic() - t0 < 2:
    time.sleep(0.01)
    got = get("10.0.9.7", 0.2)
print("LAG %d ms" % ((time.monotonic() - t0) * 1000), flush=True)
print("GET added-address:", got, flush=True)
srv.kill()
'
start_bg svc4 as_user timeout -k 5 60 "$NSBYPASS" run --log-level=debug \
	-p "$HP4:$CP4" -- python3 -u -c "$addr_inside" "$CP4" "$D/www" "$D"
PID=$NB_LAST_PID
wait "$PID" || nb_error "the fourth container exited with status $?"
L=$NB_TMP/svc4.log
expect_line "GET added-address: svcmap-page" \
	"inside, an address added after start (10.0.9.7:CP)"
echo "report lag: $(grep -E '^(FIRST|LAG) ' "$L" | tr '\n' ' ')"
grep -q "service map: [0-9]* container address(es) from nsagent" "$L" &&
	nb_pass "nsagent's address reports reached the service map" ||
	nb_error "no address report from nsagent in the agent's log"
expect_switches "$CP4" "$HP4" 2 # 127.0.0.1, then 10.0.9.7
nb_done
