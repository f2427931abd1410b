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
 * @scan_pages_per_sec: the scanner samples at most this many pages a second
 * @scan_batch: pages sampled between two sleeps of the scanner
 * @scan_cpu_permille: the scanner uses at most this share of one CPU
 * @scan_calm_max: levels of calm at most; with every VM settled the scanner
 *	samples and estimates 2^scan_calm_max times less often than its budget
 * @max_fingerprints: fingerprint slots over all VMs; beyond it VMs are
 *	sampled more sparsely
 * @estimate_interval_ms: estimates are recomputed at most this often
 * @min_yield: percent of a VM's pages that must be mergeable (zero or
 *	duplicate in its merge domain) before it is enrolled; 0 enrols at once
 * @yield_hysteresis: percentage points around min_yield within which a VM
 *	keeps its state, so that it does not flap
 * @min_samples: samples a VM needs before its estimate counts
 * @sketch_k: entries in each group's bottom-k sketch
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
	unsigned int scan_pages_per_sec;
	unsigned int scan_batch;
	unsigned int scan_cpu_permille;
	unsigned int scan_calm_max;
	unsigned int max_fingerprints;
	unsigned int estimate_interval_ms;
	unsigned int min_yield;
	unsigned int yield_hysteresis;
	unsigned int min_samples;
	unsigned int sketch_k;
};

extern struct vmm_knobs vmm_knobs;

int vmm_sysfs_init(void);
void vmm_sysfs_exit(void);

#endif /* _VMMERGE_KNOBS_H */
