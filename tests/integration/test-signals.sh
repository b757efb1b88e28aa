#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# test-signals.sh - a caught signal interrupts a blocking connect() that
# the agent is waiting on, as it does on Linux (docs/design.md §3.1).
#
# The agent's wait is killable only (SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV,
# so that Go's SIGURG cannot make an EINTR loop of it); the agent watches
# the waiting thread for a pending caught signal instead and answers
# -ERESTARTSYS, which the kernel turns into EINTR, or a restart under
# SA_RESTART.  Each case runs on the host first (what Linux does) and then
# under nsbypass run --net=none (a switched connect):
#   - C, SIGUSR1 without SA_RESTART: EINTR at once; the next connect()
#     waits for the handshake and returns 0; the one after gets EISCONN;
#   - C, with SA_RESTART: the handler runs, connect() goes on and returns
#     0; the next gets EISCONN;
#   - python, signal.alarm(1) with a raising handler, and SIGINT
#     (KeyboardInterrupt): the connect to a host that never answers ends
#     with the handler's exception, not after the TCP timeout (~2 min;
#     before, not even timeout's SIGTERM ended it);
#   - Go: 400 dials beside CPU-bound goroutines, which the runtime preempts
#     with SIGURG: none fails, and the agent gets as many notifications as
#     without them (no call trapped twice).
# The listeners take no connection at first (full accept queue: SYNs are
# dropped, nothing leaves the machine); blackhole-server.py's late one
# opens after 2 s.
set -xeuo pipefail
. "$(dirname "$0")/common.sh"

setup_rootless_test
H4=$NB_HOST4
BP=$(free_port)
start_bg blackhole "$NB_PYTHON" -u "$NB_ITEST_DIR/blackhole-server.py" "$H4" "$BP"
wait_for_port "$H4" "$BP" tcp
sleep 0.5	# the fillers are queued 0.2 s apart

# late_server: a fresh listener on the test host that opens after 2 s;
# sets LP.
late_server() {
	local log
	LP=$(free_port)
	start_bg "late-$LP" "$NB_PYTHON" -u "$NB_ITEST_DIR/blackhole-server.py" \
		"$H4" "$LP" 2
	log=$NB_TMP/late-$LP.log
	for _ in $(seq 100); do
		grep -q 'blackhole ready' "$log" && return 0
		sleep 0.1
	done
	nb_fail "blackhole-server.py did not start: $(cat "$log")"
}

# where DESC CMD...: CMD on the host as the test user, then under nsbypass.
where() {
	local desc=$1
	shift
	nb_expect_ok "host: $desc" as_user timeout -k 5 30 "$@"
	nb_expect_ok "nsbypass: $desc" nb_bypass --net=none -- "$@"
}

for how in norestart restart; do
	late_server
	nb_expect_ok "host: C, SIGUSR1 ($how)" \
		as_user timeout -k 5 30 "$SOCKPROBE" intr "$H4" "$LP" "$how"
	late_server
	nb_expect_ok "nsbypass: C, SIGUSR1 ($how)" \
		nb_bypass --net=none -- "$SOCKPROBE" intr "$H4" "$LP" "$how"
done

# python, interrupted by SIGNAL: alarm (signal.alarm(1), a handler that
# raises) or sigint (a timer thread's SIGINT: KeyboardInterrupt).
PYINTR="
import os, signal, socket, sys, threading, time
class Alarm(Exception):
    pass
def on_alarm(sig, frame):
    raise Alarm()
if sys.argv[1] == 'alarm':
    signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(1)
else:
    threading.Timer(1, os.kill, (os.getpid(), signal.SIGINT)).start()
s = socket.socket()
t0 = time.monotonic()
try:
    s.connect(('$H4', $BP))
    print('FAIL connected')
except (Alarm, KeyboardInterrupt) as e:
    took = time.monotonic() - t0
    print('OK %s after %.2f s' % (type(e).__name__, took) if took < 10 else
          'FAIL %.2f s' % took)
"
where "python: signal.alarm(1) interrupts a connect that hangs" \
	python3 -c "$PYINTR" alarm
where "python: SIGINT (KeyboardInterrupt) interrupts a connect that hangs" \
	python3 -c "$PYINTR" sigint
# Go: dials (non-blocking connects) from goroutines while others burn CPU
# and the runtime preempts them with SIGURG.  No dial may fail, and the
# agent must get one notification per connect: no EINTR loop.
if ! command -v go >/dev/null; then
	echo "SKIP: Go part: no go compiler (golang-go)"
else
	GOTMP=$NB_TMP/go
	mkdir -p "$GOTMP"
	HOME=$GOTMP GOCACHE=$GOTMP/cache GOPATH=$GOTMP/path \
		go build -o "$GOTMP/go-dial" "$NB_REPO/tests/helpers/go-dial.go" ||
		nb_fail "go build go-dial.go failed"
	GODIAL=$(nb_stage "$GOTMP/go-dial")
	start_test_echo
	N=400
	# dials N SPIN: sets NOTES to the agent's notification count.
	dials() {
		nb_expect_ok "Go: $N dials beside $2 busy goroutines" \
			nb_bypass --net=none --log-level=debug -- \
			"$GODIAL" "$H4:$NB_ECHO_PORT" "$N" "$2"
		grep -q "agent: $N switched" <<<"$NB_ERR" ||
			nb_error "Go: want $N switched: $(grep 'agent:' <<<"$NB_ERR")"
		NOTES=$(sed -n 's/.*notifications: \([0-9]*\) received.*/\1/p' <<<"$NB_ERR")
	}
	dials "$N" 0
	quiet=$NOTES
	dials "$N" 4
	if [ -n "$quiet" ] && [ "$NOTES" = "$quiet" ]; then
		nb_pass "Go: $NOTES notifications with SIGURG preemption, as many as without"
	else
		nb_error "Go: $NOTES notifications beside busy goroutines, $quiet without"
	fi
fi
nb_done
