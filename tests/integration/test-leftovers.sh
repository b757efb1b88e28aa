#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# test-leftovers.sh - when the command exits, nothing it left behind runs
# on: a process under the filter without its agent would get ENOSYS from
# every trapped call (and a program that retries spins).  nsbypass kills
# what is left in the container's user namespace before it exits, as the
# end of a PID namespace would, and exits with the command's status.
set -xeuo pipefail
. "$(dirname "$0")/common.sh"

setup_rootless_test

# Background children, one of them double-forked away from the shell.
nb_exec nb_bypass --net=none -- sh -c \
	'sleep 300 & echo "pid $!"; (sleep 300 & echo "pid $!"); exit 7'
if [ "$NB_RC" -ne 7 ]; then
	nb_error "exit status $NB_RC, want the command's 7"
fi
pids=$(sed -n 's/^pid \([0-9]*\)$/\1/p' <<<"$NB_OUT")
[ "$(wc -w <<<"$pids")" -eq 2 ] || nb_fail "want two pids, got: $NB_OUT"
sleep 0.5
for p in $pids; do
	state=$(awk '{print $3}' "/proc/$p/stat" 2>/dev/null || echo gone)
	case $state in
	gone | Z | X) nb_pass "left-behind process $p is dead ($state)" ;;
	*) nb_error "left-behind process $p still runs (state $state)"
	   kill -9 "$p" 2>/dev/null || true ;;
	esac
done
nb_done
