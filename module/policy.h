/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Trust policy: which VMs may have their guest RAM merged.
 */
#ifndef _VMMERGE_POLICY_H
#define _VMMERGE_POLICY_H

#include <linux/atomic.h>
#include <linux/types.h>

struct vmm_domain;
struct vmm_vm;

extern atomic64_t vmm_unmerge_failures;

void vmm_policy_apply(void);
const struct vmm_domain *vmm_policy_owner(unsigned int scope);
unsigned int vmm_policy_node_scope(int node);
bool vmm_policy_in_scope(const struct vmm_vm *vm, unsigned int scope);

#endif /* _VMMERGE_POLICY_H */
