// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The vmmerge developers.
 *
 * Trust domains:
 *
 *   vmmergectl domains [--json]               every domain with its figures
 *   vmmergectl domain add NAME [isolated|shared]
 *   vmmergectl domain set NAME isolated|shared
 *   vmmergectl domain del NAME
 */
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

#define DOMAIN_USAGE "domain add NAME [isolated|shared] | " \
	"domain set NAME isolated|shared | domain del NAME"

static const char *mode_name(uint32_t flags)
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

		table_row(t, d[i].name, mode_name(d[i].flags),
			  ctl_size(r, sizeof(r), d[i].stats.resident),
			  ctl_size(m, sizeof(m), d[i].stats.merged),
			  ctl_size(s, sizeof(s), d[i].stats.saved),
			  ctl_size(z, sizeof(z), d[i].stats.zero));
	}
	table_print(t, stdout);
	table_free(t);
}

static struct json_object *json_domain(const struct vmm_domain *d)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "name", json_object_new_string(d->name));
	json_object_object_add(o, "isolated", json_object_new_boolean(
		d->flags & VMMERGE_DOMAIN_F_ISOLATED));
	json_object_object_add(o, "stats", ctl_json_stats(&d->stats));
	json_object_object_add(o, "estimate", ctl_json_estimate(&d->est));
	return o;
}

static int list(struct vnl *v, void *arg)
{
	struct vmm_domain *d;
	size_t nr, i;
	int err = vnl_dump_domains(v, &d, &nr);

	if (err)
		return err;
	if (*(int *)arg) {
		struct json_object *a = json_object_new_array();

		for (i = 0; i < nr; i++)
			json_object_array_add(a, json_domain(&d[i]));
		ctl_json_print(a);
	} else {
		print_domains(d, nr);
	}
	free(d);
	return 0;
}

int cmd_domains(int argc, char **argv)
{
	int json = ctl_json_flag(argc, argv);

	if (json < 0)
		return ctl_usage("domains [--json]");
	return ctl_run("list domains", list, &json);
}

/* 0 or VMMERGE_DOMAIN_F_ISOLATED; -1 for anything else. */
static long parse_mode(const char *s)
{
	if (!strcmp(s, "isolated"))
		return VMMERGE_DOMAIN_F_ISOLATED;
	if (!strcmp(s, "shared"))
		return 0;
	return -1;
}

struct change {
	const char *op;
	const char *name;
	long mode;
};

static int change(struct vnl *v, void *arg)
{
	const struct change *c = arg;

	if (!strcmp(c->op, "add"))
		return vnl_new_domain(v, c->name, c->mode);
	if (!strcmp(c->op, "set"))
		return vnl_set_domain(v, c->name, c->mode);
	return vnl_del_domain(v, c->name);
}

int cmd_domain(int argc, char **argv)
{
	static const char *const verbs[] = { "create domain", "change domain",
					     "delete domain" };
	struct change c = { .mode = 0 };
	int op;

	if (argc < 3 || argc > 4)
		return ctl_usage(DOMAIN_USAGE);
	op = !strcmp(argv[1], "add") ? 0 : !strcmp(argv[1], "set") ? 1 :
		!strcmp(argv[1], "del") ? 2 : -1;
	if (argc == 4)
		c.mode = parse_mode(argv[3]);
	if (op < 0 || c.mode < 0 || (op == 1 && argc != 4) ||
	    (op == 2 && argc != 3))
		return ctl_usage(DOMAIN_USAGE);
	c.op = argv[1];
	c.name = argv[2];
	return ctl_run(verbs[op], change, &c);
}
