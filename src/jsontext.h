/* SPDX-License-Identifier: Apache-2.0 */
/*
 * jsontext.h - JSON text from a socket peer, parsed strictly with json-c.
 */
#ifndef NB_JSONTEXT_H
#define NB_JSONTEXT_H

#include <json-c/json.h>
#include <stddef.h>

/**
 * jsontext_parse() - parse @len bytes of @text as exactly one JSON value
 * @text:	the bytes, not NUL-terminated, any bytes
 * @len:	their number
 * @depth:	the deepest nesting allowed
 *
 * Strict JSON (json-c's JSON_TOKENER_STRICT), valid UTF-8; whitespace
 * may follow the value (the newline of a Go json.Encoder), nothing else,
 * not even a NUL byte.
 *
 * Return: the value, or NULL: not such a text, or out of memory
 */
json_object *jsontext_parse(const char *text, size_t len, int depth);

#endif /* NB_JSONTEXT_H */
