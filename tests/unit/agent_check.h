/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (C) 2026 The vmmerge developers.
 *
 * A tiny harness for the agent's unit tests: CHECK() counts failures, and
 * RUN_TESTS() runs a table of test functions, prints one line each and a
 * summary, and returns the exit status.
 */
#ifndef AGENT_CHECK_H
#define AGENT_CHECK_H

#include <stdio.h>

static int checks_failed;

#define CHECK(cond) do {						\
	if (!(cond)) {							\
		printf("    %s:%d: check failed: %s\n",		\
		       __FILE__, __LINE__, #cond);			\
		checks_failed++;					\
	}								\
} while (0)

struct unit_test {
	const char *name;
	void (*fn)(void);
};

static inline int run_tests(const char *prog, const struct unit_test *t,
			    unsigned int n)
{
	unsigned int i, passed = 0, failed = 0;

	for (i = 0; i < n; i++) {
		int before = checks_failed;

		t[i].fn();
		if (checks_failed == before) {
			printf("  ok   %s\n", t[i].name);
			passed++;
		} else {
			printf("  FAIL %s\n", t[i].name);
			failed++;
		}
	}
	printf("%s: %u passed, %u failed\n", prog, passed, failed);
	return failed ? 1 : 0;
}

#define RUN_TESTS(prog, tests) \
	run_tests(prog, tests, sizeof(tests) / sizeof(tests[0]))

#endif
