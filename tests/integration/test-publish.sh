#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# test-publish.sh - nsbypass run --publish: a server in the container
# reached from the host, as the unprivileged user.
#
#   TCP (bind bypass): the container's bind() of a published port takes
#   the host port.  Proof that no proxy is in the way: the host listener
#   belongs to the container's process (ss -p), and the server sees the
#   host client's own address (slirp would show 10.0.2.2 or its own).
#   UDP, and TCP with --ignore-bind: through slirp; the host listener
#   belongs to nsbypass.
#   A server bound to the container's loopback is not published (one log
#   line says why); a taken
#   host port gives the container EADDRINUSE and the agent a log line;
#   --net=none keeps TCP publishing and refuses UDP with a usage error.
set -xeuo pipefail
. "$(dirname "$0")/common.sh"

setup_rootless_test
require_tun "the fallback"
_nb_tmp
SRV=$(nb_stage "$NB_ITEST_DIR/publish-server.py")
H4=$NB_HOST4
H6=$NB_HOST6

# client PROTO HOST PORT: one request from the host; prints the answer.
client() {
	"$NB_PYTHON" - "$@" <<'PY'
import socket, sys
proto, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
fam = socket.AF_INET6 if ":" in host else socket.AF_INET
try:
    if proto == "tcp":
        s = socket.create_connection((host, port), timeout=5)
        print(s.makefile().readline().strip())
    else:
        s = socket.socket(fam, socket.SOCK_DGRAM)
        s.settimeout(5)
        s.sendto(b"hello", (host, port))
        print(s.recvfrom(2048)[0].decode().strip())
except OSError as e:
    print(f"error {type(e).__name__} {e}")
PY
}

# expect NAME WANT PROTO HOST PORT: the answer must start with WANT.
expect() {
	local name=$1 want=$2 got
	shift 2
	got=$(client "$@")
	if [[ "$got" == "$want"* ]]; then
		nb_pass "$name: $got"
	else
		nb_error "$name: got '$got', want '$want...'"
	fi
}

# start_container NAME ARGS... -- SPEC...: the server under nsbypass run.
start_container() {
	local name=$1 log
	shift
	log=$NB_TMP/$name.log
	local args=()
	while [ "$1" != -- ]; do args+=("$1"); shift; done
	shift
	start_bg "$name" as_user timeout -k 5 90 "$NSBYPASS" run \
		--log-level=info "${args[@]}" -- python3 -u "$SRV" 60 "$@"
	for _i in $(seq 100); do
		grep -q '^ready' "$log" && return 0
		kill -0 "$NB_LAST_PID" 2>/dev/null || break
		sleep 0.1
	done
	_nb_dump_logs
	nb_fail "$name: the server did not come up"
}

# owner PROTO PORT: the process names holding the host's listener.
owner() {
	local flag=-t
	[ "$1" = udp ] && flag=-u
	ss -Hlnp "$flag" "( sport = :$2 )" | grep -o '(("[^"]*"' | tr -d '("' | sort -u | tr '\n' ' '
}

# The bind bypass, TCP over IPv4 and IPv6, and what stays private.
HP1=$(free_port) CP1=$(free_port) HP2=$(free_port) CP2=$(free_port)
HP3=$(free_port) CP3=$(free_port) HP6=$(free_port) CP6=$(free_port)
start_container pub1 -p "$HP1:$CP1" -p "$HP2:$CP2" -p "$HP3:$CP3/udp" \
	-p "$HP6:$CP6/tcp" -- \
	"tcp:0.0.0.0:$CP1" "tcp:127.0.0.1:$CP2" "udp:0.0.0.0:$CP3" "tcp:[::]:$CP6"
L=$NB_TMP/pub1.log
expect "TCP from the host's loopback, no proxy" "tcp peer 127.0.0.1 sock $HP1" \
	tcp 127.0.0.1 "$HP1"
expect "TCP from a host address, no proxy" "tcp peer $H4 sock $HP1" \
	tcp "$H4" "$HP1"
case "$(owner tcp "$HP1")" in
"python3 ") nb_pass "the host listener of $HP1 is the container's socket" ;;
*) nb_error "the host listener of $HP1 belongs to '$(owner tcp "$HP1")', want python3" ;;
esac
expect "IPv6 server: TCP from fd99::1" "tcp peer $H6 sock $HP6" tcp "$H6" "$HP6"
expect "IPv6 server: dual-stack, TCP from 127.0.0.1" "tcp peer ::ffff:127.0.0.1" \
	tcp 127.0.0.1 "$HP6"
expect "a server on the container's loopback is not published" "error" \
	tcp 127.0.0.1 "$HP2"
grep -q "^bound tcp:127.0.0.1:$CP2 $CP2\$" "$L" &&
	nb_pass "it is bound inside, at its own port" ||
	nb_error "the loopback server did not bind $CP2 inside: $(cat "$L")"
grep -q "port $CP2 is published, but its server binds 127.0.0.1, a loopback address" "$L" &&
	nb_pass "the agent says why $CP2 is not published" ||
	nb_error "no log line for the loopback server of $CP2: $(cat "$L")"
expect "UDP through slirp" "udp peer $H4" udp "$H4" "$HP3"
case "$(owner udp "$HP3")" in
"nsbypass ") nb_pass "the host socket of UDP $HP3 is slirp's (nsbypass)" ;;
*) nb_error "UDP $HP3 belongs to '$(owner udp "$HP3")', want nsbypass" ;;
esac

# --ignore-bind: TCP through slirp as well.
HP4=$(free_port) CP4=$(free_port)
start_container pub2 --ignore-bind -p "$H4:$HP4:$CP4" -- "tcp:0.0.0.0:$CP4"
expect "--ignore-bind: TCP through slirp" "tcp peer $H4 sock $CP4" \
	tcp "$H4" "$HP4"
case "$(owner tcp "$HP4")" in
"nsbypass ") nb_pass "--ignore-bind: the host listener is slirp's (nsbypass)" ;;
*) nb_error "--ignore-bind: $HP4 belongs to '$(owner tcp "$HP4")', want nsbypass" ;;
esac

# One container port on two host ports: one socket cannot be two host
# listeners, so both go through slirp to the server bound inside (the
# bind bypass gave the second host port nothing).
HPA=$(free_port) HPB=$(free_port) CPAB=$(free_port)
start_container pub5 -p "$HPA:$CPAB" -p "$HPB:$CPAB" -- "tcp:0.0.0.0:$CPAB"
expect "a port on two host ports: the first, through slirp" \
	"tcp peer $H4 sock $CPAB" tcp "$H4" "$HPA"
expect "a port on two host ports: the second, through slirp" \
	"tcp peer $H4 sock $CPAB" tcp "$H4" "$HPB"
nb_expect_fail "--net=none refuses a port on two host ports" "not with --net=none" \
	nb_bypass --net=none -p "$HPA:$CPAB" -p "$HPB:$CPAB" -- true

# A host port already taken: EADDRINUSE in the container, a log line.
HP5=$(free_port) CP5=$(free_port)
start_echo taken 127.0.0.1 "$HP5" "$NB_TMP/taken.peers"
start_container pub3 -p "$HP5:$CP5" -- "tcp:0.0.0.0:$CP5"
grep -q "^bindfail tcp:0.0.0.0:$CP5 EADDRINUSE\$" "$NB_TMP/pub3.log" &&
	nb_pass "a taken host port: EADDRINUSE in the container" ||
	nb_error "a taken host port: want EADDRINUSE, got: $(cat "$NB_TMP/pub3.log")"
grep -q "error: published port $HP5:$CP5/tcp: the host port is in use; the container.s bind() fails with EADDRINUSE" \
	"$NB_TMP/pub3.log" && nb_pass "... and a log line" ||
	nb_error "no log line for the taken port"

# The host socket of a published port must not be a way to the host's
# loopback: between bind() and listen() a bound TCP socket could be
# connected by sendto(MSG_FASTOPEN), a call the agent never sees.
HP8=$(free_port) CP8=$(free_port) LP=$(free_port)
start_echo loop 127.0.0.1 "$LP" "$NB_TMP/loop.peers"
fastopen='
import socket, sys
s = socket.socket()
s.bind(("0.0.0.0", int(sys.argv[1])))
for how in ("fastopen", "connect"):
    try:
        if how == "fastopen":
            s.sendto(b"x", socket.MSG_FASTOPEN, ("127.0.0.1", int(sys.argv[2])))
        else:
            s.connect(("127.0.0.1", int(sys.argv[2])))
        print("REACHED host loopback by", how)
    except OSError as e:
        print("refused", how, e.errno)
s.listen(4)
print("OK listening")
'
nb_expect_ok "a published port's socket cannot reach the host's loopback" \
	nb_bypass --net=none -p "$HP8:$CP8" -- \
	python3 -c "$fastopen" "$CP8" "$LP"
if grep -q REACHED <<<"$NB_OUT" || [ -s "$NB_TMP/loop.peers" ]; then
	nb_error "the host loopback listener was reached: $NB_OUT $(cat "$NB_TMP/loop.peers")"
fi

# --net=none: the bind bypass needs no slirp; UDP does.
HP7=$(free_port) CP7=$(free_port)
start_container pub4 --net=none -p "$HP7:$CP7" -- "tcp:0.0.0.0:$CP7"
expect "--net=none: TCP published" "tcp peer $H4 sock $HP7" tcp "$H4" "$HP7"
nb_expect_fail "--net=none refuses a UDP port" "not with --net=none" \
	nb_bypass --net=none -p "$HP7:$CP7/udp" -- true
nb_expect_fail "a bad --publish is a usage error" "want .HOSTIP:.HOSTPORT" \
	nb_bypass -p "$HP7" -- true
nb_done
