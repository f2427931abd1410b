// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The vmmerge developers.
 *
 * vmmergectl domain add NAME [isolated|shared]
 * vmmergectl domain set NAME isolated|shared
 * vmmergectl domain del NAME
 */
#include <string.h>

#include "ctl.h"

#define DOMAIN_USAGE "domain add NAME [isolated|shared] | " \
	"domain set NAME isolated|shared | domain del NAME"

/* 0 or VMMERGE_DOMAIN_F_ISOLATED; -1 for anything else. */
static long parse_mode(const char *s)
{
	if (!strcmp(s, "isolated"))
		return VMMERGE_DOMAIN_F_ISOLATED;
	if (!strcmp(s, "shared"))
		return 0;
	return -1;
}

static int run(struct vnl *v, const char *op, const char *name, long mode)
{
	if (!strcmp(op, "add"))
		return vnl_new_domain(v, name, mode);
	if (!strcmp(op, "set"))
		return vnl_set_domain(v, name, mode);
	return vnl_del_domain(v, name);
}

int cmd_domain(int argc, char **argv)
{
	static const char *const verbs[] = { "create domain", "change domain",
					     "delete domain" };
	long mode = 0;
	struct vnl *v;
	int op, err;

	if (argc < 3 || argc > 4)
		return ctl_usage(DOMAIN_USAGE);
	op = !strcmp(argv[1], "add") ? 0 : !strcmp(argv[1], "set") ? 1 :
		!strcmp(argv[1], "del") ? 2 : -1;
	if (argc == 4)
		mode = parse_mode(argv[3]);
	if (op < 0 || mode < 0 || (op == 1 && argc != 4) ||
	    (op == 2 && argc != 3))
		return ctl_usage(DOMAIN_USAGE);
	v = ctl_open(verbs[op]);
	if (!v)
		return 1;
	err = run(v, argv[1], argv[2], mode);
	if (err)
		ctl_fail(v, verbs[op], err);
	vnl_close(v);
	return err ? 1 : 0;
}
