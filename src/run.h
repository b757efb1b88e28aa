/* SPDX-License-Identifier: Apache-2.0 */
/*
 * run.h - `nsbypass run` once its command line is parsed (cmd-run.c):
 * the command in a new rootless user and network namespace (the caller's
 * subordinate ids mapped too, unless --single-id), this
 * process its agent, the fallback network behind it, and the command's
 * exit status as ours.  See run.c.
 */
#ifndef NB_RUN_H
#define NB_RUN_H

#include <stdbool.h>

#include "fallback.h"
#include "policy.h"
#include "publish.h"

/**
 * struct run_config - what `nsbypass run` was asked for
 * @slirp:	--net=slirp (the default): what is not bypassed goes through
 *		the fallback network; false: --net=none
 * @fb_cfg:	the fallback network (--mtu, --cidr, --enable-ipv6, ...)
 * @publish:	--publish
 * @ignore_bind: --ignore-bind: published TCP ports go through slirp too
 * @single_id:	--single-id: map only the caller's uid and gid, even when
 *		it has subordinate ids (see idmap.h)
 * @no_c2c:	--no-c2c: other containers do not reach this one's published
 *		services through the service map, nor it theirs, and it
 *		stays out of the per-user registry
 */
struct run_config {
	bool slirp;
	struct fallback_config fb_cfg;
	struct publish_table publish;
	bool ignore_bind;
	bool single_id;
	bool no_c2c;
};

/** run_config_default() - nothing published, --net=slirp, its defaults */
void run_config_default(struct run_config *cfg);

/**
 * run_via_slirp() - does published port @p go through slirp rather than
 * the bind bypass?
 */
bool run_via_slirp(const struct run_config *cfg, const struct publish *p);

/**
 * run_ignore_own_subnets() - add to @pol what is the container's own and
 * is never bypassed: the fallback's subnets, or with --net=none the
 * addresses on lo for AI_ADDRCONFIG (see netns.h)
 * Return: 0, or -errno from policy_add_ignore() when @pol is full
 */
int run_ignore_own_subnets(const struct run_config *cfg, struct policy *pol);

/**
 * run_command() - run @argv (argv[0] looked up in PATH) as @cfg says,
 * bypassing what @pol allows, until it exits
 *
 * Called once per process: it forks, and the parent serves as the agent.
 * Return: the exit status for nsbypass: the command's (128 + N when
 * signal N killed it; 125, 126 or 127 when it could not be started), or
 * 1 when the agent could not start
 */
int run_command(const struct run_config *cfg, const struct policy *pol,
		char **argv);

#endif /* NB_RUN_H */
