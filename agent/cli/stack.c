// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The vmmerge developers.
 *
 * Runtime stacks (the module's groups):
 *
 *   vmmergectl stacks [--json]                every stack with its figures
 *   vmmergectl stack add NAME [domain DOMAIN]
 *   vmmergectl stack set NAME domain DOMAIN
 *   vmmergectl stack del NAME
 *
 * "groups" and "group" are the same commands under their older names.
 */
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

static void print_stacks(struct vmm_group *g, size_t nr)
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

static struct json_object *json_stack(const struct vmm_group *g)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "name", json_object_new_string(g->name));
	json_object_object_add(o, "domain", json_object_new_string(g->domain));
	json_object_object_add(o, "stats", ctl_json_stats(&g->stats));
	json_object_object_add(o, "estimate", ctl_json_estimate(&g->est));
	return o;
}

static int list(struct vnl *v, void *arg)
{
	struct vmm_group *g;
	size_t nr, i;
	int err = vnl_dump_groups(v, &g, &nr);

	if (err)
		return err;
	if (*(int *)arg) {
		struct json_object *a = json_object_new_array();

		for (i = 0; i < nr; i++)
			json_object_array_add(a, json_stack(&g[i]));
		ctl_json_print(a);
	} else {
		print_stacks(g, nr);
	}
	free(g);
	return 0;
}

int cmd_stacks(int argc, char **argv)
{
	int json = ctl_json_flag(argc, argv);

	if (json < 0)
		return ctl_usage(!strcmp(argv[0], "groups") ? "groups [--json]" :
				 "stacks [--json]");
	return ctl_run("list stacks", list, &json);
}

struct change {
	int op;				/* 0 add, 1 set, 2 del */
	const char *name;
	const char *domain;
};

static int change(struct vnl *v, void *arg)
{
	const struct change *c = arg;

	if (c->op == 0)
		return vnl_new_group(v, c->name, c->domain);
	if (c->op == 1)
		return vnl_set_group(v, c->name, c->domain);
	return vnl_del_group(v, c->name);
}

/* "stack add NAME [domain DOMAIN] | ..." under the name it was called by. */
static int usage(const char *noun)
{
	char buf[160];

	snprintf(buf, sizeof(buf), "%1$s add NAME [domain DOMAIN] | %1$s set "
		 "NAME domain DOMAIN | %1$s del NAME", noun);
	return ctl_usage(buf);
}

int cmd_stack(int argc, char **argv)
{
	static const char *const verbs[] = { "create stack", "move stack",
					     "delete stack" };
	struct change c = { .domain = "default" };

	if (argc != 3 && argc != 5)
		return usage(argv[0]);
	c.op = !strcmp(argv[1], "add") ? 0 : !strcmp(argv[1], "set") ? 1 :
		!strcmp(argv[1], "del") ? 2 : -1;
	c.name = argv[2];
	if (argc == 5) {
		if (strcmp(argv[3], "domain"))
			return usage(argv[0]);
		c.domain = argv[4];
	}
	if (c.op < 0 || (c.op == 1 && argc != 5) || (c.op == 2 && argc != 3))
		return usage(argv[0]);
	return ctl_run(verbs[c.op], change, &c);
}
