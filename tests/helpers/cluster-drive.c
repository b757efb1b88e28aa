// SPDX-License-Identifier: Apache-2.0
/*
 * cluster-drive.c - the daemon's side of nsbypass's etcd client, for
 * test-multinode-table.sh: forks the client (cluster_proc_start(), as
 * `nsbypass oci --cluster URL --node-name n1` does, writer "w1") and plays
 * many short-lived containers at it.
 *
 *   cluster-drive URL N SECONDS
 *
 * Sends N local records, namespaces 1..N, each with an address but no
 * published service (nothing of them is for the cluster), each withdrawn
 * at once, as the daemon does when a container ends; then namespace N+1
 * with an address and a service published on the host's wildcard, which
 * the client is to write into etcd.  Then it lives SECONDS, reading what
 * the client sends, and ends (the client with it).  Exit status 0, or 1
 * with a line on stderr.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>

#include "cluster-proc.h"
#include "oci-services.h"
#include "service-record.h"

static char buf[SERVICE_RECORD_TEXT_MAX + 1];

static int die(const char *what)
{
	fprintf(stderr, "cluster-drive: %s: %s\n", what, strerror(errno));
	return 1;
}

/* What the client sent meanwhile (state, remote records): read, dropped. */
static void drain(int fd)
{
	while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
}

static int send_record(int fd, uint64_t netns, bool published)
{
	static struct service_record r;
	struct sockaddr_in any = { .sin_family = AF_INET,
				   .sin_port = htons(80) };
	struct sockaddr_in host = { .sin_family = AF_INET,
				    .sin_port = htons(8080) };
	int n;

	memset(&r, 0, sizeof(r));
	r.netns = netns;
	r.c2c = true;
	r.addrs[0].family = AF_INET;
	r.addrs[0].a[0] = 10;
	r.addrs[0].a[1] = 88;
	r.addrs[0].a[2] = (uint8_t)(netns >> 8);
	r.addrs[0].a[3] = (uint8_t)netns;
	r.n_addrs = 1;
	if (published) {
		if (service_entry_init(&r.entries[0], netns, IPPROTO_TCP,
				       (struct sockaddr *)&any, sizeof(any),
				       false, (struct sockaddr *)&host,
				       sizeof(host), false, 1) < 0)
			return -EINVAL;
		r.n_entries = 1;
	}
	n = service_record_format(&r, buf, sizeof(buf));
	if (n < 0)
		return n;
	return send(fd, buf, (size_t)n, 0) == n ? 0 : -errno;
}

int main(int argc, char **argv)
{
	struct cluster_opts o;
	char err[256], msg[128];
	long n, secs;
	pid_t pid;
	int fd, m;

	if (argc != 4 || (n = strtol(argv[2], NULL, 10)) < 0 || n > 100000 ||
	    (secs = strtol(argv[3], NULL, 10)) < 1) {
		fprintf(stderr, "usage: cluster-drive URL N SECONDS\n");
		return 2;
	}
	/* As cluster-cli.c leaves them unless told otherwise. */
	memset(&o, 0, sizeof(o));
	snprintf(o.cfg.prefix, sizeof(o.cfg.prefix), "nsbypass/v1/");
	snprintf(o.cfg.node, sizeof(o.cfg.node), "n1");
	snprintf(o.cfg.writer, sizeof(o.cfg.writer), "w1");
	inet_pton(AF_INET, "10.77.0.1", o.cfg.node_addrs[0].a);
	o.cfg.node_addrs[0].family = AF_INET;
	o.cfg.n_node_addrs = 1;
	o.ttl = 3;
	if (cluster_opts_add_endpoints(&o, argv[1], err, sizeof(err)) < 0) {
		fprintf(stderr, "cluster-drive: %s\n", err);
		return 2;
	}
	pid = cluster_proc_start(&o, &fd);
	if (pid < 0) {
		errno = (int)-pid;
		return die("cluster_proc_start");
	}
	for (long i = 1; i <= n; i++) {
		errno = 0;
		if (send_record(fd, (uint64_t)i, false) < 0)
			return die("a record");
		m = oci_services_format_withdraw((uint64_t)i, msg, sizeof(msg));
		if (m < 0 || send(fd, msg, (size_t)m, 0) != m)
			return die("a withdraw");
		drain(fd);
	}
	if (send_record(fd, (uint64_t)n + 1, true) < 0)
		return die("the published record");
	printf("cluster-drive: %ld namespaces came and went, %lx is "
	       "published\n",
	       n, (unsigned long)n + 1);
	fflush(stdout);
	for (long t = 0; t < secs * 10; t++) {
		drain(fd);
		nanosleep(&(struct timespec){ .tv_nsec = 100000000 }, NULL);
	}
	close(fd);
	waitpid(pid, NULL, 0);
	return 0;
}
