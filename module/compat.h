/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Everything that differs between the kernels vmmerge supports (6.1 to
 * 6.12), in one place.  Each helper is named after what it does, not after
 * the kernel API it hides.
 */
#ifndef _VMMERGE_COMPAT_H
#define _VMMERGE_COMPAT_H

#include <linux/mm.h>
#include <linux/pgtable.h>
#include <linux/rcupdate.h>
#include <linux/version.h>
#include <net/genetlink.h>

/* Store new vm_flags; the caller holds the mmap lock for writing. */
static inline void vmm_vma_store_flags(struct vm_area_struct *vma,
				       unsigned long flags)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 4, 0)
	vma_start_write(vma);
	vm_flags_reset(vma, flags);
#elif LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
	vm_flags_reset(vma, flags);
#else
	vma->vm_flags = flags;
#endif
}

/*
 * Map and lock the page table a pmd points to.  Before 6.5 the kernel's
 * pte_offset_map_lock() is inline and never fails under the mmap lock.
 * Since 6.5 a page table may be freed under the mmap read lock (after RCU)
 * and the kernel's version, __pte_offset_map_lock(), is out of line and not
 * exported; these are its steps with the inline helpers it is made of:
 * under rcu_read_lock(), read the pmd once, give up unless it points to a
 * page table, lock that table, and give up if the pmd changed meanwhile.
 * False means there is no page table here (any more).
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 5, 0)
static inline pte_t *__vmm_pte_map_lock(struct mm_struct *mm, pmd_t *pmdp,
					unsigned long addr, spinlock_t **ptlp)
{
	spinlock_t *ptl;
	pmd_t pmdval;

	rcu_read_lock();
	pmdval = pmdp_get_lockless(pmdp);
	if (pmd_none(pmdval) || !pmd_present(pmdval) || pmd_trans_huge(pmdval) ||
	    pmd_devmap(pmdval) || pmd_bad(pmdval))
		goto fail;
	ptl = pte_lockptr(mm, &pmdval);
	spin_lock(ptl);
	if (unlikely(!pmd_same(pmdval, pmdp_get_lockless(pmdp)))) {
		spin_unlock(ptl);
		goto fail;
	}
	*ptlp = ptl;
	/* For sparse: vmm_pte_map_lock()'s __cond_lock counts both. */
	__release(ptl);
	__release(RCU);
	return pte_offset_kernel(&pmdval, addr);
fail:
	rcu_read_unlock();
	return NULL;
}
/* True with *@ptep mapped and *@ptlp locked; written so sparse can follow. */
#define vmm_pte_map_lock(mm, pmdp, addr, ptep, ptlp)			\
	__cond_lock(RCU, __cond_lock(*(ptlp),				\
		    (*(ptep) = __vmm_pte_map_lock(mm, pmdp, addr, ptlp)) != NULL))
/* Unlocks and leaves the RCU read side, as pte_unmap() does since 6.5. */
#define vmm_pte_unmap_unlock(pte, ptl) pte_unmap_unlock(pte, ptl)
#else
#define vmm_pte_map_lock(mm, pmdp, addr, ptep, ptlp)			\
	((*(ptep) = pte_offset_map_lock(mm, pmdp, addr, ptlp)), true)
#define vmm_pte_unmap_unlock(pte, ptl) pte_unmap_unlock(pte, ptl)
#endif

/* Ptes that map a small page; KSM pages are always small (tested: 6.1, 6.12). */
static inline int vmm_page_mapcount(struct page *page)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 9, 0)
	return folio_mapcount(page_folio(page));
#else
	return page_mapcount(page);
#endif
}

/*
 * Since 6.4 a process can ask KSM to merge all of its memory
 * (prctl(PR_SET_MEMORY_MERGE)); new mappings then start out mergeable.
 */
static inline bool vmm_mm_merges_any(struct mm_struct *mm)
{
#ifdef MMF_VM_MERGE_ANY
	return test_bit(MMF_VM_MERGE_ANY, &mm->flags);
#else
	return false;
#endif
}

/* Only admins may listen to events, where the kernel can say so (6.7). */
#ifdef GENL_MCAST_CAP_SYS_ADMIN
#define VMM_MCGRP_ADMIN_FLAGS GENL_MCAST_CAP_SYS_ADMIN
#else
#define VMM_MCGRP_ADMIN_FLAGS 0
#endif

#endif /* _VMMERGE_COMPAT_H */
