// SPDX-License-Identifier: Apache-2.0
/*
 * fuzz-daemon-spec.c - the body of a POST /v1/bypass to `nsbypass daemon`
 * (a BypassSpec, daemon_spec_parse()), and for one that parses, what the
 * daemon makes of it: the nsbypass oci command line and the BypassStatus.
 */
#include <errno.h>
#include <json-c/json.h>

#include "daemon-api.h"
#include "fuzz.h"

FUZZ_QUIET()

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct daemon_spec *spec = NULL;
	char err[256], **argv, *text;
	json_object *status;
	int r;

	/* The server answers a longer body with 413 unread. */
	if (size > DAEMON_BODY_MAX)
		return 0;
	err[0] = '\0';
	r = daemon_spec_parse((const char *)data, size, &spec, err,
			      sizeof(err));
	if (r < 0) {
		FUZZ_ASSERT(!spec && (r == -ENOMEM || err[0]));
		return 0;
	}
	FUZZ_ASSERT(spec && daemon_id_valid(spec->id) && spec->socket_path);
	FUZZ_ASSERT(spec->nignore <= DAEMON_SUBNETS_MAX &&
		    spec->npublish <= DAEMON_PUBLISH_MAX);
	argv = daemon_spec_oci_argv(spec, "/usr/bin/nsbypass");
	free(argv);
	/* daemon_json_text() puts the object. */
	status = daemon_status_json(spec, 42);
	text = daemon_json_text(status);
	free(text);
	daemon_spec_free(spec);
	return 0;
}
