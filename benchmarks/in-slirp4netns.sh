#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# in-slirp4netns.sh MTU CMD... - run CMD in a new rootless user+net
# namespace networked by slirp4netns, the way rootless engines start it
# (--configure --disable-host-loopback, 10.0.2.100/24 via 10.0.2.2).
# Runs as the calling (unprivileged) user; cleans up on exit.
set -euo pipefail
mtu=$1
shift
dir=$(mktemp -d)
ns_pid=
s4_pid=
target=
# unshare --fork ignores SIGTERM while it waits: end the process inside.
cleanup() {
	[ -n "$s4_pid" ] && kill "$s4_pid" 2>/dev/null
	[ -n "$target" ] && kill "$target" 2>/dev/null
	[ -n "$ns_pid" ] && kill "$ns_pid" 2>/dev/null
	wait 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT

# The namespace holder: a process that sleeps until we are done.
unshare -r -n --fork sh -c "echo \$\$ >'$dir/pid'; exec sleep 3600" &
ns_pid=$!
for _ in $(seq 100); do [ -s "$dir/pid" ] && break; sleep 0.05; done
[ -s "$dir/pid" ] || { echo "in-slirp4netns: no namespace" >&2; exit 1; }
target=$(cat "$dir/pid")

# slirp keeps a host socket (an fd) per connection until its own TCP
# state machine lets go, well after close: at Debian's soft limit of 1024
# fds socket() fails and every later connect gets ENETUNREACH (measured:
# crr failed after 1017 connections).  Rootless engines raise the soft
# limit to the hard one; so does nsbypass's agent.  Do the same.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
slirp4netns --configure --mtu="$mtu" --disable-host-loopback -r 3 \
	"$target" tap0 3>"$dir/ready" >"$dir/slirp.log" 2>&1 &
s4_pid=$!
for _ in $(seq 100); do [ -s "$dir/ready" ] && break; sleep 0.05; done
[ -s "$dir/ready" ] || { cat "$dir/slirp.log" >&2; exit 1; }

nsenter -t "$target" -U -n --preserve-credentials "$@"
