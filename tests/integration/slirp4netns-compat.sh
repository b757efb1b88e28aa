# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
#
# slirp4netns-compat.sh - helpers for the tests that run a
# slirp4netns-compatible binary under its real users (rootlesskit, podman):
# test-rootlesskit.sh and test-podman-slirp4netns.sh.  Sourced after
# common.sh.
#
# The binary under test is S4NN_BIN: $NSBYPASS_SLIRP4NETNS, else the
# build tree's src/slirp4netns ("nsbypass slirp4netns" under the name
# slirp4netns).  If it does not exist the test is skipped.  To check the
# tests themselves against the real thing:
#
#   NSBYPASS_SLIRP4NETNS=/usr/bin/slirp4netns tests/integration/test-....sh
#
# Users of the binary are given S4NN_WRAP instead: a shell wrapper that
# appends "pid PID: 'ARG' 'ARG'..." to S4NN_ARGV_LOG and execs S4NN_BIN
# (same pid, same fds).  With NB_S4NN_API_TRACE=1 it goes through
# slirp4netns-api-trace.py, which relays the API socket and logs every
# request and reply to S4NN_API_LOG (a diagnostic: the relay is not part
# of what is tested, so it is off by default).  Both logs are printed
# when a test fails.

# s4nn_setup: skip unless the binary exists, then the usual rootless set-up
# (root, veth test host, test user), subuid/subgid ranges, a usable
# /dev/net/tun, and the wrapper.  Sets S4NN_BIN, S4NN_DIR (a scratch dir
# NB_USER owns), S4NN_WRAP, S4NN_ARGV_LOG, S4NN_API_LOG.
s4nn_setup() {
	local default=$NB_REPO/build/src/slirp4netns
	S4NN_BIN=${NSBYPASS_SLIRP4NETNS:-$default}
	if [ ! -e "$S4NN_BIN" ]; then
		nb_skip "no slirp4netns-compatible binary at $S4NN_BIN (not built" \
			"yet; NSBYPASS_SLIRP4NETNS=/usr/bin/slirp4netns runs this" \
			"test against the real slirp4netns)"
	fi
	[ -x "$S4NN_BIN" ] || nb_fail "$S4NN_BIN is not executable"
	setup_rootless_test
	require_cmd newuidmap newgidmap nsenter
	setup_subids
	require_tun "slirp4netns"

	S4NN_DIR=$NB_TMP/s4nn
	mkdir -p "$S4NN_DIR"
	chown "$NB_USER:" "$S4NN_DIR"
	chmod 755 "$S4NN_DIR"
	# The users run the binary as NB_USER (podman: as root of its rootless
	# user namespace, which is NB_USER too): a copy NB_USER can reach,
	# whatever the checkout's folder (see nb_stage), keeping the name
	# slirp4netns, with nsbypass's nsagent helper beside it.
	local real b
	real=$(readlink -f "$S4NN_BIN")
	install -d -m 0755 "$S4NN_DIR/bin"
	install -m 0755 "$real" "$S4NN_DIR/bin/slirp4netns"
	for b in "$(dirname "$real")/nsbypass-nsagent" \
		 "$(dirname "$real")/../nsagent/nsbypass-nsagent"; do
		if [ -x "$b" ]; then
			install -m 0755 "$b" "$S4NN_DIR/bin/nsbypass-nsagent"
			break
		fi
	done
	S4NN_BIN=$S4NN_DIR/bin/slirp4netns
	as_user "$S4NN_BIN" --help >/dev/null 2>&1 ||
		nb_fail "$NB_USER cannot run $S4NN_BIN --help"
	# In NB_TMP, named *.log: cleanup prints them when the test fails.
	S4NN_ARGV_LOG=$NB_TMP/s4nn-argv.log
	S4NN_API_LOG=$NB_TMP/s4nn-api.log
	: >"$S4NN_ARGV_LOG"
	: >"$S4NN_API_LOG"
	chown "$NB_USER:" "$S4NN_ARGV_LOG" "$S4NN_API_LOG"
	S4NN_WRAP=$S4NN_DIR/slirp4netns
	local run
	run=$(printf '%q' "$S4NN_BIN")
	if [ "${NB_S4NN_API_TRACE:-0}" = 1 ]; then
		install -m 0644 "$NB_ITEST_DIR/slirp4netns-api-trace.py" "$S4NN_DIR/"
		run="$(printf '%q' "$NB_PYTHON") $(printf '%q' "$S4NN_DIR/slirp4netns-api-trace.py") $(printf '%q' "$S4NN_API_LOG") $run"
	fi
	cat >"$S4NN_WRAP" <<EOF
#!/bin/sh
# Log the argv, then become the binary under test (same pid and fds).
{
	printf 'pid %s:' "\$\$"
	for a in "\$@"; do printf " '%s'" "\$a"; done
	printf '\n'
} >>$(printf '%q' "$S4NN_ARGV_LOG")
exec $run "\$@"
EOF
	chmod 755 "$S4NN_WRAP"
	echo "binary under test: $S4NN_BIN (run through $S4NN_WRAP)"
}

# s4nn_mark TEXT: write "# TEXT" into the argv log, to tell cases apart.
s4nn_mark() {
	echo "# $*" >>"$S4NN_ARGV_LOG"
}

# s4nn_runs: the argv log lines of the runs since the last mark that are
# not "--help" probes.
s4nn_runs() {
	awk '/^# /{n=0; delete l; next} {l[n++]=$0}
	     END{for (i = 0; i < n; i++) print l[i]}' "$S4NN_ARGV_LOG" |
		grep -v "^pid [0-9]*: '--help'\$" || true
}

# s4nn_pid: the pid of the last run since the last mark (the process that
# is the binary under test: the wrapper execs it), or nothing.
s4nn_pid() {
	s4nn_runs | tail -n 1 | sed -n 's/^pid \([0-9]*\):.*/\1/p'
}

# s4nn_alive PID: PID runs (exists and is no zombie).
s4nn_alive() {
	local st
	st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
	[ -n "$st" ] && [ "$st" != Z ]
}

# s4nn_wait_gone PID SECONDS: wait until PID has exited; 1 if it has not.
s4nn_wait_gone() {
	local pid=$1 _i
	for _i in $(seq 1 $(($2 * 10))); do
		s4nn_alive "$pid" || return 0
		sleep 0.1
	done
	return 1
}

# s4nn_listener_pid PROTO ADDR PORT: the pid of the process that has the
# host's listening (tcp) or bound (udp) socket ADDR:PORT, or nothing.
s4nn_listener_pid() {
	local flag=-ltnp
	[ "$1" = udp ] && flag=-lunp
	ss -H "$flag" "( sport = :$3 )" 2>/dev/null |
		awk -v a="$2:$3" '$4 == a' |
		sed -n 's/.*pid=\([0-9]*\),.*/\1/p' | head -n 1
}

# s4nn_ask HOST PORT LINE: connect over TCP, send LINE and a newline, and
# print the first line of the reply (5 s bounds).  Exit 1 on any error.
s4nn_ask() {
	"$NB_PYTHON" - "$@" <<'EOF'
import socket, sys
host, port, line = sys.argv[1], int(sys.argv[2]), sys.argv[3]
try:
    s = socket.create_connection((host, port), timeout=5)
    s.sendall(line.encode() + b"\n")
    buf = b""
    while b"\n" not in buf:
        d = s.recv(4096)
        if not d:
            break
        buf += d
    s.close()
except OSError as e:
    print("error: %s" % e)
    sys.exit(1)
print(buf.decode(errors="replace").split("\n")[0])
EOF
}
