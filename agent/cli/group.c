// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The vmmerge developers.
 *
 * vmmergectl group add NAME [domain DOMAIN]
 * vmmergectl group set NAME domain DOMAIN
 * vmmergectl group del NAME
 */
#include <string.h>

#include "ctl.h"

#define GROUP_USAGE "group add NAME [domain DOMAIN] | " \
	"group set NAME domain DOMAIN | group del NAME"

int cmd_group(int argc, char **argv)
{
	static const char *const verbs[] = { "create group", "move group",
					     "delete group" };
	const char *domain = "default";
	struct vnl *v;
	int op, err;

	if (argc != 3 && argc != 5)
		return ctl_usage(GROUP_USAGE);
	op = !strcmp(argv[1], "add") ? 0 : !strcmp(argv[1], "set") ? 1 :
		!strcmp(argv[1], "del") ? 2 : -1;
	if (argc == 5) {
		if (strcmp(argv[3], "domain"))
			return ctl_usage(GROUP_USAGE);
		domain = argv[4];
	}
	if (op < 0 || (op == 1 && argc != 5) || (op == 2 && argc != 3))
		return ctl_usage(GROUP_USAGE);
	v = ctl_open(verbs[op]);
	if (!v)
		return 1;
	if (op == 0)
		err = vnl_new_group(v, argv[2], domain);
	else if (op == 1)
		err = vnl_set_group(v, argv[2], domain);
	else
		err = vnl_del_group(v, argv[2]);
	if (err)
		ctl_fail(v, verbs[op], err);
	vnl_close(v);
	return err ? 1 : 0;
}
