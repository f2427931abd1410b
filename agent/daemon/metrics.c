// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The vmmerge developers.
 *
 * Metric names are stable: vmmerge_<scope>_<figure>_bytes for the memory
 * figures (scope vm, stack, domain, host) with labels vm, stack, domain;
 * vmmerge_ksm_* for KSM's own counters; vmmerged_* for the agent itself.
 */
#include <stdbool.h>
#include <stddef.h>

#include "metrics.h"

static const struct {
	const char *name;
	const char *help;
	size_t offset;
} figures[] = {
	{ "resident", "Guest RAM present in memory",
	  offsetof(struct vmm_stats, resident) },
	{ "merged", "Guest RAM mapped to a KSM page",
	  offsetof(struct vmm_stats, merged) },
	{ "saved", "Memory saved by merging (share of each KSM page)",
	  offsetof(struct vmm_stats, saved) },
	{ "zero", "Guest RAM mapped to the shared zero page",
	  offsetof(struct vmm_stats, zero) },
};

#define NR_FIGURES (sizeof(figures) / sizeof(figures[0]))

static uint64_t figure(const struct vmm_stats *st, size_t i)
{
	return *(const uint64_t *)((const char *)st + figures[i].offset);
}

void metrics_escape(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			fprintf(f, "\\%c", *s);
		else if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
}

static void header(FILE *f, const char *name, const char *type,
		   const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void label(FILE *f, const char *key, const char *value, bool first)
{
	fprintf(f, "%s%s=\"", first ? "{" : ",", key);
	metrics_escape(f, value);
	fputc('"', f);
}

static void vm_labels(FILE *f, const struct vmm_vm *vm)
{
	char id[24];

	snprintf(id, sizeof(id), "%llu", (unsigned long long)vm->id);
	label(f, "vm", vm->name, true);
	label(f, "id", id, false);
	label(f, "stack", vm->group, false);
	label(f, "domain", vm->domain, false);
	fputc('}', f);
}

static void vm_figures(FILE *f, const struct metrics_snapshot *s)
{
	char name[64];
	size_t i, j;

	for (i = 0; i < NR_FIGURES; i++) {
		snprintf(name, sizeof(name), "vmmerge_vm_%s_bytes",
			 figures[i].name);
		header(f, name, "gauge", figures[i].help);
		for (j = 0; j < s->nr_vms; j++) {
			fputs(name, f);
			vm_labels(f, &s->vms[j]);
			fprintf(f, " %llu\n", (unsigned long long)
				(figure(&s->vms[j].stats, i) * s->page_size));
		}
	}
}

/* The estimate's mergeable fraction, as a ratio, and in bytes. */
static void yield_sample(FILE *f, const struct vmm_estimate *e)
{
	fprintf(f, " %u.%03u\n", e->yield_permille / 1000,
		e->yield_permille % 1000);
}

static uint64_t mergeable(const struct vmm_estimate *e, long page_size)
{
	return (e->zero + e->dup_domain) * (uint64_t)page_size;
}

static void vm_estimates(FILE *f, const struct metrics_snapshot *s)
{
	size_t j;

	header(f, "vmmerge_vm_yield_ratio", "gauge",
	       "Estimated mergeable fraction of the VM's present guest RAM");
	for (j = 0; j < s->nr_vms; j++) {
		fputs("vmmerge_vm_yield_ratio", f);
		vm_labels(f, &s->vms[j]);
		yield_sample(f, &s->vms[j].est);
	}
	header(f, "vmmerge_vm_mergeable_bytes", "gauge",
	       "Estimated guest RAM that is zero or duplicated in its scope");
	for (j = 0; j < s->nr_vms; j++) {
		fputs("vmmerge_vm_mergeable_bytes", f);
		vm_labels(f, &s->vms[j]);
		fprintf(f, " %llu\n", (unsigned long long)
			mergeable(&s->vms[j].est, s->page_size));
	}
	header(f, "vmmerge_vm_sampled_pages", "gauge",
	       "Pages of the VM the module's scanner has sampled");
	for (j = 0; j < s->nr_vms; j++) {
		fputs("vmmerge_vm_sampled_pages", f);
		vm_labels(f, &s->vms[j]);
		fprintf(f, " %llu\n", (unsigned long long)s->vms[j].est.samples);
	}
}

static void stack_estimates(FILE *f, const struct metrics_snapshot *s)
{
	size_t j;

	header(f, "vmmerge_stack_yield_ratio", "gauge",
	       "Estimated mergeable fraction of the stack's guest RAM");
	for (j = 0; j < s->nr_groups; j++) {
		fputs("vmmerge_stack_yield_ratio", f);
		label(f, "stack", s->groups[j].name, true);
		label(f, "domain", s->groups[j].domain, false);
		fputc('}', f);
		yield_sample(f, &s->groups[j].est);
	}
	header(f, "vmmerge_domain_yield_ratio", "gauge",
	       "Estimated mergeable fraction of the domain's guest RAM");
	for (j = 0; j < s->nr_domains; j++) {
		fputs("vmmerge_domain_yield_ratio", f);
		label(f, "domain", s->domains[j].name, true);
		fputc('}', f);
		yield_sample(f, &s->domains[j].est);
	}
	header(f, "vmmerge_host_yield_ratio", "gauge",
	       "Estimated mergeable fraction of all registered guest RAM");
	fputs("vmmerge_host_yield_ratio", f);
	yield_sample(f, &s->host.est);
}

static void scope_labels(FILE *f, const struct vmm_hint *h,
			 const struct vmm_scope *sc)
{
	char scope[16];

	if (sc->node == VMMERGE_HINT_HOST)
		snprintf(scope, sizeof(scope), "host");
	else
		snprintf(scope, sizeof(scope), "node%u", sc->node);
	label(f, "stack", h->group, true);
	label(f, "domain", h->domain, false);
	label(f, "scope", scope, false);
	fputc('}', f);
}

/* Placement hints: per stack and scope (a NUMA node, or the host). */
static void hint_figures(FILE *f, const struct metrics_snapshot *s)
{
	static const char *const name[] = {
		"vmmerge_hint_share_ratio", "vmmerge_hint_shareable_bytes",
		"vmmerge_hint_allowed", "vmmerge_hint_rank",
	};
	static const char *const help[] = {
		"Fraction of a new VM's pages of this stack found in this scope",
		"Memory a new VM of this stack would share in this scope",
		"1 if the trust policy lets a new VM merge in this scope",
		"Rank of this scope for a new VM of this stack, 1 = best",
	};
	size_t i, j;
	unsigned int k;

	for (i = 0; i < 4; i++) {
		header(f, name[i], "gauge", help[i]);
		for (j = 0; j < s->nr_hints; j++) {
			const struct vmm_hint *h = &s->hints[j];

			for (k = 0; k < h->nr_scopes; k++) {
				const struct vmm_scope *sc = &h->scopes[k];

				fputs(name[i], f);
				scope_labels(f, h, sc);
				if (i == 0)
					fprintf(f, " %u.%03u\n", sc->permille / 1000,
						sc->permille % 1000);
				else if (i == 1)
					fprintf(f, " %llu\n", (unsigned long long)
						(sc->pages * s->page_size));
				else if (i == 2)
					fprintf(f, " %u\n", sc->allowed ? 1 : 0);
				else
					fprintf(f, " %u\n", k + 1);
			}
		}
	}
}

static void vm_states(FILE *f, const struct metrics_snapshot *s)
{
	size_t j;

	header(f, "vmmerge_vm_state", "gauge",
	       "1 for the merging state each VM is in");
	for (j = 0; j < s->nr_vms; j++) {
		fputs("vmmerge_vm_state", f);
		label(f, "vm", s->vms[j].name, true);
		label(f, "stack", s->vms[j].group, false);
		label(f, "domain", s->vms[j].domain, false);
		label(f, "state", vmm_state_name(s->vms[j].state), false);
		fputs("} 1\n", f);
	}
}

/* Such a VMM's other memory merges too: the module cannot stop that. */
static void vm_merge_any(FILE *f, const struct metrics_snapshot *s)
{
	size_t j;

	header(f, "vmmerge_vm_merge_any", "gauge",
	       "1 if the VM's VMM asked KSM to merge all its memory "
	       "(PR_SET_MEMORY_MERGE): more than guest RAM merges");
	for (j = 0; j < s->nr_vms; j++) {
		fputs("vmmerge_vm_merge_any", f);
		vm_labels(f, &s->vms[j]);
		fprintf(f, " %d\n", s->vms[j].merge_any);
	}
}

static void stack_figures(FILE *f, const struct metrics_snapshot *s)
{
	char name[64];
	size_t i, j;

	for (i = 0; i < NR_FIGURES; i++) {
		snprintf(name, sizeof(name), "vmmerge_stack_%s_bytes",
			 figures[i].name);
		header(f, name, "gauge", figures[i].help);
		for (j = 0; j < s->nr_groups; j++) {
			fputs(name, f);
			label(f, "stack", s->groups[j].name, true);
			label(f, "domain", s->groups[j].domain, false);
			fprintf(f, "} %llu\n", (unsigned long long)
				(figure(&s->groups[j].stats, i) * s->page_size));
		}
	}
}

static void domain_figures(FILE *f, const struct metrics_snapshot *s)
{
	char name[64];
	size_t i, j;

	for (i = 0; i < NR_FIGURES; i++) {
		snprintf(name, sizeof(name), "vmmerge_domain_%s_bytes",
			 figures[i].name);
		header(f, name, "gauge", figures[i].help);
		for (j = 0; j < s->nr_domains; j++) {
			fputs(name, f);
			label(f, "domain", s->domains[j].name, true);
			fprintf(f, "} %llu\n", (unsigned long long)
				(figure(&s->domains[j].stats, i) *
				 s->page_size));
		}
	}
	header(f, "vmmerge_domain_isolated", "gauge",
	       "1 if the domain's VMs are never merged");
	for (j = 0; j < s->nr_domains; j++) {
		fputs("vmmerge_domain_isolated", f);
		label(f, "domain", s->domains[j].name, true);
		fprintf(f, "} %d\n", !!(s->domains[j].flags &
					VMMERGE_DOMAIN_F_ISOLATED));
	}
}

static void gauge(FILE *f, const char *name, const char *type,
		  const char *help, unsigned long long v)
{
	header(f, name, type, help);
	fprintf(f, "%s %llu\n", name, v);
}

static void host_figures(FILE *f, const struct metrics_snapshot *s)
{
	const struct vmm_host *h = &s->host;
	char name[64];
	size_t i;

	gauge(f, "vmmerge_vms", "gauge", "VMs registered", h->nr_vms);
	gauge(f, "vmmerge_vms_enrolled", "gauge",
	      "VMs whose guest RAM is enrolled into KSM", h->nr_enrolled);
	gauge(f, "vmmerge_stacks", "gauge", "Runtime stacks",
	      h->nr_groups);
	gauge(f, "vmmerge_domains", "gauge", "Trust domains", h->nr_domains);
	for (i = 0; i < NR_FIGURES; i++) {
		snprintf(name, sizeof(name), "vmmerge_host_%s_bytes",
			 figures[i].name);
		gauge(f, name, "gauge", figures[i].help,
		      figure(&h->stats, i) * s->page_size);
	}
	gauge(f, "vmmerge_ksm_pages_shared", "gauge",
	      "KSM pages in use (/sys/kernel/mm/ksm/pages_shared)",
	      h->ksm_pages_shared);
	gauge(f, "vmmerge_ksm_pages_sharing", "gauge",
	      "Mappings of KSM pages, i.e. pages saved plus pages_shared",
	      h->ksm_pages_sharing);
	gauge(f, "vmmerge_ksm_pages_unshared", "gauge",
	      "Pages KSM checks that are not merged", h->ksm_pages_unshared);
	gauge(f, "vmmerge_ksm_full_scans_total", "counter",
	      "Full scans KSM has completed", h->ksm_full_scans);
}

static void agent_health(FILE *f, const struct metrics_snapshot *s)
{
	const struct agent_health *a = &s->health;

	gauge(f, "vmmerge_up", "gauge",
	      "1 if the agent can talk to the vmmerge module", s->module_up);
	gauge(f, "vmmerged_config_ok", "gauge",
	      "1 if the last configuration load succeeded", a->config_ok);
	gauge(f, "vmmerged_vmm_discovered_total", "counter",
	      "VMM processes discovered", a->discovered);
	gauge(f, "vmmerged_vm_registered_total", "counter",
	      "VMs the agent registered with the module", a->registered);
	gauge(f, "vmmerged_vm_adopted_total", "counter",
	      "VMs found registered already and adopted", a->adopted);
	gauge(f, "vmmerged_vm_register_errors_total", "counter",
	      "Registrations the module or the process refused",
	      a->register_errors);
	gauge(f, "vmmerged_vm_pending", "gauge",
	      "VMM processes waiting for their guest RAM", a->pending);
	gauge(f, "vmmerged_reloads_total", "counter",
	      "Configuration reloads", a->reloads);
	gauge(f, "vmmerged_reload_errors_total", "counter",
	      "Configuration reloads refused", a->reload_errors);
	gauge(f, "vmmerged_module_reconnects_total", "counter",
	      "Times the agent re-connected to the module and re-fed it",
	      a->module_reconnects);
	gauge(f, "vmmerged_ksm_tuning", "gauge",
	      "1 if the agent tunes ksmd's rate", s->ksm.active);
	if (s->ksm.active) {
		gauge(f, "vmmerged_ksm_pages_to_scan", "gauge",
		      "pages_to_scan the agent last set", s->ksm.rate.pages_to_scan);
		header(f, "vmmerged_ksm_sleep_seconds", "gauge",
		       "sleep_millisecs the agent last set, in seconds");
		fprintf(f, "vmmerged_ksm_sleep_seconds %u.%03u\n",
			s->ksm.rate.sleep_ms / 1000, s->ksm.rate.sleep_ms % 1000);
		gauge(f, "vmmerged_ksm_rate_changes_total", "counter",
		      "Changes the agent made to ksmd's rate", s->ksm.changes);
		gauge(f, "vmmerged_ksm_remaining_bytes", "gauge",
		      "Estimated mergeable guest RAM not merged yet",
		      s->ksm.remaining * s->page_size);
		gauge(f, "vmmerged_ksm_stopped", "gauge",
		      "1 while the agent holds ksmd stopped (run=0), nothing "
		      "being left to merge", s->ksm.stopped);
		gauge(f, "vmmerged_ksm_stops_total", "counter",
		      "Times the agent stopped ksmd (run=0)", s->ksm.stops);
		gauge(f, "vmmerged_ksm_starts_total", "counter",
		      "Times the agent started ksmd again (run=1)",
		      s->ksm.starts);
		gauge(f, "vmmerged_ksm_holds_total", "counter",
		      "Times the agent held a quiet ksmd to batch work "
		      "(merge_within)", s->ksm.holds);
	}
	header(f, "vmmerged_start_time_seconds", "gauge",
	       "When the agent started, seconds since the epoch");
	fprintf(f, "vmmerged_start_time_seconds %.3f\n", a->start_time);
}

void metrics_format(FILE *f, const struct metrics_snapshot *s)
{
	agent_health(f, s);
	if (!s->module_up)
		return;
	host_figures(f, s);
	domain_figures(f, s);
	stack_figures(f, s);
	vm_figures(f, s);
	vm_states(f, s);
	vm_merge_any(f, s);
	vm_estimates(f, s);
	stack_estimates(f, s);
	hint_figures(f, s);
}
