#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# test-profile.sh - `nsbypass profile` and contrib/profiles/.
#
# The output, as data (python's json, profile-check below):
#   - it parses; listenerPath/listenerMetadata are the ones given;
#   - for podman's default capabilities, for none and for all of them, no
#     syscall is under two actions, except calls split by arguments
#     (setsockopt, socket, personality), whose rules must then all have
#     arguments;
#   - only connect, bind, listen (whole) and setsockopt (args 1 and 2) are
#     notified, and nothing else (never sendmsg, write, fcntl);
#   - with --base /usr/share/containers/seccomp.json, the base's rules are
#     all kept, minus the notified names, and its defaults too;
#   - bad options exit 2, a bad --base file exits 1, with one line each;
#   - contrib/profiles/nsbypass-example.json is what the binary prints for
#     its listenerPath (so it cannot go stale);
#   - contrib/systemd's units pass systemd-analyze --user verify (units
#     cannot run here: PID 1 is not systemd).
# Under rootless podman 4.3 with runc, then crun (a SKIP note with the
# reason when crun cannot run here), as NB_USER (--network none,
# busybox-static rootfs, as in test-podman-slirp4netns.sh):
#   - without a listener on listenerPath, the container does not start;
#   - with profile-listener.py there (answers CONTINUE to everything),
#     the state arrives with "fds":["seccompFd"], one seccomp fd and the
#     metadata; a shell does normal things (ls, date, files);
#   - setsockopt(SOL_SOCKET, SO_REUSEADDR) is notified; SO_PRIORITY,
#     IP_MULTICAST_TTL and UDP_CORK succeed unnotified; io_uring_setup
#     gets EPERM (the default action);
#   - --network slirp4netns: busybox wget reaches a server on 10.99.0.1
#     (its connect notified, continued, carried by slirp4netns);
#   - the profile made from --base /usr/share/containers/seccomp.json
#     runs too.
set -xeuo pipefail
. "$(dirname "$0")/common.sh"

PROFILE_PROBE=${PROFILE_PROBE:-$NB_REPO/build/tests/integration/profile-probe}
NB_CONTRIB=${NB_CONTRIB:-$NB_REPO/contrib}
CC_PROFILE=/usr/share/containers/seccomp.json
require_cmd python3
[ -x "$NSBYPASS" ] || nb_fail "binary $NSBYPASS not built"

# profile-check FILE LISTENER METADATA|- [BASE]: the checks on the data.
cat >"$NB_TMP/profile-check.py" <<'EOF'
import json, sys
path, listener, meta = sys.argv[1:4]
base = sys.argv[4] if len(sys.argv) > 4 else None
p = json.load(open(path))
notify = {"connect", "bind", "listen", "setsockopt"}
denied = {"io_uring_setup", "io_uring_enter", "io_uring_register"}
ours = notify | denied
split_ok = {"setsockopt", "socket", "personality"}
errs = []
if p.get("listenerPath") != listener:
    errs.append("listenerPath %r" % p.get("listenerPath"))
if meta == "-" and "listenerMetadata" in p:
    errs.append("unexpected listenerMetadata")
if meta != "-" and p.get("listenerMetadata") != meta:
    errs.append("listenerMetadata %r" % p.get("listenerMetadata"))
rules = p["syscalls"]
def names(r):
    return r.get("names") or ([r["name"]] if "name" in r else [])
def active(r, caps):
    inc, exc = r.get("includes") or {}, r.get("excludes") or {}
    if inc.get("arches") and "amd64" not in inc["arches"]:
        return False
    if inc.get("caps") and not set(inc["caps"]) <= caps:
        return False
    if exc.get("caps") and set(exc["caps"]) <= caps:
        return False
    return True
podman_caps = {"CAP_" + c for c in ("CHOWN DAC_OVERRIDE FOWNER FSETID KILL "
               "NET_BIND_SERVICE SETFCAP SETGID SETPCAP SETUID SYS_CHROOT").split()}
all_caps = set()
for r in rules:
    for k in ("includes", "excludes"):
        all_caps |= set((r.get(k) or {}).get("caps") or [])
notified = set()
for r in rules:
    if r["action"] == "SCMP_ACT_NOTIFY":
        notified |= set(names(r))
# socketcall (i386) is notified whole when the base allowed it whole.
if notified - {"socketcall"} != notify:
    errs.append("notified names %s" % sorted(notified))
for r in rules:
    for n in names(r):
        if n in ours and not (r.get("comment") or "").startswith("nsbypass: "):
            errs.append("%s in a rule that is not ours: %r" % (n, r))
        if n in notify - {"setsockopt"} and (r["action"] != "SCMP_ACT_NOTIFY" or r.get("args")):
            errs.append("%s: %r" % (n, r))
        if n in denied and (r["action"] != "SCMP_ACT_ERRNO" or r.get("errnoRet") != 38):
            errs.append("%s not ENOSYS: %r" % (n, r))
        if n == "setsockopt" and len(r.get("args") or []) == 0:
            errs.append("setsockopt rule without args: %r" % r)
        if n == "setsockopt":
            idx = sorted(a["index"] for a in r["args"])
            if idx not in ([1], [1, 2]):
                errs.append("setsockopt args on %s" % idx)
nsock = sum(1 for r in rules if r["action"] == "SCMP_ACT_NOTIFY" and "setsockopt" in names(r))
print("setsockopt notify rules:", nsock)
if not base:
    for caps in (podman_caps, set(), all_caps):
        seen = {}
        for r in rules:
            if not active(r, caps):
                continue
            for n in names(r):
                seen.setdefault(n, []).append(r)
        for n, rs in seen.items():
            acts = {r["action"] for r in rs}
            if len(rs) > 1 and (n not in split_ok or any(not r.get("args") for r in rs)):
                if len(acts) > 1 or n not in split_ok:
                    errs.append("%s under %d rules %s (caps %d)" % (n, len(rs), sorted(acts), len(caps)))
    if p.get("defaultAction") != "SCMP_ACT_ERRNO" or p.get("defaultErrnoRet") != 1:
        errs.append("default action")
    archs = {a["architecture"] for a in p.get("archMap", [])}
    if archs != {"SCMP_ARCH_X86_64", "SCMP_ARCH_AARCH64"}:
        errs.append("archMap %s" % archs)
    allowed = set()
    for r in rules:
        if r["action"] == "SCMP_ACT_ALLOW" and not r.get("args") and active(r, podman_caps):
            allowed |= set(names(r))
    for n in ("read", "write", "openat", "execve", "clone", "clone3", "mmap",
              "socket", "sendmsg", "recvmsg", "fcntl", "close", "exit_group",
              "arch_prctl", "chroot", "accept4", "getsockopt", "futex"):
        if n not in allowed and not (n == "socket"):
            errs.append("%s not allowed for podman's default caps" % n)
else:
    b = json.load(open(base))
    for k, v in b.items():
        if k not in ("syscalls", "listenerPath", "listenerMetadata") and p.get(k) != v:
            errs.append("base key %s changed" % k)
    want = []
    for r in b.get("syscalls") or []:
        r = dict(r)
        whole = r.get("action") == "SCMP_ACT_ALLOW" and not r.get("args")
        if "names" in r and r["names"]:
            r["names"] = [n for n in r["names"] if n not in ours and
                          not (n == "socketcall" and whole)]
            if not r["names"]:
                continue
        want.append(r)
    got = [r for r in rules if not (r.get("comment") or "").startswith("nsbypass: ")]
    if got != want:
        errs.append("the base's rules were not kept (%d vs %d)" % (len(got), len(want)))
for e in errs:
    print("ERROR", e)
sys.exit(1 if errs else 0)
EOF

# check_profile DESC FILE LISTENER META [BASE]
check_profile() {
	local desc=$1
	shift
	nb_exec python3 "$NB_TMP/profile-check.py" "$@"
	if [ "$NB_RC" -eq 0 ]; then
		nb_pass "$desc: $(nb_last_line "$NB_OUT")"
	else
		nb_error "$desc: $NB_OUT"
	fi
}

# expect_usage DESC STATUS CMD...: CMD exits STATUS with one line on
# stderr and nothing on stdout.
expect_usage() {
	local desc=$1 want=$2
	shift 2
	nb_exec "$@"
	if [ "$NB_RC" -eq "$want" ] && [ -z "$NB_OUT" ] &&
	   [ "$(printf '%s\n' "$NB_ERR" | wc -l)" -eq 1 ] && [ -n "$NB_ERR" ]; then
		nb_pass "$desc: exit $NB_RC: $NB_ERR"
	else
		nb_error "$desc: exit $NB_RC (want $want), stderr '$NB_ERR'"
	fi
}

LS=/run/user/1000/nsbypass/oci.sock
nb_exec "$NSBYPASS" profile --listener "$LS"
[ "$NB_RC" -eq 0 ] || nb_fail "nsbypass profile: exit $NB_RC: $NB_ERR"
printf '%s\n' "$NB_OUT" >"$NB_TMP/builtin.json"
check_profile "built-in profile" "$NB_TMP/builtin.json" "$LS" -
"$NSBYPASS" profile --listener "$LS" --metadata 'm e"ta' >"$NB_TMP/meta.json"
check_profile "--metadata" "$NB_TMP/meta.json" "$LS" 'm e"ta'
if [ -r "$CC_PROFILE" ]; then
	"$NSBYPASS" profile --listener "$LS" --base "$CC_PROFILE" >"$NB_TMP/cc.json"
	check_profile "--base $CC_PROFILE" "$NB_TMP/cc.json" "$LS" - "$CC_PROFILE"
	"$NSBYPASS" profile --listener /x --base "$NB_TMP/cc.json" >"$NB_TMP/cc2.json"
	check_profile "--base of our own output" "$NB_TMP/cc2.json" /x - "$CC_PROFILE"
else
	echo "note: no $CC_PROFILE, --base with the engine's profile not checked"
fi

expect_usage "relative --listener" 2 "$NSBYPASS" profile --listener run/x.sock
expect_usage "no --listener" 2 "$NSBYPASS" profile
expect_usage "--listener without a value" 2 "$NSBYPASS" profile --listener
expect_usage "--listener too long" 2 "$NSBYPASS" profile --listener "/$(printf 'a%.0s' $(seq 120))"
expect_usage "unknown option" 2 "$NSBYPASS" profile --listener /x --frob
expect_usage "stray argument" 2 "$NSBYPASS" profile --listener /x extra
expect_usage "--listener twice" 2 "$NSBYPASS" profile --listener /x --listener /y
expect_usage "--base missing" 1 "$NSBYPASS" profile --listener /x --base "$NB_TMP/nonexistent.json"
expect_usage "--base a directory" 1 "$NSBYPASS" profile --listener /x --base "$NB_TMP"
printf '{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [' >"$NB_TMP/trunc.json"
expect_usage "--base truncated JSON" 1 "$NSBYPASS" profile --listener /x --base "$NB_TMP/trunc.json"
printf '[1, 2]\n' >"$NB_TMP/array.json"
expect_usage "--base not an object" 1 "$NSBYPASS" profile --listener /x --base "$NB_TMP/array.json"
printf '{"syscalls": {"names": ["read"]}}\n' >"$NB_TMP/obj.json"
expect_usage "--base syscalls not an array" 1 "$NSBYPASS" profile --listener /x --base "$NB_TMP/obj.json"
nb_exec "$NSBYPASS" profile --help
if [ "$NB_RC" -eq 0 ] && grep -q -- "--listener PATH" <<<"$NB_OUT"; then
	nb_pass "profile --help"
else
	nb_error "profile --help: exit $NB_RC"
fi
nb_exec "$NSBYPASS" --help
grep -q "^  profile " <<<"$NB_OUT" || nb_error "nsbypass --help does not list profile"

# contrib's example profile is the binary's output for its listenerPath.
EX=$NB_CONTRIB/profiles/nsbypass-example.json
if [ -r "$EX" ]; then
	exl=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["listenerPath"])' "$EX")
	"$NSBYPASS" profile --listener "$exl" >"$NB_TMP/example.json"
	if cmp -s "$EX" "$NB_TMP/example.json"; then
		nb_pass "$EX is up to date"
	else
		nb_error "$EX is stale: regenerate it with 'nsbypass profile --listener $exl'"
		diff -u "$EX" "$NB_TMP/example.json" | head -n 40 || true
	fi
else
	nb_error "no $EX"
fi

# contrib's systemd user units, with ExecStart on the binary under test.
if command -v systemd-analyze >/dev/null; then
	mkdir -p "$NB_TMP/units" "$NB_TMP/xdg"
	chmod 700 "$NB_TMP/xdg"
	for u in "$NB_CONTRIB"/systemd/*.service.in; do
		u2=${u##*/}
		sed "s|@bindir@/nsbypass|$NSBYPASS|" "$u" >"$NB_TMP/units/${u2%.in}"
	done
	nb_exec env XDG_RUNTIME_DIR="$NB_TMP/xdg" systemd-analyze --user verify \
		"$NB_TMP"/units/*.service
	if [ "$NB_RC" -eq 0 ] && [ -z "$NB_ERR$NB_OUT" ]; then
		nb_pass "systemd-analyze --user verify: $(cd "$NB_TMP/units" && echo *)"
	else
		nb_error "systemd-analyze --user verify: exit $NB_RC: $NB_ERR $NB_OUT"
	fi
else
	echo "SKIP: contrib/systemd units not verified: no systemd-analyze"
fi

# --- rootless podman ------------------------------------------------------
[ "$NB_ERRORS" -eq 0 ] || nb_done
[ "$(id -u)" -eq 0 ] || nb_skip "podman part: needs root (test user, veth test host)"
command -v podman >/dev/null && command -v runc >/dev/null &&
	command -v busybox >/dev/null ||
	nb_skip "podman part: needs podman, runc and busybox (the data checks passed)"
[ -x "$PROFILE_PROBE" ] || nb_fail "$PROFILE_PROBE not built"
setup_rootless_test
setup_subids
require_cmd newuidmap newgidmap setpriv

H4=$NB_HOST4
. "$NB_ITEST_DIR/podman-env.sh"
podman_env_setup
install -m 0755 "$PROFILE_PROBE" "$ROOTFS/profile-probe"
install -m 0755 -o "$NB_USER" "$NB_ITEST_DIR/profile-listener.py" "$PD/profile-listener.py"
chmod 755 "$NB_TMP"
LSOCK=$XDG/nsbypass-test.sock
LLOG=$PD/listener.log
META="test-meta-$$"
as_user "$NSBYPASS" profile --listener "$LSOCK" --metadata "$META" >"$PD/profile.json"
as_user "$NSBYPASS" profile --listener "$LSOCK" --base "$CC_PROFILE" >"$PD/profile-cc.json" ||
	nb_error "--base $CC_PROFILE as $NB_USER failed"
chmod 644 "$PD"/profile*.json

# prun DESC CMD...: podman run --rm with the runtime RT and the options
# in SEC (network, profile); stdout's last line must be "OK ...".  Marks
# the listener log first.
prun() {
	local desc="$RT: $1"
	shift
	echo "MARK $desc" >>"$LLOG"
	nb_expect_ok "$desc" pm --runtime "$RT" run --rm "${SEC[@]}" \
		--rootfs "$ROOTFS" "$@"
}

# since_mark: the listener log since the last MARK.
since_mark() {
	tac "$LLOG" | sed '/^MARK /q' | tac
}

# logged ERE: did the listener log a line matching ERE since the last
# MARK?  (Not "since_mark | grep -q": with pipefail, grep's early exit
# would turn a match into a failure.)
logged() {
	local l
	l=$(since_mark)
	grep -Eq -- "$1" <<<"$l"
}

t0=$SECONDS
nb_exec pm run --rm --network none --rootfs "$ROOTFS" /bin/busybox true
[ "$NB_RC" -eq 0 ] || nb_fail "rootless podman cannot run the busybox rootfs" \
	"even without the profile (exit $NB_RC): $NB_ERR"
echo "TIME: podman set-up took $((SECONDS - t0)) s"

RTS=(runc)
if pm_crun_usable; then
	RTS+=(crun)
fi
# runc: "failed to connect with seccomp agent"; crun: "open seccomp
# receiver: connect socket to ...".
for RT in "${RTS[@]}"; do
	nb_expect_fail "$RT: no listener on listenerPath: the container does not start" \
		"seccomp (agent|receiver)" \
		pm --runtime "$RT" run --rm --network none \
		--security-opt "seccomp=$PD/profile.json" \
		--rootfs "$ROOTFS" sh -c 'echo OK started'
done

touch "$LLOG"
chown "$NB_USER:" "$LLOG"
start_bg listener setpriv --reuid="$NB_USER" --regid="$NB_USER" --init-groups \
	env -i HOME="$PD/home" "$NB_PYTHON" -u "$PD/profile-listener.py" "$LSOCK" "$LLOG"
for _ in $(seq 100); do
	grep -q '^LISTENING' "$LLOG" && break
	sleep 0.1
done
grep -q '^LISTENING' "$LLOG" || nb_fail "profile-listener.py did not start"

# profile_checks: the checks under the profiles with the runtime RT.
profile_checks() {
	SEC=(--network none --security-opt "seccomp=$PD/profile.json")
	prun "normal things under the profile" \
		sh -c 'ls /bin/busybox >/dev/null && date +%Y | grep -q "^2" &&
			echo hello >/tmp/f && [ "$(cat /tmp/f)" = hello ] &&
			ps >/dev/null && id -u | grep -qx 0 && echo OK normal'
	st=$(since_mark | grep -m 1 '^STATE' || true)
	if [ -z "$st" ]; then
		nb_error "$RT: the listener got no state"
	else
		echo "$st"
		for want in 'nfds=1 fdtypes=seccomp ' '"fds":["seccompFd"]' \
			    "\"metadata\":\"$META\"" '"status":"creating"' '"ociVersion":'; do
			if grep -qF -- "$want" <<<"$st"; then
				nb_pass "$RT: state: $want"
			else
				nb_error "$RT: state lacks $want"
			fi
		done
		grep -Eq '"pid":[1-9][0-9]*' <<<"$st" || nb_error "$RT: state has no pid"
	fi

	prun "setsockopt SO_REUSEADDR (notified pair)" \
		/profile-probe setsockopt tcp 1 2 1
	logged '^NOTIF nr=54 .* a1=1 a2=2 ' &&
		nb_pass "$RT: SO_REUSEADDR was notified" ||
		nb_error "$RT: SO_REUSEADDR was not notified: $(since_mark)"
	while read -r ty lv nm val desc; do
		prun "setsockopt $desc (not recorded: allowed)" \
			/profile-probe setsockopt "$ty" "$lv" "$nm" "$val"
		if logged "^NOTIF nr=54 .* a1=$lv a2=$nm "; then
			nb_error "$RT: $desc was notified"
		fi
	done <<'EOF2'
tcp 1 12 3 SO_PRIORITY
udp 0 33 5 IP_MULTICAST_TTL
udp 17 1 1 UDP_CORK
EOF2
	prun "io_uring_setup gets ENOSYS (nsbypass's rule, not the default EPERM)" /profile-probe io_uring
	nb_expect_last "io_uring_setup gets ENOSYS" "OK io_uring errno 38"

	if as_user sh -c ': <>/dev/net/tun' 2>/dev/null; then
		SEC=(--network slirp4netns --security-opt "seccomp=$PD/profile.json")
		prun "slirp4netns: wget from $H4 (connect notified, continued)" \
			sh -c "wget -q -O - http://$H4:$HTP/token.txt | grep -qx token-$$ && echo OK wget"
		logged '^NOTIF nr=42 ' &&
			nb_pass "$RT: wget's connect was notified" ||
			nb_error "$RT: wget's connect was not notified"
	else
		echo "note: $RT: /dev/net/tun not usable by $NB_USER: slirp4netns case not run"
	fi

	SEC=(--network none --security-opt "seccomp=$PD/profile-cc.json")
	prun "--base $CC_PROFILE: normal things" \
		sh -c 'ls / >/dev/null && date >/dev/null && echo OK base'
	logged '"fds":\["seccompFd"\]' ||
		nb_error "$RT: --base profile: the listener got no state"
	prun "--base $CC_PROFILE: SO_REUSEADDR" \
		/profile-probe setsockopt tcp 1 2 1
	logged '^NOTIF nr=54 .* a1=1 a2=2 ' ||
		nb_error "$RT: --base profile: SO_REUSEADDR was not notified"
	prun "--base $CC_PROFILE: io_uring gets its ENOSYS default" \
		/profile-probe io_uring
	nb_expect_last "--base $CC_PROFILE: io_uring gets its ENOSYS default" \
		"OK io_uring errno 38"
}

mkdir -p "$NB_TMP/www"
echo "token-$$" >"$NB_TMP/www/token.txt"
HTP=$(free_port)
start_http http4 "$H4" "$HTP" "$NB_TMP/www"
for RT in "${RTS[@]}"; do
	t0=$SECONDS
	profile_checks
	echo "TIME: $RT checks took $((SECONDS - t0)) s"
done

grep -q '^SEND-ERROR' "$LLOG" && echo "note: listener send errors (a target gone)"
echo "TIME: test-profile.sh took $SECONDS s"
nb_done
