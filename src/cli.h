/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cli.h - what the command lines of nsbypass and its subcommands share:
 * the one-line usage error, the end of every subcommand's getopt loop
 * (-h, --version, a bad option), and the options several subcommands
 * take alike (--ignore, --publish, --log-level).
 *
 * main.c and the cmd-*.c files call these; nothing here knows a
 * subcommand.  A bad command line is one line on stderr, "nsbypass: ...",
 * and the exit status NB_EXIT_USAGE.
 */
#ifndef NB_CLI_H
#define NB_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "policy.h"
#include "publish.h"

/* Exit status for bad command-line input. */
#define NB_EXIT_USAGE 2

/** nb_usage_error() - print "nsbypass: MSG" and return NB_EXIT_USAGE */
int nb_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/** cli_version() - print "nsbypass VERSION", what --version shows */
void cli_version(void);

/**
 * struct cli_command - a subcommand, as the end of its getopt loop sees it
 * @name:	what its error lines start with, after "nsbypass: " ("run")
 * @usage:	prints its help text
 * @version:	prints its version text; NULL: cli_version()
 * @unknown:	what it calls an option it does not know ("bad option")
 * @unknown_long: the same for a long option; NULL: @unknown
 * @see_help:	appended to those lines; NULL: nothing
 * @terse_missing: an option given without its value is "--x needs an
 *		argument" rather than "option '--x' needs a value"
 *
 * The wording differs between subcommands as it always did: scripts and
 * the integration tests match on it.
 */
struct cli_command {
	const char *name;
	void (*usage)(FILE *f);
	void (*version)(void);
	const char *unknown;
	const char *unknown_long;
	const char *see_help;
	bool terse_missing;
};

/**
 * cli_opt_default() - the default: of a subcommand's getopt_long() switch
 * @c:		the subcommand
 * @opt:	what getopt_long() returned, none of the subcommand's own
 *		options (its cases come first)
 * @argv:	the argv getopt_long() parses
 *
 * 'h' prints @c's help and 'V' or 'v' (slirp4netns's -v) its version,
 * both on stdout, then exit 0.  ':' (a missing value, with a leading ':'
 * in the option string) and anything else (an unknown option) print one
 * line naming the option, as getopt_long() left it in optopt or
 * argv[optind - 1].
 *
 * Return: NB_EXIT_USAGE, the subcommand's exit status
 */
int cli_opt_default(const struct cli_command *c, int opt, char **argv);

/*
 * The options several subcommands take.  Each returns 0, or
 * NB_EXIT_USAGE after one line that names the subcommand @cmd.
 */

/** cli_opt_ignore() - --ignore=@arg: one more CIDR never bypassed */
int cli_opt_ignore(const char *cmd, const char *arg, struct policy *pol);

/** cli_opt_publish() - --publish=@arg: one more published port */
int cli_opt_publish(const char *cmd, const char *arg, struct publish_table *t);

/** cli_opt_log_level() - --log-level=@arg: sets the log level */
int cli_opt_log_level(const char *cmd, const char *arg);

#endif /* NB_CLI_H */
