/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Human-readable tables in /proc/vmmerge/.
 */
#ifndef _VMMERGE_PROCFS_H
#define _VMMERGE_PROCFS_H

int vmm_procfs_init(void);
void vmm_procfs_exit(void);

#endif /* _VMMERGE_PROCFS_H */
