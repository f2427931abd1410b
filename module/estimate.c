// SPDX-License-Identifier: GPL-2.0
/*
 * DOC: estimates
 *
 * From the fingerprints sampled so far, every estimation pass (at most every
 * estimate_interval_ms) answers, per VM: which sampled pages are zero, and
 * which duplicate another sampled page of the same VM, of the same group,
 * or of the same trust domain within the same merge scope (what KSM would be
 * allowed to merge them with).  All non-zero fingerprints are gathered into
 * one array, sorted by (fingerprint, scope, domain, group, VM), so that equal
 * pages sit next to each other, nested by owner; one walk then counts.
 *
 * A VM's slots are a uniform sample of its pages (strided order), so each
 * count scales to pages by nr_pages / samples.  Until the VMs have been
 * sampled completely, a duplicate whose twin was not sampled yet goes
 * unseen: estimates start low and converge from below.
 */
#include <linux/nodemask.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/sort.h>

#include "enrol.h"
#include "knobs.h"
#include "registry.h"
#include "scanner.h"

struct vmm_fp_index vmm_fp_index;

#define VMM_OWNER_DOMAIN(o)	((o) >> 32)
#define VMM_OWNER_GROUP(o)	((o) >> 16)

static int vmm_fp_ref_cmp(const void *a, const void *b)
{
	const struct vmm_fp_ref *x = a, *y = b;

	if (x->fp != y->fp)
		return x->fp < y->fp ? -1 : 1;
	if (x->owner != y->owner)
		return x->owner < y->owner ? -1 : 1;
	return 0;
}

static u64 vmm_owner(const struct vmm_vm *vm)
{
	u64 scope = vmm_ksm_merge_across_nodes() || vm->node < 0 ? 0 : vm->node;

	return (scope & 0xffff) << 48 | (u64)vm->group->domain->index << 32 |
	       (u64)vm->group->index << 16 | vm->index;
}

/* Number the objects so that an owner key fits in 64 bits. */
static void vmm_estimate_index(void)
{
	struct vmm_domain *domain;
	struct vmm_group *group;
	unsigned int i = 0;
	struct vmm_vm *vm;

	list_for_each_entry(domain, &vmm_reg.domains, list)
		domain->index = i++;
	i = 0;
	list_for_each_entry(group, &vmm_reg.groups, list)
		group->index = i++;
	i = 0;
	list_for_each_entry(vm, &vmm_reg.vms, list)
		vm->index = i++;
}

/* Count a VM's sampled slots and add its non-zero ones to @refs. */
static size_t vmm_estimate_gather(struct vmm_vm *vm, struct vmm_fp_ref *refs,
				  size_t n, size_t max, struct vmm_estimate *raw)
{
	const struct vmm_vm_scan *scan = &vm->scan;
	u64 owner = vmm_owner(vm), fp;
	u16 node = vm->node < 0 ? 0 : vm->node;
	unsigned long i;

	memset(raw, 0, sizeof(*raw));
	for (i = 0; i < scan->nr_slots; i++) {
		fp = scan->fps[i];
		if (fp == VMM_FP_UNSEEN)
			continue;
		raw->samples++;
		if (fp == VMM_FP_ABSENT)
			continue;
		raw->present++;
		if (fp == VMM_FP_ZERO) {
			raw->zero++;
			continue;
		}
		if (n < max) {
			refs[n].fp = fp;
			refs[n].node = node;
			refs[n++].owner = owner;
		}
	}
	return n;
}

/* Credit @count pages of one owner key, seen @dom/@grp/@own times in all. */
static void vmm_estimate_credit(struct vmm_estimate *raw, size_t count,
				size_t dom, size_t grp, size_t own)
{
	if (dom > 1)
		raw->dup_domain += count;
	if (grp > 1)
		raw->dup_group += count;
	if (own > 1)
		raw->dup_vm += count;
}

static size_t vmm_run_end(const struct vmm_fp_ref *refs, size_t i, size_t end,
			  unsigned int shift)
{
	size_t j = i + 1;

	while (j < end && refs[j].fp == refs[i].fp &&
	       refs[j].owner >> shift == refs[i].owner >> shift)
		j++;
	return j;
}

/* Walk one run of equal fingerprints, nested by domain, group and VM. */
static void vmm_estimate_run(const struct vmm_fp_ref *refs, size_t a, size_t b,
			     struct vmm_estimate *raws)
{
	size_t d, d_end, g, g_end, v, v_end;

	for (d = a; d < b; d = d_end) {
		d_end = vmm_run_end(refs, d, b, 32);
		for (g = d; g < d_end; g = g_end) {
			g_end = vmm_run_end(refs, g, d_end, 16);
			for (v = g; v < g_end; v = v_end) {
				v_end = vmm_run_end(refs, v, g_end, 0);
				vmm_estimate_credit(&raws[refs[v].owner & 0xffff],
						    v_end - v, d_end - d,
						    g_end - g, v_end - v);
			}
		}
	}
}

static u64 vmm_scale(u64 count, const struct vmm_vm_scan *scan, u64 samples)
{
	return samples ? div64_u64(count * scan->nr_pages, samples) : 0;
}

/* Turn slot counts into page estimates and add them up the tree. */
static void vmm_estimate_publish(struct vmm_vm *vm, const struct vmm_estimate *raw)
{
	const struct vmm_vm_scan *scan = &vm->scan;
	struct vmm_estimate *est = &vm->scan.est;

	est->samples = raw->samples;
	est->present = vmm_scale(raw->present, scan, raw->samples);
	est->zero = vmm_scale(raw->zero, scan, raw->samples);
	est->dup_vm = vmm_scale(raw->dup_vm, scan, raw->samples);
	est->dup_group = vmm_scale(raw->dup_group, scan, raw->samples);
	est->dup_domain = vmm_scale(raw->dup_domain, scan, raw->samples);
	est->pages = scan->nr_pages;
	est->slots = scan->nr_slots;
	vmm_estimate_add(&vm->group->est, est);
	vmm_estimate_add(&vm->group->domain->est, est);
	vmm_estimate_add(&vmm_reg.est, est);
}

/*
 * The index is sorted by fingerprint, so the first sketch_k qualifying
 * values met for a group are its bottom-k sketch.  A value qualifies when it
 * is typical of the stack: found in at least two of the group's VMs, when
 * the group has two or more.  Content unique to one VM (its own data) would
 * not be in a new VM of the stack, so it must not count as shareable; with a
 * single VM there is no telling, and everything qualifies.
 */
static void vmm_sketch_reset(struct vmm_group **groups, unsigned int nr_groups)
{
	unsigned int k = READ_ONCE(vmm_knobs.sketch_k), i;
	struct vmm_group *group;

	for (i = 0; i < nr_groups; i++) {
		group = groups[i];
		if (group->sketch_cap != k) {
			kvfree(group->sketch);
			group->sketch = kvcalloc(k, sizeof(u64), GFP_KERNEL);
			group->sketch_cap = group->sketch ? k : 0;
		}
		group->nr_sketch = 0;
	}
}

/* Count, per group, the distinct VMs holding the run's fingerprint. */
static unsigned int vmm_sketch_count(const struct vmm_fp_ref *refs, size_t a,
				     size_t b, u32 *vms, u32 *touched)
{
	unsigned int nr_touched = 0, g;
	size_t i;

	for (i = a; i < b; i++) {
		g = VMM_OWNER_GROUP(refs[i].owner) & 0xffff;
		if (!vms[g])
			touched[nr_touched++] = g;
		/* Within a (scope, domain, group) sub-run VMs are sorted. */
		if (i == a || refs[i].owner != refs[i - 1].owner)
			vms[g]++;
	}
	return nr_touched;
}

static void vmm_sketch_build(const struct vmm_fp_ref *refs, size_t n,
			     struct vmm_group **groups, unsigned int nr_groups,
			     u32 *vms, u32 *touched)
{
	unsigned int nr_touched, t;
	struct vmm_group *group;
	size_t a, b;

	vmm_sketch_reset(groups, nr_groups);
	for (a = 0; a < n; a = b) {
		for (b = a + 1; b < n && refs[b].fp == refs[a].fp; b++)
			;
		nr_touched = vmm_sketch_count(refs, a, b, vms, touched);
		for (t = 0; t < nr_touched; t++) {
			group = groups[touched[t]];
			if (group->nr_sketch < group->sketch_cap &&
			    (group->nr_vms < 2 || vms[touched[t]] >= 2))
				group->sketch[group->nr_sketch++] = refs[a].fp;
			vms[touched[t]] = 0;
		}
	}
}

static void vmm_estimate_clear(void)
{
	struct vmm_domain *domain;
	struct vmm_group *group;

	list_for_each_entry(domain, &vmm_reg.domains, list)
		memset(&domain->est, 0, sizeof(domain->est));
	list_for_each_entry(group, &vmm_reg.groups, list)
		memset(&group->est, 0, sizeof(group->est));
	memset(&vmm_reg.est, 0, sizeof(vmm_reg.est));
}

/* Sort and count without the registry: only @refs and @raws are touched. */
static void vmm_estimate_count(struct vmm_fp_ref *refs, size_t n,
			       struct vmm_estimate *raws)
{
	size_t a, b;

	sort(refs, n, sizeof(*refs), vmm_fp_ref_cmp, NULL);
	for (a = 0; a < n; a = b) {
		for (b = a + 1; b < n && refs[b].fp == refs[a].fp; b++)
			;
		if (b - a > 1)
			vmm_estimate_run(refs, a, b, raws);
		cond_resched();
	}
}

/**
 * vmm_estimate_all() - recompute every estimate from the fingerprints
 *
 * Called by the scanner with vmm_reg.lock held.  The lock is dropped while
 * the gathered fingerprints are sorted and counted (up to max_fingerprints
 * plus max_vms * min_samples of them, which takes a while), so netlink,
 * the statistics walk and VMM exits do not wait for it; if the registry
 * changed meanwhile, the result is thrown away and the next pass redoes it.
 *
 * Return: 0, -ENOMEM or -EAGAIN (estimates keep their previous values).
 */
int vmm_estimate_all(void)
{
	struct vmm_estimate *raws = NULL;
	struct vmm_group **groups = NULL;
	size_t max = 0, n = 0, nr_vms;
	struct vmm_fp_ref *refs;
	struct vmm_group *group;
	u32 *scratch = NULL;
	struct vmm_vm *vm;
	u64 generation;
	int ret = -ENOMEM;

	lockdep_assert_held(&vmm_reg.lock);
	list_for_each_entry(vm, &vmm_reg.vms, list)
		max += vm->scan.nr_slots;
	nr_vms = vmm_reg.nr_vms;
	refs = kvmalloc_array(max ?: 1, sizeof(*refs), GFP_KERNEL | __GFP_NOWARN);
	raws = kvcalloc(nr_vms ?: 1, sizeof(*raws), GFP_KERNEL | __GFP_NOWARN);
	if (!refs || !raws)
		goto out;
	vmm_estimate_index();
	list_for_each_entry(vm, &vmm_reg.vms, list)
		n = vmm_estimate_gather(vm, refs, n, max, &raws[vm->index]);
	generation = vmm_reg.generation;
	mutex_unlock(&vmm_reg.lock);
	vmm_estimate_count(refs, n, raws);
	mutex_lock(&vmm_reg.lock);
	ret = -EAGAIN;
	if (generation != vmm_reg.generation) {
		/* Its owner numbers are stale now too: no hints until redone. */
		vmm_fp_index.n = 0;
		goto out;
	}
	ret = -ENOMEM;
	groups = kvcalloc(vmm_reg.nr_groups ?: 1, sizeof(*groups), GFP_KERNEL);
	scratch = kvcalloc(2 * vmm_reg.nr_groups + 1, sizeof(*scratch), GFP_KERNEL);
	if (!groups || !scratch)
		goto out;
	list_for_each_entry(group, &vmm_reg.groups, list)
		groups[group->index] = group;
	vmm_estimate_clear();
	list_for_each_entry(vm, &vmm_reg.vms, list)
		vmm_estimate_publish(vm, &raws[vm->index]);
	vmm_reg.nr_fingerprints = n;
	vmm_sketch_build(refs, n, groups, vmm_reg.nr_groups, scratch,
			 scratch + vmm_reg.nr_groups);
	/* The sorted array stays as the host's index, for placement hints. */
	kvfree(vmm_fp_index.refs);
	vmm_fp_index.refs = refs;
	vmm_fp_index.n = n;
	refs = NULL;
	ret = 0;
out:
	kvfree(refs);
	kvfree(raws);
	kvfree(groups);
	kvfree(scratch);
	return ret;
}

void vmm_estimate_add(struct vmm_estimate *sum, const struct vmm_estimate *e)
{
	sum->samples += e->samples;
	sum->present += e->present;
	sum->zero += e->zero;
	sum->dup_vm += e->dup_vm;
	sum->dup_group += e->dup_group;
	sum->dup_domain += e->dup_domain;
	sum->pages += e->pages;
	sum->slots += e->slots;
}

/* Mergeable (zero or duplicate in the merge domain) per mille of present. */
unsigned int vmm_estimate_yield_permille(const struct vmm_estimate *est)
{
	if (!est->present)
		return 0;
	return div64_u64((est->zero + est->dup_domain) * 1000, est->present);
}

void vmm_estimate_exit(void)
{
	kvfree(vmm_fp_index.refs);
	vmm_fp_index.refs = NULL;
	vmm_fp_index.n = 0;
}
