// SPDX-License-Identifier: Apache-2.0
/*
 * fuzz-s4n-options.c - the option values of `nsbypass slirp4netns` that
 * its callers (rootlesskit, podman) pass through from their users:
 * --cidr (s4n_parse_cidr(), with its round trip) and --outbound-addr /
 * --outbound-addr6 (s4n_outbound_addr(): an address or an interface).
 */
#include <arpa/inet.h>

#include "fuzz.h"
#include "s4n-options.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size), err[256], text[64];
	struct in_addr net, net2;
	unsigned int prefix, prefix2;
	struct in6_addr a6;

	if (!s)
		return 0;
	if (s4n_parse_cidr(s, &net, &prefix, err, sizeof(err)) == 0) {
		FUZZ_ASSERT(prefix >= S4N_PREFIX_MIN &&
			    prefix <= S4N_PREFIX_MAX);
		snprintf(text, sizeof(text), "%s/%u", inet_ntoa(net), prefix);
		FUZZ_ASSERT(s4n_parse_cidr(text, &net2, &prefix2, err,
					   sizeof(err)) == 0);
		FUZZ_ASSERT(net2.s_addr == net.s_addr && prefix2 == prefix);
	}
	(void)s4n_outbound_addr(s, AF_INET, &net);
	(void)s4n_outbound_addr(s, AF_INET6, &a6);
	free(s);
	return 0;
}
