/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cli.h - the options that several subcommands take, parsed and
 * reported alike: --ignore, --publish, --log-level.
 *
 * Each returns 0, or the usage exit status after printing one line that
 * names the subcommand @cmd (see nb_usage_error()).
 */
#ifndef NB_CLI_H
#define NB_CLI_H

#include "policy.h"
#include "publish.h"

/** cli_opt_ignore() - --ignore=@arg: one more CIDR never bypassed */
int cli_opt_ignore(const char *cmd, const char *arg, struct policy *pol);

/** cli_opt_publish() - --publish=@arg: one more published port */
int cli_opt_publish(const char *cmd, const char *arg, struct publish_table *t);

/** cli_opt_log_level() - --log-level=@arg: sets the log level */
int cli_opt_log_level(const char *cmd, const char *arg);

#endif /* NB_CLI_H */
