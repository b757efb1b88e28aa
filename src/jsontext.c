// SPDX-License-Identifier: Apache-2.0
/*
 * jsontext.c - strict parsing of one JSON value, for the API sockets
 * (api.c, daemon-api.c).
 */
#include <stdlib.h>
#include <string.h>

#include "jsontext.h"
#include "util.h"

json_object *jsontext_parse(const char *text, size_t len, int depth)
{
	_cleanup_free_ char *copy = malloc(len + 1);
	struct json_tokener *tok;
	json_object *o;
	size_t end;

	if (!copy)
		return NULL;
	memcpy(copy, text, len);
	copy[len] = '\0';
	tok = json_tokener_new_ex(depth);
	if (!tok)
		return NULL;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
					    JSON_TOKENER_VALIDATE_UTF8);
	/* The final NUL tells json-c the input ends there. */
	o = json_tokener_parse_ex(tok, copy, (int)len + 1);
	end = json_tokener_get_parse_end(tok);
	if (json_tokener_get_error(tok) != json_tokener_success)
		goto out_fail;
	for (; end < len; end++)
		if (!strchr(" \t\r\n", copy[end]) || copy[end] == '\0')
			goto out_fail;
	json_tokener_free(tok);
	return o;

out_fail:
	json_object_put(o);
	json_tokener_free(tok);
	return NULL;
}
