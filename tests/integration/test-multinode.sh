#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# test-multinode.sh - container to container across nodes through etcd
# (issue 16, docs/design.md §6.8), rootless, as the unprivileged NB_USER.
#
# Topology (nothing leaves the machine: no namespace has a default route):
#   nbmn-lan: a bridge; nbmn-n1, nbmn-n2 (the nodes, 10.77.0.1/.2 and
#   fd77::1/::2) and nbmn-e1 (etcd, 10.77.0.10) hang on it by veths.
# One `nsbypass oci --cluster http://10.77.0.10:2379 --node-address ...`
# per node, containers from oci-sim in `unshare -r -n` inside the node.
#   - Both daemons start before etcd does: each logs one warning, the
#     containers start and run, and the daemons connect once etcd is up.
#   - S on n2 (10.88.0.2 and fd88::2 on its lo) publishes an HTTP server;
#     its key in etcd holds n2's addresses and host port.  O on n1 gets
#     the page at 10.88.0.2:CP and [fd88::2]:CP: O's agent says "2
#     served", and S's server saw n1's node addresses.
#   - A container of a daemon without --cluster on n1 is not served.
#   - etcd killed: O2 still reaches S (the map kept), one warning; etcd
#     back on its data: S2, published while etcd was down, is reached.
#   - n2's daemon killed -9 and S stopped: a connect to S fails at once
#     (ECONNREFUSED: n2 is there, its listener is not) until the lease's
#     TTL (3 s) ends, then is not served (ENETUNREACH: no route).
#   - TLS: a member with --client-cert-auth; a daemon with the CA and a
#     client certificate writes its keys there, one without a client
#     certificate is refused and warns.
set -xeuo pipefail
. "$(dirname "$0")/common.sh"
. "$(dirname "$0")/multinode-env.sh"

setup_rootless_test
require_cmd curl ip python3 openssl
command -v etcd >/dev/null 2>&1 ||
	nb_skip "no etcd (Debian's etcd-server, tests/packages.txt)"
_nb_tmp
mn_stage
nb_stage_vars SOCKPROBE
ETCD=$(command -v etcd)
D=$NB_TMP/mn
mkdir -p "$D/www" "$D/xdg1" "$D/xdg2" "$D/xdg3" "$D/xdg4" "$D/xdg5" "$D/etcd"
echo "mn-page" >"$D/www/index.html"
chown -R "$NB_USER" "$D"
chmod 0700 "$D/xdg1" "$D/xdg2" "$D/xdg3" "$D/xdg4" "$D/xdg5" "$D/etcd"
E=10.77.0.10
URL=http://$E:2379
HPS=$(free_port) CPS=$(free_port) HPS2=$(free_port) CPS2=$(free_port)

nb_netns nbmn-lan nbmn-n1 nbmn-n2 nbmn-e1
ip -n nbmn-lan link add br0 type bridge
ip -n nbmn-lan link set br0 up
plug n1 10.77.0.1 fd77::1
plug n2 10.77.0.2 fd77::2
plug e1 $E

# etcd_start: one member as the test user in nbmn-e1, on $D/etcd.
etcd_start() {
	NB_AS_USER_NETNS=nbmn-e1 start_bg etcd as_user "$ETCD" --name e1 \
		--data-dir "$D/etcd/e1" --listen-client-urls "$URL" \
		--advertise-client-urls "$URL" \
		--listen-peer-urls "http://$E:2380" \
		--initial-advertise-peer-urls "http://$E:2380" \
		--initial-cluster "e1=http://$E:2380" \
		--initial-cluster-state new --initial-cluster-token nbmn \
		--unsafe-no-fsync
	for _ in $(seq 100); do
		etcdq kv/range '{"key":"AA=="}' >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	_nb_dump_logs
	nb_fail "etcd does not answer at $URL"
}
# etcd_kill: SIGKILL to etcd itself (not its runuser)
etcd_kill() {
	pkill -9 -u "$NB_USER" -f -- "--data-dir $D/etcd/e1" ||
		nb_fail "no etcd to kill"
	for _ in $(seq 50); do
		pgrep -u "$NB_USER" -f -- "--data-dir $D/etcd/e1" >/dev/null || return 0
		sleep 0.1
	done
	nb_fail "etcd outlived SIGKILL"
}
cluster_args() { # N
	echo --cluster "$URL" --node-name "n$1" --node-address "10.77.0.$1" \
		--node-address "fd77::$1" --cluster-ttl 3
}
# serve NAME HP CP ADDR4 ADDR6: a server container on node 2
serve() {
	serve_on 2 2 "$@"
}
warns() { # LOG: the "trying again" lines
	grep -c "cluster: etcd at .*trying again" "$1" || true
}
# want_warns N WHAT: each daemon's log has N "trying again" warnings
want_warns() {
	local n
	for n in 1 2; do
		[ "$(warns "$D/oci$n.log")" = "$1" ] &&
			nb_pass "daemon $n: $2: warnings: $1" ||
			nb_error "daemon $n: $2: $(warns "$D/oci$n.log") 'trying again' warnings, want $1"
	done
}

# Both daemons before etcd: they start, warn once, retry.
oci_start 1 1 $(cluster_args 1)
oci_start 2 2 $(cluster_args 2)
oci_start 3 1 # node 1, no --cluster
sleep 2
want_warns 1 "etcd down at start"
pgrep -u "$NB_USER" -f "nsbypass-etcd|nsbypass oci" >/dev/null ||
	nb_fail "the daemons ended without etcd"
serve s "$HPS" "$CPS" 10.88.0.2 fd88::2
etcd_start
for n in 1 2; do
	wait_line $n "cluster: connected to etcd at $URL" &&
		nb_pass "daemon $n reached etcd once it was up" ||
		nb_fail "daemon $n: no 'connected to etcd' line"
done

# S's key: n2's addresses and the host port.
for _ in $(seq 100); do
	keys | grep -q "ns/n2/.*entry :: $CPS 1 fd77::2 $HPS" && break
	sleep 0.1
done
k=$(keys)
grep -q "^nsbypass/v1/ns/n2/u[0-9]*-[0-9a-f]\{8\}/[0-9a-f]\{16\} => nsbypass-services 1;.*addr 10.88.0.2;addr fd88::2;" <<<"$k" &&
	grep -q ";entry 0.0.0.0 $CPS 0 10.77.0.2 $HPS 0 " <<<"$k" &&
	grep -q ";entry :: $CPS 1 fd77::2 $HPS 1 " <<<"$k" &&
	nb_pass "S's key in etcd: $k" || nb_fail "S's key: '$k'"

# O on n1 reaches S by its container addresses.
client 1 1 o 50 "http://10.88.0.2:$CPS/" "http://[fd88::2]:$CPS/"
for u in "http://10.88.0.2:$CPS/" "http://[fd88::2]:$CPS/"; do
	grep -qxF "GET $u: mn-page" <<<"$out" && nb_pass "O reached S at $u" ||
		nb_error "O at $u: $(grep -F "GET $u" <<<"$out")"
done
wait_served "$D/oci1.log" o
[ "$(served "$D/oci1.log" o)" = 2 ] && nb_pass "O's agent: 2 served" ||
	nb_error "O's agent served '$(served "$D/oci1.log" o)', want 2"
grep -q "10.77.0.1" "$D/server-s.log" && grep -q "fd77::1" "$D/server-s.log" &&
	nb_pass "S saw node 1's addresses: $(tr '\n' ';' <"$D/server-s.log")" ||
	nb_error "S's log: $(cat "$D/server-s.log")"

# nsbypass status: node 1 has node 2's namespace, node 2 its own key.
st=$(cluster_status 1 "^cluster: node n1, etcd up for [0-9]+s at $URL \(revision [1-9][0-9]*, lease [0-9a-f]+, TTL 3s\): 0 key\(s\) of ours, 1 namespace\(s\) of 1 other node\(s\), 0 collision\(s\), 0 outages$") &&
	nb_pass "status of daemon 1: $st" || nb_error "status of daemon 1: $st"
st=$(cluster_status 2 "^cluster: node n2, etcd up .*: 1 key\(s\) of ours, 0 namespace\(s\) of 0 other node\(s\)") &&
	nb_pass "status of daemon 2: $st" || nb_error "status of daemon 2: $st"
js=$(as_user "$NSBYPASS" status --json --socket "$D/oci1.sock.control" || true)
python3 -c 'import json,sys
c = json.loads(sys.argv[1])["cluster"]
assert c["node"] == "n1" and c["etcd"] == "up" and c["client_pid"] > 0, c
assert c["remote_namespaces"] == 1 and c["remote_nodes"] == 1, c
assert c["outages"] == 0 and c["ttl_s"] == 3, c' "$js" &&
	nb_pass "status --json of daemon 1: its cluster object" ||
	nb_error "status --json of daemon 1: $js"

# nerdctl's way: `nsbypass daemon` with bypass4netnsd's --multinode
# options on node 1, a bypass POSTed as nerdctl does; its `nsbypass oci`
# gets the cluster options, and its container reaches S too.
NB_AS_USER_NETNS=nbmn-n1 start_bg b4d as_user env XDG_RUNTIME_DIR="$D/xdg4" \
	"$NSBYPASS" daemon --socket "$D/b4ns.sock" --multinode=true \
	--multinode-etcd-address="$URL" --multinode-host-address=10.77.0.1 \
	--cluster-ttl 3
for _ in $(seq 100); do [ -S "$D/b4ns.sock" ] && break; sleep 0.1; done
printf '{"id":"mn1","socketPath":"%s","logFilePath":"%s"}' "$D/b4.sock" \
	"$D/b4.log" >"$D/b4.json"
chmod 644 "$D/b4.json"
code=$(as_user curl -sS --max-time 10 --unix-socket "$D/b4ns.sock" \
	-H 'Content-Type: application/json' --data-binary "@$D/b4.json" \
	-o /dev/null -w '%{http_code}' http://b4ns/v1/bypass || true)
[ "$code" = 201 ] && nb_pass "nsbypass daemon --multinode: bypass created" ||
	nb_fail "nsbypass daemon --multinode: POST answered '$code'"
cmd=
for _ in $(seq 50); do
	cpid=$(pgrep -u "$NB_USER" -f -- "oci --listen $D/b4.sock" | head -n 1)
	[ -n "$cpid" ] && cmd=$(tr '\0' ' ' <"/proc/$cpid/cmdline") && break
	sleep 0.1
done
grep -q -- "--cluster=$URL --node-address=10.77.0.1" <<<"$cmd" &&
	grep -q -- "--cluster-ttl=3" <<<"$cmd" &&
	nb_pass "its nsbypass oci: $cmd" || nb_error "its nsbypass oci: '$cmd'"
client 1 b4 ob 50 "http://10.88.0.2:$CPS/"
grep -qxF "GET http://10.88.0.2:$CPS/: mn-page" <<<"$out" &&
	nb_pass "a container of nsbypass daemon --multinode reaches S" ||
	nb_error "nsbypass daemon --multinode: $out; $(grep cluster "$D/b4.log")"

# Without --cluster on node 1: not served.
client 1 3 x 1 "http://10.88.0.2:$CPS/"
grep -q "^GET .*: FAIL" <<<"$out" && nb_pass "no --cluster: not reached: $out" ||
	nb_error "no --cluster: $out"

# etcd killed: the map stays.
etcd_kill
client 1 1 o2 1 "http://10.88.0.2:$CPS/"
grep -qxF "GET http://10.88.0.2:$CPS/: mn-page" <<<"$out" &&
	nb_pass "etcd down: O2 still reaches S" || nb_error "etcd down: O2: $out"
sleep 1
want_warns 2 "etcd lost, one more"
st=$(cluster_status 1 "^cluster: node n1, etcd down for [0-9]+s \\($URL: .+\\), the last map serves: 0 key\\(s\\) of ours, 1 namespace\\(s\\) of 1 other node\\(s\\), 0 collision\\(s\\), 1 outage$") &&
	nb_pass "status of daemon 1, etcd down: $st" ||
	nb_error "status of daemon 1, etcd down: $st"
# S2 published while etcd is down, then etcd back on its data.
serve s2 "$HPS2" "$CPS2" 10.88.0.3 fd88::3
etcd_start
for n in 1 2; do
	wait_line $n "cluster: back with etcd at $URL" &&
		nb_pass "daemon $n is back with etcd" ||
		nb_error "daemon $n: no 'back with etcd' line"
done
client 1 1 o3 100 "http://10.88.0.3:$CPS2/" "http://10.88.0.2:$CPS/"
grep -qxF "GET http://10.88.0.3:$CPS2/: mn-page" <<<"$out" &&
	grep -qxF "GET http://10.88.0.2:$CPS/: mn-page" <<<"$out" &&
	nb_pass "etcd back: O3 reaches S2 and S" || nb_error "etcd back: O3: $out"

# Node 2's daemon killed, its servers stopped: refused at once, then,
# after the TTL, not served.
kill -9 "$(cat "$D/oci2.pid")"
touch "$D/stop-s" "$D/stop-s2"
t_kill=$SECONDS
sleep 0.5
# errno_probe NAME ERRNO: a container of node 1 whose connect to S
# fails with ERRNO, within 3 s
errno_probe() {
	local t0=$SECONDS
	if sim 1 1 --id "$1" -- "$SOCKPROBE" connect-errno 10.88.0.2 "$CPS" \
		"$2" >"$NB_TMP/$1.log" 2>&1 && [ $((SECONDS - t0)) -lt 3 ]; then
		nb_pass "$3: $2 in $((SECONDS - t0)) s"
	else
		nb_error "$3: $(cat "$NB_TMP/$1.log") ($((SECONDS - t0)) s)"
	fi
}
errno_probe o4 ECONNREFUSED "n2 without its server, before the TTL"
# n2_keys: how many keys of n2 etcd holds (fails if etcd did not answer)
n2_keys() {
	local k
	k=$(keys) || return 1
	grep -c "ns/n2/" <<<"$k" || true
}
gone=
for _ in $(seq 100); do
	if [ "$(n2_keys)" = 0 ]; then
		gone=$((SECONDS - t_kill))
		break
	fi
	sleep 0.1
done
[ -n "$gone" ] &&
	nb_pass "n2's keys expired with its lease, ${gone} s after its daemon's end (TTL 3 s)" ||
	nb_error "n2's keys outlived the TTL by 7 s: $(keys)"
sleep 0.5 # node 1's watch, its daemon, its agents
errno_probe o5 ENETUNREACH "after the TTL: not served (no route to 10.88.0.2)"

# TLS, as etcd's clients have it: a second member on https with
# --client-cert-auth; daemon 4 (node 1) with the CA and a client
# certificate writes its container's key there; daemon 5 without a
# client certificate is refused by etcd and says so once.
T=$D/tls
install -d -m 0700 -o "$NB_USER" "$T"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
	-days 2 -subj /CN=nbmn-ca -keyout "$T/ca.key" -out "$T/ca.crt" 2>/dev/null
# cert NAME CN EXT: a key and a certificate signed by the CA
cert() {
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-subj "/CN=$2" -keyout "$T/$1.key" -out "$T/$1.csr" 2>/dev/null
	printf '%b' "$3" >"$T/$1.ext"
	openssl x509 -req -in "$T/$1.csr" -CA "$T/ca.crt" -CAkey "$T/ca.key" \
		-CAcreateserial -days 2 -out "$T/$1.crt" -extfile "$T/$1.ext" 2>/dev/null
}
# etcd's gateway dials the server with the server's certificate: both
# usages, and the address as a SAN.
cert srv etcd "subjectAltName=IP:$E\nextendedKeyUsage=serverAuth,clientAuth\n"
cert cl nbmn-node "extendedKeyUsage=clientAuth\n"
chown -R "$NB_USER" "$T"
TURL=https://$E:2389
NB_AS_USER_NETNS=nbmn-e1 start_bg etcd-tls as_user "$ETCD" --name e2 \
	--data-dir "$D/etcd/e2" --listen-client-urls "$TURL" \
	--advertise-client-urls "$TURL" --listen-peer-urls "http://$E:2390" \
	--initial-advertise-peer-urls "http://$E:2390" \
	--initial-cluster "e2=http://$E:2390" --initial-cluster-state new \
	--unsafe-no-fsync --cert-file "$T/srv.crt" --key-file "$T/srv.key" \
	--trusted-ca-file "$T/ca.crt" --client-cert-auth
TLS=(--cacert "$T/ca.crt" --cert "$T/cl.crt" --key "$T/cl.key")
for _ in $(seq 100); do
	ip netns exec nbmn-n1 curl -sS --max-time 2 "${TLS[@]}" -X POST \
		"$TURL/v3/kv/range" -d '{"key":"AA=="}' >/dev/null 2>&1 && break
	sleep 0.1
done
oci_start 4 1 --cluster "$TURL" --node-name n1t --node-address 10.77.0.1 \
	--cluster-cacert "$T/ca.crt" --cluster-cert "$T/cl.crt" \
	--cluster-key "$T/cl.key"
oci_start 5 1 --cluster "$TURL" --node-name n1u --node-address 10.77.0.1 \
	--cluster-cacert "$T/ca.crt"
wait_line 4 "cluster: connected to etcd at $TURL" &&
	nb_pass "TLS: daemon 4 reached etcd with its client certificate" ||
	nb_error "TLS: daemon 4: $(grep cluster "$D/oci4.log" | tail -n 3)"
NB_AS_USER_NETNS=nbmn-n1 start_bg t as_user timeout -k 5 60 unshare -r -n \
	"$OCI_SIM" --listener "$D/oci4.sock" --id t \
	--annotation "nsbypass.publish=$(free_port):$CPS" -- \
	sh -c 'ip link set lo up && ip addr add 10.88.0.9/32 dev lo &&
		exec sh "$0" "$1" t "$2"' "$SERVER" "$D" "$CPS"
tk=
for _ in $(seq 100); do
	tk=$(ip netns exec nbmn-n1 curl -sS --max-time 2 "${TLS[@]}" -X POST \
		"$TURL/v3/kv/range" -d '{"key":"bnNieXBhc3MvdjEv","range_end":"bnNieXBhc3MvdjEw"}' |
		python3 -c 'import base64,json,sys
for kv in json.load(sys.stdin).get("kvs", []): print(base64.b64decode(kv["key"]).decode())' || true)
	grep -q "ns/n1t/" <<<"$tk" && break
	sleep 0.1
done
grep -q "ns/n1t/" <<<"$tk" && nb_pass "TLS: T's key written over TLS: $tk" ||
	nb_error "TLS: no key of n1t: '$tk'"
grep -q "cluster: etcd at $TURL: .*trying again" "$D/oci5.log" &&
	! grep -q "connected to etcd" "$D/oci5.log" &&
	nb_pass "TLS: without a client certificate: $(grep -m1 "trying again" "$D/oci5.log")" ||
	nb_error "TLS: daemon 5 without a client certificate: $(grep cluster "$D/oci5.log" | tail -n 3)"
touch "$D/stop-t"

cat "$D/oci1.log" "$D/oci2.log" | grep -E "cluster|etcd" | tail -n 40
if grep -E ": error:" "$D/oci1.log" "$D/oci2.log"; then
	nb_error "errors in the daemons' logs"
fi
echo "TIME: test-multinode.sh took $SECONDS s"
nb_done
