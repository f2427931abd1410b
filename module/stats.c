// SPDX-License-Identifier: GPL-2.0
/*
 * DOC: statistics
 *
 * A delayed work walks the page tables of every VM's guest-RAM regions at
 * most every stats_interval_ms, visiting at most stats_max_pages entries per
 * run: a cursor carries the walk over to the next run when the budget ends,
 * and each VM keeps where its own walk stopped, so a VM larger than the
 * budget is walked to its end over several runs.  It runs under
 * vmm_reg.lock and takes each mm's mmap lock for reading one step of the
 * walker (walk.c: at most a PMD's worth of entries) at a time, so neither
 * the VMM nor ksmd waits long.
 *
 * A huge pmd counts as resident and, as KSM only ever merges small pages,
 * as unmerged.  A page mapped to a KSM page that n ptes map saves n - 1
 * pages; each mapper is credited (n - 1) / n.  Each run ends with a policy
 * pass: it retries un-merges that failed, catches VMMs that marked their
 * memory mergeable themselves, and follows nodes and merge_across_nodes.
 */
#include <linux/jiffies.h>
#include <linux/ksm.h>
#include <linux/mm.h>
#include <linux/pgtable.h>
#include <linux/sched/mm.h>

#include "compat.h"
#include "knobs.h"
#include "policy.h"
#include "registry.h"
#include "stats.h"
#include "walk.h"

struct vmm_ksm_counters vmm_ksm_counters;

static void vmm_stats_work_fn(struct work_struct *work);
static DECLARE_DELAYED_WORK(vmm_stats_work, vmm_stats_work_fn);
static u64 vmm_stats_cursor;	/* id of the VM the next run starts after */

static void vmm_walk_vote(struct vmm_stats_walk *w, int nid, long weight)
{
	node_set(nid, w->nodes);
	if (w->node == nid) {
		w->votes += weight;
	} else if (w->votes <= weight) {
		w->node = nid;
		w->votes = weight - w->votes;
	} else {
		w->votes -= weight;
	}
}

static void vmm_stats_pte(void *arg, struct page *page, unsigned long addr)
{
	struct vmm_stats_walk *w = arg;
	int mapcount;

	w->stats.resident++;
	if (!page) {
		w->stats.zero++;
		return;
	}
	vmm_walk_vote(w, page_to_nid(page), 1);
	if (!PageKsm(page))
		return;
	w->stats.merged++;
	mapcount = vmm_page_mapcount(page);
	if (mapcount > 1)
		w->stats.saved_fp += ((u64)(mapcount - 1) << VMM_SAVED_SHIFT) /
				     mapcount;
}

/* A huge page is resident and, as KSM only merges small pages, unmerged. */
static void vmm_stats_huge(void *arg, struct page *head, unsigned long addr,
			   unsigned long nr)
{
	struct vmm_stats_walk *w = arg;

	w->stats.resident += nr;
	vmm_walk_vote(w, page_to_nid(head), nr);
}

static const struct vmm_walk_ops vmm_stats_ops = {
	.pte = vmm_stats_pte,
	.huge = vmm_stats_huge,
};

static void vmm_stats_walk_reset(struct vmm_stats_walk *w)
{
	memset(&w->stats, 0, sizeof(w->stats));
	nodes_clear(w->nodes);
	w->node = NUMA_NO_NODE;
	w->votes = 0;
	w->region = 0;
	w->addr = 0;
}

/*
 * Walk on from where the VM's walk stopped, one step (at most a pmd) per
 * mmap lock hold.  Returns -EAGAIN when @budget ran out first: the walk
 * resumes there next run, so a VM larger than stats_max_pages is still
 * walked to its end.
 */
static int vmm_walk_regions(struct vmm_vm *vm, unsigned long *budget)
{
	struct vmm_stats_walk *w = &vm->walk;
	struct mm_struct *mm = vm->mm;
	const struct vmm_region *r;
	unsigned long end, next;

	for (; w->region < vm->nr_regions; w->region++, w->addr = 0) {
		r = &vm->regions[w->region];
		end = r->start + r->len;
		if (!w->addr)
			w->addr = r->start;
		while (w->addr < end) {
			if (*budget < PTRS_PER_PTE)
				return -EAGAIN;
			if (mmap_read_lock_killable(mm))
				return -EINTR;
			next = vmm_walk_step(mm, w->addr, end, &vmm_stats_ops, w);
			mmap_read_unlock(mm);
			/* A skipped hole costs a step, not its size. */
			*budget -= min_t(unsigned long, (next - w->addr) >> PAGE_SHIFT,
					 PTRS_PER_PTE);
			w->addr = next;
			cond_resched();
		}
	}
	return 0;
}

/*
 * Returns -EAGAIN when the budget ran out before the VM was done, 1 when
 * the VM's majority node or its set of nodes changed, else 0.
 */
static int vmm_stats_walk_vm(struct vmm_vm *vm, unsigned long *budget)
{
	struct vmm_stats_walk *w = &vm->walk;
	bool moved;
	int ret;

	if (atomic_read(&vm->exited) || !mmget_not_zero(vm->mm))
		return 0;
	ret = vmm_walk_regions(vm, budget);
	mmput(vm->mm);
	if (ret == -EINTR)
		vmm_stats_walk_reset(w);
	if (ret)
		return ret;
	vm->stats = w->stats;
	vm->stats_jiffies = jiffies;
	moved = !nodes_equal(vm->nodes, w->nodes) ||
		(w->node != NUMA_NO_NODE && w->node != vm->node);
	vm->nodes = w->nodes;
	vm->walked = true;
	if (w->node != NUMA_NO_NODE)
		vm->node = w->node;
	vmm_stats_walk_reset(w);
	return moved;
}

static void vmm_stats_add(struct vmm_stats *sum, const struct vmm_stats *s)
{
	sum->resident += s->resident;
	sum->merged += s->merged;
	sum->saved_fp += s->saved_fp;
	sum->zero += s->zero;
}

static void vmm_stats_sum(void)
{
	struct vmm_domain *domain;
	struct vmm_group *group;
	struct vmm_vm *vm;

	list_for_each_entry(domain, &vmm_reg.domains, list)
		memset(&domain->stats, 0, sizeof(domain->stats));
	list_for_each_entry(group, &vmm_reg.groups, list)
		memset(&group->stats, 0, sizeof(group->stats));
	memset(&vmm_reg.stats, 0, sizeof(vmm_reg.stats));
	list_for_each_entry(vm, &vmm_reg.vms, list) {
		vmm_stats_add(&vm->group->stats, &vm->stats);
		vmm_stats_add(&vm->group->domain->stats, &vm->stats);
		vmm_stats_add(&vmm_reg.stats, &vm->stats);
	}
}

/* Walk VMs round-robin from the cursor until the budget is spent. */
static bool vmm_stats_walk_all(void)
{
	unsigned long budget = READ_ONCE(vmm_knobs.stats_max_pages);
	unsigned int left = vmm_reg.nr_vms;
	bool moved = false;
	struct vmm_vm *vm;
	int ret;

	if (!left)
		return false;
	list_for_each_entry(vm, &vmm_reg.vms, list)
		if (vm->id == vmm_stats_cursor)
			break;
	while (left--) {
		if (list_is_last(&vm->list, &vmm_reg.vms) ||
		    list_entry_is_head(vm, &vmm_reg.vms, list))
			vm = list_first_entry(&vmm_reg.vms, struct vmm_vm, list);
		else
			vm = list_next_entry(vm, list);
		ret = vmm_stats_walk_vm(vm, &budget);
		if (ret < 0)
			break;	/* the next run starts at this VM again */
		moved |= ret > 0;
		vmm_stats_cursor = vm->id;
	}
	return moved;
}

static void vmm_stats_refresh(void)
{
	struct vmm_ksm_counters counters;

	vmm_ksm_read_counters(&counters);
	mutex_lock(&vmm_reg.lock);
	vmm_ksm_counters = counters;
	vmm_stats_walk_all();
	vmm_stats_sum();
	vmm_reg.stats_jiffies = jiffies;
	vmm_reg.nr_refreshes++;
	vmm_policy_apply();
	mutex_unlock(&vmm_reg.lock);
}

static void vmm_stats_work_fn(struct work_struct *work)
{
	vmm_stats_refresh();
	schedule_delayed_work(&vmm_stats_work,
			      msecs_to_jiffies(READ_ONCE(vmm_knobs.stats_interval_ms)));
}

/* Refresh soon, e.g. after stats_interval_ms was shortened. */
void vmm_stats_kick(void)
{
	mod_delayed_work(system_wq, &vmm_stats_work, 0);
}

u64 vmm_stats_saved_pages(const struct vmm_stats *stats)
{
	return stats->saved_fp >> VMM_SAVED_SHIFT;
}

unsigned int vmm_stats_saved_permille(const struct vmm_stats *stats)
{
	if (!stats->resident)
		return 0;
	return div64_u64((stats->saved_fp * 1000) >> VMM_SAVED_SHIFT,
			 stats->resident);
}

int vmm_stats_init(void)
{
	schedule_delayed_work(&vmm_stats_work, 0);
	return 0;
}

void vmm_stats_exit(void)
{
	cancel_delayed_work_sync(&vmm_stats_work);
}
