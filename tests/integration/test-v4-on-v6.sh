#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# test-v4-on-v6.sh - connect() with an address of the other family than
# the socket's (issue 10, point 9).  Linux connects an IPv6 UDP socket
# without IPV6_V6ONLY to an AF_INET address as to its v4-mapped form:
# under --net=none that socket must be switched, its peer must read as
# ::ffff:10.99.0.1, and the echo must come back, also when the switched
# socket is connected again that way.  Everything else with the other
# family fails with Linux's errno, container socket or host socket alike
# (EINVAL for a short address, EAFNOSUPPORT, EISCONN first on a connected
# TCP socket): sockprobe v4-on-v6 checks them all.
set -xeuo pipefail
# shellcheck source=tests/integration/common.sh
. "$(dirname "$0")/common.sh"

setup_rootless_test
start_test_echo

# Negative control: without the bypass nothing gets out.
nb_expect_fail "isolated v4-on-v6" "ENETUNREACH" \
	nb_isolated "$SOCKPROBE" v4-on-v6 "$NB_HOST4" "$NB_HOST6" "$NB_ECHO_PORT"
nb_expect_ok "bypass v4-on-v6" \
	nb_bypass --net=none -- "$SOCKPROBE" v4-on-v6 "$NB_HOST4" "$NB_HOST6" \
	"$NB_ECHO_PORT"
nb_expect_last "bypass v4-on-v6" \
	"OK v4-on-v6 peer [::ffff:$NB_HOST4]:$NB_ECHO_PORT"
nb_done
