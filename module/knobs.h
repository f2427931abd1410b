/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tunables, all visible and writable in /sys/kernel/vmmerge/.
 */
#ifndef _VMMERGE_KNOBS_H
#define _VMMERGE_KNOBS_H

#include <linux/types.h>

/**
 * struct vmm_knobs - every bound and switch of the module
 * @max_vms: VMs the registry holds at most
 * @max_regions: guest-RAM regions per VM at most
 * @max_groups: groups at most
 * @max_domains: domains at most
 * @stats_interval_ms: page-table walks for statistics happen at most this often
 * @stats_max_pages: page-table entries one refresh visits at most, over all VMs
 * @enrol: 0 registers and measures only; 1 enrols what the policy allows
 * @cross_domain: 1 lets VMs of different trust domains share a merge scope
 */
struct vmm_knobs {
	unsigned int max_vms;
	unsigned int max_regions;
	unsigned int max_groups;
	unsigned int max_domains;
	unsigned int stats_interval_ms;
	unsigned int stats_max_pages;
	unsigned int enrol;
	unsigned int cross_domain;
};

extern struct vmm_knobs vmm_knobs;

int vmm_sysfs_init(void);
void vmm_sysfs_exit(void);

#endif /* _VMMERGE_KNOBS_H */
