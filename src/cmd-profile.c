// SPDX-License-Identifier: Apache-2.0
/*
 * cmd-profile.c - `nsbypass profile`: print a seccomp profile that hands
 * the container's connect(), bind(), listen() and recorded setsockopt()
 * calls to a listenerPath agent (`nsbypass oci`), for
 * `podman run --security-opt seccomp=FILE` and the like.  See profile.h.
 *
 *   nsbypass profile --listener PATH [--metadata STR] [--base FILE]
 *
 * Bad options: one line on stderr, status 2.  A --base file that cannot
 * be read or is not a profile: one line on stderr, status 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "cli.h"
#include "cmd.h"
#include "profile.h"
#include "readfile.h"
#include "util.h"

/* Larger than any real profile (containers-common's is 16 KiB). */
#define PROFILE_FILE_MAX (16 << 20)

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: nsbypass profile --listener PATH [--metadata STR] [--base FILE]\n\n"
		"Print a seccomp profile (podman/Docker JSON) that notifies connect(),\n"
		"bind(), listen() and the recorded setsockopt() options to the agent\n"
		"listening on PATH (`nsbypass oci --listen PATH`).  Use it with\n"
		"`podman run --security-opt seccomp=FILE`.\n\n"
		"Options:\n"
		"  --listener PATH   listenerPath: the agent's socket (absolute)\n"
		"  --metadata STR    listenerMetadata: passed to the agent as is\n"
		"  --base FILE       rewrite this profile instead of the built-in\n"
		"                    one (the engine's default semantics: unknown\n"
		"                    calls fail with EPERM)\n"
		"  -h, --help        show this help\n");
}

static const struct cli_command profile_cli = {
	.name = "profile",
	.usage = usage,
	.unknown = "unknown option",
	.see_help = " (see 'nsbypass profile --help')",
	.terse_missing = true,
};

/* Read all of @path, NUL-terminated; -errno, -EFBIG when too large. */
static int read_file(const char *path, char **ret)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	return read_text_fd(fd, PROFILE_FILE_MAX, ret);
}

static int load_base(const char *path, json_object **ret)
{
	_cleanup_free_ char *text = NULL;
	char err[160];
	int r;

	r = read_file(path, &text);
	if (r == -EINVAL) {
		fprintf(stderr, "nsbypass: %s: not a text file\n", path);
		return r;
	}
	if (r < 0) {
		fprintf(stderr, "nsbypass: cannot read %s: %s\n", path,
			strerror(-r));
		return r;
	}
	r = profile_parse(text, ret, err, sizeof(err));
	if (r < 0)
		fprintf(stderr, "nsbypass: %s: %s\n", path,
			r == -EINVAL ? err : strerror(-r));
	return r;
}

int nb_cmd_profile(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "listener", required_argument, NULL, 'l' },
		{ "metadata", required_argument, NULL, 'm' },
		{ "base", required_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *listener = NULL, *metadata = NULL, *base = NULL;
	_cleanup_free_ char *out = NULL;
	json_object *p = NULL;
	int c, r;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+:h", opts, NULL)) != -1) {
		const char **slot = c == 'l' ? &listener :
				    c == 'm' ? &metadata :
				    c == 'b' ? &base :
					       NULL;

		switch (c) {
		case 'l':
		case 'm':
		case 'b':
			if (*slot)
				return nb_usage_error("profile: --%s given twice",
						      c == 'l' ? "listener" :
						      c == 'm' ? "metadata" :
								 "base");
			*slot = optarg;
			break;
		default:
			return cli_opt_default(&profile_cli, c, argv);
		}
	}
	if (optind < argc)
		return nb_usage_error("profile: unexpected argument '%s'",
				      argv[optind]);
	if (!listener)
		return nb_usage_error("profile: --listener PATH is required");
	if (listener[0] != '/')
		return nb_usage_error(
			"profile: --listener must be an absolute path, not '%s'",
			listener);
	if (strlen(listener) >= sizeof(((struct sockaddr_un *)0)->sun_path))
		return nb_usage_error(
			"profile: --listener path is longer than a unix socket path (%zu bytes)",
			sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
	if (base && !*base)
		return nb_usage_error("profile: --base needs a file name");

	r = base ? load_base(base, &p) : profile_default(&p);
	if (r < 0) {
		if (!base)
			fprintf(stderr, "nsbypass: %s\n", strerror(-r));
		return 1;
	}
	r = profile_add_notify(p, listener, metadata);
	if (r == 0) {
		out = profile_to_string(p);
		r = out ? 0 : -ENOMEM;
	}
	json_object_put(p);
	if (r != 0) { /* any r, so that gcc's -fanalyzer sees out set */
		fprintf(stderr, "nsbypass: %s\n", strerror(-r));
		return 1;
	}
	if (fputs(out, stdout) == EOF || fflush(stdout) == EOF) {
		fprintf(stderr, "nsbypass: writing the profile: %s\n",
			strerror(errno));
		return 1;
	}
	return 0;
}
