// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The vmmerge developers.
 *
 * vmmergectl remove ID|NAME: unregister a VM.  A number is an id; anything
 * else is looked up among the VMs' names.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

static int lookup_name(struct vnl *v, const char *name, uint64_t *id)
{
	struct vmm_vm *vms;
	size_t nr, i;
	int err = vnl_dump_vms(v, &vms, &nr);

	if (err)
		return err;
	err = -ENOENT;
	for (i = 0; i < nr; i++) {
		if (!strcmp(vms[i].name, name)) {
			*id = vms[i].id;
			err = 0;
			break;
		}
	}
	free(vms);
	return err;
}

int cmd_remove(int argc, char **argv)
{
	struct vnl *v;
	uint64_t id;
	int err;

	if (argc != 2)
		return ctl_usage("remove ID|NAME");
	v = ctl_open("remove VM");
	if (!v)
		return 1;
	err = 0;
	if (ctl_parse_u64(argv[1], &id) || !id)
		err = lookup_name(v, argv[1], &id);
	if (err == -ENOENT) {
		fprintf(stderr, "%s: Unable to remove VM: No VM named `%s'\n",
			prog, argv[1]);
		vnl_close(v);
		return 1;
	}
	if (!err)
		err = vnl_del_vm(v, id);
	if (err)
		ctl_fail(v, "remove VM", err);
	vnl_close(v);
	return err ? 1 : 0;
}
