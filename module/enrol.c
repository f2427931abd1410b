// SPDX-License-Identifier: GPL-2.0
/*
 * DOC: enrolment
 *
 * Guest RAM is handed to KSM with the exported ksm_madvise(), the same code
 * path that madvise(MADV_MERGEABLE) takes, but applied from outside the VMM
 * to exactly the mappings that hold guest RAM.  madvise() itself would split
 * a VMA to mark part of it; split_vma() is not exported, so a region must
 * start and end on mapping boundaries and we only ever flag whole VMAs.
 *
 * ksm_madvise() computes the new vm_flags and the caller stores them, with
 * the mmap lock held for writing, as madvise_update_vma() does.
 */
#include <linux/fs.h>
#include <linux/ksm.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/sched/mm.h>
#include <linux/version.h>
#include <net/netlink.h>

#include "enrol.h"
#include "registry.h"

/* VMAs that can never be guest RAM we may hand to KSM. */
#define VMM_VMA_FORBIDDEN (VM_SHARED | VM_MAYSHARE | VM_PFNMAP | VM_IO | \
			   VM_HUGETLB | VM_MIXEDMAP | VM_DONTEXPAND)

static int vmm_vma_check(struct vm_area_struct *vma,
			 struct netlink_ext_ack *extack)
{
	if (vma->vm_flags & (VM_SHARED | VM_MAYSHARE)) {
		NL_SET_ERR_MSG(extack, "region is a shared mapping");
		return -EINVAL;
	}
	if (vma->vm_file || !vma_is_anonymous(vma)) {
		NL_SET_ERR_MSG(extack, "region is a file or special mapping");
		return -EINVAL;
	}
	if (vma->vm_flags & (VM_GROWSDOWN | VM_GROWSUP)) {
		NL_SET_ERR_MSG(extack, "region is a stack");
		return -EINVAL;
	}
	if (vma->vm_flags & VMM_VMA_FORBIDDEN) {
		NL_SET_ERR_MSG(extack, "region is a special mapping");
		return -EINVAL;
	}
	return 0;
}

static int vmm_region_check(struct mm_struct *mm, const struct vmm_region *r,
			    struct netlink_ext_ack *extack)
{
	unsigned long end = r->start + r->len, prev_end = r->start;
	struct vm_area_struct *vma;
	int ret;

	vma = vma_lookup(mm, r->start);
	if (!vma) {
		NL_SET_ERR_MSG(extack, "region start is not mapped");
		return -ENOENT;
	}
	if (vma->vm_start != r->start) {
		NL_SET_ERR_MSG(extack, "region start is not the start of a mapping");
		return -EINVAL;
	}
	for (;;) {
		ret = vmm_vma_check(vma, extack);
		if (ret)
			return ret;
		if (vma->vm_end >= end)
			break;
		prev_end = vma->vm_end;
		vma = find_vma(mm, prev_end);
		if (!vma || vma->vm_start != prev_end) {
			NL_SET_ERR_MSG(extack, "region crosses a hole in the address space");
			return -ENOENT;
		}
	}
	if (vma->vm_end != end) {
		NL_SET_ERR_MSG(extack, "region end is not the end of a mapping");
		return -EINVAL;
	}
	return 0;
}

static bool vmm_regions_overlap(const struct vmm_region *regions,
				unsigned int nr_regions)
{
	unsigned int i, j;

	for (i = 0; i < nr_regions; i++)
		for (j = i + 1; j < nr_regions; j++)
			if (regions[i].start < regions[j].start + regions[j].len &&
			    regions[j].start < regions[i].start + regions[i].len)
				return true;
	return false;
}

/**
 * vmm_regions_check() - do these ranges hold guest RAM we may enrol?
 * @mm: the VMM's memory, with a user reference held
 * @regions: page-aligned, non-empty, non-wrapping ranges
 * @nr_regions: entries in @regions
 * @extack: names the first problem found
 */
int vmm_regions_check(struct mm_struct *mm, const struct vmm_region *regions,
		      unsigned int nr_regions, struct netlink_ext_ack *extack)
{
	unsigned int i;
	int ret = 0;

	if (vmm_regions_overlap(regions, nr_regions)) {
		NL_SET_ERR_MSG(extack, "regions overlap");
		return -EINVAL;
	}
	if (mmap_read_lock_killable(mm))
		return -EINTR;
	for (i = 0; i < nr_regions && !ret; i++)
		ret = vmm_region_check(mm, &regions[i], extack);
	mmap_read_unlock(mm);
	return ret;
}

static int vmm_vma_set_ksm(struct vm_area_struct *vma, int advice)
{
	unsigned long flags = vma->vm_flags;
	int ret;

	ret = ksm_madvise(vma, vma->vm_start, vma->vm_end, advice, &flags);
	if (ret || flags == vma->vm_flags)
		return ret;
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 4, 0)
	vma_start_write(vma);
	vm_flags_reset(vma, flags);
#elif LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
	vm_flags_reset(vma, flags);
#else
	vma->vm_flags = flags;
#endif
	return 0;
}

/*
 * Only VMAs lying wholly inside a region are touched: if the VMM has since
 * remapped part of it, the neighbours that are not guest RAM stay unmerged.
 */
static int vmm_region_set_ksm(struct mm_struct *mm, const struct vmm_region *r,
			      int advice)
{
	unsigned long end = r->start + r->len;
	struct vm_area_struct *vma;
	int ret = 0;

	for (vma = find_vma(mm, r->start); vma && vma->vm_start < end;
	     vma = find_vma(mm, vma->vm_end)) {
		if (vma->vm_start < r->start || vma->vm_end > end)
			continue;
		if (!vma_is_anonymous(vma) || (vma->vm_flags & VMM_VMA_FORBIDDEN))
			continue;
		ret = vmm_vma_set_ksm(vma, advice);
		if (ret)
			break;
	}
	return ret;
}

/**
 * vmm_vm_ksm() - make a VM's guest RAM mergeable, or un-merge it
 * @vm: a registered VM
 * @mergeable: true to enrol, false to un-enrol (which copies merged pages
 *	back, so it can take a while and needs memory)
 *
 * Return: 0, or -ESRCH if the VMM's memory is already gone.
 */
int vmm_vm_ksm(struct vmm_vm *vm, bool mergeable)
{
	int advice = mergeable ? MADV_MERGEABLE : MADV_UNMERGEABLE;
	struct mm_struct *mm = vm->mm;
	unsigned int i;
	int ret = 0;

	if (vm->ksm_on == mergeable)
		return 0;
	if (!mmget_not_zero(mm))
		return -ESRCH;
	mmap_write_lock(mm);
	for (i = 0; i < vm->nr_regions && !ret; i++)
		ret = vmm_region_set_ksm(mm, &vm->regions[i], advice);
	mmap_write_unlock(mm);
	mmput(mm);
	if (!ret)
		vm->ksm_on = mergeable;
	return ret;
}

/*
 * KSM keeps its counters in static variables; the only interface to them is
 * its sysfs directory.  Read from the stats worker, whose root is the real
 * root, never from a caller that may be chrooted.
 */
static u64 vmm_ksm_read(const char *name)
{
	char path[64], buf[24] = {};
	struct file *file;
	loff_t pos = 0;
	u64 value = 0;
	ssize_t len;

	snprintf(path, sizeof(path), "/sys/kernel/mm/ksm/%s", name);
	file = filp_open(path, O_RDONLY, 0);
	if (IS_ERR(file))
		return 0;
	len = kernel_read(file, buf, sizeof(buf) - 1, &pos);
	filp_close(file, NULL);
	if (len > 0 && kstrtoull(strim(buf), 10, &value))
		value = 0;
	return value;
}

static u32 vmm_merge_across_nodes = 1;

void vmm_ksm_read_counters(struct vmm_ksm_counters *c)
{
	c->pages_shared = vmm_ksm_read("pages_shared");
	c->pages_sharing = vmm_ksm_read("pages_sharing");
	c->pages_unshared = vmm_ksm_read("pages_unshared");
	c->full_scans = vmm_ksm_read("full_scans");
	c->run = vmm_ksm_read("run");
#ifdef CONFIG_NUMA
	c->merge_across_nodes = vmm_ksm_read("merge_across_nodes");
#else
	c->merge_across_nodes = 1;
#endif
	WRITE_ONCE(vmm_merge_across_nodes, c->merge_across_nodes);
}

/* As of the last statistics refresh. */
bool vmm_ksm_merge_across_nodes(void)
{
	return READ_ONCE(vmm_merge_across_nodes);
}
