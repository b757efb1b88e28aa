// SPDX-License-Identifier: Apache-2.0
/*
 * cluster-cli.c - the --cluster options (see cluster-cli.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <strings.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cluster-cli.h"
#include "util.h"

#define DEFAULT_PREFIX "nsbypass/v1/"

void cluster_cli_init(struct cluster_opts *o)
{
	memset(o, 0, sizeof(*o));
	snprintf(o->cfg.prefix, sizeof(o->cfg.prefix), "%s", DEFAULT_PREFIX);
	o->ttl = CLUSTER_TTL_DEFAULT;
}

static int node_address(struct cluster_opts *o, const char *arg,
			const char *cmd)
{
	struct service_addr a = { 0 };

	if (inet_pton(AF_INET, arg, a.a) == 1)
		a.family = AF_INET;
	else if (inet_pton(AF_INET6, arg, a.a) == 1)
		a.family = AF_INET6;
	else
		return nb_usage_error("%s: --node-address=%s: not an IP "
				      "address",
				      cmd, arg);
	/* 0.0.0.0/8 too: "this network", no host's address. */
	if (!cluster_addr_routable(&a) || (a.family == AF_INET && a.a[0] == 0))
		return nb_usage_error("%s: --node-address=%s: not an address "
				      "other nodes can reach (loopback, "
				      "unspecified, link-local, multicast)",
				      cmd, arg);
	if (o->cfg.n_node_addrs == CLUSTER_NODE_ADDRS_MAX)
		return nb_usage_error("%s: more than %d --node-address", cmd,
				      CLUSTER_NODE_ADDRS_MAX);
	o->cfg.node_addrs[o->cfg.n_node_addrs++] = a;
	return 0;
}

static int subnets(struct cluster_opts *o, char *arg, const char *cmd)
{
	char *save = NULL;

	for (char *s = strtok_r(arg, ",", &save); s;
	     s = strtok_r(NULL, ",", &save)) {
		if (o->cfg.n_subnets == ARRAY_SIZE(o->cfg.subnets))
			return nb_usage_error("%s: more than %zu "
					      "--cluster-subnets",
					      cmd, ARRAY_SIZE(o->cfg.subnets));
		if (cidr_parse(s, &o->cfg.subnets[o->cfg.n_subnets]) < 0)
			return nb_usage_error("%s: --cluster-subnets: '%s' is "
					      "not a CIDR",
					      cmd, s);
		o->cfg.n_subnets++;
	}
	return 0;
}

/* A TLS file: readable by us now, as the client will read it. */
static int tls_file(const char **slot, const char *arg, const char *name,
		    const char *cmd)
{
	if (!*arg || access(arg, R_OK) < 0)
		return nb_usage_error("%s: --%s=%s: %s", cmd, name, arg,
				      *arg ? strerror(errno) : "needs a file");
	*slot = arg;
	return 0;
}

/* A prefix of printable ASCII without spaces, ending in '/'. */
static bool prefix_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > CLUSTER_PREFIX_MAX || s[n - 1] != '/')
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] <= ' ' || s[i] > '~')
			return false;
	return true;
}

int cluster_cli_option(struct cluster_opts *o, int id, char *arg,
		       const char *cmd)
{
	char err[256];
	int v;

	switch (id) {
	case CLUSTER_OPT_URLS:
		if (cluster_opts_add_endpoints(o, arg, err, sizeof(err)) < 0)
			return nb_usage_error("%s: --cluster: %s", cmd, err);
		return 0;
	case CLUSTER_OPT_NODE_ADDRESS:
		return node_address(o, arg, cmd);
	case CLUSTER_OPT_NODE_NAME:
		if (!cluster_name_ok(arg))
			return nb_usage_error("%s: --node-name=%s: want 1 to "
					      "%d of A-Z a-z 0-9 . _ -",
					      cmd, arg, CLUSTER_NAME_MAX);
		snprintf(o->cfg.node, sizeof(o->cfg.node), "%s", arg);
		return 0;
	case CLUSTER_OPT_SUBNETS:
		return subnets(o, arg, cmd);
	case CLUSTER_OPT_TTL:
		if (parse_int(arg, 2, 3600, &v) < 0)
			return nb_usage_error("%s: --cluster-ttl=%s: want "
					      "seconds from 2 to 3600",
					      cmd, arg);
		o->ttl = v;
		return 0;
	case CLUSTER_OPT_PREFIX:
		if (!prefix_ok(arg))
			return nb_usage_error("%s: --cluster-prefix=%s: want "
					      "up to %d printable characters "
					      "ending in '/'",
					      cmd, arg, CLUSTER_PREFIX_MAX);
		snprintf(o->cfg.prefix, sizeof(o->cfg.prefix), "%s", arg);
		return 0;
	case CLUSTER_OPT_CACERT:
		return tls_file(&o->tls.cacert, arg, "cluster-cacert", cmd);
	case CLUSTER_OPT_CERT:
		return tls_file(&o->tls.cert, arg, "cluster-cert", cmd);
	case CLUSTER_OPT_KEY:
		return tls_file(&o->tls.key, arg, "cluster-key", cmd);
	default:
		return nb_usage_error("%s: bad option", cmd);
	}
}

/* FNV-1a: a short stable name of a path. */
static uint32_t fnv1a(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return h;
}

int cluster_cli_finish(struct cluster_opts *o, const char *listen,
		       const char *cmd)
{
	bool other = o->cfg.n_node_addrs || o->cfg.n_subnets || o->tls.cacert ||
		     o->tls.cert || o->tls.key || o->cfg.node[0];

	if (!cluster_cli_on(o))
		return other ? nb_usage_error("%s: the node and cluster "
					      "options need --cluster=URL",
					      cmd) :
			       0;
	if (o->cfg.n_node_addrs == 0)
		return nb_usage_error("%s: --cluster needs --node-address=IP "
				      "(where other nodes reach this one)",
				      cmd);
	if (!o->tls.cert != !o->tls.key)
		return nb_usage_error("%s: --cluster-cert and --cluster-key "
				      "go together",
				      cmd);
	if (!o->cfg.node[0]) {
		char host[256] = "";

		if (gethostname(host, sizeof(host) - 1) < 0 ||
		    !cluster_name_ok(host))
			return nb_usage_error("%s: the host name '%s' is no "
					      "node name: give --node-name",
					      cmd, host);
		snprintf(o->cfg.node, sizeof(o->cfg.node), "%s", host);
	}
	/* One writer per daemon: its uid and listener path. */
	snprintf(o->cfg.writer, sizeof(o->cfg.writer), "u%u-%08x",
		 (unsigned int)getuid(), fnv1a(listen));
	return 0;
}

void cluster_cli_pass_init(struct cluster_cli_pass *p)
{
	memset(p, 0, sizeof(*p));
	cluster_cli_init(&p->check);
	p->multinode = -1;
}

/* Keep a copy of @s for the life of @p. */
static char *keep(struct cluster_cli_pass *p, const char *s)
{
	char *c;

	if (p->n_copies == CLUSTER_CLI_PASS_MAX)
		return NULL;
	c = strdup(s);
	if (c)
		p->copies[p->n_copies++] = c;
	return c;
}

/* "--@name=@arg" for the children, checked as they will check it. */
static int pass(struct cluster_cli_pass *p, int id, const char *name,
		const char *arg)
{
	char *check = keep(p, arg), *a = NULL;
	int r;

	if (!check || p->n == CLUSTER_CLI_PASS_MAX ||
	    asprintf(&a, "--%s=%s", name, arg) < 0)
		return nb_usage_error("daemon: too many --%s options", name);
	r = cluster_cli_option(&p->check, id, check, "daemon");
	if (r) {
		free(a);
		return r;
	}
	p->argv[p->n++] = a;
	return 0;
}

/* A Go flag's boolean, as bypass4netnsd parses --multinode. */
static int go_bool(const char *s)
{
	static const char *const yes[] = { "1", "t", "true" };
	static const char *const no[] = { "0", "f", "false" };

	for (size_t i = 0; i < ARRAY_SIZE(yes); i++)
		if (strcasecmp(s, yes[i]) == 0)
			return 1;
	for (size_t i = 0; i < ARRAY_SIZE(no); i++)
		if (strcasecmp(s, no[i]) == 0)
			return 0;
	return -1;
}

int cluster_cli_pass_option(struct cluster_cli_pass *p, int id,
			    const char *name, const char *arg)
{
	if (strcmp(name, "multinode") == 0) {
		p->multinode = arg ? go_bool(arg) : 1;
		if (p->multinode < 0)
			return nb_usage_error("daemon: --multinode=%s: want "
					      "true or false",
					      arg);
		return 0;
	}
	if (strcmp(name, "multinode-etcd-address") == 0) {
		p->b4ns_etcd = keep(p, arg);
		return 0;
	}
	if (strcmp(name, "multinode-host-address") == 0) {
		p->b4ns_host = keep(p, arg);
		return 0;
	}
	return pass(p, id, name, arg);
}

int cluster_cli_pass_finish(struct cluster_cli_pass *p, const char *listen)
{
	int r;

	/* bypass4netnsd reads its two addresses only with --multinode. */
	if (p->multinode == 1) {
		if (!p->b4ns_etcd || !p->b4ns_host)
			return nb_usage_error("daemon: --multinode=true needs "
					      "--multinode-etcd-address and "
					      "--multinode-host-address");
		r = pass(p, CLUSTER_OPT_URLS, "cluster", p->b4ns_etcd);
		if (!r)
			r = pass(p, CLUSTER_OPT_NODE_ADDRESS, "node-address",
				 p->b4ns_host);
		if (r)
			return r;
	}
	return cluster_cli_finish(&p->check, listen, "daemon");
}

void cluster_cli_pass_free(struct cluster_cli_pass *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->argv[i]);
	for (size_t i = 0; i < p->n_copies; i++)
		free(p->copies[i]);
	p->n = p->n_copies = 0;
}
