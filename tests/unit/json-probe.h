/* SPDX-License-Identifier: Apache-2.0 */
/*
 * json-probe.h - what the json-c the tests run against does with an
 * integer beyond 64 bits.  json-c 0.16 (Debian 12) reads it as INT64_MAX
 * or INT64_MIN, and the API's range checks refuse it by the field's name;
 * json-c 0.18 and 0.19 (Debian 13, testing) refuse the whole document.
 * Either way the request is refused with nothing changed (design.md §8,
 * "Numbers beyond 64 bits"); the tests want the answer that fits the
 * library they run against.
 */
#ifndef NSBYPASS_TESTS_JSON_PROBE_H
#define NSBYPASS_TESTS_JSON_PROBE_H

#include <stdbool.h>
#include <string.h>

#include "jsontext.h"

static inline bool json_reads_huge_integers(void)
{
	static const char text[] = "[99999999999999999999]";
	json_object *o = jsontext_parse(text, strlen(text), 4);
	bool taken = o != NULL;

	json_object_put(o);
	return taken;
}

#endif
