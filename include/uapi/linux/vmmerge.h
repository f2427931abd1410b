/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * Copyright (C) 2026 The vmmerge developers.
 *
 * Documentation
 * =============
 *
 * vmmerge is a generic netlink family ("vmmerge", version 1) through which a
 * host agent tells the kernel which processes are microVM monitors, where
 * their guest RAM lies, which runtime stack (group) and trust domain each VM
 * belongs to, and reads back what merging gains.  The module enrols guest RAM
 * into KSM (MADV_MERGEABLE from outside the process) when the trust policy
 * allows it.  Every command carries exactly one nested object at the top
 * level: VMMERGE_A_DOMAIN, VMMERGE_A_GROUP, VMMERGE_A_VM or VMMERGE_A_HINT
 * (VMMERGE_CMD_GET_HOST carries none), and in it exactly the attributes
 * drawn for that command below: each command has its own policy, and any
 * other attribute fails the request with EINVAL.  Every command but
 * VMMERGE_CMD_GET_HOST needs CAP_SYS_ADMIN, reads included (they describe
 * other tenants); VMMERGE_CMD_ADD_VM also needs the right to ptrace the VMM.
 *
 * VMMERGE_CMD_NEW_DOMAIN, VMMERGE_CMD_SET_DOMAIN: create a trust domain, or
 * change its flags.
 *
 *    VMMERGE_A_DOMAIN: NLA_NESTED
 *        VMMERGE_A_DOMAIN_NAME: NLA_NUL_STRING, printable, 1..31 chars
 *        VMMERGE_A_DOMAIN_FLAGS: NLA_U32, 0 or VMMERGE_DOMAIN_F_ISOLATED
 *
 * VMMERGE_CMD_DEL_DOMAIN: delete a domain that no group uses.
 *
 *    VMMERGE_A_DOMAIN: NLA_NESTED
 *        VMMERGE_A_DOMAIN_NAME: NLA_NUL_STRING
 *
 * VMMERGE_CMD_GET_DOMAIN: with VMMERGE_A_DOMAIN_NAME, that domain; with
 * NLM_F_DUMP, one message per domain:
 *
 *    VMMERGE_A_DOMAIN: NLA_NESTED
 *        VMMERGE_A_DOMAIN_NAME, VMMERGE_A_DOMAIN_FLAGS
 *        VMMERGE_A_DOMAIN_STATS: NLA_NESTED, see VMMERGE_A_STATS_* below
 *        VMMERGE_A_DOMAIN_ESTIMATE: NLA_NESTED, VMMERGE_A_ESTIMATE_*
 *
 * VMMERGE_CMD_NEW_GROUP, VMMERGE_CMD_SET_GROUP: create a group (a runtime
 * stack such as "python3.11") in a domain, or move it to another domain.
 *
 *    VMMERGE_A_GROUP: NLA_NESTED
 *        VMMERGE_A_GROUP_NAME: NLA_NUL_STRING, printable, 1..31 chars
 *        VMMERGE_A_GROUP_DOMAIN: NLA_NUL_STRING, an existing domain
 *
 * VMMERGE_CMD_DEL_GROUP: delete a group that no VM uses.
 *
 *    VMMERGE_A_GROUP: NLA_NESTED
 *        VMMERGE_A_GROUP_NAME: NLA_NUL_STRING
 *
 * VMMERGE_CMD_GET_GROUP: with VMMERGE_A_GROUP_NAME, that group; with
 * NLM_F_DUMP, one message per group:
 *
 *    VMMERGE_A_GROUP: NLA_NESTED
 *        VMMERGE_A_GROUP_NAME, VMMERGE_A_GROUP_DOMAIN
 *        VMMERGE_A_GROUP_STATS: NLA_NESTED, VMMERGE_A_STATS_*
 *        VMMERGE_A_GROUP_ESTIMATE: NLA_NESTED, VMMERGE_A_ESTIMATE_*
 *
 * VMMERGE_CMD_ADD_VM: register a microVM.  The VM is bound to the memory
 * of the process, not to its pid: if the process exits the VM is removed and
 * VMMERGE_CMD_VM_EXITED is multicast; a later process with the same pid is
 * never touched.  Each region must start and end on the boundaries of
 * anonymous private mappings of that process, without holes between them.
 *
 *    VMMERGE_A_VM: NLA_NESTED
 *        VMMERGE_A_VM_ID: NLA_U64, chosen by the caller, not 0
 *        VMMERGE_A_VM_NAME: NLA_NUL_STRING, printable, 1..63 chars
 *        VMMERGE_A_VM_PID: NLA_U32, the VMM process
 *        VMMERGE_A_VM_GROUP: NLA_NUL_STRING, an existing group
 *        VMMERGE_A_VM_REGIONS: NLA_NESTED
 *            0: NLA_NESTED
 *                VMMERGE_A_REGION_START: NLA_U64, page aligned
 *                VMMERGE_A_REGION_LENGTH: NLA_U64, page aligned, not 0
 *            1: NLA_NESTED
 *                ...
 *            ...
 *
 * VMMERGE_CMD_SET_VM: move a VM to another group (and so perhaps domain).
 *
 *    VMMERGE_A_VM: NLA_NESTED
 *        VMMERGE_A_VM_ID: NLA_U64
 *        VMMERGE_A_VM_GROUP: NLA_NUL_STRING
 *
 * VMMERGE_CMD_DEL_VM: unregister a VM; its guest RAM is un-enrolled
 * (MADV_UNMERGEABLE, which copies its merged pages back).  If that fails
 * (a signal, no memory) the VM stays registered in state "unmerging", the
 * module retries, and DEL_VM fails with the error until it succeeded.
 *
 *    VMMERGE_A_VM: NLA_NESTED
 *        VMMERGE_A_VM_ID: NLA_U64
 *
 * VMMERGE_CMD_GET_VM: with VMMERGE_A_VM_ID, one VM; with NLM_F_DUMP, all:
 *
 *    VMMERGE_A_VM: NLA_NESTED
 *        VMMERGE_A_VM_ID, VMMERGE_A_VM_NAME, VMMERGE_A_VM_PID,
 *        VMMERGE_A_VM_GROUP, VMMERGE_A_VM_REGIONS (as above)
 *        VMMERGE_A_VM_DOMAIN: NLA_NUL_STRING
 *        VMMERGE_A_VM_STATE: NLA_U32, enum vmmerge_vm_state
 *        VMMERGE_A_VM_REASON: NLA_NUL_STRING, why the VM is in that state
 *        VMMERGE_A_VM_NODE: NLA_U32, NUMA node holding most of its RAM
 *        VMMERGE_A_VM_STATS: NLA_NESTED, VMMERGE_A_STATS_*
 *        VMMERGE_A_VM_ESTIMATE: NLA_NESTED, VMMERGE_A_ESTIMATE_*
 *        VMMERGE_A_VM_MERGE_ANY: NLA_U8, 1 if the VMM asked KSM to merge
 *            all of its memory (prctl(PR_SET_MEMORY_MERGE), 6.4 and later;
 *            always 0 before), as of the last policy pass.  Such a VMM
 *            merges more than guest RAM: its heap and every other anonymous
 *            mapping, and new mappings start out mergeable.  The module
 *            cannot clear that setting; a VM of it that must not merge is
 *            un-merged again at every policy pass, and the STATS figures
 *            of an enrolled one count guest RAM only, so the VMM's
 *            /proc/PID/ksm_merging_pages exceeds VMMERGE_A_STATS_MERGED by
 *            what merged outside guest RAM.
 *
 * VMMERGE_CMD_GET_HOST: host-wide figures.
 *
 *    VMMERGE_A_HOST: NLA_NESTED
 *        VMMERGE_A_HOST_VERSION: NLA_NUL_STRING, module version
 *        VMMERGE_A_HOST_NR_DOMAINS, _NR_GROUPS, _NR_VMS,
 *        VMMERGE_A_HOST_NR_ENROLLED: NLA_U32
 *        VMMERGE_A_HOST_STATS: NLA_NESTED, VMMERGE_A_STATS_* over all VMs
 *        VMMERGE_A_HOST_KSM_PAGES_SHARED, _KSM_PAGES_SHARING,
 *        _KSM_PAGES_UNSHARED, _KSM_FULL_SCANS: NLA_U64, KSM's own counters
 *        VMMERGE_A_HOST_KSM_MERGE_ACROSS_NODES: NLA_U32
 *        VMMERGE_A_HOST_ESTIMATE: NLA_NESTED, VMMERGE_A_ESTIMATE_*
 *
 * Statistics (VMMERGE_A_*_STATS), refreshed by walking page tables at most
 * every stats_interval_ms (sysfs); all NLA_U64, counts in pages:
 *
 *        VMMERGE_A_STATS_RESIDENT: pages present in the guest-RAM regions
 *        VMMERGE_A_STATS_MERGED: of those, pages mapped to a KSM page
 *        VMMERGE_A_STATS_SAVED: the share of the saving: each KSM page
 *            mapped n times saves n - 1 pages, split evenly among mappers
 *        VMMERGE_A_STATS_ZERO: pages mapped to the shared zero page
 *        VMMERGE_A_STATS_REFRESHED_MS: age in ms of the figures
 *
 * Estimates (VMMERGE_A_*_ESTIMATE), from the module's sampling scanner,
 * recomputed at most every estimate_interval_ms; counts in pages, scaled
 * from the samples:
 *
 *        VMMERGE_A_ESTIMATE_SAMPLES: NLA_U64, pages sampled (not scaled)
 *        VMMERGE_A_ESTIMATE_PRESENT: NLA_U64, pages present
 *        VMMERGE_A_ESTIMATE_ZERO: NLA_U64, present pages of all-zero content
 *        VMMERGE_A_ESTIMATE_DUP_VM: NLA_U64, non-zero pages whose content
 *            is also in another page of the same VM
 *        VMMERGE_A_ESTIMATE_DUP_GROUP: NLA_U64, ... of the same group
 *        VMMERGE_A_ESTIMATE_DUP_DOMAIN: NLA_U64, ... of the same trust
 *            domain and merge scope: what KSM would be allowed to merge
 *        VMMERGE_A_ESTIMATE_YIELD_PERMILLE: NLA_U32, (zero + dup_domain)
 *            per mille of present: the mergeable fraction
 *        VMMERGE_A_ESTIMATE_PAGES: NLA_U64, pages in the guest-RAM regions
 *
 * VMMERGE_CMD_GET_SKETCH: a group's bottom-k sketch: the sketch_k smallest
 * distinct fingerprints (xxh64 of page contents, zero pages excluded) of its
 * VMs' sampled pages, to carry a stack's identity to other hosts.
 *
 *    request:  VMMERGE_A_HINT: VMMERGE_A_HINT_GROUP
 *    reply:    VMMERGE_A_HINT: NLA_NESTED
 *        VMMERGE_A_HINT_GROUP, VMMERGE_A_HINT_DOMAIN: NLA_NUL_STRING
 *        VMMERGE_A_HINT_SKETCH: NLA_BINARY, u64 in host byte order, sorted
 *            ascending, no duplicates, 1..VMMERGE_SKETCH_MAX entries
 *        VMMERGE_A_HINT_PAGES: NLA_U64, non-zero pages of an average VM
 *        VMMERGE_A_HINT_ZERO_PAGES: NLA_U64, zero pages of an average VM
 *
 * VMMERGE_CMD_GET_HINT: where would a new VM share most?  Give a group here
 * (its sketch and sizes are used) or a sketch from elsewhere, and the
 * domain the new VM would belong to.  Per NUMA node and for the host, the
 * answer says which fraction of the sketch's pages exist there in VMs of
 * that domain, how many pages that makes, and whether the trust policy
 * would let them merge there.  Scopes come ranked, best first.
 *
 *    request:  VMMERGE_A_HINT: NLA_NESTED
 *        VMMERGE_A_HINT_GROUP: NLA_NUL_STRING, or
 *        VMMERGE_A_HINT_SKETCH: NLA_BINARY (as above)
 *        VMMERGE_A_HINT_DOMAIN: NLA_NUL_STRING, optional with a group
 *        VMMERGE_A_HINT_PAGES, VMMERGE_A_HINT_ZERO_PAGES: NLA_U64, optional
 *    reply:    VMMERGE_A_HINT: NLA_NESTED
 *        VMMERGE_A_HINT_GROUP (if given), VMMERGE_A_HINT_DOMAIN
 *        VMMERGE_A_HINT_SCOPES: NLA_NESTED
 *            0: NLA_NESTED
 *                VMMERGE_A_SCOPE_NODE: NLA_U32, VMMERGE_HINT_HOST for the host
 *                VMMERGE_A_SCOPE_MATCHED: NLA_U32, sketch entries found
 *                VMMERGE_A_SCOPE_PERMILLE: NLA_U32, of the sketch
 *                VMMERGE_A_SCOPE_PAGES: NLA_U64, zero pages + permille of
 *                    the non-zero pages
 *                VMMERGE_A_SCOPE_ALLOWED: NLA_U8, 1 if the policy allows it
 *                VMMERGE_A_SCOPE_REASON: NLA_NUL_STRING
 *            1: NLA_NESTED
 *                ...
 *
 * Events, multicast on the "events" group:
 *
 * VMMERGE_CMD_VM_EXITED: the VMM process exited; the VM is gone.
 *    VMMERGE_A_VM: VMMERGE_A_VM_ID, VMMERGE_A_VM_NAME, VMMERGE_A_VM_PID,
 *        VMMERGE_A_VM_REASON
 *
 * VMMERGE_CMD_VM_STATE: a VM changed state (including on registration).
 *    VMMERGE_A_VM: VMMERGE_A_VM_ID, VMMERGE_A_VM_NAME, VMMERGE_A_VM_PID,
 *        VMMERGE_A_VM_STATE, VMMERGE_A_VM_REASON
 *
 * VMMERGE_CMD_VM_REFUSED: the trust policy refused to enrol a VM.
 *    VMMERGE_A_VM: VMMERGE_A_VM_ID, VMMERGE_A_VM_NAME, VMMERGE_A_VM_PID,
 *        VMMERGE_A_VM_REASON
 *
 * The protocol only ever appends: new commands and attributes go at the end
 * of their enums, and existing numbers never change.
 */

#ifndef _UAPI_LINUX_VMMERGE_H
#define _UAPI_LINUX_VMMERGE_H

#define VMMERGE_GENL_NAME "vmmerge"
#define VMMERGE_GENL_VERSION 1
#define VMMERGE_MCGRP_EVENTS "events"

#define VMMERGE_NAME_MAXLEN 32		/* domain and group names, with NUL */
#define VMMERGE_VM_NAME_MAXLEN 64	/* VM names, with NUL */
#define VMMERGE_REASON_MAXLEN 96

enum vmmerge_cmd {
	VMMERGE_CMD_UNSPEC,
	VMMERGE_CMD_GET_HOST,
	VMMERGE_CMD_NEW_DOMAIN,
	VMMERGE_CMD_SET_DOMAIN,
	VMMERGE_CMD_DEL_DOMAIN,
	VMMERGE_CMD_GET_DOMAIN,
	VMMERGE_CMD_NEW_GROUP,
	VMMERGE_CMD_SET_GROUP,
	VMMERGE_CMD_DEL_GROUP,
	VMMERGE_CMD_GET_GROUP,
	VMMERGE_CMD_ADD_VM,
	VMMERGE_CMD_SET_VM,
	VMMERGE_CMD_DEL_VM,
	VMMERGE_CMD_GET_VM,
	VMMERGE_CMD_VM_EXITED,
	VMMERGE_CMD_VM_STATE,
	VMMERGE_CMD_VM_REFUSED,
	VMMERGE_CMD_GET_HINT,
	VMMERGE_CMD_GET_SKETCH,
	__VMMERGE_CMD_MAX
};
#define VMMERGE_CMD_MAX (__VMMERGE_CMD_MAX - 1)

enum vmmerge_attr {
	VMMERGE_A_UNSPEC,
	VMMERGE_A_DOMAIN,
	VMMERGE_A_GROUP,
	VMMERGE_A_VM,
	VMMERGE_A_HOST,
	VMMERGE_A_HINT,
	__VMMERGE_A_MAX
};
#define VMMERGE_A_MAX (__VMMERGE_A_MAX - 1)

enum vmmerge_domain_flag {
	VMMERGE_DOMAIN_F_ISOLATED = 1U << 0,
	__VMMERGE_DOMAIN_F_ALL = VMMERGE_DOMAIN_F_ISOLATED
};

enum vmmerge_domain_attr {
	VMMERGE_A_DOMAIN_UNSPEC,
	VMMERGE_A_DOMAIN_NAME,
	VMMERGE_A_DOMAIN_FLAGS,
	VMMERGE_A_DOMAIN_STATS,
	VMMERGE_A_DOMAIN_ESTIMATE,
	__VMMERGE_A_DOMAIN_MAX
};
#define VMMERGE_A_DOMAIN_MAX (__VMMERGE_A_DOMAIN_MAX - 1)

enum vmmerge_group_attr {
	VMMERGE_A_GROUP_UNSPEC,
	VMMERGE_A_GROUP_NAME,
	VMMERGE_A_GROUP_DOMAIN,
	VMMERGE_A_GROUP_STATS,
	VMMERGE_A_GROUP_ESTIMATE,
	__VMMERGE_A_GROUP_MAX
};
#define VMMERGE_A_GROUP_MAX (__VMMERGE_A_GROUP_MAX - 1)

enum vmmerge_vm_state {
	VMMERGE_VM_REGISTERED,	/* known, not enrolled (enrol=0) */
	VMMERGE_VM_ENROLLED,	/* guest RAM is MADV_MERGEABLE */
	VMMERGE_VM_ISOLATED,	/* its domain is isolated: never merged */
	VMMERGE_VM_REFUSED,	/* trust policy: another domain holds the node */
	VMMERGE_VM_SAMPLING,	/* waiting for a first yield estimate */
	VMMERGE_VM_LOW_YIELD,	/* estimate below min_yield */
	VMMERGE_VM_UNMERGING,	/* must not merge, un-merge failed: retried */
	__VMMERGE_VM_STATE_MAX
};

enum vmmerge_vm_attr {
	VMMERGE_A_VM_UNSPEC,
	VMMERGE_A_VM_ID,
	VMMERGE_A_VM_NAME,
	VMMERGE_A_VM_PID,
	VMMERGE_A_VM_GROUP,
	VMMERGE_A_VM_REGIONS,
	VMMERGE_A_VM_DOMAIN,
	VMMERGE_A_VM_STATE,
	VMMERGE_A_VM_REASON,
	VMMERGE_A_VM_NODE,
	VMMERGE_A_VM_STATS,
	VMMERGE_A_VM_ESTIMATE,
	VMMERGE_A_VM_MERGE_ANY,
	__VMMERGE_A_VM_MAX
};
#define VMMERGE_A_VM_MAX (__VMMERGE_A_VM_MAX - 1)

enum vmmerge_region_attr {
	VMMERGE_A_REGION_UNSPEC,
	VMMERGE_A_REGION_START,
	VMMERGE_A_REGION_LENGTH,
	__VMMERGE_A_REGION_MAX
};
#define VMMERGE_A_REGION_MAX (__VMMERGE_A_REGION_MAX - 1)

enum vmmerge_stats_attr {
	VMMERGE_A_STATS_UNSPEC,
	VMMERGE_A_STATS_PAD,
	VMMERGE_A_STATS_RESIDENT,
	VMMERGE_A_STATS_MERGED,
	VMMERGE_A_STATS_SAVED,
	VMMERGE_A_STATS_ZERO,
	VMMERGE_A_STATS_REFRESHED_MS,
	__VMMERGE_A_STATS_MAX
};
#define VMMERGE_A_STATS_MAX (__VMMERGE_A_STATS_MAX - 1)

enum vmmerge_host_attr {
	VMMERGE_A_HOST_UNSPEC,
	VMMERGE_A_HOST_PAD,
	VMMERGE_A_HOST_VERSION,
	VMMERGE_A_HOST_NR_DOMAINS,
	VMMERGE_A_HOST_NR_GROUPS,
	VMMERGE_A_HOST_NR_VMS,
	VMMERGE_A_HOST_NR_ENROLLED,
	VMMERGE_A_HOST_STATS,
	VMMERGE_A_HOST_KSM_PAGES_SHARED,
	VMMERGE_A_HOST_KSM_PAGES_SHARING,
	VMMERGE_A_HOST_KSM_PAGES_UNSHARED,
	VMMERGE_A_HOST_KSM_FULL_SCANS,
	VMMERGE_A_HOST_KSM_MERGE_ACROSS_NODES,
	VMMERGE_A_HOST_ESTIMATE,
	__VMMERGE_A_HOST_MAX
};
#define VMMERGE_A_HOST_MAX (__VMMERGE_A_HOST_MAX - 1)

enum vmmerge_estimate_attr {
	VMMERGE_A_ESTIMATE_UNSPEC,
	VMMERGE_A_ESTIMATE_PAD,
	VMMERGE_A_ESTIMATE_SAMPLES,
	VMMERGE_A_ESTIMATE_PRESENT,
	VMMERGE_A_ESTIMATE_ZERO,
	VMMERGE_A_ESTIMATE_DUP_VM,
	VMMERGE_A_ESTIMATE_DUP_GROUP,
	VMMERGE_A_ESTIMATE_DUP_DOMAIN,
	VMMERGE_A_ESTIMATE_YIELD_PERMILLE,
	VMMERGE_A_ESTIMATE_PAGES,
	__VMMERGE_A_ESTIMATE_MAX
};
#define VMMERGE_A_ESTIMATE_MAX (__VMMERGE_A_ESTIMATE_MAX - 1)

#define VMMERGE_SKETCH_MAX 4096		/* entries in a sketch at most */
#define VMMERGE_HINT_HOST 0xffffffffU	/* VMMERGE_A_SCOPE_NODE of the host */

enum vmmerge_hint_attr {
	VMMERGE_A_HINT_UNSPEC,
	VMMERGE_A_HINT_PAD,
	VMMERGE_A_HINT_GROUP,
	VMMERGE_A_HINT_DOMAIN,
	VMMERGE_A_HINT_SKETCH,
	VMMERGE_A_HINT_PAGES,
	VMMERGE_A_HINT_ZERO_PAGES,
	VMMERGE_A_HINT_SCOPES,
	__VMMERGE_A_HINT_MAX
};
#define VMMERGE_A_HINT_MAX (__VMMERGE_A_HINT_MAX - 1)

enum vmmerge_scope_attr {
	VMMERGE_A_SCOPE_UNSPEC,
	VMMERGE_A_SCOPE_PAD,
	VMMERGE_A_SCOPE_NODE,
	VMMERGE_A_SCOPE_MATCHED,
	VMMERGE_A_SCOPE_PERMILLE,
	VMMERGE_A_SCOPE_PAGES,
	VMMERGE_A_SCOPE_ALLOWED,
	VMMERGE_A_SCOPE_REASON,
	__VMMERGE_A_SCOPE_MAX
};
#define VMMERGE_A_SCOPE_MAX (__VMMERGE_A_SCOPE_MAX - 1)

#endif /* _UAPI_LINUX_VMMERGE_H */
