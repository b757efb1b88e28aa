#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# test-iperf3.sh - iperf3 clients inside a rootless "nsbypass run
# --net=none" against an iperf3 server (as root) on the test host: TCP and
# UDP, IPv4 and IPv6.  Each run must exit 0 with a JSON report showing data
# moved (TCP: end.sum_received.bits_per_second > 0; UDP: end.sum.bytes >
# 0).  The same client in a plain "unshare -r -n" must fail to connect.
# No speed is asserted: the machine is shared and noisy.
set -xeuo pipefail
# shellcheck source=tests/integration/common.sh
. "$(dirname "$0")/common.sh"

require_root
require_cmd iperf3 ss timeout
setup_testhost
setup_user

N=0
# start_iperf ADDR: a one-off iperf3 server on ADDR; sets PORT.
start_iperf() {
	N=$((N + 1))
	PORT=$(free_port)
	start_bg "iperf3-$N" iperf3 -s -1 -B "$1" -p "$PORT"
	wait_for_port "$1" "$PORT" tcp
}

# check_json DESC KIND: NB_OUT is the client's iperf3 -J report.
check_json() {
	local desc=$1 kind=$2 res
	if [ "$NB_RC" -ne 0 ]; then
		nb_error "$desc: iperf3 exit status $NB_RC"
		return 0
	fi
	res=$(printf '%s' "$NB_OUT" | "$NB_PYTHON" -c '
import json, sys
kind = sys.argv[1]
try:
    d = json.load(sys.stdin)
except ValueError as e:
    print("FAIL no JSON report: %s" % e); sys.exit(0)
if d.get("error"):
    print("FAIL iperf3 error: %s" % d["error"]); sys.exit(0)
end = d.get("end", {})
if kind == "tcp":
    bps = end.get("sum_received", {}).get("bits_per_second", 0)
    if bps > 0:
        print("OK received %.2f Gbit/s" % (bps / 1e9))
    else:
        print("FAIL end.sum_received.bits_per_second=%r" % bps)
else:
    s = end.get("sum", {})
    if s.get("bytes", 0) > 0:
        print("OK bytes=%d lost_percent=%s" % (s["bytes"], s.get("lost_percent")))
    else:
        print("FAIL end.sum.bytes=%r" % s.get("bytes"))
' "$kind")
	if [[ "$res" == OK* ]]; then
		nb_pass "$desc: $res"
	else
		nb_error "$desc: $res"
	fi
}

unreach='unable to connect|unreachable|Cannot assign'
for host in "$NB_HOST4" "$NB_HOST6"; do
	# The negative control runs against a live server, which the bypassed
	# client then uses: the server was there, only the bypass reached it.
	start_iperf "$host"
	nb_expect_fail "isolated iperf3 -c $host" "$unreach" \
		nb_isolated iperf3 -c "$host" -p "$PORT" -t 1
	nb_exec nb_bypass --net=none -- iperf3 -c "$host" -p "$PORT" -t 2 -J
	check_json "bypass iperf3 TCP $host" tcp

	start_iperf "$host"
	nb_exec nb_bypass --net=none -- iperf3 -c "$host" -p "$PORT" \
		-u -b 200M -t 2 -J
	check_json "bypass iperf3 UDP $host" udp
done

nb_done
