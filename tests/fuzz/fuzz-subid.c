// SPDX-License-Identifier: Apache-2.0
/*
 * fuzz-subid.c - a subordinate id file (/etc/subuid, /etc/subgid:
 * subid_find()), read through a memory stream; the user is looked up by
 * name and by uid.
 */
#include "fuzz.h"
#include "subid.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct subid_range out[SUBID_RANGES_MAX];
	const char *names[] = { "nbtest", NULL };
	FILE *f;
	int n;

	if (size == 0)
		return 0;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		f = fmemopen((void *)data, size, "r");
		if (!f)
			return 0;
		n = subid_find(f, names[i], 1000, out, SUBID_RANGES_MAX);
		FUZZ_ASSERT(n <= SUBID_RANGES_MAX);
		for (int j = 0; j < n; j++)
			FUZZ_ASSERT(out[j].count > 0);
		fclose(f);
	}
	return 0;
}
