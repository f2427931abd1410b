// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The vmmerge developers.
 *
 * Rule matching.  A rule matches when every matcher it has matches: exe
 * against the executable's path, cmdline against the joined arguments,
 * cgroup against the cgroup path, env against any one environment entry.
 * Rules are tried in file order; the first match wins.
 */
#include <fnmatch.h>
#include <stdio.h>
#include <string.h>

#include "rules.h"

bool rules_is_vmm(const struct config *c, const char *exe)
{
	const char *base = strrchr(exe, '/');
	unsigned int i;

	base = base ? base + 1 : exe;
	for (i = 0; i < c->nr_vmm; i++)
		if (!fnmatch(c->vmm[i], base, 0))
			return true;
	return false;
}

static bool env_matches(const regex_t *re, const struct vmm_proc *p)
{
	const char *e = p->environ, *end = p->environ + p->environ_len;

	while (e && e < end) {
		if (!regexec(re, e, 0, NULL, 0))
			return true;
		e += strnlen(e, end - e) + 1;
	}
	return false;
}

static bool rule_matches(const struct cfg_rule *r, const struct vmm_proc *p)
{
	const char *subject[CFG_MATCH_NR] = {
		[CFG_MATCH_EXE] = p->exe,
		[CFG_MATCH_CMDLINE] = p->cmdline ? p->cmdline : "",
		[CFG_MATCH_CGROUP] = p->cgroup,
	};
	int m;

	for (m = 0; m < CFG_MATCH_NR; m++) {
		if (!r->has[m])
			continue;
		if (m == CFG_MATCH_ENV ? !env_matches(&r->re[m], p) :
		    regexec(&r->re[m], subject[m], 0, NULL, 0) != 0)
			return false;
	}
	return true;
}

void rules_classify(const struct config *c, const struct vmm_proc *p,
		    struct classification *out)
{
	size_t i;

	memset(out, 0, sizeof(*out));
	strcpy(out->stack, c->default_stack);
	strcpy(out->domain, c->default_domain);
	for (i = 0; i < c->nr_rules; i++) {
		const struct cfg_rule *r = &c->rules[i];

		if (!rule_matches(r, p))
			continue;
		strcpy(out->stack, r->stack);
		if (r->domain[0])
			strcpy(out->domain, r->domain);
		out->mem_mib = r->mem_mib;
		out->rule = r->name;
		return;
	}
}
