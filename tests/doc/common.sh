# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
#
# common.sh - sourced by the doc suite's scripts: checks that go on after
# a failure (doc_fail) and the end (doc_done: exit 1 if any failed).

DOC_FAILS=0

# doc_fail REASON: record a failed check and go on.
doc_fail() {
	echo "FAIL: $*"
	DOC_FAILS=$((DOC_FAILS + 1))
}

# doc_done SUMMARY: exit 1 if a check failed, else print SUMMARY, exit 0.
doc_done() {
	if [ "$DOC_FAILS" -ne 0 ]; then
		echo "FAIL: $DOC_FAILS check(s) failed"
		exit 1
	fi
	echo "PASS: $*"
	exit 0
}
