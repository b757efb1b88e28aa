// SPDX-License-Identifier: Apache-2.0
/*
 * runtime-args.c - find the command and the bundle in an OCI runtime's
 * command line (see runtime-args.h).
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "runtime-args.h"
#include "util.h"

/* runc's and crun's global options that take a value. */
static const char *const global_valued[] = {
	"root", "log",	    "log-format",     "log-level",
	"criu", "rootless", "cgroup-manager",
};

/* create's and run's options that take a value, other than the two we
 * read (bundle, config). */
static const char *const create_valued[] = {
	"console-socket",
	"pid-file",
	"preserve-fds",
};

/*
 * @arg ("-x", "--name", "-name" or either with "=VALUE") names the long
 * option @name: return 1, and in *@value what follows "=" or NULL.
 */
static int long_opt_is(const char *arg, const char *name, const char **value)
{
	size_t n = strlen(name);

	arg += arg[1] == '-' ? 2 : 1;
	if (strncmp(arg, name, n) != 0 || (arg[n] != '\0' && arg[n] != '='))
		return 0;
	*value = arg[n] == '=' ? arg + n + 1 : NULL;
	return 1;
}

static bool in_valued(const char *arg, const char *const *list, size_t n,
		      const char **value)
{
	for (size_t i = 0; i < n; i++)
		if (long_opt_is(arg, list[i], value))
			return true;
	return false;
}

/* @arg is the option -@c or --@name (with a value attached or not): set
 * *@value to the value, taking the next word when none is attached. */
static int opt_value(int argc, char *const *argv, int *i, char c,
		     const char *name, const char **value, bool *matched)
{
	const char *arg = argv[*i], *v = NULL;

	/* The long form first: "-bundle" is urfave/cli's --bundle. */
	*matched = long_opt_is(arg, name, &v);
	if (!*matched && arg[1] == c) {
		*matched = true;
		v = arg[2] == '=' ? arg + 3 : arg[2] ? arg + 2 : NULL;
	}
	if (!*matched)
		return 0;
	if (!v) {
		if (*i + 1 >= argc)
			return -EINVAL;
		v = argv[++*i];
	}
	*value = v;
	return 0;
}

static int parse_create(int argc, char *const *argv, int i,
			struct runtime_args *a)
{
	const char *v;
	bool m;
	int r;

	for (; i < argc; i++) {
		const char *arg = argv[i];

		if (strcmp(arg, "--") == 0)
			break;
		if (arg[0] != '-' || arg[1] == '\0')
			continue; /* the id */
		r = opt_value(argc, argv, &i, 'b', "bundle", &a->bundle, &m);
		if (r < 0 || m)
			goto next;
		r = opt_value(argc, argv, &i, 'f', "config", &a->config, &m);
		if (r < 0 || m)
			goto next;
		if (in_valued(arg, create_valued, ARRAY_SIZE(create_valued),
			      &v) &&
		    !v && ++i >= argc)
			r = -EINVAL;
next:
		if (r < 0)
			return r;
	}
	return 0;
}

int runtime_args_parse(int argc, char *const *argv, struct runtime_args *a)
{
	const char *v;
	int i;

	*a = (struct runtime_args){ .creates = false };
	for (i = 0; i < argc; i++) {
		const char *arg = argv[i];

		if (strcmp(arg, "--") == 0)
			return 0; /* no command before it: not ours to read */
		if (arg[0] != '-' || arg[1] == '\0')
			break;
		if (in_valued(arg, global_valued, ARRAY_SIZE(global_valued),
			      &v) &&
		    !v)
			i++;
	}
	if (i >= argc)
		return 0;
	a->command = argv[i];
	if (strcmp(a->command, "create") != 0 && strcmp(a->command, "run") != 0)
		return 0;
	a->creates = true;
	return parse_create(argc, argv, i + 1, a);
}
