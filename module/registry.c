// SPDX-License-Identifier: GPL-2.0
/*
 * DOC: registry
 *
 * Trust domains contain groups, groups contain VMs.  Everything lives under
 * one mutex, vmm_reg.lock: the registry is small (bounded by knobs) and
 * changes rarely, so one lock keeps the invariants obvious.
 *
 * A VM is bound to its VMM's mm_struct.  We hold it with mmgrab, which keeps
 * the structure but not the address space, and register an mmu_notifier.
 * When the process exits, exit_mmap() calls our ->release; from there we
 * only queue exit_work (->release runs inside SRCU, where unregistering would
 * deadlock), and exit_work unlinks the VM and tells userspace.  A pid that is
 * reused later belongs to another mm and is never looked at again.
 *
 * mmu_notifier_unregister() calls ->release itself if exit_mmap() has not
 * unlinked the notifier yet (it runs every ->release first and unlinks
 * afterwards), so whoever unregisters sets @dying first: ->release must not
 * queue exit_work on a VM that is about to be freed.
 *
 * Domains, groups and VMs come from caches of their own (vmmerge_domain,
 * vmmerge_group, vmmerge_vm) so that an operator, and the tests, can see
 * how many are allocated in /proc/slabinfo or /sys/kernel/slab, and so that
 * a leak cannot hide: kmem_cache_destroy() at unload warns about any object
 * still allocated.
 */
#include <linux/cred.h>
#include <linux/sched/coredump.h>
#include <linux/sched/mm.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <net/netlink.h>

#include "registry.h"
#include "knobs.h"
#include "enrol.h"
#include "netlink.h"
#include "policy.h"

struct vmm_registry vmm_reg;

static struct workqueue_struct *vmm_wq;
static struct kmem_cache *vmm_domain_cache;
static struct kmem_cache *vmm_group_cache;
static struct kmem_cache *vmm_vm_cache;

static const char *const vmm_state_names[__VMMERGE_VM_STATE_MAX] = {
	[VMMERGE_VM_REGISTERED] = "registered",
	[VMMERGE_VM_ENROLLED] = "enrolled",
	[VMMERGE_VM_ISOLATED] = "isolated",
	[VMMERGE_VM_REFUSED] = "refused",
	[VMMERGE_VM_SAMPLING] = "sampling",
	[VMMERGE_VM_LOW_YIELD] = "low-yield",
	[VMMERGE_VM_UNMERGING] = "unmerging",
};

const char *vmm_state_name(enum vmmerge_vm_state state)
{
	if (state >= __VMMERGE_VM_STATE_MAX)
		return "unknown";
	return vmm_state_names[state];
}

struct vmm_domain *vmm_domain_find(const char *name)
{
	struct vmm_domain *domain;

	lockdep_assert_held(&vmm_reg.lock);
	list_for_each_entry(domain, &vmm_reg.domains, list)
		if (!strcmp(domain->name, name))
			return domain;
	return NULL;
}

int vmm_domain_new(const char *name, u32 flags, struct netlink_ext_ack *extack)
{
	struct vmm_domain *domain;

	lockdep_assert_held(&vmm_reg.lock);
	if (vmm_reg.nr_domains >= READ_ONCE(vmm_knobs.max_domains)) {
		NL_SET_ERR_MSG(extack, "too many domains (see max_domains)");
		return -ENOSPC;
	}
	domain = kmem_cache_zalloc(vmm_domain_cache, GFP_KERNEL);
	if (!domain)
		return -ENOMEM;
	strscpy(domain->name, name, sizeof(domain->name));
	domain->flags = flags;
	/* Not in the fingerprint index until the next estimation pass. */
	domain->index = VMM_INDEX_NONE;
	list_add_tail(&domain->list, &vmm_reg.domains);
	vmm_reg.nr_domains++;
	vmm_reg.generation++;
	return 0;
}

int vmm_domain_set(struct vmm_domain *domain, u32 flags)
{
	lockdep_assert_held(&vmm_reg.lock);
	if (domain->flags == flags)
		return 0;
	domain->flags = flags;
	vmm_policy_apply();
	return 0;
}

int vmm_domain_del(struct vmm_domain *domain, struct netlink_ext_ack *extack)
{
	lockdep_assert_held(&vmm_reg.lock);
	if (domain->nr_groups) {
		NL_SET_ERR_MSG(extack, "domain still has groups");
		return -EBUSY;
	}
	list_del(&domain->list);
	vmm_reg.nr_domains--;
	vmm_reg.generation++;
	kmem_cache_free(vmm_domain_cache, domain);
	return 0;
}

struct vmm_group *vmm_group_find(const char *name)
{
	struct vmm_group *group;

	lockdep_assert_held(&vmm_reg.lock);
	list_for_each_entry(group, &vmm_reg.groups, list)
		if (!strcmp(group->name, name))
			return group;
	return NULL;
}

int vmm_group_new(const char *name, struct vmm_domain *domain,
		  struct netlink_ext_ack *extack)
{
	struct vmm_group *group;

	lockdep_assert_held(&vmm_reg.lock);
	if (vmm_reg.nr_groups >= READ_ONCE(vmm_knobs.max_groups)) {
		NL_SET_ERR_MSG(extack, "too many groups (see max_groups)");
		return -ENOSPC;
	}
	group = kmem_cache_zalloc(vmm_group_cache, GFP_KERNEL);
	if (!group)
		return -ENOMEM;
	strscpy(group->name, name, sizeof(group->name));
	group->domain = domain;
	domain->nr_groups++;
	list_add_tail(&group->list, &vmm_reg.groups);
	vmm_reg.nr_groups++;
	vmm_reg.generation++;
	return 0;
}

void vmm_group_set(struct vmm_group *group, struct vmm_domain *domain)
{
	lockdep_assert_held(&vmm_reg.lock);
	if (group->domain == domain)
		return;
	group->domain->nr_groups--;
	group->domain->nr_vms -= group->nr_vms;
	group->domain = domain;
	domain->nr_groups++;
	domain->nr_vms += group->nr_vms;
	vmm_reg.generation++;
	vmm_policy_apply();
}

static void vmm_group_free(struct vmm_group *group)
{
	kvfree(group->sketch);
	kmem_cache_free(vmm_group_cache, group);
}

int vmm_group_del(struct vmm_group *group, struct netlink_ext_ack *extack)
{
	lockdep_assert_held(&vmm_reg.lock);
	if (group->nr_vms) {
		NL_SET_ERR_MSG(extack, "group still has VMs");
		return -EBUSY;
	}
	group->domain->nr_groups--;
	list_del(&group->list);
	vmm_reg.nr_groups--;
	vmm_reg.generation++;
	vmm_group_free(group);
	return 0;
}

struct vmm_vm *vmm_vm_find(u64 id)
{
	struct vmm_vm *vm;

	lockdep_assert_held(&vmm_reg.lock);
	list_for_each_entry(vm, &vmm_reg.vms, list)
		if (vm->id == id)
			return vm;
	return NULL;
}

static struct vmm_vm *vmm_vm_find_name(const char *name)
{
	struct vmm_vm *vm;

	list_for_each_entry(vm, &vmm_reg.vms, list)
		if (!strcmp(vm->name, name))
			return vm;
	return NULL;
}

static struct vmm_vm *vmm_vm_find_mm(struct mm_struct *mm)
{
	struct vmm_vm *vm;

	list_for_each_entry(vm, &vmm_reg.vms, list)
		if (vm->mm == mm)
			return vm;
	return NULL;
}

static void vmm_vm_exit_work(struct work_struct *work)
{
	struct vmm_vm *vm = container_of(work, struct vmm_vm, exit_work);
	bool was_linked;

	mutex_lock(&vmm_reg.lock);
	was_linked = vm->linked;
	if (was_linked) {
		pr_info("vm %llu (%s): VMM process %d exited\n", vm->id,
			vm->name, vm->pid);
		vmm_nl_event_exited(vm);
		vmm_vm_unlink(vm);
		vmm_policy_apply();
	}
	mutex_unlock(&vmm_reg.lock);
	/* Whoever unlinks frees; we must not cancel ourselves. */
	if (was_linked) {
		atomic_set(&vm->dying, 1);
		mmu_notifier_unregister(&vm->mn, vm->mm);
		vmm_vm_free(vm);
	}
}

static void vmm_vm_mn_release(struct mmu_notifier *mn, struct mm_struct *mm)
{
	struct vmm_vm *vm = container_of(mn, struct vmm_vm, mn);

	atomic_set(&vm->exited, 1);
	if (!atomic_read(&vm->dying))
		queue_work(vmm_wq, &vm->exit_work);
}

static const struct mmu_notifier_ops vmm_vm_mn_ops = {
	.release = vmm_vm_mn_release,
};

struct vmm_vm *vmm_vm_alloc(unsigned int nr_regions)
{
	struct vmm_vm *vm;

	vm = kmem_cache_zalloc(vmm_vm_cache, GFP_KERNEL);
	if (!vm)
		return NULL;
	vm->regions = kcalloc(nr_regions, sizeof(*vm->regions), GFP_KERNEL);
	if (!vm->regions) {
		kmem_cache_free(vmm_vm_cache, vm);
		return NULL;
	}
	vm->nr_regions = nr_regions;
	vm->mn.ops = &vmm_vm_mn_ops;
	vm->node = NUMA_NO_NODE;
	INIT_LIST_HEAD(&vm->list);
	INIT_WORK(&vm->exit_work, vmm_vm_exit_work);
	return vm;
}

void vmm_vm_free(struct vmm_vm *vm)
{
	if (vm->mm)
		mmdrop(vm->mm);
	vmm_scan_vm_exit(vm);
	kfree(vm->regions);
	kmem_cache_free(vmm_vm_cache, vm);
}

/*
 * Registering a process lets the caller read what it maps, so the caller
 * must be allowed to ptrace it.  ptrace_may_access() is not exported; these
 * are its rules for a caller that already has CAP_SYS_ADMIN, a little
 * stricter: CAP_SYS_PTRACE, or the same uids and gids as a dumpable target.
 */
static bool vmm_may_ptrace(struct task_struct *task, struct mm_struct *mm)
{
	const struct cred *cred = current_cred(), *tcred;
	bool same;

	if (capable(CAP_SYS_PTRACE))
		return true;
	rcu_read_lock();
	tcred = __task_cred(task);
	same = uid_eq(cred->uid, tcred->euid) && uid_eq(cred->uid, tcred->suid) &&
	       uid_eq(cred->uid, tcred->uid) && gid_eq(cred->gid, tcred->egid) &&
	       gid_eq(cred->gid, tcred->sgid) && gid_eq(cred->gid, tcred->gid);
	rcu_read_unlock();
	return same && get_dumpable(mm) == SUID_DUMP_USER;
}

/*
 * Find the VMM's mm from a pid, refusing what cannot be a VMM.  Returns the
 * mm with a user reference (mmget) so its VMAs can be checked.
 */
static struct mm_struct *vmm_pid_to_mm(pid_t nr, struct netlink_ext_ack *extack)
{
	struct task_struct *task;
	struct mm_struct *mm;
	struct pid *pid;

	pid = find_get_pid(nr);
	task = pid ? get_pid_task(pid, PIDTYPE_PID) : NULL;
	put_pid(pid);
	if (!task) {
		NL_SET_ERR_MSG(extack, "no such process");
		return ERR_PTR(-ESRCH);
	}
	if (task->flags & PF_KTHREAD) {
		put_task_struct(task);
		NL_SET_ERR_MSG(extack, "pid is a kernel thread");
		return ERR_PTR(-EINVAL);
	}
	mm = (task->flags & PF_EXITING) ? NULL : get_task_mm(task);
	if (mm && !vmm_may_ptrace(task, mm)) {
		put_task_struct(task);
		mmput(mm);
		NL_SET_ERR_MSG(extack, "caller may not ptrace the VMM process");
		return ERR_PTR(-EPERM);
	}
	put_task_struct(task);
	if (!mm) {
		NL_SET_ERR_MSG(extack, "process has exited");
		return ERR_PTR(-ESRCH);
	}
	return mm;
}

static int vmm_vm_check_unique(struct vmm_vm *vm, struct netlink_ext_ack *extack)
{
	if (vmm_reg.nr_vms >= READ_ONCE(vmm_knobs.max_vms)) {
		NL_SET_ERR_MSG(extack, "too many VMs (see max_vms)");
		return -ENOSPC;
	}
	if (vmm_vm_find(vm->id)) {
		NL_SET_ERR_MSG(extack, "a VM with this id exists");
		return -EEXIST;
	}
	if (vmm_vm_find_name(vm->name)) {
		NL_SET_ERR_MSG(extack, "a VM with this name exists");
		return -EEXIST;
	}
	return 0;
}

/**
 * vmm_vm_add() - bind a VM to its VMM's memory and link it
 * @vm: from vmm_vm_alloc(), with id, name, pid, group and regions filled in
 * @extack: for the reason of a refusal
 *
 * On failure @vm is untouched by the registry and the caller frees it.
 */
int vmm_vm_add(struct vmm_vm *vm, struct netlink_ext_ack *extack)
{
	struct mm_struct *mm;
	int ret;

	lockdep_assert_held(&vmm_reg.lock);
	ret = vmm_vm_check_unique(vm, extack);
	if (ret)
		return ret;
	mm = vmm_pid_to_mm(vm->pid, extack);
	if (IS_ERR(mm))
		return PTR_ERR(mm);
	if (vmm_vm_find_mm(mm)) {
		NL_SET_ERR_MSG(extack, "this process is already registered");
		ret = -EEXIST;
		goto out;
	}
	ret = vmm_regions_check(mm, vm->regions, vm->nr_regions, extack);
	if (ret)
		goto out;
	ret = vmm_scan_vm_init(vm);
	if (ret)
		goto out;
	ret = mmu_notifier_register(&vm->mn, mm);
	if (ret) {
		vmm_scan_vm_exit(vm);
		goto out;
	}
	mmgrab(mm);
	vm->mm = mm;
	vm->linked = true;
	list_add_tail(&vm->list, &vmm_reg.vms);
	vmm_reg.nr_vms++;
	vmm_reg.generation++;
	vm->group->nr_vms++;
	vm->group->domain->nr_vms++;
	vmm_vm_set_state(vm, VMMERGE_VM_REGISTERED, "registered");
	vmm_policy_apply();
	vmm_scanner_wake();
out:
	mmput(mm);
	return ret;
}

void vmm_vm_set_group(struct vmm_vm *vm, struct vmm_group *group)
{
	lockdep_assert_held(&vmm_reg.lock);
	if (vm->group == group)
		return;
	vm->group->nr_vms--;
	vm->group->domain->nr_vms--;
	vm->group = group;
	group->nr_vms++;
	group->domain->nr_vms++;
	vmm_reg.generation++;
	vmm_policy_apply();
}

/*
 * Take the VM out of the registry.  Its KSM enrolment is left as it is;
 * callers that want the memory un-merged call vmm_vm_unenrol() first.
 */
void vmm_vm_unlink(struct vmm_vm *vm)
{
	lockdep_assert_held(&vmm_reg.lock);
	if (vm->state == VMMERGE_VM_ENROLLED)
		vmm_reg.nr_enrolled--;
	vm->linked = false;
	list_del_init(&vm->list);
	vmm_reg.nr_vms--;
	vmm_reg.generation++;
	vm->group->nr_vms--;
	vm->group->domain->nr_vms--;
}

/**
 * vmm_vm_destroy() - free an unlinked VM
 * @vm: unlinked, not reachable by anyone else
 *
 * Called without vmm_reg.lock: the exit work it waits for takes that lock.
 */
void vmm_vm_destroy(struct vmm_vm *vm)
{
	atomic_set(&vm->dying, 1);
	/* After this returns ->release cannot run any more. */
	mmu_notifier_unregister(&vm->mn, vm->mm);
	cancel_work_sync(&vm->exit_work);
	vmm_vm_free(vm);
}

void vmm_vm_set_state(struct vmm_vm *vm, enum vmmerge_vm_state state,
		      const char *reason)
{
	bool changed = vm->state != state || strcmp(vm->reason, reason);

	if (vm->state == VMMERGE_VM_ENROLLED && state != VMMERGE_VM_ENROLLED)
		vmm_reg.nr_enrolled--;
	else if (vm->state != VMMERGE_VM_ENROLLED && state == VMMERGE_VM_ENROLLED)
		vmm_reg.nr_enrolled++;
	vm->state = state;
	strscpy(vm->reason, reason, sizeof(vm->reason));
	if (changed && vm->linked)
		vmm_nl_event_state(vm);
}

int vmm_registry_init(void)
{
	mutex_init(&vmm_reg.lock);
	INIT_LIST_HEAD(&vmm_reg.domains);
	INIT_LIST_HEAD(&vmm_reg.groups);
	INIT_LIST_HEAD(&vmm_reg.vms);
	vmm_domain_cache = kmem_cache_create("vmmerge_domain",
					     sizeof(struct vmm_domain), 0, 0, NULL);
	if (!vmm_domain_cache)
		goto err_domain;
	vmm_group_cache = kmem_cache_create("vmmerge_group",
					    sizeof(struct vmm_group), 0, 0, NULL);
	if (!vmm_group_cache)
		goto err_group;
	vmm_vm_cache = kmem_cache_create("vmmerge_vm", sizeof(struct vmm_vm),
					 0, 0, NULL);
	if (!vmm_vm_cache)
		goto err_vm;
	vmm_wq = alloc_workqueue("vmmerge", WQ_UNBOUND, 0);
	if (!vmm_wq)
		goto err_wq;
	return 0;

err_wq:
	kmem_cache_destroy(vmm_vm_cache);
err_vm:
	kmem_cache_destroy(vmm_group_cache);
err_group:
	kmem_cache_destroy(vmm_domain_cache);
err_domain:
	return -ENOMEM;
}

/*
 * Module unload: un-merge what we enrolled, then forget every VM.  Leaving
 * guest RAM mergeable would let a module loaded later (or any other KSM
 * user) merge another domain's pages next to it without knowing.  The VMMs
 * keep running; their merged pages are copied back, which needs memory and
 * time.  An un-merge that fails (rmmod got a signal, no memory) is logged:
 * unload cannot be refused at this point.
 */
void vmm_registry_exit(void)
{
	struct vmm_vm *vm, *vm_tmp;
	struct vmm_group *group, *group_tmp;
	struct vmm_domain *domain, *domain_tmp;
	LIST_HEAD(dead);

	mutex_lock(&vmm_reg.lock);
	list_for_each_entry_safe(vm, vm_tmp, &vmm_reg.vms, list) {
		int ret = vmm_vm_ksm(vm, false);

		if (ret && ret != -ESRCH)
			pr_warn("vm %llu (%s): guest RAM left mergeable at unload (%d)\n",
				vm->id, vm->name, ret);
		vmm_vm_unlink(vm);
		list_add_tail(&vm->list, &dead);
	}
	mutex_unlock(&vmm_reg.lock);
	list_for_each_entry_safe(vm, vm_tmp, &dead, list)
		vmm_vm_destroy(vm);
	destroy_workqueue(vmm_wq);
	list_for_each_entry_safe(group, group_tmp, &vmm_reg.groups, list)
		vmm_group_free(group);
	list_for_each_entry_safe(domain, domain_tmp, &vmm_reg.domains, list)
		kmem_cache_free(vmm_domain_cache, domain);
	kmem_cache_destroy(vmm_vm_cache);
	kmem_cache_destroy(vmm_group_cache);
	kmem_cache_destroy(vmm_domain_cache);
}
