#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# test-pasta.sh - a container networked by pasta the way podman 5 attaches
# it (`pasta --config-net -i IFACE PID`) next to nsbypass run --net=none
# (docs/design.md §5, "Subnets mirrored from the host").
#
# Topology: a "node" network namespace, whose uplink veth nbpn0 has
# 10.123.0.1/24 and a default route via 10.123.0.254 (a router that does
# not answer: pasta maps the gateway's address to the node's loopback, so
# it must not be the peer), leads to a "LAN peer" namespace with
# 10.123.0.2/24.  pasta copies 10.123.0.1/24 and the default route into
# the container, so 10.123.0.0/24 is a subnet of the container's that is
# the node's LAN, mirrored.  Echo servers: the peer on 10.123.0.2, the node
# on its own 10.123.0.1 and on its 127.0.0.1, one port.
#
# As the test user, in the node, one container per case; each waits until
# pasta has configured its namespace and makes one connect:
#   the LAN peer           bypassed (1 switched), echo
#   the gateway            kept (pasta maps it to the node's loopback), echo
#   its own address        kept: refused inside, never the node's server
#   the peer, --host-subnets=none   kept (through pasta), echo
set -xeuo pipefail
. "$(dirname "$0")/common.sh"

require_root
require_cmd ss timeout ip pasta
setup_user
require_tun "pasta"
IN_PASTA=$(nb_stage "$NB_REPO/benchmarks/in-pasta-nsbypass.sh")
NODE=nbpnode
PEER=nbppeer
EP=$(free_port)

netns_clean() {
	ip netns del "$NODE" 2>/dev/null || true
	ip netns del "$PEER" 2>/dev/null || true
}
netns_clean
ip netns add "$NODE"
ip netns add "$PEER"
ip link add nbpn0 netns "$NODE" type veth peer name nbpp0 netns "$PEER"
ip -n "$NODE" link set lo up
ip -n "$PEER" link set lo up
ip -n "$NODE" addr add 10.123.0.1/24 dev nbpn0
ip -n "$PEER" addr add 10.123.0.2/24 dev nbpp0
ip -n "$NODE" link set nbpn0 up
ip -n "$PEER" link set nbpp0 up
ip -n "$NODE" route add default via 10.123.0.254

# echo_in NS ADDR: an echo server in NS on ADDR:EP, listening when this
# returns.
echo_in() {
	start_bg "echo-$1-$2" ip netns exec "$1" "$NB_PYTHON" -u \
		"$NB_ITEST_DIR/echo-server.py" "$2" "$EP"
	for _ in $(seq 100); do
		ip netns exec "$1" ss -Hltn src "$2:$EP" | grep -q . && return 0
		sleep 0.1
	done
	nb_fail "no echo server on $1 $2:$EP"
}
echo_in "$PEER" 10.123.0.2
echo_in "$NODE" 10.123.0.1
echo_in "$NODE" 127.0.0.1

# pasta_case NAME [RUN_OPTION...] -- SOCKPROBE_ARGS...: one container in
# the node, nsbypass run --net=none with pasta attached as podman
# attaches it (benchmarks/in-pasta-nsbypass.sh, the benchmark's own path:
# the probe starts once pasta's default route is in); NB_OUT, NB_ERR,
# NB_RC as nb_exec sets them.
pasta_case() {
	local name=$1 opts=()
	shift
	while [ "$1" != -- ]; do
		opts+=("$1")
		shift
	done
	shift
	NB_RC=0
	NB_AS_USER_NETNS=$NODE as_user timeout -k 5 "$NB_CMD_TIMEOUT" \
		"$IN_PASTA" "$NSBYPASS" nbpn0 --log-level=debug \
		${opts[@]+"${opts[@]}"} -- "$SOCKPROBE" "$@" \
		>"$NB_TMP/$name.out" 2>"$NB_TMP/$name.err" || NB_RC=$?
	NB_OUT=$(cat "$NB_TMP/$name.out")
	NB_ERR=$(cat "$NB_TMP/$name.err")
	printf '%s\n' "--- $name: exit $NB_RC" "$NB_OUT" "$NB_ERR" | tail -n 60
}

# expect NAME WANT_OUT_ERE SWITCHED KEPT: the case's last line and stats.
expect() {
	local stats
	stats=$(grep -o 'agent: [0-9]* switched, [0-9]* kept' <<<"$NB_ERR" ||
		true)
	if [ "$NB_RC" -ne 0 ] || ! grep -Eq "$2" <<<"$NB_OUT"; then
		nb_error "$1: exit $NB_RC, output '$NB_OUT'"
	elif [ "$stats" != "agent: $3 switched, $4 kept" ]; then
		nb_error "$1: want $3 switched, $4 kept, got '$stats'"
	else
		nb_pass "$1: $stats"
	fi
}

pasta_case peer -- tcp-echo 10.123.0.2 "$EP"
expect "LAN peer on the mirrored subnet is bypassed" "^OK" 1 0
grep -q "subnet 10.123.0.0/24 (mirrored from the host)" <<<"$NB_ERR" ||
	nb_error "the agent did not log 10.123.0.0/24 as mirrored"

pasta_case gateway -- tcp-echo 10.123.0.254 "$EP"
expect "the gateway stays with pasta (the node's loopback)" "^OK" 0 1

pasta_case own -- tcp-refused 10.123.0.1 "$EP"
expect "the container's own address stays inside" "^OK" 0 1

pasta_case override --host-subnets=none -- tcp-echo 10.123.0.2 "$EP"
expect "--host-subnets=none keeps the LAN peer with pasta" "^OK" 0 1

netns_clean
nb_done
