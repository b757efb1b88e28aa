// SPDX-License-Identifier: Apache-2.0
/*
 * fuzz-registry-name.c - the name of a file in the per-user service
 * registry (service_registry_parse_name()), which any container of the
 * user can create: "NETNS-PID-START".  The parser is strict, so a name it
 * takes is exactly what service_registry_name() writes for its parts.
 */
#include <sys/types.h>

#include "fuzz.h"
#include "service-registry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *name = fuzz_cstr(data, size), again[REGISTRY_NAME_MAX];
	uint64_t netns, start;
	pid_t pid;

	if (!name)
		return 0;
	if (service_registry_parse_name(name, &netns, &pid, &start) == 0) {
		FUZZ_ASSERT(netns != 0 && pid > 0);
		service_registry_name(again, netns, pid, start);
		FUZZ_ASSERT(strcmp(again, name) == 0);
	}
	free(name);
	return 0;
}
