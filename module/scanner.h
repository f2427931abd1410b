/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The sampling scanner: page fingerprints and yield estimates.
 */
#ifndef _VMMERGE_SCANNER_H
#define _VMMERGE_SCANNER_H

#include <linux/types.h>

struct vmm_vm;

/* Fingerprint values with a meaning; a content hash is never below these. */
#define VMM_FP_UNSEEN	0	/* slot not sampled yet */
#define VMM_FP_ABSENT	1	/* sampled, no page present */
#define VMM_FP_ZERO	2	/* sampled, all-zero content */
#define VMM_FP_FIRST	3

/**
 * struct vmm_estimate - what sampling says about some guest RAM, in slots
 * @samples: slots sampled at least once
 * @present: of those, with a page present
 * @zero: present with all-zero content
 * @dup_vm: present, non-zero, content found in another slot of the same VM
 * @dup_group: ... of the same group
 * @dup_domain: ... anywhere in the same trust domain and merge scope
 * @pages: pages the slots stand for (slots * stride), for scaling
 * @slots: slots in all
 */
struct vmm_estimate {
	u64 samples;
	u64 present;
	u64 zero;
	u64 dup_vm;
	u64 dup_group;
	u64 dup_domain;
	u64 pages;
	u64 slots;
};

/**
 * struct vmm_vm_scan - a VM's sampling state
 * @fps: one fingerprint per slot; slot i stands for page i * @stride of
 *	the VM's regions laid end to end
 * @nr_slots: entries in @fps
 * @stride: pages per slot; > 1 only when max_fingerprints is short
 * @nr_pages: pages in all regions
 * @pos: next slot to sample
 * @step: @pos advances by @step modulo @nr_slots (coprime), so every prefix
 *	of a pass is spread over the whole VM
 * @visited: slots sampled in the current pass
 * @win_seen: slots sampled in the current calm window
 * @win_changed: of those, whose fingerprint changed
 * @passes: complete passes
 * @sampled: samples taken in all
 * @calm: how settled the content is (0..scan_calm_max); each level halves
 *	the share of the budget the VM gets
 * @est: as of the last estimation
 */
struct vmm_vm_scan {
	u64 *fps;
	unsigned long nr_slots;
	unsigned long stride;
	unsigned long nr_pages;
	unsigned long pos;
	unsigned long step;
	unsigned long visited;
	unsigned int win_seen;
	unsigned int win_changed;
	unsigned long passes;
	u64 sampled;
	unsigned int calm;
	struct vmm_estimate est;
};

/*
 * Calm is judged over windows of VMM_SCAN_WINDOW samples (a uniform sample
 * of the VM: slots are visited in strided order) once the VM has been
 * sampled whole.  A window in which at most 1 in VMM_SCAN_CALM_RATIO
 * fingerprints changed raises it by one, up to scan_calm_max; a window with
 * more lowers it by one, so that a guest drifting slowly finds the level at
 * which the change between two visits stays small; and as soon as a window
 * holds more than 1 in VMM_SCAN_WAKE_RATIO changed (new content, not
 * drift), it drops to 0.  The scanner as a whole runs at
 * scan_pages_per_sec >> (the lowest calm of all VMs).
 */
#define VMM_SCAN_WINDOW		512
#define VMM_SCAN_CALM_RATIO	50
#define VMM_SCAN_WAKE_RATIO	10

int vmm_scan_vm_init(struct vmm_vm *vm);
void vmm_scan_vm_exit(struct vmm_vm *vm);
unsigned int vmm_estimate_yield_permille(const struct vmm_estimate *est);
void vmm_estimate_add(struct vmm_estimate *sum, const struct vmm_estimate *e);

int vmm_scanner_init(void);
void vmm_scanner_exit(void);
void vmm_scanner_wake(void);
void vmm_scan_set_key(const u8 *key);

/* scanner counters, for sysfs */
extern atomic64_t vmm_scan_pages;
extern atomic64_t vmm_scan_batches;
extern atomic64_t vmm_scan_time_ns;
extern atomic64_t vmm_scan_estimations;
extern atomic64_t vmm_fingerprints;
extern unsigned int vmm_scan_calm;

/* estimate.c */

/* One sampled non-zero page: its content and who owns it. */
struct vmm_fp_ref {
	u64 fp;
	u64 owner;	/* scope << 48 | domain << 32 | group << 16 | vm */
	u16 node;	/* NUMA node of the VM */
};

/**
 * struct vmm_fp_index - every sampled non-zero page on the host, sorted by
 * (fingerprint, owner), as of the last estimation (under vmm_reg.lock)
 */
struct vmm_fp_index {
	struct vmm_fp_ref *refs;
	size_t n;
};

extern struct vmm_fp_index vmm_fp_index;

int vmm_estimate_all(void);
void vmm_estimate_exit(void);

#endif /* _VMMERGE_SCANNER_H */
