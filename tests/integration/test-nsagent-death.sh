#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# test-nsagent-death.sh - the agent (nsbypass run) and its helper
# nsbypass-nsagent watch each other, as the unprivileged user.
#
# (a) The agent dies (SIGKILL, so it cleans up nothing): within 5 s no
#     process is left in the container's user namespace: not nsagent,
#     not the command (PR_SET_PDEATHSIG), and not a child the command
#     started in the background, which would otherwise run on with
#     ENOSYS from every trapped call.
# (b) nsagent dies (SIGKILL) while the command runs: the agent logs
#     "nsagent exited" and keeps serving.  A TCP echo to the test host
#     afterwards is still bypassed (the socket's local address is the
#     host's, 10.99.0.1), and with --ignore the same echo still goes
#     through the fallback network (local address 10.0.2.100: the tap fd
#     is the agent's, not nsagent's).  The command's exit status comes
#     back as before.
#
# Processes are told apart from those of other runs by their user
# namespace: the command writes its pid to a file, its parent is the
# agent, and nsagent is the nsbypass-nsagent process in the same user
# namespace (it is double-forked away from the agent).  The script holds
# an fd of each such namespace, so that its identity is not reused.
# shellcheck disable=SC2016 # the container's scripts expand inside
set -xeuo pipefail
# shellcheck source=tests/integration/common.sh
. "$(dirname "$0")/common.sh"

setup_rootless_test
require_tun "the fallback"

H4=$NB_HOST4
EP=$(free_port)
start_echo echo4 "$H4" "$EP" "$NB_TMP/echo.peers"
RUN=$NB_TMP/run			# written by the test user
mkdir "$RUN"
chown "$NB_USER" "$RUN"
AGENTS=()			# every agent started, for the cleanup
USERNS=()			# every container's user namespace

# The cleanup kills what a failed check may have left: the agents and
# every process still in a container's user namespace.
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup_runs() {
	local rc=$? a ns p
	set +e
	for a in "${AGENTS[@]}"; do
		[ "$(cat "/proc/$a/comm" 2>/dev/null)" = nsbypass ] &&
			kill -9 "$a"
	done
	for ns in "${USERNS[@]}"; do
		for p in $(userns_procs "$ns" | cut -d' ' -f1); do
			kill -9 "$p"
		done
	done
	(exit "$rc")
	cleanup
}
trap cleanup_runs EXIT

# userns_procs NS: print "PID COMM" of each live (not zombie) process
# whose user namespace is NS (as readlink /proc/PID/ns/user prints it).
userns_procs() {
	"$NB_PYTHON" - "$1" <<'EOF'
import os, sys
for pid in os.listdir("/proc"):
    if not pid.isdigit():
        continue
    try:
        if os.readlink("/proc/%s/ns/user" % pid) != sys.argv[1]:
            continue
        with open("/proc/%s/stat" % pid) as f:
            stat = f.read()
        with open("/proc/%s/comm" % pid) as f:
            comm = f.read().strip()
    except OSError:
        continue	# gone, or a zombie without namespaces
    if stat[stat.rindex(")") + 2] not in "ZX":
        print(pid, comm)
EOF
}

# container_start NAME ARGS...: "nsbypass run ARGS..." in the background,
# whose command must write its pid to $RUN/NAME.pid (atomically) first.
# Sets CMD (the command's pid), AGENT, NS (its user namespace), NSAGENT
# and BG (the background job, whose status is nsbypass's).
container_start() {
	local name=$1 _i p
	shift
	# No trace of the helper functions in nsbypass's stderr.
	({ set +x; } 2>/dev/null; nb_bypass "$@") \
		>"$NB_TMP/$name.out" 2>"$NB_TMP/$name.err" </dev/null &
	BG=$!
	for _i in $(seq 1 100); do
		[ -s "$RUN/$name.pid" ] && break
		kill -0 "$BG" 2>/dev/null ||
			nb_fail "$name: nsbypass exited before the command started: $(cat "$NB_TMP/$name.err")"
		sleep 0.1
	done
	CMD=$(cat "$RUN/$name.pid") || nb_fail "$name: no pid file after 10 s"
	AGENT=$(awk '/^PPid:/ {print $2}' "/proc/$CMD/status")
	[ "$(cat "/proc/$AGENT/comm")" = nsbypass ] ||
		nb_fail "$name: the command's parent $AGENT is not nsbypass"
	AGENTS+=("$AGENT")
	NS=$(readlink "/proc/$CMD/ns/user")
	# Hold the namespace until the script ends: a dead one's inode
	# number could name another test's new namespace, which the checks
	# and the cleanup must not touch.
	exec {ns_fd}<"/proc/$CMD/ns/user"
	[ "$(readlink "/proc/$$/fd/$ns_fd")" = "$NS" ] ||
		nb_fail "$name: the command's user namespace changed under us"
	USERNS+=("$NS")
	[ "$NS" != "$(readlink /proc/self/ns/user)" ] ||
		nb_fail "$name: the command runs in the host's user namespace"
	NSAGENT=
	for _i in $(seq 1 50); do
		p=$(userns_procs "$NS" | awk '$2 == "nsbypass-nsagen" {print $1}')
		[ -n "$p" ] && break
		sleep 0.1
	done
	[ "$(wc -w <<<"$p")" -eq 1 ] ||
		nb_fail "$name: want one nsbypass-nsagent in $NS, found '$p'"
	NSAGENT=$p
	echo "$name: command $CMD, agent $AGENT, nsagent $NSAGENT, $NS"
}

# wait_gone SECONDS PID...: wait until no PID runs (zombies are dead).
wait_gone() {
	local - t=$1 _i p alive
	set +x
	shift
	for _i in $(seq 1 $((t * 10))); do
		alive=
		for p in "$@"; do
			case $(sed -n 's/.*) \(.\) .*/\1/p' "/proc/$p/stat" 2>/dev/null) in
			"" | Z | X) ;;
			*) alive="$alive $p" ;;
			esac
		done
		[ -z "$alive" ] && return 0
		sleep 0.1
	done
	return 1
}

# wait_job SECONDS: wait for BG; sets RC (124 if it is still running).
wait_job() {
	local _i
	for _i in $(seq 1 $(($1 * 10))); do
		kill -0 "$BG" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$BG" 2>/dev/null; then
		RC=124
		return
	fi
	RC=0
	wait "$BG" || RC=$?
}

### (a) The agent dies: nothing of the container may run on.
container_start a -- sh -c \
	'sleep 60 & echo $$ >"$1.tmp" && mv "$1.tmp" "$1" && exec sleep 61' \
	sh "$RUN/a.pid"
before=$(userns_procs "$NS")
echo "in $NS before: $before"
[ "$(wc -l <<<"$before")" -ge 3 ] ||
	nb_fail "want the command, its child and nsagent in $NS, got: $before"
kill -9 "$AGENT"
t0=$(date +%s%N)
if wait_gone 5 "$NSAGENT"; then
	nb_pass "(a) nsagent exits when the agent dies ($((($(date +%s%N) - t0) / 1000000)) ms)"
else
	nb_error "(a) nsagent $NSAGENT still runs 5 s after the agent died"
fi
if wait_gone 5 "$CMD"; then
	nb_pass "(a) the command dies with the agent"
else
	nb_error "(a) the command $CMD still runs 5 s after the agent died"
fi
# shellcheck disable=SC2046 # one word per pid
wait_gone 5 $(userns_procs "$NS" | cut -d' ' -f1) || true
left=$(userns_procs "$NS")
if [ -n "$left" ]; then
	nb_error "(a) left running in the container's user namespace: $left"
else
	nb_pass "(a) nothing is left in the container's user namespace"
fi
wait_job 5
if [ "$RC" -eq 124 ]; then
	nb_error "(a) nsbypass run has not returned 5 s after the agent died"
fi
echo "(a) nsbypass run: status $RC, stderr: $(cat "$NB_TMP/a.err")"

### (b) nsagent dies: the agent notices and keeps serving.
# The probe: a TCP echo that prints the socket's local address, which is
# the host's for a bypassed socket and the tap's through slirp.
probe='
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5)
s.settimeout(5)
s.sendall(b"ping\n")
if s.recv(64) != b"ping\n":
    sys.exit("FAIL no echo")
print("OK local=%s peer=%s:%d" % ((s.getsockname()[0],) + s.getpeername()[:2]))
'
# The command: write the pid file $1, wait (at most 20 s) for the go file
# $2, run the probe $3 to $4 port $5, exit 7 if it passed.
script='
echo $$ >"$1.tmp" && mv "$1.tmp" "$1"
for _i in $(seq 1 200); do [ -e "$2" ] && break; sleep 0.1; done
[ -e "$2" ] || { echo "FAIL no go"; exit 1; }
python3 -c "$3" "$4" "$5" && exit 7
'
# nsagent_dies NAME WANT_LOCAL NSBYPASS-ARGS...: kill nsagent of a fresh
# container, then let its command run the probe.
nsagent_dies() {
	local name=$1 want=$2 _i
	shift 2
	container_start "$name" "$@" -- sh -c "$script" sh "$RUN/$name.pid" \
		"$RUN/$name.go" "$probe" "$H4" "$EP"
	kill -9 "$NSAGENT"
	wait_gone 5 "$NSAGENT" || nb_fail "($name) nsagent survived SIGKILL"
	for _i in $(seq 1 50); do
		grep -q "nsagent exited" "$NB_TMP/$name.err" && break
		sleep 0.1
	done
	if grep -q "nsagent exited" "$NB_TMP/$name.err"; then
		nb_pass "($name) the agent noticed: $(grep "nsagent exited" "$NB_TMP/$name.err")"
	else
		nb_error "($name) no 'nsagent exited' from the agent in 5 s: $(cat "$NB_TMP/$name.err")"
	fi
	kill -0 "$AGENT" 2>/dev/null || nb_fail "($name) the agent died with nsagent"
	touch "$RUN/$name.go"
	wait_job 20
	NB_OUT=$(cat "$NB_TMP/$name.out")
	NB_LAST=$(nb_last_line "$NB_OUT")
	if [ "$RC" -ne 7 ]; then
		nb_error "($name) nsbypass run exited $RC after nsagent's death, want the command's 7; last line '$NB_LAST'; stderr: $(cat "$NB_TMP/$name.err")"
	elif [ "$NB_LAST" != "OK local=$want peer=$H4:$EP" ]; then
		nb_error "($name) got '$NB_LAST', want 'OK local=$want peer=$H4:$EP'"
	else
		nb_pass "($name) after nsagent's death: $NB_LAST"
	fi
}

nsagent_dies b-bypass "$H4"
nsagent_dies b-slirp 10.0.2.100 --ignore=10.99.0.0/24
n=$(grep -c '^tcp ' "$NB_TMP/echo.peers" || true)
if [ "$n" -ne 2 ]; then
	nb_error "the echo server logged $n connections, want 2"
fi
nb_done
