#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# test-connect-bypass.sh - TCP and connected UDP from a rootless
# "nsbypass run --net=none" reach servers on the test host addresses,
# IPv4 and IPv6, for several kinds of client: sockprobe (blocking and
# non-blocking), a static binary, curl, busybox wget and python.  Each
# kind also runs in a plain "unshare -r -n" as the negative control, where
# it must fail: only the bypass can have carried the traffic.
set -xeuo pipefail
# shellcheck source=tests/integration/common.sh
. "$(dirname "$0")/common.sh"

require_root
require_cmd curl ss timeout
setup_testhost
setup_user
H4=$NB_HOST4
H6=$NB_HOST6

P4=$(free_port)
P6=$(free_port)
PH4=$(free_port)
PH6=$(free_port)
start_echo echo4 "$H4" "$P4"
start_echo echo6 "$H6" "$P6"

mkdir -p "$NB_TMP/www"
body="nsbypass-test-body-$RANDOM-$RANDOM-$$"
printf '%s\n' "$body" >"$NB_TMP/www/hello.txt"
chmod -R a+rX "$NB_TMP/www"
start_http http4 "$H4" "$PH4" "$NB_TMP/www"
start_http http6 "$H6" "$PH6" "$NB_TMP/www"
url4="http://$H4:$PH4/hello.txt"
url6="http://[$H6]:$PH6/hello.txt"
CURL=(curl -sS -g --noproxy '*' --connect-timeout 10 --max-time 20)

# A python client: non-blocking connect, select() for writability,
# SO_ERROR, then an echo round trip; O_NONBLOCK must still be set.
PYCLIENT='
import errno, fcntl, os, select, socket, sys
host, port = sys.argv[1], int(sys.argv[2])
fam = socket.AF_INET6 if ":" in host else socket.AF_INET
s = socket.socket(fam, socket.SOCK_STREAM)
s.setblocking(False)
err = s.connect_ex((host, port))
if err not in (0, errno.EINPROGRESS):
    print("FAIL connect_ex:", errno.errorcode.get(err, err)); sys.exit(1)
_, w, _ = select.select([], [s], [], 10)
if not w:
    print("FAIL connect: select timeout"); sys.exit(1)
err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
if err:
    print("FAIL SO_ERROR:", errno.errorcode.get(err, err)); sys.exit(1)
if not fcntl.fcntl(s.fileno(), fcntl.F_GETFL) & os.O_NONBLOCK:
    print("FAIL O_NONBLOCK cleared"); sys.exit(1)
msg = b"hello-from-python\n"
s.send(msg)
got = b""
while len(got) < len(msg):
    r, _, _ = select.select([s], [], [], 10)
    if not r:
        print("FAIL recv: select timeout"); sys.exit(1)
    d = s.recv(100)
    if not d:
        break
    got += d
if got != msg:
    print("FAIL echo mismatch:", got); sys.exit(1)
print("OK python-nonblock peer=%s" % (s.getpeername(),))
'

# check_body DESC: NB_RC 0 and NB_OUT is exactly the served file.
check_body() {
	if [ "$NB_RC" -ne 0 ]; then
		nb_error "$1: exit status $NB_RC"
	elif [ "$NB_OUT" != "$body" ]; then
		nb_error "$1: body '$NB_OUT', want '$body'"
	else
		nb_pass "$1: body matches"
	fi
}

# busybox 1.35 (Debian 12) wget segfaults with -T; the runs are bounded
# by timeout anyway.
have_busybox_wget=0
if command -v busybox >/dev/null && grep -qx wget <<<"$(busybox --list 2>/dev/null)"; then
	have_busybox_wget=1
fi

### Negative controls: a plain rootless netns has no route anywhere.
unreach='ENETUNREACH|EADDRNOTAVAIL'
nb_expect_fail "isolated sockprobe tcp-echo v4" "$unreach" \
	nb_isolated "$SOCKPROBE" tcp-echo "$H4" "$P4"
nb_expect_fail "isolated sockprobe tcp-echo v6" "$unreach" \
	nb_isolated "$SOCKPROBE" tcp-echo "$H6" "$P6"
nb_expect_fail "isolated sockprobe udp-echo v4" "$unreach" \
	nb_isolated "$SOCKPROBE" udp-echo "$H4" "$P4"
nb_expect_fail "isolated sockprobe udp-echo v6" "$unreach" \
	nb_isolated "$SOCKPROBE" udp-echo "$H6" "$P6"
nb_expect_fail "isolated sockprobe tcp-nonblock v4" "$unreach" \
	nb_isolated "$SOCKPROBE" tcp-nonblock "$H4" "$P4"
nb_expect_fail "isolated sockprobe-static tcp-echo v4" "$unreach" \
	nb_isolated "$SOCKPROBE_STATIC" tcp-echo "$H4" "$P4"
nb_expect_fail "isolated curl v4" "Failed to connect" nb_isolated "${CURL[@]}" "$url4"
nb_expect_fail "isolated curl v6" "Failed to connect" nb_isolated "${CURL[@]}" "$url6"
nb_expect_fail "isolated python non-blocking client" "$unreach" \
	nb_isolated python3 -c "$PYCLIENT" "$H4" "$P4"
if [ "$have_busybox_wget" -eq 1 ]; then
	nb_expect_fail "isolated busybox wget" "unreachable" \
		nb_isolated busybox wget -q -O - "$url4"
fi

### The same clients under nsbypass reach the test host.
nb_expect_ok "bypass sockprobe tcp-echo v4" \
	nb_bypass --net=none -- "$SOCKPROBE" tcp-echo "$H4" "$P4"
nb_expect_last "tcp-echo v4 peer" "OK $H4:$P4"
nb_expect_ok "bypass sockprobe tcp-echo v6" \
	nb_bypass --net=none -- "$SOCKPROBE" tcp-echo "$H6" "$P6"
nb_expect_last "tcp-echo v6 peer" "OK [$H6]:$P6"
nb_expect_ok "bypass sockprobe udp-echo v4" \
	nb_bypass --net=none -- "$SOCKPROBE" udp-echo "$H4" "$P4"
nb_expect_last "udp-echo v4 peer" "OK $H4:$P4"
nb_expect_ok "bypass sockprobe udp-echo v6" \
	nb_bypass --net=none -- "$SOCKPROBE" udp-echo "$H6" "$P6"
nb_expect_last "udp-echo v6 peer" "OK [$H6]:$P6"
nb_expect_ok "bypass sockprobe tcp-nonblock v4" \
	nb_bypass --net=none -- "$SOCKPROBE" tcp-nonblock "$H4" "$P4"
nb_expect_ok "bypass sockprobe tcp-nonblock v6" \
	nb_bypass --net=none -- "$SOCKPROBE" tcp-nonblock "$H6" "$P6"
nb_expect_ok "bypass sockprobe-static tcp-echo v4" \
	nb_bypass --net=none -- "$SOCKPROBE_STATIC" tcp-echo "$H4" "$P4"
nb_expect_last "static tcp-echo v4 peer" "OK $H4:$P4"
nb_expect_ok "bypass sockprobe-static tcp-echo v6" \
	nb_bypass --net=none -- "$SOCKPROBE_STATIC" tcp-echo "$H6" "$P6"
nb_expect_ok "bypass python non-blocking client v4" \
	nb_bypass --net=none -- python3 -c "$PYCLIENT" "$H4" "$P4"
nb_expect_ok "bypass python non-blocking client v6" \
	nb_bypass --net=none -- python3 -c "$PYCLIENT" "$H6" "$P6"

nb_exec nb_bypass --net=none -- "${CURL[@]}" "$url4"
check_body "bypass curl v4"
nb_exec nb_bypass --net=none -- "${CURL[@]}" "$url6"
check_body "bypass curl v6"

if [ "$have_busybox_wget" -eq 1 ]; then
	nb_exec nb_bypass --net=none -- busybox wget -q -O - "$url4"
	check_body "bypass busybox wget (static client)"
else
	echo "note: busybox with wget is missing, skipping that check"
fi

nb_done
