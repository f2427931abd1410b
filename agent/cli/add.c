// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The vmmerge developers.
 *
 * vmmergectl add --pid P --stack S [--domain D] [--name N] [--id ID]
 *                [--region START:LEN ...] [--mem MIB]
 *
 * Registers a VM.  Without --region, guest RAM is found in /proc/P/maps:
 * the largest anonymous private read-write mapping, or the one of exactly
 * --mem MiB.  The stack S, and the domain D (default "default"), are
 * created when missing; a domain created here is shared, and says so.  A
 * stack that exists keeps its domain: --domain naming another one is an
 * error, without --domain the VM joins the stack where it is.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "maps.h"

#define ADD_USAGE "add --pid P --stack S [--domain D] [--name N] [--id ID] " \
	"[--region START:LEN ...] [--mem MIB]"

struct add_opts {
	struct vmm_vm vm;
	const char *domain;
	bool have_domain;
	bool created_domain;
	uint64_t mem_mib;
	bool have_id;
};

static int parse_region(const char *arg, struct vmm_vm *vm)
{
	char buf[64], *colon;
	struct vmm_region *r;

	if (vm->nr_regions == VMM_MAX_REGIONS || strlen(arg) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, arg);
	colon = strchr(buf, ':');
	if (!colon)
		return -EINVAL;
	*colon = '\0';
	r = &vm->regions[vm->nr_regions];
	if (ctl_parse_u64(buf, &r->start) || ctl_parse_u64(colon + 1, &r->length))
		return -EINVAL;
	vm->nr_regions++;
	return 0;
}

static int parse_opt(int c, const char *arg, struct add_opts *o)
{
	uint64_t n;

	switch (c) {
	case 'p':
		if (ctl_parse_u64(arg, &n) || !n || n > INT32_MAX)
			return -EINVAL;
		o->vm.pid = n;
		return 0;
	case 's':
		return snprintf(o->vm.group, sizeof(o->vm.group), "%s", arg) <
			(int)sizeof(o->vm.group) ? 0 : -EINVAL;
	case 'D':
		o->domain = arg;
		o->have_domain = true;
		return 0;
	case 'n':
		return snprintf(o->vm.name, sizeof(o->vm.name), "%s", arg) <
			(int)sizeof(o->vm.name) ? 0 : -EINVAL;
	case 'i':
		o->have_id = true;
		return ctl_parse_u64(arg, &o->vm.id) || !o->vm.id ? -EINVAL : 0;
	case 'r':
		return parse_region(arg, &o->vm);
	case 'm':
		return ctl_parse_u64(arg, &o->mem_mib) || !o->mem_mib ?
			-EINVAL : 0;
	}
	return -EINVAL;
}

static int parse_args(int argc, char **argv, struct add_opts *o)
{
	static const struct option longopts[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "stack", required_argument, NULL, 's' },
		{ "domain", required_argument, NULL, 'D' },
		{ "name", required_argument, NULL, 'n' },
		{ "id", required_argument, NULL, 'i' },
		{ "region", required_argument, NULL, 'r' },
		{ "mem", required_argument, NULL, 'm' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	memset(o, 0, sizeof(*o));
	o->domain = "default";
	optind = 1;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (c == '?' || parse_opt(c, optarg, o)) {
			if (c != '?')
				fprintf(stderr, "%s: Invalid argument: `%s'\n",
					prog, optarg);
			return -EINVAL;
		}
	}
	if (optind != argc || !o->vm.pid || !o->vm.group[0] ||
	    (o->mem_mib && o->vm.nr_regions))
		return -EINVAL;
	return 0;
}

/* Fill in what the user left out: regions, id and name from /proc. */
static int complete_vm(struct add_opts *o)
{
	struct vmm_vm *vm = &o->vm;
	char comm[32];
	int err;

	if (!vm->nr_regions) {
		err = maps_pick_pid(vm->pid, o->mem_mib << 20, &vm->regions[0]);
		if (err)
			return err;
		vm->nr_regions = 1;
	}
	if (!o->have_id) {
		err = proc_vm_id(vm->pid, &vm->id);
		if (err)
			return err;
	}
	if (!vm->name[0]) {
		err = proc_comm(vm->pid, comm, sizeof(comm));
		if (err)
			return err;
		snprintf(vm->name, sizeof(vm->name), "%s-%u", comm, vm->pid);
	}
	return 0;
}

/* The domain of stack @name in the module, "" if there is no such stack. */
static int group_domain(struct vnl *v, const char *name, char *domain)
{
	struct vmm_group *groups;
	size_t nr, i;
	int err = vnl_dump_groups(v, &groups, &nr);

	domain[0] = '\0';
	if (err)
		return err;
	for (i = 0; i < nr; i++)
		if (!strcmp(groups[i].name, name))
			strcpy(domain, groups[i].domain);
	free(groups);
	return 0;
}

/*
 * Create the domain and the stack unless they exist.  1 when told already
 * (the stack is in another domain), else 0 or -errno.
 */
static int ensure_group(struct vnl *v, struct add_opts *o)
{
	char have[VMMERGE_NAME_MAXLEN];
	int err = group_domain(v, o->vm.group, have);

	if (err)
		return err;
	if (have[0] && o->have_domain && strcmp(have, o->domain)) {
		fprintf(stderr, "%s: Unable to add VM: stack %s is in domain %s, "
			"not %s (vmmergectl stack set %s domain %s, or leave "
			"out --domain)\n", prog, o->vm.group, have, o->domain,
			o->vm.group, o->domain);
		return 1;
	}
	if (have[0])
		return 0;
	err = vnl_new_domain(v, o->domain, 0);
	o->created_domain = !err;
	if (err && err != -EEXIST)
		return err;
	err = vnl_new_group(v, o->vm.group, o->domain);
	return err == -EEXIST ? 0 : err;
}

static int find_ram_fail(const struct add_opts *o, int err)
{
	if (err == -ENOENT && o->mem_mib)
		fprintf(stderr, "%s: Unable to find guest RAM: no anonymous "
			"mapping of %llu MiB in process %u\n", prog,
			(unsigned long long)o->mem_mib, o->vm.pid);
	else if (err == -ENOENT)
		fprintf(stderr, "%s: Unable to find guest RAM: No such "
			"process or no anonymous mapping: %u\n", prog,
			o->vm.pid);
	else
		ctl_fail(NULL, "read the VMM process", err);
	return 1;
}

int cmd_add(int argc, char **argv)
{
	struct add_opts o;
	struct vnl *v;
	int err;

	if (parse_args(argc, argv, &o))
		return ctl_usage(ADD_USAGE);
	err = complete_vm(&o);
	if (err)
		return find_ram_fail(&o, err);
	v = ctl_open("add VM");
	if (!v)
		return 1;
	err = ensure_group(v, &o);
	if (err) {
		if (err < 0)
			ctl_fail(v, "create the domain and stack", err);
		vnl_close(v);
		return 1;
	}
	err = vnl_add_vm(v, &o.vm);
	if (err)
		ctl_fail(v, "add VM", err);
	else
		printf("%llu\n", (unsigned long long)o.vm.id);
	if (!err && o.created_domain)
		fprintf(stderr, "%s: note: created domain %s, shared (for an "
			"isolated one: vmmergectl domain add %s isolated)\n",
			prog, o.domain, o.domain);
	vnl_close(v);
	return err ? 1 : 0;
}
