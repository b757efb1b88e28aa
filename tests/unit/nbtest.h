/* SPDX-License-Identifier: Apache-2.0 */
/*
 * nbtest.h - a tiny TAP harness for the unit tests.
 *
 * Each test is a void function declared with NBTEST() and listed in a
 * table of NBTEST_ENTRY()s handed to nbtest_run().  A failed assertion
 * prints file, line and both values as a TAP comment and jumps back to the
 * runner, so it works at any call depth.  In a forked child (a test that
 * installs a seccomp filter, or a tracee) it ends the child instead: exit
 * status 1 on failure, 77 on skip, so the parent can assert on the status.
 * Never assert from a second thread: the jump would cross stacks.
 *
 * The TAP output is the result (meson runs the tests with protocol 'tap'):
 * a skipped test is "ok N - NAME # SKIP REASON", and a program whose every
 * test skipped is a skipped test to meson.  The program exits 1 when any
 * test failed, else 0, skips included: under TAP, meson takes any other
 * status, 77 too, for an error of the program.
 */
#ifndef NB_NBTEST_H
#define NB_NBTEST_H

#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct nbtest {
	const char *name;
	void (*fn)(void);
};

#define NBTEST(name) static void test_##name(void)
/* The formatter would break this brace-initializer macro apart. */
/* clang-format off */
#define NBTEST_ENTRY(name) { #name, test_##name }
/* clang-format on */

static struct {
	jmp_buf jb;
	pid_t runner;	  /* the process that owns @jb */
	const char *skip; /* reason, when the current test skipped */
	size_t failed;	  /* static: a local could be clobbered */
} nbtest_cur;

/* Leave the current test: back to the runner, or out of a forked child. */
static inline __attribute__((noreturn)) void nbtest_leave(int status)
{
	fflush(stdout);
	if (getpid() != nbtest_cur.runner)
		_exit(status);
	longjmp(nbtest_cur.jb, status);
}

/**
 * nbtest_skip() - end the current test as skipped
 * @why:	the reason, printed after "# SKIP"; must outlive the test
 */
static inline __attribute__((noreturn)) void nbtest_skip(const char *why)
{
	nbtest_cur.skip = why;
	if (getpid() != nbtest_cur.runner)
		printf("# child skipped: %s\n", why);
	nbtest_leave(77);
}

/**
 * nbtest_fail() - end the current test as failed, printing a TAP comment
 * @file:	__FILE__ of the check
 * @line:	__LINE__ of the check
 * @fmt:	what went wrong, printf style
 */
static inline __attribute__((noreturn, format(printf, 3, 4))) void
nbtest_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	printf("# %s:%d: ", file, line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	nbtest_leave(1);
}

#define ASSERT_EQ(a, b)                                                        \
	do {                                                                   \
		long long _a = (long long)(a), _b = (long long)(b);            \
		if (_a != _b)                                                  \
			nbtest_fail(__FILE__, __LINE__,                        \
				    "%s == %s: %lld != %lld", #a, #b, _a, _b); \
	} while (0)

#define ASSERT_OK(r)                                                         \
	do {                                                                 \
		long long _r = (long long)(r);                               \
		if (_r < 0)                                                  \
			nbtest_fail(__FILE__, __LINE__, "%s: %lld (%s)", #r, \
				    _r, strerror((int)-_r));                 \
	} while (0)

#define ASSERT_TRUE(x)                                                      \
	do {                                                                \
		if (!(x))                                                   \
			nbtest_fail(__FILE__, __LINE__, "%s is false", #x); \
	} while (0)

#define ASSERT_STREQ(a, b)                                                \
	do {                                                              \
		const char *_a = (a), *_b = (b);                          \
		if (!_a || !_b || strcmp(_a, _b) != 0)                    \
			nbtest_fail(__FILE__, __LINE__,                   \
				    "%s == %s: \"%s\" != \"%s\"", #a, #b, \
				    _a ?: "(null)", _b ?: "(null)");      \
	} while (0)

/**
 * nbtest_now_ms() - CLOCK_MONOTONIC in milliseconds, for a test that runs
 * until something happened or a deadline passed (never to assert a speed)
 */
static inline uint64_t nbtest_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/**
 * nbtest_count_fds() - the number of fds this process has open
 *
 * For leak checks: compare the count before and after the code under test.
 * Fails the current test if /proc/self/fd cannot be read.
 *
 * Return: the number of open fds
 */
static inline int nbtest_count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	ASSERT_TRUE(d != NULL);
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1; /* not the one opendir() itself holds */
}

/**
 * nbtest_run() - run the tests in order and print TAP
 * @t:		the tests
 * @n:		how many
 *
 * Return: the exit status: 1 if any test failed, else 0 (skips included;
 * the TAP lines say which were skipped)
 */
static inline int nbtest_run(const struct nbtest *t, size_t n)
{
	setvbuf(stdout, NULL, _IOLBF, 0); /* nothing pending at fork() */
	nbtest_cur.runner = getpid();
	printf("1..%zu\n", n);
	for (size_t i = 0; i < n; i++) {
		int r;

		nbtest_cur.skip = NULL;
		r = setjmp(nbtest_cur.jb);
		if (r == 0)
			t[i].fn();
		if (r == 77) {
			printf("ok %zu - %s # SKIP %s\n", i + 1, t[i].name,
			       nbtest_cur.skip);
		} else if (r) {
			printf("not ok %zu - %s\n", i + 1, t[i].name);
			nbtest_cur.failed++;
		} else {
			printf("ok %zu - %s\n", i + 1, t[i].name);
		}
	}
	return nbtest_cur.failed ? 1 : 0;
}

#endif /* NB_NBTEST_H */
