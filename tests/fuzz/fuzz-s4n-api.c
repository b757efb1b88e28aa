// SPDX-License-Identifier: Apache-2.0
/*
 * fuzz-s4n-api.c - requests to the slirp4netns API socket of `nsbypass
 * slirp4netns` (api_handle()), several in a row on one table of forwards
 * so that adds, lists and removes meet: the input is one request per
 * '\n'-separated line.  The backend accepts every forward (libslirp's
 * part is not under test).  Every reply must be one JSON object.
 */
#include <arpa/inet.h>
#include <json-c/json.h>

#include "fuzz.h"
#include "jsontext.h"
#include "s4n-api.h"
#include "s4n-hostfwd.h"

/* Requests per input: enough to fill and empty a few entries. */
#define REQUESTS_MAX 32

static int backend_ok(void *opaque, const struct hostfwd *fwd)
{
	(void)opaque;
	(void)fwd;
	return 0;
}

static const struct hostfwd_ops ops = { .add = backend_ok,
					.remove = backend_ok };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size, *nl;
	struct in_addr guest = { htonl(0x0a000264) }; /* 10.0.2.100 */
	struct in6_addr guest6;
	struct hostfwd_table *t;
	json_object *o;
	char *reply;

	inet_pton(AF_INET6, "fd00::100", &guest6);
	t = hostfwd_table_new(&ops, NULL, guest, &guest6);
	if (!t)
		return 0;
	for (int i = 0; i < REQUESTS_MAX && p <= end; i++) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			nl = end;
		reply = api_handle(t, p, (size_t)(nl - p));
		if (reply) {
			o = jsontext_parse(reply, strlen(reply), 8);
			FUZZ_ASSERT(o &&
				    json_object_is_type(o, json_type_object));
			json_object_put(o);
			free(reply);
		}
		FUZZ_ASSERT(hostfwd_count(t) <= HOSTFWD_MAX);
		p = nl + 1;
	}
	hostfwd_table_free(t);
	return 0;
}
