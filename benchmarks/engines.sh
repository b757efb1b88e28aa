# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
#
# engines.sh - the container engine paths of benchmarks/run.sh, sourced
# by it after tests/integration/common.sh.  Each runs the benchmark
# program in a rootless container whose rootfs is busybox-static with
# this machine's /usr mounted read-only (iperf3, redis-benchmark) and
# bench-tcp/bench-syscall in /opt/nb; the results go to $udir, mounted
# at its own path.  With nsbypass: `nsbypass oci` as the test user, which
# podman reaches through nsbypass's profile (`nsbypass profile`), Docker
# through the runtime wrapper (`nsbypass runtime`, registered with
# dockerd --add-runtime; Docker's own default profile stays, merged);
# without: the engine as it comes.
#
#   podman-nsbypass, podman-slirp4netns  podman, runc, --network slirp4netns
#   podman-pasta-nsbypass, podman-pasta  podman 5+, its default network
#                                        (pasta) and runtime (crun)
#   docker-nsbypass, docker              rootless Docker (rootlesskit),
#                                        runc, the default bridge;
#                                        docker-nsbypass --runtime nsbypass
#
# A port is published by the engine (-p) without nsbypass, and by the
# annotation nsbypass.publish (the container's bind takes the host port)
# with it.  engines_setup needs H, udir, BENCH_TCP, BENCH_SYSCALL, time_s.

ENGINE_PATHS=(podman-nsbypass podman-slirp4netns podman-pasta-nsbypass
	podman-pasta docker-nsbypass docker)
ENGINE_VERSIONS=
podman_env=0
podman_ready=0
pasta_ready=0
docker_ready=0
engine_extra=()

# _engine_rootfs DIR: the programs the workloads run, in the rootfs DIR.
_engine_rootfs() {
	mkdir -p "$1/opt/nb"
	ln -sfn usr/lib "$1/lib"
	ln -sfn usr/lib64 "$1/lib64"
	install -m 0755 "$BENCH_TCP" "$BENCH_SYSCALL" "$1/opt/nb/"
	chown -R "$NB_USER:" "$1"
}

# _engine_oci DIR: the profile ($PROFILE) and `nsbypass oci` on a socket
# in DIR (0700, the test user's); OCI_PIDF is its pid file.
_engine_oci() {
	local sock=$1/nsbypass-oci.sock
	PROFILE=$1/profile.json
	OCI_PIDF=$1/oci.pid
	as_user "$NSBYPASS" profile --listener "$sock" >"$PROFILE"
	start_bg oci as_user "$NSBYPASS" oci --listen "$sock" --pid-file "$OCI_PIDF"
	for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.1; done
	[ -S "$sock" ]
}

# engines_cleanup: the EXIT trap: the daemons by their own pids (killing
# runuser, start_bg's pid, does not reach them), then the engines.
engines_cleanup() {
	local rc=$?
	set +e
	kill "$(cat "$OCI_PIDF" 2>/dev/null)" 2>/dev/null
	[ "$docker_ready" != 1 ] || stop_dockerd
	# Each cleanup reads the run's status from $?: set it right before
	# (the test of the if would set it otherwise: logs dumped after a
	# good run, none after a failed one).
	if [ "$podman_env" = 1 ]; then
		(exit "$rc")
		_pm_env_cleanup	# ends with common.sh's cleanup
	else
		(exit "$rc")
		cleanup
	fi
}

# engines_setup PATH...: make the engines the PATHs need.  A path whose
# engine cannot run here is reported and left out (runs_on asks
# engine_ready).
engines_setup() {
	local want=" $* " drs v
	[[ "$want" == *" podman-"* || "$want" == *" docker"* ]] || return 0
	_nb_tmp
	ENGINE_DIR=$NB_TMP/engine
	install -d -m 0700 -o "$NB_USER" "$ENGINE_DIR"
	_engine_oci "$ENGINE_DIR" || { echo "benchmarks: nsbypass oci did not start: no engine paths"; return 0; }
	trap engines_cleanup EXIT
	if [[ "$want" == *" podman-"* ]]; then
		if command -v podman >/dev/null && command -v runc >/dev/null; then
			. tests/integration/podman-env.sh
			podman_env_setup
			podman_env=1
			trap engines_cleanup EXIT
			_engine_rootfs "$ROOTFS"
			if PM_TIMEOUT=60 pm run --rm --network none --rootfs "$ROOTFS" true; then
				podman_ready=1
				ENGINE_VERSIONS+="podman $(pm --version | awk '{print $3}'), runc $(runc --version | awk 'NR == 1 {print $3}'); "
			else
				echo "benchmarks: rootless podman does not run here: no podman paths"
			fi
			v=$(pm --version | awk '{ split($3, v, "."); print v[1] + 0 }')
			if [ "$podman_ready" = 1 ] && [ "$v" -ge 5 ] &&
			   PM_TIMEOUT=60 pm --runtime crun run --rm --rootfs "$ROOTFS" true; then
				pasta_ready=1
				ENGINE_VERSIONS+="crun $(crun --version | awk 'NR == 1 {print $3}'), pasta $(pasta --version | awk 'NR == 1 {print $2}'); "
			elif [[ "$want" == *" podman-pasta"* ]]; then
				echo "benchmarks: no podman-pasta paths: podman $(pm --version | awk '{print $3}') (5 or later, with crun, wanted)"
			fi
		else
			echo "benchmarks: podman or runc missing: no podman paths"
		fi
	fi
	if [[ "$want" == *" docker"* ]]; then
		. tests/integration/docker-env.sh
		if drs=$(docker_rootless_script) && command -v docker >/dev/null; then
			docker_env_setup "$drs"
			_engine_rootfs "$DK_ROOTFS"
			# The wrapper, as contrib/docker/README.md registers it.
			DK_WRAPPER=$DD/nsbypass-runc
			printf '#!/bin/sh\nexec %s runtime --runtime runc --listener %s -- "$@"\n' \
				"$NSBYPASS" "$ENGINE_DIR/nsbypass-oci.sock" >"$DK_WRAPPER"
			chmod 0755 "$DK_WRAPPER"
			chown "$NB_USER:" "$DK_WRAPPER"
			if start_dockerd --add-runtime "nsbypass=$DK_WRAPPER" &&
			   docker_import_rootfs nbbench; then
				docker_ready=1
				ENGINE_VERSIONS+="rootless Docker $(dk version -f '{{.Server.Version}}'), rootlesskit $(rootlesskit --version | awk '{print $3}'); "
			else
				echo "benchmarks: rootless dockerd does not run here: no docker paths"
			fi
		else
			echo "benchmarks: no dockerd-rootless.sh or docker client: no docker paths"
		fi
	fi
}

# engine_ready PATH: can PATH run here?
engine_ready() {
	case $1 in
	podman-pasta*) [ "$pasta_ready" = 1 ] ;;
	podman-*) [ "$podman_ready" = 1 ] ;;
	docker*) [ "$docker_ready" = 1 ] ;;
	*) return 1 ;;
	esac
}

# engine_run PATH CMD...: CMD in a container of PATH, with the options of
# the array engine_extra.
engine_run() {
	local path=$1 prof=() t=$((time_s * 4 + 60))
	shift
	case $path in
	docker-nsbypass) prof=(--runtime nsbypass) ;;
	*nsbypass) prof=(--security-opt "seccomp=$PROFILE") ;;
	esac
	case $path in
	podman-nsbypass | podman-slirp4netns)
		PM_TIMEOUT=$t pm run --rm --network slirp4netns "${prof[@]}" \
			"${engine_extra[@]}" -v /usr:/usr:ro -v "$udir:$udir" \
			--rootfs "$ROOTFS" "$@" ;;
	podman-pasta*)
		PM_TIMEOUT=$t pm --runtime crun run --rm "${prof[@]}" \
			"${engine_extra[@]}" -v /usr:/usr:ro -v "$udir:$udir" \
			--rootfs "$ROOTFS" "$@" ;;
	docker*)
		DK_TIMEOUT=$t dk run --rm "${prof[@]}" "${engine_extra[@]}" \
			-v /usr:/usr:ro -v "$udir:$udir" nbbench "$@" ;;
	esac
}

# engine_run_published PATH HOSTPORT PORT CMD...: engine_run with $H:
# HOSTPORT published to PORT inside: by the engine without nsbypass, by
# nsbypass.publish with it.
engine_run_published() {
	local path=$1 hp=$2 cp=$3 rc=0
	shift 3
	if [[ "$path" == *nsbypass ]]; then
		engine_extra=(--annotation "nsbypass.publish=$H:$hp:$cp")
	else
		engine_extra=(-p "$H:$hp:$cp")
	fi
	engine_run "$path" "$@" || rc=$?
	engine_extra=()
	return "$rc"
}
