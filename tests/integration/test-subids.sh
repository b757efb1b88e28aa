#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# test-subids.sh - nsbypass run maps the user's subordinate ids
# (/etc/subuid, /etc/subgid) through newuidmap/newgidmap, as rootless
# podman does, so that ids other than root work inside; --single-id and
# a user without ranges keep the single mapping.
#
#   (a) uid_map and gid_map show the user's uid/gid at 0 and its ranges
#       from 1 on; setgroups is allowed
#   (b) nginx with its built-in `user nobody` (no user directive), and
#       with Debian's nginx.conf's `user www-data;`, serves a published
#       page to the host; its workers run as that user (a subordinate
#       uid outside).  Negative control: under --single-id the same
#       nginx cannot start (chown/initgroups fail)
#   (c) a client run as nobody inside (setpriv --reuid 65534) is switched
#       by the agent like any other, and a process left behind as nobody
#       is killed at the end
#   (d) --single-id: the single mapping, setgroups denied
#   (e) a user without ranges: the single mapping, one info line, and the
#       bypass works
#   (f) a newuidmap that fails: one error line and exit status 1, as
#       podman fails (docs/design.md section 1.1)
# The ranges of NB_USER are setup_subids's, shared with the rootlesskit
# and podman tests that may run beside this one: they stay.
set -xeuo pipefail
. "$(dirname "$0")/common.sh"

setup_rootless_test
setup_subids
require_cmd newuidmap newgidmap setpriv curl nginx pgrep
_nb_tmp
H4=$NB_HOST4
NB_UID=$(id -u "$NB_USER")
NB_GID=$(id -g "$NB_USER")

# range FILE: "START COUNT" of NB_USER's first range in FILE.
range() {
	awk -F: -v u="$NB_USER" -v i="$NB_UID" \
		'($1 == u || $1 == i) && NF == 3 { print $2, $3; exit }' "$1"
}
SUBUID='' NSUBUID='' SUBGID='' NSUBGID=''
read -r SUBUID NSUBUID < <(range /etc/subuid) || true
read -r SUBGID NSUBGID < <(range /etc/subgid) || true
if [ -z "$NSUBUID" ] || [ -z "$NSUBGID" ]; then
	nb_fail "no ranges for $NB_USER after setup_subids"
fi
# nobody (65534) inside is this uid outside.
NOBODY_OUT=$((SUBUID + 65534 - 1))
[ "$NSUBUID" -gt 65534 ] || nb_skip "the range of $NB_USER ($NSUBUID ids) does not reach nobody"

# maps DESC WANT_UID WANT_GID WANT_SETGROUPS ARGS...: the maps that
# `nsbypass run ARGS... -- cat ...` shows (columns squeezed).
maps() {
	local desc=$1 want="uid $2 gid $3 setgroups $4"
	shift 4
	# shellcheck disable=SC2016 # expanded inside
	nb_exec nb_bypass --net=none "$@" -- sh -c \
		'echo uid $(cat /proc/self/uid_map) gid $(cat /proc/self/gid_map) setgroups $(cat /proc/self/setgroups)'
	if [ "$NB_RC" -eq 0 ] && [ "$(nb_last_line "$NB_OUT")" = "$want" ]; then
		nb_pass "$desc: $want"
	else
		nb_error "$desc: exit $NB_RC, got '$(nb_last_line "$NB_OUT")', want '$want'"
	fi
}

# (a)
maps "(a) the subordinate ranges are mapped" \
	"0 $NB_UID 1 1 $SUBUID $NSUBUID" "0 $NB_GID 1 1 $SUBGID $NSUBGID" allow
nb_expect_ok "(a) setpriv to nobody and initgroups-like --clear-groups" \
	nb_bypass --net=none -- sh -c \
	'setpriv --reuid 65534 --regid 65534 --clear-groups id -u | sed "s/^/OK uid /"'
nb_expect_last "(a) nobody inside" "OK uid 65534"

# (d)
maps "(d) --single-id" "0 $NB_UID 1" "0 $NB_GID 1" deny --single-id

# (c) a client as nobody, switched to a host socket (--net=none: no other
# way out); the agent's counters are on its info line at the end.
WWW=$NB_TMP/www
mkdir -p "$WWW"
echo "token-$$" >"$WWW/token.txt"
HTP=$(free_port)
start_http http "$H4" "$HTP" "$WWW"
nb_exec nb_bypass --net=none --log-level=info -- setpriv --reuid 65534 \
	--regid 65534 --clear-groups curl -sS "http://$H4:$HTP/token.txt"
if [ "$NB_RC" -eq 0 ] && [ "$NB_OUT" = "token-$$" ] &&
	grep -q "agent: 1 switched, 0 kept" <<<"$NB_ERR"; then
	nb_pass "(c) curl as nobody inside is switched"
else
	nb_error "(c) curl as nobody: exit $NB_RC, '$NB_OUT', want token-$$ and 1 switched"
fi
# setuid() without exec, as nginx's workers do, leaves the process
# non-dumpable (fs.suid_dumpable 0): the agent inspects it all the same,
# for it has CAP_SYS_PTRACE in the namespace the process's memory belongs
# to (docs/design.md section 7).
nb_expect_ok "(c) a non-dumpable process as nobody is switched" \
	nb_bypass --net=none --log-level=info -- python3 -c '
import ctypes, os, socket, sys
os.setgroups([]); os.setgid(65534); os.setuid(65534)
dumpable = ctypes.CDLL(None).prctl(3, 0, 0, 0, 0)  # PR_GET_DUMPABLE
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5)
s.sendall(b"GET /token.txt HTTP/1.0\r\n\r\n")
data = b""
while chunk := s.recv(4096):
    data += chunk
print("OK uid %d dumpable %d %s" % (os.getuid(), dumpable, data.split()[-1].decode()))
' "$H4" "$HTP"
nb_expect_last "(c) non-dumpable nobody" "OK uid 65534 dumpable 0 token-$$"
[ "$NB_OK" = 0 ] || grep -q "agent: 1 switched, 0 kept" <<<"$NB_ERR" ||
	nb_error "(c) the non-dumpable nobody's connect was not switched"
# Left behind as nobody (a subordinate uid outside): killed all the same.
nb_exec nb_bypass --net=none -- sh -c \
	'setpriv --reuid 65534 --regid 65534 --clear-groups sleep 31337 & sleep 0.3'
sleep 0.3
if pgrep -u "$NOBODY_OUT" -f 'sleep 31337' >/dev/null; then
	pkill -9 -u "$NOBODY_OUT" -f 'sleep 31337' || true
	nb_error "(c) a process left behind as nobody was not killed"
else
	nb_pass "(c) a process left behind as nobody is killed"
fi

# (b) nginx; its prefix belongs to the user (root inside).
# nginx_conf DIR PORT USERLINE: a config that differs from a default one
# only in its paths (all in DIR) and its port.
nginx_conf() {
	local dir=$1
	install -d -o "$NB_USER" "$dir" "$dir/html" "$dir/tmp"
	echo "nginx-$$" >"$dir/html/index.html"
	cat >"$dir/nginx.conf" <<EOC
$3
worker_processes 2;
pid $dir/nginx.pid;
error_log stderr info;
events {
}
http {
	access_log off;
	client_body_temp_path $dir/tmp/body;
	proxy_temp_path $dir/tmp/proxy;
	fastcgi_temp_path $dir/tmp/fastcgi;
	uwsgi_temp_path $dir/tmp/uwsgi;
	scgi_temp_path $dir/tmp/scgi;
	server {
		listen $2;
		root $dir/html;
	}
}
EOC
	chown -R "$NB_USER" "$dir"
}

# nginx_check NAME USERLINE WANT_UID_INSIDE
nginx_check() {
	local name=$1 dir=$NB_TMP/nginx-$1 hp pid _i got uids want
	want=$((SUBUID + $3 - 1))
	hp=$(free_port)
	nginx_conf "$dir" 80 "$2"
	start_bg "nginx-$name" as_user timeout -k 5 "$NB_CMD_TIMEOUT" \
		"$NSBYPASS" run -p "$H4:$hp:80" -- nginx -p "$dir/" \
		-c "$dir/nginx.conf" -e stderr -g 'daemon off;'
	wait_for_port "$H4" "$hp" tcp
	got=$(curl -sS --max-time 10 "http://$H4:$hp/" || true)
	if [ "$got" = "nginx-$$" ]; then
		nb_pass "(b) nginx ($name) serves the published page"
	else
		nb_error "(b) nginx ($name): got '$got', want nginx-$$"
	fi
	pid=
	for _i in $(seq 1 50); do
		pid=$(cat "$dir/nginx.pid" 2>/dev/null || true)
		[ -n "$pid" ] && break
		sleep 0.1
	done
	uids=$(ps -o uid= --ppid "${pid:-1}" | sort -u | tr -d ' ' | paste -sd,)
	if [ -n "$pid" ] && [ "$uids" = "$want" ]; then
		nb_pass "(b) nginx ($name): workers run as uid $3 inside, $want outside"
	else
		nb_error "(b) nginx ($name): workers' uids outside '$uids', want $want"
	fi
	kill "$NB_LAST_PID" 2>/dev/null || true
	[ -z "$pid" ] || kill "$pid" 2>/dev/null || true
}
# nginx's default with no user directive: nobody (65534).
nginx_check nobody "" 65534
# Debian's nginx.conf's own line.
WWWDATA=$(sed -n 's/^user \([a-z_-]*\);$/\1/p' /etc/nginx/nginx.conf 2>/dev/null | head -n 1)
if [ -n "$WWWDATA" ] && id -u "$WWWDATA" >/dev/null 2>&1; then
	nginx_check "$WWWDATA" "user $WWWDATA;" "$(id -u "$WWWDATA")"
else
	echo "note: no 'user' line in /etc/nginx/nginx.conf: the package's default user skipped"
fi
# Negative control: one uid only, nginx cannot hand anything to nobody.
nginx_conf "$NB_TMP/nginx-single" 80 ""
nb_expect_fail "(b) --single-id: nginx cannot start workers as nobody" \
	"chown\(.*failed|initgroups\(.*failed|setgid\(.*failed" \
	nb_bypass --single-id -- nginx -p "$NB_TMP/nginx-single/" \
	-c "$NB_TMP/nginx-single/nginx.conf" -e stderr -g 'daemon off;'

# (e) a user without ranges: a system user (useradd gives those none).
# Removed at the end if made here.
NOSUB=nbnosub
NOSUB_MADE=
_nb_nosub_create() {
	id -u "$NOSUB" >/dev/null 2>&1 && return 0
	useradd -r -M -d / -s /usr/sbin/nologin "$NOSUB" && NOSUB_MADE=1
}
cleanup_subids() {
	local rc=$?
	[ -z "$NOSUB_MADE" ] || userdel "$NOSUB" 2>/dev/null || true
	(exit "$rc")
	cleanup
}
trap cleanup_subids EXIT
_nb_locked _nb_nosub_create || nb_fail "cannot create user $NOSUB"
NOSUB_UID=$(id -u "$NOSUB")
if grep -Eq "^($NOSUB|$NOSUB_UID):" /etc/subuid /etc/subgid; then
	nb_error "(e) $NOSUB has subordinate ids: cannot test the fallback"
else
	NB_USER=$NOSUB nb_exec nb_bypass --net=none --log-level=info -- sh -c \
		"echo \$(cat /proc/self/uid_map); curl -sS http://$H4:$HTP/token.txt"
	if [ "$NB_RC" -eq 0 ] && [ "$NB_OUT" = "0 $NOSUB_UID 1"$'\n'"token-$$" ] &&
		grep -q "info: no subordinate ids for $NOSUB/$NOSUB_UID in /etc/subuid and /etc/subgid: mapping only uid $NOSUB_UID" <<<"$NB_ERR" &&
		grep -q "agent: 1 switched, 0 kept" <<<"$NB_ERR"; then
		nb_pass "(e) no ranges: single mapping, the info line, bypassed"
	else
		nb_error "(e) no ranges: exit $NB_RC, out '$NB_OUT'"
	fi
fi

# (f) a newuidmap that fails (first in PATH): the run fails, clearly.
FAKE=$NB_TMP/fake-bin
install -d -m 0755 "$FAKE"
printf '#!/bin/sh\necho "newuidmap: fake failure" >&2\nexit 1\n' >"$FAKE/newuidmap"
chmod 0755 "$FAKE/newuidmap"
nb_exec as_user env PATH="$FAKE:/usr/bin:/bin:/usr/sbin:/sbin" \
	timeout -k 5 "$NB_CMD_TIMEOUT" "$NSBYPASS" run --net=none -- echo ran
if [ "$NB_RC" -eq 1 ] && [ -z "$NB_OUT" ] &&
	grep -q "error: $FAKE/newuidmap failed (exit status 1) to map the subordinate ids of /etc/subuid: fix the range, or run with --single-id" <<<"$NB_ERR"; then
	nb_pass "(f) a failing newuidmap: exit 1 and one error line"
else
	nb_error "(f) a failing newuidmap: exit $NB_RC, out '$NB_OUT'"
fi
nb_expect_ok "(f) --single-id does without newuidmap" as_user env \
	PATH="$FAKE:/usr/bin:/bin:/usr/sbin:/sbin" timeout -k 5 \
	"$NB_CMD_TIMEOUT" "$NSBYPASS" run --net=none --single-id -- echo OK ran

nb_done
