/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Trust policy: which VMs may have their guest RAM merged.
 */
#ifndef _VMMERGE_POLICY_H
#define _VMMERGE_POLICY_H

void vmm_policy_apply(void);

#endif /* _VMMERGE_POLICY_H */
