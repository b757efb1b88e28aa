// SPDX-License-Identifier: Apache-2.0
/*
 * fuzz-daemon-route.c - the route of a request to `nsbypass daemon`, as
 * daemon-http.c's start_request() takes it from libmicrohttpd (which
 * needs a socket, and parses HTTP itself): the input is "METHOD URL"; the
 * URL's query is cut off, the path percent-decoded (daemon_path_decode()),
 * routed (daemon_route()), and a DELETE's id checked (daemon_id_valid()).
 */
#include <stdbool.h>

#include "daemon-api.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_cstr(data, size), *method, *path, *q, *err;
	enum daemon_route route;
	const char *id;
	size_t before;

	if (!text)
		return 0;
	method = text;
	path = strchr(text, ' ');
	if (path)
		*path++ = '\0';
	else
		path = text + strlen(text);
	q = strchr(path, '?');
	if (q)
		*q = '\0';
	before = strlen(path);
	if (daemon_path_decode(path) == 0) {
		/* Decoding only shortens, and leaves no NUL inside. */
		FUZZ_ASSERT(strlen(path) <= before);
		route = daemon_route(method, path, &id);
		FUZZ_ASSERT(route < DAEMON_ROUTE_MAX);
		FUZZ_ASSERT((route == DAEMON_ROUTE_DELETE) == (id != NULL));
		if (id) {
			FUZZ_ASSERT(id[0] && !strchr(id, '/'));
			(void)daemon_id_valid(id);
		}
		if (route == DAEMON_ROUTE_BAD_METHOD)
			FUZZ_ASSERT(daemon_route_allow(path));
		/* The reply of a refused request quotes nothing of it; a
		 * path goes into error texts only through JSON escaping. */
		err = daemon_error_json(path);
		free(err);
	}
	free(text);
	return 0;
}
