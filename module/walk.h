/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one page-table walker: what is mapped in a VMM's guest RAM.
 */
#ifndef _VMMERGE_WALK_H
#define _VMMERGE_WALK_H

#include <linux/types.h>

struct mm_struct;
struct page;
struct vm_area_struct;

/**
 * struct vmm_walk_ops - what a walk does with each mapped page
 * @pte: a present small page, or the shared zero page (@page NULL), at
 *	@addr; called under the page-table lock
 * @huge: a huge pmd whose head page is @head, mapping @nr pages of the
 *	walked range from @addr on; called under the pmd lock
 */
struct vmm_walk_ops {
	void (*pte)(void *arg, struct page *page, unsigned long addr);
	void (*huge)(void *arg, struct page *head, unsigned long addr,
		     unsigned long nr);
};

bool vmm_vma_walkable(struct vm_area_struct *vma);
unsigned long vmm_walk_step(struct mm_struct *mm, unsigned long addr,
			    unsigned long end, const struct vmm_walk_ops *ops,
			    void *arg);

#endif /* _VMMERGE_WALK_H */
