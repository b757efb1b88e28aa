#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# test-oci-status.sh - `nsbypass status` and the Prometheus metrics of
# `nsbypass oci` (docs/design.md §6.7), as the unprivileged NB_USER with
# oci-sim as the runtime.  Two containers make known numbers of connects:
# a: 3 switched (to the test host) and 2 kept (127.0.0.1, inside);
# b: 2 switched, 1 kept, then its agent is killed once, then 1 more
# switched.  Checked:
#   - `nsbypass status` (the default socket under XDG_RUNTIME_DIR) shows
#     one row each with those numbers, and b's restart; --json has them;
#   - no daemon there: one line, exit 1;
#   - /metrics on the control socket and on --metrics 127.0.0.1:PORT pass
#     `promtool check metrics` and hold the counters; --metrics unix:PATH
#     of a second daemon passes too;
#   - a Prometheus server (as NB_USER, 127.0.0.1 only) scrapes the port
#     and a query of a's switched counter answers 3;
#   - hostile clients: a huge URL, 2000 headers, a slowloris of 80
#     connections, another uid (root): answered with an error or refused,
#     while the status is served and a container's next connect is
#     switched.
set -xeuo pipefail
. "$(dirname "$0")/common.sh"
. "$(dirname "$0")/oci-common.sh"

setup_rootless_test
require_cmd python3 unshare curl
OCI_SIM=${OCI_SIM:-$NB_REPO/build/tests/oci-sim}
[ -x "$OCI_SIM" ] || nb_fail "oci-sim not built: $OCI_SIM"
nb_stage_vars OCI_SIM
CLIENT=$(nb_stage "$NB_ITEST_DIR/crash-client.py")
HOSTILE=$(nb_stage "$NB_ITEST_DIR/control-hostile.py")
H4=$NB_HOST4
D=$NB_TMP/oci
# The default places: $XDG_RUNTIME_DIR/nsbypass/oci.sock(.control).
RT=$D/rt
install -d -m 0700 -o "$NB_USER" "$D" "$RT" "$RT/nsbypass"
SOCK=$RT/nsbypass/oci.sock
CTL=$SOCK.control
LOG=$D/oci.log
PIDF=$D/oci.pid
MP=$(free_port)

status_cleanup() {
	local rc=$?
	set +e
	oci_daemon_cleanup
	(exit "$rc")
	cleanup
}
trap status_cleanup EXIT

SP=$(free_port) # accept and close
start_bg accept "$NB_PYTHON" -u "$NB_ITEST_DIR/sink-server.py" --close "$H4" "$SP"
wait_for_port "$H4" "$SP" tcp

start_bg oci as_user "$NSBYPASS" oci --listen "$SOCK" --log-level info \
	--log-file "$LOG" --pid-file "$PIDF" --metrics "127.0.0.1:$MP"
for _ in $(seq 100); do [ -S "$CTL" ] && [ -s "$PIDF" ] && break; sleep 0.1; done
[ -S "$CTL" ] || nb_fail "nsbypass oci has no control socket at $CTL"
DPID=$(cat "$PIDF")
[ "$(stat -c %a "$CTL")" = 600 ] && nb_pass "the control socket is 0600" ||
	nb_error "the control socket is $(stat -c %a "$CTL")"

# container ID SCRIPT: a container as NB_USER in the background.
container() {
	local id=$1
	shift
	as_user timeout -k 5 120 unshare -r -n "$OCI_SIM" --listener "$SOCK" \
		--id "$id" -- sh -c "$@" >"$D/$id.out" 2>&1 &
	eval "CPID_$id=\$!"
}

# connects N ADDR PORT: N connects in a row, each must end (any errno).
connects() {
	echo "i=0; while [ \$i -lt $1 ]; do $NB_PYTHON $CLIENT errno $2 $3 || exit 1; i=\$((i + 1)); done"
}

wait_file() {
	for _ in $(seq 100); do [ -e "$1" ] && return 0; sleep 0.1; done
	return 1
}

# agent_of ID: the pid of the agent serving container ID.
agent_of() {
	grep -Eo "container $1: agent pid [0-9]+ (serves|took over)" "$LOG" |
		tail -n 1 | grep -Eo "pid [0-9]+" | cut -d' ' -f2
}

GO=$D/go
container a "$(connects 3 "$H4" "$SP") && $(connects 2 127.0.0.1 1) && touch $D/a.done &&
while [ ! -e $GO ]; do sleep 0.05; done"
container b "$(connects 2 "$H4" "$SP") && $(connects 1 127.0.0.1 1) && touch $D/b.half &&
while [ ! -e $D/b.go ]; do sleep 0.05; done
$(connects 1 "$H4" "$SP") && touch $D/b.done &&
while [ ! -e $GO ]; do sleep 0.05; done"
wait_file "$D/a.done" || nb_fail "container a: $(cat "$D/a.out")"
wait_file "$D/b.half" || nb_fail "container b: $(cat "$D/b.out")"
old=$(agent_of b)
kill -9 "$old"
for _ in $(seq 50); do
	grep -q "container b: agent pid [0-9]* took over" "$LOG" && break
	sleep 0.1
done
grep -q "container b: agent pid [0-9]* took over" "$LOG" ||
	nb_fail "no agent took over container b: $(tail -n 20 "$LOG")"
touch "$D/b.go"
wait_file "$D/b.done" || nb_fail "container b after the crash: $(cat "$D/b.out")"

# --- nsbypass status
# (stderr apart: it has the trace of as_user)
as_user env XDG_RUNTIME_DIR="$RT" "$NSBYPASS" status >"$D/table" 2>"$D/table.err" ||
	nb_fail "nsbypass status: $(cat "$D/table.err")"
cat "$D/table"
# A row: ID AGENT UPTIME RESTARTS SWITCHED KEPT REFUSED PUBLISHED SERVED ...
row() { awk -v id="$1" '$1 == id { print $4, $5, $6, $7 }' "$D/table"; }
head -n 1 "$D/table" | grep -Eq '^CONTAINER +AGENT +UPTIME +RESTARTS +SWITCHED +KEPT' &&
	nb_pass "the table has its header" || nb_error "header: $(head -n 1 "$D/table")"
[ "$(row a)" = "0 3 2 0" ] && nb_pass "status row a: restarts 0, switched 3, kept 2" ||
	nb_error "status row a: '$(row a)', want '0 3 2 0'"
[ "$(row b)" = "1 3 1 0" ] && nb_pass "status row b: restarts 1, switched 3 (across agents), kept 1" ||
	nb_error "status row b: '$(row b)', want '1 3 1 0'"
# Aligned: every row as long as the header up to the last column.
cols=$(awk '{ print index($0, $NF) }' "$D/table" | sort -u | wc -l)
[ "$cols" -eq 1 ] && nb_pass "the columns are aligned" || nb_error "columns not aligned"

as_user "$NSBYPASS" status --socket "$CTL" --json >"$D/json" ||
	nb_fail "nsbypass status --json: $(cat "$D/json")"
if "$NB_PYTHON" - "$D/json" "$(agent_of a)" "$(agent_of b)" <<'PY'; then
import json, sys
st = json.load(open(sys.argv[1]))
c = {x["id"]: x for x in st["containers"]}
want = {
    "a": {"agent_pid": int(sys.argv[2]), "restarts": 0, "switched": 3,
          "kept": 2, "refused": 0, "published": 0, "in_flight": 0},
    "b": {"agent_pid": int(sys.argv[3]), "restarts": 1, "switched": 3,
          "kept": 1, "in_flight": 0},
}
bad = [(i, k, c.get(i, {}).get(k), v) for i, w in want.items()
       for k, v in w.items() if c.get(i, {}).get(k) != v]
for i in ("a", "b"):
    x = c[i]
    if not (x["notifications"] > 0 and x["latency_p50_us"] >= 1 and
            x["latency_p99_us"] >= x["latency_p50_us"] and
            x["uptime_s"] >= x["agent_uptime_s"] >= 0 and
            x["container_pid"] > 0):
        bad.append((i, "notifications/latency/uptime/container_pid", x, ""))
sys.exit(print(bad) or 1 if bad else 0)
PY
	nb_pass "status --json: the numbers of a and b"
else
	nb_error "status --json: $(cat "$D/json")"
fi

rc=0
{ set +x; } 2>/dev/null
as_user "$NSBYPASS" status --socket "$D/none.sock" >"$D/none.out" 2>&1 || rc=$?
set -x
[ "$rc" -eq 1 ] && grep -qx "nsbypass: no nsbypass oci at $D/none.sock: No such file or directory" "$D/none.out" &&
	nb_pass "no daemon: $(cat "$D/none.out")" || nb_error "no daemon: exit $rc: $(cat "$D/none.out")"

# --- metrics
as_user curl -sf --unix-socket "$CTL" http://x/metrics >"$D/m.unix" || nb_error "GET /metrics on the control socket"
curl -sf "http://127.0.0.1:$MP/metrics" >"$D/m.tcp" || nb_error "GET /metrics on 127.0.0.1:$MP"
grep -qx "nsbypass_sockets_switched_total{container=\"a\"} 3" "$D/m.tcp" &&
	grep -qx "nsbypass_agent_restarts_total{container=\"b\"} 1" "$D/m.tcp" &&
	grep -qx "nsbypass_oci_containers 2" "$D/m.tcp" &&
	nb_pass "metrics: a switched 3, b restarted once, 2 containers" ||
	nb_error "metrics: $(grep -E 'switched|restarts|containers' "$D/m.tcp")"
curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$MP/status" | grep -qx 404 &&
	nb_pass "the metrics port has no /status" || nb_error "the metrics port answers /status"
curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$MP/metrics" | grep -qx 405 &&
	nb_pass "POST /metrics: 405" || nb_error "POST /metrics is not 405"
if command -v promtool >/dev/null; then
	for f in m.unix m.tcp; do
		promtool check metrics <"$D/$f" >"$D/$f.check" 2>&1 &&
			nb_pass "promtool check metrics ($f)" ||
			nb_error "promtool ($f): $(cat "$D/$f.check")"
	done
	# A second daemon, its metrics on a unix socket.
	install -d -m 0700 -o "$NB_USER" "$D/two"
	start_bg oci2 as_user "$NSBYPASS" oci --listen "$D/two/oci.sock" \
		--metrics "unix:$D/two/metrics.sock" --log-file "$D/two/log" \
		--pid-file "$D/two/pid"
	for _ in $(seq 50); do [ -s "$D/two/pid" ] && break; sleep 0.1; done
	as_user curl -sf --unix-socket "$D/two/metrics.sock" http://x/metrics |
		promtool check metrics >"$D/two.check" 2>&1 &&
		nb_pass "promtool check metrics (--metrics unix:)" ||
		nb_error "--metrics unix: $(cat "$D/two.check")"
	[ "$(stat -c %a "$D/two/metrics.sock")" = 600 ] && nb_pass "the metrics socket is 0600" ||
		nb_error "the metrics socket is $(stat -c %a "$D/two/metrics.sock")"
	kill "$(cat "$D/two/pid")"
	for _ in $(seq 50); do [ -e "$D/two/metrics.sock" ] || break; sleep 0.1; done
	[ ! -e "$D/two/metrics.sock" ] && nb_pass "the metrics socket is removed at the stop" ||
		nb_error "$D/two/metrics.sock left behind"
else
	echo "SKIP part: promtool is not installed (Debian's prometheus package)"
fi

# --- a Prometheus server scrapes 127.0.0.1:MP (as NB_USER, loopback only)
if command -v prometheus >/dev/null; then
	PP=$(free_port)
	install -d -m 0700 -o "$NB_USER" "$D/prom"
	cat >"$D/prom.yml" <<YML
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: nsbypass
    static_configs:
      - targets: ['127.0.0.1:$MP']
YML
	chmod 644 "$D/prom.yml"
	start_bg prometheus as_user prometheus --config.file="$D/prom.yml" \
		--storage.tsdb.path="$D/prom" --web.listen-address="127.0.0.1:$PP"
	got=
	for _ in $(seq 300); do
		got=$(curl -s "http://127.0.0.1:$PP/api/v1/query" \
			--data-urlencode 'query=nsbypass_sockets_switched_total{container="a"}' |
			"$NB_PYTHON" -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else "")' 2>/dev/null || true)
		[ -n "$got" ] && break
		sleep 0.1
	done
	if [ "$got" = 3 ]; then
		nb_pass "Prometheus scraped 127.0.0.1:$MP: a switched = $got"
	elif ! curl -sf "http://127.0.0.1:$PP/-/ready" >/dev/null; then
		echo "SKIP part: the Prometheus server does not run here: $(tail -n 5 "$NB_TMP/prometheus.log")"
	else
		nb_error "Prometheus: a switched = '$got', want 3; targets: $(curl -s "http://127.0.0.1:$PP/api/v1/targets")"
	fi
	kill "$NB_PID_prometheus" 2>/dev/null || true
else
	echo "SKIP part: no prometheus server (Debian's prometheus package)"
fi

# --- hostile clients; the daemon serves containers throughout
container c "while [ ! -e $D/c.go ]; do sleep 0.05; done; $(connects 1 "$H4" "$SP") && touch $D/c.done
while [ ! -e $GO ]; do sleep 0.05; done"
for ep in "$CTL" "127.0.0.1:$MP"; do
	if as_user "$NB_PYTHON" "$HOSTILE" "$ep" >"$D/hostile.out" 2>"$D/hostile.err"; then
		nb_pass "hostile clients of $ep: $(tr '\n' ' ' <"$D/hostile.out")"
	else
		nb_error "hostile clients of $ep: $(cat "$D/hostile.out" "$D/hostile.err")"
	fi
done
# Another uid (root, whom the file mode does not stop): refused.
rc=0
curl -s --max-time 5 --unix-socket "$CTL" http://x/status >"$D/root.out" 2>&1 || rc=$?
[ "$rc" -ne 0 ] && [ ! -s "$D/root.out" ] && grep -q "control: refused a connection from uid 0" "$LOG" &&
	nb_pass "another uid is refused (curl exit $rc, logged)" ||
	nb_error "another uid: curl exit $rc: $(cat "$D/root.out")"
touch "$D/c.go"
wait_file "$D/c.done" || nb_error "container c: $(cat "$D/c.out")"
as_user "$NSBYPASS" status --socket "$CTL" --json >"$D/json2" || nb_error "status after the hostile clients"
"$NB_PYTHON" -c '
import json, sys
c = {x["id"]: x for x in json.load(open(sys.argv[1]))["containers"]}
sys.exit(0 if c["c"]["switched"] == 1 else 1)' "$D/json2" &&
	nb_pass "after the hostile clients: status served, c's connect switched" ||
	nb_error "after the hostile clients: $(cat "$D/json2")"

touch "$GO"
for id in a b c; do
	p=CPID_$id
	wait "${!p}" || nb_error "container $id: $(cat "$D/$id.out")"
done
oci_wait_no_agents || nb_error "agents left running"
oci_stop_daemon
[ ! -e "$CTL" ] && nb_pass "the control socket is removed at the stop" ||
	nb_error "$CTL left behind"
grep -E "warn: |error: " "$LOG" | grep -Ev "killed by signal 9|refused a connection from uid 0" &&
	nb_error "unexpected warnings in the daemon's log" || nb_pass "no other warning"
nb_done
