// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The vmmerge developers.
 *
 * vmmergectl hints [--stack S] [--domain D] [--json]: where a new VM of
 * stack S (every stack without --stack) would share most, per NUMA node
 * and for the host, best first.  --domain asks for a VM of another trust
 * domain than the stack's own.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

#define HINTS_USAGE "hints [--stack S] [--domain D] [--json]"

static const char *scope_name(char *buf, size_t len, uint32_t node)
{
	if (node == VMMERGE_HINT_HOST)
		snprintf(buf, len, "host");
	else
		snprintf(buf, len, "node%u", node);
	return buf;
}

static void table_hint(struct table *t, const char *stack,
		       const struct vmm_hint *h)
{
	unsigned int i;

	for (i = 0; i < h->nr_scopes; i++) {
		const struct vmm_scope *s = &h->scopes[i];
		char scope[16], share[16], pages[32], rank[8];

		snprintf(rank, sizeof(rank), "%u", i + 1);
		snprintf(share, sizeof(share), "%u.%u%%", s->permille / 10,
			 s->permille % 10);
		table_row(t, stack, h->domain, rank,
			  scope_name(scope, sizeof(scope), s->node), share,
			  ctl_size(pages, sizeof(pages), s->pages),
			  s->allowed ? "yes" : "no", s->reason);
	}
}

static struct json_object *json_hint(const char *stack,
				     const struct vmm_hint *h)
{
	struct json_object *o = json_object_new_object();
	struct json_object *a = json_object_new_array();
	unsigned int i;

	json_object_object_add(o, "stack", json_object_new_string(stack));
	json_object_object_add(o, "domain", json_object_new_string(h->domain));
	for (i = 0; i < h->nr_scopes; i++) {
		const struct vmm_scope *s = &h->scopes[i];
		struct json_object *j = json_object_new_object();
		char scope[16];

		json_object_object_add(j, "scope", json_object_new_string(
			scope_name(scope, sizeof(scope), s->node)));
		json_object_object_add(j, "matched",
				       json_object_new_int64(s->matched));
		json_object_object_add(j, "permille",
				       json_object_new_int(s->permille));
		json_object_object_add(j, "pages", json_object_new_int64(s->pages));
		json_object_object_add(j, "allowed",
				       json_object_new_boolean(s->allowed));
		json_object_object_add(j, "reason",
				       json_object_new_string(s->reason));
		json_object_array_add(a, j);
	}
	json_object_object_add(o, "scopes", a);
	return o;
}

struct hints_opts {
	const char *stack;
	const char *domain;
	bool json;
};

static int parse_args(int argc, char **argv, struct hints_opts *o)
{
	static const struct option longopts[] = {
		{ "stack", required_argument, NULL, 's' },
		{ "domain", required_argument, NULL, 'D' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	memset(o, 0, sizeof(*o));
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (c == 's')
			o->stack = optarg;
		else if (c == 'D')
			o->domain = optarg;
		else if (c == 'j')
			o->json = true;
		else
			return -EINVAL;
	}
	return optind == argc ? 0 : -EINVAL;
}

/* The stacks to ask about: the one given, or every one. */
static int stacks(struct vnl *v, const struct hints_opts *o,
		  struct vmm_group **g, size_t *nr)
{
	if (!o->stack)
		return vnl_dump_groups(v, g, nr);
	*g = calloc(1, sizeof(**g));
	if (!*g)
		return -ENOMEM;
	snprintf((*g)->name, sizeof((*g)->name), "%s", o->stack);
	*nr = 1;
	return 0;
}

int cmd_hints(int argc, char **argv)
{
	static const char *const hdr[] = {
		"STACK", "DOMAIN", ">RANK", "SCOPE", ">SHARE", ">SHAREABLE",
		"ALLOWED", "REASON"
	};
	struct json_object *arr = NULL;
	struct table *t = NULL;
	struct hints_opts o;
	struct vmm_group *g;
	struct vmm_hint h;
	struct vnl *v;
	size_t nr, i;
	int err, ret = 0;

	if (parse_args(argc, argv, &o))
		return ctl_usage(HINTS_USAGE);
	v = ctl_open("read hints");
	if (!v)
		return 1;
	err = stacks(v, &o, &g, &nr);
	if (err) {
		ctl_fail(v, "list stacks", err);
		vnl_close(v);
		return 1;
	}
	if (o.json)
		arr = json_object_new_array();
	else
		t = table_new(8, hdr);
	for (i = 0; i < nr; i++) {
		err = vnl_get_hint(v, g[i].name, o.domain, NULL, &h);
		/* Without --stack, a stack not sampled yet is no error. */
		if (err == -EAGAIN && !o.stack)
			continue;
		if (err) {
			ret = ctl_fail(v, "read hints", err);
			break;
		}
		if (o.json)
			json_object_array_add(arr, json_hint(g[i].name, &h));
		else
			table_hint(t, g[i].name, &h);
	}
	vnl_close(v);
	free(g);
	if (o.json && !ret)
		ctl_json_print(arr);
	else if (o.json)
		json_object_put(arr);
	if (t && !ret)
		table_print(t, stdout);
	table_free(t);
	return ret;
}
