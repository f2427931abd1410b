// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The vmmerge developers.
 *
 * vmmergectl groups [--json]: every group (runtime stack) with its figures.
 */
#include <stdlib.h>

#include "ctl.h"

static void print_groups(struct vmm_group *g, size_t nr)
{
	static const char *const hdr[] = {
		"STACK", "DOMAIN", ">RESIDENT", ">MERGED", ">SAVED", ">ZERO",
		">YIELD"
	};
	struct table *t = table_new(7, hdr);
	size_t i;

	for (i = 0; i < nr; i++) {
		char r[32], m[32], s[32], z[32], y[16];

		table_row(t, g[i].name, g[i].domain,
			  ctl_size(r, sizeof(r), g[i].stats.resident),
			  ctl_size(m, sizeof(m), g[i].stats.merged),
			  ctl_size(s, sizeof(s), g[i].stats.saved),
			  ctl_size(z, sizeof(z), g[i].stats.zero),
			  ctl_yield(y, sizeof(y), &g[i].est));
	}
	table_print(t, stdout);
	table_free(t);
}

static void json_groups(struct vmm_group *g, size_t nr)
{
	struct json_object *a = json_object_new_array();
	size_t i;

	for (i = 0; i < nr; i++) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "name", json_object_new_string(g[i].name));
		json_object_object_add(o, "domain",
				       json_object_new_string(g[i].domain));
		json_object_object_add(o, "stats", ctl_json_stats(&g[i].stats));
		json_object_object_add(o, "estimate",
				       ctl_json_estimate(&g[i].est));
		json_object_array_add(a, o);
	}
	ctl_json_print(a);
}

int cmd_groups(int argc, char **argv)
{
	int json = ctl_json_flag(argc, argv);
	struct vmm_group *g;
	struct vnl *v;
	size_t nr;
	int err;

	if (json < 0)
		return ctl_usage("groups [--json]");
	v = ctl_open("list groups");
	if (!v)
		return 1;
	err = vnl_dump_groups(v, &g, &nr);
	if (err) {
		ctl_fail(v, "list groups", err);
		vnl_close(v);
		return 1;
	}
	vnl_close(v);
	if (json)
		json_groups(g, nr);
	else
		print_groups(g, nr);
	free(g);
	return 0;
}
