#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# test-daemon.sh - `nsbypass daemon`, the bypass4netnsd-compatible REST
# API that nerdctl drives, run as the unprivileged user with requests
# shaped as nerdctl sends them.
#
# nerdctl is not installable here, so curl sends what nerdctl's client
# sends.  The sources of every shape:
# - the client: rootless-containers/bypass4netns
#   pkg/api/daemon/client/client.go, used by nerdctl: Go's http.Client
#   over the unix socket, host "bypass4netnsd", paths /v1/bypass and
#   /v1/bypass/{id}; POST with "Content-Type: application/json" and a
#   json.Marshal'd body; GET and DELETE without a body; any non-2xx is an
#   error whose {"message"} it shows; a 201 and GET decode BypassStatus.
# - the body: containerd/nerdctl pkg/bypass4netnsutil/bypass.go
#   (StartBypass) and bypass4netnsutil.go (paths: $XDG_RUNTIME_DIR/
#   bypass4netns/<id[0:15]>.sock and .pid; log in the container's state
#   dir), with the field names and order of bypass4netns pkg/api/api.go.
# - the answers: bypass4netns pkg/api/daemon/router/router.go (201 with
#   BypassStatus {id, pid, spec}; 200 list; DELETE 200 with no body;
#   errors {"message"}, 400 for a bad body and for an unknown id).
#
# Checks: the socket is 0600; GET on an empty daemon; every kind of bad
# request gets 400/404/405/413 with a JSON message and the daemon keeps
# serving; a root client is refused; a second daemon on the same socket
# is refused, a stale socket is taken over.  With `nsbypass oci`: create
# (201, the spec answered back, pid file written, socketPath listening),
# list, duplicate id, delete (child gone, its files removed), a child
# that dies is dropped from the list, and SIGTERM stops the children and
# removes the socket.  With oci-sim: a "container" started against the
# created socketPath is bypassed, and the spec's ignoreSubnets reach it.
set -xeuo pipefail
# shellcheck source=tests/integration/common.sh
. "$(dirname "$0")/common.sh"

setup_rootless_test
require_cmd curl
OCI_SIM=${OCI_SIM:-$(dirname "$SOCKPROBE")/oci-sim}

D=$NB_TMP/daemon
mkdir -p "$D/run/bypass4netns" "$D/state"
chown -R "$NB_USER" "$D"
chmod 700 "$D"
SOCK=$D/run/bypass4netnsd.sock
API=http://bypass4netnsd/v1/bypass
. "$(dirname "$0")/daemon-env.sh"

# --- the command line ------------------------------------------------
nb_exec "$NSBYPASS" daemon --help
[ "$NB_RC" -eq 0 ] && grep -q '^Usage: nsbypass daemon' <<<"$NB_OUT" &&
	nb_pass "daemon --help" || nb_error "daemon --help: exit $NB_RC"
# expect_usage DESC ARGS...: exit 2 with one "nsbypass: " line.
expect_usage() {
	local desc=$1
	shift
	nb_exec timeout -k 5 20 env -u XDG_RUNTIME_DIR "$NSBYPASS" daemon "$@"
	if [ "$NB_RC" -eq 2 ] && [ "$(printf '%s\n' "$NB_ERR" | grep -c '')" -eq 1 ] &&
	   [[ "$NB_ERR" == "nsbypass: daemon: "* ]]; then
		nb_pass "$desc: $NB_ERR"
	else
		nb_error "$desc: exit $NB_RC, stderr '$NB_ERR', want 2 and one line"
	fi
}
expect_usage "bad option" --bogus
expect_usage "an argument" "$D/x.sock"
expect_usage "--socket without a value" --socket
expect_usage "empty --socket" --socket ""
expect_usage "no --socket and no XDG_RUNTIME_DIR"
expect_usage "bad --log-level" --socket "$D/x.sock" --log-level loud
[ ! -e "$D/x.sock" ] || nb_error "a usage error created a socket"

# A socket left by a daemon that died: the new one takes it over.
as_user "$NB_PYTHON" -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$SOCK"
[ -S "$SOCK" ] || nb_fail "could not leave a stale socket at $SOCK"
start_daemon
DAEMON_JOB=$NB_LAST_PID
nb_pass "a stale socket at the path was taken over"

# --- the socket, and a second daemon ---------------------------------
mode=$(stat -c '%a %U' "$SOCK")
if [ "$mode" = "600 $NB_USER" ]; then
	nb_pass "socket mode and owner: $mode"
else
	nb_error "socket mode and owner: $mode, want '600 $NB_USER'"
fi
nb_exec as_user timeout -k 5 20 "$NSBYPASS" daemon --socket "$SOCK"
if [ "$NB_RC" -eq 1 ] && grep -q "already serves" <<<"$NB_ERR"; then
	nb_pass "a second daemon on the same socket is refused: $(nb_last_line "$NB_ERR")"
else
	nb_error "a second daemon on the same socket: exit $NB_RC, want 1 and 'already serves'"
fi

# --- an empty daemon, and bad requests --------------------------------
api user GET "$API"
if [ "$API_CODE" = 200 ] && [ "$API_BODY" = "[]" ]; then
	nb_pass "GET on an empty daemon: 200 []"
else
	nb_error "GET on an empty daemon: HTTP $API_CODE '$API_BODY', want 200 []"
fi

ID=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
SHORT=${ID:0:15}
CSOCK=$D/run/bypass4netns/$SHORT.sock
CPID=$D/run/bypass4netns/$SHORT.pid
CLOG=$D/state/bypass4netns.log
HPORT=$(free_port)
# nerdctl run -p HPORT:80 --annotation nerdctl/bypass4netns=true, under
# rootlesskit whose child IP is 10.0.2.100.
SPEC="{\"id\":\"$ID\",\"socketPath\":\"$CSOCK\",\"pidFilePath\":\"$CPID\",\"logFilePath\":\"$CLOG\",\"portMapping\":[{\"protos\":[\"tcp\"],\"parentIP\":\"0.0.0.0\",\"parentPort\":$HPORT,\"childIP\":\"\",\"childPort\":80}],\"ignoreSubnets\":[\"127.0.0.0/8\",\"10.0.2.0/24\",\"auto\"],\"ignoreBind\":false}"
good=$(body good "$SPEC")

expect_error "not JSON" 400 POST "$API" "$(body b1 '{"id":')"
expect_error "not an object" 400 POST "$API" "$(body b2 '["id"]')"
expect_error "no id" 400 POST "$API" "$(body b3 "{\"socketPath\":\"$CSOCK\"}")"
expect_error "id with a slash" 400 POST "$API" "$(body b4 "{\"id\":\"a/b\",\"socketPath\":\"$CSOCK\"}")"
expect_error "no socketPath" 400 POST "$API" "$(body b5 "{\"id\":\"$ID\"}")"
expect_error "relative socketPath" 400 POST "$API" "$(body b6 "{\"id\":\"$ID\",\"socketPath\":\"x.sock\"}")"
expect_error "relative pidFilePath" 400 POST "$API" "$(body b7 "{\"id\":\"$ID\",\"socketPath\":\"$CSOCK\",\"pidFilePath\":\"x.pid\"}")"
expect_error "port 0" 400 POST "$API" "$(body b8 "{\"id\":\"$ID\",\"socketPath\":\"$CSOCK\",\"portMapping\":[{\"protos\":[\"tcp\"],\"parentPort\":0,\"childPort\":80}]}")"
expect_error "sctp" 400 POST "$API" "$(body b9 "{\"id\":\"$ID\",\"socketPath\":\"$CSOCK\",\"portMapping\":[{\"protos\":[\"sctp\"],\"parentPort\":80,\"childPort\":80}]}")"
expect_error "bad CIDR" 400 POST "$API" "$(body b10 "{\"id\":\"$ID\",\"socketPath\":\"$CSOCK\",\"ignoreSubnets\":[\"10.0.0.0/33\"]}")"
expect_error "ignoreBind a string" 400 POST "$API" "$(body b11 "{\"id\":\"$ID\",\"socketPath\":\"$CSOCK\",\"ignoreBind\":\"yes\"}")"
head -c 70000 /dev/zero | tr '\0' ' ' >"$D/big.json"
chmod 644 "$D/big.json"
expect_error "a 70000-byte body" 413 POST "$API" "$D/big.json"
saved=("${GO_HEADERS[@]}")
GO_HEADERS+=(-H 'Transfer-Encoding: chunked')
expect_error "a 70000-byte chunked body" 413 POST "$API" "$D/big.json"
GO_HEADERS=("${saved[@]}")
# Past 1 MiB the daemon stops reading: an answer (413) or a closed
# connection, and it goes on serving.
head -c 2000000 /dev/zero | tr '\0' ' ' >"$D/huge.json"
chmod 644 "$D/huge.json"
api user POST "$API" "$D/huge.json"
case "$API_CODE" in
413 | 000) nb_pass "a 2 MB body: HTTP $API_CODE" ;;
*) nb_error "a 2 MB body: HTTP $API_CODE, want 413 or no answer" ;;
esac
expect_error "unknown path" 404 GET http://bypass4netnsd/v2/bypass
expect_error "unknown path under /v1" 404 GET "$API/a/b"
expect_error "PUT /v1/bypass" 405 PUT "$API"
expect_error "GET /v1/bypass/ID" 405 GET "$API/$ID"
# bypass4netnsd answers an unknown id with 400 ("child ... not found").
expect_error "DELETE of an unknown id" 400 DELETE "$API/$ID"
[ ! -e "$CSOCK" ] && [ ! -e "$CPID" ] ||
	nb_error "a refused request left files behind"
expect_list "still serving after the bad requests"

# --- a client of another uid ------------------------------------------
api root GET "$API"
if [ "$API_CODE" = 000 ] && grep -q "refused a connection from uid 0" "$NB_TMP/daemon.log"; then
	nb_pass "a root client is refused (no answer) and logged"
else
	nb_error "a root client: HTTP $API_CODE '$API_BODY', want no answer and a log line"
fi
expect_list "still serving after the root client"

# --- a flood of idle connections (issue 10, point 2) ------------------
# 80 connections (the limit is 64) send a partial request line, stay 2 s
# and close.  A client is served within 1 s during the flood (an idle
# connection makes room for it) and after it.  The second round stops
# the daemon while the flood closes, so that it sees all 64 closes in
# one libmicrohttpd run: before the fix, its listening socket was then
# never watched again and every later client timed out.
FLOOD=$(nb_stage "$NB_ITEST_DIR/daemon-flood.py")
fds_before=$(ls "/proc/$DAEMON_PID/fd" | wc -l)
for round in plain stopped; do
	args=("$SOCK" 80 2)
	[ "$round" = plain ] || args+=(--stop "$DAEMON_PID")
	nb_exec as_user "$NB_PYTHON" "$FLOOD" "${args[@]}"
	# runuser stops itself when its child stops, and waits for a
	# SIGCONT of its own.
	[ "$round" = plain ] || kill -CONT "$(ps -o ppid= -p "$DAEMON_PID")"
	if [ "$NB_RC" -eq 0 ]; then
		nb_pass "a flood of 80 idle connections ($round): $(tr '\n' ' ' <<<"$NB_OUT")"
	else
		nb_error "a flood of 80 idle connections ($round): $(tr '\n' ' ' <<<"$NB_OUT")"
	fi
done
for _i in $(seq 1 50); do
	fds=$(ls "/proc/$DAEMON_PID/fd" | wc -l)
	[ "$fds" -le "$fds_before" ] && break
	sleep 0.1
done
if [ "$fds" -le "$fds_before" ]; then
	nb_pass "the floods left no fd open in the daemon ($fds)"
else
	nb_error "the daemon has $fds fds after the floods, $fds_before before"
fi
expect_list "still serving after the floods"
# The same flood against a daemon with 32 fds: accept() fails with
# EMFILE long before 64 connections, which counts as the limit.
SOCK2=$D/run/fds.sock
start_bg daemon-fds as_user prlimit --nofile=32 "$NSBYPASS" daemon \
	--socket "$SOCK2" --log-level debug
FDS_JOB=$NB_LAST_PID FDS_PID=
for _i in $(seq 1 100); do
	# (the log may not exist yet: start_bg's shell makes it)
	FDS_PID=$(sed -n 's/.*serving the bypass4netnsd API on .* (pid \([0-9]*\)).*/\1/p' \
		  "$NB_TMP/daemon-fds.log" 2>/dev/null || true)
	[ -n "$FDS_PID" ] && break
	sleep 0.1
done
nb_exec as_user "$NB_PYTHON" "$FLOOD" "$SOCK2" 80 2
if [ "$NB_RC" -eq 0 ] && grep -q "Too many open files" "$NB_TMP/daemon-fds.log"; then
	nb_pass "a flood of 80 against 32 fds: $(tr '\n' ' ' <<<"$NB_OUT")"
else
	nb_error "a flood of 80 against 32 fds (EMFILE): $(tr '\n' ' ' <<<"$NB_OUT"); log: $(grep "^nsbypass: " "$NB_TMP/daemon-fds.log" | grep -v libmicrohttpd | tail -n 3)"
fi
[ -z "$FDS_PID" ] || kill -TERM "$FDS_PID"
wait "$FDS_JOB" || nb_error "the daemon with 32 fds: exit $?, want 0"

# --- create, list, delete: needs `nsbypass oci` -----------------------
OCI_OK=0
if as_user "$NSBYPASS" oci --help >/dev/null 2>&1; then
	OCI_OK=1
else
	echo "SKIP (part): create/list/delete, the bypassed container and SIGTERM with children: 'nsbypass oci --help' fails: this build has no oci subcommand"
fi

CHILD=
if [ "$OCI_OK" = 1 ]; then
	api user POST "$API" "$good"
	if [ "$API_CODE" = 201 ] &&
	   [ "$(pyjson "d['id'] == '$ID' and d['spec'] == json.loads(open('$good').read()) and d['pid'] > 0")" = True ]; then
		CHILD=$(pyjson 'd["pid"]')
		nb_pass "create: 201, BypassStatus with the spec as posted, pid $CHILD"
	else
		nb_error "create: HTTP $API_CODE '$API_BODY', want 201 and the BypassStatus"
	fi
fi

if [ -n "$CHILD" ]; then
	if [ "$(cat "$CPID" 2>/dev/null)" = "$CHILD" ]; then
		nb_pass "the pid file holds the child's pid"
	else
		nb_error "pid file $CPID: '$(cat "$CPID" 2>/dev/null)', want $CHILD"
	fi
	if [ -S "$CSOCK" ] && ss -Hxl | grep -qF "$CSOCK"; then
		nb_pass "socketPath listens"
	else
		nb_error "nothing listens on socketPath $CSOCK"
	fi
	if tr '\0' ' ' <"/proc/$CHILD/cmdline" | grep -q -- "oci --listen $CSOCK --ready-fd 3 --pid-file $CPID --log-file $CLOG --ignore 127.0.0.0/8 --ignore 10.0.2.0/24 --publish $HPORT:80/tcp"; then
		nb_pass "the child runs nsbypass oci with the spec's options"
	else
		nb_error "child command line: $(tr '\0' ' ' <"/proc/$CHILD/cmdline")"
	fi
	[ "$(stat -c %U "/proc/$CHILD")" = "$NB_USER" ] ||
		nb_error "the child does not run as $NB_USER"
	expect_list "list after create" "$ID"
	expect_error "a second create with the same id" 400 POST "$API" "$good"
	expect_list "the duplicate changed nothing" "$ID"
	# A socketPath where another server listens (the daemon's own):
	# nsbypass oci refuses it, the POST fails, the socket stays.
	expect_error "a socketPath taken by a live server" 500 POST "$API" \
		"$(body taken "{\"id\":\"taken\",\"socketPath\":\"$SOCK\"}")"
	[ -S "$SOCK" ] && nb_pass "the taken socket is still there" ||
		nb_error "a failed create removed the socket at its socketPath"
	expect_list "still serving after the failed create" "$ID"
fi

# --- a container started against the created socketPath ---------------
if [ -n "$CHILD" ]; then
	if [ ! -x "$OCI_SIM" ]; then
		echo "SKIP (part): the bypassed container: $OCI_SIM is not built (the oci helper's test runtime)"
	else
		nb_stage_vars OCI_SIM
		start_test_echo
		H4=$NB_HOST4 H6=$NB_HOST6 P=$NB_ECHO_PORT
		nb_expect_fail "negative control: no network in unshare -r -n" "^FAIL connect: ENETUNREACH" \
			nb_isolated "$SOCKPROBE" tcp-echo "$H4" "$P"
		nb_expect_ok "a container on the daemon's socketPath reaches $H4" \
			as_user timeout -k 5 60 unshare -r -n "$OCI_SIM" \
			--listener "$CSOCK" --id "$ID" -- \
			"$SOCKPROBE" tcp-echo "$H4" "$P"
		# A second bypass whose ignoreSubnets has the test host's
		# IPv4 address: that one stays in the container (no way
		# out), IPv6 is bypassed.
		ID2=${ID:0:60}beef
		S2=$D/run/bypass4netns/${ID2:0:14}x.sock
		api user POST "$API" "$(body ign "{\"id\":\"$ID2\",\"socketPath\":\"$S2\",\"pidFilePath\":\"\",\"logFilePath\":\"$D/state/ign.log\",\"portMapping\":null,\"ignoreSubnets\":[\"127.0.0.0/8\",\"$H4/32\",\"auto\"],\"ignoreBind\":true}")"
		if [ "$API_CODE" = 201 ]; then
			nb_pass "create with ignoreSubnets [$H4/32] and ignoreBind"
			nb_expect_fail "ignoreSubnets reach the agent: $H4 is not bypassed" "^FAIL connect: ENETUNREACH" \
				as_user timeout -k 5 60 unshare -r -n "$OCI_SIM" \
				--listener "$S2" --id "$ID2" -- \
				"$SOCKPROBE" tcp-echo "$H4" "$P"
			nb_expect_ok "the same container still reaches $H6" \
				as_user timeout -k 5 60 unshare -r -n "$OCI_SIM" \
				--listener "$S2" --id "$ID2" -- \
				"$SOCKPROBE" tcp-echo "$H6" "$P"
			api user DELETE "$API/$ID2"
			[ "$API_CODE" = 200 ] ||
				nb_error "DELETE of the second bypass: HTTP $API_CODE"
		else
			nb_error "create with ignoreSubnets: HTTP $API_CODE '$API_BODY'"
		fi
	fi
fi

# --- delete, and a child that dies by itself --------------------------
if [ -n "$CHILD" ]; then
	api user DELETE "$API/$ID"
	if [ "$API_CODE" = 200 ] && [ -z "$API_BODY" ]; then
		nb_pass "delete: 200, empty body"
	else
		nb_error "delete: HTTP $API_CODE '$API_BODY', want 200 and no body"
	fi
	if kill -0 "$CHILD" 2>/dev/null; then
		nb_error "the child $CHILD still runs after DELETE"
	else
		nb_pass "the child is gone after DELETE"
	fi
	if [ -e "$CSOCK" ] || [ -e "$CPID" ]; then
		nb_error "socketPath or pid file left after DELETE"
	else
		nb_pass "socketPath and pid file removed"
	fi
	expect_list "list after delete"
	expect_error "a second DELETE" 400 DELETE "$API/$ID"

	# The same id again, and the child killed behind the daemon's back.
	api user POST "$API" "$good"
	if [ "$API_CODE" = 201 ]; then
		CHILD=$(pyjson 'd["pid"]')
		kill -9 "$CHILD"
		for _i in $(seq 1 50); do
			api user GET "$API"
			[ "$API_BODY" = "[]" ] && break
			sleep 0.1
		done
		if [ "$API_BODY" = "[]" ] && [ ! -e "$CSOCK" ] && [ ! -e "$CPID" ]; then
			nb_pass "a child killed by SIGKILL is reaped, dropped from the list, its files removed"
		else
			nb_error "after SIGKILL of the child: list '$API_BODY', files: $(ls "$D/run/bypass4netns")"
		fi
		# And once more, to be left running for the SIGTERM below.
		api user POST "$API" "$good"
		CHILD=
		[ "$API_CODE" = 201 ] && CHILD=$(pyjson 'd["pid"]')
		[ -n "$CHILD" ] || nb_error "create after the SIGKILL: HTTP $API_CODE '$API_BODY'"
	else
		nb_error "create with an id that was deleted: HTTP $API_CODE '$API_BODY'"
		CHILD=
	fi
fi

# --- a path that decodes to a NUL (issue 10, point 4) -----------------
# The path was decoded into a C string, so %00 ended it: DELETE
# /v1/bypass/victim%00junk deleted "victim".
if [ "$OCI_OK" = 1 ]; then
	api user POST "$API" "$(body victim "{\"id\":\"victim\",\"socketPath\":\"$D/run/bypass4netns/victim.sock\"}")"
	[ "$API_CODE" = 201 ] || nb_error "create victim: HTTP $API_CODE '$API_BODY'"
	expect_error "DELETE of victim%00junk" 400 DELETE "$API/victim%00junk"
	expect_error "DELETE of victim%00" 400 DELETE "$API/victim%00"
	expect_error "DELETE of a malformed escape" 400 DELETE "$API/victim%zz"
	expect_list "victim is still there" victim ${CHILD:+"$ID"}
	api user DELETE "$API/%76ictim"
	[ "$API_CODE" = 200 ] && nb_pass "DELETE of %76ictim (decoded: victim): 200" ||
		nb_error "DELETE of %76ictim: HTTP $API_CODE '$API_BODY', want 200"
	expect_list "victim is gone" ${CHILD:+"$ID"}
fi

# --- pid files the child did not write (issue 10, point 3) ------------
# `nsbypass oci --pid-file` writes only a regular file, without blocking,
# and at exit removes only a file that still holds its own pid.
if [ "$OCI_OK" = 1 ]; then
	BD=$D/run/bypass4netns
	# pidspec ID PIDFILE: a spec with its own socketPath.
	pidspec() {
		body "$1" "{\"id\":\"$1\",\"socketPath\":\"$BD/$1.sock\",\"pidFilePath\":\"$2\",\"logFilePath\":\"$D/state/$1.log\"}"
	}
	# A fifo as the pid file: opening it to write would block for
	# ever (no reader); the bypass starts and the fifo stays.
	as_user mkfifo "$BD/fifo.pid"
	api user POST "$API" "$(pidspec pidfifo "$BD/fifo.pid")"
	if [ "$API_CODE" = 201 ]; then
		api user DELETE "$API/pidfifo"
		[ "$API_CODE" = 200 ] && [ -p "$BD/fifo.pid" ] &&
			nb_pass "pidFilePath = a fifo: started, deleted, the fifo left alone" ||
			nb_error "pidFilePath = a fifo: DELETE: HTTP $API_CODE; $(ls -l "$BD/fifo.pid" 2>&1)"
	else
		nb_error "pidFilePath = a fifo: POST: HTTP $API_CODE '$API_BODY', want 201"
	fi
	rm -f "$BD/fifo.pid"

	# Two bypasses with one pid file: the second's pid is in it, and
	# the first's exit leaves it.
	SHARED=$BD/shared.pid
	api user POST "$API" "$(pidspec pida "$SHARED")"
	PIDA=
	[ "$API_CODE" = 201 ] && PIDA=$(pyjson 'd["pid"]')
	api user POST "$API" "$(pidspec pidb "$SHARED")"
	PIDB=
	[ "$API_CODE" = 201 ] && PIDB=$(pyjson 'd["pid"]')
	if [ -n "$PIDA" ] && [ -n "$PIDB" ]; then
		api user DELETE "$API/pida"
		if [ "$(cat "$SHARED" 2>/dev/null)" = "$PIDB" ]; then
			nb_pass "one pid file for two bypasses: the first's exit leaves the second's pid file"
		else
			nb_error "one pid file for two bypasses: after the first's exit, $SHARED holds '$(cat "$SHARED" 2>&1)', want $PIDB"
		fi
		api user DELETE "$API/pidb"
		[ ! -e "$SHARED" ] &&
			nb_pass "the second's exit removes its pid file" ||
			nb_error "the second's exit left $SHARED: '$(cat "$SHARED")'"
	else
		nb_error "two bypasses with one pid file: POST: HTTP $API_CODE '$API_BODY'"
	fi

	# The daemon's own API socket as the pid file (last: before the
	# fix, its DELETE removed the socket).
	api user POST "$API" "$(pidspec pidsock "$SOCK")"
	if [ "$API_CODE" = 201 ]; then
		api user DELETE "$API/pidsock"
		if [ "$API_CODE" = 200 ] && [ -S "$SOCK" ]; then
			nb_pass "pidFilePath = the API socket: after DELETE the socket is still there"
		else
			nb_error "pidFilePath = the API socket: DELETE: HTTP $API_CODE; $(ls -l "$SOCK" 2>&1)"
		fi
		grep -q "not a regular file" "$D/state/pidsock.log" &&
			nb_pass "the child says why it wrote no pid file: $(grep "not a regular file" "$D/state/pidsock.log")" ||
			nb_error "the child's log does not say why it wrote no pid file: $(cat "$D/state/pidsock.log")"
	else
		nb_error "pidFilePath = the API socket: POST: HTTP $API_CODE '$API_BODY', want 201"
	fi
	expect_list "still serving after the pid-file checks (the API socket as one)" ${CHILD:+"$ID"}
fi

# --- SIGTERM: children stopped, socket removed, exit 0 ----------------
kill -TERM "$DAEMON_PID"
rc=0
timeout 20 tail --pid="$DAEMON_PID" -f /dev/null || rc=$?
if [ "$rc" -ne 0 ]; then
	nb_error "the daemon did not exit within 20 s of SIGTERM"
fi
rc=0
wait "$DAEMON_JOB" || rc=$?
if [ "$rc" -eq 0 ]; then
	nb_pass "SIGTERM: the daemon exits 0"
else
	nb_error "SIGTERM: the daemon exits $rc, want 0"
fi
[ ! -e "$SOCK" ] && nb_pass "SIGTERM: the API socket is removed" ||
	nb_error "SIGTERM: $SOCK is left"
if [ -n "$CHILD" ]; then
	if kill -0 "$CHILD" 2>/dev/null; then
		nb_error "SIGTERM: the child $CHILD survived the daemon"
	elif [ -e "$CSOCK" ] || [ -e "$CPID" ]; then
		nb_error "SIGTERM: the child's socket or pid file is left"
	else
		nb_pass "SIGTERM: the running child was stopped and cleaned up"
	fi
fi

nb_done
