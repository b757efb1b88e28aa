// SPDX-License-Identifier: Apache-2.0
/*
 * fuzz-runtime-spec.c - an OCI bundle's config.json as `nsbypass runtime`
 * reads it (runtime_spec_edit() without the file): strict JSON, then the
 * seccomp merge, then the text written back.
 */
#include <errno.h>
#include <json-c/json.h>

#include "fuzz.h"
#include "jsontext.h"
#include "runtime-spec.h"

FUZZ_QUIET()

/* runtime-spec.c's bound on nesting. */
#define SPEC_DEPTH 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_cstr(data, size), err[512];
	json_object *spec;
	int r;

	if (!text)
		return 0;
	spec = jsontext_parse(text, strlen(text), SPEC_DEPTH);
	if (spec) {
		err[0] = '\0';
		r = runtime_spec_merge(spec, "/run/nsbypass/fuzz.sock",
				       "ignore=10.0.0.0/8", err, sizeof(err));
		FUZZ_ASSERT(r >= 0 || r == -ENOMEM || err[0]);
		if (r == RUNTIME_SPEC_EDITED)
			FUZZ_ASSERT(json_object_to_json_string_ext(
				spec, JSON_C_TO_STRING_PLAIN |
					      JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(spec);
	}
	free(text);
	return 0;
}
