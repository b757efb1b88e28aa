#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# test-install.sh - `meson install` gives a working tree.
#
#   1. The build under test, installed into a DESTDIR: nsbypass in bindir
#      runs, nsbypass-nsagent and the slirp4netns link are in
#      LIBEXECDIR/nsbypass (the link points at the installed nsbypass, and
#      no slirp4netns lands in bindir), the man page names the installed
#      paths, the bash completion registers itself, the systemd
#      user units start the installed nsbypass and pass systemd-analyze
#      verify, and nothing is installed outside the prefix.
#   2. A second build of the same source with --prefix in NB_TMP, installed
#      there for real (no DESTDIR: the compiled-in libexecdir is where the
#      files are): run as the test user, the installed nsbypass finds the
#      installed nsbypass-nsagent (its debug line names the path), bypasses
#      a connect, and that nsagent reports a subnet added inside; the
#      installed slirp4netns link is the slirp4netns mode.
set -xeuo pipefail
# shellcheck source=tests/integration/common.sh
. "$(dirname "$0")/common.sh"

require_root
require_cmd meson ninja python3 ip
BUILD=${NB_BUILD_ROOT:-$NB_REPO/build}
SRC=${NB_SOURCE_ROOT:-$NB_REPO}
[ -f "$BUILD/build.ninja" ] || nb_fail "no meson build in $BUILD (set NB_BUILD_ROOT)"
# Only what is installed may be found: no override of the nsagent lookup.
unset NSBYPASS_NSAGENT

# opt DIR NAME: the value of meson option NAME in the build DIR.
opt() {
	meson introspect --buildoptions "$1" | python3 -c '
import json, sys
print(next(o["value"] for o in json.load(sys.stdin) if o["name"] == sys.argv[1]))' "$2"
}
prefix=$(opt "$BUILD" prefix)
bindir=$prefix/$(opt "$BUILD" bindir)
pkglibexecdir=$prefix/$(opt "$BUILD" libexecdir)/nsbypass
mandir=$prefix/$(opt "$BUILD" mandir)

# --- 1. DESTDIR -------------------------------------------------------------
D=$NB_TMP/destdir
nb_exec meson install -C "$BUILD" --no-rebuild --quiet --destdir "$D"
[ "$NB_RC" -eq 0 ] || nb_fail "meson install --destdir: exit $NB_RC: $NB_ERR"
find "$D" \( -type f -o -type l \) -printf '%P\n' | sort

# expect_file DESC TEST PATH: `test TEST PATH` holds.
expect_file() {
	if test "$2" "$3"; then
		nb_pass "$1: $3"
	else
		nb_error "$1: not there ($2): $3"
	fi
}
expect_file "nsbypass in bindir" -x "$D$bindir/nsbypass"
expect_file "nsbypass-nsagent in libexecdir/nsbypass" -x "$D$pkglibexecdir/nsbypass-nsagent"
expect_file "the slirp4netns link in libexecdir/nsbypass" -L "$D$pkglibexecdir/slirp4netns"
expect_file "nsbypass(1)" -f "$D$mandir/man1/nsbypass.1"
if [ -e "$D$bindir/slirp4netns" ] || [ -e "$D$bindir/nsbypass-nsagent" ]; then
	nb_error "slirp4netns or nsbypass-nsagent installed in bindir (on PATH)"
fi
link=$(readlink "$D$pkglibexecdir/slirp4netns" || true)
if [ "$link" = "$bindir/nsbypass" ]; then
	nb_pass "slirp4netns -> $link"
else
	nb_error "slirp4netns -> '$link', want $bindir/nsbypass"
fi
outside=$(find "$D" \( -type f -o -type l \) ! -path "$D$prefix/*")
[ -z "$outside" ] || nb_error "installed outside the prefix $prefix: $outside"

nb_exec "$D$bindir/nsbypass" --version
if [ "$NB_RC" -eq 0 ] && grep -q "^nsbypass [0-9]" <<<"$NB_OUT"; then
	nb_pass "installed nsbypass --version: $(head -n1 <<<"$NB_OUT")"
else
	nb_error "installed nsbypass --version: exit $NB_RC: $NB_OUT $NB_ERR"
fi

# The man page names the installed libexecdir (roff writes "-" as "\-";
# the doc suite formats the page).  Not `sed | grep -q`: grep -q leaves at
# the first match, sed then dies of SIGPIPE, and pipefail fails the check
# (it did, once, in CI).
if sed 's/\\-/-/g' "$D$mandir/man1/nsbypass.1" |
	grep -F "$pkglibexecdir/nsbypass-nsagent" >/dev/null; then
	nb_pass "nsbypass.1 names $pkglibexecdir/nsbypass-nsagent"
else
	nb_error "nsbypass.1 does not name $pkglibexecdir/nsbypass-nsagent"
fi

# The bash completion, wherever bash-completion.pc put it.
comp=$(find "$D$prefix" -path '*/bash-completion/completions/nsbypass')
if [ -z "$comp" ]; then
	nb_error "no bash-completion/completions/nsbypass under $D$prefix"
else
	# shellcheck disable=SC2016 # $1 is the inner shell's
	nb_exec bash -c '. "$1" && complete -p nsbypass' sh "$comp"
	if [ "$NB_OUT" = "complete -F _nsbypass nsbypass" ]; then
		nb_pass "installed completion ${comp#"$D"}: $NB_OUT"
	else
		nb_error "installed completion: exit $NB_RC: '$NB_OUT' $NB_ERR"
	fi
fi

# The units: ExecStart is the installed nsbypass; systemd accepts them
# (pointed at the DESTDIR copy, which is what exists here).
units=$(find "$D" -name 'nsbypass-*.service' | sort)
[ "$(wc -w <<<"$units")" -eq 2 ] || nb_error "want 2 units, got: $units"
mkdir -p "$NB_TMP/units" "$NB_TMP/xdg"
chmod 700 "$NB_TMP/xdg"
for u in $units; do
	case "$u" in
	"$D$prefix"/lib/systemd/user/*) ;;
	*) nb_error "unit $u is not in PREFIX/lib/systemd/user" ;;
	esac
	exe=$(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' "$u")
	if [ "$exe" = "$bindir/nsbypass" ]; then
		nb_pass "${u##*/}: ExecStart=$exe"
	else
		nb_error "${u##*/}: ExecStart=$exe, want $bindir/nsbypass"
	fi
	sed "s|^ExecStart=$bindir/|ExecStart=$D$bindir/|" "$u" >"$NB_TMP/units/${u##*/}"
done
if command -v systemd-analyze >/dev/null; then
	nb_exec env XDG_RUNTIME_DIR="$NB_TMP/xdg" systemd-analyze --user verify \
		"$NB_TMP"/units/*.service
	if [ "$NB_RC" -eq 0 ] && [ -z "$NB_ERR$NB_OUT" ]; then
		nb_pass "systemd-analyze --user verify of the installed units"
	else
		nb_error "systemd-analyze --user verify: exit $NB_RC: $NB_ERR $NB_OUT"
	fi
else
	echo "note: no systemd-analyze: the installed units are not verified"
fi

# --- 2. a real install into a prefix, run by the test user -----------------
setup_testhost
setup_user
P=$NB_TMP/prefix
nb_exec meson setup "$NB_TMP/build" "$SRC" --prefix="$P" -Dtests=false \
	-Dbenchmarks=false -Dbuildtype=plain
[ "$NB_RC" -eq 0 ] || nb_fail "meson setup --prefix=$P: exit $NB_RC: $NB_ERR"
nb_exec ninja -C "$NB_TMP/build"
[ "$NB_RC" -eq 0 ] || nb_fail "building the --prefix=$P tree: $(tail -n 20 <<<"$NB_OUT")"
nb_exec meson install -C "$NB_TMP/build" --no-rebuild --quiet
[ "$NB_RC" -eq 0 ] || nb_fail "meson install into $P: exit $NB_RC: $NB_ERR"
chmod -R a+rX "$P"
PLX=$P/$(opt "$NB_TMP/build" libexecdir)/nsbypass
[ -x "$PLX/nsbypass-nsagent" ] || nb_fail "no $PLX/nsbypass-nsagent after meson install"

H4=$NB_HOST4
EP=$(free_port)
start_echo echo4 "$H4" "$EP"

nb_expect_ok "installed nsbypass run --net=none bypasses a connect" \
	as_user timeout -k 5 "$NB_CMD_TIMEOUT" "$P/bin/nsbypass" run --net=none \
	--log-level=debug -- "$SOCKPROBE" tcp-echo "$H4" "$EP"
if grep -qF "nsbypass-nsagent: $PLX/nsbypass-nsagent (installed)" <<<"$NB_ERR"; then
	nb_pass "the installed nsbypass-nsagent was used: $PLX/nsbypass-nsagent"
else
	nb_error "no debug line naming $PLX/nsbypass-nsagent (installed): $(grep -i nsagent <<<"$NB_ERR" | head -n 3)"
fi

# The installed nsagent reports a subnet added inside (test-subnets.sh's
# check): the connect to it then stays inside, and is refused.
# shellcheck disable=SC2016 # $1..$3 are the inner shell's
script='
set -e
ip addr add 10.99.0.77/24 dev lo
sleep 0.5
"$1" tcp-refused "$2" "$3"
'
nb_expect_ok "installed nsbypass-nsagent reports a subnet added inside" \
	as_user timeout -k 5 "$NB_CMD_TIMEOUT" "$P/bin/nsbypass" run --net=none \
	-- sh -c "$script" sh "$SOCKPROBE" "$H4" "$EP"

# The default network (slirp) needs nsbypass-nsagent for its tap.
if [ -c /dev/net/tun ] && as_user sh -c ': <>/dev/net/tun' 2>/dev/null; then
	nb_exec as_user timeout -k 5 "$NB_CMD_TIMEOUT" "$P/bin/nsbypass" run \
		-- sh -c 'ip -o addr show dev tap0'
	if [ "$NB_RC" -eq 0 ] && grep -q '10\.0\.2\.100/24' <<<"$NB_OUT"; then
		nb_pass "installed nsbypass run (slirp): tap0 has 10.0.2.100/24"
	else
		nb_error "installed nsbypass run (slirp): exit $NB_RC: $NB_OUT $NB_ERR"
	fi
else
	echo "note: /dev/net/tun not usable by $NB_USER: the slirp run is not tested"
fi

nb_exec as_user "$PLX/slirp4netns" --version
if [ "$NB_RC" -eq 0 ] && grep -q '^slirp4netns version .*+nsbypass' <<<"$NB_OUT"; then
	nb_pass "installed $PLX/slirp4netns is the slirp4netns mode"
else
	nb_error "$PLX/slirp4netns --version: exit $NB_RC: $NB_OUT $NB_ERR"
fi
nb_done
