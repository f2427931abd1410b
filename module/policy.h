/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Trust policy: which VMs may have their guest RAM merged.
 */
#ifndef _VMMERGE_POLICY_H
#define _VMMERGE_POLICY_H

struct vmm_domain;

void vmm_policy_apply(void);
const struct vmm_domain *vmm_policy_owner(unsigned int scope);
unsigned int vmm_policy_node_scope(int node);

#endif /* _VMMERGE_POLICY_H */
