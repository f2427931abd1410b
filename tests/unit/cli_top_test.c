// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The vmmerge developers.
 *
 * Unit tests of agent/cli/top.c, without the module: one frame of
 * "vmmergectl top" from hand-made figures (per-stack VM and enrolled
 * counts, the VMs sorted by stack and name, yield "-" before the first
 * sample, ksmd's state, aligned columns) and its options.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent_check.h"
#include "ctl.h"

const char *prog = "vmmergectl";

/* Pages of @mib MiB, whatever the page size. */
static uint64_t mib(uint64_t mib)
{
	return mib * 1048576 / sysconf(_SC_PAGESIZE);
}

static struct vmm_vm mkvm(const char *name, const char *stack,
			  const char *domain, uint32_t state, uint64_t saved)
{
	struct vmm_vm vm = { .state = state };

	snprintf(vm.name, sizeof(vm.name), "%s", name);
	snprintf(vm.group, sizeof(vm.group), "%s", stack);
	snprintf(vm.domain, sizeof(vm.domain), "%s", domain);
	vm.stats.resident = mib(192);
	vm.stats.merged = saved + mib(2);
	vm.stats.saved = saved;
	if (state != VMMERGE_VM_SAMPLING) {
		vm.est.samples = 1000;
		vm.est.yield_permille = 425;
	}
	return vm;
}

/* A frame of two shared stacks, one isolated, an empty one. */
static char *frame(const struct ctl_ksmd *k)
{
	struct vmm_host h = { .nr_domains = 2, .nr_groups = 4, .nr_vms = 5,
			      .nr_enrolled = 3, .ksm_pages_sharing = 42332,
			      .ksm_full_scans = 4 };
	struct vmm_group g[4] = {
		{ .name = "python3", .domain = "faas" },
		{ .name = "node", .domain = "faas" },
		{ .name = "perl", .domain = "vault" },
		{ .name = "ruby", .domain = "faas" },
	};
	struct vmm_vm vms[5] = {
		mkvm("py-1", "python3", "faas", VMMERGE_VM_ENROLLED, mib(30)),
		mkvm("node-0", "node", "faas", VMMERGE_VM_ENROLLED, mib(20)),
		mkvm("perl-0", "perl", "vault", VMMERGE_VM_ISOLATED, 0),
		mkvm("py-0", "python3", "faas", VMMERGE_VM_ENROLLED, mib(40)),
		mkvm("node-1", "node", "faas", VMMERGE_VM_SAMPLING, 0),
	};
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	snprintf(h.version, sizeof(h.version), "1.2");
	h.stats.resident = mib(960);
	h.stats.merged = mib(96);
	h.stats.saved = mib(90);
	g[0].stats.saved = mib(70);
	g[0].est.samples = 10;
	g[0].est.yield_permille = 512;
	top_print(f, &h, k, g, 4, vms, 5);
	fclose(f);
	return buf;
}

static const struct ctl_ksmd running = { 1, 2000, 20 };

/* The line of @text that starts with @prefix, as a new string, or NULL. */
static char *line_of(const char *text, const char *prefix)
{
	const char *p = text;

	while (p && *p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);

		if (!strncmp(p, prefix, strlen(prefix)))
			return strndup(p, n);
		p = nl ? nl + 1 : NULL;
	}
	return NULL;
}

/* @line, split on blanks, has @want as its field @i (0-based). */
static int field_is(const char *line, int i, const char *want)
{
	char *copy = strdup(line ? line : ""), *save = NULL, *w;
	int ok = 0;

	for (w = strtok_r(copy, " ", &save); w; w = strtok_r(NULL, " ", &save))
		if (i-- == 0) {
			ok = !strcmp(w, want);
			break;
		}
	free(copy);
	return ok;
}

static void test_summary(void)
{
	char *t = frame(&running), *l;

	l = line_of(t, "vmmerge 1.2:");
	CHECK(l && !strcmp(l, "vmmerge 1.2: 5 VMs (3 enrolled), 4 stacks, 2 domains"));
	free(l);
	l = line_of(t, "  resident");
	CHECK(l && !strcmp(l, "  resident 960.0 MiB  merged 96.0 MiB  saved 90.0 MiB (9.4%)"));
	free(l);
	l = line_of(t, "ksmd:");
	CHECK(l && !strcmp(l, "ksmd: running, 2000 pages / 20 ms  sharing 42332  full scans 4"));
	free(l);
	free(t);
}

static void test_ksmd_states(void)
{
	static const struct ctl_ksmd stopped = { 0, 100, 200 };
	static const struct ctl_ksmd unmerging = { 2, 100, 200 };
	static const struct ctl_ksmd unknown = { -1, -1, -1 };
	char *t, *l;

	t = frame(&stopped);
	l = line_of(t, "ksmd:");
	CHECK(l && !strncmp(l, "ksmd: stopped (run=0)  sharing", 30));
	free(l);
	free(t);
	t = frame(&unmerging);
	l = line_of(t, "ksmd:");
	CHECK(l && !strncmp(l, "ksmd: un-merging (run=2)  sharing", 33));
	free(l);
	free(t);
	t = frame(&unknown);
	l = line_of(t, "ksmd:");
	CHECK(l && !strncmp(l, "ksmd: -  sharing", 16));
	free(l);
	free(t);
}

/* VMS and ENROLLED per stack come from the VM list. */
static void test_stack_counts(void)
{
	char *t = frame(&running), *l;

	l = line_of(t, "python3 ");
	CHECK(field_is(l, 1, "faas") && field_is(l, 2, "2") && field_is(l, 3, "2"));
	CHECK(field_is(l, 4, "51.2%") && field_is(l, 9, "70.0"));
	free(l);
	l = line_of(t, "node ");
	CHECK(field_is(l, 2, "2") && field_is(l, 3, "1"));
	CHECK(field_is(l, 4, "-"));	/* no sample yet */
	free(l);
	l = line_of(t, "perl ");
	CHECK(field_is(l, 1, "vault") && field_is(l, 2, "1") && field_is(l, 3, "0"));
	free(l);
	l = line_of(t, "ruby ");
	CHECK(field_is(l, 2, "0") && field_is(l, 3, "0"));
	free(l);
	free(t);
}

/* VM rows: by stack, then name; state, yield, merged, saved. */
static void test_vm_rows(void)
{
	static const char *const order[] = {
		"node-0", "node-1", "perl-0", "py-0", "py-1"
	};
	char *t = frame(&running), *p, *l;
	unsigned int i;

	p = strstr(t, "\nNAME ");
	CHECK(p != NULL);
	for (i = 0; p && i < 5; i++) {
		p = strchr(p + 1, '\n');
		CHECK(p && !strncmp(p + 1, order[i], strlen(order[i])));
	}
	l = line_of(t, "perl-0 ");
	CHECK(field_is(l, 3, "isolated") && field_is(l, 4, "42.5%"));
	free(l);
	l = line_of(t, "node-1 ");
	CHECK(field_is(l, 3, "sampling") && field_is(l, 4, "-"));
	free(l);
	l = line_of(t, "py-0 ");
	CHECK(field_is(l, 3, "enrolled") && field_is(l, 5, "42.0") &&
	      field_is(l, 7, "40.0") && field_is(l, 8, "MiB"));
	free(l);
	free(t);
}

/* The last column is right-aligned: every line of a table is as long. */
static void test_aligned(void)
{
	char *t = frame(&running), *p = strstr(t, "\nSTACK ");
	size_t want = 0;
	int rows = 0;

	CHECK(p != NULL);
	for (p = p ? p + 1 : NULL; p && *p != '\n'; rows++) {
		char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);

		if (!want)
			want = n;
		CHECK(n == want);
		p = nl ? nl + 1 : NULL;
	}
	CHECK(rows == 5);	/* header + 4 stacks */
	free(t);
}

static int parse(const char *args, long *iter, double *delay)
{
	char buf[128], *argv[16], *save = NULL, *w;
	int argc = 0;

	snprintf(buf, sizeof(buf), "top %s", args);
	for (w = strtok_r(buf, " ", &save); w && argc < 15;
	     w = strtok_r(NULL, " ", &save))
		argv[argc++] = w;
	argv[argc] = NULL;
	return top_parse_args(argc, argv, iter, delay);
}

static void test_options(void)
{
	double d;
	long n;

	CHECK(parse("", &n, &d) == 0 && n == 0 && d == 2);
	CHECK(parse("--once", &n, &d) == 0 && n == 1 && d == 2);
	CHECK(parse("--interval 10", &n, &d) == 0 && n == 0 && d == 10);
	CHECK(parse("--interval=0.5 --once", &n, &d) == 0 && n == 1 && d == 0.5);
	CHECK(parse("-n 5 -d 1", &n, &d) == 0 && n == 5 && d == 1);
	CHECK(parse("--interval 0", &n, &d) < 0);
	CHECK(parse("--interval 5s", &n, &d) < 0);
	CHECK(parse("-d 4000", &n, &d) < 0);
	CHECK(parse("-n -1", &n, &d) < 0);
	CHECK(parse("--once extra", &n, &d) < 0);
	CHECK(parse("--json", &n, &d) < 0);
}

static const struct unit_test tests[] = {
	{ "summary", test_summary },
	{ "ksmd-states", test_ksmd_states },
	{ "stack-counts", test_stack_counts },
	{ "vm-rows-by-stack-and-name", test_vm_rows },
	{ "columns-aligned", test_aligned },
	{ "options", test_options },
};

int main(void)
{
	return RUN_TESTS("cli_top_test", tests);
}
