// SPDX-License-Identifier: Apache-2.0
/*
 * fuzz-service-record.c - a service record (service_record_parse()) as
 * an agent sends it over the `nsbypass oci` channel or any container of
 * the user can write it into the per-user registry; one that parses is
 * formatted (service_record_format()), and that text must parse to a
 * record that formats to the same text.
 */
#include "fuzz.h"
#include "service-map.h"
#include "service-record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct service_record *r = malloc(sizeof(*r));
	struct service_record *r2 = malloc(sizeof(*r2));
	char *text = malloc(SERVICE_RECORD_TEXT_MAX);
	char *text2 = malloc(SERVICE_RECORD_TEXT_MAX);
	int n, n2;

	if (!r || !r2 || !text || !text2)
		goto out;
	if (service_record_parse((const char *)data, size, SERVICE_REGISTRY,
				 r) < 0)
		goto out;
	FUZZ_ASSERT(r->netns != 0 && r->n_addrs <= SERVICE_ADDRS_MAX &&
		    r->n_entries <= SERVICE_RECORD_ENTRIES_MAX);
	for (size_t i = 0; i < r->n_entries; i++)
		FUZZ_ASSERT(r->entries[i].origin == SERVICE_REGISTRY);
	n = service_record_format(r, text, SERVICE_RECORD_TEXT_MAX);
	FUZZ_ASSERT(n > 0);
	FUZZ_ASSERT(service_record_parse(text, (size_t)n, SERVICE_REGISTRY,
					 r2) == 0);
	n2 = service_record_format(r2, text2, SERVICE_RECORD_TEXT_MAX);
	FUZZ_ASSERT(n2 == n && memcmp(text, text2, (size_t)n) == 0);
out:
	free(r);
	free(r2);
	free(text);
	free(text2);
	return 0;
}
