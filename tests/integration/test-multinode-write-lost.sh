#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# test-multinode-write-lost.sh - nsbypass's etcd client when a write of
# its key does not get through while its lease lives (a regression test).
#
# fake-etcd.py (scenario write-lost) stands in for etcd: it leaves the
# first put unanswered and goes silent for 3 s (no keepalive answered), so
# the client gives up on it with the write under way, as on a member cut
# off by a partition; the next three puts get an error answer.  The
# lease lives throughout, so nothing else marks the key for writing again:
# the client must itself.  Before the fix the key was never written (the
# partition test showed it: a service published on the quorum's side
# while the node's member was cut off stayed out of etcd).  A refused
# write is tried again after a growing back-off, on the same connection:
# etcd is there, it said no (its space quota, say); before, each refusal
# tore the connection down and the back-off started afresh.
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
# Unanswered, refused thrice, written: 3 s of silence, back-offs.
etcd_log_wait 250 "^put nsbypass/v1/ns/n1/.* lease 100$" || true
cat "$D/etcd.log"
grep -q "^put nsbypass/v1/ns/n1/.* lease 100 unanswered$" "$D/etcd.log" &&
	grep -q "^keepalive 100 unanswered$" "$D/etcd.log" &&
	nb_pass "the first write was left unanswered, the lease's keepalive too" ||
	nb_fail "the fake did not get its put: $(tr '\n' ';' <"$D/etcd.log")"
grep -q "^put nsbypass/v1/ns/n1/.* lease 100 refused at " "$D/etcd.log" &&
	nb_pass "written again after the failover (with the lease kept)" ||
	nb_error "the key was not written again after the failover"
grep -q "^put nsbypass/v1/ns/n1/.* lease 100$" "$D/etcd.log" &&
	nb_pass "written again after the error answer: T's key is in" ||
	nb_error "the key was not written again after the error answer"
# The refusals' times: 0.5 s and then 1 s at least between them.
at=($(sed -n 's/^put .* refused at \([0-9.]*\)$/\1/p' "$D/etcd.log"))
[ "${#at[@]}" -eq 3 ] &&
	python3 -c 'import sys; a = [float(x) for x in sys.argv[1:]]
sys.exit(not (a[1] - a[0] >= 0.45 and a[2] - a[1] >= 0.9))' "${at[@]}" &&
	nb_pass "refused writes tried again after 0.5 s, then 1 s: ${at[*]}" ||
	nb_error "refused writes not backed off: ${at[*]}"
[ "$(grep -c "^watch closed" "$D/etcd.log")" -eq 1 ] &&
	nb_pass "the refusals kept the connection (one watch closed: the silent member's)" ||
	nb_error "a refusal tore the watch down: $(grep -c "^watch closed" "$D/etcd.log") closed"
! grep -q "^grant 10[1-9]" "$D/etcd.log" &&
	nb_pass "one lease throughout" || nb_error "a second lease"
fake_etcd_end 64
nb_done
