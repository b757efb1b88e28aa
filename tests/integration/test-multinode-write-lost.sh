#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# test-multinode-write-lost.sh - nsbypass's etcd client when a write of
# its key does not get through while its lease lives (a regression test).
#
# fake-etcd.py (scenario write-lost) stands in for etcd: it leaves the
# first put unanswered and goes silent for 3 s (no keepalive answered), so
# the client gives up on it with the write under way, as on a member cut
# off by a partition; the second put gets an error answer.  The lease
# lives throughout, so nothing else marks the key for writing again: the
# client must itself.  Before the fix the key was never written (the
# partition test showed it: a service published on the quorum's side
# while the node's member was cut off stayed out of etcd).
set -xeuo pipefail
. "$(dirname "$0")/common.sh"
MN=nbmw
. "$(dirname "$0")/multinode-env.sh"

setup_rootless_test
require_cmd curl ip python3
_nb_tmp
mn_stage
fake_etcd_node write-lost

oci_start 1 1 --cluster "$URL" --node-name n1 --node-address 10.77.0.1 \
	--cluster-ttl 3
serve_on 1 1 t "$HPT" "$CPT" 10.88.0.9 fd88::9
# Unanswered, refused, written: 3 s of silence and two back-offs.
etcd_log_wait 200 "^put nsbypass/v1/ns/n1/.* lease 100$" || true
cat "$D/etcd.log"
grep -q "^put nsbypass/v1/ns/n1/.* lease 100 unanswered$" "$D/etcd.log" &&
	grep -q "^keepalive 100 unanswered$" "$D/etcd.log" &&
	nb_pass "the first write was left unanswered, the lease's keepalive too" ||
	nb_fail "the fake did not get its put: $(tr '\n' ';' <"$D/etcd.log")"
grep -q "^put nsbypass/v1/ns/n1/.* lease 100 refused$" "$D/etcd.log" &&
	nb_pass "written again after the failover (with the lease kept)" ||
	nb_error "the key was not written again after the failover"
grep -q "^put nsbypass/v1/ns/n1/.* lease 100$" "$D/etcd.log" &&
	nb_pass "written again after the error answer: T's key is in" ||
	nb_error "the key was not written again after the error answer"
! grep -q "^grant 10[1-9]" "$D/etcd.log" &&
	nb_pass "one lease throughout" || nb_error "a second lease"
! grep -q "^watch open [2-9]" "$D/etcd.log" &&
	nb_pass "one watch open at a time" ||
	nb_error "two watches open at once"
st=$(cluster_status 1 "^cluster: node n1, etcd up .*lease 64, TTL 3s\\): 1 key\\(s\\) of ours") &&
	nb_pass "status: $st" || nb_error "status: $st"
touch "$D/stop-t"
nb_done
