// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The vmmerge developers.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "log.h"

static bool journal;
static int max_prio = LOG_INFO;

void log_init(void)
{
	journal = getenv("JOURNAL_STREAM") != NULL;
	if (getenv("VMMERGED_DEBUG"))
		max_prio = LOG_DEBUG;
}

void log_msg(int prio, const char *fmt, ...)
{
	va_list ap;

	if (prio > max_prio)
		return;
	if (journal)
		fprintf(stderr, "<%d>", prio);
	else
		fputs("vmmerged: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}
