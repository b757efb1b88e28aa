# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
#
# daemon-env.sh - requests to `nsbypass daemon` as nerdctl's client sends
# them, for test-daemon.sh and test-daemon-restart.sh, sourced after
# common.sh.  The caller sets D (NB_USER's folder), SOCK (the API socket)
# and API (http://bypass4netnsd/v1/bypass).
#
#   api WHO METHOD URL [BODYFILE]   a request; API_CODE, API_BODY
#   body NAME JSON                  a body file the user can read
#   pyjson EXPR                     EXPR on API_BODY's JSON (as d)
#   expect_error DESC CODE ...      an error answer, with a message
#   expect_list DESC IDS...         GET lists exactly IDS
#   start_daemon [NAME]             the daemon as the user; DAEMON_PID

# Go's http.Client sends these; it sends no "Accept".
GO_HEADERS=(-A Go-http-client/1.1 -H 'Accept-Encoding: gzip' -H 'Accept:')

# api WHO METHOD URL [BODYFILE]: a request as nerdctl's client makes it,
# as WHO (user or root).  Sets API_CODE (000: no HTTP answer) and
# API_BODY.
api() {
	local who=$1 method=$2 url=$3 body=${4:-} out args=()
	NB_SEQ=$((NB_SEQ + 1))
	out=$D/reply.$NB_SEQ
	args=(curl -sS --max-time 30 --unix-socket "$SOCK" "${GO_HEADERS[@]}"
	      -X "$method" -o "$out" -w '%{http_code}')
	if [ -n "$body" ]; then
		args+=(-H 'Content-Type: application/json' --data-binary "@$body")
	fi
	API_CODE=000
	if [ "$who" = root ]; then
		API_CODE=$("${args[@]}" "$url") || true
	else
		API_CODE=$(as_user "${args[@]}" "$url") || true
	fi
	API_BODY=$(cat "$out" 2>/dev/null || true)
	rm -f "$out"
}

# body NAME JSON: write a request body where the user can read it.
body() {
	printf '%s' "$2" >"$D/$1.json"
	chmod 644 "$D/$1.json"
	echo "$D/$1.json"
}

# pyjson EXPR: evaluate EXPR on the JSON in API_BODY (as d).
pyjson() {
	printf '%s' "$API_BODY" |
		"$NB_PYTHON" -c 'import json, sys; d = json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"
}

# expect_error DESC CODE METHOD URL [BODYFILE]: the answer is CODE with
# a JSON {"message": non-empty string}.
expect_error() {
	local desc=$1 code=$2
	shift 2
	api user "$@"
	if [ "$API_CODE" != "$code" ]; then
		nb_error "$desc: HTTP $API_CODE, want $code (body $API_BODY)"
	elif [ "$(pyjson 'isinstance(d.get("message"), str) and len(d["message"]) > 0')" != True ]; then
		nb_error "$desc: HTTP $code but the body is not {\"message\": ...}: $API_BODY"
	else
		nb_pass "$desc: HTTP $code, $API_BODY"
	fi
}

# expect_list DESC IDS...: GET answers 200 with exactly these ids.
expect_list() {
	local desc=$1 want= got
	shift
	[ "$#" -eq 0 ] || want=$(printf '%s\n' "$@" | sort | tr '\n' ' ')
	api user GET "$API"
	got=$(pyjson '" ".join(sorted(s["id"] for s in d)) + (" " if d else "")' 2>/dev/null || echo "?")
	if [ "$API_CODE" != 200 ]; then
		nb_error "$desc: GET: HTTP $API_CODE, want 200"
	elif [ "$got" != "$want" ]; then
		nb_error "$desc: GET lists '$got', want '$want'"
	else
		nb_pass "$desc: GET lists '$got'"
	fi
}

DAEMON_PID=
# start_daemon [NAME]: run `nsbypass daemon --socket SOCK` as the user,
# its output in NB_TMP/NAME.log (NAME: daemon); wait until it serves.
# DAEMON_PID is the daemon itself, NB_LAST_PID the background job
# (runuser) that waits for it.
start_daemon() {
	local name=${1:-daemon} _i
	start_bg "$name" as_user "$NSBYPASS" daemon --socket "$SOCK" \
		--log-level debug
	for _i in $(seq 1 100); do
		DAEMON_PID=$(sed -n 's/.*serving the bypass4netnsd API on .* (pid \([0-9]*\)).*/\1/p' \
			     "$NB_TMP/$name.log" | tail -n 1)
		[ -n "$DAEMON_PID" ] && [ -S "$SOCK" ] && return 0
		kill -0 "$NB_LAST_PID" 2>/dev/null || break
		sleep 0.1
	done
	_nb_dump_logs
	nb_fail "nsbypass daemon did not start"
}

