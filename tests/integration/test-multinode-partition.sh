#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# test-multinode-partition.sh - the cluster map across a network
# partition that heals (issue 16, docs/design.md §6.8), rootless, as the
# unprivileged NB_USER.
#
# Three etcd members (nbmp-e1..e3, 10.77.0.11-13) and two nodes (nbmp-n1,
# nbmp-n2) on the bridge br0 of nbmp-lan; each node's `nsbypass oci` is
# given all three members (--cluster URL,URL,URL) and a lease TTL of 3 s.
#   - S on n2 is published; n1's status has its namespace.
#   - The partition: n1 and e1 move to a bridge of their own (br1), so e1
#     is a minority without a leader and n1 reaches no other member; n2,
#     e2 and e3 keep a quorum.  n1's status says etcd is down, with the
#     last map; S2 is published on n2, T on n1, while it lasts (n1's write
#     cannot get through); n1's lease ends on the quorum's side, so n2's
#     map drops n1's keys.
#   - The heal: both back on br0.  Within 30 s both sides converge: n1 has
#     S and S2 (2 namespaces of 1 node) and its own key T again; n2 has T;
#     a container on n1 reaches S2 and one on n2 reaches T, by container
#     address.
set -xeuo pipefail
# Seconds in the trace: what took how long after the partition and the heal.
PS4='+ ${EPOCHREALTIME%???} '
. "$(dirname "$0")/common.sh"
MN=nbmp
# The containers outlive the whole test (meson's timeout is 180 s).
SIM_SECONDS=170
. "$(dirname "$0")/multinode-env.sh"

setup_rootless_test
require_cmd curl ip python3
command -v etcd >/dev/null 2>&1 ||
	nb_skip "no etcd (Debian's etcd-server, tests/packages.txt)"
_nb_tmp
mn_stage
ETCD=$(command -v etcd)
D=$NB_TMP/mp
mkdir -p "$D/www" "$D/xdg1" "$D/xdg2" "$D/etcd"
echo "mp-page" >"$D/www/index.html"
chown -R "$NB_USER" "$D"
chmod 0700 "$D/xdg1" "$D/xdg2" "$D/etcd"
URL=http://10.77.0.12:2379 # etcdq's: a member on the quorum's side
ALL=http://10.77.0.11:2379,http://10.77.0.12:2379,http://10.77.0.13:2379
HPS=$(free_port) CPS=$(free_port) HPS2=$(free_port) CPS2=$(free_port)
HPT=$(free_port) CPT=$(free_port)

nb_netns nbmp-lan nbmp-n1 nbmp-n2 nbmp-e1 nbmp-e2 nbmp-e3
for b in br0 br1; do
	ip -n nbmp-lan link add "$b" type bridge
	ip -n nbmp-lan link set "$b" up
done
plug n1 10.77.0.1 fd77::1
plug n2 10.77.0.2 fd77::2
for i in 1 2 3; do
	plug "e$i" "10.77.0.1$i"
done
# The keys etcdq reads from node 1 go to a member node 1 may not reach
# during the partition: read them from node 2.
etcdq() {
	ip netns exec nbmp-n2 curl -sS --max-time 3 -X POST "$URL/v3/$1" -d "$2"
}

# The members, as the test user, one in each namespace.
peers=e1=http://10.77.0.11:2380,e2=http://10.77.0.12:2380,e3=http://10.77.0.13:2380
for i in 1 2 3; do
	a=10.77.0.1$i
	NB_AS_USER_NETNS=nbmp-e$i start_bg "etcd$i" as_user "$ETCD" --name "e$i" \
		--data-dir "$D/etcd/e$i" --listen-client-urls "http://$a:2379" \
		--advertise-client-urls "http://$a:2379" \
		--listen-peer-urls "http://$a:2380" \
		--initial-advertise-peer-urls "http://$a:2380" \
		--initial-cluster "$peers" --initial-cluster-state new \
		--initial-cluster-token nbmp --unsafe-no-fsync
done
for _ in $(seq 150); do
	etcdq kv/put '{"key":"AA==","value":"AA=="}' 2>/dev/null | grep -q revision && break
	sleep 0.2
done
etcdq kv/put '{"key":"AA==","value":"AA=="}' | grep -q revision ||
	{ _nb_dump_logs; nb_fail "the three members do not make a cluster"; }
nb_pass "three etcd members, a leader elected"

cargs() { # N
	echo --cluster "$ALL" --node-name "n$1" --node-address "10.77.0.$1" \
		--node-address "fd77::$1" --cluster-ttl 3
}
oci_start 1 1 $(cargs 1)
oci_start 2 2 $(cargs 2)
serve_on 2 2 s "$HPS" "$CPS" 10.88.0.2 fd88::2
st=$(cluster_status 1 "^cluster: node n1, etcd up .*: 0 key\\(s\\) of ours, 1 namespace\\(s\\) of 1 other node\\(s\\)") &&
	nb_pass "before: $st" || nb_fail "before: daemon 1: $st"

# side BRIDGE NS...: move each NS's port to BRIDGE
side() {
	local b=$1 ns
	shift
	for ns in "$@"; do
		ip -n nbmp-lan link set "p-$ns" master "$b"
	done
}
side br1 n1 e1
nb_pass "partition: n1 and e1 on br1; n2, e2, e3 on br0"
serve_on 2 2 s2 "$HPS2" "$CPS2" 10.88.0.3 fd88::3
serve_on 1 1 t "$HPT" "$CPT" 10.88.0.9 fd88::9
st=$(cluster_status 1 "^cluster: node n1, etcd down for [0-9]+s .*the last map serves: 0 key\\(s\\) of ours, 1 namespace\\(s\\) of 1 other node\\(s\\)") &&
	nb_pass "partitioned: $st" || nb_error "partitioned: daemon 1: $st"
# n1's lease ends on the quorum's side (TTL 3 s): n2's map has no n1.
# (n2 leaves a member cut off within a keepalive's TTL/3; the quorum's
# side may be electing a leader meanwhile: 20 s.)
t0=$SECONDS
while [ $((SECONDS - t0)) -lt 20 ]; do
	k=$(keys 2>&1 || true)
	grep -q "ns/n2/.*addr 10.88.0.3;" <<<"$k" && ! grep -q "ns/n1/" <<<"$k" && break
	sleep 0.1
done
grep -q "ns/n2/.*addr 10.88.0.3;" <<<"$k" && ! grep -q "ns/n1/" <<<"$k" &&
	nb_pass "quorum side: S2 written, no key of n1" ||
	nb_error "quorum side: keys: $k"

sleep 2
side br0 n1 e1
# As when a link comes back: what each side learnt of the other's
# addresses while cut off (failed ARP and neighbour entries) is flushed.
for ns in n1 n2 e1 e2 e3; do
	ip -n "nbmp-$ns" neigh flush dev eth0 || true
done
t0=$SECONDS
nb_pass "healed"
st=$(WAIT=300 cluster_status 1 "^cluster: node n1, etcd up .*: 1 key\\(s\\) of ours, 2 namespace\\(s\\) of 1 other node\\(s\\)") &&
	nb_pass "n1 converged in $((SECONDS - t0)) s: $st" ||
	nb_error "n1 did not converge in $((SECONDS - t0)) s: $st; $(grep cluster "$D/oci1.log" | tail -n 5)"
st=$(WAIT=100 cluster_status 2 "^cluster: node n2, etcd up .*: 2 key\\(s\\) of ours, 1 namespace\\(s\\) of 1 other node\\(s\\)") &&
	nb_pass "n2 converged: $st" || nb_error "n2: $st"
# (A member back from a partition may call an election: a read can fail
# for a moment, so it is tried for 5 s.)
t0=$SECONDS
while [ $((SECONDS - t0)) -lt 5 ]; do
	k=$(keys 2>&1 || true)
	grep -q "ns/n1/.*addr 10.88.0.9;" <<<"$k" && break
	sleep 0.1
done
grep -q "ns/n1/.*addr 10.88.0.9;" <<<"$k" &&
	nb_pass "T's key is in etcd again" || nb_error "no key of T: $k"
client 1 1 o 50 "http://10.88.0.3:$CPS2/" "http://10.88.0.2:$CPS/"
grep -qxF "GET http://10.88.0.3:$CPS2/: mp-page" <<<"$out" &&
	grep -qxF "GET http://10.88.0.2:$CPS/: mp-page" <<<"$out" &&
	nb_pass "n1's container reaches S2 and S" || nb_error "n1's O: $out"
client 2 2 p 50 "http://10.88.0.9:$CPT/" "http://[fd88::9]:$CPT/"
grep -qxF "GET http://10.88.0.9:$CPT/: mp-page" <<<"$out" &&
	grep -qxF "GET http://[fd88::9]:$CPT/: mp-page" <<<"$out" &&
	nb_pass "n2's container reaches T, v4 and v6" || nb_error "n2's P: $out"
touch "$D/stop-s" "$D/stop-s2" "$D/stop-t"
grep -h "error" "$D/oci1.log" "$D/oci2.log" | grep -v "cannot fork\|connect" | head -n 5 || true
nb_done
