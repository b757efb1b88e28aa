#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# test-c2c-run.sh - container to container across separate `nsbypass run`
# instances of one user, through the per-user registry (issue 12 point 2,
# docs/design.md §3.4 "Across containers"), as the unprivileged user.
#
#   A (--cidr 10.41.0.0/24, fd41::100 added inside) publishes an HTTP
#   server on ::.  B (10.42.0.0/24) gets the page at 10.41.0.100:CP and
#   [fd41::100]:CP, served by B's map from A's registry file (B's counters
#   say so).  C, a server run with --no-c2c, writes no file and is not
#   reached; a client run with --no-c2c does not reach A.  D publishes on
#   host loopback only (-p 127.0.0.1:HP:CP): its registry entry never
#   serves another run (the loopback exception takes only the agent's own
#   and its parent's entries), so B's connect is refused.  Files dropped
#   into the registry directory (garbage, a symlink, a FIFO, an oversize
#   file) are logged and ignored, a file of a pid that is gone or reused
#   is removed.  When A exits its file goes, and B's next connect to A is
#   not served and returns within its bound (it goes as without the map).
#   Every run's fallback has fd00::100: v6 c2c needs another address, as
#   the README says, hence fd41::100.
#   `nsbypass oci` agents join the registry too (under `nsbypass daemon`
#   each container has an `nsbypass oci` of its own): container O of one
#   `nsbypass oci` (oci-sim) reaches A at 10.41.0.100 and S, a server
#   container of another `nsbypass oci` (10.62.0.1 on its lo), at
#   10.62.0.1, served by O's agent from A's and S's registry files.
set -xeuo pipefail
. "$(dirname "$0")/common.sh"

setup_rootless_test
require_tun "the fallback"
require_cmd curl ip mkfifo
_nb_tmp
# What the map does not serve (--no-c2c, A gone) stays on this machine.
nb_unroutable 10.41.0.0/24 10.42.0.0/24 10.43.0.0/24 10.44.0.0/24 \
	10.45.0.0/24 10.46.0.0/24 fd41::/64 fd43::/64 10.61.0.0/24 \
	10.62.0.0/24
OCI_SIM=${OCI_SIM:-$NB_REPO/build/tests/oci-sim}
[ -x "$OCI_SIM" ] || nb_fail "oci-sim not built: $OCI_SIM"
nb_stage_vars OCI_SIM
SERVER=$(nb_stage "$NB_ITEST_DIR/c2c-server.sh")
CLIENT=$(nb_stage "$NB_ITEST_DIR/c2c-client.sh")
D=$NB_TMP/c2c
mkdir -p "$D/www" "$D/xdg"
echo "c2c-page" >"$D/www/index.html"
chown -R "$NB_USER" "$D"
chmod 0700 "$D/xdg"
REG=$D/xdg/nsbypass/services
HPA=$(free_port) CPA=$(free_port) HPC=$(free_port) CPC=$(free_port)
HPD=$(free_port) CPD=$(free_port)
HPS=$(free_port) CPS=$(free_port)

# nb_run ARGS...: nsbypass run as the test user with the test's registry.
nb_run() {
	as_user env XDG_RUNTIME_DIR="$D/xdg" timeout -k 5 120 \
		"$NSBYPASS" run --log-level=debug "$@"
}

# wait_for FILE PID: up to 30 s, while PID runs.
wait_for() {
	local end=$((SECONDS + 30))
	until [ -e "$1" ]; do
		if [ "$SECONDS" -ge "$end" ] || ! kill -0 "$2" 2>/dev/null; then
			_nb_dump_logs
			nb_fail "no $1"
		fi
		sleep 0.1
	done
}

# reg_file REGEX: the registry file whose text matches REGEX (empty:
# none); regular files only (the hostile FIFO below would block grep)
reg_file() {
	local f
	for f in "$REG"/[0-9a-f]*; do
		if [ -f "$f" ] && [ ! -L "$f" ] && grep -qx -- "$1" "$f"; then
			echo "$f"
			return
		fi
	done
}

# served LOG: the agent's "served" counter in its last line
served() {
	sed -n 's/.*info: agent: .* \([0-9]*\) served.*/\1/p' "$1"
}

start_bg a nb_run --cidr=10.41.0.0/24 --enable-ipv6 -p "$HPA:$CPA" -- \
	sh "$SERVER" "$D" a "$CPA" fd41::100
PIDA=$NB_LAST_PID
start_bg c nb_run --cidr=10.43.0.0/24 --enable-ipv6 --no-c2c \
	-p "$HPC:$CPC" -- sh "$SERVER" "$D" c "$CPC" fd43::100
PIDC=$NB_LAST_PID
start_bg d nb_run --cidr=10.46.0.0/24 -p "127.0.0.1:$HPD:$CPD" -- \
	sh "$SERVER" "$D" d "$CPD"
PIDD=$NB_LAST_PID
wait_for "$D/up-a" "$PIDA"
wait_for "$D/up-c" "$PIDC"
wait_for "$D/up-d" "$PIDD"

# A's record: its addresses (fd41::100 from nsagent's report) and entry.
FA=
for _i in $(seq 100); do
	FA=$(reg_file "addr fd41::100")
	[ -n "$FA" ] && grep -q "^entry :: $CPA " "$FA" && break
	sleep 0.1
done
if [ -n "$FA" ] && grep -q "^entry :: $CPA " "$FA"; then
	nb_pass "A's registry file $(basename "$FA"): $(tr '\n' ';' <"$FA")"
else
	_nb_dump_logs
	nb_fail "no registry file of A with fd41::100 and port $CPA: $(ls -la "$REG" 2>&1)"
fi
modes=$(stat -c '%a %U' "$REG" "$FA" | tr '\n' ' ')
[ "$modes" = "700 $NB_USER 600 $NB_USER " ] &&
	nb_pass "registry directory and file: $modes" ||
	nb_error "registry directory and file: '$modes', want 700 and 600, $NB_USER's"
for _i in $(seq 100); do
	FD=$(reg_file "addr 10.46.0.100")
	[ -n "$FD" ] && grep -q "^entry .* $CPD .* $HPD " "$FD" && break
	sleep 0.1
done
grep -q "^entry .* $CPD .* $HPD " "$FD" ||
	nb_fail "no registry entry of D for 127.0.0.1:$HPD: $(cat "$REG"/* 2>&1)"
[ -z "$(reg_file "addr fd43::100")" ] &&
	nb_pass "C (--no-c2c) wrote no registry file" ||
	nb_error "C (--no-c2c) wrote a registry file"

# Hostile files, as a container of the user could drop them.  Named for
# a live pid and its start time (this shell's), they stay and are
# refused; one of a reused pid (start time 1) and one of a gone pid are
# removed by the first reader.
START=$(sed 's/.*) //' /proc/$$/stat | cut -d' ' -f20)
LIVE="$$-$START"
GONE=$(
	p=4000000
	while kill -0 "$p" 2>/dev/null; do p=$((p + 1)); done
	echo "$p"
)
as_user sh -c "
	cd '$REG' &&
	echo garbage >00000000000000f1-$LIVE &&
	ln -s /etc/passwd 00000000000000f2-$LIVE &&
	mkfifo 00000000000000f3-$LIVE &&
	head -c 200000 /dev/zero | tr '\\0' x >00000000000000f4-$LIVE &&
	echo junk >not-a-registry-name &&
	cp '$FA' 00000000000000f5-$$-1 &&
	cp '$FA' 00000000000000f6-$GONE-1"

# B reaches A by A's addresses, v4 and v6, then waits for A's end.
touch "$D/hold-b"
start_bg b nb_run --cidr=10.42.0.0/24 --enable-ipv6 -- sh "$CLIENT" "$D" b 3 \
	"http://10.41.0.100:$CPA/" "http://[fd41::100]:$CPA/"
PIDB=$NB_LAST_PID
wait_for "$D/held-b" "$PIDB"
for f in f5-$$-1 f6-$GONE-1; do
	[ ! -e "$REG/00000000000000$f" ] &&
		nb_pass "the stale file 00000000000000$f was removed" ||
		nb_error "the stale file 00000000000000$f is still there"
done

# --no-c2c on either side: not served.
nb_run --cidr=10.44.0.0/24 --no-c2c -- sh "$CLIENT" "$D" b2 1 \
	"http://10.41.0.100:$CPA/" >"$NB_TMP/b2.log" 2>&1 || true
nb_run --cidr=10.45.0.0/24 -- sh "$CLIENT" "$D" b3 1 \
	"http://10.43.0.100:$CPC/" "http://[fd43::100]:$CPC/" \
	"http://10.46.0.100:$CPD/" >"$NB_TMP/b3.log" 2>&1 || true
grep -q "service at port $CPD: on host loopback, from the registry: ECONNREFUSED" \
	"$NB_TMP/b3.log" &&
	nb_pass "b3: D's entry on host loopback refused: $(grep -F "GET http://10.46.0.100:$CPD/" "$NB_TMP/b3.log")" ||
	nb_error "b3: D's entry on host loopback not refused as a registry entry: $(grep -F "$CPD" "$NB_TMP/b3.log")"
curl -s --max-time 5 "http://127.0.0.1:$HPD/" | grep -q c2c-page &&
	nb_pass "D's server is there, on the host's 127.0.0.1:$HPD" ||
	nb_error "D's server does not answer on 127.0.0.1:$HPD"
touch "$D/stop-d"
wait "$PIDD" || nb_error "D exited with status $?"
for l in b2 b3; do
	if grep -q "^GET .*: c2c-page" "$NB_TMP/$l.log"; then
		nb_error "$l: reached: $(grep '^GET' "$NB_TMP/$l.log")"
	else
		nb_pass "$l: not reached: $(grep '^GET' "$NB_TMP/$l.log" | tr '\n' ';')"
	fi
	[ "$(served "$NB_TMP/$l.log")" = 0 ] &&
		nb_pass "$l: nothing served by the map" ||
		nb_error "$l: served: '$(served "$NB_TMP/$l.log")', want 0"
done

# Two `nsbypass oci` daemons, as `nsbypass daemon` starts one per
# container; their agents share the registry with the runs.
# oci_start N: daemon N on $D/ociN.sock, log $D/ociN.log
oci_start() {
	start_bg "oci$1" as_user env XDG_RUNTIME_DIR="$D/xdg" "$NSBYPASS" oci \
		--listen "$D/oci$1.sock" --log-level debug \
		--log-file "$D/oci$1.log" --pid-file "$D/oci$1.pid"
	wait_for "$D/oci$1.pid" "$NB_LAST_PID"
	wait_for "$D/oci$1.sock" "$NB_LAST_PID"
}
# sim N ARGS...: a container of daemon N (oci-sim in `unshare -r -n`)
sim() {
	local n=$1
	shift
	as_user env XDG_RUNTIME_DIR="$D/xdg" timeout -k 5 60 unshare -r -n \
		"$OCI_SIM" --listener "$D/oci$n.sock" "$@"
}
oci_start 1
oci_start 2
start_bg s sim 2 --id s --annotation "nsbypass.publish=$HPS:$CPS" -- \
	sh -c 'ip link set lo up && ip addr add 10.62.0.1/32 dev lo &&
		exec sh "$0" "$1" s "$2"' "$SERVER" "$D" "$CPS"
PIDS=$NB_LAST_PID
wait_for "$D/up-s" "$PIDS"
for _i in $(seq 100); do
	FS=$(reg_file "addr 10.62.0.1")
	[ -n "$FS" ] && grep -q "^entry :: $CPS .* $HPS " "$FS" && break
	sleep 0.1
done
[ -n "$FS" ] && grep -q "^entry :: $CPS .* $HPS " "$FS" &&
	nb_pass "S (nsbypass oci) wrote its registry file: $(tr '\n' ';' <"$FS")" ||
	nb_fail "no registry file of S with 10.62.0.1 and port $CPS: $(cat "$REG"/* 2>&1)"
sim 1 --id o -- sh "$CLIENT" "$D" o 3 "http://10.41.0.100:$CPA/" \
	"http://10.62.0.1:$CPS/" >"$NB_TMP/o.log" 2>&1 ||
	nb_error "O exited with status $?"
for u in "http://10.41.0.100:$CPA/" "http://10.62.0.1:$CPS/"; do
	grep -qxF "GET $u: c2c-page" "$NB_TMP/o.log" &&
		nb_pass "O (nsbypass oci) reached $u" ||
		nb_error "O at $u: $(grep -F "GET $u" "$NB_TMP/o.log")"
done
for _i in $(seq 100); do
	grep -q "agent o: info: agent: " "$D/oci1.log" && break
	sleep 0.1
done
st=$(grep -m1 "agent o: info: agent: " "$D/oci1.log" || true)
grep -q " 2 served" <<<"$st" && nb_pass "O's agent: $st" ||
	nb_error "O's agent stats: '$st', want 2 served"
touch "$D/stop-s"
wait "$PIDS" || nb_error "S exited with status $?"
for _i in $(seq 50); do [ -e "$FS" ] || break; sleep 0.1; done
[ ! -e "$FS" ] && nb_pass "S's registry file is gone with S" ||
	nb_error "S's registry file $FS outlived S"
for n in 1 2; do
	kill "$(cat "$D/oci$n.pid")"
	wait "$(eval echo "\$NB_PID_oci$n")" || nb_error "oci$n exited with status $?"
	# (the hostile files above are logged by every reader: expected)
	if grep -E "agent .*: (warn|error):" "$D/oci$n.log" |
		grep -v "service registry: .* ignored: "; then
		nb_error "warnings or errors from agents of daemon $n"
	fi
done

# A ends: its file goes; B's next connects are not served, and return.
touch "$D/stop-a"
wait "$PIDA" || nb_error "A exited with status $?"
[ ! -e "$FA" ] && nb_pass "A's registry file is gone with A" ||
	nb_error "A's registry file $FA outlived A"
sleep 0.5 # B's scan (REGISTRY_SCAN_MS)
touch "$D/go-b"
wait "$PIDB" || nb_error "B exited with status $?"
touch "$D/stop-c"
wait "$PIDC" || nb_error "C exited with status $?"

L=$NB_TMP/b.log
for u in "http://10.41.0.100:$CPA/" "http://[fd41::100]:$CPA/"; do
	grep -qxF "GET $u: c2c-page" "$L" &&
		nb_pass "B reached A at $u" ||
		nb_error "B at $u: $(grep -F "GET $u" "$L")"
	if grep -qF "AFTER $u: c2c-page" "$L"; then
		nb_error "B still reached A at $u after A ended"
	else
		nb_pass "after A ended, $u: $(grep -F "AFTER $u" "$L")"
	fi
done
n=$(served "$L")
[ -n "$n" ] && [ "$n" -ge 2 ] && nb_pass "B's map served $n connects" ||
	nb_error "B's counters: '$(grep 'info: agent:' "$L")', want >= 2 served"
grep -q "switched to host port $HPA" "$L" &&
	nb_pass "B's connects were switched to A's host port $HPA" ||
	nb_error "no switch to host port $HPA in B's log"
for f in f1 f2 f3 f4; do
	grep -q "service registry: 00000000000000$f-$LIVE ignored" "$L" &&
		nb_pass "B: $(grep -o "service registry: 00000000000000$f.*" "$L" | head -n 1)" ||
		nb_error "B did not log 00000000000000$f-$LIVE as ignored"
done
# What the server saw: a host address, not B's container address.
peers=$(grep -o '^[0-9a-f:.]* - - ' "$D/server-a.log" | sort -u | tr '\n' ' ')
grep -q '10\.42\.0\.100' <<<"$peers" &&
	nb_error "A's server saw B's container address: $peers" ||
	nb_pass "A's server saw host-side client addresses: $peers"

nb_done
