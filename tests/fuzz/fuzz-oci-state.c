// SPDX-License-Identifier: Apache-2.0
/*
 * fuzz-oci-state.c - the OCI state a runtime sends to `nsbypass oci`'s
 * listenerPath socket (oci_state_parse()), and, when it parses, the
 * container's settings it carries (oci_config_apply()).
 */
#include <stdbool.h>

#include "fuzz.h"
#include "oci-config.h"
#include "oci-state.h"

FUZZ_QUIET()

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct oci_state st = { 0 };
	struct oci_config *c;
	const char *why = NULL;
	char buf[256];

	if (oci_state_parse((const char *)data, size, &st, &why) < 0) {
		FUZZ_ASSERT(why);
		oci_state_clear(&st);
		return 0;
	}
	FUZZ_ASSERT(st.id && st.seccomp_fd < st.n_fds);
	c = calloc(1, sizeof(*c));
	if (c) {
		policy_init(&c->policy);
		(void)oci_config_apply(c, &st, buf, sizeof(buf));
		FUZZ_ASSERT(c->publish.n <= PUBLISH_MAX);
		free(c);
	}
	oci_state_clear(&st);
	return 0;
}
