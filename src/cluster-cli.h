/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cluster-cli.h - the --cluster options of `nsbypass oci` (and of
 * `nsbypass daemon`, which passes them on), docs/design.md §6.8.
 */
#ifndef NB_CLUSTER_CLI_H
#define NB_CLUSTER_CLI_H

#include <getopt.h>
#include <stdbool.h>

#include "cluster-proc.h"

/* getopt_long() values of the options, above every short option. */
enum {
	CLUSTER_OPT_URLS = 0x4000,
	CLUSTER_OPT_NODE_ADDRESS,
	CLUSTER_OPT_NODE_NAME,
	CLUSTER_OPT_SUBNETS,
	CLUSTER_OPT_TTL,
	CLUSTER_OPT_PREFIX,
	CLUSTER_OPT_CACERT,
	CLUSTER_OPT_CERT,
	CLUSTER_OPT_KEY,
};

/* The options' table rows, for a command's getopt_long() table. */
#define CLUSTER_CLI_OPTIONS                                                    \
	{ "cluster", required_argument, NULL, CLUSTER_OPT_URLS },              \
		{ "node-address", required_argument, NULL,                     \
		  CLUSTER_OPT_NODE_ADDRESS },                                  \
		{ "node-name", required_argument, NULL,                        \
		  CLUSTER_OPT_NODE_NAME },                                     \
		{ "cluster-subnets", required_argument, NULL,                  \
		  CLUSTER_OPT_SUBNETS },                                       \
		{ "cluster-ttl", required_argument, NULL, CLUSTER_OPT_TTL },   \
		{ "cluster-prefix", required_argument, NULL,                   \
		  CLUSTER_OPT_PREFIX },                                        \
		{ "cluster-cacert", required_argument, NULL,                   \
		  CLUSTER_OPT_CACERT },                                        \
		{ "cluster-cert", required_argument, NULL, CLUSTER_OPT_CERT }, \
	{                                                                      \
		"cluster-key", required_argument, NULL, CLUSTER_OPT_KEY        \
	}

/* The help text's lines of the options. */
#define CLUSTER_CLI_HELP                                                       \
	"  --cluster=URL[,URL...]  share published services with other\n"      \
	"                    nodes through etcd (its v3 gateway, http:// or\n" \
	"                    https://); needs --node-address\n"                \
	"  --node-address=IP this node's address other nodes reach its\n"      \
	"                    host listeners at (repeatable: IPv4, IPv6)\n"     \
	"  --node-name=NAME  this node in etcd's keys (default: hostname)\n"   \
	"  --cluster-subnets=CIDR[,CIDR...]  the container addresses that\n"   \
	"                    are cluster-wide (default: every one)\n"          \
	"  --cluster-ttl=S   the lease of this node's keys (default 15)\n"     \
	"  --cluster-prefix=P  etcd's key prefix (default nsbypass/v1/)\n"     \
	"  --cluster-cacert=F, --cluster-cert=F, --cluster-key=F  TLS with\n"  \
	"                    etcd: its CA, our certificate and key (PEM)\n"

/** cluster_cli_init() - no cluster, the defaults */
void cluster_cli_init(struct cluster_opts *o);

/**
 * cluster_cli_option() - take option @id's @arg (kept: pointers to it are
 * stored, and a --cluster list is cut up in place)
 * @cmd:	the command, for error lines ("oci")
 * Return: 0, or nb_usage_error()'s status after one line on stderr
 */
int cluster_cli_option(struct cluster_opts *o, int id, char *arg,
		       const char *cmd);

/**
 * cluster_cli_finish() - check the options together and fill in what
 * was not given: the node's name (the host's), the writer (from @listen,
 * so that a restarted daemon writes the same keys)
 * Return: 0, or nb_usage_error()'s status
 */
int cluster_cli_finish(struct cluster_opts *o, const char *listen,
		       const char *cmd);

/*
 * What `nsbypass daemon` passes on to each `nsbypass oci` it starts: the
 * --cluster options it was given, and bypass4netnsd's spellings of them
 * (--multinode=true --multinode-etcd-address=URL
 * --multinode-host-address=IP), each checked as `nsbypass oci` would.
 */
#define CLUSTER_CLI_PASS_MAX 64

struct cluster_cli_pass {
	struct cluster_opts check; /* the options, as `nsbypass oci` sees them */
	char *copies[CLUSTER_CLI_PASS_MAX]; /* what check's pointers use */
	size_t n_copies;
	char *argv[CLUSTER_CLI_PASS_MAX]; /* "--NAME=VALUE" */
	size_t n;
	int multinode; /* -1 unset, 0 false, 1 true */
	const char *b4ns_etcd, *b4ns_host;
};

/** cluster_cli_pass_init() - nothing to pass yet */
void cluster_cli_pass_init(struct cluster_cli_pass *p);

/**
 * cluster_cli_pass_option() - one option of the daemon's command line:
 * option @id (CLUSTER_OPT_*) named @name, or one of bypass4netnsd's
 * (@name "multinode", "multinode-etcd-address", "multinode-host-address")
 * Return: 0, or nb_usage_error()'s status
 */
int cluster_cli_pass_option(struct cluster_cli_pass *p, int id,
			    const char *name, const char *arg);

/**
 * cluster_cli_pass_finish() - check them together (@listen: any path, the
 * children's differ) and make the arguments
 * Return: 0, or nb_usage_error()'s status
 */
int cluster_cli_pass_finish(struct cluster_cli_pass *p, const char *listen);

/** cluster_cli_pass_free() - free what @p holds */
void cluster_cli_pass_free(struct cluster_cli_pass *p);

/** cluster_cli_on() - was --cluster given? */
static inline bool cluster_cli_on(const struct cluster_opts *o)
{
	return o->n_endpoints > 0;
}

#endif /* NB_CLUSTER_CLI_H */
