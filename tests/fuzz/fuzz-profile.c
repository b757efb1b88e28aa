// SPDX-License-Identifier: Apache-2.0
/*
 * fuzz-profile.c - a seccomp profile as `nsbypass profile` reads it
 * (profile_parse()), then merged for the agent (profile_add_notify()),
 * checked again and printed.
 */
#include <errno.h>
#include <json-c/json.h>

#include "fuzz.h"
#include "profile.h"

FUZZ_QUIET()

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_cstr(data, size), err[256], *out;
	json_object *p = NULL;
	int r;

	if (!text)
		return 0;
	err[0] = '\0';
	r = profile_parse(text, &p, err, sizeof(err));
	if (r < 0) {
		FUZZ_ASSERT(r == -ENOMEM || err[0]);
		goto out;
	}
	(void)profile_restricts_traps(p, err, sizeof(err));
	if (profile_add_notify(p, "/run/nsbypass/fuzz.sock", "c2c=false") ==
	    0) {
		/* What the merge makes passes the parser's own checks. */
		FUZZ_ASSERT(profile_check(p, err, sizeof(err)) == 0);
		out = profile_to_string(p);
		free(out);
	}
	json_object_put(p);
out:
	free(text);
	return 0;
}
