// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The vmmerge developers.
 *
 * Sync: the agent's view of the VMMs on the host against the module's
 * registry.  A reconcile dumps the module's VMs, scans /proc for VMM
 * processes, adopts the ones already registered and registers the others;
 * it runs at start, after every (re)connection to the module, on reload
 * and every rescan_interval.  Exec events from the proc connector put a
 * new VMM on a pending list that is retried every tick until its guest RAM
 * is mapped.  Exits need nothing from us: the module drops the VM itself.
 *
 * With the BPF source attached, new VMMs come from their KVM memslots
 * instead of exec events: a VMM goes pending at its first slot and is
 * registered once its slots have been quiet for SLOTS_SETTLE_MS, with
 * the mappings that hold them as its regions.  The /proc scan still
 * finds the VMMs that registered their slots before the probe was there.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent.h"
#include "log.h"
#include "maps.h"
#include "proc.h"

void health_add(struct agent *a, uint64_t *counter, uint64_t n)
{
	pthread_mutex_lock(&a->lock);
	*counter += n;
	pthread_mutex_unlock(&a->lock);
}

static void set_pending_gauge(struct agent *a)
{
	pthread_mutex_lock(&a->lock);
	a->health.pending = a->nr_pending;
	pthread_mutex_unlock(&a->lock);
}

/*
 * An error that may mean the family went away.  -ENOENT is also the module's
 * own answer to some requests (a region the dying VMM has already
 * unmapped), so the family is looked up before the module is given up.
 */
static bool module_gone(struct agent *a, int err)
{
	if (err != -ENOENT && err != -EPROTONOSUPPORT && err != -ECONNREFUSED &&
	    err != -EOPNOTSUPP && err != -EIO)
		return false;
	return !a->nl || !vnl_family_present(a->nl);
}

/* The domains the config declares, with the flags it gives them. */
int sync_domains(struct agent *a)
{
	size_t i;
	int err = vnl_new_domain(a->nl, a->cfg.default_domain, 0);

	if (err && err != -EEXIST)
		return err;
	for (i = 0; i < a->cfg.nr_domains; i++) {
		const struct cfg_domain *d = &a->cfg.domains[i];
		uint32_t flags = d->isolated ? VMMERGE_DOMAIN_F_ISOLATED : 0;

		err = vnl_new_domain(a->nl, d->name, flags);
		if (err == -EEXIST)
			err = vnl_set_domain(a->nl, d->name, flags);
		if (err) {
			log_warn("Unable to set up domain %s: %s%s%s", d->name,
				 strerror(-err), *vnl_extack(a->nl) ? ": " : "",
				 vnl_extack(a->nl));
			return err;
		}
	}
	return 0;
}

/*
 * The group @stack in @domain, created when missing.  -EXDEV (told) when
 * the module already has @stack in another domain: the VM would join that
 * domain's group, so it is not registered.
 */
static int ensure_group(struct agent *a, const char *stack,
			const char *domain, const char *vm, pid_t pid)
{
	struct vmm_group *groups;
	size_t nr, i;
	int err = 0;

	if (!config_domain(&a->cfg, domain))
		err = vnl_new_domain(a->nl, domain, 0);
	if (err && err != -EEXIST)
		return err;
	err = vnl_new_group(a->nl, stack, domain);
	if (err != -EEXIST)
		return err;
	if (vnl_dump_groups(a->nl, &groups, &nr))
		return 0;
	for (i = 0; i < nr; i++) {
		if (strcmp(groups[i].name, stack) ||
		    !strcmp(groups[i].domain, domain))
			continue;
		log_warn("Unable to add VM %s (pid %d): the rules put it in "
			 "stack %s of domain %s, but the module has stack %s in "
			 "domain %s; not registering it (move or remove the "
			 "stack, then reload)", vm, (int)pid, stack, domain,
			 stack, groups[i].domain);
		err = -EXDEV;
		break;
	}
	free(groups);
	return err == -EXDEV ? err : 0;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Keep the regions of at least min_guest_mib: the others are firmware
 * (QEMU maps its 64 KiB BIOS block into the guest as a writable slot).
 */
static unsigned int drop_small(struct agent *a, struct vmm_region *r,
			       unsigned int nr)
{
	unsigned int i, n = 0;

	for (i = 0; i < nr; i++)
		if (r[i].length >= a->cfg.min_guest_mib << 20)
			r[n++] = r[i];
	return n;
}

/*
 * Regions of @vm from the KVM memslots in @v: each widened to the whole
 * private anonymous mappings holding it.  -EAGAIN while slots keep coming
 * or are too small yet, -ENOMEDIUM if no slot is private anonymous memory.
 */
static int slot_regions(struct agent *a, const struct vm_slots *v,
			struct vmm_vm *vm)
{
	struct vmm_region ranges[SLOTS_MAX];
	unsigned int n, dropped;
	char path[64], *text;
	int nr;

	if (now_ms() - v->changed_ms < SLOTS_SETTLE_MS || !v->nr)
		return -EAGAIN;
	n = slots_ranges(v, ranges, SLOTS_MAX);
	snprintf(path, sizeof(path), "/proc/%d/maps", (int)v->pid);
	nr = proc_read_file(path, &text, NULL);
	if (nr)
		return nr;
	nr = maps_cover(text, ranges, n, vm->regions, VMM_MAX_REGIONS,
			&dropped);
	free(text);
	if (nr < 0)
		return nr;
	if (!nr) {
		log_warn("pid %d: none of its %u KVM memslots is private "
			 "anonymous memory (shared or file-backed guest RAM?); "
			 "not registering it", (int)v->pid, v->nr);
		return -ENOMEDIUM;
	}
	if (dropped)
		log_debug("pid %d: %u of %u memslot ranges are not private "
			  "anonymous memory; left out", (int)v->pid, dropped, n);
	vm->nr_regions = drop_small(a, vm->regions, nr);
	return vm->nr_regions ? 0 : -EAGAIN;
}

/* Fill @vm for @pid as the rules classify it; -EAGAIN if no RAM yet. */
static int describe(struct agent *a, pid_t pid, struct vmm_vm *vm,
		    char *domain)
{
	struct vm_slots *slots = slots_find(&a->slots, pid);
	struct classification cl;
	struct vmm_proc p;
	char comm[32];
	int err = proc_read(pid, &p);

	if (err == -ENOENT || err == -ESRCH)
		return -ESRCH;	/* gone since it was found */
	if (err)
		return err;
	rules_classify(&a->cfg, &p, &cl);
	proc_release(&p);
	memset(vm, 0, sizeof(*vm));
	vm->pid = pid;
	strcpy(vm->group, cl.stack);
	strcpy(domain, cl.domain);
	if (slots)
		err = slot_regions(a, slots, vm);
	else
		err = maps_pick_pid(pid, cl.mem_mib << 20, &vm->regions[0]);
	if (err == -ENOENT)
		return -EAGAIN;	/* not mapped yet, or the process is going */
	if (err)
		return err;
	if (!slots && !cl.mem_mib &&
	    vm->regions[0].length < a->cfg.min_guest_mib << 20)
		return -EAGAIN;
	if (!slots)
		vm->nr_regions = 1;
	if (proc_comm(pid, comm, sizeof(comm)) || proc_vm_id(pid, &vm->id))
		return -ESRCH;
	snprintf(vm->name, sizeof(vm->name), "%s-%d", comm, (int)pid);
	return 0;
}

/*
 * Register the VMM @pid.  0 when registered (or already), -EAGAIN to try
 * again later, -ENOSPC when the registry is full (the caller tells and
 * retries), -ESRCH when the process is gone, another -errno (told) to give
 * up on it.
 */
static int register_vmm(struct agent *a, pid_t pid)
{
	char domain[VMMERGE_NAME_MAXLEN];
	struct vmm_vm vm;
	int err = describe(a, pid, &vm, domain);

	if (err)
		return err;
	err = ensure_group(a, vm.group, domain, vm.name, pid);
	if (err == -EXDEV) {
		health_add(a, &a->health.register_errors, 1);
		return err;
	}
	if (!err)
		err = vnl_add_vm(a->nl, &vm);
	if (err == -EEXIST)
		return 0;
	if (err == -ESRCH) {
		log_info("pid %d exited before it could be registered",
			 (int)pid);
		return err;
	}
	if (err == -ENOSPC) {
		snprintf(a->last_full, sizeof(a->last_full),
			 "%s (pid %d, stack %s, domain %s): %s%s%s", vm.name,
			 (int)pid, vm.group, domain, strerror(-err),
			 *vnl_extack(a->nl) ? ": " : "", vnl_extack(a->nl));
		return err;
	}
	if (err) {
		log_warn("Unable to add VM %s (pid %d, stack %s, domain %s): "
			 "%s%s%s", vm.name, (int)pid, vm.group, domain,
			 strerror(-err), *vnl_extack(a->nl) ? ": " : "",
			 vnl_extack(a->nl));
		health_add(a, &a->health.register_errors, 1);
		return err;
	}
	log_info("added VM %s (pid %d) to stack %s in domain %s: %llu MiB at "
		 "0x%llx, %u region%s%s", vm.name, (int)pid, vm.group, domain,
		 (unsigned long long)(vm.regions[0].length >> 20),
		 (unsigned long long)vm.regions[0].start, vm.nr_regions,
		 vm.nr_regions > 1 ? "s" : "",
		 slots_find(&a->slots, pid) ? " (from its KVM memslots)" : "");
	health_add(a, &a->health.registered, 1);
	return 0;
}

/* VMMs refused for good are not tried again until a reload or reconnect. */
static bool is_refused(const struct agent *a, pid_t pid)
{
	uint64_t id;
	size_t i;

	if (!a->nr_refused || proc_vm_id(pid, &id))
		return false;
	for (i = 0; i < a->nr_refused; i++)
		if (a->refused[i] == id)
			return true;
	return false;
}

static void add_refused(struct agent *a, pid_t pid)
{
	uint64_t id, *r;

	if (proc_vm_id(pid, &id))
		return;
	r = realloc(a->refused, (a->nr_refused + 1) * sizeof(*r));
	if (!r)
		return;
	a->refused = r;
	a->refused[a->nr_refused++] = id;
}

void sync_forget_refused(struct agent *a)
{
	free(a->refused);
	a->refused = NULL;
	a->nr_refused = 0;
}

static bool is_pending(const struct agent *a, pid_t pid)
{
	size_t i;

	for (i = 0; i < a->nr_pending; i++)
		if (a->pending[i].pid == pid)
			return true;
	return false;
}

static void add_pending(struct agent *a, pid_t pid)
{
	struct pending *p;

	if (is_pending(a, pid) || is_refused(a, pid))
		return;
	p = realloc(a->pending, (a->nr_pending + 1) * sizeof(*p));
	if (!p)
		return;
	a->pending = p;
	a->pending[a->nr_pending++] = (struct pending){ .pid = pid };
	set_pending_gauge(a);
}

static void drop_pending(struct agent *a, size_t i)
{
	struct vm_slots *v = slots_find(&a->slots, a->pending[i].pid);

	if (v)
		v->done = true;	/* later slot changes do not re-register */
	a->pending[i] = a->pending[--a->nr_pending];
	set_pending_gauge(a);
}

/*
 * A full registry: tell once per VMM, then retry it with backoff (1 s
 * doubling to 30 s) until the module takes it; no tries are counted.
 */
static void wait_for_room(struct agent *a, struct pending *p)
{
	if (!p->full) {
		log_warn("Unable to add VM %s; the registry is full: it waits "
			 "and is retried with backoff until there is room (raise "
			 "/sys/kernel/vmmerge/max_vms)", a->last_full);
		health_add(a, &a->health.register_errors, 1);
		p->full = true;
	}
	p->backoff_ticks = p->backoff_ticks ? p->backoff_ticks * 2 : 2;
	if (p->backoff_ticks > FULL_BACKOFF_MAX_TICKS)
		p->backoff_ticks = FULL_BACKOFF_MAX_TICKS;
	p->wait_ticks = p->backoff_ticks;
}

/* Try every pending VMM once; keep those that are not ready yet. */
static void retry_pending(struct agent *a)
{
	size_t i = 0;

	while (i < a->nr_pending) {
		struct pending *p = &a->pending[i];
		int err;

		if (p->wait_ticks && --p->wait_ticks) {
			i++;
			continue;
		}
		err = a->nl ? register_vmm(a, p->pid) : -EAGAIN;
		if (err == -ENOSPC) {
			wait_for_room(a, p);
			i++;
			continue;
		}
		if (!err && p->full)
			log_info("pid %d: registered now that the registry has "
				 "room", (int)p->pid);
		if (err == -EAGAIN && ++p->tries < PENDING_MAX_TRIES) {
			i++;
			continue;
		}
		if (err == -EAGAIN)
			log_warn("gave up on pid %d: no guest RAM found in "
				 "/proc/%d/maps%s", (int)p->pid, (int)p->pid,
				 slots_find(&a->slots, p->pid) ?
				 " for its KVM memslots" : "");
		if (err && a->nl && module_gone(a, err)) {
			sync_disconnect(a);
			i++;	/* kept: fed again once the module is back */
			continue;
		}
		if (err && err != -ESRCH)
			add_refused(a, p->pid);
		drop_pending(a, i);
	}
}

/* Someone left the registry: the VMMs waiting for room try at once. */
static void room_made(struct agent *a)
{
	size_t i;

	for (i = 0; i < a->nr_pending; i++)
		if (a->pending[i].full)
			a->pending[i].wait_ticks = 0;
}

void sync_exec(pid_t pid, void *arg)
{
	struct agent *a = arg;

	/* The memslot probe sees new VMMs, exactly, whatever their name. */
	if (a->sources & CFG_SRC_BPF || !proc_is_vmm(&a->cfg, pid))
		return;
	log_debug("VMM exec'd: pid %d", (int)pid);
	health_add(a, &a->health.discovered, 1);
	add_pending(a, pid);
}

void sync_exit(pid_t pid, void *arg)
{
	struct agent *a = arg;
	size_t i;

	for (i = 0; i < a->nr_pending; i++) {
		if (a->pending[i].pid == pid) {
			drop_pending(a, i);
			return;
		}
	}
}

void sync_memslot(const struct memslot_event *ev, void *arg)
{
	struct agent *a = arg;
	bool known = slots_find(&a->slots, ev->tgid);
	struct vm_slots *v = slots_update(&a->slots, ev, now_ms());

	log_debug("memslot: pid %u slot %u:%u flags %#x gpa 0x%llx size "
		  "0x%llx at 0x%llx", ev->tgid, ev->slot >> 16,
		  ev->slot & 0xffff, ev->flags,
		  (unsigned long long)ev->guest_phys_addr,
		  (unsigned long long)ev->memory_size,
		  (unsigned long long)ev->userspace_addr);
	if (!v || v->done)
		return;
	if (!known) {
		log_debug("VMM found by its KVM memslots: pid %u", ev->tgid);
		health_add(a, &a->health.discovered, 1);
	}
	add_pending(a, ev->tgid);
}

/* Forget the memslots of VMMs that are gone. */
static void prune_slots(struct agent *a)
{
	size_t i = 0;

	while (i < a->slots.nr) {
		pid_t pid = a->slots.vm[i].pid;

		if (kill(pid, 0) && errno == ESRCH)
			slots_drop(&a->slots, pid);
		else
			i++;
	}
}

void sync_event(const struct vmm_event *ev, void *arg)
{
	bool state = ev->cmd == VMMERGE_CMD_VM_STATE;

	if (ev->cmd == VMMERGE_CMD_VM_EXITED)
		room_made(arg);
	log_info("%s: VM %s (id %llu, pid %u)%s%s%s%s", vmm_cmd_name(ev->cmd),
		 ev->vm.name, (unsigned long long)ev->vm.id, ev->vm.pid,
		 state ? " is " : "", state ? vmm_state_name(ev->vm.state) : "",
		 ev->vm.reason[0] ? ": " : "", ev->vm.reason);
}

/* The controller saw the module come or go: act now, not at the next try. */
void sync_family(int up, void *arg)
{
	struct agent *a = arg;

	if (!up) {
		log_warn("the vmmerge module was unloaded");
		sync_disconnect(a);
		a->retry_ticks = a->backoff_ticks = 0;
		return;
	}
	log_info("the vmmerge module was loaded; feeding it");
	if (a->nl)
		sync_disconnect(a);
	a->retry_ticks = a->backoff_ticks = 0;
	a->told_module_missing = false;
	sync_tick(a);
}

struct scan {
	struct agent *a;
	struct vmm_vm *vms;
	size_t nr;
};

static void scan_one(pid_t pid, void *arg)
{
	struct scan *s = arg;
	size_t i;

	for (i = 0; i < s->nr; i++)
		if (s->vms[i].pid == (uint32_t)pid)
			return;
	if (!is_pending(s->a, pid)) {
		health_add(s->a, &s->a->health.discovered, 1);
		add_pending(s->a, pid);
	}
}

int sync_reconcile(struct agent *a)
{
	struct scan s = { .a = a };
	int err;

	if (!a->nl)
		return -ENOTCONN;
	err = vnl_dump_vms(a->nl, &s.vms, &s.nr);
	if (err) {
		if (module_gone(a, err))
			sync_disconnect(a);
		return err;
	}
	if (a->sources & CFG_SRC_PROC)
		err = proc_scan(&a->cfg, scan_one, &s);
	free(s.vms);
	retry_pending(a);
	return err;
}

/* Open both sockets; on success adopt what the module already has. */
int sync_connect(struct agent *a)
{
	struct vmm_vm *vms;
	size_t nr, i;
	int err = vnl_open(&a->nl);

	if (!err)
		err = vnl_open(&a->ev);
	if (!err)
		err = vnl_subscribe(a->ev);
	if (!err)
		err = sync_domains(a);
	if (!err)
		err = vnl_dump_vms(a->nl, &vms, &nr);
	if (err) {
		sync_disconnect(a);
		return err;
	}
	log_info("connected to the vmmerge module: %zu VMs registered, "
		 "adopting them", nr);
	health_add(a, &a->health.adopted, nr);
	health_add(a, &a->health.module_reconnects, 1);
	free(vms);
	a->told_module_missing = false;
	a->backoff_ticks = 0;
	a->connect_tries = 0;
	sync_forget_refused(a);
	/* Whatever the memslot probe saw, feed it again (-EEXIST if there). */
	for (i = 0; i < a->slots.nr; i++) {
		a->slots.vm[i].done = false;
		add_pending(a, a->slots.vm[i].pid);
	}
	return sync_reconcile(a);
}

void sync_disconnect(struct agent *a)
{
	if (a->nl)
		log_warn("lost the vmmerge module; will reconnect and re-feed it");
	vnl_close(a->nl);
	vnl_close(a->ev);
	a->nl = a->ev = NULL;
}

/*
 * Reconnect with exponential backoff, 1 s doubling up to a minute between
 * attempts.  The first failure is told with the fix; the retries go to
 * the debug log.  The controller's NEWFAMILY cuts the wait short.
 */
static void try_connect(struct agent *a)
{
	int err;

	if (a->retry_ticks && --a->retry_ticks)
		return;
	err = sync_connect(a);
	if (!err)
		return;
	a->backoff_ticks = a->backoff_ticks ? a->backoff_ticks * 2 : 2;
	if (a->backoff_ticks > 60000 / AGENT_TICK_MS)
		a->backoff_ticks = 60000 / AGENT_TICK_MS;
	a->retry_ticks = a->backoff_ticks;
	a->connect_tries++;
	if (!a->told_module_missing)
		log_err("Unable to reach the vmmerge module: %s%s; retrying "
			"with backoff (1 s doubling to 60 s), and at once when "
			"it is loaded", strerror(-err),
			err == -EPROTONOSUPPORT ? ": the module is not loaded "
			"(load it: modprobe vmmerge, or insmod vmmerge.ko)" : "");
	else
		log_debug("vmmerge module still unreachable (%s) after %u "
			  "attempts; next attempt in %u ms", strerror(-err),
			  a->connect_tries,
			  a->backoff_ticks * AGENT_TICK_MS);
	a->told_module_missing = true;
}

void sync_tick(struct agent *a)
{
	unsigned int every = a->cfg.rescan_interval * 1000 / AGENT_TICK_MS;

	prune_slots(a);
	if (!a->nl) {
		try_connect(a);
		return;
	}
	if (++a->rescan_ticks >= every) {
		a->rescan_ticks = 0;
		sync_reconcile(a);
		return;
	}
	if (a->nr_pending)
		retry_pending(a);
}
