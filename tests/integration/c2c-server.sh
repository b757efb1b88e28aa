#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# c2c-server.sh DIR NAME CP [ADDR6]: a server container of test-c2c-run.sh.
# An HTTP server on :: at published port CP; ADDR6, if given, is added to
# lo (a distinct IPv6 address: every run's fallback has fd00::100).
# Runs until the file DIR/stop-NAME appears (nsbypass run has no mount
# namespace: the test's files are the container's too).
D=$1 NAME=$2 CP=$3 ADDR6=${4:-}

if [ -n "$ADDR6" ]; then
	ip addr add "$ADDR6/128" dev lo || echo "FAIL cannot add $ADDR6"
fi
python3 -m http.server "$CP" --bind :: --directory "$D/www" \
	>"$D/server-$NAME.log" 2>&1 &
P=$!
for _i in $(seq 100); do
	curl -s --max-time 2 -o /dev/null "http://127.0.0.1:$CP/" && break
	sleep 0.1
done
touch "$D/up-$NAME"
for _i in $(seq 900); do
	[ -e "$D/stop-$NAME" ] && break
	sleep 0.1
done
kill "$P"
wait "$P"
echo "END"
