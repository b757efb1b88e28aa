/* SPDX-License-Identifier: Apache-2.0 */
/*
 * s4n.h - the slirp4netns-compatible mode (`nsbypass slirp4netns`, or
 * nsbypass run as "slirp4netns") once its command line is parsed
 * (cmd-slirp4netns.c): slirp behind a tap that nsbypass-nsagent opens in
 * the target's namespaces, the API socket, and the ways it ends.  See
 * s4n.c and docs/compat-slirp4netns.md.
 */
#ifndef NB_S4N_H
#define NB_S4N_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "fallback.h"

/**
 * struct s4n_args - the command line of the slirp4netns-compatible mode,
 * as cmd-slirp4netns.c parsed it (see its usage text for each option)
 */
struct s4n_args {
	bool configure;
	int exit_fd, ready_fd; /* -1: not given */
	bool enable_sandbox, enable_seccomp;
	bool netns_type_path; /* --netns-type=path */
	const char *userns_path;
	const char *api_socket;
	const char *target; /* PID or PATH */
	pid_t pid;	    /* PID form: the target, else 0 */
	const char *tap;
	bool has_mac; /* --macaddress: @mac for the tap (with --configure) */
	uint8_t mac[6];
	char netns_file[64], userns_file[64]; /* /proc/PID/ns/... */
	struct fallback_config cfg;
};

/**
 * s4n_run() - serve the network @a asks for until it ends: --exit-fd,
 * SIGTERM or SIGINT, the target's exit or its namespace's
 *
 * Called once per process.  "1" goes to --ready-fd once the network runs.
 * Return: the exit status for nsbypass: 0, or 1 when the set-up failed
 * (logged)
 */
int s4n_run(const struct s4n_args *a);

#endif /* NB_S4N_H */
