#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# service-map-inside.sh DIR CP CP2: the container's side of
# test-service-map.sh.  A server on :: at published port CP and one at
# unpublished port CP2; GETs from inside; then, told by files in DIR
# (shared with the test: nsbypass run has no mount namespace), the server
# of CP closes and the next connects must be refused.
D=$1 CP=$2 CP2=$3

get() { # NAME URL: one GET, its first line or the curl status
	if out=$(curl -sS --max-time 5 "$2" 2>&1); then
		echo "GET $1: $(printf '%s\n' "$out" | head -n 1)"
	else
		echo "FAIL $1: $(printf '%s\n' "$out" | head -n 1)"
	fi
}
conn() { # NAME HOST PORT: one TCP connect: "GET NAME: connected" or the
	# errno's name (curl 8 words every failure "Could not connect")
	python3 -c '
import errno, socket, sys
try:
    socket.create_connection((sys.argv[2], int(sys.argv[3])), timeout=5).close()
    print("GET %s: connected" % sys.argv[1])
except OSError as e:
    print("FAIL %s: %s" % (sys.argv[1], errno.errorcode.get(e.errno, str(e))))
' "$@"
}
waitfor() { # FILE: up to 30 s
	for _i in $(seq 300); do
		[ -e "$1" ] && return 0
		sleep 0.1
	done
	echo "TIMEOUT waiting for $1"
	exit 1
}

python3 -m http.server "$CP" --bind :: --directory "$D/www" \
	>"$D/server.log" 2>&1 &
P=$!
python3 -m http.server "$CP2" --bind :: --directory "$D/www" \
	>"$D/server2.log" 2>&1 &
P2=$!
for _i in $(seq 100); do
	curl -s --max-time 2 -o /dev/null "http://127.0.0.1:$CP2/" &&
		curl -s --max-time 2 -o /dev/null "http://127.0.0.1:$CP/" && break
	sleep 0.1
done
get v4-loopback "http://127.0.0.1:$CP/"
get v6-loopback "http://[::1]:$CP/"
get own-address "http://10.0.2.100:$CP/"
get unspecified "http://0.0.0.0:$CP/"
get unpublished "http://127.0.0.1:$CP2/"
: >"$D/inside-done"
waitfor "$D/host-done"

kill "$P2"
kill "$P"
wait "$P"
conn closed-at-once 127.0.0.1 "$CP"
: >"$D/closed"
waitfor "$D/squatter"
conn closed-v4-loopback 127.0.0.1 "$CP"
conn closed-own-address 10.0.2.100 "$CP"
conn closed-unpublished 127.0.0.1 "$CP2"
echo END
