# SPDX-License-Identifier: Apache-2.0
# multinode-env.sh - what the test-multinode*.sh scripts share: sourced
# after common.sh; D (the test's directory), URL (an etcd URL for etcdq)
# and mn_stage's OCI_SIM, SERVER, CLIENT set before use.  Nodes are the
# namespaces ${MN}-nN on the bridge br0 of ${MN}-lan.

MN=${MN:-nbmn}

# mn_stage: oci-sim and the c2c server and client, staged for NB_USER
# (OCI_SIM, SERVER, CLIENT)
mn_stage() {
	OCI_SIM=${OCI_SIM:-$NB_REPO/build/tests/oci-sim}
	[ -x "$OCI_SIM" ] || nb_fail "oci-sim not built: $OCI_SIM"
	nb_stage_vars OCI_SIM
	SERVER=$(nb_stage "$NB_ITEST_DIR/c2c-server.sh")
	CLIENT=$(nb_stage "$NB_ITEST_DIR/c2c-client.sh")
}
# plug NS ADDR4 [ADDR6]: NS's eth0 on the bridge
plug() {
	ip -n ${MN}-lan link add "p-$1" type veth peer name eth0 netns "${MN}-$1"
	ip -n ${MN}-lan link set "p-$1" master br0 up
	ip -n "${MN}-$1" addr add "$2/24" dev eth0
	[ -z "${3:-}" ] || ip -n "${MN}-$1" addr add "$3/64" dev eth0 nodad
	ip -n "${MN}-$1" link set eth0 up
}
# etcdq PATH JSON: a POST to etcd's gateway from node 1
etcdq() {
	ip netns exec ${MN}-n1 curl -sS --max-time 3 -X POST "$URL/v3/$1" -d "$2"
}
# keys: every key under nsbypass/v1/, decoded, one per line, with its value
keys() {
	etcdq kv/range '{"key":"bnNieXBhc3MvdjEv","range_end":"bnNieXBhc3MvdjEw"}' |
		python3 -c 'import base64,json,sys
for kv in json.load(sys.stdin).get("kvs", []):
    v = base64.b64decode(kv.get("value", "")).decode()
    print(base64.b64decode(kv["key"]).decode() + " => " + v.replace("\n", ";"))'
}

# oci_start N NODE [ARGS...]: daemon N in node NODE (${MN}-nNODE)
oci_start() {
	local n=$1 node=$2
	shift 2
	NB_AS_USER_NETNS=${MN}-n$node start_bg "oci$n" as_user \
		env XDG_RUNTIME_DIR="$D/xdg$n" "$NSBYPASS" oci \
		--listen "$D/oci$n.sock" --log-level debug \
		--log-file "$D/oci$n.log" --pid-file "$D/oci$n.pid" "$@"
	for _ in $(seq 100); do [ -S "$D/oci$n.sock" ] && break; sleep 0.1; done
	[ -S "$D/oci$n.sock" ] || nb_fail "daemon $n does not listen"
}
# sim NODE DAEMON ARGS...: a container (it lives SIM_SECONDS, 60 unless
# set) of daemon DAEMON (a number: the
# listener ociDAEMON.sock; else DAEMON.sock) in node NODE
sim() {
	local n=$1 d=$2 sock
	shift 2
	sock=$D/oci$d.sock
	[[ "$d" =~ ^[0-9]+$ ]] || sock=$D/$d.sock
	NB_AS_USER_NETNS=${MN}-n$n as_user timeout -k 5 "${SIM_SECONDS:-60}" unshare -r -n \
		"$OCI_SIM" --listener "$sock" "$@"
}
# serve_on NODE DAEMON NAME HP CP ADDR4 ADDR6: a server container of
# daemon DAEMON on node NODE, published at HP, its addresses on lo
serve_on() {
	local n=$1 d=$2
	shift 2
	start_bg "$1" sim "$n" "$d" --id "$1" --annotation "nsbypass.publish=$2:$3" -- \
		sh -c 'ip link set lo up && ip addr add "$3"/32 dev lo &&
			exec sh "$0" "$1" "$2" "$4" "$5"' "$SERVER" "$D" "$1" "$4" \
		"$3" "$5"
	SPID=$NB_LAST_PID
	for _ in $(seq 300); do [ -e "$D/up-$1" ] && return 0; sleep 0.1; done
	_nb_dump_logs
	nb_fail "server $1 did not come up"
}
# client NODE DAEMON NAME TRIES URL...: a client container; its lines
# in $out
client() {
	local n=$1 d=$2 name=$3
	shift 3
	sim "$n" "$d" --id "$name" -- sh "$CLIENT" "$D" "$name" "$@" \
		>"$NB_TMP/$name.log" 2>&1 || nb_error "$name exited with status $?"
	out=$(grep -E "^(GET|AFTER) " "$NB_TMP/$name.log" || true)
}
# served LOG NAME: the served counter of agent NAME's last stats line
served() {
	sed -n "s/.*agent $2: info: agent: .* \([0-9]*\) served.*/\1/p" "$1" |
		tail -n 1
}
wait_served() { # LOG NAME
	for _ in $(seq 50); do
		[ -n "$(served "$1" "$2")" ] && return 0
		sleep 0.1
	done
}
# wait_line N TEXT: daemon N's log gets a line with TEXT (10 s)
wait_line() {
	for _ in $(seq 100); do
		grep -qF "$2" "$D/oci$1.log" && return 0
		sleep 0.1
	done
	return 1
}
# cluster_status N WANT: wait (WAIT tenths of a second, 5 s unless told)
# for daemon N's `nsbypass status` to have a line matching the regular
# expression WANT; prints the last line.
cluster_status() {
	local i st
	for i in $(seq "${WAIT:-50}"); do
		st=$(as_user "$NSBYPASS" status --socket "$D/oci$1.sock.control" 2>&1 || true)
		grep -qE -- "$2" <<<"$st" && break
		sleep 0.1
	done
	echo "$st" | tail -n 1
	grep -qE -- "$2" <<<"$st"
}
# fake_etcd_node SCENARIO: for the tests of awkward etcd answers: D (for
# NB_USER, with www/ and xdg1/), node 1 alone on the bridge, and in it
# fake-etcd.py playing SCENARIO at URL (127.0.0.1:2379), its requests
# logged to $D/etcd.log; HPT and CPT: two free ports
fake_etcd_node() {
	D=$NB_TMP/$MN
	mkdir -p "$D/www" "$D/xdg1"
	echo "$MN-page" >"$D/www/index.html"
	chown -R "$NB_USER" "$D"
	chmod 0700 "$D/xdg1"
	URL=http://127.0.0.1:2379
	HPT=$(free_port) CPT=$(free_port)
	nb_netns ${MN}-lan ${MN}-n1
	ip -n ${MN}-lan link add br0 type bridge
	ip -n ${MN}-lan link set br0 up
	plug n1 10.77.0.1 fd77::1
	: >"$D/etcd.log"
	start_bg fake-etcd ip netns exec ${MN}-n1 "$NB_PYTHON" \
		"$NB_ITEST_DIR/fake-etcd.py" 127.0.0.1 2379 "$D/etcd.log" "$1"
	for _ in $(seq 50); do
		ip netns exec ${MN}-n1 curl -s -o /dev/null -X POST \
			"$URL/v3/kv/deleterange" -d '{}' && return 0
		sleep 0.1
	done
	nb_fail "fake-etcd.py does not answer"
}
# fake_etcd_end LEASE: the closing checks of a fake_etcd_node test: one
# watch open at a time, daemon 1's status up with lease LEASE (hex) and
# its one key; T (the container serve_on started as "t") told to stop
fake_etcd_end() {
	! grep -q "^watch open [2-9]" "$D/etcd.log" &&
		nb_pass "one watch open at a time" ||
		nb_error "two watches open at once: a call was lost track of"
	st=$(cluster_status 1 "^cluster: node n1, etcd up .*lease $1, TTL 3s\\): 1 key\\(s\\) of ours") &&
		nb_pass "status: $st" || nb_error "status: $st"
	touch "$D/stop-t"
}
# etcd_log_wait TENTHS REGEX: wait up to TENTHS tenths of a second for a
# line of $D/etcd.log (fake-etcd.py's) to match REGEX
etcd_log_wait() {
	for _ in $(seq "$1"); do
		grep -q -- "$2" "$D/etcd.log" && return 0
		sleep 0.1
	done
	return 1
}
