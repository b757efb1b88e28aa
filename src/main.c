// SPDX-License-Identifier: Apache-2.0
/*
 * main.c - the nsbypass command line: global options and the subcommand
 * table.  It only dispatches: each subcommand is a cmd-*.c file (cmd.h),
 * and what their command lines share is cli.c's.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cmd.h"
#include "util.h"

struct nb_command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

static const struct nb_command commands[] = {
	{ "run", nb_cmd_run, "run a command with bypassed networking" },
	{ "slirp4netns", nb_cmd_slirp4netns,
	  "slirp4netns drop-in (for rootlesskit and podman)" },
	{ "profile", nb_cmd_profile,
	  "print a seccomp profile for podman/Docker (listenerPath)" },
	{ "oci", nb_cmd_oci, "seccomp listenerPath daemon for runc/crun" },
	{ "daemon", nb_cmd_daemon,
	  "bypass4netnsd-compatible REST API (for nerdctl)" },
	{ "runtime", nb_cmd_runtime,
	  "OCI runtime wrapper: runc/crun with the listenerPath set" },
	{ "status", nb_cmd_status,
	  "containers of the running nsbypass oci, and their counters" },
};

static void usage(FILE *f)
{
	fprintf(f, "Usage: nsbypass COMMAND [OPTIONS]\n\n"
		   "Host-speed networking for rootless containers.\n\n"
		   "Commands:\n");
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		fprintf(f, "  %-12s %s\n", commands[i].name,
			commands[i].summary);
	fprintf(f, "\nOptions:\n"
		   "  -h, --help     show this help\n"
		   "  --version      show the version\n"
		   "\nSee 'nsbypass COMMAND --help'.\n");
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;
	const char *base = argc > 0 ? strrchr(argv[0], '/') : NULL;

	/* Run through a symlink named slirp4netns: be slirp4netns. */
	base = base ? base + 1 : argc > 0 ? argv[0] : "";
	if (strcmp(base, "slirp4netns") == 0)
		return nb_cmd_slirp4netns(argc, argv);
	/* Through a symlink named nsbypass-runtime[-NAME]: the wrapper. */
	if (strncmp(base, "nsbypass-runtime", 16) == 0 &&
	    (base[16] == '\0' || base[16] == '-'))
		return nb_cmd_runtime(argc, argv);

	if (!cmd)
		return nb_usage_error(
			"no command given (see 'nsbypass --help')");
	if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 ||
	    strcmp(cmd, "help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
		cli_version();
		return 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (strcmp(cmd, commands[i].name) == 0)
			return commands[i].fn(argc - 1, argv + 1);
	return nb_usage_error("unknown %s '%s' (see 'nsbypass --help')",
			      cmd[0] == '-' ? "option" : "command", cmd);
}
