/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per-VM page statistics from page-table walks, and their sums.
 */
#ifndef _VMMERGE_STATS_H
#define _VMMERGE_STATS_H

#include <linux/pgtable.h>

#include "enrol.h"

struct vmm_stats;
struct mm_struct;

extern struct vmm_ksm_counters vmm_ksm_counters;

int vmm_stats_init(void);
void vmm_stats_exit(void);
void vmm_stats_kick(void);
u64 vmm_stats_saved_pages(const struct vmm_stats *stats);
unsigned int vmm_stats_saved_permille(const struct vmm_stats *stats);

#endif /* _VMMERGE_STATS_H */
