#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# test-cli.sh - the command line: --version, --help and "run --help" exit
# 0; every usage error exits 2 with exactly one stderr line that starts
# with "nsbypass: ", and never runs the command; a bad file on the command
# line (oci --log-file: a FIFO nobody reads, a directory) fails at once
# with one line.
set -xeuo pipefail
# shellcheck source=tests/integration/common.sh
. "$(dirname "$0")/common.sh"

[ -x "$NSBYPASS" ] || nb_fail "binary $NSBYPASS not built"
marker="$NB_TMP/ran"

# expect_usage_ok DESC PATTERN ARGS...: exit 0, stdout matches PATTERN.
expect_usage_ok() {
	local desc=$1 pat=$2
	shift 2
	nb_exec timeout -k 5 20 "$NSBYPASS" "$@"
	if [ "$NB_RC" -ne 0 ]; then
		nb_error "$desc: exit status $NB_RC, want 0"
	elif ! grep -Eq -- "$pat" <<<"$NB_OUT"; then
		nb_error "$desc: stdout does not match /$pat/"
	else
		nb_pass "$desc"
	fi
}

# expect_usage_error DESC ARGS...: exit 2 and one "nsbypass: " line on
# stderr; the command after "--" (touch marker) must not have run.
expect_usage_error() {
	local desc=$1 lines
	shift
	rm -f "$marker"
	nb_exec timeout -k 5 20 "$NSBYPASS" "$@"
	lines=$(printf '%s' "$NB_ERR" | grep -c '' || true)
	if [ "$NB_RC" -ne 2 ]; then
		nb_error "$desc: exit status $NB_RC, want 2"
	elif [ "$lines" -ne 1 ]; then
		nb_error "$desc: $lines lines on stderr, want exactly 1"
	elif [[ "$NB_ERR" != "nsbypass: "* ]]; then
		nb_error "$desc: stderr line does not start with 'nsbypass: '"
	elif [ -e "$marker" ]; then
		nb_error "$desc: the command ran despite the usage error"
	else
		nb_pass "$desc: $NB_ERR"
	fi
}

expect_usage_ok "--version" '[0-9]+\.[0-9]+' --version
expect_usage_ok "--help" '^Usage: nsbypass' --help
expect_usage_ok "run --help" '^Usage: nsbypass run' run --help
expect_usage_ok "run --version" '^nsbypass [0-9]+\.[0-9]+' run --version

expect_usage_error "bad global option" --no-such-option
expect_usage_error "bad run option" run --no-such-option -- touch "$marker"
expect_usage_error "--ignore prefix /33" run --ignore=1.2.3.4/33 -- touch "$marker"
expect_usage_error "--ignore v6 prefix /129" run --ignore=fd99::/129 -- touch "$marker"
expect_usage_error "--ignore=garbage" run --ignore=garbage -- touch "$marker"
expect_usage_error "--ignore prefix with blank" run '--ignore=10.0.0.0/ 8' -- touch "$marker"
expect_usage_error "--log-level=loud" run --log-level=loud -- touch "$marker"
expect_usage_error "--net=bogus" run --net=bogus -- touch "$marker"
expect_usage_error "unknown subcommand" frobnicate
expect_usage_error "no command after run --" run --
expect_usage_error "no command after run" run

# expect_file_error DESC PATTERN ARGS...: a bad file named on the command
# line: a non-zero exit within the timeout (124 is the timeout's), one
# "nsbypass" line on stderr that matches PATTERN.
expect_file_error() {
	local desc=$1 pat=$2 lines
	shift 2
	nb_exec timeout -k 5 20 "$NSBYPASS" "$@"
	lines=$(printf '%s' "$NB_ERR" | grep -c '' || true)
	if [ "$NB_RC" -eq 0 ] || [ "$NB_RC" -ge 124 ]; then
		nb_error "$desc: exit status $NB_RC, want a prompt failure"
	elif [ "$lines" -ne 1 ]; then
		nb_error "$desc: $lines lines on stderr, want exactly 1"
	elif ! grep -Eq -- "$pat" <<<"$NB_ERR"; then
		nb_error "$desc: stderr '$NB_ERR' does not match /$pat/"
	else
		nb_pass "$desc: $NB_ERR"
	fi
}

# A FIFO nobody reads: the open used to block for good, and a daemon
# waiting for the ready byte with it.
mkfifo "$NB_TMP/log.fifo"
expect_file_error "oci --log-file=FIFO without a reader" 'FIFO with no reader' \
	oci --listen "$NB_TMP/oci.sock" --log-file "$NB_TMP/log.fifo"
[ ! -e "$NB_TMP/oci.sock" ] || nb_error "oci left its socket behind"
expect_file_error "oci --log-file=DIRECTORY" 'Is a directory' \
	oci --listen "$NB_TMP/oci.sock" --log-file "$NB_TMP"

# The --cluster options (nsbypass oci, and nsbypass daemon's pass-on):
# each bad value is one line and exit 2 before anything listens.
O=(oci --listen "$NB_TMP/c.sock")
C=(--cluster http://10.77.0.10:2379)
expect_usage_error "oci --cluster=ftp://" "${O[@]}" --cluster ftp://h:1 --node-address 10.0.0.1
expect_usage_error "oci --cluster=http:// (no host)" "${O[@]}" --cluster http:// --node-address 10.0.0.1
expect_usage_error "oci --cluster=URL with a path" "${O[@]}" --cluster http://h:1/x --node-address 10.0.0.1
expect_usage_error "oci --cluster without --node-address" "${O[@]}" "${C[@]}"
expect_usage_error "oci --node-address without --cluster" "${O[@]}" --node-address 10.0.0.1
expect_usage_error "oci --node-address=127.0.0.1" "${O[@]}" "${C[@]}" --node-address 127.0.0.1
expect_usage_error "oci --node-address=::" "${O[@]}" "${C[@]}" --node-address ::
expect_usage_error "oci --node-address=fe80::1" "${O[@]}" "${C[@]}" --node-address fe80::1
expect_usage_error "oci --node-address=garbage" "${O[@]}" "${C[@]}" --node-address nope
expect_usage_error "oci --node-name=a/b" "${O[@]}" "${C[@]}" --node-address 10.0.0.1 --node-name a/b
expect_usage_error "oci --cluster-ttl=1" "${O[@]}" "${C[@]}" --node-address 10.0.0.1 --cluster-ttl 1
expect_usage_error "oci --cluster-subnets=garbage" "${O[@]}" "${C[@]}" --node-address 10.0.0.1 --cluster-subnets 10.0.0.0/33
expect_usage_error "oci --cluster-prefix without /" "${O[@]}" "${C[@]}" --node-address 10.0.0.1 --cluster-prefix x
expect_usage_error "oci --cluster-cacert=missing" "${O[@]}" "${C[@]}" --node-address 10.0.0.1 --cluster-cacert "$NB_TMP/none.pem"
expect_usage_error "oci --cluster-cert without --cluster-key" "${O[@]}" "${C[@]}" --node-address 10.0.0.1 --cluster-cert /etc/hostname
expect_usage_error "daemon --multinode=maybe" daemon --socket "$NB_TMP/d.sock" --multinode=maybe
expect_usage_error "daemon --multinode=true without addresses" daemon --socket "$NB_TMP/d.sock" --multinode=true
expect_usage_error "daemon --multinode-host-address=127.0.0.1" daemon --socket "$NB_TMP/d.sock" --multinode=true --multinode-etcd-address=http://h:1 --multinode-host-address=127.0.0.1
expect_usage_error "daemon --cluster without --node-address" daemon --socket "$NB_TMP/d.sock" "${C[@]}"
[ ! -e "$NB_TMP/c.sock" ] && [ ! -e "$NB_TMP/d.sock" ] &&
	nb_pass "no socket left by the refused --cluster options" ||
	nb_error "a refused --cluster option left a socket"

nb_done
