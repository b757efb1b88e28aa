#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# release-root.sh - run the suite, or any command, in a root of a newer
# Debian release (trixie = 13, forky = testing) on this machine's kernel:
# the release tier.  As root:
#
#   tests/release-root.sh RELEASE [-- MESON-TEST-ARGS...]
#   tests/release-root.sh RELEASE --run CMD...
#   tests/release-root.sh RELEASE --prepare
#
# The first form copies this checkout into the root and runs tests/run.sh
# there (packages, -Dwerror build, every test); the second runs CMD in the
# root with a copy of the checkout at /src/nsbypass; the third only makes
# the root.  The root is made once with debootstrap
# (--variant=minbase) from the mirror this machine's apt uses, and kept in
# ${NB_RELEASE_ROOTS:-/var/cache/nsbypass/roots}/RELEASE; the packages of
# tests/packages.txt and tests/release-packages.txt are installed in it.
#
# It is entered as the root of a new mount namespace with pivot_root, not
# with chroot: a chrooted process may not create user namespaces, and the
# rootless engines need them.  The network namespace, /sys and /dev are
# this machine's, so the veth test host is reachable from inside.
#
# Exit status: that of the suite or CMD; 3 if the root cannot be made or
# updated (no mirror for RELEASE, debootstrap or apt failed), with one line
# saying why; 2 for bad arguments.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

die() { echo "release-root.sh: $*" >&2; exit "${2:-3}"; }
log() { echo "release-root.sh: $*"; }
usage() { sed -n '4,28p' "$0" | sed 's/^# \{0,1\}//'; }

[ $# -ge 1 ] || { usage >&2; exit 2; }
case $1 in
trixie | 13) release=trixie ;;
forky | testing) release=forky ;;
-h | --help) usage; exit 0 ;;
*) die "unknown release '$1' (trixie or forky)" 2 ;;
esac
shift
action=suite
args=()
while [ $# -gt 0 ]; do
	case $1 in
	--run) shift; [ $# -ge 1 ] || die "--run wants a command" 2
		action=run; args=("$@"); break ;;
	--prepare) action=prepare ;;
	--) shift; args=("$@"); break ;;
	*) die "unknown option '$1' (see --help)" 2 ;;
	esac
	shift
done
[ "$(id -u)" -eq 0 ] || die "run as root (debootstrap, mount namespaces)" 2

roots=${NB_RELEASE_ROOTS:-/var/cache/nsbypass/roots}
# What the copy inside is (it has no .git): benchmarks/run.sh prints it.
NB_DESCRIBE=$(git -C "$repo" describe --always --dirty 2>/dev/null || echo '?')
export NB_DESCRIBE
root=$roots/$release
lock=$roots/.$release.lock

# mirror: the Debian archive this machine's apt uses (deb822 .sources or a
# one-line sources.list), so that the root comes from the same place.
mirror() {
	local f
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -e "$f" ] || continue
		awk '/^URIs:/ { u = $2 }
		     /^Suites:/ && u ~ /\/debian\/?$/ { print u; exit }' "$f"
	done | head -n 1 | grep . && return 0
	cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
		awk '$1 == "deb" && $2 ~ /\/debian\/?$/ { print $2; exit }
		     $1 == "deb" && $2 ~ /^\[/ && $3 ~ /\/debian\/?$/ { print $3; exit }' |
		grep .
}

# in_root CMD...: CMD as root of a new mount namespace whose / is the
# release root (pivot_root), with proc, this machine's /sys and /dev, and
# fresh tmpfs on /tmp and /run.
in_root() {
	unshare --mount --propagation private -- /bin/bash -euc '
		root=$1; shift
		mount --bind "$root" "$root"
		cd "$root"
		mkdir -p .old
		pivot_root . .old
		cd /
		mount -t proc proc /proc
		mount --rbind /.old/sys /sys
		mount --rbind /.old/dev /dev
		mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /tmp
		mount -t tmpfs -o mode=0755,nosuid,nodev tmpfs /run
		umount -l /.old
		exec env -i HOME=/root LANG=C.UTF-8 TERM="${TERM:-dumb}" \
			PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
			CI="${CI:-}" NB_RELEASE_TIER=off NB_FUZZ=off NB_DESCRIBE="$NB_DESCRIBE" "$@"
	' in-root "$root" "$@"
}

# make_root: debootstrap RELEASE into a new folder, configure apt, and put
# it in place; nothing half-made is ever used.
make_root() {
	local m new=$root.new script=()
	m=$(mirror) || die "cannot tell which Debian mirror this machine's apt uses"
	command -v debootstrap >/dev/null ||
		die "debootstrap is missing (apt-get install debootstrap)"
	# Debian 12's debootstrap has no script named forky: sid's fits.
	[ -e "/usr/share/debootstrap/scripts/$release" ] ||
		script=(/usr/share/debootstrap/scripts/sid)
	rm -rf "$new"
	log "debootstrap $release from the machine's mirror (about 2 minutes)"
	debootstrap --variant=minbase \
		--include=ca-certificates,git,python3,iproute2,procps,util-linux,passwd,uidmap,tar \
		"$release" "$new" "$m" "${script[@]}" >"$roots/$release.debootstrap.log" 2>&1 ||
		die "debootstrap $release failed: see $roots/$release.debootstrap.log"
	# The testing release's Release file on the mirror may have expired.
	echo 'Acquire::Check-Valid-Until "false";' >"$new/etc/apt/apt.conf.d/99nsbypass-no-valid-until"
	echo 'APT::Install-Recommends "false";' >"$new/etc/apt/apt.conf.d/99nsbypass-no-recommends"
	printf 'deb %s %s main\n' "$m" "$release" >"$new/etc/apt/sources.list"
	mv "$new" "$root"
}

# update_root: install the packages of the lists that the root lacks.
update_root() {
	local lists=(tests/packages.txt tests/release-packages.txt) want have
	want=$(sed -e 's/#.*//' -e 's/[[:space:]]//g' "${lists[@]}" | grep -v '^$' | sort -u | tr '\n' ' ')
	cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
	have=$(cat "$root/.nsbypass-packages" 2>/dev/null || true)
	[ "$have" = "$want" ] && return 0
	log "installing the packages of ${lists[*]} in the $release root"
	# shellcheck disable=SC2086 # a list of package names
	in_root /bin/sh -c 'apt-get -q update >/dev/null &&
		DEBIAN_FRONTEND=noninteractive apt-get -q -y install "$@" >/var/log/nsbypass-apt.log 2>&1 ||
		{ tail -n 20 /var/log/nsbypass-apt.log; exit 1; }
		apt-get clean' sh $want ||
		die "apt-get install failed in the $release root (see $root/var/log/nsbypass-apt.log)"
	printf '%s' "$want" >"$root/.nsbypass-packages"
}

# copy_checkout: this checkout's files (tracked and untracked, not
# ignored) at /src/nsbypass in the root, replacing what was there.
copy_checkout() {
	local dst=$root/src/nsbypass
	rm -rf "$dst"
	mkdir -p "$dst"
	if git -C "$repo" rev-parse --git-dir >/dev/null 2>&1; then
		git -C "$repo" ls-files -z --cached --others --exclude-standard |
			tar -C "$repo" --null --no-recursion --ignore-failed-read -T - -cf - |
			tar -C "$dst" -xf -
	else
		tar -C "$repo" --exclude='./build*' --exclude=./bench-out -cf - . |
			tar -C "$dst" -xf -
	fi
}

mkdir -p "$roots"
exec {lockfd}>>"$lock"
flock -w 1800 "$lockfd" || die "another release-root.sh holds $lock"
[ -d "$root/usr" ] || make_root
update_root
case $action in
prepare) log "the $release root is ready: $root"; exit 0 ;;
run)
	copy_checkout
	in_root /bin/sh -c 'cd /src/nsbypass && exec "$@"' sh "${args[@]}"
	;;
suite)
	copy_checkout
	log "$release root: $(in_root /bin/sh -c '. /etc/os-release; echo "$PRETTY_NAME"'), suite from /src/nsbypass"
	in_root /bin/sh -c 'cd /src/nsbypass && exec bash tests/run.sh -- "$@"' \
		sh "${args[@]}"
	;;
esac
