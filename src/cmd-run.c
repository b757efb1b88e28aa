// SPDX-License-Identifier: Apache-2.0
/*
 * cmd-run.c - `nsbypass run`: run a command in a new rootless user and
 * network namespace whose TCP and UDP to the outside go through sockets
 * made in the caller's network namespace.  The command line is parsed
 * here; the rest is run.c's.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cmd.h"
#include "fallback.h"
#include "policy.h"
#include "publish.h"
#include "run.h"
#include "util.h"

static void run_usage(FILE *f)
{
	fprintf(f,
		"Usage: nsbypass run [OPTIONS] [--] CMD [ARGS...]\n"
		"\n"
		"Run CMD in a new rootless user and network namespace.  TCP and\n"
		"connected UDP to destinations outside it use sockets made in\n"
		"this network namespace, at host speed.\n"
		"\n"
		"Options:\n"
		"  --net=MODE        slirp (default): what is not bypassed goes\n"
		"                    through an embedded libslirp stack (as\n"
		"                    slirp4netns: 10.0.2.100/24, gateway 10.0.2.2,\n"
		"                    DNS 10.0.2.3); none: only bypassed traffic\n"
		"                    leaves\n"
		"  --mtu=N           MTU of the fallback network (default 65520)\n"
		"  --cidr=CIDR       IPv4 network of the fallback (default\n"
		"                    10.0.2.0/24)\n"
		"  --enable-ipv6     IPv6 on the fallback too (fd00::/64)\n"
		"  --enable-host-loopback  let the gateway address reach the\n"
		"                    host's 127.0.0.1 (off by default)\n"
		"  --ignore=CIDR     never bypass CIDR (repeatable); loopback,\n"
		"                    link-local, multicast and unspecified\n"
		"                    addresses are never bypassed in any case\n"
		"  --host-subnets=MODE  which of the container's own subnets\n"
		"                    are the host's, copied in by pasta: auto\n"
		"                    (default: those the host has too, with an\n"
		"                    address or gateway in common), none, or\n"
		"                    all.  Peers on them are bypassed; the\n"
		"                    container's own addresses and its gateways\n"
		"                    (pasta's host) are not\n"
		"  -p, --publish=[HOSTIP:]HOSTPORT:CONTAINERPORT[/tcp|/udp]\n"
		"                    publish a container port on the host\n"
		"                    (repeatable; HOSTIP default 0.0.0.0, an IPv6\n"
		"                    one in brackets).  TCP: the container's\n"
		"                    bind() of the port takes the host port\n"
		"                    (host speed).  UDP: forwarded through slirp\n"
		"  --ignore-bind     forward TCP ports through slirp too\n"
		"  --single-id       map only your uid and gid (to root), as\n"
		"                    `unshare -r` does.  By default your\n"
		"                    subordinate ids (/etc/subuid, /etc/subgid)\n"
		"                    are mapped from 1 on too, with newuidmap and\n"
		"                    newgidmap, as rootless podman does\n"
		"  --no-c2c          other nsbypass runs of this user do not\n"
		"                    reach this container's published ports by\n"
		"                    its address, nor it theirs (they do by\n"
		"                    default, given distinct --cidr)\n"
		"  --log-level=LVL   error, warn (default), info or debug\n"
		"  -h, --help        show this help\n"
		"  --version         show the version\n");
}

static const struct cli_command run_cli = {
	.name = "run",
	.usage = run_usage,
	.unknown = "bad option",
};

static int parse_run_args(int argc, char **argv, struct run_config *cfg,
			  struct policy *pol, int *ret_optind)
{
	static const struct option opts[] = {
		{ "net", required_argument, NULL, 'n' },
		{ "mtu", required_argument, NULL, 'm' },
		{ "cidr", required_argument, NULL, 'c' },
		{ "enable-ipv6", no_argument, NULL, '6' },
		{ "enable-host-loopback", no_argument, NULL, 'L' },
		{ "disable-host-loopback", no_argument, NULL, 'D' },
		{ "ignore", required_argument, NULL, 'i' },
		{ "host-subnets", required_argument, NULL, 'H' },
		{ "publish", required_argument, NULL, 'p' },
		{ "ignore-bind", no_argument, NULL, 'B' },
		{ "single-id", no_argument, NULL, 'S' },
		{ "no-c2c", no_argument, NULL, 'C' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	int o, v, r;

	optind = 1;
	opterr = 0;
	while ((o = getopt_long(argc, argv, "+hp:", opts, NULL)) != -1) {
		switch (o) {
		case 'n':
			if (strcmp(optarg, "none") == 0)
				cfg->slirp = false;
			else if (strcmp(optarg, "slirp") == 0)
				cfg->slirp = true;
			else
				return nb_usage_error(
					"run: --net=%s: want 'slirp' or 'none'",
					optarg);
			break;
		case 'm':
			if (parse_int(optarg, 576, 65521, &v) < 0)
				return nb_usage_error(
					"run: --mtu=%s: want a number from 576 to 65521",
					optarg);
			cfg->fb_cfg.mtu = (unsigned int)v;
			break;
		case 'c':
			if (fallback_config_set_cidr(&cfg->fb_cfg, optarg) < 0)
				return nb_usage_error(
					"run: --cidr=%s: want an IPv4 network of prefix 1 to 25",
					optarg);
			break;
		case '6':
			cfg->fb_cfg.enable_ipv6 = true;
			break;
		case 'L':
			cfg->fb_cfg.enable_host_loopback = true;
			break;
		case 'D':
			cfg->fb_cfg.enable_host_loopback = false;
			break;
		case 'i':
			r = cli_opt_ignore("run", optarg, pol);
			if (r)
				return r;
			break;
		case 'H':
			if (policy_parse_mirrored(optarg, &pol->mirrored_mode) <
			    0)
				return nb_usage_error(
					"run: --host-subnets=%s: want 'auto', 'none' or 'all'",
					optarg);
			break;
		case 'p':
			r = cli_opt_publish("run", optarg, &cfg->publish);
			if (r)
				return r;
			break;
		case 'B':
			cfg->ignore_bind = true;
			break;
		case 'S':
			cfg->single_id = true;
			break;
		case 'C':
			cfg->no_c2c = true;
			break;
		case 'l':
			r = cli_opt_log_level("run", optarg);
			if (r)
				return r;
			break;
		default:
			return cli_opt_default(&run_cli, o, argv);
		}
	}
	if (optind >= argc)
		return nb_usage_error(
			"run: no command given (see 'nsbypass run --help')");
	for (size_t i = 0; i < cfg->publish.n && !cfg->slirp; i++) {
		char spec[PUBLISH_SPEC_MAX];

		if (run_via_slirp(cfg, &cfg->publish.p[i]))
			return nb_usage_error(
				"run: --publish=%s goes through slirp: not with --net=none",
				publish_to_string(&cfg->publish.p[i], spec));
	}
	if (run_ignore_own_subnets(cfg, pol) < 0)
		return nb_usage_error("run: too many --ignore (at most %d)",
				      POLICY_LIST_MAX);
	*ret_optind = optind;
	return 0;
}

int nb_cmd_run(int argc, char **argv)
{
	static struct run_config cfg;
	static struct policy pol;
	int r, first = 0;

	policy_init(&pol);
	run_config_default(&cfg);
	r = parse_run_args(argc, argv, &cfg, &pol, &first);
	if (r)
		return r;
	return run_command(&cfg, &pol, argv + first);
}
