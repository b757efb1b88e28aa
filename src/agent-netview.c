// SPDX-License-Identifier: Apache-2.0
/*
 * agent-netview.c - the agent's policy subnets from the container's and
 * the host's netlink views (netview.h), current at each decision.
 *
 * The container's view gives its subnets, its own addresses and its
 * gateways; the host's tells which of those subnets pasta copied from the
 * host (policy_set_view()).  Both are synced before a connect is decided:
 * an address or route added inside (by pasta after the container started,
 * or by the user) is in the monitor's queue before the `ip` command that
 * added it returns, so no connect after it is decided on the old list.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "agent.h"
#include "log.h"
#include "netview.h"
#include "util.h"

#define HOST_SYNC_MS 1000

int agent_watch_netns(struct agent *a, int mon_fd, int dump_fd)
{
	struct netview *in = calloc(1, sizeof(*in));
	struct netview *host = calloc(1, sizeof(*host));
	int r, hmon, hdump;

	if (!in || !host) {
		free(in);
		free(host);
		close(mon_fd);
		close(dump_fd);
		return -ENOMEM;
	}
	r = netview_init(in, mon_fd, dump_fd);
	if (r < 0)
		goto fail;
	/* Not fatal: without the host's view no subnet is mirrored
	 * (unless the mode says always). */
	r = netview_open_fds(&hmon, &hdump);
	if (r == 0 && netview_init(host, hmon, hdump) == 0) {
		a->net_host = host;
	} else {
		log_warn_errno(r < 0 ? r : -ENOMEM,
			       "cannot watch the host's addresses: no subnet "
			       "is taken as mirrored from the host");
		free(host);
	}
	a->net_in = in;
	return 0;
fail:
	free(in);
	free(host);
	return r;
}

/* One debug line per subnet: what the next decisions go by. */
static void log_view(const struct agent *a)
{
	char buf[INET6_ADDRSTRLEN + 8];

	if (!log_enabled(LOG_LEVEL_DEBUG))
		return;
	log_debug("container: %zu subnets, %zu addresses and gateways kept",
		  a->policy.n_subnets, a->policy.n_local);
	for (size_t i = 0; i < a->policy.n_subnets; i++)
		log_debug("subnet %s%s",
			  cidr_format(&a->policy.subnets[i], buf, sizeof(buf)),
			  a->policy.mirrored[i] ? " (mirrored from the host)" :
						  "");
}

/*
 * The host's view at most once a second: it only tells which subnets are
 * mirrored, where a lag costs speed, not containment; and a host with a
 * big routing table that changes often must not make every connect dump
 * it.  The container's view has no such limit (§5).
 */
static int sync_host(struct agent *a)
{
	uint64_t now = uv_now(a->loop);

	if (!a->net_host ||
	    (a->net_host->dumps && now - a->net_host_synced < HOST_SYNC_MS))
		return 0;
	a->net_host_synced = now;
	return netview_sync(a->net_host);
}

int agent_sync_netns(struct agent *a)
{
	int r_in, r_host;

	if (!a->net_in)
		return 0;
	r_in = netview_sync(a->net_in);
	r_host = sync_host(a);
	if (r_in < 0)
		log_warn_errno(r_in, "cannot read the container's addresses, "
				     "deciding on the last ones");
	if (r_host < 0)
		log_warn_errno(r_host, "cannot read the host's addresses, "
				       "deciding on the last ones");
	if (r_in > 0 || r_host > 0) {
		policy_set_view(&a->policy, a->net_in->view,
				a->net_host ? a->net_host->view : NULL);
		log_view(a);
	}
	return a->net_in->dumps ? 0 : r_in;
}

void agent_netns_fini(struct agent *a)
{
	if (a->net_in)
		netview_fini(a->net_in);
	if (a->net_host)
		netview_fini(a->net_host);
	free(a->net_in);
	free(a->net_host);
	a->net_in = a->net_host = NULL;
}
