#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# test-escape.sh - a switched (host) socket cannot be operated on by ways
# that skip the trapped native calls (docs/design.md §2 and §7).
#
# Inside `nsbypass run --net=none`, escape-probe connects a TCP and a UDP
# socket to the test host (they are switched to host sockets), then tries
# to disconnect, bind to 0.0.0.0:PORT and listen on them through io_uring
# (IORING_OP_CONNECT/BIND/LISTEN) and through the i386 ABI (int $0x80:
# direct calls and socketcall()).  io_uring must be ENOSYS; the i386 calls
# get the native answers for a host socket (EOPNOTSUPP, EINVAL,
# EOPNOTSUPP), and PORT must never show up on the host.  Before the fix
# each of them succeeded and the host held the port.  The same ABI on a
# container socket keeps working (bind, listen; a connect stays inside).
#
# ESCAPE_WAYS says which ways (meson runs io_uring as integration-escape,
# the i386 ABI as integration-escape-ia32, which skips on a kernel that
# does not run i386 calls at all).
set -xeuo pipefail
. "$(dirname "$0")/common.sh"

ESCAPE_PROBE=${ESCAPE_PROBE:-$NB_REPO/build/tests/integration/escape-probe}
[ -x "$ESCAPE_PROBE" ] || nb_fail "$ESCAPE_PROBE not built"
ESCAPE_WAYS=${ESCAPE_WAYS:-uring ia32 socketcall}
case " $ESCAPE_WAYS " in
*" ia32 "* | *" socketcall "*)
	"$ESCAPE_PROBE" have-ia32 ||
		nb_skip "this kernel does not run i386 calls (int \$0x80 kills even an unconfined process)"
	;;
esac
setup_rootless_test
nb_stage_vars ESCAPE_PROBE
H4=$NB_HOST4
start_test_echo
EP=$NB_ECHO_PORT

# want FILE STEP ANSWER: the probe's line for STEP says ANSWER.
want() {
	local got
	got=$(sed -n "s/^$2 //p" "$1" | head -n 1)
	if [ "$got" = "$3" ]; then
		nb_pass "$4: $2 $3"
	else
		nb_error "$4: $2 gave '${got:-nothing}', want $3"
	fi
}

# attempt WAY PROTO: run the probe, and while it holds its socket look
# for the port on the host.
attempt() {
	local way=$1 proto=$2 bp out i desc="$1 $2"
	bp=$(free_port)
	out=$NB_TMP/escape-$way-$proto.out
	nb_bypass --net=none -- "$ESCAPE_PROBE" "$way" "$proto" "$H4" "$EP" \
		"$bp" 2 >"$out" 2>&1 &
	local pid=$!
	for i in $(seq 100); do
		grep -q '^holding' "$out" && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	cat "$out"
	grep -q '^holding' "$out" || nb_error "$desc: the probe did not get through"
	# A bound TCP socket that does not listen is in no table ss reads:
	# try to bind the port on the host instead.
	if python3 - "$proto" "$bp" <<'PY'; then
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM if sys.argv[1] == "tcp"
                  else socket.SOCK_DGRAM)
try:
    s.bind(("0.0.0.0", int(sys.argv[2])))
except OSError as e:
    print("host bind:", e)
    sys.exit(1)
PY
		nb_pass "$desc: port $bp is not taken on the host"
	else
		nb_error "$desc: the host holds port $bp"
	fi
	wait "$pid" || nb_error "$desc: the probe exited $?"
	want "$out" connect 0 "$desc (switched)"
	case $way in
	uring) want "$out" io_uring_setup -ENOSYS "$desc" ;;
	*)
		want "$out" disconnect -EOPNOTSUPP "$desc"
		want "$out" bind -EINVAL "$desc"
		[ "$proto" = udp ] || want "$out" listen -EOPNOTSUPP "$desc"
		;;
	esac
	if [ "$way" = ia32 ]; then
		want "$out" fresh-bind 0 "$desc, container socket"
		[ "$proto" = udp ] || want "$out" fresh-listen 0 "$desc, container socket"
		want "$out" fresh-connect -ENETUNREACH "$desc, container socket (kept)"
	fi
}

for way in $ESCAPE_WAYS; do
	for proto in tcp udp; do
		attempt "$way" "$proto"
	done
done
nb_done
