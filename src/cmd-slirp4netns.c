// SPDX-License-Identifier: Apache-2.0
/*
 * cmd-slirp4netns.c - `nsbypass slirp4netns`, also run as "slirp4netns"
 * through a symlink: a drop-in for slirp4netns, as rootlesskit
 * (--slirp4netns-binary) and podman (network_cmd_path) start it.
 *
 *   slirp4netns [OPTIONS] PID|PATH [TAPNAME]
 *
 * The command line is parsed here, as slirp4netns parses it; the rest is
 * s4n.c's.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <seccomp.h>
#include <slirp/libslirp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cmd.h"
#include "config.h"
#include "fallback.h"
#include "log.h"
#include "macaddr.h"
#include "nsagent-client.h"
#include "s4n-options.h"
#include "s4n.h"
#include "util.h"

/* The slirp4netns release whose command line and API this mode follows. */
#define S4N_COMPAT_VERSION "1.2.0"
#define S4N_MTU_MIN 68
#define S4N_MTU_MAX 65521 /* slirp4netns's maximum */
#define S4N_MTU_MIN_IPV6 1280

/*
 * rootlesskit and podman find out what the binary supports by searching
 * this text for option names: every option they may pass is spelled out.
 */
static void s4n_usage(FILE *f)
{
	fprintf(f,
		"Usage: slirp4netns [OPTION]... PID|PATH [TAPNAME]\n"
		"User-mode networking for unprivileged network namespaces "
		"(nsbypass's\nslirp4netns-compatible mode; TAPNAME defaults "
		"to tap0).\n"
		"\n"
		"-c, --configure          create and configure TAPNAME (address "
		".100, default\n"
		"                         route via .2, MTU, lo up); without it "
		"TAPNAME is\n"
		"                         used as it is\n"
		"-e, --exit-fd=FD         exit when FD is readable or hangs up\n"
		"-r, --ready-fd=FD        write \"1\" to FD and close it once "
		"the network runs\n"
		"-m, --mtu=MTU            MTU (default=1500, max=65521)\n"
		"-6, --enable-ipv6        IPv6 too: fd00::/64, gateway fd00::2, "
		"DNS fd00::3\n"
		"-a, --api-socket=PATH    serve the JSON API (add_hostfwd, "
		"list_hostfwd,\n"
		"                         remove_hostfwd) on a unix socket at PATH\n"
		"--cidr=CIDR              IPv4 network (default=10.0.2.0/24)\n"
		"--disable-host-loopback  prohibit connecting to 127.0.0.1:* on "
		"the host\n"
		"                         through the gateway\n"
		"--netns-type=TYPE        PID or PATH names the network namespace "
		"([pid|path],\n"
		"                         default=pid)\n"
		"--userns-path=PATH       the user namespace to join (default: "
		"the PID's,\n"
		"                         none for --netns-type=path)\n"
		"--enable-sandbox         confine the slirp process: an empty "
		"root of its own\n"
		"                         (new mount namespace), no "
		"capabilities but\n"
		"                         CAP_NET_BIND_SERVICE\n"
		"--enable-seccomp         confine the slirp process with a "
		"seccomp allow-list\n"
		"--outbound-addr=IPv4     bind the host sockets slirp opens to "
		"this address\n"
		"                         (or to the IPv4 address of this "
		"interface)\n"
		"--outbound-addr6=IPv6    the same for IPv6\n"
		"--disable-dns            no DNS forwarder on 10.0.2.3 (or "
		"the --cidr's .3)\n"
		"--macaddress=MAC         the tap's MAC address (only valid "
		"with -c)\n"
		"-h, --help               show this help and exit\n"
		"-v, --version            show version and exit\n");
}

static void s4n_version(void)
{
	unsigned int maj = 0, min = 0, mic = 0;
	const struct scmp_version *v = seccomp_version();

	if (v) {
		maj = v->major;
		min = v->minor;
		mic = v->micro;
	}
	/* Tools that show or compare the version read the first line. */
	printf("slirp4netns version %s+nsbypass.%s\n"
	       "nsbypass: %s (slirp4netns-compatible mode)\n"
	       "libslirp: %s\n"
	       "SLIRP_CONFIG_VERSION_MAX: %d\n"
	       "libseccomp: %u.%u.%u\n",
	       S4N_COMPAT_VERSION, NB_VERSION, NB_VERSION,
	       slirp_version_string(), SLIRP_CONFIG_VERSION_MAX, maj, min, mic);
}

static const struct cli_command s4n_cli = {
	.name = "slirp4netns",
	.usage = s4n_usage,
	.version = s4n_version,
	.unknown = "unknown option",
	.unknown_long = "unknown or unsupported option",
};

/* A file descriptor argument: a number, and open. */
static int parse_fd(const char *opt, const char *s, int *ret)
{
	int fd;

	if (parse_int(s, 0, INT_MAX, &fd) < 0)
		return nb_usage_error("slirp4netns: %s=%s: not a file descriptor "
				      "number",
				      opt, s);
	if (fcntl(fd, F_GETFD) < 0)
		return nb_usage_error("slirp4netns: %s=%s: not an open file "
				      "descriptor",
				      opt, s);
	*ret = fd;
	return 0;
}

static int parse_positional(int argc, char **argv, struct s4n_args *a)
{
	int pid;

	if (argc < 1)
		return nb_usage_error("slirp4netns: no PID or PATH given (see "
				      "'slirp4netns --help')");
	/* slirp4netns warns and goes on, "for preventing potential
	 * compatibility issue" (its words). */
	if (argc > 2)
		log_warn("too many arguments: '%s'%s ignored", argv[2],
			 argc > 3 ? " and what follows" : "");
	a->target = argv[0];
	a->tap = argc == 2 ? argv[1] : "tap0";
	if (a->netns_type_path) {
		if (!*a->target)
			return nb_usage_error("slirp4netns: empty PATH");
		return 0;
	}
	if (parse_int(a->target, 1, INT_MAX, &pid) < 0)
		return nb_usage_error("slirp4netns: '%s' is not a PID (use "
				      "--netns-type=path for a path)",
				      a->target);
	a->pid = pid;
	snprintf(a->netns_file, sizeof(a->netns_file), "/proc/%d/ns/net", pid);
	snprintf(a->userns_file, sizeof(a->userns_file), "/proc/%d/ns/user",
		 pid);
	return 0;
}

/* Is @name a device name nsagent accepts (and the kernel too)? */
static bool tap_name_ok(const char *name)
{
	char msg[NSAGENT_TAP_NAME_SIZE + 8], out[NSAGENT_TAP_NAME_SIZE];
	int n = snprintf(msg, sizeof(msg), "tap %s\n", name);

	return n > 0 && (size_t)n < sizeof(msg) &&
	       nsagent_parse_tap(msg, (size_t)n, out) == 0;
}

/* --cidr, refused with slirp4netns's words. */
static int parse_cidr(const char *s, struct fallback_config *cfg, char *err,
		      size_t size)
{
	struct in_addr net;
	unsigned int prefix;

	if (s4n_parse_cidr(s, &net, &prefix, err, size) < 0 ||
	    fallback_config_set_cidr(cfg, s) < 0)
		return nb_usage_error("slirp4netns: --cidr=%s: %s", s, err);
	return 0;
}

/* --outbound-addr (@family AF_INET) or --outbound-addr6 (AF_INET6). */
static int parse_outbound(const char *s, int family,
			  struct fallback_config *cfg)
{
	bool v4 = family == AF_INET;
	void *addr = v4 ? (void *)&cfg->outbound.sin_addr :
			  (void *)&cfg->outbound6.sin6_addr;
	int r = s4n_outbound_addr(s, family, addr);

	if (r < 0)
		return nb_usage_error("slirp4netns: --outbound-addr%s=%s: "
				      "outbound-addr%s has to be valid ipv%c "
				      "address or interface name%s",
				      v4 ? "" : "6", s, v4 ? "" : "6",
				      v4 ? '4' : '6',
				      r == -EINVAL ?
					      "" :
					      " (cannot list interfaces)");
	if (v4)
		cfg->outbound.sin_family = AF_INET;
	else
		cfg->outbound6.sin6_family = AF_INET6;
	return 0;
}

static int parse_args(int argc, char **argv, struct s4n_args *a)
{
	enum {
		OPT_CIDR = 0x100,
		OPT_NO_HOST_LOOPBACK,
		OPT_NETNS_TYPE,
		OPT_USERNS_PATH,
		OPT_SANDBOX,
		OPT_SECCOMP,
		OPT_OUTBOUND,
		OPT_OUTBOUND6,
		OPT_NO_DNS,
		OPT_MAC,
	};
	static const struct option opts[] = {
		{ "configure", no_argument, NULL, 'c' },
		{ "exit-fd", required_argument, NULL, 'e' },
		{ "ready-fd", required_argument, NULL, 'r' },
		{ "mtu", required_argument, NULL, 'm' },
		{ "enable-ipv6", no_argument, NULL, '6' },
		{ "api-socket", required_argument, NULL, 'a' },
		{ "cidr", required_argument, NULL, OPT_CIDR },
		{ "disable-host-loopback", no_argument, NULL,
		  OPT_NO_HOST_LOOPBACK },
		{ "netns-type", required_argument, NULL, OPT_NETNS_TYPE },
		{ "userns-path", required_argument, NULL, OPT_USERNS_PATH },
		{ "enable-sandbox", no_argument, NULL, OPT_SANDBOX },
		{ "enable-seccomp", no_argument, NULL, OPT_SECCOMP },
		{ "outbound-addr", required_argument, NULL, OPT_OUTBOUND },
		{ "outbound-addr6", required_argument, NULL, OPT_OUTBOUND6 },
		{ "disable-dns", no_argument, NULL, OPT_NO_DNS },
		{ "macaddress", required_argument, NULL, OPT_MAC },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'v' },
		{ 0 },
	};
	const char *mac = NULL;
	char err[128];
	int o, v, r;

	memset(a, 0, sizeof(*a));
	a->exit_fd = a->ready_fd = -1;
	fallback_config_default(&a->cfg);
	/* slirp4netns's defaults, not `nsbypass run`'s. */
	a->cfg.mtu = 1500;
	a->cfg.enable_host_loopback = true;
	optind = 1;
	opterr = 0;
	while ((o = getopt_long(argc, argv, ":ce:r:m:6a:hv", opts, NULL)) !=
	       -1) {
		switch (o) {
		case 'c':
			a->configure = true;
			break;
		case 'e':
			r = parse_fd("--exit-fd", optarg, &a->exit_fd);
			if (r)
				return r;
			break;
		case 'r':
			r = parse_fd("--ready-fd", optarg, &a->ready_fd);
			if (r)
				return r;
			break;
		case 'm':
			if (parse_int(optarg, S4N_MTU_MIN, S4N_MTU_MAX, &v) < 0)
				return nb_usage_error(
					"slirp4netns: --mtu=%s: want a number from %d to %d",
					optarg, S4N_MTU_MIN, S4N_MTU_MAX);
			a->cfg.mtu = (unsigned int)v;
			break;
		case '6':
			a->cfg.enable_ipv6 = true;
			break;
		case 'a':
			if (!*optarg)
				return nb_usage_error(
					"slirp4netns: --api-socket: empty path");
			a->api_socket = optarg;
			break;
		case OPT_CIDR:
			r = parse_cidr(optarg, &a->cfg, err, sizeof(err));
			if (r)
				return r;
			break;
		case OPT_NO_HOST_LOOPBACK:
			a->cfg.enable_host_loopback = false;
			break;
		case OPT_NETNS_TYPE:
			if (strcmp(optarg, "path") == 0)
				a->netns_type_path = true;
			else if (strcmp(optarg, "pid") == 0)
				a->netns_type_path = false;
			else
				return nb_usage_error(
					"slirp4netns: --netns-type=%s: want 'pid' or 'path'",
					optarg);
			break;
		case OPT_USERNS_PATH:
			if (!*optarg)
				return nb_usage_error(
					"slirp4netns: --userns-path: empty path");
			a->userns_path = optarg;
			break;
		case OPT_SANDBOX:
			a->enable_sandbox = true;
			break;
		case OPT_SECCOMP:
			a->enable_seccomp = true;
			break;
		case OPT_OUTBOUND:
			r = parse_outbound(optarg, AF_INET, &a->cfg);
			if (r)
				return r;
			break;
		case OPT_OUTBOUND6:
			r = parse_outbound(optarg, AF_INET6, &a->cfg);
			if (r)
				return r;
			break;
		case OPT_NO_DNS:
			a->cfg.disable_dns = true;
			break;
		case OPT_MAC:
			if (macaddr_parse(optarg, a->mac) < 0)
				return nb_usage_error(
					"slirp4netns: --macaddress=%s: macaddress has to be a valid MAC address (hex string, 6 bytes, each byte separated by a ':'), and unicast",
					optarg);
			a->has_mac = true;
			mac = optarg;
			break;
		default:
			return cli_opt_default(&s4n_cli, o, argv);
		}
	}
	if (mac && !a->configure)
		return nb_usage_error("slirp4netns: --macaddress=%s: --macaddr "
				      "cannot be specified when --configure or "
				      "-c is not specified",
				      mac);
	r = parse_positional(argc - optind, argv + optind, a);
	if (r)
		return r;
	if (!tap_name_ok(a->tap))
		return nb_usage_error(
			"slirp4netns: '%s' is not a valid device "
			"name (1 to %d characters, no '/', ':' or blanks)",
			a->tap, NSAGENT_TAP_NAME_SIZE - 1);
	if (a->exit_fd >= 0 && a->exit_fd == a->ready_fd)
		return nb_usage_error("slirp4netns: --exit-fd and --ready-fd "
				      "must differ");
	if (a->cfg.enable_ipv6 && a->cfg.mtu < S4N_MTU_MIN_IPV6)
		return nb_usage_error("slirp4netns: --enable-ipv6 needs --mtu %d "
				      "or more",
				      S4N_MTU_MIN_IPV6);
	return 0;
}

int nb_cmd_slirp4netns(int argc, char **argv)
{
	const char *level = getenv("NSBYPASS_LOG_LEVEL");
	struct s4n_args a;
	int r;

	/* slirp4netns has no such option: the environment carries it. */
	if (level && log_level_parse(level, &log_max_level) < 0)
		log_warn("NSBYPASS_LOG_LEVEL=%s: want error, warn, info or "
			 "debug, ignoring",
			 level);
	r = parse_args(argc, argv, &a);
	if (r)
		return r;
	return s4n_run(&a);
}
