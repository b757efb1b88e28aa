#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# test-daemon-restart.sh - `nsbypass daemon` ends while its bypasses'
# containers run (docs/design.md §6.4 "A daemon that restarts", §6.6), as
# the unprivileged NB_USER with requests as nerdctl sends them and
# oci-sim containers.
#   (a) kill -9 of the daemon: its `nsbypass oci` children run on; the
#       next daemon adopts them: GET lists them with the same pids,
#       DELETE stops one (200, its state file gone), the id and its
#       socketPath can be POSTed again;
#   (b) SIGTERM of the daemon: it stops its children, the containers'
#       agents serve on; the next daemon starts the bypass again from its
#       state directory (a new pid), and the new `nsbypass oci` adopts the
#       container's agent (killed then, it is restarted by it);
#   (c) a container connecting in a loop (4 threads) across both: no
#       connect fails;
#   (d) hostile state files (garbage, a symlink, a spec that fails the
#       checks, a name that is not its id) are logged, removed and
#       skipped.
# Before: kill -9 orphaned the children (GET [], DELETE 400, POST 500).
set -xeuo pipefail
. "$(dirname "$0")/common.sh"
. "$(dirname "$0")/oci-common.sh"

oci_sim_setup
H4=$NB_HOST4
SOCK=$D/bypass4netnsd.sock
STATE=$SOCK.state
API=http://bypass4netnsd/v1/bypass
. "$(dirname "$0")/daemon-env.sh"
require_cmd curl

restart_cleanup() {
	local rc=$?
	set +e
	for l in "$D"/oci-*.log; do
		[ -s "$l" ] && { echo "----- $l"; cat "$l"; }
	done
	(exit "$rc")
	cleanup
}
trap restart_cleanup EXIT

# spec ID: a BypassSpec as nerdctl posts it, socketPath D/ID.sock, its
# nsbypass oci's log D/oci-ID.log.
spec() {
	body "$1" "{\"id\":\"$1\",\"socketPath\":\"$D/$1.sock\",\"logFilePath\":\"$D/oci-$1.log\",\"portMapping\":[],\"ignoreSubnets\":[\"127.0.0.0/8\"],\"ignoreBind\":false}"
}

# pid_of ID: the pid GET lists for ID.
pid_of() {
	api user GET "$API"
	pyjson "[s['pid'] for s in d if s['id'] == '$1'][0]"
}

start_daemon daemon-1
api user POST "$API" "$(spec aaaa)"
[ "$API_CODE" = 201 ] || nb_fail "POST aaaa: $API_CODE $API_BODY"
api user POST "$API" "$(spec bbbb)"
[ "$API_CODE" = 201 ] || nb_fail "POST bbbb: $API_CODE $API_BODY"
[ -s "$STATE/aaaa.json" ] && [ -s "$STATE/bbbb.json" ] &&
	nb_pass "each bypass has its state file" || nb_error "no state files in $STATE"
PA=$(pid_of aaaa)
PB=$(pid_of bbbb)

# A container on bbbb's socket, connecting for 14 s.
as_user timeout -k 5 120 unshare -r -n "$OCI_SIM" --listener "$D/bbbb.sock" \
	--id ctr-b -- "$NB_PYTHON" "$CLIENT" loop "$H4" "$SP" 14 4 "$USOCK" \
	>"$D/ctr-b.out" 2>&1 &
CB=$!
sleep 1.5

# ---- (a)
kill -9 "$DAEMON_PID"
sleep 0.5
kill -0 "$PA" && kill -0 "$PB" && nb_pass "(a) the children run on after kill -9" ||
	nb_error "(a) a child died with the daemon"
start_daemon daemon-2
expect_list "(a) the next daemon lists both" aaaa bbbb
[ "$(pid_of aaaa)" = "$PA" ] && [ "$(pid_of bbbb)" = "$PB" ] &&
	nb_pass "(a) with the same pids (adopted)" || nb_error "(a) other pids: $API_BODY"
api user DELETE "$API/aaaa"
[ "$API_CODE" = 200 ] && nb_pass "(a) DELETE of an adopted bypass: 200" ||
	nb_error "(a) DELETE: $API_CODE $API_BODY"
for _ in $(seq 50); do kill -0 "$PA" 2>/dev/null || break; sleep 0.1; done
kill -0 "$PA" 2>/dev/null && nb_error "(a) the adopted child $PA did not stop"
[ ! -e "$STATE/aaaa.json" ] && nb_pass "(a) its state file is gone" ||
	nb_error "(a) aaaa.json left"
api user POST "$API" "$(spec aaaa)"
[ "$API_CODE" = 201 ] && nb_pass "(a) the same id and socketPath again: 201" ||
	nb_error "(a) POST again: $API_CODE $API_BODY"

# ---- (b)
kill -TERM "$DAEMON_PID"
for _ in $(seq 100); do kill -0 "$PB" 2>/dev/null || break; sleep 0.1; done
kill -0 "$PB" 2>/dev/null && nb_error "(b) SIGTERM did not stop bbbb's child"
start_daemon daemon-3
expect_list "(b) the next daemon has both again" aaaa bbbb
NPB=$(pid_of bbbb)
[ "$NPB" != "$PB" ] && nb_pass "(b) bbbb started again (pid $NPB)" ||
	nb_error "(b) bbbb's pid is still $PB"
# The container's agent (forked by bbbb's first nsbypass oci, whose
# command line it keeps), killed: only a daemon that adopted it restarts
# it, and logs (at warn, the level of a bypass's log) how it ended.
AG=
for _ in $(seq 50); do
	for p in $(pgrep -x nsbypass-agent || true); do
		grep -qa -- "$D/bbbb.sock" "/proc/$p/cmdline" 2>/dev/null && AG=$p
	done
	[ -n "$AG" ] && break
	sleep 0.1
done
[ -n "$AG" ] || nb_fail "(b) no agent of ctr-b"
# The agent finds the new nsbypass oci (it tries every 0.5-2 s): adopted
# once that one's status lists the container.
adopted=
for _ in $(seq 150); do
	if as_user "$NSBYPASS" status --socket "$D/bbbb.sock.control" --json 2>/dev/null |
		grep -q '"ctr-b"'; then
		adopted=1
		break
	fi
	sleep 0.1
done
[ -n "$adopted" ] || nb_error "(b) the new nsbypass oci never listed ctr-b"
kill -9 "$AG"
for _ in $(seq 100); do grep -q "agent pid $AG ended without a clean exit: a new agent takes over" "$D/oci-bbbb.log" && break; sleep 0.1; done
grep -q "container ctr-b: agent pid $AG ended without a clean exit: a new agent takes over" "$D/oci-bbbb.log" &&
	nb_pass "(b) the new nsbypass oci had adopted the container's agent: it restarted it" ||
	nb_error "(b) the agent's crash was not taken over: $(cat "$D/oci-bbbb.log")"

# ---- (c)
rc=0
wait "$CB" || rc=$?
if [ "$rc" -eq 0 ] && grep -Eq "^connects [0-9]+ unix [0-9]+ errors \{\}" "$D/ctr-b.out"; then
	nb_pass "(c) no connect failed: $(grep '^connects' "$D/ctr-b.out")"
else
	nb_error "(c) exit $rc: $(cat "$D/ctr-b.out")"
fi

# ---- (d) hostile state files, read by the next daemon
kill -TERM "$DAEMON_PID"
for _ in $(seq 100); do kill -0 "$DAEMON_PID" 2>/dev/null || break; sleep 0.1; done
printf 'garbage' >"$STATE/junk.json"
ln -s /etc/passwd "$STATE/link.json"
printf '{"spec":{"id":"evil","socketPath":"relative"},"pid":1,"start":1}' >"$STATE/evil.json"
sed 's/"aaaa"/"other"/' "$STATE/aaaa.json" >"$STATE/renamed.json"
chown -h "$NB_USER:" "$STATE"/*.json
start_daemon daemon-4
expect_list "(d) only the good ones come back" aaaa bbbb
for f in junk link evil renamed; do
	grep -q "state file $f.json ignored and removed" "$NB_TMP/daemon-4.log" &&
		[ ! -e "$STATE/$f.json" ] && nb_pass "(d) $f.json refused and removed" ||
		nb_error "(d) $f.json: $(grep "$f" "$NB_TMP/daemon-4.log" || echo 'not logged')"
done
kill -TERM "$DAEMON_PID"
for _ in $(seq 100); do kill -0 "$DAEMON_PID" 2>/dev/null || break; sleep 0.1; done
nb_done
