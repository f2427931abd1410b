// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The vmmerge developers.
 *
 * KVM memslot probe: fexit on __kvm_set_memory_region(), the one function
 * every KVM_SET_USER_MEMORY_REGION reaches (on Debian's 6.1 kvm.ko the
 * exported kvm_set_memory_region() is inlined into kvm_vm_ioctl(), so it
 * cannot be hooked).  fexit sees the arguments and the result: only slots
 * that KVM accepted are reported, through a ring buffer, with the calling
 * process as the VMM.
 *
 * KVM's own private slots (x86 APIC access page, TSS, identity map) come
 * through the same function with shared anonymous memory; the agent drops
 * them, as every range that is not private anonymous memory.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "memslot.h"

char LICENSE[] SEC("license") = "GPL";

/* Report read-only slots (ROMs) too; the agent has no use for them. */
const volatile bool report_readonly = false;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} events SEC(".maps");

/*
 * The uapi struct lives in kvm.ko's BTF, not in vmlinux.h; the ___vmm
 * flavour is relocated against it by name (CO-RE), field by field.
 */
struct kvm_userspace_memory_region___vmm {
	__u32 slot;
	__u32 flags;
	__u64 guest_phys_addr;
	__u64 memory_size;
	__u64 userspace_addr;
} __attribute__((preserve_access_index));

struct kvm;

SEC("fexit/__kvm_set_memory_region")
int BPF_PROG(memslot_set, struct kvm *kvm,
	     const struct kvm_userspace_memory_region___vmm *mem, int ret)
{
	struct memslot_event *ev;
	__u32 flags;

	if (ret)
		return 0;
	flags = mem->flags;
	if ((flags & MEMSLOT_F_READONLY) && !report_readonly)
		return 0;
	ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);
	if (!ev)
		return 0;
	ev->tgid = bpf_get_current_pid_tgid() >> 32;
	ev->slot = mem->slot;
	ev->flags = flags;
	ev->pad = 0;
	ev->guest_phys_addr = mem->guest_phys_addr;
	ev->memory_size = mem->memory_size;
	ev->userspace_addr = mem->userspace_addr;
	bpf_ringbuf_submit(ev, 0);
	return 0;
}
