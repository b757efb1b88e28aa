#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# in-slirp4netns.sh MTU [--publish=HOSTIP:HOSTPORT:PORT] CMD... - run CMD in
# a new rootless user+net namespace networked by slirp4netns, the way
# rootless engines start it (--configure --disable-host-loopback,
# 10.0.2.100/24 via 10.0.2.2); --publish adds a TCP forward through the
# API socket (add_hostfwd), as podman's and rootlesskit's port drivers do.
# Runs as the calling (unprivileged) user; cleans up on exit.
set -euo pipefail
mtu=$1
shift
publish=
case ${1:-} in
--publish=*) publish=${1#--publish=}; shift ;;
esac
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
	--api-socket "$dir/api.sock" \
	"$target" tap0 3>"$dir/ready" >"$dir/slirp.log" 2>&1 &
s4_pid=$!
for _ in $(seq 100); do [ -s "$dir/ready" ] && break; sleep 0.05; done
[ -s "$dir/ready" ] || { cat "$dir/slirp.log" >&2; exit 1; }
if [ -n "$publish" ]; then
	IFS=: read -r h_addr h_port g_port <<<"$publish"
	python3 - "$dir/api.sock" "$h_addr" "$h_port" "$g_port" <<'PY' >&2
import json, socket, sys
path, addr, hport, gport = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
s = socket.socket(socket.AF_UNIX)
s.connect(path)
s.sendall(json.dumps({"execute": "add_hostfwd", "arguments": {
    "proto": "tcp", "host_addr": addr, "host_port": hport,
    "guest_port": gport}}).encode())
s.shutdown(socket.SHUT_WR)
reply = json.loads(s.makefile().read())
if "return" not in reply:
    sys.exit("in-slirp4netns: add_hostfwd: %s" % reply)
PY
fi

nsenter -t "$target" -U -n --preserve-credentials "$@"
