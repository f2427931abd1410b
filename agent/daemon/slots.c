// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The vmmerge developers.
 *
 * Per-VMM memslot bookkeeping for the BPF discovery source.  A VMM may
 * register a RAM block as several slots (QEMU splits low RAM around the
 * BIOS window, and registers it again in the SMM address space): the
 * ranges are merged here, and widened to whole mappings by maps_cover().
 */
#include <stdlib.h>
#include <string.h>

#include "slots.h"

struct vm_slots *slots_find(struct slot_table *t, pid_t pid)
{
	size_t i;

	for (i = 0; i < t->nr; i++)
		if (t->vm[i].pid == pid)
			return &t->vm[i];
	return NULL;
}

static struct vm_slots *slots_add_vm(struct slot_table *t, pid_t pid)
{
	struct vm_slots *v = realloc(t->vm, (t->nr + 1) * sizeof(*v));

	if (!v)
		return NULL;
	t->vm = v;
	v = &t->vm[t->nr++];
	memset(v, 0, sizeof(*v));
	v->pid = pid;
	return v;
}

static int slot_index(const struct vm_slots *v, uint32_t id)
{
	unsigned int i;

	for (i = 0; i < v->nr; i++)
		if (v->slot[i].id == id)
			return i;
	return -1;
}

struct vm_slots *slots_update(struct slot_table *t,
			      const struct memslot_event *ev, uint64_t now_ms)
{
	struct vm_slots *v = slots_find(t, ev->tgid);
	int i = v ? slot_index(v, ev->slot) : -1;

	if (!ev->memory_size) {		/* deleted */
		if (i < 0)
			return NULL;
		v->slot[i] = v->slot[--v->nr];
		v->changed_ms = now_ms;
		return v;
	}
	if (!v && !(v = slots_add_vm(t, ev->tgid)))
		return NULL;
	if (i < 0) {
		if (v->nr == SLOTS_MAX)
			return NULL;
		i = v->nr++;
	}
	v->slot[i] = (struct vm_slot){ .id = ev->slot,
				       .start = ev->userspace_addr,
				       .length = ev->memory_size };
	v->changed_ms = now_ms;
	return v;
}

void slots_drop(struct slot_table *t, pid_t pid)
{
	struct vm_slots *v = slots_find(t, pid);

	if (v)
		*v = t->vm[--t->nr];
}

void slots_free(struct slot_table *t)
{
	free(t->vm);
	t->vm = NULL;
	t->nr = 0;
}

static int by_start(const void *a, const void *b)
{
	const struct vm_slot *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

unsigned int slots_ranges(const struct vm_slots *v, struct vmm_region *out,
			  unsigned int max)
{
	struct vm_slot s[SLOTS_MAX];
	unsigned int i, n = 0;

	memcpy(s, v->slot, v->nr * sizeof(*s));
	qsort(s, v->nr, sizeof(*s), by_start);
	for (i = 0; i < v->nr; i++) {
		struct vmm_region *last = n ? &out[n - 1] : NULL;

		if (last && s[i].start <= last->start + last->length) {
			if (s[i].start + s[i].length > last->start + last->length)
				last->length = s[i].start + s[i].length -
					last->start;
			continue;
		}
		if (n == max)
			break;
		out[n++] = (struct vmm_region){ .start = s[i].start,
						.length = s[i].length };
	}
	return n;
}
