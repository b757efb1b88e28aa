#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# test-subnets.sh - the container's own subnets are never bypassed, and
# nsbypass-nsagent keeps that list current without polling: once the
# command puts 10.99.0.0/24 on its own lo, a connect to 10.99.0.1 stays
# inside (ECONNREFUSED from the namespace's lo); after the address is
# removed, the same connect is bypassed again.
set -xeuo pipefail
. "$(dirname "$0")/common.sh"

require_root
require_cmd ss timeout ip
setup_testhost
setup_user
H4=$NB_HOST4
EP=$(free_port)
start_echo echo4 "$H4" "$EP"

script='
set -e
"$1" tcp-echo "$2" "$3"
ip addr add 10.99.0.77/24 dev lo
sleep 0.5
"$1" tcp-refused "$2" "$3"
ip addr del 10.99.0.77/24 dev lo
sleep 0.5
"$1" tcp-echo "$2" "$3"
'
nb_expect_ok "subnet added inside is not bypassed, removed is again" \
	nb_bypass --net=none -- sh -c "$script" sh "$SOCKPROBE" "$H4" "$EP"
if [ "$NB_OK" = 1 ] && [ "$(grep -c '^OK' <<<"$NB_OUT")" -ne 3 ]; then
	nb_error "want three OK lines, got: $NB_OUT"
fi
nb_done
