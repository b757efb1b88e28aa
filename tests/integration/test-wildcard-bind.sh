#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# test-wildcard-bind.sh - a socket bound to the wildcard address with port
# 0 before connect() is switched like an unbound one (issue 10, point 7).
#
# Real programs bind first: dig (bind9's dispatcher binds 0.0.0.0:0 and
# connects to port 53), node's dgram.connect() (libuv binds before it
# connects), Java's DatagramSocket (bound when made).  Under --net=none
# only a switched socket reaches the test host, so each of them working is
# the proof; the DNS responder also logs the query's source, which must
# be the host's own address.  wildcard-bind.py covers TCP and UDP, IPv4
# and IPv6, with SO_REUSEADDR, SO_REUSEPORT, IP_BIND_ADDRESS_NO_PORT and
# IPV6_V6ONLY set before the bind, a reconnect after a refused connect,
# and what must not be switched (a listening socket: EISCONN; a socket
# bound to an explicit port: kept inside, ENETUNREACH).  node, java and
# dig are used where installed (dig: bind9-dnsutils, tests/packages.txt).
set -xeuo pipefail
# shellcheck source=tests/integration/common.sh
. "$(dirname "$0")/common.sh"

setup_rootless_test
start_test_echo
H4=$NB_HOST4 H6=$NB_HOST6 EP=$NB_ECHO_PORT CP=$(free_port)
nb_stage "$NB_ITEST_DIR/nbclient.py" >/dev/null
WB=$(nb_stage "$NB_ITEST_DIR/wildcard-bind.py")

# Negative control: without the bypass nothing gets out.
nb_expect_fail "isolated wildcard-bind $H4" "ENETUNREACH" \
	nb_isolated "$NB_PYTHON" "$WB" "$H4" "$EP" "$CP"

for H in "$H4" "$H6"; do
	nb_expect_ok "python wildcard-bind $H" \
		nb_bypass --net=none -- "$NB_PYTHON" "$WB" "$H" "$EP" "$CP"
done

if command -v dig >/dev/null 2>&1; then
	NAME=probe.nsbypass.test
	WANT=198.51.100.7	# TEST-NET-2: only ever an answer
	DP=$(free_port)
	for H in "$H4" "$H6"; do
		log=$NB_TMP/dns-${H//[:.]/_}.queries
		: >"$log"
		start_bg "dns-${H//[:.]/_}" "$NB_PYTHON" -u \
			"$NB_ITEST_DIR/dns-responder.py" "$H" "$DP" "$NAME" \
			"$WANT" "$log"
		wait_for_port "$H" "$DP" udp
		nb_exec nb_bypass --net=none -- dig +tries=1 +time=3 +short \
			-p "$DP" "@$H" "$NAME"
		if [ "$NB_RC" -eq 0 ] && [ "$(nb_last_line "$NB_OUT")" = "$WANT" ]; then
			nb_pass "dig @$H: $WANT"
		else
			nb_error "dig @$H: exit $NB_RC, '$NB_OUT'"
		fi
		# The query came from the host's own address on the test
		# host's link, not from inside.
		if grep -Eq "^query $NAME .* from \[?$H\]?:[0-9]+\$" "$log"; then
			nb_pass "dig @$H: the query came from the host socket"
		else
			nb_error "dig @$H: responder log: $(cat "$log")"
		fi
	done
else
	echo "NOTE: dig not installed (bind9-dnsutils), its case not run"
fi

if command -v node >/dev/null 2>&1; then
	JS=$(nb_stage "$NB_ITEST_DIR/wildcard-bind.js")
	nb_expect_ok "node dgram.connect and net.connect(localAddress)" \
		nb_bypass --net=none -- node "$JS" "$H4" "$H6" "$EP"
else
	echo "NOTE: node not installed, its case not run"
fi

if command -v java >/dev/null 2>&1; then
	JAVA=$(nb_stage "$NB_ITEST_DIR/WildcardBind.java")
	for H in "$H4" "$H6"; do
		nb_expect_ok "java DatagramSocket.connect $H" \
			nb_bypass --net=none -- java "$JAVA" "$H" "$EP"
	done
else
	echo "NOTE: java not installed, its case not run"
fi
nb_done
