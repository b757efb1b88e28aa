// SPDX-License-Identifier: Apache-2.0
/*
 * fuzz-netview.c - the netlink address and route messages of a container's
 * network namespace (netview_parse()): the kernel writes them, but their
 * content (addresses, prefixes, routes, tables) is whatever the
 * container's root configured.  The input is one message as
 * netview_parse() takes it, then a dump of several, walked as netview.c
 * walks a recv()'d buffer.
 */
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "fuzz.h"
#include "netview.h"
#include "policy.h"

/* NLMSG_OK() compares the message's u32 length with an int (as
 * netview.c's loop, which gcc does not warn about). */
#pragma clang diagnostic ignored "-Wsign-compare"

static void assert_bounded(const struct policy_view *v)
{
	FUZZ_ASSERT(v->n_subnets <= POLICY_LIST_MAX &&
		    v->n_addrs <= POLICY_LIST_MAX &&
		    v->n_gateways <= POLICY_LIST_MAX);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct policy_view *v = calloc(1, sizeof(*v));
	/* netlink messages are 4-byte aligned in a recv() buffer. */
	void *buf = malloc(size ? size : 1);
	const struct nlmsghdr *h;
	int left = (int)size;

	if (!v || !buf || size > 1 << 16)
		goto out;
	memcpy(buf, data, size);
	netview_parse(buf, size, v);
	assert_bounded(v);
	for (h = buf; NLMSG_OK(h, left); h = NLMSG_NEXT(h, left))
		netview_parse(h, (size_t)left, v);
	assert_bounded(v);
out:
	free(buf);
	free(v);
	return 0;
}
