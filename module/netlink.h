/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The "vmmerge" generic netlink family: commands, dumps and events.
 */
#ifndef _VMMERGE_NETLINK_H
#define _VMMERGE_NETLINK_H

struct vmm_vm;

int vmm_netlink_init(void);
void vmm_netlink_exit(void);

void vmm_nl_event_exited(struct vmm_vm *vm);
void vmm_nl_event_state(struct vmm_vm *vm);
void vmm_nl_event_refused(struct vmm_vm *vm);

#endif /* _VMMERGE_NETLINK_H */
