# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
#
# setup.sh - machine setup shared by tests/run.sh and benchmarks/run.sh:
# Debian packages from list files, the machine fix-ups (nb_machine_fixups),
# and the meson build.  Sourced; every function returns non-zero on error.

nb_setup_log() { echo "${NB_SETUP_WHO:-setup}: $*"; }

# nb_packages FILE...: the package names of the list files.
nb_packages() {
	sed -e 's/#.*//' -e 's/[[:space:]]//g' "$@" | grep -v '^$' | sort -u
}

# nb_missing_packages FILE...: the packages of FILE... not installed.
nb_missing_packages() {
	local p status
	for p in $(nb_packages "$@"); do
		status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
		[ "$status" = "install ok installed" ] || echo "$p"
	done
}

# nb_install_packages FILE...: install what is missing (as root, with
# apt-get; idempotent).  Not root: name what is missing and fail.
nb_install_packages() {
	local missing
	if ! command -v dpkg-query >/dev/null 2>&1; then
		nb_setup_log "note: not a Debian system: install the" \
			"equivalents of $* yourself"
		return 0
	fi
	mapfile -t missing < <(nb_missing_packages "$@")
	if [ "${#missing[@]}" -eq 0 ]; then
		nb_setup_log "all $(nb_packages "$@" | wc -l) packages of $* are installed"
		return 0
	fi
	if [ "$(id -u)" -ne 0 ]; then
		nb_setup_log "missing packages: ${missing[*]}; as root run:" \
			"apt-get install --no-install-recommends ${missing[*]}"
		return 1
	fi
	nb_setup_log "installing missing packages: ${missing[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get update &&
		DEBIAN_FRONTEND=noninteractive apt-get install -y \
			--no-install-recommends "${missing[@]}"
}

# nb_machine_fixups: the quirks of this machine kind that rootless tap
# devices and crun need.  Only as root; a note otherwise.
nb_machine_fixups() {
	if [ "$(id -u)" -ne 0 ]; then
		nb_setup_log "note: not root: no machine fix-ups"
		return 0
	fi
	if [ -c /dev/net/tun ] && [ "$(stat -c %a /dev/net/tun)" = 600 ]; then
		chmod 0666 /dev/net/tun
		nb_setup_log "fix-up: /dev/net/tun was 0600, made it 0666" \
			"(the Debian default) so that rootless tap devices work"
	fi
	# crun refuses cgroups in hybrid mode (v1 controllers next to a v2
	# "unified" mount) unless hugetlb is mounted as v1 too.
	if [ -d /sys/fs/cgroup/unified ] &&
	   grep -q '^hugetlb[[:space:]]' /proc/cgroups &&
	   ! grep -q ' /sys/fs/cgroup/hugetlb cgroup ' /proc/mounts; then
		if mkdir -p /sys/fs/cgroup/hugetlb &&
		   mount -t cgroup -o hugetlb cgroup /sys/fs/cgroup/hugetlb; then
			nb_setup_log "fix-up: mounted the hugetlb v1 cgroup" \
				"(crun refuses hybrid cgroups without it)"
		else
			nb_setup_log "note: cannot mount the hugetlb v1 cgroup:" \
				"crun will not run containers here"
		fi
	fi
}

# nb_build DIR [MESON-OPTION...]: configure DIR (setup, or reconfigure
# with the options) and build it.
nb_build() {
	local dir=$1
	shift
	if [ -f "$dir/meson-private/coredata.dat" ]; then
		nb_setup_log "meson configure $dir $*"
		meson configure "$dir" "$@" ||
			meson setup --reconfigure "$dir" "$@" || return 1
	else
		nb_setup_log "meson setup $dir $*"
		meson setup "$dir" "$@" || return 1
	fi
	ninja -C "$dir"
}

# nb_user_preflight USER: as root, before any test or benchmark: create
# USER if missing (useradd -m) and check that it can run a program staged
# in ${NB_TMPDIR:-/tmp}, where the suite and the benchmarks put everything
# the unprivileged side runs (the checkout itself may be out of its reach:
# /root is 0700 on Debian).  Fails with one line naming the folder and
# what to do; notes when the checkout is out of USER's reach.
nb_user_preflight() {
	local user=$1 dir=${NB_TMPDIR:-/tmp} t rc=0
	[ "$(id -u)" -eq 0 ] || return 0
	if ! id -u "$user" >/dev/null 2>&1; then
		useradd -m -s /bin/sh "$user" || {
			nb_setup_log "cannot create the test user $user (useradd -m)"
			return 1
		}
	fi
	t=$(mktemp -d "$dir/nbpreflight.XXXXXX") || {
		nb_setup_log "cannot make a folder in $dir: set NB_TMPDIR to a" \
			"writable folder that $user can enter"
		return 1
	}
	chmod 0755 "$t" && install -m 0755 "$(type -P true)" "$t/true" &&
		runuser -u "$user" -- "$t/true" 2>/dev/null || rc=$?
	rm -rf "$t"
	if [ "$rc" -ne 0 ]; then
		nb_setup_log "the test user $user cannot run programs in $dir" \
			"(a folder above it is not searchable, or it is mounted" \
			"noexec): set NB_TMPDIR to a folder it can enter and run from"
		return 1
	fi
	if ! runuser -u "$user" -- test -r "$PWD/README.md" 2>/dev/null; then
		nb_setup_log "note: $user cannot read this checkout ($PWD):" \
			"what it runs is staged in $dir"
	fi
}
