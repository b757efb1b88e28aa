# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
#
# oci-common.sh - helpers for the tests of `nsbypass oci`, sourced after
# common.sh.  The caller sets SOCK, LOG and PIDF (paths in a directory
# NB_USER owns).
#
#   oci_agents                  how many agent processes the daemon (DPID)
#                               runs (other tests may run agents too)
#   oci_nsagents                the pids of their nsagent helpers
#   oci_wait_no_agents          bounded wait until none is left (5 s)
#   oci_agent_stats MARK        the stats line ("info: agent: ...") of the
#                               first agent that ended after LOG line MARK
#                               (waits up to 10 s for one to end)
#   oci_stop_daemon             SIGTERM the daemon (DPID); it must exit,
#                               and every agent it started must have ended
#   oci_test_servers            echo servers (port EP) and an HTTP server
#                               (port HTP) serving token.txt = "token-EP"
#                               on the test host
#   oci_wait_page HOST PORT WANT
#                               bounded wait (10 s) until
#                               http://HOST:PORT/token.txt is WANT
#   oci_daemon_cleanup          for EXIT traps: stop the daemon of PIDF,
#                               print LOG
#   oci_expect_log DESC ERE [N] LOG has N (1) lines ERE within
#                               OCI_LOG_WAIT_S (10) seconds: nb_pass, else
#                               nb_error and status 1
#   oci_sim_setup               for the tests that run containers with
#                               oci-sim as NB_USER (crash, restart): the
#                               staged OCI_SIM and CLIENT (crash-client.py),
#                               D (NB_USER's 0700 folder), SOCK, PIDF, and
#                               two servers: SP on the test host (accepts
#                               and closes) and the AF_UNIX socket USOCK

oci_agents() {
	pgrep -P "$DPID" -x nsbypass-agent | wc -l
}

oci_nsagents() {
	local a
	for a in $(pgrep -P "$DPID" -x nsbypass-agent); do
		pgrep -P "$a" -f "^nsbypass-nsagent " || true
	done
}

oci_wait_no_agents() {
	local _i
	for _i in $(seq 1 50); do
		[ "$(oci_agents)" -eq 0 ] && return 0
		sleep 0.1
	done
	return 1
}

oci_agent_stats() {
	local mark=$1 _i
	for _i in $(seq 1 100); do
		tail -n +"$((mark + 1))" "$LOG" | grep ": agent pid [0-9]* ended" >/dev/null && break
		sleep 0.1
	done
	tail -n +"$((mark + 1))" "$LOG" | grep -m1 "info: agent: " || true
}

oci_stop_daemon() {
	local started ended _i
	kill "$DPID"
	for _i in $(seq 1 50); do
		kill -0 "$DPID" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$DPID" 2>/dev/null && nb_error "the daemon ignored SIGTERM"
	started=$(grep -Ec ": agent pid [0-9]+ (serves|adopted)" "$LOG" || true)
	# A container whose crash loop was given up has no agent to end.
	ended=$(grep -Ec ": agent pid [0-9]* ended|: given up; " "$LOG" || true)
	if [ "$started" = "$ended" ]; then
		nb_pass "$started agents started, $ended ended"
	else
		nb_error "$started agents started, $ended ended"
	fi
}

oci_test_servers() {
	start_test_echo
	EP=$NB_ECHO_PORT
	mkdir -p "$NB_TMP/www"
	echo "token-$EP" >"$NB_TMP/www/token.txt"
	HTP=$(free_port)
	start_http http4 "$NB_HOST4" "$HTP" "$NB_TMP/www"
}

oci_wait_page() {
	local got= _i
	for _i in $(seq 1 50); do
		got=$(curl -s --max-time 2 "http://$1:$2/token.txt" || true)
		[ "$got" = "$3" ] && return 0
		sleep 0.2
	done
	return 1
}

oci_daemon_cleanup() {
	local p
	p=$(cat "$PIDF" 2>/dev/null)
	[ -z "$p" ] || kill "$p" 2>/dev/null
	[ ! -s "$LOG" ] || { echo "----- daemon log"; cat "$LOG"; }
}

# oci_cleanup_on_exit: at the test's end, the daemon stopped and its log
# shown, then common.sh's cleanup
oci_cleanup_on_exit() {
	trap '_oci_exit_cleanup' EXIT
}
_oci_exit_cleanup() {
	local rc=$?
	set +e
	oci_daemon_cleanup
	(exit "$rc")
	cleanup
}

oci_expect_log() {
	local tries=$((${OCI_LOG_WAIT_S:-10} * 10)) _i
	for _i in $(seq "$tries"); do
		[ "$(grep -Ec -- "$2" "$LOG" || true)" -ge "${3:-1}" ] &&
			{ nb_pass "$1: logged /$2/"; return 0; }
		sleep 0.1
	done
	nb_error "$1: no log line /$2/ (x${3:-1}) in: $(tail -n 20 "$LOG")"
	return 1
}

oci_sim_setup() {
	setup_rootless_test
	require_cmd python3 unshare
	OCI_SIM=${OCI_SIM:-$NB_REPO/build/tests/oci-sim}
	[ -x "$OCI_SIM" ] || nb_fail "oci-sim not built: $OCI_SIM"
	nb_stage_vars OCI_SIM
	CLIENT=$(nb_stage "$NB_ITEST_DIR/crash-client.py")
	D=$NB_TMP/oci
	install -d -m 0700 -o "$NB_USER" "$D"
	SOCK=$D/oci.sock
	PIDF=$D/oci.pid
	USOCK=$D/unix.sock
	SP=$(free_port)
	start_bg accept "$NB_PYTHON" -u "$NB_ITEST_DIR/sink-server.py" --close \
		"$NB_HOST4" "$SP"
	wait_for_port "$NB_HOST4" "$SP" tcp
	start_bg unix as_user "$NB_PYTHON" -u \
		"$(nb_stage "$NB_ITEST_DIR/sink-server.py")" --close \
		"unix:$USOCK" 0
	for _ in $(seq 50); do [ -S "$USOCK" ] && break; sleep 0.1; done
	[ -S "$USOCK" ] || nb_fail "no AF_UNIX server at $USOCK"
}
