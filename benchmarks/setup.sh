# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
#
# setup.sh - what every benchmark script does first, sourced from the
# repository's root with $setup (1: install and build, 0: --no-setup) and
# $repo set: the packages of tests/packages.txt and
# benchmarks/packages.txt, the machine's fix-ups, the -Dwerror build in
# build/, the test user's checks, tests/integration/common.sh, and the
# benchmark programs (BENCH_TCP, BENCH_SYSCALL, OCI_SIM; each may be set
# beforehand), which must be built.
NB_SETUP_WHO=benchmarks
. tests/setup.sh
if [ "$setup" -eq 1 ]; then
	nb_install_packages tests/packages.txt benchmarks/packages.txt
	nb_machine_fixups
	nb_build build -Dwerror=true >/dev/null
fi
nb_user_preflight "${NB_USER:-nbtest}" || exit 1
. tests/integration/common.sh
BENCH_TCP=${BENCH_TCP:-$repo/build/benchmarks/bench-tcp}
BENCH_SYSCALL=${BENCH_SYSCALL:-$repo/build/benchmarks/bench-syscall}
OCI_SIM=${OCI_SIM:-$repo/build/tests/oci-sim}
for b in "$BENCH_TCP" "$BENCH_SYSCALL" "$OCI_SIM"; do
	[ -x "$b" ] || nb_fail "$b is not built"
done
