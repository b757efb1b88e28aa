#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# in-pasta-nsbypass.sh NSBYPASS IFACE [RUN-OPTION...] -- CMD... - run CMD
# under `NSBYPASS run --net=none RUN-OPTION...` with pasta attached to the
# container's namespace the way podman 5 attaches it (`pasta --config-net
# [-i IFACE] PID`, after the namespace exists): pasta copies the host's
# addresses and routes in, nsbypass switches what it may bypass (docs/
# design.md §5, "Subnets mirrored from the host").  IFACE "-" lets pasta
# pick the interface of the default route.  CMD starts once pasta's
# default route is in; its exit status is the script's.  Runs as the
# calling (unprivileged) user; cleans up on exit.
set -euo pipefail
nsbypass=$1 iface=$2
shift 2
opts=()
while [ $# -gt 0 ] && [ "$1" != -- ]; do
	opts+=("$1")
	shift
done
[ $# -gt 1 ] || { echo "in-pasta-nsbypass: no command after --" >&2; exit 2; }
shift
dir=$(mktemp -d)
run=
cleanup() {
	local p
	p=$(cat "$dir/pasta.pid" 2>/dev/null || true)
	[ -z "$p" ] || kill "$p" 2>/dev/null || true
	[ -z "$run" ] || kill "$run" 2>/dev/null || true
	wait 2>/dev/null || true
	rm -rf "$dir"
}
trap cleanup EXIT

# Inside: say the pid, wait for pasta's default route, run CMD, then wait
# until pasta's start has returned (nsbypass run ends what is left in the
# container's user namespace when CMD exits, pasta too: not mid-start).
# shellcheck disable=SC2016 # expanded inside
script='
d=$1
shift
echo $$ >"$d/pid"
i=0
until ip route show default | grep -q via; do
	i=$((i + 1))
	[ "$i" -lt 300 ] || { echo "in-pasta-nsbypass: no default route from pasta" >&2; exit 3; }
	sleep 0.05
done
rc=0
"$@" || rc=$?
i=0
until [ -e "$d/pasta-done" ] || [ "$i" -ge 100 ]; do
	i=$((i + 1))
	sleep 0.1
done
exit "$rc"
'
"$nsbypass" run --net=none ${opts[@]+"${opts[@]}"} -- \
	sh -c "$script" sh "$dir" "$@" &
run=$!
for _ in $(seq 200); do
	[ -s "$dir/pid" ] && break
	kill -0 "$run" 2>/dev/null || break
	sleep 0.05
done
[ -s "$dir/pid" ] || { echo "in-pasta-nsbypass: the container never started" >&2; exit 1; }
if [ "$iface" = - ]; then
	pasta --config-net --quiet -P "$dir/pasta.pid" "$(cat "$dir/pid")"
else
	pasta --config-net --quiet -i "$iface" -P "$dir/pasta.pid" "$(cat "$dir/pid")"
fi
touch "$dir/pasta-done"
rc=0
wait "$run" || rc=$?
run=
exit "$rc"
