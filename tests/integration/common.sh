# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
#
# common.sh - helpers sourced by every integration test script.
#
# A test script starts with "set -xeuo pipefail", sources this file and
# then calls the setup helpers it needs:
#
#   require_root, require_cmd NAME...   skip (exit 77) when unmet
#   setup_testhost                      veth nbh0/nbh1 with the test "host"
#                                       addresses NB_HOST4 and NB_HOST6
#   setup_user                          user NB_USER for the rootless runs,
#                                       and binaries that user can execute
#   setup_subids                        subuid/subgid ranges for NB_USER
#   setup_rootless_test                 all of the above, the usual start
#   start_bg NAME CMD...                background server, killed on exit
#   start_test_echo                     echo servers on NB_HOST4/NB_HOST6,
#                                       port NB_ECHO_PORT
#   wait_for_port HOST PORT [tcp|udp]   bounded wait until it listens
#   free_port                           a random free TCP+UDP port
#   as_user CMD...                      run CMD as NB_USER with a clean env
#                                       (in netns NB_AS_USER_NETNS if set)
#   nb_bypass ARGS...                   as_user nsbypass run ARGS...
#   nb_isolated CMD...                  as_user unshare -r -n CMD (the
#                                       negative control: no network)
#
# Checks do not stop the script: nb_expect_* record a failure with
# nb_error and the script ends with nb_done, which exits 1 if anything
# failed.  nb_fail stops at once; nb_skip exits 77.  Servers listen only
# on the test host addresses or on loopback, never anywhere else.

NB_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
NB_ITEST_DIR="$NB_REPO/tests/integration"
NSBYPASS=${NSBYPASS:-$NB_REPO/build/src/nsbypass}
SOCKPROBE=${SOCKPROBE:-$NB_REPO/build/tests/sockprobe}
SOCKPROBE_STATIC=${SOCKPROBE_STATIC:-$NB_REPO/build/tests/sockprobe-static}
NB_LOCK=/run/nsbypass-test.lock
NB_USER=${NB_USER:-nbtest}
NB_CMD_TIMEOUT=${NB_CMD_TIMEOUT:-90}
NB_ERRORS=0
NB_FAILS=()
NB_PIDS=()
NB_LAST_PID=
NB_TMP=
NB_RC=0
NB_OUT=
NB_ERR=
NB_SEQ=0
NB_OK=0
NB_LAST=
export NSBYPASS SOCKPROBE SOCKPROBE_STATIC NB_USER

# Servers run as root with the distribution's python, not a pyenv shim
# that only root can reach.
if [ -x /usr/bin/python3 ]; then
	NB_PYTHON=/usr/bin/python3
else
	NB_PYTHON=$(command -v python3 || echo python3)
fi

# nb_skip REASON: report the skip reason and exit 77.
nb_skip() {
	set +x
	echo "SKIP: $*"
	exit 77
}

# nb_fail REASON: report a failure and exit 1 at once.
nb_fail() {
	set +x
	echo "FAIL: $*"
	exit 1
}

# nb_error REASON: record a failed check and go on with the next one.
nb_error() {
	NB_ERRORS=$((NB_ERRORS + 1))
	NB_FAILS+=("$*")
	echo "FAIL: $*"
}

# nb_pass DESC: log a passed check.
nb_pass() {
	echo "PASS: $*"
}

# nb_done: end the script: exit 1 if any check failed, else 0.
nb_done() {
	set +x
	if [ "$NB_ERRORS" -ne 0 ]; then
		echo "FAIL: $NB_ERRORS check(s) failed in $(basename "$0")"
		exit 1
	fi
	echo "PASS: all checks of $(basename "$0")"
	exit 0
}

require_root() {
	[ "$(id -u)" -eq 0 ] || nb_skip "needs root (veth test host, test user)"
}

# require_cmd NAME...: skip unless every NAME is in PATH.
require_cmd() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || nb_skip "missing command: $c"
	done
}

# _nb_locked CMD...: run CMD while holding the global test lock.
_nb_locked() {
	local fd rc=0
	exec {fd}>>"$NB_LOCK"
	flock -w 60 "$fd" || nb_fail "cannot lock $NB_LOCK"
	"$@" || rc=$?
	exec {fd}>&-
	return "$rc"
}

_nb_testhost_create() {
	if ! ip link show dev nbh0 >/dev/null 2>&1; then
		ip link add nbh0 type veth peer name nbh1 || return 1
	fi
	if ! grep -q ' 10\.99\.0\.1/24 ' <<<"$(ip -4 -o addr show dev nbh0)"; then
		ip addr add 10.99.0.1/24 dev nbh0 || return 1
	fi
	if [ -e /proc/sys/net/ipv6/conf/nbh0/disable_ipv6 ]; then
		echo 0 >/proc/sys/net/ipv6/conf/nbh0/disable_ipv6 || true
	fi
	if ! grep -q ' fd99::1/64 ' <<<"$(ip -6 -o addr show dev nbh0)"; then
		ip addr add fd99::1/64 dev nbh0 nodad || return 1
	fi
	ip link set nbh1 up && ip link set nbh0 up
}

# setup_testhost: veth pair nbh0/nbh1 in the host netns, 10.99.0.1/24 and
# fd99::1/64 on nbh0, both up.  Idempotent and safe to run in parallel.
setup_testhost() {
	require_root
	require_cmd ip flock
	_nb_locked _nb_testhost_create || nb_fail "cannot set up veth nbh0/nbh1"
	NB_HOST4=10.99.0.1
	NB_HOST6=fd99::1
	export NB_HOST4 NB_HOST6
}

_nb_user_create() {
	id -u "$NB_USER" >/dev/null 2>&1 && return 0
	useradd -m -s /bin/sh "$NB_USER"
}

# as_user CMD...: run CMD as NB_USER with a sane, minimal environment.
# runuser resets the environment, so the sanitizer options (and an
# NSBYPASS_NSAGENT override) are passed explicitly.
as_user() {
	local home v extra=()
	home=$(getent passwd "$NB_USER" | cut -d: -f6)
	for v in ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS NSBYPASS_NSAGENT; do
		[ -z "${!v:-}" ] || extra+=("$v=${!v}")
	done
	(
		cd / && exec ${NB_AS_USER_NETNS:+ip netns exec "$NB_AS_USER_NETNS"} \
			runuser -u "$NB_USER" -- env -i \
			HOME="${home:-/}" USER="$NB_USER" LOGNAME="$NB_USER" \
			PATH=/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin \
			LANG=C.UTF-8 TMPDIR=/tmp ${extra[@]+"${extra[@]}"} \
			"$@"
	)
}

# nb_stage SRC [NAME]: print the path of a copy of SRC that NB_USER can
# read (and, if SRC is executable, run), in NB_TMP/stage.  Everything the
# test user runs goes through here: the checkout may sit in a folder only
# root can enter (/root is 0700 on Debian), so nothing the user touches may
# be named by its path in the checkout.  Copies once per script.
nb_stage() {
	local src=$1 name=${2:-${1##*/}} dst
	_nb_tmp
	dst=$NB_TMP/stage/$name
	if [ -e "$dst" ]; then
		cmp -s "$src" "$dst" ||
			nb_fail "nb_stage: $dst is staged already, from another file than $src"
	else
		[ -e "$src" ] || nb_fail "nb_stage: no such file: $src"
		install -d -m 0755 "$NB_TMP/stage" || nb_fail "cannot make $NB_TMP/stage"
		if [ -x "$src" ]; then
			install -m 0755 "$src" "$dst"
		else
			install -m 0644 "$src" "$dst"
		fi || nb_fail "cannot stage $src"
	fi
	printf '%s\n' "$dst"
}

# nb_stage_vars VAR...: replace the path in each variable VAR by its
# staged copy (see nb_stage); an empty variable stays empty.
nb_stage_vars() {
	local v staged
	for v in "$@"; do
		[ -n "${!v:-}" ] || continue
		staged=$(nb_stage "${!v}") || exit 1
		printf -v "$v" '%s' "$staged"
	done
}

# _nb_stage_nsbypass: stage NSBYPASS with what it finds next to itself
# (nsbypass-nsagent) and the slirp4netns name for it, and SOCKPROBE(_STATIC).
_nb_stage_nsbypass() {
	local b dir
	dir=$(dirname "$NSBYPASS")
	for b in "$dir/nsbypass-nsagent" "$dir/../nsagent/nsbypass-nsagent"; do
		if [ -x "$b" ]; then
			nb_stage "$b" nsbypass-nsagent >/dev/null
			break
		fi
	done
	nb_stage_vars NSBYPASS SOCKPROBE SOCKPROBE_STATIC
	ln -sfn nsbypass "$NB_TMP/stage/slirp4netns"
	NB_STAGED_SLIRP4NETNS=$NB_TMP/stage/slirp4netns
	export NSBYPASS SOCKPROBE SOCKPROBE_STATIC
}

# setup_user: create NB_USER (with a subuid range) and stage NSBYPASS,
# SOCKPROBE and SOCKPROBE_STATIC where that user can run them (nb_stage).
# Stops with one line naming the folder if the user cannot run programs
# there (NB_TMPDIR sets it; /tmp by default).
setup_user() {
	require_root
	require_cmd runuser useradd unshare install
	_nb_locked _nb_user_create || nb_fail "cannot create user $NB_USER"
	export NB_USER
	_nb_tmp
	local b
	for b in "$NSBYPASS" "$SOCKPROBE" "$SOCKPROBE_STATIC"; do
		[ -x "$b" ] || nb_fail "binary $b not built"
	done
	_nb_stage_nsbypass
	as_user "$NSBYPASS" --version >/dev/null ||
		nb_fail "$NB_USER cannot run $NSBYPASS: ${NB_TMPDIR:-/tmp} must be" \
			"searchable by $NB_USER and not mounted noexec (set NB_TMPDIR)"
	# Unprivileged user namespaces must work, or nothing here can.
	as_user unshare -r -n true ||
		nb_skip "unprivileged user+net namespaces do not work here"
}

_nb_subids_add() {
	local uid f start end
	uid=$(id -u "$NB_USER")
	for f in /etc/subuid /etc/subgid; do
		[ -e "$f" ] || { touch "$f" && chmod 644 "$f"; } || return 1
		grep -Eq "^($NB_USER|$uid):[0-9]+:[0-9]+\$" "$f" && continue
		# After every range handed out so far, at 100000 at the least.
		start=$(awk -F: 'BEGIN { m = 100000 }
			NF >= 3 && $2 + $3 > m { m = $2 + $3 } END { print m }' "$f")
		end=$((start + 65535))
		if [ "$f" = /etc/subuid ]; then
			usermod --add-subuids "$start-$end" "$NB_USER" || return 1
		else
			usermod --add-subgids "$start-$end" "$NB_USER" || return 1
		fi
		echo "setup_subids: gave $NB_USER the range $start-$end in $f"
	done
}

# setup_subids: NB_USER (see setup_user) has a subordinate uid and gid
# range (/etc/subuid, /etc/subgid), as rootlesskit and rootless podman
# need for newuidmap/newgidmap.  useradd -m gives one; a user made
# otherwise may lack it.  Idempotent and safe to run in parallel.
setup_subids() {
	require_root
	require_cmd usermod awk
	_nb_locked _nb_subids_add || nb_fail "cannot give $NB_USER subuid/subgid ranges"
}

# setup_rootless_test: what almost every test needs first: root, ss and
# timeout, the veth test host and the test user.
setup_rootless_test() {
	require_root
	require_cmd ss timeout
	setup_testhost
	setup_user
}

# require_tun WHAT: SKIP unless NB_USER can open /dev/net/tun read-write,
# as a rootless tap needs (WHAT names what needs it, for the reason).
require_tun() {
	[ -c /dev/net/tun ] || nb_skip "no /dev/net/tun: $1 needs a tap device"
	as_user sh -c ': <>/dev/net/tun' 2>/dev/null ||
		nb_skip "/dev/net/tun is not usable by $NB_USER (tests/run.sh's fix-up makes it 0666)"
}

# nb_bypass ARGS...: as NB_USER, "nsbypass run ARGS...", bounded in time.
nb_bypass() {
	as_user timeout -k 5 "$NB_CMD_TIMEOUT" "$NSBYPASS" run "$@"
}

# nb_isolated CMD...: as NB_USER, CMD in a fresh rootless netns with only
# a down lo: the negative control, which has no way out.
nb_isolated() {
	as_user timeout -k 5 "$NB_CMD_TIMEOUT" unshare -r -n "$@"
}

# _nb_tmp: create NB_TMP (world-readable, removed by cleanup) once.
_nb_tmp() {
	if [ -z "$NB_TMP" ]; then
		NB_TMP=$(mktemp -d "${NB_TMPDIR:-/tmp}/nbtest.XXXXXX")
		chmod 755 "$NB_TMP"
	fi
}

# free_port: print a random port in 20000-60000 that is free for TCP and
# UDP on every address and not handed out before by this script.  Ports
# below the ephemeral range are preferred so that an outgoing connection
# cannot take one after we picked it.
free_port() {
	local lo=20000 hi=60000 eph p _i used="$NB_TMP/ports.used"
	eph=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 0)
	if [ "$eph" -gt $((lo + 1000)) ] && [ "$eph" -le "$hi" ]; then
		hi=$((eph - 1))
	fi
	touch "$used"
	for _i in $(seq 1 200); do
		p=$((lo + (RANDOM * 32768 + RANDOM) % (hi - lo + 1)))
		grep -qx "$p" "$used" && continue
		if [ -z "$(ss -Htuan "( sport = :$p )" 2>/dev/null)" ]; then
			echo "$p" >>"$used"
			echo "$p"
			return 0
		fi
	done
	nb_fail "no free port found"
}

# start_bg NAME CMD...: start a background server with its output in
# $NB_TMP/NAME.log; cleanup kills it.
start_bg() {
	local name=$1
	shift
	_nb_tmp
	"$@" >"$NB_TMP/$name.log" 2>&1 </dev/null &
	NB_LAST_PID=$!
	NB_PIDS+=("$NB_LAST_PID")
	eval "NB_PID_${name//[^A-Za-z0-9_]/_}=$NB_LAST_PID"
	echo "started $name: pid $NB_LAST_PID: $*"
}

# _nb_listening HOST PORT PROTO: is HOST:PORT bound (tcp: listening)?
_nb_listening() {
	local host=$1 port=$2 proto=$3 flag=-t a
	[ "$proto" = udp ] && flag=-u
	while read -r a; do
		case "$a" in
		"$host:$port" | "[$host]:$port" | "*:$port" | "0.0.0.0:$port" | "[::]:$port")
			return 0 ;;
		esac
	done < <(ss -Hln "$flag" "( sport = :$port )" 2>/dev/null |
		 awk '{print $4}')
	return 1
}

# wait_for_port HOST PORT [tcp|udp]: wait up to 10 s until something
# listens on HOST:PORT.  Fails early if the last started server died.
wait_for_port() {
	local host=$1 port=$2 proto=${3:-tcp} _i
	for _i in $(seq 1 100); do
		if _nb_listening "$host" "$port" "$proto"; then
			return 0
		fi
		if [ -n "$NB_LAST_PID" ] && ! kill -0 "$NB_LAST_PID" 2>/dev/null; then
			_nb_dump_logs
			nb_fail "server pid $NB_LAST_PID died before $host:$port/$proto listened"
		fi
		sleep 0.1
	done
	_nb_dump_logs
	nb_fail "nothing listens on $host:$port/$proto after 10 s"
}

# start_echo NAME ADDR PORT [ACCEPT_LOG]: echo server, TCP and UDP.
start_echo() {
	local name=$1 addr=$2 port=$3
	shift 3
	start_bg "$name" "$NB_PYTHON" -u "$NB_ITEST_DIR/echo-server.py" \
		"$addr" "$port" "$@"
	wait_for_port "$addr" "$port" tcp
	wait_for_port "$addr" "$port" udp
}

# start_test_echo: echo servers on both test host addresses, one free
# port (NB_ECHO_PORT) for TCP and UDP, IPv4 and IPv6.
start_test_echo() {
	NB_ECHO_PORT=$(free_port)
	start_echo echo4 "$NB_HOST4" "$NB_ECHO_PORT"
	start_echo echo6 "$NB_HOST6" "$NB_ECHO_PORT"
}

# start_http NAME ADDR PORT DIR: python http.server serving DIR.
start_http() {
	start_bg "$1" "$NB_PYTHON" -m http.server --bind "$2" "$3" \
		--directory "$4"
	wait_for_port "$2" "$3" tcp
}

_nb_dump_logs() {
	local f
	[ -n "$NB_TMP" ] || return 0
	for f in "$NB_TMP"/*.log; do
		[ -e "$f" ] || continue
		echo "----- $f (last 40 lines)"
		tail -n 40 "$f" || true
	done
}

# _nb_tree PID: PID and every process below it, parents first.
_nb_tree() {
	local c
	echo "$1"
	for c in $(ps -o pid= --ppid "$1" 2>/dev/null); do
		_nb_tree "$c"
	done
}

# cleanup: kill every recorded server with all it started, remove NB_TMP.
# Installed below as the EXIT trap; a script that needs more cleanup calls
# it from its own.  The whole tree: a recorded pid is often a shell (as_user
# is a function, so start_bg's "&" forks one) whose death alone would leave
# runuser, nsbypass and the container's server running.
cleanup() {
	local rc=$? p all=()
	set +e
	for p in "${NB_PIDS[@]}"; do
		mapfile -t -O "${#all[@]}" all < <(_nb_tree "$p")
	done
	for p in "${all[@]}"; do
		kill "$p" 2>/dev/null
	done
	for p in "${all[@]}"; do
		for _ in 1 2 3 4 5 6 7 8 9 10; do
			kill -0 "$p" 2>/dev/null || break
			sleep 0.1
		done
		kill -9 "$p" 2>/dev/null
	done
	for p in "${NB_PIDS[@]}"; do
		wait "$p" 2>/dev/null
	done
	for p in "${NB_ROUTES[@]}"; do
		ip route del unreachable "$p"
	done
	for p in "${NB_NETNS[@]}"; do
		ip netns del "$p"
	done
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ]; then
		_nb_dump_logs
		# Last, so that the tail meson prints (100 lines) names them.
		for p in "${NB_FAILS[@]}"; do
			echo "failed check: ${p:0:300}"
		done
	fi
	if [ -n "$NB_TMP" ] && [ -z "${NB_KEEP_TMP:-}" ]; then
		rm -rf "$NB_TMP"
	fi
	return "$rc"
}
trap cleanup EXIT
_nb_tmp

# nb_unroutable CIDR...: make the host answer "unreachable" for CIDR
# until the test ends.  A test whose container addresses (10.41.0.100,
# fd41::100) have no host route checks connects that the service map
# does not serve: bypassed, they would follow the host's default route
# off this machine.  Each test takes ranges no other test uses (tests
# run in parallel, and the routes are the host's).
NB_ROUTES=()
nb_unroutable() {
	local c
	for c in "$@"; do
		ip route add unreachable "$c" ||
			nb_fail "cannot add the unreachable route $c (another test's?)"
		NB_ROUTES+=("$c")
	done
}

# nb_netns NAME...: new named network namespaces (lo up), deleted when the
# test ends; one left by a killed run of the same test is replaced.
NB_NETNS=()
nb_netns() {
	local n
	for n in "$@"; do
		ip netns del "$n" 2>/dev/null || true
		ip netns add "$n" || nb_fail "cannot add the network namespace $n"
		NB_NETNS+=("$n")
		ip -n "$n" link set lo up
	done
}

# nb_exec CMD...: run CMD, never stopping the script.  Sets NB_RC, NB_OUT
# (stdout) and NB_ERR (stderr) and logs all three.
nb_exec() {
	_nb_tmp
	NB_SEQ=$((NB_SEQ + 1))
	local out="$NB_TMP/exec.$NB_SEQ.out" err="$NB_TMP/exec.$NB_SEQ.err"
	NB_RC=0
	"$@" >"$out" 2>"$err" || NB_RC=$?
	NB_OUT=$(cat "$out")
	NB_ERR=$(cat "$err")
	{
		echo "--- exit status $NB_RC of: $*"
		echo "--- stdout:"
		[ -z "$NB_OUT" ] || printf '%s\n' "$NB_OUT"
		echo "--- stderr:"
		[ -z "$NB_ERR" ] || printf '%s\n' "$NB_ERR"
		echo "---"
	} | tail -n 200
}

# nb_last_line TEXT: print the last non-empty line of TEXT.
nb_last_line() {
	printf '%s\n' "$1" | sed '/^[[:space:]]*$/d' | tail -n 1
}

# nb_expect_ok DESC CMD...: CMD (a sockprobe run) must exit 0 with a last
# stdout line "OK ...".  NB_LAST holds that line, NB_OK is 1 if the check
# passed, else 0.  Always returns 0: failures are recorded, see nb_error.
nb_expect_ok() {
	local desc=$1
	shift
	nb_exec "$@"
	NB_LAST=$(nb_last_line "$NB_OUT")
	if [ "$NB_RC" -eq 0 ] && [[ "$NB_LAST" == OK* ]]; then
		NB_OK=1
		nb_pass "$desc: $NB_LAST"
	else
		NB_OK=0
		nb_error "$desc: exit $NB_RC, last line '$NB_LAST'"
	fi
	return 0
}

# nb_expect_fail DESC PATTERN CMD...: CMD (the negative control) must
# exit non-zero; PATTERN (an ERE, may be empty) must occur in its output.
# Sets NB_OK like nb_expect_ok and always returns 0.
nb_expect_fail() {
	local desc=$1 pat=$2
	shift 2
	nb_exec "$@"
	NB_LAST=$(nb_last_line "$NB_OUT")
	NB_OK=0
	if [ "$NB_RC" -eq 0 ]; then
		nb_error "$desc: succeeded but must fail (last line '$NB_LAST')"
	elif [ -n "$pat" ] && ! grep -Eq -- "$pat" <<<"$NB_OUT"$'\n'"$NB_ERR"; then
		nb_error "$desc: failed (exit $NB_RC) but without /$pat/"
	else
		NB_OK=1
		nb_pass "$desc: failed as it must (exit $NB_RC)"
	fi
	return 0
}

# nb_expect_last DESC WANT: if the previous check passed, its last line
# must be exactly WANT.
nb_expect_last() {
	[ "$NB_OK" = 1 ] || return 0
	if [ "$NB_LAST" != "$2" ]; then
		NB_OK=0
		nb_error "$1: got '$NB_LAST', want '$2'"
	fi
	return 0
}
