/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest-RAM regions and their enrolment into KSM.
 */
#ifndef _VMMERGE_ENROL_H
#define _VMMERGE_ENROL_H

#include <linux/types.h>

struct mm_struct;
struct netlink_ext_ack;
struct vmm_region;
struct vmm_vm;

/**
 * struct vmm_ksm_counters - KSM's own host-wide figures (from its sysfs)
 */
struct vmm_ksm_counters {
	u64 pages_shared;
	u64 pages_sharing;
	u64 pages_unshared;
	u64 full_scans;
	u32 merge_across_nodes;
	u32 run;
};

int vmm_regions_check(struct mm_struct *mm, const struct vmm_region *regions,
		      unsigned int nr_regions, struct netlink_ext_ack *extack);
int vmm_vm_ksm(struct vmm_vm *vm, bool mergeable);
void vmm_ksm_read_counters(struct vmm_ksm_counters *counters);
bool vmm_ksm_merge_across_nodes(void);

#endif /* _VMMERGE_ENROL_H */
