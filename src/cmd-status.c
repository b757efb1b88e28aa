// SPDX-License-Identifier: Apache-2.0
/*
 * cmd-status.c - `nsbypass status`: what the running `nsbypass oci`
 * serves on its control socket (`GET /status`, oci-control.c), as a
 * table (status-table.c) or as the daemon's JSON.  libcurl speaks the
 * HTTP, over the unix socket (CURLOPT_UNIX_SOCKET_PATH), loaded when the
 * command runs (curl-dl.h says why).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cmd.h"
#include "curl-dl.h"
#include "oci-control.h"
#include "status-table.h"
#include "util.h"

/* A status larger than this is not one (1 MiB: some thousands of
 * containers). */
#define STATUS_MAX (1024 * 1024)
/* The daemon answers from memory: it is not there if it takes this. */
#define STATUS_TIMEOUT_MS 10000

static void status_usage(FILE *f)
{
	fprintf(f,
		"Usage: nsbypass status [--socket PATH] [--json]\n"
		"\n"
		"Show the containers the running `nsbypass oci` serves, one row\n"
		"each: agent pid, uptime, agent restarts, connects switched to\n"
		"the host, kept in the container and refused, binds published,\n"
		"connects served by a published service, notifications in\n"
		"flight, notification latency p50/p99 (the upper bound of the\n"
		"histogram bucket it falls in) and answers by errno.  With\n"
		"--cluster, one line more: the node and how it fares with\n"
		"etcd.\n"
		"\n"
		"Options:\n"
		"  --socket=PATH     the daemon's control socket; default:\n"
		"                    $XDG_RUNTIME_DIR/nsbypass/oci.sock.control\n"
		"                    (the --control of `nsbypass oci`)\n"
		"  --json            print the daemon's JSON instead\n"
		"  -h, --help        show this help\n"
		"  --version         show the version\n");
}

static const struct cli_command status_cli = {
	.name = "status",
	.usage = status_usage,
	.unknown = "bad option",
};

struct body {
	char *buf;
	size_t len;
	bool too_large;
};

/* implements curl's CURLOPT_WRITEFUNCTION */
static size_t on_data(char *p, size_t size, size_t n, void *opaque)
{
	struct body *b = opaque;
	char *nb;

	n *= size;
	if (n > STATUS_MAX - b->len) {
		b->too_large = true;
		return 0;
	}
	nb = realloc(b->buf, b->len + n + 1);
	if (!nb)
		return 0;
	memcpy(nb + b->len, p, n);
	b->buf = nb;
	b->len += n;
	b->buf[b->len] = '\0';
	return n;
}

/* GET /status on @path into @b.  Return: 0, or 1 after one line. */
static int fetch_status(const char *path, struct body *b)
{
	char err[CURL_ERROR_SIZE] = "";
	long code = 0, os_errno = 0;
	struct curl_dl cu;
	CURLcode r;
	CURL *c;

	if (curl_dl_open(&cu, err, sizeof(err)) < 0) {
		fprintf(stderr, "nsbypass: status: cannot load libcurl: %s\n",
			err);
		return 1;
	}
	if (cu.global_init(CURL_GLOBAL_NOTHING) != CURLE_OK ||
	    !(c = cu.easy_init())) {
		fprintf(stderr, "nsbypass: status: cannot start libcurl\n");
		curl_dl_close(&cu);
		return 1;
	}
	cu.easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, path);
	/* The host is not looked up: the socket is the address. */
	cu.easy_setopt(c, CURLOPT_URL, "http://localhost/status");
	cu.easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	cu.easy_setopt(c, CURLOPT_WRITEDATA, b);
	cu.easy_setopt(c, CURLOPT_ERRORBUFFER, err);
	cu.easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)STATUS_TIMEOUT_MS);
	cu.easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	r = cu.easy_perform(c);
	cu.easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	cu.easy_getinfo(c, CURLINFO_OS_ERRNO, &os_errno);
	cu.easy_cleanup(c);
	/* The words of a failure, while the library is still loaded. */
	if (r != CURLE_OK && !err[0])
		snprintf(err, sizeof(err), "%s", cu.easy_strerror(r));
	cu.global_cleanup();
	curl_dl_close(&cu);
	/* curl's own words name a TCP port: the errno says it better. */
	if (r == CURLE_COULDNT_CONNECT) {
		fprintf(stderr, "nsbypass: no nsbypass oci at %s: %s\n", path,
			os_errno ? strerror((int)os_errno) : err);
		return 1;
	}
	if (b->too_large) {
		fprintf(stderr,
			"nsbypass: status: %s sent more than %d bytes\n", path,
			STATUS_MAX);
		return 1;
	}
	if (r != CURLE_OK) {
		fprintf(stderr, "nsbypass: status: %s: %s\n", path, err);
		return 1;
	}
	if (code != 200) {
		fprintf(stderr,
			"nsbypass: status: %s answered %ld: not nsbypass oci "
			"(an older one?)\n",
			path, code);
		return 1;
	}
	return 0;
}

int nb_cmd_status(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	_cleanup_free_ char *def = NULL;
	const char *path = NULL, *rt;
	struct body b = { 0 };
	char err[128];
	bool json = false;
	char *table;
	int o, r;

	optind = 1;
	opterr = 0;
	while ((o = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (o) {
		case 's':
			path = optarg;
			break;
		case 'j':
			json = true;
			break;
		default:
			return cli_opt_default(&status_cli, o, argv);
		}
	}
	if (optind < argc)
		return nb_usage_error("status: unexpected argument '%s'",
				      argv[optind]);
	if (!path) {
		rt = getenv("XDG_RUNTIME_DIR");
		if (!rt || !*rt)
			return nb_usage_error(
				"status: XDG_RUNTIME_DIR is not set: give "
				"--socket=PATH");
		if (asprintf(&def, "%s/nsbypass/oci.sock%s", rt,
			     OCI_CONTROL_SUFFIX) < 0)
			return 1;
		path = def;
	}
	r = fetch_status(path, &b);
	if (r == 0 && json) {
		fputs(b.buf ? b.buf : "", stdout);
	} else if (r == 0) {
		table = status_table(b.buf ? b.buf : "", b.len, err,
				     sizeof(err));
		if (table)
			fputs(table, stdout);
		else
			fprintf(stderr, "nsbypass: status: %s: %s\n", path,
				err);
		r = table ? 0 : 1;
		free(table);
	}
	free(b.buf);
	return r;
}
