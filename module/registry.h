/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Registry of trust domains, groups (runtime stacks) and microVMs.
 */
#ifndef _VMMERGE_REGISTRY_H
#define _VMMERGE_REGISTRY_H

#include <linux/list.h>
#include <linux/mmu_notifier.h>
#include <linux/nodemask.h>
#include <linux/mutex.h>
#include <linux/workqueue.h>
#include <uapi/linux/vmmerge.h>

#include "scanner.h"

struct netlink_ext_ack;

/**
 * struct vmm_stats - page counts over guest-RAM regions
 * @resident: pages present
 * @merged: pages mapped to a KSM page
 * @saved_fp: share of the saving, in 1/1024 pages
 * @zero: pages mapped to the shared zero page
 */
struct vmm_stats {
	u64 resident;
	u64 merged;
	u64 saved_fp;
	u64 zero;
};

#define VMM_SAVED_SHIFT 10

/**
 * struct vmm_domain - a trust domain: VMs that may share pages
 * @list: in vmm_registry.domains
 * @name: unique name
 * @flags: VMMERGE_DOMAIN_F_*
 * @nr_groups: groups that reference it
 * @nr_vms: VMs in its groups
 * @nr_enrolled: of those, enrolled
 * @stats: sum over its VMs, as of the last refresh
 * @est: sum of its VMs' estimates
 * @index: set by each estimation pass
 */
struct vmm_domain {
	struct list_head list;
	char name[VMMERGE_NAME_MAXLEN];
	u32 flags;
	unsigned int nr_groups;
	unsigned int nr_vms;
	unsigned int nr_enrolled;
	struct vmm_stats stats;
	struct vmm_estimate est;
	unsigned int index;
};

/**
 * struct vmm_group - VMs that run the same runtime stack
 * @list: in vmm_registry.groups
 * @name: unique name, usually the stack ("python3.11")
 * @domain: the trust domain of its VMs
 * @nr_vms: VMs that reference it
 * @nr_enrolled: of those, enrolled
 * @stats: sum over its VMs, as of the last refresh
 * @est: sum of its VMs' estimates
 * @index: set by each estimation pass
 * @sketch: bottom-k sketch of its VMs' non-zero fingerprints, ascending
 * @nr_sketch: entries in @sketch
 * @sketch_cap: entries allocated
 */
struct vmm_group {
	struct list_head list;
	char name[VMMERGE_NAME_MAXLEN];
	struct vmm_domain *domain;
	unsigned int nr_vms;
	unsigned int nr_enrolled;
	struct vmm_stats stats;
	struct vmm_estimate est;
	unsigned int index;
	u64 *sketch;
	unsigned int nr_sketch;
	unsigned int sketch_cap;
};

/**
 * struct vmm_stats_walk - a VM's statistics walk in progress
 * @stats: counts so far
 * @nodes: nodes of the pages seen so far
 * @node: majority vote (Boyer-Moore) over the nodes of resident pages
 * @votes: the vote's counter
 * @region: region the walk is in
 * @addr: where it resumes in @region, 0 before its first step
 */
struct vmm_stats_walk {
	struct vmm_stats stats;
	nodemask_t nodes;
	int node;
	long votes;
	unsigned int region;
	unsigned long addr;
};

/* The index of an object that the fingerprint index does not know yet. */
#define VMM_INDEX_NONE 0xffffffffU

struct vmm_region {
	unsigned long start;
	unsigned long len;
};

/**
 * struct vmm_vm - a microVM: the guest RAM of one VMM process
 * @list: in vmm_registry.vms, in order of registration
 * @id: chosen by the agent, unique, not 0
 * @name: unique
 * @pid: VMM pid at registration, for display only: the VM is bound to @mm
 * @group: its group
 * @mm: the VMM's memory, pinned with mmgrab (not mmget: a VM never keeps
 *	a dead process's memory alive)
 * @mn: mmu_notifier whose release removes the VM when the VMM exits
 * @regions: guest-RAM ranges, each on mapping boundaries
 * @nr_regions: entries in @regions
 * @state: enum vmmerge_vm_state
 * @reason: why, in words
 * @ksm_on: regions currently MADV_MERGEABLE by us
 * @merges_any: its VMM asked KSM to merge all its memory (6.4+), so new
 *	mappings of it start out mergeable; read at every policy pass, and a
 *	VM that must not merge is un-merged at every pass
 * @node: NUMA node holding most of its resident pages
 * @nodes: every node holding some of its pages, as of the last full walk
 * @walked: @nodes is known (a VM not walked yet may have pages anywhere)
 * @walk: the statistics walk in progress
 * @want_enrol: the policy pass under way would enrol it
 * @stats: as of @stats_jiffies
 * @stats_jiffies: time of the last refresh, 0 if never
 * @linked: in the registry (under vmm_registry.lock)
 * @dying: teardown started, the notifier must not queue @exit_work
 * @exited: the VMM's memory is gone
 * @exit_work: unregisters the VM after the VMM exited
 * @scan: sampling state and yield estimate
 * @index: position in the registry, set by each estimation pass
 */
struct vmm_vm {
	struct list_head list;
	u64 id;
	char name[VMMERGE_VM_NAME_MAXLEN];
	pid_t pid;
	struct vmm_group *group;
	struct mm_struct *mm;
	struct mmu_notifier mn;
	struct vmm_region *regions;
	unsigned int nr_regions;
	enum vmmerge_vm_state state;
	char reason[VMMERGE_REASON_MAXLEN];
	bool ksm_on;
	bool merges_any;
	int node;
	nodemask_t nodes;
	bool walked;
	struct vmm_stats_walk walk;
	bool want_enrol;
	struct vmm_stats stats;
	unsigned long stats_jiffies;
	bool linked;
	atomic_t dying;
	atomic_t exited;
	struct work_struct exit_work;
	struct vmm_vm_scan scan;
	unsigned int index;
};

/**
 * struct vmm_registry - everything the module knows
 * @lock: protects all lists, objects and counters below; taken before any
 *	mm's mmap_lock
 * @generation: bumped whenever a domain, group or VM comes, goes or moves,
 *	or fingerprints are re-keyed: work done without @lock checks it
 */
struct vmm_registry {
	struct mutex lock;
	u64 generation;
	struct list_head domains;
	struct list_head groups;
	struct list_head vms;
	unsigned int nr_domains;
	unsigned int nr_groups;
	unsigned int nr_vms;
	unsigned int nr_enrolled;
	struct vmm_stats stats;
	unsigned long stats_jiffies;
	u64 nr_refreshes;
	struct vmm_estimate est;
	u64 nr_fingerprints;
};

extern struct vmm_registry vmm_reg;

int vmm_registry_init(void);
void vmm_registry_exit(void);

struct vmm_domain *vmm_domain_find(const char *name);
int vmm_domain_new(const char *name, u32 flags, struct netlink_ext_ack *extack);
int vmm_domain_set(struct vmm_domain *domain, u32 flags);
int vmm_domain_del(struct vmm_domain *domain, struct netlink_ext_ack *extack);

struct vmm_group *vmm_group_find(const char *name);
int vmm_group_new(const char *name, struct vmm_domain *domain,
		  struct netlink_ext_ack *extack);
void vmm_group_set(struct vmm_group *group, struct vmm_domain *domain);
int vmm_group_del(struct vmm_group *group, struct netlink_ext_ack *extack);

struct vmm_vm *vmm_vm_find(u64 id);
struct vmm_vm *vmm_vm_alloc(unsigned int nr_regions);
int vmm_vm_add(struct vmm_vm *vm, struct netlink_ext_ack *extack);
void vmm_vm_set_group(struct vmm_vm *vm, struct vmm_group *group);
void vmm_vm_unlink(struct vmm_vm *vm);
void vmm_vm_destroy(struct vmm_vm *vm);
void vmm_vm_free(struct vmm_vm *vm);

const char *vmm_state_name(enum vmmerge_vm_state state);
void vmm_vm_set_state(struct vmm_vm *vm, enum vmmerge_vm_state state,
		      const char *reason);

static inline bool vmm_domain_isolated(const struct vmm_domain *domain)
{
	return domain->flags & VMMERGE_DOMAIN_F_ISOLATED;
}

#endif /* _VMMERGE_REGISTRY_H */
