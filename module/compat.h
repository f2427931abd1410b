/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Everything that differs between the kernels vmmerge supports (6.1 to
 * 6.12), in one place.  Each helper is named after what it does, not after
 * the kernel API it hides.
 */
#ifndef _VMMERGE_COMPAT_H
#define _VMMERGE_COMPAT_H

#include <linux/mm.h>
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
 * Since 6.5 a page table can be freed under the mmap read lock (RCU) and
 * pte_offset_map_lock() returns NULL when it finds none; before, it never
 * does (and saying so keeps sparse's lock tracking straight).
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 5, 0)
#define VMM_PTE_MAP_MAY_FAIL 1
#else
#define VMM_PTE_MAP_MAY_FAIL 0
#endif

/* Ptes that map a small page; KSM pages are always small. */
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
