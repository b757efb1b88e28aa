// SPDX-License-Identifier: Apache-2.0
/*
 * fuzz-runtime-conf.c - /etc/nsbypass/runtime.conf (runtime_conf_parse()).
 */
#include <errno.h>

#include "fuzz.h"
#include "runtime-conf.h"

FUZZ_QUIET()

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct runtime_conf c = { 0 };
	char *text, err[256];
	int r;

	/* runtime_conf_load() reads at most this much. */
	if (size > RUNTIME_CONF_MAX)
		return 0;
	text = fuzz_cstr(data, size);
	if (!text)
		return 0;
	err[0] = '\0';
	r = runtime_conf_parse(text, &c, err, sizeof(err));
	FUZZ_ASSERT(r == 0 || r == -ENOMEM || err[0]);
	runtime_conf_free(&c);
	free(text);
	return 0;
}
