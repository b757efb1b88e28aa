#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# c2c-client.sh DIR NAME TRIES URL...: the client container of
# test-c2c-run.sh.  For each URL: up to TRIES GETs until the page comes
# (each connect bounded to 3 s), then one line
# "GET URL: PAGE" or "FAIL URL: ERROR (N s)".  With DIR/hold-NAME present
# it then waits for DIR/go-NAME and gets each URL once more (after the
# server went): "AFTER URL: ..." with the seconds it took.
D=$1 NAME=$2 TRIES=$3
shift 3

get() { # PREFIX URL TRIES
	t0=$(date +%s)
	i=0
	while :; do
		i=$((i + 1))
		if out=$(curl -sS --connect-timeout 3 --max-time 5 "$2" 2>&1); then
			echo "$1 $2: $(printf '%s\n' "$out" | head -n 1)"
			return
		fi
		[ "$i" -ge "$3" ] && break
		sleep 0.1
	done
	echo "$1 $2: FAIL $(printf '%s\n' "$out" | head -n 1) ($(($(date +%s) - t0)) s)"
}

for u in "$@"; do
	get GET "$u" "$TRIES"
done
if [ -e "$D/hold-$NAME" ]; then
	touch "$D/held-$NAME"
	for _i in $(seq 600); do
		[ -e "$D/go-$NAME" ] && break
		sleep 0.1
	done
	for u in "$@"; do
		get AFTER "$u" 1
	done
fi
echo "END"
