// SPDX-License-Identifier: Apache-2.0
/*
 * fuzz-cluster-state.c - the etcd client's state message as the daemon
 * takes it (cluster_state_parse(), cluster-state.c): what is taken must
 * be printable where it is text, and format to a message that parses to
 * the same state.
 */
#include <errno.h>

#include "cluster-state.h"
#include "fuzz.h"

FUZZ_QUIET()

static void printable(const char *s)
{
	for (; *s; s++)
		FUZZ_ASSERT(*s >= 0x20 && *s <= 0x7e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cluster_state s, again;
	char buf[CLUSTER_STATE_TEXT_MAX + 1];
	int n;

	if (cluster_state_parse((const char *)data, size, &s) < 0)
		return 0;
	printable(s.endpoint);
	printable(s.error);
	n = cluster_state_format(&s, buf, sizeof(buf));
	FUZZ_ASSERT(n > 0);
	FUZZ_ASSERT(cluster_state_parse(buf, (size_t)n, &again) == 0);
	FUZZ_ASSERT(memcmp(&s, &again, sizeof(s)) == 0);
	return 0;
}
