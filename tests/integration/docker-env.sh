# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
#
# docker-env.sh - a private rootless Docker (dockerd-rootless.sh:
# rootlesskit, slirp4netns, runc) for a test or a benchmark, sourced after
# common.sh.  docker_env_setup SCRIPT makes, in NB_TMP:
#   DD        its HOME, --data-root and a busybox-static rootfs (DK_ROOTFS)
#   DK_XDG    its XDG_RUNTIME_DIR (docker.sock lives there)
# and defines as_docker_user, dk (the client, bounded in time),
# start_dockerd [DOCKERD-OPTION...], stop_dockerd and docker_import_rootfs.
# The caller's EXIT trap calls stop_dockerd.

# docker_rootless_script: print the path of dockerd-rootless.sh, or fail.
docker_rootless_script() {
	local f
	for f in /usr/share/docker.io/contrib/dockerd-rootless.sh \
		 "$(command -v dockerd-rootless.sh || true)"; do
		[ -n "$f" ] && [ -x "$f" ] && { echo "$f"; return 0; }
	done
	return 1
}

# as_docker_user CMD...: CMD as NB_USER with rootless Docker's environment
# (with DOCKER_EXEC=1: in place of the calling (sub)shell).
as_docker_user() {
	${DOCKER_EXEC:+exec} setpriv --reuid="$NB_USER" --regid="$NB_USER" --init-groups \
		env -i -C / HOME="$DD/home" USER="$NB_USER" LOGNAME="$NB_USER" \
		XDG_RUNTIME_DIR="$DK_XDG" DOCKER_HOST="unix://$DK_XDG/docker.sock" \
		PATH=/usr/share/docker.io/contrib:/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin \
		LANG=C.UTF-8 "$@"
}

# dk ARGS...: the docker client as NB_USER, bounded in time.
dk() {
	as_docker_user timeout -k 5 "${DK_TIMEOUT:-60}" docker "$@"
}

DOCKERD_PID=
# start_dockerd [DOCKERD-OPTION...]: rootless dockerd, ready within 30 s;
# its output in NB_TMP/dockerd.log.
start_dockerd() {
	: >"$NB_TMP/dockerd.log"
	# The subshell execs setpriv, which execs env, which execs the
	# script, which execs rootlesskit: DOCKERD_PID is rootlesskit's.
	(DOCKER_EXEC=1 as_docker_user "$DOCKER_ROOTLESS_SH" --data-root "$DD/data" \
		--exec-opt native.cgroupdriver=cgroupfs "$@" \
		>"$NB_TMP/dockerd.log" 2>&1 </dev/null) &
	DOCKERD_PID=$!
	for _ in $(seq 1 300); do
		as_docker_user docker version >/dev/null 2>&1 && return 0
		kill -0 "$DOCKERD_PID" 2>/dev/null || break
		sleep 0.1
	done
	tail -n 30 "$NB_TMP/dockerd.log"
	return 1
}

# docker_descendants PID: every descendant of PID.
docker_descendants() {
	local c
	for c in $(pgrep -P "$1"); do
		echo "$c"
		docker_descendants "$c"
	done
}

# stop_dockerd: remove every container, stop dockerd, and with it
# rootlesskit, containerd and slirp4netns (bounded).  rootlesskit does
# not pass SIGTERM on: dockerd gets it, and the rest ends with it.
stop_dockerd() {
	local ids p left
	[ -n "$DOCKERD_PID" ] || return 0
	ids=$(dk ps -aq 2>/dev/null || true)
	# shellcheck disable=SC2086 # a list of ids
	[ -z "$ids" ] || dk rm -f $ids >/dev/null 2>&1 || true
	for p in $(docker_descendants "$DOCKERD_PID"); do
		[ "$(cat "/proc/$p/comm" 2>/dev/null)" != dockerd ] || kill "$p"
	done
	for _ in $(seq 1 100); do
		kill -0 "$DOCKERD_PID" 2>/dev/null || break
		sleep 0.1
	done
	left=$(docker_descendants "$DOCKERD_PID")
	if kill -0 "$DOCKERD_PID" 2>/dev/null; then
		echo "stop_dockerd: rootlesskit $DOCKERD_PID still runs 10 s after dockerd's SIGTERM: killed"
		# shellcheck disable=SC2086 # a list of pids
		kill -9 "$DOCKERD_PID" $left 2>/dev/null
	fi
	wait "$DOCKERD_PID" 2>/dev/null || true
	DOCKERD_PID=
}

# docker_import_rootfs NAME: ROOTFS as the image NAME (no registry here).
docker_import_rootfs() {
	as_docker_user sh -c 'tar -C "$1" -c . | docker import - "$2"' sh \
		"$DK_ROOTFS" "$1" >/dev/null
}

# docker_env_setup SCRIPT: the folders, with SCRIPT as dockerd-rootless.sh.
docker_env_setup() {
	local a
	DOCKER_ROOTLESS_SH=$1
	DD=$NB_TMP/docker
	DK_XDG=$NB_TMP/x
	DK_ROOTFS=$DD/rootfs
	mkdir -p "$DD/home" "$DD/data" "$DK_XDG" "$DK_ROOTFS/bin" "$DK_ROOTFS/etc" \
		"$DK_ROOTFS/proc" "$DK_ROOTFS/sys" "$DK_ROOTFS/dev" "$DK_ROOTFS/tmp"
	install -m 0755 "$(command -v busybox)" "$DK_ROOTFS/bin/busybox"
	for a in $(busybox --list); do
		[ "$a" = busybox ] || ln -sf busybox "$DK_ROOTFS/bin/$a"
	done
	touch "$NB_TMP/dockerd.log"
	chown -R "$NB_USER:" "$DD" "$DK_XDG" "$NB_TMP/dockerd.log"
	chmod 700 "$DK_XDG"
}
