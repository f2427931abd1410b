/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (C) 2026 The vmmerge developers.
 *
 * Classification: which processes are VMMs, and which stack and domain a
 * VMM's VM belongs to, from the rules of the config.
 */
#ifndef VMMERGE_RULES_H
#define VMMERGE_RULES_H

#include <sys/types.h>

#include "config.h"

/* What the rules look at; strings are NUL-terminated, environ is a list of
 * NUL-separated "NAME=value" entries of environ_len bytes. */
struct vmm_proc {
	pid_t pid;
	char exe[256];		/* path of the executable */
	char *cmdline;		/* arguments joined by blanks */
	char cgroup[256];	/* cgroup v2 path, e.g. /machine.slice/x */
	char *environ;
	size_t environ_len;
};

struct classification {
	char stack[VMMERGE_NAME_MAXLEN];
	char domain[VMMERGE_NAME_MAXLEN];
	uint64_t mem_mib;		/* 0 = largest mapping */
	const char *rule;		/* name of the rule, or NULL */
};

/* Whether an executable path or name is one of the configured VMMs. */
bool rules_is_vmm(const struct config *c, const char *exe);
/* The first rule that matches @p, or the defaults. */
void rules_classify(const struct config *c, const struct vmm_proc *p,
		    struct classification *out);

#endif
