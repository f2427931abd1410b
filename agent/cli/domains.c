// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The vmmerge developers.
 *
 * vmmergectl domains [--json]: every trust domain with its figures.
 */
#include <stdlib.h>

#include "ctl.h"

static const char *mode(uint32_t flags)
{
	return flags & VMMERGE_DOMAIN_F_ISOLATED ? "isolated" : "shared";
}

static void print_domains(struct vmm_domain *d, size_t nr)
{
	static const char *const hdr[] = {
		"DOMAIN", "MODE", ">RESIDENT", ">MERGED", ">SAVED", ">ZERO"
	};
	struct table *t = table_new(6, hdr);
	size_t i;

	for (i = 0; i < nr; i++) {
		char r[32], m[32], s[32], z[32];

		table_row(t, d[i].name, mode(d[i].flags),
			  ctl_size(r, sizeof(r), d[i].stats.resident),
			  ctl_size(m, sizeof(m), d[i].stats.merged),
			  ctl_size(s, sizeof(s), d[i].stats.saved),
			  ctl_size(z, sizeof(z), d[i].stats.zero));
	}
	table_print(t, stdout);
	table_free(t);
}

static void json_domains(struct vmm_domain *d, size_t nr)
{
	struct json_object *a = json_object_new_array();
	size_t i;

	for (i = 0; i < nr; i++) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "name", json_object_new_string(d[i].name));
		json_object_object_add(o, "isolated",
				       json_object_new_boolean(d[i].flags &
						VMMERGE_DOMAIN_F_ISOLATED));
		json_object_object_add(o, "stats", ctl_json_stats(&d[i].stats));
		json_object_object_add(o, "estimate",
				       ctl_json_estimate(&d[i].est));
		json_object_array_add(a, o);
	}
	ctl_json_print(a);
}

int cmd_domains(int argc, char **argv)
{
	int json = ctl_json_flag(argc, argv);
	struct vmm_domain *d;
	struct vnl *v;
	size_t nr;
	int err;

	if (json < 0)
		return ctl_usage("domains [--json]");
	v = ctl_open("list domains");
	if (!v)
		return 1;
	err = vnl_dump_domains(v, &d, &nr);
	if (err) {
		ctl_fail(v, "list domains", err);
		vnl_close(v);
		return 1;
	}
	vnl_close(v);
	if (json)
		json_domains(d, nr);
	else
		print_domains(d, nr);
	free(d);
	return 0;
}
