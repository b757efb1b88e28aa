#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# test-subnets.sh - the container's own subnets are never bypassed, and
# the agent knows them as they are at each connect, without polling and
# without a lag (docs/design.md §5, "Subnets without a lag"): once the
# command puts 10.99.0.0/24 on its own lo, a connect to 10.99.0.1 stays
# inside (ECONNREFUSED from the namespace's lo); after the address is
# removed, the same connect is bypassed again.  No wait in between: the
# connect comes as soon as `ip` has returned.  Then the race itself, 200
# times in a row: add the address, connect at once (kept, never the test
# host's echo server), remove it; the agent must have kept every one.
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
"$1" tcp-refused "$2" "$3"
ip addr del 10.99.0.77/24 dev lo
"$1" tcp-echo "$2" "$3"
'
nb_expect_ok "subnet added inside is not bypassed, removed is again" \
	nb_bypass --net=none -- sh -c "$script" sh "$SOCKPROBE" "$H4" "$EP"
if [ "$NB_OK" = 1 ] && [ "$(grep -c '^OK' <<<"$NB_OUT")" -ne 3 ]; then
	nb_error "want three OK lines, got: $NB_OUT"
fi

N=200
race='
set -e
i=0
while [ "$i" -lt "$4" ]; do
	ip addr add 10.99.0.77/24 dev lo
	"$1" tcp-refused "$2" "$3" >/dev/null
	ip addr del 10.99.0.77/24 dev lo
	i=$((i + 1))
done
echo "OK $i connects kept"
'
nb_expect_ok "address added inside, connect at once: kept $N times" \
	nb_bypass --net=none --log-level=info -- \
	sh -c "$race" sh "$SOCKPROBE" "$H4" "$EP" "$N"
if ! grep -q "agent: 0 switched, $N kept" <<<"$NB_ERR"; then
	nb_error "want 0 switched, $N kept: $(grep 'agent:' <<<"$NB_ERR" || true)"
fi
nb_done
