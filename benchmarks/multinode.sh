#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# multinode.sh - container to container across two nodes (issue 16,
# docs/design.md §6.8): nsbypass's cluster map against the node-to-node
# host path (the limit) and a VXLAN overlay as flannel builds it.
#
#   benchmarks/multinode.sh [--smoke] [--time S] [--reps N] [--out DIR]
#                           [--no-setup]
#
# As root.  Two "nodes" (network namespaces nbbm-n1, nbbm-n2, 10.78.0.1
# and .2 on a bridge in nbbm-lan, MTU 1500) and an etcd member in
# nbbm-e1; one `nsbypass oci --cluster` per node as the test user, with
# oci-sim containers.  Three paths, each from node 1 to node 2:
#   node     a process of the user in node 1 to a server in node 2
#            (10.78.0.2): the limit;
#   bypass   a container of node 1 to a container of node 2 by its
#            container address (10.88.2.2, published: nsbypass.publish),
#            switched by node 1's map to node 2's host listener;
#   overlay  flannel's VXLAN backend built by hand: in each node a bridge
#            cni0 (10.244.N.1/24) with a container namespace behind a veth
#            (10.244.N.2, MTU 1450), a VXLAN device (VNI 1, UDP 8472,
#            10.244.N.0/32) with a route, a neighbour and an FDB entry per
#            other node; container to container through it.
# Workloads: bulk TCP (iperf3, 1 stream, --time s) and connections/s
# (bench-tcp crr, 1 s), --reps times, interleaved.  Then, in a container
# of node 1, a switched connect to node 2's container (crr p50) and a
# trapped setsockopt (bench-syscall) with etcd up, and again with etcd
# killed (then started again for the next repetition): no notification
# waits for etcd.  Prints a table, writes
# results.tsv, results.json and table.txt to --out (default
# bench-out/multinode).  --smoke: 1 s, 1 rep.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

time_s=10
reps=5
out=$repo/bench-out/multinode
setup=1
die_usage() { echo "benchmarks/multinode.sh: $*" >&2; exit 2; }
while [ $# -gt 0 ]; do
	case $1 in
	--smoke) time_s=1 reps=1 ;;
	--time) time_s=${2:-}; shift ;;
	--reps) reps=${2:-}; shift ;;
	--out) out=${2:-}; shift ;;
	--no-setup) setup=0 ;;
	-h | --help) sed -n '4,31p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) die_usage "unknown option '$1' (see --help)" ;;
	esac
	shift
done
[[ "$time_s" =~ ^[0-9]+$ ]] && [ "$time_s" -ge 1 ] && [ "$time_s" -le 600 ] ||
	die_usage "--time wants whole seconds from 1 to 600"
[[ "$reps" =~ ^[0-9]+$ ]] && [ "$reps" -ge 1 ] && [ "$reps" -le 100 ] ||
	die_usage "--reps wants a number from 1 to 100"
[ -n "$out" ] || die_usage "--out wants a directory"
[ "$(id -u)" -eq 0 ] ||
	{ echo "benchmarks/multinode.sh: run as root (it makes network namespaces and a test user)" >&2; exit 1; }
started=$(date +%s)

### Setup, as run.sh does it.
. benchmarks/setup.sh
command -v etcd >/dev/null || nb_fail "no etcd (etcd-server, tests/packages.txt)"
setup_user
nb_stage_vars BENCH_TCP BENCH_SYSCALL OCI_SIM
mkdir -p "$out"
results=$out/results.tsv
: >"$results"
D=$NB_TMP/mn
install -d -m 0700 -o "$NB_USER" "$D" "$D/x1" "$D/x2" "$D/etcd"
E=10.78.0.10
URL=http://$E:2379

# record SECTION METRIC CASE REP VALUE UNIT
record() {
	echo "$*" >>"$results"
	echo "  $*"
}
# last_value FILE NAME: the value of the line "NAME: VALUE UNIT"
last_value() {
	sed -n "s/^$2: \([0-9.]*\) .*/\1/p" "$1" | tail -n 1
}

### The nodes, the etcd member, the overlay.
nb_netns nbbm-lan nbbm-n1 nbbm-n2 nbbm-e1 nbbm-c1 nbbm-c2
ip -n nbbm-lan link add br0 type bridge
ip -n nbbm-lan link set br0 up
plug() { # NODE ADDR: NODE's eth0 on the LAN
	ip -n nbbm-lan link add "p-$1" type veth peer name eth0 netns "nbbm-$1"
	ip -n nbbm-lan link set "p-$1" master br0 up
	ip -n "nbbm-$1" addr add "$2/24" dev eth0
	ip -n "nbbm-$1" link set eth0 up
}
plug n1 10.78.0.1
plug n2 10.78.0.2
plug e1 $E
# flannel's vxlan backend: one VXLAN device a node, 10.244.N.0/24 behind
# cni0, routes to the other node's /24 through the VXLAN device.
for n in 1 2; do
	ns=nbbm-n$n
	ip -n "$ns" link add fl0 type vxlan id 1 local "10.78.0.$n" dev eth0 \
		dstport 8472 nolearning
	ip -n "$ns" addr add "10.244.$n.0/32" dev fl0
	ip -n "$ns" link set fl0 up
	ip -n "$ns" link add cni0 type bridge
	ip -n "$ns" addr add "10.244.$n.1/24" dev cni0
	ip -n "$ns" link set cni0 mtu 1450 up
	ip -n "$ns" link add veth0 mtu 1450 type veth peer name eth0 mtu 1450 netns "nbbm-c$n"
	ip -n "$ns" link set veth0 master cni0 up
	ip -n "nbbm-c$n" addr add "10.244.$n.2/24" dev eth0
	ip -n "nbbm-c$n" link set eth0 up
	ip -n "nbbm-c$n" route add default via "10.244.$n.1"
	ip netns exec "$ns" sysctl -qw net.ipv4.ip_forward=1
done
for n in 1 2; do
	m=$((3 - n))
	mac=$(ip -n "nbbm-n$m" -o link show fl0 | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')
	ip -n "nbbm-n$n" route add "10.244.$m.0/24" via "10.244.$m.0" dev fl0 onlink
	ip -n "nbbm-n$n" neigh add "10.244.$m.0" lladdr "$mac" dev fl0 nud permanent
	ip -n "nbbm-n$n" -4 neigh show dev fl0 >/dev/null
	bridge -n "nbbm-n$n" fdb append "$mac" dev fl0 dst "10.78.0.$m"
done

# etcd_start: the member, on its data directory; back once it answers
etcd_start() {
	NB_AS_USER_NETNS=nbbm-e1 start_bg etcd as_user etcd --name e1 \
		--data-dir "$D/etcd/e1" --listen-client-urls "$URL" \
		--advertise-client-urls "$URL" --listen-peer-urls "http://$E:2380" \
		--initial-advertise-peer-urls "http://$E:2380" \
		--initial-cluster "e1=http://$E:2380" --initial-cluster-state new \
		--unsafe-no-fsync
	for _ in $(seq 100); do
		ip netns exec nbbm-n1 curl -s --max-time 1 -X POST "$URL/v3/kv/range" \
			-d '{"key":"AA=="}' >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	nb_fail "etcd does not answer at $URL"
}
etcd_start
for n in 1 2; do
	NB_AS_USER_NETNS=nbbm-n$n start_bg "oci$n" as_user \
		env XDG_RUNTIME_DIR="$D/x$n" "$NSBYPASS" oci \
		--listen "$D/oci$n.sock" --log-level info \
		--log-file "$D/oci$n.log" --pid-file "$D/oci$n.pid" \
		--cluster "$URL" --node-name "n$n" --node-address "10.78.0.$n"
	for _ in $(seq 100); do [ -S "$D/oci$n.sock" ] && break; sleep 0.1; done
	for _ in $(seq 100); do grep -q "connected to etcd" "$D/oci$n.log" && break; sleep 0.1; done
	grep -q "connected to etcd" "$D/oci$n.log" ||
		nb_fail "daemon $n did not reach etcd: $(tail -n 3 "$D/oci$n.log")"
done
# sim NODE ARGS...: an oci-sim container of node NODE's daemon
sim() {
	local n=$1
	shift
	NB_AS_USER_NETNS=nbbm-n$n as_user timeout -k 5 600 unshare -r -n \
		"$OCI_SIM" --listener "$D/oci$n.sock" "$@"
}

### The servers: in node 2, in its container (published), in c2.
IP=5201 CP=5202 IPH=$(free_port) CPH=$(free_port)
NB_AS_USER_NETNS=nbbm-n2 start_bg srv-node as_user sh -c \
	'iperf3 -s -B 10.78.0.2 -p "$1" >/dev/null 2>&1 & exec "$0" server 10.78.0.2 "$2"' \
	"$BENCH_TCP" "$IP" "$CP"
start_bg srv-bypass sim 2 --id srv \
	--annotation "nsbypass.publish=$IPH:$IP,$CPH:$CP" -- \
	sh -c 'ip link set lo up && ip addr add 10.88.2.2/32 dev lo &&
		iperf3 -s -p "$1" >/dev/null 2>&1 & exec "$0" server 0.0.0.0 "$2"' \
	"$BENCH_TCP" "$IP" "$CP"
start_bg srv-overlay ip netns exec nbbm-c2 sh -c \
	'iperf3 -s -B 10.244.2.2 -p "$1" >/dev/null 2>&1 & exec "$0" server 10.244.2.2 "$2"' \
	"$BENCH_TCP" "$IP" "$CP"
for _ in $(seq 50); do
	ip netns exec nbbm-c1 nc -z -w 1 10.244.2.2 "$CP" 2>/dev/null && break
	sleep 0.1
done
ip netns exec nbbm-c1 nc -z -w 1 10.244.2.2 "$CP" ||
	nb_fail "the overlay does not carry 10.244.1.2 -> 10.244.2.2:$CP"
sleep 1

# client PATH CMD...: CMD from node 1 on PATH, its output on stdout
client() {
	local p=$1
	shift
	case $p in
	node) NB_AS_USER_NETNS=nbbm-n1 as_user timeout 120 "$@" ;;
	bypass) sim 1 --id "c$RANDOM" -- "$@" ;;
	overlay) ip netns exec nbbm-c1 timeout 120 "$@" ;;
	esac
}
target() { # PATH: the server's address as the client names it
	case $1 in
	node) echo 10.78.0.2 ;;
	bypass) echo 10.88.2.2 ;;
	overlay) echo 10.244.2.2 ;;
	esac
}

for rep in $(seq 1 "$reps"); do
	for p in node bypass overlay; do
		t=$(target "$p")
		v=fail
		if client "$p" iperf3 -c "$t" -p "$IP" -t "$time_s" -J \
			>"$D/iperf.json" 2>"$D/iperf.err"; then
			v=$(python3 -c 'import json,sys; print("%.3f" % (json.load(open(sys.argv[1]))["end"]["sum_received"]["bits_per_second"] / 1e9))' "$D/iperf.json" 2>/dev/null || echo fail)
		fi
		record multinode bulk "$p" "$rep" "$v" Gbit/s
	done
	for p in node bypass overlay; do
		t=$(target "$p")
		v=fail
		# timeout: see "Across nodes" in benchmarks/README.md
		if client "$p" timeout 10 "$BENCH_TCP" crr "$t" "$CP" 1 \
			>"$D/crr.out" 2>&1; then
			v=$(last_value "$D/crr.out" crr)
		fi
		record multinode crr "$p" "$rep" "${v:-fail}" conn/s
	done
done
grep -h "info: agent: .* served" "$D/oci1.log" | tail -n 2 | sed 's/^/  node 1 agent: /'

### etcd away: what a notification costs, with etcd and without.
# measure CASE REP: a trapped setsockopt and a switched connect's p50
measure() {
	local f=$D/etcd-$1-$2.out
	# Each crr is bounded (10 s): a hang is a failed measurement, not a
	# hung benchmark (a lost FIN did that once: docs/design.md §4).
	if sim 1 --id "m$1$2" -- sh -c 'timeout 10 "$1" crr "$2" "$3" 1 && "$0" setsockopt 20000' \
		"$BENCH_SYSCALL" "$BENCH_TCP" 10.88.2.2 "$CP" >"$f" 2>&1; then
		record etcd-away trapped-call "$1" "$2" \
			"$(awk -v ns="$(last_value "$f" setsockopt)" 'BEGIN { printf "%.2f", ns / 1000 }')" us
		record etcd-away switched-connect-p50 "$1" "$2" "$(last_value "$f" crr_p50_us)" us
	else
		echo "  $1 $2 failed: $(tail -n 3 "$f" | tr '\n' ' ')"
		grep "m$1$2" "$D/oci1.log" | tail -n 5 | sed 's/^/    /' 
		record etcd-away trapped-call "$1" "$2" fail us
		record etcd-away switched-connect-p50 "$1" "$2" fail us
	fi
}
# Interleaved: up, then killed, then up again for the next repetition.
for rep in $(seq 1 "$reps"); do
	measure etcd-up "$rep"
	pkill -9 -u "$NB_USER" -f -- "--data-dir $D/etcd/e1" || true
	sleep 1
	measure etcd-down "$rep"
	etcd_start
done
grep -c "trying again" "$D/oci1.log" | sed 's/^/  node 1 warnings while etcd is away: /'

{
	echo "nsbypass ${NB_DESCRIBE:-$(git -C "$repo" describe --always --dirty 2>/dev/null || echo '?')}," \
		"$(date -u +%Y-%m-%d), Linux $(uname -r), $(nproc) cores," \
		"multinode: $reps reps x ${time_s}s, interleaved; nodes on a veth bridge (MTU 1500)," \
		"etcd $(etcd --version 2>/dev/null | sed -n 's/^etcd Version: //p'); took $(($(date +%s) - started)) s"
	echo "$(. /etc/os-release && echo "$PRETTY_NAME")"
	python3 benchmarks/soak-summary.py "$results" "$out"
} | tee "$out/table.txt"
echo "results: $out/table.txt, results.json, results.tsv"
