// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The vmmerge developers.
 *
 * What vmmergectl's --json prints.  Counts are JSON numbers; VM ids are
 * strings of decimal digits: they are built from the VMM's start time and
 * pid and pass 2^53 after about 248 days of uptime, where a JSON number
 * stops being exact in jq, JavaScript and other doubles-only readers (and
 * ids of 2^63 and more do not fit json-c's int64 at all).
 */
#include <inttypes.h>
#include <stdio.h>

#include "ctl.h"

void ctl_json_print(struct json_object *obj)
{
	puts(json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PRETTY |
					    JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(obj);
}

struct json_object *ctl_json_stats(const struct vmm_stats *s)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "resident_pages",
			       json_object_new_int64(s->resident));
	json_object_object_add(o, "merged_pages",
			       json_object_new_int64(s->merged));
	json_object_object_add(o, "saved_pages",
			       json_object_new_int64(s->saved));
	json_object_object_add(o, "zero_pages", json_object_new_int64(s->zero));
	json_object_object_add(o, "refreshed_ms",
			       json_object_new_int64(s->refreshed_ms));
	return o;
}

struct json_object *ctl_json_estimate(const struct vmm_estimate *e)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "samples", json_object_new_int64(e->samples));
	json_object_object_add(o, "present_pages",
			       json_object_new_int64(e->present));
	json_object_object_add(o, "zero_pages", json_object_new_int64(e->zero));
	json_object_object_add(o, "dup_vm_pages",
			       json_object_new_int64(e->dup_vm));
	json_object_object_add(o, "dup_group_pages",
			       json_object_new_int64(e->dup_group));
	json_object_object_add(o, "dup_domain_pages",
			       json_object_new_int64(e->dup_domain));
	json_object_object_add(o, "yield_permille",
			       json_object_new_int(e->yield_permille));
	json_object_object_add(o, "pages", json_object_new_int64(e->pages));
	return o;
}

struct json_object *json_vm(const struct vmm_vm *vm)
{
	struct json_object *o = json_object_new_object();
	struct json_object *regions = json_object_new_array();
	char id[24];
	unsigned int i;

	snprintf(id, sizeof(id), "%" PRIu64, vm->id);
	json_object_object_add(o, "id", json_object_new_string(id));
	json_object_object_add(o, "name", json_object_new_string(vm->name));
	json_object_object_add(o, "pid", json_object_new_int64(vm->pid));
	json_object_object_add(o, "stack", json_object_new_string(vm->group));
	json_object_object_add(o, "domain", json_object_new_string(vm->domain));
	json_object_object_add(o, "state",
			       json_object_new_string(vmm_state_name(vm->state)));
	json_object_object_add(o, "reason", json_object_new_string(vm->reason));
	json_object_object_add(o, "merge_any",
			       json_object_new_boolean(vm->merge_any));
	json_object_object_add(o, "node", json_object_new_int64(vm->node));
	for (i = 0; i < vm->nr_regions; i++) {
		struct json_object *r = json_object_new_object();

		json_object_object_add(r, "start",
				       json_object_new_int64(vm->regions[i].start));
		json_object_object_add(r, "length",
				       json_object_new_int64(vm->regions[i].length));
		json_object_array_add(regions, r);
	}
	json_object_object_add(o, "regions", regions);
	json_object_object_add(o, "stats", ctl_json_stats(&vm->stats));
	json_object_object_add(o, "estimate", ctl_json_estimate(&vm->est));
	return o;
}
