#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# test-oci-short.sh - a container that ends before its agent has looked
# at it (a short command, a health check; seen under podman in a
# sanitizer build): the agent ends with it, with no warning in the
# daemon's log (a regression test: it warned "cannot open the namespaces
# of pid N").  NSBYPASS_TEST_AGENT_LEARN_PAUSE_MS (a -Dtest_hooks build)
# holds the agent until the container is gone; rootless, as NB_USER,
# with oci-sim as the runtime.
set -xeuo pipefail
. "$(dirname "$0")/common.sh"
. "$(dirname "$0")/oci-common.sh"

[ "${NB_TEST_HOOKS:-0}" = 1 ] ||
	nb_skip "needs a -Dtest_hooks=true build (NSBYPASS_TEST_AGENT_LEARN_PAUSE_MS)"
oci_sim_setup
LOG=$D/oci.log
oci_cleanup_on_exit

start_bg oci as_user env NSBYPASS_TEST_AGENT_LEARN_PAUSE_MS=1000 \
	"$NSBYPASS" oci --listen "$SOCK" --log-level info \
	--log-file "$LOG" --pid-file "$PIDF"
for _ in $(seq 100); do [ -S "$SOCK" ] && [ -s "$PIDF" ] && break; sleep 0.1; done
[ -S "$SOCK" ] || nb_fail "nsbypass oci does not listen on $SOCK"

for id in s1 s2; do
	nb_exec as_user timeout -k 5 30 unshare -r -n "$OCI_SIM" \
		--listener "$SOCK" --id "$id" -- true
	[ "$NB_RC" -eq 0 ] && nb_pass "$id: the short container ran" ||
		nb_error "$id: oci-sim exited $NB_RC"
done
oci_expect_log "both agents were held" "test hook: NSBYPASS_TEST_AGENT_LEARN_PAUSE_MS" 2
oci_expect_log "both agents ended" "container s[12]: agent pid [0-9]+ ended" 2
oci_expect_log "the gone container said as such" "ended before its agent looked at it" 2
grep -E ": (warn|error): " "$LOG" &&
	nb_error "a warning for a container that ended at once" ||
	nb_pass "no warning in the daemon's log"
oci_wait_no_agents || nb_error "agents left running"
nb_done
