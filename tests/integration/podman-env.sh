# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
#
# podman-env.sh - a private rootless podman for a test, sourced after
# common.sh.  podman_env_setup makes, in NB_TMP:
#   PD        HOME, --root, --runroot and containers.conf (runc, cgroupfs,
#             file events; PODMAN_CONF_EXTRA is appended to [engine])
#   XDG       a short XDG_RUNTIME_DIR (sun_path has 108 bytes)
#   ROOTFS    a busybox-static rootfs for --rootfs (no image, no pull)
# and defines pm (podman as NB_USER with that state, bounded in time),
# pm_crun_usable (0 if crun runs a container here, else a SKIP note) and
# an EXIT trap that removes the containers and podman's pause process
# before common.sh's cleanup.  The caller copies its own files into
# ROOTFS and PD, then chowns what it adds.

# pm ARGS...: podman ARGS as NB_USER, all state in PD, bounded in time.
pm() {
	runuser -u "$NB_USER" -- env -i -C / HOME="$PD/home" USER="$NB_USER" \
		LOGNAME="$NB_USER" XDG_RUNTIME_DIR="$XDG" \
		CONTAINERS_CONF="$PD/containers.conf" \
		PATH=/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin \
		LANG=C.UTF-8 timeout -k 5 "${PM_TIMEOUT:-40}" \
		podman --root "$PD/root" --runroot "$PD/runroot" \
		--storage-driver vfs "$@"
}

# pm_crun_usable: can crun run a container here (installed, and the
# hugetlb v1 cgroup tests/setup.sh mounts in a hybrid VM)?  If not, print
# a SKIP note with the reason and return 1.
pm_crun_usable() {
	if ! command -v crun >/dev/null; then
		echo "SKIP: crun part: crun is not installed"
		return 1
	fi
	if ! pm --runtime crun run --rm --network none --rootfs "$ROOTFS" true \
		>"$NB_TMP/crun.out" 2>&1; then
		echo "SKIP: crun part: crun cannot run a container here:" \
			"$(tail -n 2 "$NB_TMP/crun.out")"
		return 1
	fi
}

_pm_env_cleanup() {
	local rc=$? p
	set +e
	pm rm -a -f -t 0 >/dev/null 2>&1
	p=$(cat "$XDG/libpod/tmp/pause.pid" 2>/dev/null)
	[ -z "$p" ] || kill "$p" 2>/dev/null
	(exit "$rc")
	cleanup
}

podman_env_setup() {
	local a
	PD=$NB_TMP/podman
	XDG=$NB_TMP/r
	ROOTFS=$PD/rootfs
	mkdir -p "$PD/home" "$PD/root" "$PD/runroot" "$XDG" \
		"$ROOTFS/bin" "$ROOTFS/etc" "$ROOTFS/proc" "$ROOTFS/sys" \
		"$ROOTFS/dev" "$ROOTFS/tmp" "$ROOTFS/run"
	install -m 0755 "$(command -v busybox)" "$ROOTFS/bin/busybox"
	for a in $(busybox --list); do
		[ "$a" = busybox ] || ln -sf busybox "$ROOTFS/bin/$a"
	done
	cat >"$PD/containers.conf" <<EOF2
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
runtime = "runc"
${PODMAN_CONF_EXTRA:-}
EOF2
	chown -R "$NB_USER:" "$PD" "$XDG"
	chmod 700 "$XDG"
	trap _pm_env_cleanup EXIT
	# Killed (meson's timeout): still clean up.
	trap 'exit 143' TERM
	trap 'exit 130' INT
}
