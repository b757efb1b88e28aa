#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# test-multinode-lease.sh - nsbypass's etcd client when its lease is lost
# while its first read of the map is still under way (a regression test).
#
# fake-etcd.py stands in for etcd, to time it so: the first read answers
# after 2.5 s and the first lease's keepalive (every TTL/3 = 1 s) says it
# is gone.  The client must start over: one read, one watch, and its key
# written under the second lease.  Before the fix it granted a new lease
# over the read still in flight, lost track of one of the two calls, and
# ended with two watches open at once ("watch open 2").
set -xeuo pipefail
. "$(dirname "$0")/common.sh"
MN=nbml
. "$(dirname "$0")/multinode-env.sh"

setup_rootless_test
require_cmd curl ip python3
_nb_tmp
mn_stage
fake_etcd_node lease-during-read

oci_start 1 1 --cluster "$URL" --node-name n1 --node-address 10.77.0.1 \
	--cluster-ttl 3
serve_on 1 1 t "$HPT" "$CPT" 10.88.0.9 fd88::9
etcd_log_wait 150 "^put nsbypass/v1/ns/n1/.* lease 101$" || true
# The slow read's answer, and a second for what it may set off.
etcd_log_wait 50 "^slow range answered$" || true
sleep 1
cat "$D/etcd.log"
grep -q "^keepalive 100 gone$" "$D/etcd.log" &&
	nb_pass "the first lease was lost during the first read" ||
	nb_fail "the fake did not get its keepalive: $(tr '\n' ';' <"$D/etcd.log")"
grep -q "^put nsbypass/v1/ns/n1/.* lease 101$" "$D/etcd.log" &&
	nb_pass "T's key written under the second lease" ||
	nb_error "no key under the second lease"
! grep -q "lease 100$" "$D/etcd.log" &&
	nb_pass "nothing written under the lost lease" ||
	nb_error "a write under the lost lease"
fake_etcd_end 65
nb_done
