/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd-opts.h - the options that several subcommands take, parsed and
 * reported alike: --ignore, --publish, --log-level.
 *
 * Each returns 0, or the usage exit status after printing one line that
 * names the subcommand @cmd (see nb_usage_error()).
 */
#ifndef NB_CMD_OPTS_H
#define NB_CMD_OPTS_H

#include "policy.h"
#include "publish.h"

/** cmd_opt_ignore() - --ignore=@arg: one more CIDR never bypassed */
int cmd_opt_ignore(const char *cmd, const char *arg, struct policy *pol);

/** cmd_opt_publish() - --publish=@arg: one more published port */
int cmd_opt_publish(const char *cmd, const char *arg, struct publish_table *t);

/** cmd_opt_log_level() - --log-level=@arg: sets the log level */
int cmd_opt_log_level(const char *cmd, const char *arg);

#endif /* NB_CMD_OPTS_H */
