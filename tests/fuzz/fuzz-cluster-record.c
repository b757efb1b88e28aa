// SPDX-License-Identifier: Apache-2.0
/*
 * fuzz-cluster-record.c - another node's key and value as this node takes
 * them (cluster_view_put(), cluster-view.c): "KEY\nVALUE".  What is taken
 * must be this node's: an id and cookies with SERVICE_NETNS_REMOTE, no
 * listener on a loopback or unspecified address; what it sends on
 * (cluster_view_emit()) must parse again.  The key is then deleted.
 */
#include <arpa/inet.h>
#include <errno.h>

#include "cluster-view.h"
#include "fuzz.h"

FUZZ_QUIET()

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct cluster_config cfg = {
		.prefix = "nsbypass/v1/",
		.node = "n1",
		.writer = "u1000-00000000",
	};
	const uint8_t *nl = memchr(data, '\n', size);
	struct service_record *r = malloc(sizeof(*r));
	char *out = malloc(SERVICE_RECORD_TEXT_MAX + 1);
	struct cluster_view v;
	uint64_t id = 0;
	size_t klen;
	int n;

	if (!r || !out || !nl || cluster_view_init(&v, &cfg) < 0)
		goto out;
	klen = (size_t)(nl - data);
	if (cluster_view_put(&v, data, klen, nl + 1, size - klen - 1, &id) ==
	    1) {
		FUZZ_ASSERT(id & SERVICE_NETNS_REMOTE);
		n = cluster_view_emit(&v, id, out, SERVICE_RECORD_TEXT_MAX + 1);
		FUZZ_ASSERT(n > 0);
		FUZZ_ASSERT(service_record_parse(out, (size_t)n, SERVICE_PARENT,
						 r) == 0);
		FUZZ_ASSERT(r->netns == id);
		for (size_t i = 0; i < r->n_entries; i++) {
			const struct sockdiag_sock *l = &r->entries[i].listener;

			FUZZ_ASSERT(l->cookie & SERVICE_NETNS_REMOTE);
			FUZZ_ASSERT(!(l->family == AF_INET &&
				      (l->addr[0] == 127 || l->addr[0] == 0)));
		}
		FUZZ_ASSERT(cluster_view_delete(&v, data, klen) == id);
	}
	cluster_view_fini(&v);
out:
	free(r);
	free(out);
	return 0;
}
