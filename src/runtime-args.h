/* SPDX-License-Identifier: Apache-2.0 */
/*
 * runtime-args.h - the command line of an OCI runtime (runc, crun) as an
 * engine gives it, read by `nsbypass runtime` to find the bundle of a
 * container being created:
 *
 *   RUNTIME [GLOBAL-OPTIONS] COMMAND [OPTIONS] [ID]
 *
 * Options are single- or double-dash long options (urfave/cli, runc's
 * parser, takes both) with the value attached ("--root=DIR") or as the
 * next word, or short options ("-b DIR", "-bDIR").
 */
#ifndef NB_RUNTIME_ARGS_H
#define NB_RUNTIME_ARGS_H

#include <stdbool.h>

/**
 * struct runtime_args - what runtime_args_parse() found
 * @creates:	the command is "create" or "run" (both make a container
 *		from a bundle)
 * @command:	the command word, or NULL when there is none
 * @bundle:	the value of --bundle / -b, or NULL: the current directory
 * @config:	the value of crun's --config / -f (the spec's file name
 *		in the bundle), or NULL: "config.json"
 */
struct runtime_args {
	bool creates;
	const char *command;
	const char *bundle;
	const char *config;
};

/**
 * runtime_args_parse() - read a runtime's arguments
 * @argc:	the number of arguments
 * @argv:	the arguments, without the program name
 * @a:		the result; points into @argv
 *
 * Global options taking a value (runc's and crun's: --root, --log,
 * --log-format, --log-level, --criu, --rootless, --cgroup-manager) have
 * it skipped; any other option before the command is taken as a flag.
 * When the command creates, its options are read up to "--".
 *
 * Return: 0, or -EINVAL when a create/run option lacks its value (the
 * runtime will say so itself: the caller passes the arguments through)
 */
int runtime_args_parse(int argc, char *const *argv, struct runtime_args *a);

#endif /* NB_RUNTIME_ARGS_H */
