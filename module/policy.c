// SPDX-License-Identifier: GPL-2.0
/*
 * DOC: trust policy
 *
 * Pages merged by KSM are shared copy-on-write, and a write to one takes
 * measurably longer than a write to a private page: any VM can tell which of
 * its pages exist elsewhere.  So merging is only allowed among VMs that trust
 * each other, which is what a trust domain says.
 *
 * A merge scope is where KSM may merge pages with each other: the whole host
 * when /sys/kernel/mm/ksm/merge_across_nodes is 1, one NUMA node when it is 0.
 * Unless cross_domain is set, one domain at a time may have enrolled VMs in
 * a scope: the domain of the first VM enrolled there, in registration order.
 * VMs of other domains are kept "refused" until the scope is free.  VMs of an
 * isolated domain are never enrolled.
 *
 * With merge_across_nodes 0, a VM is in the scope of every node that holds
 * some of its pages (and of all nodes until they are known).
 *
 * The policy holds whatever the VMM did: a VM that is not enrolled has no
 * mergeable memory at all, even where its VMM marked it mergeable itself,
 * and an un-merge that failed blocks other domains until it succeeds.  It
 * is re-applied after every change that could alter a decision and after
 * every statistics refresh, under vmm_reg.lock, and is deterministic: the
 * same registry always gives the same states.
 *
 * A VMM that called prctl(PR_SET_MEMORY_MERGE) (6.4+, MMF_VM_MERGE_ANY)
 * has all of its memory merged, heap included, and each new mapping starts
 * out mergeable; the module cannot clear that.  Each pass reads the flag
 * again.  Such a VM that must not merge is un-merged like any other, and
 * again at every pass since its new mappings are mergeable; its reason says
 * so.  Such a VM that may merge is enrolled: its other memory then merges
 * with pages of the same domain (the one holding the scope), which the
 * domain trusts, but its reason says that more than guest RAM merges.
 */
#include <linux/nodemask.h>
#include <linux/slab.h>

#include "compat.h"
#include "enrol.h"
#include "knobs.h"
#include "netlink.h"
#include "policy.h"
#include "registry.h"

/* The merge scope a page on @node is in: 0 for the host, else the node. */
unsigned int vmm_policy_node_scope(int node)
{
	if (vmm_ksm_merge_across_nodes() || node < 0 || node >= nr_node_ids)
		return 0;
	return node;
}

/*
 * KSM merges a page with pages of its own node when merge_across_nodes is
 * 0, so a VM is in the scope of every node that holds some of its pages,
 * and in all of them until the statistics walk has seen where they are.
 */
bool vmm_policy_in_scope(const struct vmm_vm *vm, unsigned int scope)
{
	if (vmm_ksm_merge_across_nodes())
		return scope == 0;
	return !vm->walked || node_isset(scope, vm->nodes);
}

#define for_each_vm_scope(scope, vm)					\
	for ((scope) = 0; (scope) < nr_node_ids; (scope)++)		\
		if (vmm_policy_in_scope((vm), (scope)))

/**
 * vmm_policy_owner() - the domain holding a merge scope, if any
 * @scope: from vmm_policy_node_scope()
 *
 * The domain of the first enrolled VM, in registration order, in that scope
 * that may stay enrolled (its domain is not isolated).  vmm_policy_apply()
 * starts from these owners, and hints read them.
 */
const struct vmm_domain *vmm_policy_owner(unsigned int scope)
{
	struct vmm_vm *vm;

	lockdep_assert_held(&vmm_reg.lock);
	list_for_each_entry(vm, &vmm_reg.vms, list)
		if (vm->state == VMMERGE_VM_ENROLLED &&
		    vmm_policy_in_scope(vm, scope) &&
		    !vmm_domain_isolated(vm->group->domain))
			return vm->group->domain;
	return NULL;
}

/* @reason, and what a merge-any VMM adds to it, in @buf. */
static const char *vmm_reason(const struct vmm_vm *vm, const char *reason,
			      const char *any, char *buf)
{
	if (!vm->merges_any)
		return reason;
	/* Cut to fit, as every reason is. */
	scnprintf(buf, VMMERGE_REASON_MAXLEN, "%s; %s", reason, any);
	return buf;
}

#define VMM_ANY_OUT	"merge-any VMM, un-merged each pass"
#define VMM_ANY_IN	"merge-any VMM merges more than guest RAM"

/*
 * Take a VM out of KSM and show why.  If the un-merge fails, the VM still
 * has mergeable memory: it is shown "unmerging", counts as merging in its
 * scopes (no other domain is enrolled next to it), and the next policy pass
 * (at the latest the next statistics refresh) tries again.
 */
/* Un-merges that failed and are retried (sysfs unmerge_failures). */
atomic64_t vmm_unmerge_failures;

static bool vmm_keep_out(struct vmm_vm *vm, enum vmmerge_vm_state state,
			 const char *reason)
{
	char why[VMMERGE_REASON_MAXLEN], buf[VMMERGE_REASON_MAXLEN];
	int ret = vmm_vm_ksm(vm, false);

	if (ret && ret != -ESRCH) {
		atomic64_inc(&vmm_unmerge_failures);
		snprintf(why, sizeof(why), "un-merge failed (%d), retrying", ret);
		reason = why;
		state = VMMERGE_VM_UNMERGING;
	}
	vmm_vm_set_state(vm, state, vmm_reason(vm, reason, VMM_ANY_OUT, buf));
	return !ret || ret == -ESRCH;
}

static void vmm_refuse(struct vmm_vm *vm, unsigned int scope,
		       const struct vmm_domain *owner)
{
	char reason[VMMERGE_REASON_MAXLEN];
	bool was_refused = vm->state == VMMERGE_VM_REFUSED;

	if (vmm_ksm_merge_across_nodes())
		snprintf(reason, sizeof(reason), "host is held by domain %s",
			 owner->name);
	else
		snprintf(reason, sizeof(reason), "node %u is held by domain %s",
			 scope, owner->name);
	if (vmm_keep_out(vm, VMMERGE_VM_REFUSED, reason) && !was_refused) {
		pr_info("vm %llu (%s) refused: %s\n", vm->id, vm->name, reason);
		vmm_nl_event_refused(vm);
	}
}

/*
 * With min_yield set, a VM must first show that merging pays.  Around the
 * threshold a VM keeps its state (hysteresis), so that estimates wobbling
 * by a point do not enrol and un-merge it in turn.  Returns true if the VM
 * is kept out.
 */
static bool vmm_low_yield(struct vmm_vm *vm)
{
	unsigned int min_yield = READ_ONCE(vmm_knobs.min_yield) * 10;
	unsigned int hyst = READ_ONCE(vmm_knobs.yield_hysteresis) * 10;
	unsigned int yield;

	if (!min_yield)
		return false;
	/* min_samples raised past a VM's slots: all of them sampled will do. */
	if (vm->scan.est.samples < min_t(u64, READ_ONCE(vmm_knobs.min_samples),
					 vm->scan.nr_slots)) {
		vmm_keep_out(vm, VMMERGE_VM_SAMPLING, "waiting for a yield estimate");
		return true;
	}
	yield = vmm_estimate_yield_permille(&vm->scan.est);
	if (vm->state == VMMERGE_VM_ENROLLED ? yield + hyst >= min_yield :
	    yield >= min_yield + hyst)
		return false;
	vmm_keep_out(vm, VMMERGE_VM_LOW_YIELD, "estimated yield below min_yield");
	return true;
}

/*
 * Claim the VM's scopes for its domain, or refuse it if another domain
 * holds one of them.  Returns true if the VM may be enrolled.
 */
static bool vmm_claim(struct vmm_vm *vm, const struct vmm_domain **owners)
{
	const struct vmm_domain *domain = vm->group->domain;
	unsigned int scope;

	if (READ_ONCE(vmm_knobs.cross_domain))
		return true;
	for_each_vm_scope(scope, vm) {
		if (owners[scope] && owners[scope] != domain) {
			vmm_refuse(vm, scope, owners[scope]);
			return false;
		}
	}
	for_each_vm_scope(scope, vm)
		owners[scope] = domain;
	return true;
}

/* First pass: decide; what must not merge is un-merged right away. */
static bool vmm_decide(struct vmm_vm *vm, const struct vmm_domain **owners)
{
	if (vmm_domain_isolated(vm->group->domain))
		return !vmm_keep_out(vm, VMMERGE_VM_ISOLATED, "domain is isolated");
	if (!READ_ONCE(vmm_knobs.enrol))
		return !vmm_keep_out(vm, VMMERGE_VM_REGISTERED, "enrolment is off");
	/* Before the scope check: a VM that is not worth it claims nothing. */
	if (vmm_low_yield(vm))
		return false;
	return vmm_claim(vm, owners);
}

/*
 * May @vm merge next to @other?  Not if @other's memory is still mergeable
 * after a failed un-merge, unless both are of the same domain that may
 * merge (cross_domain lifts only the one-domain-per-scope rule).
 */
static bool vmm_unmerging_blocks(const struct vmm_vm *vm,
				 const struct vmm_vm *other)
{
	unsigned int scope;

	if (other->state != VMMERGE_VM_UNMERGING || other == vm)
		return false;
	if (other->group->domain == vm->group->domain &&
	    !vmm_domain_isolated(other->group->domain))
		return false;
	if (READ_ONCE(vmm_knobs.cross_domain) &&
	    !vmm_domain_isolated(other->group->domain))
		return false;
	for_each_vm_scope(scope, vm)
		if (vmm_policy_in_scope(other, scope))
			return true;
	return false;
}

/* Second pass: enrol, once nothing that must not merge is left mergeable. */
static void vmm_enrol(struct vmm_vm *vm)
{
	char reason[VMMERGE_REASON_MAXLEN];
	struct vmm_vm *other;
	int ret;

	list_for_each_entry(other, &vmm_reg.vms, list) {
		if (vmm_unmerging_blocks(vm, other)) {
			snprintf(reason, sizeof(reason),
				 "waiting for vm %llu to be un-merged", other->id);
			vmm_keep_out(vm, VMMERGE_VM_REGISTERED, reason);
			return;
		}
	}
	ret = vmm_vm_ksm(vm, true);
	if (ret) {
		snprintf(reason, sizeof(reason), "ksm_madvise failed (%d)", ret);
		vmm_keep_out(vm, VMMERGE_VM_REGISTERED, reason);
		return;
	}
	vmm_vm_set_state(vm, VMMERGE_VM_ENROLLED,
			 vmm_reason(vm, "merging allowed", VMM_ANY_IN, reason));
}

/* Read again at every pass: a VMM may call prctl() at any time. */
static void vmm_read_merges_any(struct vmm_vm *vm)
{
	bool any = vmm_mm_merges_any(vm->mm);

	if (any && !vm->merges_any)
		pr_info("vm %llu (%s): its VMM merges all its memory (PR_SET_MEMORY_MERGE)\n",
			vm->id, vm->name);
	vm->merges_any = any;
}

static void vmm_recount(void)
{
	struct vmm_domain *domain;
	struct vmm_group *group;
	struct vmm_vm *vm;

	list_for_each_entry(domain, &vmm_reg.domains, list)
		domain->nr_enrolled = 0;
	list_for_each_entry(group, &vmm_reg.groups, list)
		group->nr_enrolled = 0;
	list_for_each_entry(vm, &vmm_reg.vms, list) {
		if (vm->state != VMMERGE_VM_ENROLLED)
			continue;
		vm->group->nr_enrolled++;
		vm->group->domain->nr_enrolled++;
	}
}

/**
 * vmm_policy_apply() - bring every VM's enrolment in line with the policy
 *
 * Scopes already held keep their owner: the first enrolled VM (in
 * registration order) that may stay enrolled claims its scopes before any
 * newcomer is considered, so adding a VM never evicts an enrolled domain.
 * Every VM that must not merge is un-merged before any VM is enrolled, so
 * a scope changes hands only once its old owner's memory is out of KSM.
 */
void vmm_policy_apply(void)
{
	const struct vmm_domain **owners;
	struct vmm_vm *vm;
	unsigned int scope;

	lockdep_assert_held(&vmm_reg.lock);
	owners = kcalloc(nr_node_ids, sizeof(*owners), GFP_KERNEL);
	if (!owners)
		return;
	for (scope = 0; scope < nr_node_ids; scope++)
		owners[scope] = vmm_policy_owner(scope);
	list_for_each_entry(vm, &vmm_reg.vms, list) {
		vmm_read_merges_any(vm);
		vm->want_enrol = vmm_decide(vm, owners);
	}
	list_for_each_entry(vm, &vmm_reg.vms, list)
		if (vm->want_enrol)
			vmm_enrol(vm);
	vmm_recount();
	kfree(owners);
}
