// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The vmmerge developers.
 *
 * Unit tests of agent/daemon/metrics.c: the exposition text for a hand-made
 * snapshot, label escaping, and the shape promtool expects (every sample
 * preceded by its family's HELP and TYPE, no family repeated).
 */
#include <stdlib.h>
#include <string.h>

#include "agent_check.h"
#include "metrics.h"

static char *render(const struct metrics_snapshot *s)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	metrics_format(f, s);
	fclose(f);
	return text;
}

static void snapshot(struct metrics_snapshot *s, struct vmm_vm *vm,
		     struct vmm_group *g, struct vmm_domain *d)
{
	memset(s, 0, sizeof(*s));
	memset(vm, 0, sizeof(*vm));
	memset(g, 0, sizeof(*g));
	memset(d, 0, sizeof(*d));
	s->module_up = 1;
	s->page_size = 4096;
	s->host.nr_vms = 1;
	s->host.stats.saved = 10;
	s->host.ksm_full_scans = 3;
	vm->id = 5;
	strcpy(vm->name, "fc-\"1\"\\x");
	strcpy(vm->group, "python3.11");
	strcpy(vm->domain, "default");
	vm->state = VMMERGE_VM_ENROLLED;
	vm->stats.saved = 2;
	strcpy(g->name, "python3.11");
	strcpy(g->domain, "default");
	g->stats.saved = 7;
	strcpy(d->name, "default");
	d->flags = VMMERGE_DOMAIN_F_ISOLATED;
	s->vms = vm;
	s->nr_vms = 1;
	s->groups = g;
	s->nr_groups = 1;
	s->domains = d;
	s->nr_domains = 1;
	s->health.registered = 4;
	s->health.config_ok = 1;
}

static void test_samples(void)
{
	struct metrics_snapshot s;
	struct vmm_domain d;
	struct vmm_group g;
	struct vmm_vm vm;
	char *t;

	snapshot(&s, &vm, &g, &d);
	t = render(&s);
	CHECK(strstr(t, "\nvmmerge_up 1\n") || !strncmp(t, "# HELP vmmerge_up", 17));
	CHECK(strstr(t, "\nvmmerge_host_saved_bytes 40960\n"));
	CHECK(strstr(t, "\nvmmerge_stack_saved_bytes{stack=\"python3.11\","
		     "domain=\"default\"} 28672\n"));
	CHECK(strstr(t, "\nvmmerge_vm_saved_bytes{vm=\"fc-\\\"1\\\"\\\\x\","
		     "id=\"5\",stack=\"python3.11\",domain=\"default\"} 8192\n"));
	CHECK(strstr(t, "\nvmmerge_domain_isolated{domain=\"default\"} 1\n"));
	CHECK(strstr(t, "state=\"enrolled\"} 1\n"));
	CHECK(strstr(t, "\nvmmerge_vm_merge_any{vm=\"fc-\\\"1\\\"\\\\x\","
		     "id=\"5\",stack=\"python3.11\",domain=\"default\"} 0\n"));
	free(t);
	vm.merge_any = true;
	t = render(&s);
	CHECK(strstr(t, "\nvmmerge_vm_merge_any{vm=\"fc-\\\"1\\\"\\\\x\","
		     "id=\"5\",stack=\"python3.11\",domain=\"default\"} 1\n"));
	CHECK(strstr(t, "# TYPE vmmerge_ksm_full_scans_total counter\n"
		     "vmmerge_ksm_full_scans_total 3\n"));
	CHECK(strstr(t, "\nvmmerged_vm_registered_total 4\n"));
	free(t);
}

static void test_module_down(void)
{
	struct metrics_snapshot s;
	struct vmm_domain d;
	struct vmm_group g;
	struct vmm_vm vm;
	char *t;

	snapshot(&s, &vm, &g, &d);
	s.module_up = 0;
	t = render(&s);
	CHECK(strstr(t, "\nvmmerge_up 0\n"));
	CHECK(!strstr(t, "vmmerge_vm_"));
	CHECK(strstr(t, "vmmerged_config_ok 1\n"));
	free(t);
}

/* Every sample's family was declared by the HELP/TYPE just before it. */
static void test_shape(void)
{
	char family[128] = "", seen[8192] = " ";
	struct metrics_snapshot s;
	struct vmm_domain d;
	struct vmm_group g;
	struct vmm_vm vm;
	char *t, *line, *save;

	snapshot(&s, &vm, &g, &d);
	t = render(&s);
	CHECK(t[strlen(t) - 1] == '\n');
	for (line = strtok_r(t, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char name[128], key[140];

		if (!strncmp(line, "# TYPE ", 7)) {
			sscanf(line + 7, "%127s", family);
			snprintf(key, sizeof(key), " %s ", family);
			CHECK(!strstr(seen, key));
			strncat(seen, key + 1, sizeof(seen) - strlen(seen) - 1);
			continue;
		}
		if (line[0] == '#')
			continue;
		sscanf(line, "%127[^{ ]", name);
		CHECK(!strcmp(name, family));
	}
	free(t);
}

static void test_escape(void)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	metrics_escape(f, "a\"b\\c\nd");
	fclose(f);
	CHECK(!strcmp(text, "a\\\"b\\\\c\\nd"));
	free(text);
}

/* Estimates, hints and the KSM tuner's gauges. */
static void test_estimates_hints(void)
{
	struct metrics_snapshot s;
	struct vmm_domain d;
	struct vmm_group g;
	struct vmm_hint h;
	struct vmm_vm vm;
	char *t;

	snapshot(&s, &vm, &g, &d);
	vm.est.yield_permille = 425;
	vm.est.zero = 3;
	vm.est.dup_domain = 2;
	vm.est.samples = 77;
	g.est.yield_permille = 1000;
	memset(&h, 0, sizeof(h));
	strcpy(h.group, "python3.11");
	strcpy(h.domain, "default");
	h.nr_scopes = 2;
	h.scopes[0] = (struct vmm_scope){ .node = 1, .permille = 905,
					  .pages = 10, .allowed = 1 };
	h.scopes[1] = (struct vmm_scope){ .node = VMMERGE_HINT_HOST,
					  .permille = 7, .pages = 1 };
	s.hints = &h;
	s.nr_hints = 1;
	s.ksm = (struct ksm_tuning){ .active = 1, .rate = { 2000, 20 },
				     .changes = 3, .remaining = 5 };
	t = render(&s);
	CHECK(strstr(t, "\nvmmerge_vm_yield_ratio{vm=") &&
	      strstr(t, "domain=\"default\"} 0.425\n"));
	CHECK(strstr(t, "} 20480\n"));	/* mergeable: 5 pages */
	CHECK(strstr(t, "\nvmmerge_stack_yield_ratio{stack=\"python3.11\","
		     "domain=\"default\"} 1.000\n"));
	CHECK(strstr(t, "\nvmmerge_hint_share_ratio{stack=\"python3.11\","
		     "domain=\"default\",scope=\"node1\"} 0.905\n"));
	CHECK(strstr(t, "\nvmmerge_hint_shareable_bytes{stack=\"python3.11\","
		     "domain=\"default\",scope=\"host\"} 4096\n"));
	CHECK(strstr(t, "scope=\"host\"} 2\n"));	/* rank */
	CHECK(strstr(t, "\nvmmerge_hint_allowed{stack=\"python3.11\","
		     "domain=\"default\",scope=\"node1\"} 1\n"));
	CHECK(strstr(t, "\nvmmerged_ksm_pages_to_scan 2000\n"));
	CHECK(strstr(t, "\nvmmerged_ksm_sleep_seconds 0.020\n"));
	CHECK(strstr(t, "\nvmmerged_ksm_remaining_bytes 20480\n"));
	CHECK(strstr(t, "# TYPE vmmerged_ksm_rate_changes_total counter\n"));
	free(t);
	s.ksm.active = 0;
	t = render(&s);
	CHECK(strstr(t, "\nvmmerged_ksm_tuning 0\n") &&
	      !strstr(t, "vmmerged_ksm_pages_to_scan"));
	free(t);
}

static const struct unit_test tests[] = {
	{ "estimates, hints, KSM tuner", test_estimates_hints },
	{ "samples and labels", test_samples },
	{ "module down", test_module_down },
	{ "exposition shape", test_shape },
	{ "label escaping", test_escape },
};

int main(void)
{
	return RUN_TESTS("metrics_test", tests);
}
