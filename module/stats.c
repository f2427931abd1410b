// SPDX-License-Identifier: GPL-2.0
/*
 * DOC: statistics
 *
 * A delayed work walks the page tables of every VM's guest-RAM regions at
 * most every stats_interval_ms, visiting at most stats_max_pages entries per
 * run (a cursor carries the walk over to the next run when the budget ends).
 * It runs under vmm_reg.lock and takes each mm's mmap lock for reading one
 * PMD's worth of entries at a time, so neither the VMM nor ksmd waits long.
 *
 * Pages are only looked at, never faulted in, pinned or split: a present pte
 * is read under its page-table lock; a huge pmd counts as resident and, as
 * KSM only ever merges small pages, as unmerged.  A page mapped to a KSM page
 * that n ptes map saves n - 1 pages; each mapper is credited (n - 1) / n.
 */
#include <linux/jiffies.h>
#include <linux/ksm.h>
#include <linux/mm.h>
#include <linux/pgtable.h>
#include <linux/sched/mm.h>

#include "knobs.h"
#include "policy.h"
#include "registry.h"
#include "stats.h"

struct vmm_ksm_counters vmm_ksm_counters;

static void vmm_stats_work_fn(struct work_struct *work);
static DECLARE_DELAYED_WORK(vmm_stats_work, vmm_stats_work_fn);
static u64 vmm_stats_cursor;	/* id of the VM the next run starts after */

/**
 * struct vmm_walk - one VM's walk in progress
 * @stats: counts so far
 * @budget: page-table entries left in this run
 * @node: majority vote (Boyer-Moore) over the nodes of resident pages
 * @votes: the vote's counter
 */
struct vmm_walk {
	struct vmm_stats stats;
	unsigned long budget;
	int node;
	long votes;
};

static void vmm_walk_vote(struct vmm_walk *w, int nid, long weight)
{
	if (w->node == nid) {
		w->votes += weight;
	} else if (w->votes <= weight) {
		w->node = nid;
		w->votes = weight - w->votes;
	} else {
		w->votes -= weight;
	}
}

static void vmm_walk_page(struct vmm_walk *w, pte_t pte)
{
	unsigned long pfn = pte_pfn(pte);
	struct page *page;
	int mapcount;

	w->stats.resident++;
	if (is_zero_pfn(pfn)) {
		w->stats.zero++;
		return;
	}
	if (!pfn_valid(pfn))
		return;
	page = pfn_to_page(pfn);
	vmm_walk_vote(w, page_to_nid(page), 1);
	if (!PageKsm(page))
		return;
	w->stats.merged++;
	mapcount = page_mapcount(page);
	if (mapcount > 1)
		w->stats.saved_fp += ((u64)(mapcount - 1) << VMM_SAVED_SHIFT) /
				     mapcount;
}

static void vmm_walk_ptes(struct mm_struct *mm, pmd_t *pmdp, unsigned long addr,
			  unsigned long end, struct vmm_walk *w)
{
	pte_t *start, *pte;
	spinlock_t *ptl;

	start = pte_offset_map_lock(mm, pmdp, addr, &ptl);
	for (pte = start; addr < end; pte++, addr += PAGE_SIZE) {
		pte_t entry = READ_ONCE(*pte);

		if (pte_present(entry))
			vmm_walk_page(w, entry);
	}
	pte_unmap_unlock(start, ptl);
}

/* Find the pmd mapping @addr, or NULL if nothing below it is mapped. */
pmd_t *vmm_pmd_lookup(struct mm_struct *mm, unsigned long addr)
{
	pgd_t *pgd = pgd_offset(mm, addr);
	p4d_t *p4d;
	pud_t *pud;

	if (pgd_none(*pgd) || pgd_bad(*pgd))
		return NULL;
	p4d = p4d_offset(pgd, addr);
	if (p4d_none(*p4d) || p4d_bad(*p4d))
		return NULL;
	pud = pud_offset(p4d, addr);
	if (pud_none(*pud) || !pud_present(*pud) || pud_trans_huge(*pud) ||
	    pud_bad(*pud))
		return NULL;
	return pmd_offset(pud, addr);
}

/* Walk [addr, end), which lies within one pmd, with the mmap lock held. */
static void vmm_walk_pmd_range(struct mm_struct *mm, unsigned long addr,
			       unsigned long end, struct vmm_walk *w)
{
	pmd_t *pmdp = vmm_pmd_lookup(mm, addr);
	pmd_t pmd;

	if (!pmdp)
		return;
	pmd = READ_ONCE(*pmdp);
	if (pmd_none(pmd))
		return;
	if (pmd_trans_huge(pmd) || pmd_devmap(pmd)) {
		long nr = (end - addr) >> PAGE_SHIFT;

		w->stats.resident += nr;
		if (pfn_valid(pmd_pfn(pmd)))
			vmm_walk_vote(w, page_to_nid(pmd_page(pmd)), nr);
		return;
	}
	if (!pmd_present(pmd) || pmd_bad(pmd))
		return;
	vmm_walk_ptes(mm, pmdp, addr, end, w);
}

static int vmm_walk_region(struct mm_struct *mm, const struct vmm_region *r,
			   struct vmm_walk *w)
{
	unsigned long addr = r->start, end = r->start + r->len, next;

	while (addr < end) {
		next = min(pmd_addr_end(addr, end), end);
		if (w->budget < PTRS_PER_PTE)
			return -EAGAIN;
		w->budget -= (next - addr) >> PAGE_SHIFT;
		if (mmap_read_lock_killable(mm))
			return -EINTR;
		vmm_walk_pmd_range(mm, addr, next, w);
		mmap_read_unlock(mm);
		cond_resched();
		addr = next;
	}
	return 0;
}

/* Returns -EAGAIN when the budget ran out before the VM was done. */
static int vmm_stats_walk_vm(struct vmm_vm *vm, unsigned long *budget)
{
	struct vmm_walk w = { .budget = *budget, .node = NUMA_NO_NODE };
	unsigned int i;
	int ret = 0;

	if (atomic_read(&vm->exited) || !mmget_not_zero(vm->mm))
		return 0;
	for (i = 0; i < vm->nr_regions && !ret; i++)
		ret = vmm_walk_region(vm->mm, &vm->regions[i], &w);
	mmput(vm->mm);
	*budget = w.budget;
	if (ret)
		return ret;
	vm->stats = w.stats;
	vm->stats_jiffies = jiffies;
	if (w.node != NUMA_NO_NODE && w.node != vm->node) {
		vm->node = w.node;
		return 1;
	}
	return 0;
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
			break;
		moved |= ret > 0;
		vmm_stats_cursor = vm->id;
	}
	return moved;
}

static void vmm_stats_refresh(void)
{
	struct vmm_ksm_counters counters;
	bool moved;

	vmm_ksm_read_counters(&counters);
	mutex_lock(&vmm_reg.lock);
	vmm_ksm_counters = counters;
	moved = vmm_stats_walk_all();
	vmm_stats_sum();
	vmm_reg.stats_jiffies = jiffies;
	vmm_reg.nr_refreshes++;
	if (moved)
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
