// SPDX-License-Identifier: GPL-2.0
/*
 * DOC: /proc/vmmerge
 *
 * One aligned table per file, one header line, one row per object, figures
 * in pages as of the last statistics refresh.  Meant for eyes and awk; the
 * netlink family is the interface for programs.
 */
#include <linux/jiffies.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>

#include "hints.h"
#include "procfs.h"
#include "registry.h"
#include "stats.h"

static struct proc_dir_entry *vmm_proc_dir;

static void vmm_seq_pct(struct seq_file *m, const struct vmm_stats *stats)
{
	unsigned int permille = vmm_stats_saved_permille(stats);

	seq_printf(m, " %5u.%u", permille / 10, permille % 10);
}

static void vmm_seq_yield(struct seq_file *m, const struct vmm_estimate *est)
{
	unsigned int permille = vmm_estimate_yield_permille(est);

	seq_printf(m, " %5u.%u", permille / 10, permille % 10);
}

static int vmm_vms_show(struct seq_file *m, void *v)
{
	struct vmm_vm *vm;

	seq_printf(m, "%-10s %-16s %7s %-16s %-12s %4s %-10s %9s %9s %9s %9s %8s %9s %6s %-9s %s\n",
		   "ID", "NAME", "PID", "GROUP", "DOMAIN", "NODE", "STATE",
		   "RESIDENT", "MERGED", "SAVED", "ZERO", "AGE_MS", "SAMPLES",
		   "YIELD%", "MERGE_ANY", "REASON");
	mutex_lock(&vmm_reg.lock);
	list_for_each_entry(vm, &vmm_reg.vms, list) {
		unsigned int yield = vmm_estimate_yield_permille(&vm->scan.est);

		seq_printf(m, "%-10llu %-16s %7d %-16s %-12s %4d %-10s %9llu %9llu %9llu %9llu %8d %9llu %4u.%u %-9s %s\n",
			   vm->id, vm->name, vm->pid, vm->group->name,
			   vm->group->domain->name, vm->node,
			   vmm_state_name(vm->state), vm->stats.resident,
			   vm->stats.merged, vmm_stats_saved_pages(&vm->stats),
			   vm->stats.zero,
			   vm->stats_jiffies ?
			   jiffies_to_msecs(jiffies - vm->stats_jiffies) : -1,
			   vm->scan.est.samples, yield / 10, yield % 10,
			   vm->merges_any ? "yes" : "no", vm->reason);
	}
	mutex_unlock(&vmm_reg.lock);
	return 0;
}

static int vmm_groups_show(struct seq_file *m, void *v)
{
	struct vmm_group *group;

	seq_printf(m, "%-16s %-12s %5s %8s %9s %9s %9s %7s %7s\n", "NAME", "DOMAIN",
		   "VMS", "ENROLLED", "RESIDENT", "MERGED", "SAVED", "SAVED%",
		   "YIELD%");
	mutex_lock(&vmm_reg.lock);
	list_for_each_entry(group, &vmm_reg.groups, list) {
		seq_printf(m, "%-16s %-12s %5u %8u %9llu %9llu %9llu",
			   group->name, group->domain->name, group->nr_vms,
			   group->nr_enrolled, group->stats.resident,
			   group->stats.merged,
			   vmm_stats_saved_pages(&group->stats));
		vmm_seq_pct(m, &group->stats);
		vmm_seq_yield(m, &group->est);
		seq_putc(m, '\n');
	}
	mutex_unlock(&vmm_reg.lock);
	return 0;
}

static int vmm_domains_show(struct seq_file *m, void *v)
{
	struct vmm_domain *domain;

	seq_printf(m, "%-12s %-8s %6s %5s %8s %9s %9s %9s %7s\n", "NAME",
		   "ISOLATED", "GROUPS", "VMS", "ENROLLED", "RESIDENT", "MERGED",
		   "SAVED", "SAVED%");
	mutex_lock(&vmm_reg.lock);
	list_for_each_entry(domain, &vmm_reg.domains, list) {
		seq_printf(m, "%-12s %-8s %6u %5u %8u %9llu %9llu %9llu",
			   domain->name, vmm_domain_isolated(domain) ? "yes" : "no",
			   domain->nr_groups, domain->nr_vms, domain->nr_enrolled,
			   domain->stats.resident, domain->stats.merged,
			   vmm_stats_saved_pages(&domain->stats));
		vmm_seq_pct(m, &domain->stats);
		seq_putc(m, '\n');
	}
	mutex_unlock(&vmm_reg.lock);
	return 0;
}

static void vmm_hints_group(struct seq_file *m, const struct vmm_group *group)
{
	struct vmm_hint hint = {
		.sketch = group->sketch,
		.nr_sketch = group->nr_sketch,
		.domain = group->domain,
	};
	const struct vmm_hint_scope *s;
	unsigned int i;

	vmm_hint_group_sizes(group, &hint.pages, &hint.zero_pages);
	if (!hint.nr_sketch || vmm_hint_answer(&hint))
		return;
	for (i = 0; i < hint.nr_scopes; i++) {
		s = &hint.scopes[i];
		seq_printf(m, "%-16s %-12s %4u ", group->name, group->domain->name,
			   i + 1);
		if (s->node == VMMERGE_HINT_HOST)
			seq_printf(m, "%-6s", "host");
		else
			seq_printf(m, "node%-2u", s->node);
		seq_printf(m, " %5u/%-5u %5u.%u %9llu %-7s %s\n", s->matched,
			   hint.nr_sketch, s->permille / 10, s->permille % 10,
			   s->pages, s->allowed ? "yes" : "no", s->reason);
	}
	vmm_hint_free(&hint);
}

/* For every stack, where a new VM of it would share most, best first. */
static int vmm_hints_show(struct seq_file *m, void *v)
{
	struct vmm_group *group;

	seq_printf(m, "%-16s %-12s %4s %-6s %11s %6s %9s %-7s %s\n", "STACK",
		   "DOMAIN", "RANK", "SCOPE", "MATCHED", "SHARE%", "PAGES",
		   "ALLOWED", "REASON");
	mutex_lock(&vmm_reg.lock);
	list_for_each_entry(group, &vmm_reg.groups, list)
		vmm_hints_group(m, group);
	mutex_unlock(&vmm_reg.lock);
	return 0;
}

int __init vmm_procfs_init(void)
{
	vmm_proc_dir = proc_mkdir("vmmerge", NULL);
	if (!vmm_proc_dir)
		return -ENOMEM;
	if (!proc_create_single("vms", 0400, vmm_proc_dir, vmm_vms_show) ||
	    !proc_create_single("groups", 0400, vmm_proc_dir, vmm_groups_show) ||
	    !proc_create_single("domains", 0400, vmm_proc_dir, vmm_domains_show) ||
	    !proc_create_single("hints", 0400, vmm_proc_dir, vmm_hints_show)) {
		proc_remove(vmm_proc_dir);
		return -ENOMEM;
	}
	return 0;
}

void vmm_procfs_exit(void)
{
	proc_remove(vmm_proc_dir);
}
