/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (C) 2026 The vmmerge developers.
 *
 * The KVM memslot probe (memslot.bpf.c, loaded by memslot.c): every slot a
 * VMM registers, moves or deletes with KVM_SET_USER_MEMORY_REGION, as it
 * succeeds, with the exact userspace range that backs it.  This header is
 * shared by the BPF program and the agent.
 */
#ifndef VMMERGE_MEMSLOT_H
#define VMMERGE_MEMSLOT_H

#ifndef __bpf__
#include <linux/types.h>
#endif

/* KVM_MEM_READONLY from linux/kvm.h (uapi, fixed). */
#define MEMSLOT_F_READONLY (1U << 1)

/* One successful KVM_SET_USER_MEMORY_REGION. */
struct memslot_event {
	__u32 tgid;		/* the VMM: KVM runs the ioctl in its context */
	__u32 slot;		/* address space << 16 | slot id */
	__u32 flags;		/* KVM_MEM_* */
	__u32 pad;
	__u64 guest_phys_addr;
	__u64 memory_size;	/* 0: the slot was deleted */
	__u64 userspace_addr;
};

#ifndef __bpf__
#include <stddef.h>

struct memslot;

/*
 * Load and attach the probe.  0, or -errno with a one-line reason in @why
 * (no BTF, KVM not loaded, no permission, ...).
 */
int memslot_open(struct memslot **out, char *why, size_t len);
void memslot_close(struct memslot *m);
/* Readable when events wait; then memslot_read() hands each to @fn. */
int memslot_fd(const struct memslot *m);
int memslot_read(struct memslot *m,
		 void (*fn)(const struct memslot_event *ev, void *arg),
		 void *arg);
#endif

#endif
