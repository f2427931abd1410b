// SPDX-License-Identifier: GPL-2.0
/*
 * DOC: scanner
 *
 * A freezable kthread, modelled on ksm_scan_thread(), samples pages of
 * registered guest RAM only, within a budget: scan_batch pages, then a sleep
 * long enough to stay under scan_pages_per_sec.  A sample reads one present
 * page without faulting it in or splitting it: the walker (walk.c) finds it
 * under the mmap read lock, a reference is taken under the page-table lock,
 * and the page is hashed after the lock is dropped, with xxh64 keyed through
 * siphash (fingerprint_key in sysfs).  All-zero pages are recognised before
 * hashing.
 *
 * Each VM has one fingerprint slot per page (or per few pages, when
 * max_fingerprints is short).  Slots are visited in a strided order, so the
 * first samples of a pass are spread over the whole VM and a first estimate
 * exists after a few hundred samples.  The budget goes to the VM with the
 * fewest samples, weighted by how settled its content is: new VMs come first,
 * VMs whose fingerprints stopped changing are visited rarely.  When every VM
 * is settled the scanner itself slows down (sampling and estimation both,
 * by 2^calm of the least settled VM), so that a host whose guests do not
 * change costs a small floor; new content in any VM wakes it at once.
 */
#include <linux/freezer.h>
#include <linux/gcd.h>
#include <linux/highmem.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/random.h>
#include <linux/sched/mm.h>
#include <linux/siphash.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/vmalloc.h>
#include <linux/xxhash.h>

#include "knobs.h"
#include "policy.h"
#include "registry.h"
#include "scanner.h"
#include "stats.h"
#include "walk.h"

atomic64_t vmm_scan_pages;
atomic64_t vmm_scan_batches;
atomic64_t vmm_scan_time_ns;
atomic64_t vmm_scan_estimations;
atomic64_t vmm_fingerprints;
unsigned int vmm_scan_calm;	/* the lowest calm of all VMs; vmm_reg.lock */

static struct task_struct *vmm_scan_task;
static DECLARE_WAIT_QUEUE_HEAD(vmm_scan_wait);
static unsigned long vmm_scan_last_estimate;
static u64 vmm_scan_estimated_generation = U64_MAX;

static unsigned long vmm_vm_pages(const struct vmm_vm *vm)
{
	unsigned long pages = 0;
	unsigned int i;

	for (i = 0; i < vm->nr_regions; i++)
		pages += vm->regions[i].len >> PAGE_SHIFT;
	return pages;
}

/* A step coprime with @n, near the golden ratio of it, for a spread order. */
static unsigned long vmm_scan_step(unsigned long n)
{
	unsigned long step = n / 16 * 10 + 1;

	if (n < 3)
		return 1;
	while (gcd(step, n) != 1)
		step++;
	return step % n ? step % n : 1;
}

/**
 * vmm_scan_vm_init() - allocate a new VM's fingerprint slots
 * @vm: being registered, regions known, under vmm_reg.lock
 *
 * Slots left in the max_fingerprints budget are shared out: a VM gets one
 * slot per page while they last, then one per few pages, and never fewer
 * than min_samples slots, so that every VM can get an estimate (the budget
 * can thus be passed by at most max_vms * min_samples slots).
 */
int vmm_scan_vm_init(struct vmm_vm *vm)
{
	struct vmm_vm_scan *scan = &vm->scan;
	u64 budget = READ_ONCE(vmm_knobs.max_fingerprints);
	u64 used = atomic64_read(&vmm_fingerprints);
	u64 left = budget > used ? budget - used : 0;

	scan->nr_pages = vmm_vm_pages(vm);
	left = max_t(u64, left, max(READ_ONCE(vmm_knobs.min_samples), 64U));
	scan->stride = max_t(u64, 1, DIV_ROUND_UP_ULL(scan->nr_pages, left));
	scan->nr_slots = DIV_ROUND_UP(scan->nr_pages, scan->stride);
	scan->fps = kvcalloc(scan->nr_slots, sizeof(*scan->fps), GFP_KERNEL);
	if (!scan->fps)
		return -ENOMEM;
	scan->step = vmm_scan_step(scan->nr_slots);
	atomic64_add(scan->nr_slots, &vmm_fingerprints);
	return 0;
}

void vmm_scan_vm_exit(struct vmm_vm *vm)
{
	if (!vm->scan.fps)
		return;
	atomic64_sub(vm->scan.nr_slots, &vmm_fingerprints);
	kvfree(vm->scan.fps);
	vm->scan.fps = NULL;
}

/* The address of the page slot @slot stands for. */
static unsigned long vmm_slot_addr(const struct vmm_vm *vm, unsigned long slot)
{
	unsigned long page = slot * vm->scan.stride, len;
	unsigned int i;

	for (i = 0; i < vm->nr_regions; i++) {
		len = vm->regions[i].len >> PAGE_SHIFT;
		if (page < len)
			return vm->regions[i].start + (page << PAGE_SHIFT);
		page -= len;
	}
	return 0;
}

/* What one sample found: a page with a reference taken, or the zero page. */
struct vmm_sample_ref {
	struct page *page;
	bool zero;
};

static void vmm_sample_pte(void *arg, struct page *page, unsigned long addr)
{
	struct vmm_sample_ref *ref = arg;

	if (!page)
		ref->zero = true;
	else if (get_page_unless_zero(page))
		ref->page = page;
}

static void vmm_sample_huge(void *arg, struct page *head, unsigned long addr,
			    unsigned long nr)
{
	struct vmm_sample_ref *ref = arg;

	if (get_page_unless_zero(head))
		ref->page = head + ((addr & ~PMD_MASK) >> PAGE_SHIFT);
}

static const struct vmm_walk_ops vmm_sample_ops = {
	.pte = vmm_sample_pte,
	.huge = vmm_sample_huge,
};

/*
 * The key makes fingerprints useless as a content oracle to whoever does
 * not hold it: a sketch read from one host says nothing about which pages
 * it holds, yet hosts given the same key compare sketches with each other.
 * The content hash is xxh64 (fast); the key goes in through siphash.
 */
static siphash_key_t vmm_fp_key;

static u64 vmm_page_fingerprint(struct page *page)
{
	void *addr = kmap_local_page(page);
	u64 fp;

	if (!memchr_inv(addr, 0, PAGE_SIZE))
		fp = VMM_FP_ZERO;
	else
		fp = max_t(u64, siphash_1u64(xxh64(addr, PAGE_SIZE, 0), &vmm_fp_key),
			   VMM_FP_FIRST);
	kunmap_local(addr);
	return fp;
}

/* Sample one page; the caller holds the mmap read lock. */
static u64 vmm_sample(struct mm_struct *mm, unsigned long addr)
{
	struct vmm_sample_ref ref = {};
	u64 fp;

	if (!addr)
		return VMM_FP_ABSENT;
	vmm_walk_step(mm, addr, addr + PAGE_SIZE, &vmm_sample_ops, &ref);
	if (ref.zero)
		return VMM_FP_ZERO;
	if (!ref.page)
		return VMM_FP_ABSENT;
	fp = vmm_page_fingerprint(ref.page);
	put_page(ref.page);
	return fp;
}

/**
 * vmm_scan_set_key() - key the fingerprints, forgetting the old ones
 * @key: 16 bytes
 *
 * Called under vmm_reg.lock, which the scanner holds while it samples:
 * every fingerprint and sketch is recomputed with the new key.
 */
void vmm_scan_set_key(const u8 *key)
{
	struct vmm_group *group;
	struct vmm_vm *vm;

	lockdep_assert_held(&vmm_reg.lock);
	memcpy(&vmm_fp_key, key, sizeof(vmm_fp_key));
	vmm_reg.generation++;
	list_for_each_entry(vm, &vmm_reg.vms, list) {
		memset(vm->scan.fps, 0, vm->scan.nr_slots * sizeof(*vm->scan.fps));
		memset(&vm->scan.est, 0, sizeof(vm->scan.est));
		vm->scan.sampled = 0;
		vm->scan.visited = 0;
		vm->scan.passes = 0;
		vm->scan.win_seen = 0;
		vm->scan.win_changed = 0;
		vm->scan.calm = 0;
	}
	list_for_each_entry(group, &vmm_reg.groups, list)
		group->nr_sketch = 0;
	vmm_fp_index.n = 0;
	vmm_scanner_wake();
}

static void vmm_scan_advance(struct vmm_vm_scan *scan)
{
	scan->pos = (scan->pos + scan->step) % scan->nr_slots;
	if (++scan->visited < scan->nr_slots)
		return;
	scan->passes++;
	scan->visited = 0;
}

static void vmm_scan_window_reset(struct vmm_vm_scan *scan)
{
	scan->win_seen = 0;
	scan->win_changed = 0;
}

/*
 * Judge calm on the sample just taken (see VMM_SCAN_WINDOW).  The first
 * pass sees every slot for the first time and says nothing about change,
 * so calm starts after it.
 */
static void vmm_scan_judge(struct vmm_vm_scan *scan, bool changed)
{
	if (!scan->passes)
		return;
	scan->win_changed += changed;
	if (scan->win_changed * VMM_SCAN_WAKE_RATIO > VMM_SCAN_WINDOW) {
		/* New content: full attention now, not at the window's end. */
		scan->calm = 0;
		vmm_scan_window_reset(scan);
		return;
	}
	if (++scan->win_seen < VMM_SCAN_WINDOW)
		return;
	if (scan->win_changed * VMM_SCAN_CALM_RATIO <= VMM_SCAN_WINDOW)
		scan->calm = min(scan->calm + 1, READ_ONCE(vmm_knobs.scan_calm_max));
	else if (scan->calm)
		scan->calm--;
	vmm_scan_window_reset(scan);
}

/* Sample up to @budget slots of @vm; returns how many were sampled. */
static unsigned int vmm_scan_vm(struct vmm_vm *vm, unsigned int budget)
{
	struct vmm_vm_scan *scan = &vm->scan;
	struct mm_struct *mm = vm->mm;
	unsigned int done = 0;
	bool changed;
	u64 fp;

	if (atomic_read(&vm->exited) || !mmget_not_zero(mm))
		return 0;
	while (done < budget && !mmap_read_lock_killable(mm)) {
		/* Short stretches under the lock: the VMM may want it. */
		do {
			fp = vmm_sample(mm, vmm_slot_addr(vm, scan->pos));
			changed = false;
			if (scan->fps[scan->pos] != fp) {
				changed = scan->fps[scan->pos] != VMM_FP_UNSEEN;
				scan->fps[scan->pos] = fp;
			}
			scan->sampled++;
			vmm_scan_judge(scan, changed);
			vmm_scan_advance(scan);
		} while (++done < budget && !need_resched());
		mmap_read_unlock(mm);
		cond_resched();
	}
	mmput(mm);
	return done;
}

/*
 * Fewest samples first, each level of calm halving a VM's claim.  *@calm is
 * the lowest calm of all VMs: how much the scanner as a whole may slow down.
 */
static struct vmm_vm *vmm_scan_pick(unsigned int *calm)
{
	unsigned int max = READ_ONCE(vmm_knobs.scan_calm_max), c;
	struct vmm_vm *vm, *best = NULL;
	u64 key, best_key = U64_MAX;

	*calm = max;
	list_for_each_entry(vm, &vmm_reg.vms, list) {
		if (!vm->scan.fps || atomic_read(&vm->exited))
			continue;
		c = min(vm->scan.calm, max);
		*calm = min(*calm, c);
		key = vm->scan.sampled << c;
		if (key < best_key) {
			best = vm;
			best_key = key;
		}
	}
	if (!best)
		*calm = 0;
	return best;
}

/*
 * Estimates are redone every estimate_interval_ms while anything changes,
 * 2^@calm times less often once everything is settled, and at the next
 * interval after a VM, group or domain came, went or moved.
 */
static bool vmm_scan_estimate_due(unsigned int calm)
{
	unsigned long interval = msecs_to_jiffies(READ_ONCE(vmm_knobs.estimate_interval_ms));

	if (time_before(jiffies, vmm_scan_last_estimate + interval))
		return false;
	return vmm_reg.generation != vmm_scan_estimated_generation ||
	       time_after_eq(jiffies, vmm_scan_last_estimate + (interval << calm));
}

/* Returns the pages sampled; *@ns is the batch's duration, *@calm as above. */
static unsigned int vmm_scan_batch(u64 *ns, unsigned int *calm)
{
	unsigned int budget = READ_ONCE(vmm_knobs.scan_batch), done = 0;
	struct vmm_vm *vm;
	u64 start = ktime_get_ns();

	mutex_lock(&vmm_reg.lock);
	vm = vmm_scan_pick(calm);
	if (vm)
		done = vmm_scan_vm(vm, budget);
	if (vmm_scan_estimate_due(*calm)) {
		vmm_scan_last_estimate = jiffies;
		if (!vmm_estimate_all()) {
			vmm_scan_estimated_generation = vmm_reg.generation;
			vmm_policy_apply();
		}
		atomic64_inc(&vmm_scan_estimations);
	}
	/* A VM woken by this batch counts from the next one on. */
	vmm_scan_calm = *calm;
	mutex_unlock(&vmm_reg.lock);
	/* The counters move before scan_batches, which readers poll. */
	*ns = ktime_get_ns() - start;
	atomic64_add(*ns, &vmm_scan_time_ns);
	atomic64_add(done, &vmm_scan_pages);
	smp_mb__before_atomic();
	atomic64_inc(&vmm_scan_batches);
	return done;
}

static bool vmm_scan_idle(void)
{
	return !READ_ONCE(vmm_reg.nr_vms) && !kthread_should_stop();
}

/*
 * Sleep long enough for both budgets: scan_pages_per_sec (slowed down by
 * 2^@calm), and scan_cpu_permille of one CPU given how long the batch took.
 */
static unsigned long vmm_scan_pause_ms(unsigned int done, u64 ns, unsigned int calm)
{
	unsigned int rate = max(READ_ONCE(vmm_knobs.scan_pages_per_sec) >> calm, 1U);
	unsigned int cpu = clamp(READ_ONCE(vmm_knobs.scan_cpu_permille), 1U, 1000U);
	unsigned long by_pages, by_cpu;

	/* A batch with nothing to sample still waits a batch's time. */
	by_pages = DIV_ROUND_UP(max(done, 1U) * 1000UL, rate);
	by_cpu = div_u64(ns * (1000 - cpu), (u64)cpu * NSEC_PER_MSEC);
	return max(by_pages, by_cpu);
}

static int vmm_scan_thread(void *unused)
{
	unsigned int done, calm;
	u64 ns;

	set_freezable();
	set_user_nice(current, 5);
	while (!kthread_should_stop()) {
		wait_event_freezable(vmm_scan_wait, !vmm_scan_idle());
		if (kthread_should_stop())
			break;
		done = vmm_scan_batch(&ns, &calm);
		wait_event_freezable_timeout(vmm_scan_wait, kthread_should_stop(),
					     msecs_to_jiffies(vmm_scan_pause_ms(done, ns, calm)));
	}
	return 0;
}

void vmm_scanner_wake(void)
{
	wake_up_interruptible(&vmm_scan_wait);
}

int __init vmm_scanner_init(void)
{
	get_random_bytes(&vmm_fp_key, sizeof(vmm_fp_key));
	vmm_scan_task = kthread_run(vmm_scan_thread, NULL, "vmmerge_scan");
	return PTR_ERR_OR_ZERO(vmm_scan_task);
}

void vmm_scanner_exit(void)
{
	kthread_stop(vmm_scan_task);
}
