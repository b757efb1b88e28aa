#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# test-multinode-table.sh - nsbypass's etcd client forgets the containers
# that are gone (a regression test).
#
# cluster-drive (tests/helpers/) plays the daemon: 1100 containers come
# and go, none of them publishing anything (most containers do not), then
# one publishes a service.  fake-etcd.py (scenario plain) stands in for
# etcd.  The client's table of local namespaces holds 1024; before the
# fix it never let go of a namespace that had had nothing for the
# cluster, so after 1024 containers of that kind no new one was ever
# written to etcd again.
set -xeuo pipefail
. "$(dirname "$0")/common.sh"
MN=nbmt

require_root
require_cmd curl ip
[ -x "${CLUSTER_DRIVE:-}" ] || nb_fail "cluster-drive not built: ${CLUSTER_DRIVE:-}"
_nb_tmp
D=$NB_TMP/$MN
mkdir -p "$D"
URL=http://127.0.0.1:2379
nb_netns ${MN}-n1
: >"$D/etcd.log"
start_bg fake-etcd ip netns exec ${MN}-n1 "$NB_PYTHON" \
	"$NB_ITEST_DIR/fake-etcd.py" 127.0.0.1 2379 "$D/etcd.log" plain
for _ in $(seq 50); do
	ip netns exec ${MN}-n1 curl -s -o /dev/null -X POST \
		"$URL/v3/kv/deleterange" -d '{}' && break
	sleep 0.1
done

start_bg drive ip netns exec ${MN}-n1 "$CLUSTER_DRIVE" "$URL" 1100 30
# Namespace 1101 = 0x44d.
for _ in $(seq 200); do
	grep -q "^put nsbypass/v1/ns/n1/w1/000000000000044d lease" "$D/etcd.log" && break
	sleep 0.1
done
grep -c "^put " "$D/etcd.log" || true
grep -q "^put nsbypass/v1/ns/n1/w1/000000000000044d lease" "$D/etcd.log" &&
	nb_pass "after 1100 containers came and went, the next one's key is written" ||
	nb_error "the key of the 1101st container was never written: $(tail -n 3 "$D/etcd.log" | tr '\n' ';')"
[ "$(grep -c "^put " "$D/etcd.log")" -eq 1 ] &&
	nb_pass "nothing written for the containers that published nothing" ||
	nb_error "$(grep -c "^put " "$D/etcd.log") puts"
nb_done
