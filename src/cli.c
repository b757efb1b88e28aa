// SPDX-License-Identifier: Apache-2.0
/*
 * cli.c - see cli.h.
 */
#include <errno.h>

#include "cli.h"
#include "cmd.h"
#include "log.h"

int cli_opt_ignore(const char *cmd, const char *arg, struct policy *pol)
{
	struct cidr c;

	if (cidr_parse(arg, &c) < 0)
		return nb_usage_error("%s: --ignore=%s: not an IPv4 or IPv6 CIDR",
				      cmd, arg);
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
		return nb_usage_error("%s: too many --publish (at most %d)", cmd,
				      PUBLISH_MAX);
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
