#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# test-podman-conf.sh - the route contrib/podman/README.md leads with,
# step by step as a user takes it, as the unprivileged NB_USER with a
# HOME and XDG_RUNTIME_DIR of its own (no CONTAINERS_CONF, no podman
# option but the network and --rootfs: the busybox-static rootfs dir
# stands in for an image):
#   1. the user unit: the ExecStart line of the built
#      nsbypass-oci.service, %t being XDG_RUNTIME_DIR, in the
#      RuntimeDirectory it names (systemd cannot run here: PID 1 is not
#      systemd), with --log-level info --log-file as a drop-in would add;
#   2. `nsbypass profile --listener $XDG_RUNTIME_DIR/nsbypass/oci.sock`
#      into ~/.config/containers/nsbypass-seccomp.json;
#   3. ~/.config/containers/containers.conf [containers] seccomp_profile
#      naming it (and [engine] runtime: runc, then crun).
# Then, with each runtime (crun: SKIP note with the reason when it cannot
# run here), a busybox wget in `podman run` reaches an HTTP server on the
# test host 10.99.0.1 and the agent switched it ("1 switched, 0 kept"),
# for --network none, slirp4netns, the default network, pasta (podman 5
# and later; podman 4.3 says "network not found": printed as a note) and a
# bridge network made with `podman network create` (a SKIP note with
# podman's error when rootless bridge networks do not work here; podman
# 4.3 uses CNI, podman 5's netavark needs nft).
# A published port: -p alone (the engine's forwarder) and the annotation
# nsbypass.publish alone both answer on the test host; both naming the
# same host port fail with one clear error line in the agent's log (the
# engine's forwarder holds the port first: the line names it, rootlessport
# or pasta, and the fix), the container's bind() getting EADDRINUSE.
set -xeuo pipefail
. "$(dirname "$0")/common.sh"
. "$(dirname "$0")/oci-common.sh"

UNIT=${NB_UNIT:-$NB_REPO/build/contrib/systemd/nsbypass-oci.service}
[ -r "$UNIT" ] || nb_fail "$UNIT not built"
setup_rootless_test
require_cmd podman runc busybox newuidmap newgidmap curl
setup_subids
H4=$NB_HOST4
. "$NB_ITEST_DIR/podman-env.sh"
podman_env_setup
UHOME=$PD/home
CONF=$UHOME/.config/containers
SOCK=$XDG/nsbypass/oci.sock
LOG=$PD/oci.log
PIDF=$PD/oci.pid
mkdir -p "$CONF" "$ROOTFS/www"
echo "www-$$" >"$ROOTFS/www/token.txt"
# Storage in the test's dir, by the user's storage.conf: no global option.
cat >"$CONF/storage.conf" <<EOF
[storage]
driver = "vfs"
graphroot = "$PD/root"
runroot = "$PD/runroot"
EOF
chown -R "$NB_USER:" "$UHOME" "$ROOTFS/www"

# pm ARGS...: podman ARGS as the user, in its own HOME and
# XDG_RUNTIME_DIR: ~/.config/containers is all it reads.  (Replaces
# podman-env.sh's pm, which its cleanup calls.)
pm() {
	runuser -u "$NB_USER" -- env -i -C / HOME="$UHOME" USER="$NB_USER" \
		LOGNAME="$NB_USER" XDG_RUNTIME_DIR="$XDG" \
		PATH=/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin \
		LANG=C.UTF-8 timeout -k 5 "${PM_TIMEOUT:-40}" podman "$@"
}

_conf_cleanup() {
	local rc=$?
	set +e
	pm rm -a -f -t 0 >/dev/null 2>&1
	pm network rm -f nbconf >/dev/null 2>&1
	oci_daemon_cleanup
	(exit "$rc")
	_pm_env_cleanup
}
trap _conf_cleanup EXIT

# containers.conf: what the test needs here (no systemd), the runtime
# $1, and the README's [containers] table.
write_conf() {
	cat >"$CONF/containers.conf" <<EOF
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
runtime = "$1"

[containers]
seccomp_profile = "$CONF/nsbypass-seccomp.json"
EOF
	chown "$NB_USER:" "$CONF/containers.conf"
}

# Step 1: the unit's ExecStart, as systemd would run it.
exec_start=$(sed -n 's/^ExecStart=//p' "$UNIT")
rundir=$(sed -n 's/^RuntimeDirectory=//p' "$UNIT")
[ "$rundir" = nsbypass ] || nb_fail "$UNIT: RuntimeDirectory=$rundir, want nsbypass"
exec_start=${exec_start//%t/$XDG}
read -r -a argv <<<"$exec_start"
argv[0]=$NSBYPASS # the README: set ExecStart to your nsbypass
install -d -m 0700 -o "$NB_USER" "$XDG/nsbypass"
touch "$LOG"
chown "$NB_USER:" "$LOG"
start_bg oci as_user env XDG_RUNTIME_DIR="$XDG" "${argv[@]}" \
	--log-level info --log-file "$LOG" --pid-file "$PIDF"
for _ in $(seq 1 100); do [ -S "$SOCK" ] && [ -s "$PIDF" ] && break; sleep 0.1; done
[ -S "$SOCK" ] || nb_fail "the unit's ExecStart does not listen on $SOCK"
DPID=$(cat "$PIDF")

# Step 2: the profile, as the README writes it.
as_user env HOME="$UHOME" XDG_RUNTIME_DIR="$XDG" sh -c \
	'nsbypass=$1; "$nsbypass" profile --listener "$XDG_RUNTIME_DIR/nsbypass/oci.sock" \
		>~/.config/containers/nsbypass-seccomp.json' sh "$NSBYPASS" ||
	nb_fail "nsbypass profile as the README writes it failed"
grep -q "\"listenerPath\": *\"$SOCK\"" "$CONF/nsbypass-seccomp.json" ||
	nb_fail "the profile names no listenerPath $SOCK"

mkdir -p "$NB_TMP/www"
echo "token-$$" >"$NB_TMP/www/token.txt"
HTP=$(free_port)
start_http http4 "$H4" "$HTP" "$NB_TMP/www"
WGET="wget -q -O - http://$H4:$HTP/token.txt | grep -qx token-$$ && echo OK wget token-$$"

# Step 3 (runc first); podman's first run sets up its user namespace.
write_conf runc
t0=$SECONDS
nb_exec pm run --rm --network none --rootfs "$ROOTFS" true
[ "$NB_RC" -eq 0 ] || nb_fail "rootless podman with the containers.conf route cannot" \
	"run the busybox rootfs (exit $NB_RC): $NB_ERR"
echo "TIME: podman set-up took $((SECONDS - t0)) s"
PODMAN_MAJOR=$(pm --version | awk '{ split($3, v, "."); print v[1] + 0 }')

# A bridge network, if rootless bridges work here (CNI or netavark, and
# the rootless netns podman makes for them).
BRIDGE=
nb_exec pm network create --subnet 10.89.77.0/24 nbconf
if [ "$NB_RC" -ne 0 ]; then
	echo "SKIP: bridge network part: podman network create: $NB_ERR"
else
	nb_exec pm run --rm --network nbconf --security-opt seccomp=unconfined \
		--rootfs "$ROOTFS" true
	if [ "$NB_RC" -eq 0 ]; then
		BRIDGE=nbconf
	else
		echo "SKIP: bridge network part: a rootless container on a bridge" \
			"network does not start here:" \
			"$(grep -m1 '^Error' <<<"$NB_ERR" || tail -n 1 <<<"$NB_ERR")"
	fi
fi

# bypassed RUNTIME DESC PODMAN-RUN-OPTS...: "podman run --rm OPTS
# --rootfs ROOTFS sh -c WGET" prints "OK ..."; its agent switched it.
bypassed() {
	local rt=$1 desc=$2 mark st
	shift 2
	mark=$(wc -l <"$LOG")
	nb_expect_ok "$rt: $desc" pm run --rm "$@" --rootfs "$ROOTFS" sh -c "$WGET"
	st=$(oci_agent_stats "$mark")
	if grep -q "1 switched, 0 kept" <<<"$st"; then
		nb_pass "$rt: $desc: agent '$st'"
	else
		nb_error "$rt: $desc: agent stats '$st', want 1 switched, 0 kept"
	fi
}

# wait_page HOST PORT: the container's httpd answers there (10 s).
wait_page() {
	oci_wait_page "$1" "$2" "www-$$"
}

# publish_checks RUNTIME: -p alone, nsbypass.publish alone, and both on
# the same host port.
publish_checks() {
	local rt=$1 hp mark n line
	hp=$(free_port)
	nb_exec pm run -d --name "p-engine-$rt" -p "$H4:$hp:8080" \
		--rootfs "$ROOTFS" httpd -f -p 8080 -h /www
	[ "$NB_RC" -eq 0 ] || nb_error "$rt: podman run -p: exit $NB_RC: $NB_ERR"
	wait_page "$H4" "$hp" && nb_pass "$rt: -p $H4:$hp:8080 alone answers" ||
		nb_error "$rt: -p $H4:$hp:8080 alone does not answer"
	nb_exec pm rm -f -t 0 "p-engine-$rt"

	hp=$(free_port)
	mark=$(wc -l <"$LOG")
	nb_exec pm run -d --name "p-nsb-$rt" \
		--annotation "nsbypass.publish=$H4:$hp:8080" \
		--rootfs "$ROOTFS" httpd -f -p 8080 -h /www
	[ "$NB_RC" -eq 0 ] || nb_error "$rt: nsbypass.publish: exit $NB_RC: $NB_ERR"
	wait_page "$H4" "$hp" && nb_pass "$rt: nsbypass.publish=$H4:$hp:8080 alone answers" ||
		nb_error "$rt: nsbypass.publish=$H4:$hp:8080 alone does not answer"
	tail -n +"$((mark + 1))" "$LOG" | grep "published $H4:$hp:8080/tcp" >/dev/null ||
		nb_error "$rt: no agent published $H4:$hp:8080/tcp"
	nb_exec pm rm -f -t 0 "p-nsb-$rt"

	# Both: the engine's forwarder takes the host port before the
	# container runs; the container's bind() must fail, and say why.
	hp=$(free_port)
	mark=$(wc -l <"$LOG")
	nb_expect_fail "$rt: -p and nsbypass.publish on the same host port" \
		"[Aa]ddress (already )?in use" \
		pm run --rm -p "$H4:$hp:8080" \
		--annotation "nsbypass.publish=$H4:$hp:8080" \
		--rootfs "$ROOTFS" httpd -f -p 8080 -h /www
	oci_agent_stats "$mark" >/dev/null
	n=$(tail -n +"$((mark + 1))" "$LOG" | grep -c ": error: " || true)
	line=$(tail -n +"$((mark + 1))" "$LOG" | grep -m1 ": error: " || true)
	echo "the error line: $line"
	if [ "$n" -eq 1 ] && grep -q "$H4:$hp:8080/tcp" <<<"$line" &&
		grep -Eq "in use by [^ ]+ \(pid [0-9]+\)" <<<"$line" &&
		grep -q "drop the -p" <<<"$line"; then
		nb_pass "$rt: one clear error line in the agent's log"
	else
		nb_error "$rt: $n error lines, want 1 naming the port and the fix: '$line'"
	fi
	oci_wait_no_agents || nb_error "$rt: agents left after the publish checks"
}

# runtime_checks RUNTIME
runtime_checks() {
	local rt=$1 t0=$SECONDS
	write_conf "$rt"
	bypassed "$rt" "--network none" --network none
	bypassed "$rt" "--network slirp4netns" --network slirp4netns
	bypassed "$rt" "the default network" --name "default-$rt"
	if [ "$PODMAN_MAJOR" -ge 5 ]; then
		bypassed "$rt" "--network pasta" --network pasta
	else
		echo "note: $rt: --network pasta not checked: podman $(pm --version |
			awk '{print $3}') has no pasta network (\"network not found\")"
	fi
	[ -z "$BRIDGE" ] || bypassed "$rt" "--network $BRIDGE (bridge)" --network "$BRIDGE"
	publish_checks "$rt"
	echo "TIME: $rt checks took $((SECONDS - t0)) s"
}

runtime_checks runc
if pm_crun_usable; then
	runtime_checks crun
fi

oci_stop_daemon
if grep -E ": warn:" "$LOG"; then
	nb_error "warnings in the daemon's log"
fi
echo "TIME: test-podman-conf.sh took $SECONDS s"
nb_done
