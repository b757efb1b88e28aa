// SPDX-License-Identifier: Apache-2.0
/*
 * fuzz-oci-withdraw.c - the withdraw message an agent sends its `nsbypass
 * oci` daemon (oci_services_parse_withdraw()), with the round trip
 * through oci_services_format_withdraw().
 */
#include <inttypes.h>

#include "fuzz.h"
#include "oci-services.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char buf[128];
	uint64_t netns;
	int n;

	if (oci_services_parse_withdraw((const char *)data, size, &netns) < 0)
		return 0;
	FUZZ_ASSERT(netns != 0);
	/* The parser takes exactly what the format writes. */
	n = oci_services_format_withdraw(netns, buf, sizeof(buf));
	FUZZ_ASSERT(n > 0 && (size_t)n == size && memcmp(buf, data, size) == 0);
	return 0;
}
