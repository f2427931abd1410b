/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (C) 2026 The vmmerge developers.
 *
 * The KVM memslots each VMM registered, as the memslot probe reported
 * them: per process, slot id -> userspace range.  Pure bookkeeping, no
 * system calls (unit-tested).
 */
#ifndef VMMERGE_SLOTS_H
#define VMMERGE_SLOTS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "memslot.h"
#include "nl.h"

#define SLOTS_MAX 64		/* per VMM; QEMU uses a handful */

struct vm_slot {
	uint32_t id;		/* address space << 16 | slot */
	uint64_t start, length;	/* userspace range */
};

struct vm_slots {
	pid_t pid;
	unsigned int nr;
	struct vm_slot slot[SLOTS_MAX];
	uint64_t changed_ms;	/* of the last event */
	bool done;		/* registered, or given up on */
};

struct slot_table {
	struct vm_slots *vm;
	size_t nr;
};

/*
 * Apply one event at time @now_ms.  Returns the VMM's entry, or NULL when
 * the event changed nothing we track (deleting an unknown slot, a full
 * table, no memory).
 */
struct vm_slots *slots_update(struct slot_table *t,
			      const struct memslot_event *ev, uint64_t now_ms);
struct vm_slots *slots_find(struct slot_table *t, pid_t pid);
void slots_drop(struct slot_table *t, pid_t pid);
void slots_free(struct slot_table *t);
/* The VMM's slot ranges, sorted; the ones that overlap or touch merged. */
unsigned int slots_ranges(const struct vm_slots *v, struct vmm_region *out,
			  unsigned int max);

#endif
