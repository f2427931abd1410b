// SPDX-License-Identifier: GPL-2.0
/*
 * DOC: page-table walker
 *
 * The scanner and the statistics walk both look at what a VMM has mapped at
 * addresses it gave us when it registered.  The VMM may have remapped them
 * since: munmap, mmap(MAP_FIXED) of a device, a shared or a file mapping,
 * mremap.  So no walk trusts the addresses: each step looks the VMA up under
 * the mmap lock and descends only into anonymous private VMAs that KSM could
 * merge.  Holding the mmap read lock with such a VMA in the tree keeps its
 * page tables in place (munmap detaches VMAs under the write lock before it
 * frees their tables under the read lock); since 6.5 the table may still be
 * found gone (vmm_pte_map_lock() in compat.h returns NULL), which ends the
 * step.
 *
 * Only pages are reported, never faulted in, pinned or split; special ptes
 * (other than the shared zero page) and device pages are skipped.
 */
#include <linux/mm.h>
#include <linux/pgtable.h>

#include "compat.h"
#include "walk.h"

/* VMAs whose pages are never ours to look at. */
#define VMM_WALK_FORBIDDEN (VM_SHARED | VM_MAYSHARE | VM_PFNMAP | VM_IO | \
			    VM_MIXEDMAP | VM_HUGETLB | VM_DONTEXPAND)

bool vmm_vma_walkable(struct vm_area_struct *vma)
{
	return vma_is_anonymous(vma) && !(vma->vm_flags & VMM_WALK_FORBIDDEN);
}

/* The pmd mapping @addr, or NULL if nothing below it is a page table. */
static pmd_t *vmm_pmd_lookup(struct mm_struct *mm, unsigned long addr)
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

static void vmm_walk_pte_range(pte_t *ptep, unsigned long addr,
			       unsigned long end, const struct vmm_walk_ops *ops,
			       void *arg)
{
	unsigned long pfn;
	pte_t pte;

	for (; addr < end; ptep++, addr += PAGE_SIZE) {
		pte = ptep_get(ptep);
		if (!pte_present(pte))
			continue;
		pfn = pte_pfn(pte);
		if (is_zero_pfn(pfn))
			ops->pte(arg, NULL, addr);
		else if (!pte_special(pte) && !pte_devmap(pte) && pfn_valid(pfn))
			ops->pte(arg, pfn_to_page(pfn), addr);
	}
}

static void vmm_walk_ptes(struct mm_struct *mm, pmd_t *pmdp, unsigned long addr,
			  unsigned long end, const struct vmm_walk_ops *ops,
			  void *arg)
{
	spinlock_t *ptl;
	pte_t *start;

	if (!vmm_pte_map_lock(mm, pmdp, addr, &start, &ptl))
		return;
	vmm_walk_pte_range(start, addr, end, ops, arg);
	vmm_pte_unmap_unlock(start, ptl);
}

/* [addr, end) lies within one pmd of a walkable VMA. */
static void vmm_walk_pmd(struct mm_struct *mm, unsigned long addr,
			 unsigned long end, const struct vmm_walk_ops *ops,
			 void *arg)
{
	pmd_t *pmdp = vmm_pmd_lookup(mm, addr);
	spinlock_t *ptl;
	pmd_t pmd;

	if (!pmdp)
		return;
	pmd = READ_ONCE(*pmdp);
	if (pmd_none(pmd))
		return;
	if (pmd_trans_huge(pmd) || pmd_devmap(pmd)) {
		ptl = pmd_lock(mm, pmdp);
		pmd = *pmdp;
		if (pmd_trans_huge(pmd) && !pmd_devmap(pmd) &&
		    pfn_valid(pmd_pfn(pmd)))
			ops->huge(arg, pmd_page(pmd), addr,
				  (end - addr) >> PAGE_SHIFT);
		spin_unlock(ptl);
		return;
	}
	if (!pmd_present(pmd) || pmd_bad(pmd))
		return;
	vmm_walk_ptes(mm, pmdp, addr, end, ops, arg);
}

/**
 * vmm_walk_step() - report the pages mapped from @addr to the next boundary
 * @mm: a VMM's memory, with a user reference and the mmap lock held
 * @addr: page aligned, below @end
 * @end: the end of the range the caller walks
 * @ops: called for each page found
 * @arg: passed to @ops
 *
 * A step ends at the next pmd boundary, at the end of the VMA holding
 * @addr, or at @end.  If @addr lies in no VMA, or in one we must not walk,
 * nothing is reported and the step skips to the next VMA (or its end).
 * Callers may drop the mmap lock between steps.
 *
 * Return: where the next step starts, > @addr and <= @end.
 */
unsigned long vmm_walk_step(struct mm_struct *mm, unsigned long addr,
			    unsigned long end, const struct vmm_walk_ops *ops,
			    void *arg)
{
	struct vm_area_struct *vma = find_vma(mm, addr);
	unsigned long next;

	mmap_assert_locked(mm);
	if (!vma || vma->vm_start >= end)
		return end;
	if (vma->vm_start > addr)
		return vma->vm_start;
	next = min3(pmd_addr_end(addr, end), vma->vm_end, end);
	if (vmm_vma_walkable(vma))
		vmm_walk_pmd(mm, addr, next, ops, arg);
	return next;
}
