// SPDX-License-Identifier: Apache-2.0
/*
 * fuzz-nsagent-report.c - the messages nsbypass-nsagent sends from inside
 * the container's namespaces, where the container's root can replace it:
 * the subnet report (nsagent_parse_report()), the address report
 * (nsagent_parse_addrs()) and the tap message (nsagent_parse_tap()).
 * Each parser gets the whole input, as the client's dispatch may hand it.
 */
#include <sys/socket.h>

#include "fuzz.h"
#include "nsagent-client.h"
#include "policy.h"
#include "service-map.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cidr *cidrs = calloc(POLICY_LIST_MAX, sizeof(*cidrs));
	struct service_addr *addrs = calloc(NSAGENT_ADDRS_MAX, sizeof(*addrs));
	const char *msg = (const char *)data;
	char name[NSAGENT_TAP_NAME_SIZE];
	size_t n;

	/* The client's read takes at most this much. */
	if (!cidrs || !addrs || size > NSAGENT_REPORT_MAX)
		goto out;
	if (nsagent_parse_report(msg, size, cidrs, POLICY_LIST_MAX, &n) == 0) {
		FUZZ_ASSERT(n <= POLICY_LIST_MAX);
		for (size_t i = 0; i < n; i++)
			FUZZ_ASSERT(cidrs[i].family == AF_INET ||
				    cidrs[i].family == AF_INET6);
	}
	if (nsagent_parse_addrs(msg, size, addrs, NSAGENT_ADDRS_MAX, &n) == 0) {
		FUZZ_ASSERT(n <= NSAGENT_ADDRS_MAX);
		for (size_t i = 0; i < n; i++)
			FUZZ_ASSERT(addrs[i].family == AF_INET ||
				    addrs[i].family == AF_INET6);
	}
	if (nsagent_parse_tap(msg, size, name) == 0)
		FUZZ_ASSERT(strnlen(name, sizeof(name)) < sizeof(name) &&
			    name[0]);
out:
	free(cidrs);
	free(addrs);
	return 0;
}
