/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Placement hints from bottom-k sketches.
 */
#ifndef _VMMERGE_HINTS_H
#define _VMMERGE_HINTS_H

#include <linux/types.h>
#include <uapi/linux/vmmerge.h>

struct vmm_domain;
struct vmm_group;

/**
 * struct vmm_hint_scope - one answer of a hint: a NUMA node or the host
 * @node: node id, or VMMERGE_HINT_HOST
 * @matched: sketch entries found there in VMs of the asking domain
 * @permille: @matched per mille of the sketch
 * @pages: zero pages + @permille of the non-zero pages of the new VM
 * @allowed: the trust policy would let the new VM merge there
 * @reason: why not, or "allowed"
 */
struct vmm_hint_scope {
	u32 node;
	u32 matched;
	u32 permille;
	u64 pages;
	bool allowed;
	char reason[VMMERGE_REASON_MAXLEN];
};

/**
 * struct vmm_hint - a question and its ranked answers
 * @sketch: ascending fingerprints of the new VM's (or stack's) pages
 * @nr_sketch: entries in @sketch
 * @domain: the trust domain the new VM would be in
 * @pages: non-zero pages of the new VM (0 if unknown)
 * @zero_pages: zero pages of the new VM
 * @scopes: filled in, best first
 * @nr_scopes: entries in @scopes
 */
struct vmm_hint {
	const u64 *sketch;
	unsigned int nr_sketch;
	const struct vmm_domain *domain;
	u64 pages;
	u64 zero_pages;
	struct vmm_hint_scope *scopes;
	unsigned int nr_scopes;
};

int vmm_hint_answer(struct vmm_hint *hint);
void vmm_hint_free(struct vmm_hint *hint);
void vmm_hint_group_sizes(const struct vmm_group *group, u64 *pages,
			  u64 *zero_pages);

#endif /* _VMMERGE_HINTS_H */
