#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# test-agent-footprint.sh - an agent maps only what agents use.  Every
# agent is the nsbypass executable itself (`nsbypass run`, the children
# of `nsbypass oci`), so a library only one command needs must not be
# linked: libcurl, which `nsbypass status` loads when it runs
# (src/curl-dl.h), brought its TLS and Kerberos chain into every agent
# (3.9 MB of resident memory each).  Here a running agent's maps must
# name none of them, and `nsbypass status` still loads libcurl (its
# one-line answer when no daemon listens comes from libcurl's connect).
set -xeuo pipefail
. "$(dirname "$0")/common.sh"

setup_rootless_test
_nb_tmp

as_user "$NSBYPASS" run --net=none -- sleep 30 &
runner=$!
agent=
for _ in $(seq 100); do
	agent=$(pgrep -o -u "$NB_USER" -f -- "run --net=none -- sleep 30" || true)
	[ -n "$agent" ] && pgrep -P "$agent" -x sleep >/dev/null && break
	sleep 0.1
done
[ -n "$agent" ] || nb_fail "no agent process found"
maps=$(cat "/proc/$agent/maps")
for lib in libcurl libssl libcrypto libkrb5 libldap; do
	if grep -q "/$lib" <<<"$maps"; then
		nb_error "the agent ($agent) maps $lib"
	else
		nb_pass "the agent maps no $lib"
	fi
done
kill "$agent" 2>/dev/null || true
wait "$runner" 2>/dev/null || true

nb_exec as_user "$NSBYPASS" status --socket "$NB_TMP/no-such.control"
if [ "$NB_RC" -eq 1 ] &&
	grep -q "^nsbypass: no nsbypass oci at $NB_TMP/no-such.control: No such file or directory$" <<<"$NB_ERR"; then
	nb_pass "status loads libcurl and answers in one line"
else
	nb_error "status without a daemon: exit $NB_RC, stderr: $NB_ERR"
fi
nb_done
