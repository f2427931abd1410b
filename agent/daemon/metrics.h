/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (C) 2026 The vmmerge developers.
 *
 * Prometheus text exposition (format 0.0.4) of the module's figures and
 * the agent's health.  Pure: a snapshot in, text out.
 */
#ifndef VMMERGE_METRICS_H
#define VMMERGE_METRICS_H

#include <stdio.h>

#include "ksmtune.h"
#include "nl.h"

struct agent_health {
	uint64_t discovered;		/* VMM processes seen */
	uint64_t registered;		/* VMs added to the module */
	uint64_t adopted;		/* VMs found already registered */
	uint64_t register_errors;
	uint64_t reloads;
	uint64_t reload_errors;
	uint64_t module_reconnects;
	uint64_t pending;		/* VMMs waiting for guest RAM */
	int config_ok;			/* last reload succeeded */
	double start_time;		/* seconds since the epoch */
};

struct metrics_snapshot {
	int module_up;
	struct vmm_host host;
	struct vmm_domain *domains;
	size_t nr_domains;
	struct vmm_group *groups;
	size_t nr_groups;
	struct vmm_vm *vms;
	size_t nr_vms;
	struct vmm_hint *hints;		/* one per stack that has an answer */
	size_t nr_hints;
	struct agent_health health;
	struct ksm_tuning ksm;
	long page_size;
};

void metrics_format(FILE *f, const struct metrics_snapshot *s);
/* Write @s with Prometheus label-value escaping (\\, \", \n). */
void metrics_escape(FILE *f, const char *s);

#endif
