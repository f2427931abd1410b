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

static void group_figures(FILE *f, const struct metrics_snapshot *s)
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
	gauge(f, "vmmerge_stacks", "gauge", "Groups (runtime stacks)",
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
	group_figures(f, s);
	vm_figures(f, s);
	vm_states(f, s);
}
