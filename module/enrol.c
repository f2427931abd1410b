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
#include <net/netlink.h>

#include "compat.h"
#include "enrol.h"
#include "registry.h"
#include "walk.h"

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
	if (!vmm_vma_walkable(vma)) {
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
	vmm_vma_store_flags(vma, flags);
	return 0;
}

/*
 * Only VMAs lying wholly inside a region are enrolled: if the VMM has since
 * remapped part of it, the neighbours that are not guest RAM stay unmerged.
 */
static int vmm_region_enrol(struct mm_struct *mm, const struct vmm_region *r)
{
	unsigned long end = r->start + r->len;
	struct vm_area_struct *vma;
	int ret = 0;

	for (vma = find_vma(mm, r->start); vma && vma->vm_start < end;
	     vma = find_vma(mm, vma->vm_end)) {
		if (vma->vm_start < r->start || vma->vm_end > end)
			continue;
		if (!vmm_vma_walkable(vma))
			continue;
		ret = vmm_vma_set_ksm(vma, MADV_MERGEABLE);
		if (ret)
			break;
	}
	return ret;
}

/*
 * A VM that must not merge must not merge anything: a VMM may have marked
 * its memory mergeable itself (QEMU's mem-merge=on, madvise(), or
 * prctl(PR_SET_MEMORY_MERGE) since 6.4, under which new mappings start out
 * mergeable), so every mergeable VMA of the process counts, not only the
 * guest RAM we enrolled.  Called with the mmap lock held.
 */
static bool vmm_mm_mergeable(struct mm_struct *mm)
{
	struct vm_area_struct *vma;
	VMA_ITERATOR(vmi, mm, 0);

	for_each_vma(vmi, vma)
		if (vma->vm_flags & VM_MERGEABLE)
			return true;
	return false;
}

static int vmm_mm_unmerge(struct mm_struct *mm)
{
	struct vm_area_struct *vma;
	VMA_ITERATOR(vmi, mm, 0);
	int ret = 0;

	for_each_vma(vmi, vma) {
		if (!(vma->vm_flags & VM_MERGEABLE))
			continue;
		ret = vmm_vma_set_ksm(vma, MADV_UNMERGEABLE);
		if (ret)
			break;
	}
	return ret;
}

static int vmm_vm_enrol(struct vmm_vm *vm, struct mm_struct *mm)
{
	unsigned int i;
	int ret = 0;

	if (vm->ksm_on)
		return 0;
	if (mmap_write_lock_killable(mm))
		return -EINTR;
	for (i = 0; i < vm->nr_regions && !ret; i++)
		ret = vmm_region_enrol(mm, &vm->regions[i]);
	mmap_write_unlock(mm);
	if (!ret)
		vm->ksm_on = true;
	return ret;
}

/* Cheap when there is nothing to do: a look under the read lock. */
static int vmm_vm_unmerge(struct vmm_vm *vm, struct mm_struct *mm)
{
	bool mergeable;
	int ret;

	/* From here on not all of it is enrolled, whatever happens. */
	vm->ksm_on = false;
	if (mmap_read_lock_killable(mm))
		return -EINTR;
	mergeable = vmm_mm_mergeable(mm);
	mmap_read_unlock(mm);
	if (mergeable) {
		if (mmap_write_lock_killable(mm))
			return -EINTR;
		ret = vmm_mm_unmerge(mm);
		mmap_write_unlock(mm);
		if (ret)
			return ret;
	}
	return 0;
}

/**
 * vmm_vm_ksm() - make a VM's guest RAM mergeable, or un-merge its VMM
 * @vm: a registered VM
 * @mergeable: true to enrol its guest RAM; false to make sure that nothing
 *	of its VMM is mergeable (which copies merged pages back, so it can
 *	take a while, needs memory, and fails with a signal pending)
 *
 * Return: 0, -ESRCH if the VMM's memory is already gone, or the error of
 * the mmap lock or of ksm_madvise().  @vm->ksm_on says whether all its
 * guest RAM is enrolled; after a failed un-merge it is false, and what is
 * still mergeable is found again by looking at the VMAs.
 */
int vmm_vm_ksm(struct vmm_vm *vm, bool mergeable)
{
	struct mm_struct *mm = vm->mm;
	int ret;

	if (atomic_read(&vm->exited) || !mmget_not_zero(mm))
		return -ESRCH;
	ret = mergeable ? vmm_vm_enrol(vm, mm) : vmm_vm_unmerge(vm, mm);
	mmput(mm);
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
