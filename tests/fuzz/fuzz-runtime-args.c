// SPDX-License-Identifier: Apache-2.0
/*
 * fuzz-runtime-args.c - the command line an engine gives its runtime, as
 * `nsbypass runtime` reads it (runtime_args_parse()).  The input is the
 * arguments, NUL-separated.
 */
#include "fuzz.h"
#include "runtime-args.h"

/* More arguments than any engine passes. */
#define ARGS_MAX 128

/* Does @p point into one of the @n strings of @argv? */
static int points_into(const char *p, char **argv, int n)
{
	for (int i = 0; i < n; i++)
		if (p >= argv[i] && p <= argv[i] + strlen(argv[i]))
			return 1;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_cstr(data, size), *argv[ARGS_MAX + 1];
	struct runtime_args a;
	int argc = 0;
	char *p, *end;

	if (!text)
		return 0;
	/* NUL-separated words (fuzz_cstr() ends the last one). */
	for (p = text, end = text + size; p <= end && argc < ARGS_MAX;
	     p += strlen(p) + 1)
		argv[argc++] = p;
	argv[argc] = NULL;
	memset(&a, 0, sizeof(a));
	if (runtime_args_parse(argc, argv, &a) == 0) {
		FUZZ_ASSERT(!a.command || points_into(a.command, argv, argc));
		FUZZ_ASSERT(!a.bundle || points_into(a.bundle, argv, argc));
		FUZZ_ASSERT(!a.config || points_into(a.config, argv, argc));
	}
	free(text);
	return 0;
}
