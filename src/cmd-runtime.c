// SPDX-License-Identifier: Apache-2.0
/*
 * cmd-runtime.c - `nsbypass runtime`: an OCI runtime wrapper.  An engine
 * (Docker, containerd, podman, CRI-O) runs it in place of runc or crun;
 * at `create` (and `run`, which creates too) it merges the notified
 * calls into the seccomp section of the bundle's config.json the engine
 * wrote (runtime-spec.h), and in every case it execs the real runtime
 * with the engine's arguments.  Every container of the engine is then
 * accelerated by `nsbypass oci` with no per-container option, whatever
 * the engine does with a profile's listenerPath (Docker 20.10 drops it).
 *
 *   nsbypass runtime [--runtime PATH] [--listener PATH] [--metadata STR]
 *                    [--] RUNTIME-ARGS...
 *
 * The settings: these options, else NSBYPASS_RUNTIME / NSBYPASS_LISTENER
 * / NSBYPASS_METADATA, else /etc/nsbypass/runtime.conf (runtime-conf.h),
 * else runc and $XDG_RUNTIME_DIR/nsbypass/oci.sock.  Run through a
 * symlink named nsbypass-runtime, it is this command with every argument
 * the runtime's; named nsbypass-runtime-NAME, NAME is the runtime, as
 * with --runtime NAME.
 *
 * A container must start even without nsbypass: with no listener socket,
 * or a spec without seccomp (--security-opt seccomp=unconfined), the spec
 * is left as it is and one warning goes to stderr.  A spec that cannot be
 * read or edited is an error: one line, status 1, the runtime not run.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "cmd.h"
#include "runtime-args.h"
#include "runtime-conf.h"
#include "runtime-spec.h"
#include "util.h"

#define PFX "nsbypass runtime: "

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: nsbypass runtime [--runtime PATH] [--listener PATH]\n"
		"                        [--metadata STR] [--] RUNTIME-ARGS...\n\n"
		"An OCI runtime wrapper: give it to the engine as its runtime\n"
		"(Docker --add-runtime or daemon.json \"runtimes\", containerd,\n"
		"a Kubernetes RuntimeClass, podman --runtime).  At create and\n"
		"run it merges the calls `nsbypass oci` serves into the\n"
		"bundle's seccomp filter and sets its listenerPath; then, for\n"
		"every command, it runs the real runtime with RUNTIME-ARGS.\n\n"
		"Options (before the runtime's arguments):\n"
		"  --runtime PATH    the real runtime (default: runc in PATH)\n"
		"  --listener PATH   the agent's socket (default:\n"
		"                    $XDG_RUNTIME_DIR/nsbypass/oci.sock)\n"
		"  --metadata STR    listenerMetadata for every container\n"
		"  -h, --help        show this help\n\n"
		"Unset options come from NSBYPASS_RUNTIME, NSBYPASS_LISTENER and\n"
		"NSBYPASS_METADATA, then from /etc/nsbypass/runtime.conf (lines\n"
		"\"runtime = PATH\", \"listener = PATH\", \"metadata = STR\").\n"
		"Run as a symlink named nsbypass-runtime, every argument is the\n"
		"runtime's; as nsbypass-runtime-NAME (nsbypass-runtime-crun),\n"
		"NAME is the runtime.  Without the socket, or a spec without\n"
		"seccomp, the container starts as is.\n");
}

/* "--NAME VALUE" or "--NAME=VALUE" at argv[*i]: 1 with *@value set, 0 if
 * argv[*i] is not --NAME, -1 (reported) when the value is missing. */
static int wrapper_opt(int argc, char **argv, int *i, const char *name,
		       const char **value)
{
	const char *a = argv[*i];
	size_t n = strlen(name);

	if (strncmp(a, "--", 2) != 0 || strncmp(a + 2, name, n) != 0)
		return 0;
	if (a[2 + n] == '=')
		*value = a + 3 + n;
	else if (a[2 + n] != '\0')
		return 0;
	else
		*value = *i + 1 < argc ? argv[++*i] : "";
	if (!**value) {
		nb_usage_error("runtime: --%s needs a value", name);
		return -1;
	}
	return 1;
}

struct wrapper {
	const char *opt[3];	  /* --runtime, --listener, --metadata */
	struct runtime_conf conf; /* the configuration file */
	const char *runtime, *listener, *metadata;
	char *listener_buf;
};

/* The configuration file, into w->conf, when it exists.  Only the
 * system's: the engines run the runtime with different environments
 * (podman's create has HOME, its start and delete do not), and every
 * command of one container must pick the same runtime. */
static int load_conf(struct wrapper *w)
{
	char err[320];
	int r = runtime_conf_load(RUNTIME_CONF_PATH, &w->conf, err,
				  sizeof(err));

	if (r == -ENOENT)
		return 0;
	if (r < 0)
		fprintf(stderr, PFX "%s\n", err);
	return r;
}

static const char *pick(const char *opt, const char *env_name, const char *conf)
{
	const char *env = getenv(env_name);

	return opt ? opt : env && *env ? env : conf;
}

static int settle(struct wrapper *w)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");

	if (load_conf(w) < 0)
		return -1;
	w->runtime = pick(w->opt[0], "NSBYPASS_RUNTIME", w->conf.runtime);
	w->listener = pick(w->opt[1], "NSBYPASS_LISTENER", w->conf.listener);
	w->metadata = pick(w->opt[2], "NSBYPASS_METADATA", w->conf.metadata);
	if (!w->runtime)
		w->runtime = "runc";
	if (!w->listener && xdg && xdg[0] == '/') {
		if (asprintf(&w->listener_buf, "%s/nsbypass/oci.sock", xdg) < 0)
			return -1;
		w->listener = w->listener_buf;
	}
	if (w->listener && w->listener[0] != '/') {
		fprintf(stderr,
			PFX "the listener must be an absolute path, not '%s'\n",
			w->listener);
		return -1;
	}
	return 0;
}

/* Edit the bundle's spec when the command creates; 0 to run the runtime. */
static int prepare(const struct wrapper *w, int argc, char **argv)
{
	_cleanup_free_ char *path = NULL;
	struct runtime_args a;
	char err[512];
	struct stat st;
	int r;

	if (runtime_args_parse(argc, argv, &a) < 0 || !a.creates)
		return 0;
	if (!w->listener) {
		fprintf(stderr, PFX
			"warning: no listener (XDG_RUNTIME_DIR is not set): not accelerated\n");
		return 0;
	}
	if (stat(w->listener, &st) < 0 || !S_ISSOCK(st.st_mode)) {
		fprintf(stderr,
			PFX
			"warning: no socket %s (is `nsbypass oci` running?): not accelerated\n",
			w->listener);
		return 0;
	}
	if (a.config && a.config[0] == '/')
		path = strdup(a.config);
	else if (asprintf(&path, "%s/%s", a.bundle ? a.bundle : ".",
			  a.config ? a.config : "config.json") < 0)
		path = NULL;
	if (!path) {
		fprintf(stderr, PFX "%s\n", strerror(ENOMEM));
		return -1;
	}
	r = runtime_spec_edit(path, w->listener, w->metadata, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, PFX "%s\n", err);
		return -1;
	}
	if (r == RUNTIME_SPEC_NO_SECCOMP)
		fprintf(stderr,
			PFX
			"warning: %s has no seccomp filter (unconfined or privileged): not accelerated\n",
			path);
	if (r == RUNTIME_SPEC_RESTRICTED)
		fprintf(stderr,
			PFX
			"warning: %s: the seccomp filter limits a call nsbypass traps (%s): not accelerated, the filter is left as it is\n",
			path, err);
	return 0;
}

/* Refuse to run ourselves as the runtime (an endless exec loop). */
static bool is_self(const char *runtime)
{
	struct stat a, b;

	return strchr(runtime, '/') && stat(runtime, &a) == 0 &&
	       stat("/proc/self/exe", &b) == 0 && a.st_dev == b.st_dev &&
	       a.st_ino == b.st_ino;
}

int nb_cmd_runtime(int argc, char **argv)
{
	static const char *const names[] = { "runtime", "listener",
					     "metadata" };
	struct wrapper w = { .listener_buf = NULL };
	int i = 1, r = 0;

	/* As the symlink nsbypass-runtime[-NAME]: every argument is the
	 * runtime's, and NAME the runtime. */
	if (argc > 0 && strcmp(argv[0], "runtime") != 0) {
		const char *base = strrchr(argv[0], '/');

		base = base ? base + 1 : argv[0];
		if (strncmp(base, "nsbypass-runtime-", 17) == 0 && base[17])
			w.opt[0] = base + 17;
		goto settled;
	}
	for (; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		}
		if (strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return 0;
		}
		r = 0;
		for (size_t k = 0; r == 0 && k < ARRAY_SIZE(names); k++)
			r = wrapper_opt(argc, argv, &i, names[k], &w.opt[k]);
		if (r < 0)
			return 2;
		if (r == 0)
			break;
	}
settled:
	if (i >= argc)
		return nb_usage_error(
			"runtime: no runtime arguments (see 'nsbypass runtime --help')");
	if (settle(&w) < 0 || prepare(&w, argc - i, argv + i) < 0) {
		r = 1;
		goto out;
	}
	if (is_self(w.runtime)) {
		fprintf(stderr, PFX "the runtime %s is nsbypass itself\n",
			w.runtime);
		r = 1;
		goto out;
	}
	/* The runtime's argv: its own name, then the engine's arguments. */
	argv[i - 1] = (char *)w.runtime;
	execvp(w.runtime, argv + i - 1);
	r = errno;
	fprintf(stderr, PFX "cannot run %s: %s\n", w.runtime, strerror(r));
	r = r == ENOENT ? 127 : 126;
out:
	runtime_conf_free(&w.conf);
	free(w.listener_buf);
	return r;
}
