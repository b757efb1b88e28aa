/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test-hooks.h - moments a test holds or forces from outside, by an
 * environment variable, in -Dtest_hooks=true builds only (a release
 * build has empty inline stubs): the races of an agent and its daemons
 * (docs/design.md §6.6) made deterministic.
 *
 *   NSBYPASS_TEST_AGENT_WATCH_PAUSE_MS  an agent pauses before it starts
 *                                       to watch its daemon
 *   NSBYPASS_TEST_AGENT_LEARN_PAUSE_MS  an agent pauses before it opens
 *                                       its container's namespaces
 *   NSBYPASS_TEST_ATTACH_PAUSE_MS       an agent that asked a daemon to
 *                                       adopt it pauses before it takes
 *                                       the new service channel
 *   NSBYPASS_TEST_PROBE_HOLD_MS         the probe child an agent forks
 *                                       pauses in the container's
 *                                       namespaces
 *   NSBYPASS_TEST_REFUSE_ADOPTIONS      `nsbypass oci` refuses this many
 *                                       adoption requests first
 */
#ifndef NB_TEST_HOOKS_H
#define NB_TEST_HOOKS_H

#include "config.h"

#ifdef NB_TEST_HOOKS
/**
 * test_hook_value() - the number in environment variable @name
 * Return: it (0 to 60000), or 0 when unset or not such a number
 */
unsigned int test_hook_value(const char *name);

/**
 * test_hook_pause() - sleep test_hook_value(@name) milliseconds, logged
 * first at info level ("test hook: @name: N ms") for a test to see
 */
void test_hook_pause(const char *name);
#else
static inline unsigned int test_hook_value(const char *name)
{
	(void)name;
	return 0;
}

static inline void test_hook_pause(const char *name)
{
	(void)name;
}
#endif

#endif /* NB_TEST_HOOKS_H */
