// SPDX-License-Identifier: Apache-2.0
/*
 * test-hooks.c - the test hooks' environment (test-hooks.h); only in
 * -Dtest_hooks=true builds.
 */
#include "test-hooks.h"

#ifdef NB_TEST_HOOKS
#include <stdlib.h>
#include <time.h>

#include "log.h"
#include "util.h"

unsigned int test_hook_value(const char *name)
{
	const char *env = getenv(name);
	int v;

	return env && parse_int(env, 0, 60000, &v) == 0 ? (unsigned int)v : 0;
}

void test_hook_pause(const char *name)
{
	unsigned int ms = test_hook_value(name);
	struct timespec ts = { .tv_sec = ms / 1000,
			       .tv_nsec = (long)(ms % 1000) * 1000000 };

	if (!ms)
		return;
	log_info("test hook: %s: %u ms", name, ms);
	while (nanosleep(&ts, &ts) < 0)
		;
}
#endif
