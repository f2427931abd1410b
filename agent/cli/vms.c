// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The vmmerge developers.
 *
 * vmmergectl vms [--json]: every registered VM.
 */
#include <inttypes.h>
#include <stdlib.h>

#include "ctl.h"

void print_vms_table(FILE *f, struct vmm_vm *vms, size_t nr)
{
	static const char *const hdr[] = {
		">ID", "NAME", ">PID", "STACK", "DOMAIN", "STATE", ">NODE",
		">RESIDENT", ">MERGED", ">SAVED", ">ZERO", ">YIELD", "MERGE_ANY",
		"REASON"
	};
	struct table *t = table_new(14, hdr);
	size_t i;

	for (i = 0; i < nr; i++) {
		const struct vmm_vm *vm = &vms[i];
		char id[24], pid[16], node[16], r[32], m[32], s[32], z[32];
		char y[16];

		snprintf(id, sizeof(id), "%" PRIu64, vm->id);
		snprintf(pid, sizeof(pid), "%u", vm->pid);
		snprintf(node, sizeof(node), "%u", vm->node);
		table_row(t, id, vm->name, pid, vm->group, vm->domain,
			  vmm_state_name(vm->state), node,
			  ctl_size(r, sizeof(r), vm->stats.resident),
			  ctl_size(m, sizeof(m), vm->stats.merged),
			  ctl_size(s, sizeof(s), vm->stats.saved),
			  ctl_size(z, sizeof(z), vm->stats.zero),
			  ctl_yield(y, sizeof(y), &vm->est),
			  vm->merge_any ? "yes" : "no", vm->reason);
	}
	table_print(t, f);
	table_free(t);
}

static int list(struct vnl *v, void *arg)
{
	struct vmm_vm *vms;
	size_t nr, i;
	int err = vnl_dump_vms(v, &vms, &nr);

	if (err)
		return err;
	if (*(int *)arg) {
		struct json_object *a = json_object_new_array();

		for (i = 0; i < nr; i++)
			json_object_array_add(a, json_vm(&vms[i]));
		ctl_json_print(a);
	} else {
		print_vms_table(stdout, vms, nr);
	}
	free(vms);
	return 0;
}

int cmd_vms(int argc, char **argv)
{
	int json = ctl_json_flag(argc, argv);

	if (json < 0)
		return ctl_usage("vms [--json]");
	return ctl_run("list VMs", list, &json);
}
