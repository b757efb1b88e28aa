// SPDX-License-Identifier: Apache-2.0
/*
 * fuzz-oci-config.c - a container's settings (oci_config_apply()): the
 * profile's listenerMetadata and the nsbypass.* annotations, as they come
 * out of the OCI state.  The input is their values, '\n'-separated:
 * metadata, nsbypass.ignore, nsbypass.publish, nsbypass.ignore-bind,
 * nsbypass.c2c; a field "-" is absent (NULL).
 */
#include <errno.h>
#include <stdbool.h>

#include "fuzz.h"
#include "oci-config.h"
#include "oci-state.h"

FUZZ_QUIET()

static char *field(char **f, size_t n, size_t i)
{
	return i < n && strcmp(f[i], "-") != 0 ? f[i] : NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_cstr(data, size), *f[5], why[256];
	struct oci_state st = { .id = "fuzz", .n_fds = 1 };
	struct oci_config *c;
	size_t n;
	int r;

	if (!text)
		return 0;
	n = fuzz_split(text, '\n', f, 5);
	st.metadata = field(f, n, 0);
	st.ignore = field(f, n, 1);
	st.publish = field(f, n, 2);
	st.ignore_bind = field(f, n, 3);
	st.c2c = field(f, n, 4);
	c = calloc(1, sizeof(*c));
	if (c) {
		policy_init(&c->policy);
		why[0] = '\0';
		r = oci_config_apply(c, &st, why, sizeof(why));
		FUZZ_ASSERT(r == 0 || why[0]); /* a refusal says why */
		FUZZ_ASSERT(c->publish.n <= PUBLISH_MAX &&
			    c->policy.n_ignore <= POLICY_LIST_MAX);
		free(c);
	}
	free(text);
	return 0;
}
