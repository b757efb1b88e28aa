/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz.h - what the libFuzzer targets of tests/fuzz share: the entry
 * point's declaration, a NUL-terminated copy of the input, splitting it
 * into fields, and an assertion that is a crash to libFuzzer.
 *
 * Every target is deterministic and keeps nothing from one input to the
 * next: whatever it allocates for an input is freed before it returns
 * (libFuzzer's leak check runs after each input that allocated more).
 */
#ifndef NB_FUZZ_H
#define NB_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/*
 * FUZZ_QUIET: the LLVMFuzzerInitialize() of a target whose parser logs
 * what it refuses; silence keeps the fuzzer's speed and output readable.
 * Set once at start, the same for every input.
 */
#define FUZZ_QUIET()                                      \
	int LLVMFuzzerInitialize(int *argc, char ***argv) \
	{                                                 \
		(void)argc;                               \
		(void)argv;                               \
		log_max_level = LOG_LEVEL_ERROR;          \
		log_set_prefix("fuzz");                   \
		return 0;                                 \
	}

/* A failed property: abort() is a crash, kept as an artifact. */
#define FUZZ_ASSERT(cond)                                                \
	do {                                                             \
		if (!(cond)) {                                           \
			fprintf(stderr, "%s:%d: assertion failed: %s\n", \
				__FILE__, __LINE__, #cond);              \
			abort();                                         \
		}                                                        \
	} while (0)

/* @data as a malloc'd C string (cut at its first NUL); NULL: no memory. */
static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s) {
		memcpy(s, data, size);
		s[size] = '\0';
	}
	return s;
}

/*
 * fuzz_split() - cut @s in place at each @sep into at most @max fields
 * Return: how many fields (at least 1); the last takes the rest of @s
 */
static inline size_t fuzz_split(char *s, char sep, char **fields, size_t max)
{
	size_t n = 0;

	while (n + 1 < max) {
		char *p = strchr(s, sep);

		if (!p)
			break;
		*p = '\0';
		fields[n++] = s;
		s = p + 1;
	}
	fields[n++] = s;
	return n;
}

#endif /* NB_FUZZ_H */
