// SPDX-License-Identifier: Apache-2.0
/*
 * cli.c - see cli.h.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>

#include "cli.h"
#include "config.h"
#include "log.h"

int nb_usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("nsbypass: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return NB_EXIT_USAGE;
}

void cli_version(void)
{
	printf("nsbypass %s\n", NB_VERSION);
}

int cli_opt_default(const struct cli_command *c, int opt, char **argv)
{
	const char *see = c->see_help ? c->see_help : "";

	switch (opt) {
	case 'h':
		c->usage(stdout);
		exit(0);
	case 'V':
	case 'v':
		if (c->version)
			c->version();
		else
			cli_version();
		exit(0);
	case ':':
		if (c->terse_missing)
			return nb_usage_error("%s: %s needs an argument",
					      c->name, argv[optind - 1]);
		return nb_usage_error("%s: option '%s' needs a value", c->name,
				      argv[optind - 1]);
	}
	/* A short option is in optopt; a long one only in argv. */
	if (optopt)
		return nb_usage_error("%s: %s '-%c'%s", c->name, c->unknown,
				      optopt, see);
	return nb_usage_error("%s: %s '%s'%s", c->name,
			      c->unknown_long ? c->unknown_long : c->unknown,
			      argv[optind - 1], see);
}

int cli_opt_ignore(const char *cmd, const char *arg, struct policy *pol)
{
	struct cidr c;

	if (cidr_parse(arg, &c) < 0)
		return nb_usage_error(
			"%s: --ignore=%s: not an IPv4 or IPv6 CIDR", cmd, arg);
	if (policy_add_ignore(pol, &c) < 0)
		return nb_usage_error("%s: too many --ignore (at most %d)", cmd,
				      POLICY_LIST_MAX);
	return 0;
}

int cli_opt_publish(const char *cmd, const char *arg, struct publish_table *t)
{
	struct publish p;
	int r;

	if (publish_parse(arg, &p) < 0)
		return nb_usage_error(
			"%s: --publish=%s: want [HOSTIP:]HOSTPORT:CONTAINERPORT[/tcp|/udp]",
			cmd, arg);
	r = publish_add(t, &p);
	if (r == -EEXIST)
		return nb_usage_error(
			"%s: --publish=%s: that host port is published twice",
			cmd, arg);
	if (r < 0)
		return nb_usage_error("%s: too many --publish (at most %d)",
				      cmd, PUBLISH_MAX);
	return 0;
}

int cli_opt_log_level(const char *cmd, const char *arg)
{
	if (log_level_parse(arg, &log_max_level) < 0)
		return nb_usage_error(
			"%s: --log-level=%s: want error, warn, info or debug",
			cmd, arg);
	return 0;
}
