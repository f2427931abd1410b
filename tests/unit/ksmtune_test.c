// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The vmmerge developers.
 *
 * Unit tests of agent/daemon/ksmtune.c: the tuner's inputs summed from the
 * module's VMs (arrivals detected once), each decision level within the
 * configured bounds, no change reported when nothing changes, the sysfs
 * read/write round trip on a scratch directory, and stop_when_idle: ksmd
 * stopped only after idle_after seconds of "slow", started again on new
 * work, never touched with stop_when_idle = no.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "agent_check.h"
#include "ksmtune.h"

static const struct cfg_ksm bounds = {
	.tune = true, .pages_min = 100, .pages_max = 4000,
	.sleep_ms_min = 10, .sleep_ms_max = 200,
};

static void vm(struct vmm_vm *v, uint64_t id, uint32_t state, uint64_t pages,
	       uint64_t mergeable, uint64_t merged)
{
	memset(v, 0, sizeof(*v));
	v->id = id;
	v->state = state;
	v->est.pages = pages;
	v->est.samples = pages;		/* sampled whole */
	v->est.zero = mergeable / 2;
	v->est.dup_domain = mergeable - mergeable / 2;
	v->stats.merged = merged;
}

static void test_input(void)
{
	struct ksm_scan scan = { .full_scans = 10 };
	struct ksm_seen *seen = NULL;
	size_t nr_seen = 0;
	struct vmm_vm vms[3];
	struct ksm_input in;

	vm(&vms[0], 1, VMMERGE_VM_ENROLLED, 1000, 600, 100);
	vm(&vms[1], 2, VMMERGE_VM_SAMPLING, 1000, 0, 0);
	vm(&vms[2], 3, VMMERGE_VM_ENROLLED, 1000, 100, 300); /* ahead */
	ksm_input_from(vms, 3, 256, &scan, &seen, &nr_seen, &in);
	CHECK(in.nr_enrolled == 2 && in.nr_sampling == 1);
	CHECK(in.new_enrolled == 2 && nr_seen == 2);
	CHECK(in.nr_unscanned == 2);
	CHECK(in.enrolled_pages == 2000);
	CHECK(in.remaining == 500);	/* 500 + 0: never negative */
	/* Same VMs again: no arrival; vm 2 enrolled now: one arrival. */
	ksm_input_from(vms, 3, 256, &scan, &seen, &nr_seen, &in);
	CHECK(in.new_enrolled == 0 && in.nr_unscanned == 2);
	vms[1].state = VMMERGE_VM_ENROLLED;
	ksm_input_from(vms, 3, 256, &scan, &seen, &nr_seen, &in);
	CHECK(in.new_enrolled == 1 && in.nr_sampling == 0);
	CHECK(in.nr_unscanned == 3);
	ksm_input_from(NULL, 0, 256, &scan, &seen, &nr_seen, &in);
	CHECK(in.nr_enrolled == 0 && nr_seen == 0);
	free(seen);
}

/*
 * A VM counts as scanned while KSM has rmap items for three quarters of
 * its resident pages (so not when its RAM grows past them), and for good
 * two full scans after its enrolment.
 */
static void test_scanned(void)
{
	uint64_t rmap[2] = { 0, 0 };
	struct ksm_scan scan = { .full_scans = 7, .rmap_items = rmap };
	struct ksm_seen *seen = NULL;
	size_t nr_seen = 0;
	struct vmm_vm vms[2];
	struct ksm_input in;

	CHECK(!ksm_vm_scanned(0, 0, 0) && !ksm_vm_scanned(0, 1000, 1));
	CHECK(!ksm_vm_scanned(749, 1000, 1) && ksm_vm_scanned(750, 1000, 0));
	CHECK(ksm_vm_scanned(0, 1000, 2) && ksm_vm_scanned(5, 0, 0));

	vm(&vms[0], 1, VMMERGE_VM_ENROLLED, 1000, 600, 0);
	vm(&vms[1], 2, VMMERGE_VM_ENROLLED, 1000, 600, 0);
	vms[0].stats.resident = vms[1].stats.resident = 1000;
	ksm_input_from(vms, 2, 256, &scan, &seen, &nr_seen, &in);
	CHECK(in.nr_unscanned == 2);
	rmap[0] = 800;			/* ksmd went over vm 1 */
	rmap[1] = 300;			/* and is part way into vm 2 */
	ksm_input_from(vms, 2, 256, &scan, &seen, &nr_seen, &in);
	CHECK(in.nr_unscanned == 1 && in.new_enrolled == 0);
	/* vm 1's RAM grows (a restore still coming in): not covered now. */
	vms[0].stats.resident = 2000;
	ksm_input_from(vms, 2, 256, &scan, &seen, &nr_seen, &in);
	CHECK(in.nr_unscanned == 2);
	rmap[0] = 1600;			/* ksmd came by again */
	scan.full_scans = 8;		/* one pass: not enough on its own */
	ksm_input_from(vms, 2, 256, &scan, &seen, &nr_seen, &in);
	CHECK(in.nr_unscanned == 1);
	scan.full_scans = 9;		/* two: vm 2 was scanned, wherever */
	ksm_input_from(vms, 2, 256, &scan, &seen, &nr_seen, &in);
	CHECK(in.nr_unscanned == 0);
	/* No rmap items to read (NULL): full_scans alone tells. */
	scan.rmap_items = NULL;
	vms[1].id = 3;			/* a new VM in vm 2's slot */
	ksm_input_from(vms, 2, 256, &scan, &seen, &nr_seen, &in);
	CHECK(in.new_enrolled == 1 && in.nr_unscanned == 1);
	scan.full_scans = 11;
	ksm_input_from(vms, 2, 256, &scan, &seen, &nr_seen, &in);
	CHECK(in.nr_unscanned == 0);
	free(seen);
}

/*
 * An enrolled VM whose first estimate is not in (never estimated, or fewer
 * than min_samples samples) is arriving: ksmd stays fast, and does not
 * count as idle, until its estimate says what is left.
 */
static void test_pending(void)
{
	struct ksm_rate cur = { .pages_to_scan = 100, .sleep_ms = 200 }, out;
	struct ksm_scan scan = { .full_scans = 0 };
	struct ksm_seen *seen = NULL;
	size_t nr_seen = 0;
	struct vmm_vm vms[2];
	struct ksm_input in;
	char why[160];

	vm(&vms[0], 1, VMMERGE_VM_ENROLLED, 1000, 600, 600);	/* merged */
	vm(&vms[1], 2, VMMERGE_VM_ENROLLED, 0, 0, 0);	/* never estimated */
	vms[1].est.samples = 0;
	ksm_input_from(vms, 2, 256, &scan, &seen, &nr_seen, &in);
	CHECK(in.nr_pending == 1);
	ksm_input_from(vms, 2, 256, &scan, &seen, &nr_seen, &in); /* not new now */
	CHECK(in.new_enrolled == 0 && in.nr_pending == 1 && in.remaining == 0);
	scan.full_scans = 2;		/* ksmd went over both */
	ksm_input_from(vms, 2, 256, &scan, &seen, &nr_seen, &in);
	CHECK(in.nr_unscanned == 0 && in.nr_pending == 1);
	CHECK(ksm_decide(&bounds, &in, &cur, &out, why, sizeof(why)) == 1);
	CHECK(out.pages_to_scan == 4000 && strstr(why, "estimate pending"));
	/* A few samples are not an estimate yet ... */
	vms[1].est.pages = 32768;
	vms[1].est.samples = 100;
	ksm_input_from(vms, 2, 256, &scan, &seen, &nr_seen, &in);
	CHECK(in.nr_pending == 1);
	/* ... min_samples are; and a VM smaller than that, sampled whole. */
	vms[1].est.samples = 256;
	ksm_input_from(vms, 2, 256, &scan, &seen, &nr_seen, &in);
	CHECK(in.nr_pending == 0);
	vms[1].est.pages = 100;
	vms[1].est.samples = 100;
	ksm_input_from(vms, 2, 256, &scan, &seen, &nr_seen, &in);
	CHECK(in.nr_pending == 0);
	CHECK(ksm_decide(&bounds, &in, &cur, &out, why, sizeof(why)) == 0);
	CHECK(strstr(why, "slow"));
	free(seen);
}

static int decide(const struct ksm_input *in, struct ksm_rate *out,
		  char *why)
{
	struct ksm_rate cur = { .pages_to_scan = 1234, .sleep_ms = 56 };

	return ksm_decide(&bounds, in, &cur, out, why, 160);
}

static bool within(const struct ksm_rate *r)
{
	return r->pages_to_scan >= bounds.pages_min &&
		r->pages_to_scan <= bounds.pages_max &&
		r->sleep_ms >= bounds.sleep_ms_min &&
		r->sleep_ms <= bounds.sleep_ms_max;
}

static void test_levels(void)
{
	struct ksm_input in = { 0 };
	struct ksm_rate r;
	char why[160];

	CHECK(decide(&in, &r, why) == 1);
	CHECK(r.pages_to_scan == 100 && r.sleep_ms == 200 && within(&r));
	CHECK(strstr(why, "slow") && strstr(why, "no VM"));

	in = (struct ksm_input){ .nr_enrolled = 2, .new_enrolled = 1,
				 .nr_unscanned = 1, .enrolled_pages = 100000,
				 .remaining = 100 };
	decide(&in, &r, why);
	CHECK(r.pages_to_scan == 4000 && r.sleep_ms == 10 && within(&r));
	CHECK(strstr(why, "fast") && strstr(why, "1 VM newly enrolled, not scanned"));
	/* Still fast after its arrival until ksmd has been over it. */
	in.new_enrolled = 0;
	in.nr_unscanned = 2;
	decide(&in, &r, why);
	CHECK(r.pages_to_scan == 4000 && strstr(why, "2 VMs newly enrolled"));
	in.nr_unscanned = 0;
	decide(&in, &r, why);
	CHECK(r.pages_to_scan == 100 && strstr(why, "slow"));

	/* VMs being sampled are not in KSM: nothing for ksmd to do. */
	in = (struct ksm_input){ .nr_sampling = 3 };
	decide(&in, &r, why);
	CHECK(r.pages_to_scan == 100 && strstr(why, "not in KSM yet"));
	in = (struct ksm_input){ .nr_enrolled = 1, .nr_sampling = 3,
				 .enrolled_pages = 100000 };
	decide(&in, &r, why);
	CHECK(r.pages_to_scan == 100 && strstr(why, "slow"));

	in = (struct ksm_input){ .nr_enrolled = 2, .enrolled_pages = 100000,
				 .remaining = 8000 };
	decide(&in, &r, why);
	CHECK(r.pages_to_scan == 4000 && strstr(why, "8.0%"));

	in.remaining = 7999;
	decide(&in, &r, why);
	CHECK(r.pages_to_scan == 2050 && r.sleep_ms == 105 && within(&r));
	CHECK(strstr(why, "steady"));

	in.remaining = 3000;
	decide(&in, &r, why);
	CHECK(strstr(why, "steady"));

	in.remaining = 2999;
	decide(&in, &r, why);
	CHECK(r.pages_to_scan == 100 && r.sleep_ms == 200);
	CHECK(strstr(why, "little left"));

	/* More remaining than enrolled (estimates are estimates): fast. */
	in.remaining = 500000;
	decide(&in, &r, why);
	CHECK(r.pages_to_scan == 4000 && strstr(why, "100.0%"));
}

/* Around a threshold the level holds until the figure is well past it. */
static void test_hysteresis(void)
{
	struct ksm_input in = { .nr_enrolled = 2, .enrolled_pages = 100000 };
	struct ksm_rate cur = { .pages_to_scan = 4000, .sleep_ms = 10 }, out;	/* fast */
	char why[160];
	unsigned int changes = 0, i;
	/* remaining per decision, in 0.1% steps: wobbling around 8% and 3% */
	static const unsigned int seq[] = { 81, 79, 82, 78, 80, 70, 66, 64,
					    70, 81, 90, 94, 31, 29, 32, 28,
					    20, 14, 16, 29, 31, 44, 46, 40 };

	for (i = 0; i < sizeof(seq) / sizeof(seq[0]); i++) {
		in.remaining = seq[i] * 100;
		changes += ksm_decide(&bounds, &in, &cur, &out, why, sizeof(why));
		if (i == 5)	/* 7.0%: still fast (needs < 6.5%) */
			CHECK(out.pages_to_scan == 4000);
		if (i == 7)	/* 6.4%: steady */
			CHECK(out.pages_to_scan == 2050);
		if (i == 10)	/* 9.0%: steady until 9.5% */
			CHECK(out.pages_to_scan == 2050);
		if (i == 16)	/* 2.0%: steady until below 1.5% */
			CHECK(out.pages_to_scan == 2050);
		if (i == 17)	/* 1.4%: slow */
			CHECK(out.pages_to_scan == 100);
		if (i == 20)	/* 3.1%: still slow (needs 4.5%) */
			CHECK(out.pages_to_scan == 100);
		cur = out;
	}
	/* fast -> steady, steady -> slow, slow -> steady: three changes. */
	CHECK(changes == 3);
}

static void test_no_change(void)
{
	struct ksm_input in = { .nr_enrolled = 1, .enrolled_pages = 1000 };
	struct ksm_rate cur = { .pages_to_scan = 100, .sleep_ms = 200 }, out;
	char why[160];

	CHECK(ksm_decide(&bounds, &in, &cur, &out, why, sizeof(why)) == 0);
	CHECK(out.pages_to_scan == 100 && out.sleep_ms == 200);
	/* A short reason buffer is cut, not overrun. */
	CHECK(ksm_decide(&bounds, &in, &cur, &out, why, 8) == 0);
	CHECK(strlen(why) == 7);
}

static void test_sysfs(void)
{
	char dir[] = "/tmp/ksmtune_test.XXXXXX";
	struct ksm_rate w = { .pages_to_scan = 321, .sleep_ms = 45 }, r = { 0 };
	unsigned int run = 7;
	char path[64];

	CHECK(mkdtemp(dir) != NULL);
	CHECK(ksm_read(dir, &r) < 0);		/* no files yet */
	snprintf(path, sizeof(path), "%s/pages_to_scan", dir);
	CHECK(ksm_write(dir, &w) == 0);
	CHECK(ksm_read(dir, &r) == 0);
	CHECK(r.pages_to_scan == 321 && r.sleep_ms == 45);
	unlink(path);
	snprintf(path, sizeof(path), "%s/sleep_millisecs", dir);
	unlink(path);
	CHECK(ksm_run_write(dir, 0) == 0);
	CHECK(ksm_run_read(dir, &run) == 0 && run == 0);
	CHECK(ksm_run_write(dir, 1) == 0);
	CHECK(ksm_run_read(dir, &run) == 0 && run == 1);
	snprintf(path, sizeof(path), "%s/run", dir);
	unlink(path);
	rmdir(dir);
	CHECK(ksm_write("/nonexistent/dir", &w) < 0);
	CHECK(ksm_run_read("/nonexistent/dir", &run) < 0);
}

static void put(const char *dir, const char *name, const char *text)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	CHECK(f != NULL);
	if (!f)
		return;
	fputs(text, f);
	fclose(f);
}

static bool file_is(const char *dir, const char *name, const char *text)
{
	char path[128], buf[64] = "";
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "r");
	if (!f)
		return false;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	return !strcmp(buf, text);
}

/* 6.8+: the advisor is read, switched off for our rate, put back. */
static void test_advisor(void)
{
	char dir[] = "/tmp/ksmtune_adv.XXXXXX";
	struct ksm_input in = { .nr_enrolled = 2, .enrolled_pages = 1000 };
	struct ksm_rate found, out;
	char why[160];

	CHECK(mkdtemp(dir) != NULL);
	put(dir, "pages_to_scan", "100\n");
	put(dir, "sleep_millisecs", "20\n");
	put(dir, "advisor_mode", "none [scan-time]\n");
	CHECK(ksm_read(dir, &found) == 0);
	CHECK(!strcmp(found.advisor, "scan-time"));
	/* slow is pages_min/sleep_ms_max; a rate equal to it still changes */
	found.pages_to_scan = bounds.pages_min;
	found.sleep_ms = bounds.sleep_ms_max;
	CHECK(ksm_decide(&bounds, &in, &found, &out, why, sizeof(why)) == 1);
	CHECK(!strcmp(out.advisor, "none"));
	CHECK(ksm_write(dir, &out) == 0);
	CHECK(file_is(dir, "advisor_mode", "none\n"));
	put(dir, "advisor_mode", "[none] scan-time\n");
	CHECK(ksm_read(dir, &out) == 0 && !strcmp(out.advisor, "none"));
	CHECK(ksm_decide(&bounds, &in, &out, &out, why, sizeof(why)) == 0);
	found = (struct ksm_rate){ .pages_to_scan = 100, .sleep_ms = 20,
				  .advisor = "scan-time" };
	CHECK(ksm_write(dir, &found) == 0);
	CHECK(file_is(dir, "advisor_mode", "scan-time\n"));
	CHECK(file_is(dir, "pages_to_scan", "100\n"));
	put(dir, "advisor_mode", "garbage\n");
	CHECK(ksm_read(dir, &out) == -EINVAL);
	/* no advisor_mode (6.1): nothing read, nothing written */
	snprintf(why, sizeof(why), "%s/advisor_mode", dir);
	unlink(why);
	CHECK(ksm_read(dir, &out) == 0 && out.advisor[0] == '\0');
	CHECK(ksm_decide(&bounds, &in, &out, &found, why, sizeof(why)) >= 0);
	CHECK(found.advisor[0] == '\0');
	CHECK(ksm_write(dir, &found) == 0);
	CHECK(access(why, F_OK) != 0);
	snprintf(why, sizeof(why), "rm -rf %s", dir);
	CHECK(system(why) == 0);
}

static const struct cfg_ksm idle_bounds = {
	.tune = true, .pages_min = 100, .pages_max = 4000,
	.sleep_ms_min = 10, .sleep_ms_max = 200,
	.stop_when_idle = true, .idle_after = 5,
};

/* One tuner step at second @now: ksm_decide_level() then ksm_idle_decide(). */
static enum ksm_run_action step(const struct cfg_ksm *b, struct ksm_idle *st,
				const struct ksm_input *in, struct ksm_rate *cur,
				unsigned int *run, uint64_t now)
{
	enum ksm_run_action act;
	enum ksm_level level;
	struct ksm_rate out;
	char why[160];

	ksm_decide_level(b, in, cur, &out, why, sizeof(why), &level);
	act = ksm_idle_decide(b, st, level, *run, now,
			      ksm_burst_secs(b, in->enrolled_pages));
	ksm_rate_after_idle(b, st, cur, &out);	/* as the daemon does */
	*cur = out;
	if (act == KSM_RUN_STOP)
		*run = 0;
	if (act == KSM_RUN_START)
		*run = 1;
	return act;
}

/* Stopped after idle_after s of "slow" without a break, not before. */
static void test_idle_after(void)
{
	struct ksm_input in = { .nr_enrolled = 2, .enrolled_pages = 100000,
				.remaining = 9000 };
	struct ksm_rate cur = { .pages_to_scan = 4000, .sleep_ms = 10 };
	struct ksm_idle st = { 0 };
	unsigned int run = 1, t;

	CHECK(step(&idle_bounds, &st, &in, &cur, &run, 100) == KSM_RUN_KEEP);
	in.remaining = 1000;		/* 1%: slow from t=102 */
	for (t = 102; t < 107; t++)
		CHECK(step(&idle_bounds, &st, &in, &cur, &run, t) == KSM_RUN_KEEP);
	in.remaining = 5000;		/* a break: steady at 107 */
	CHECK(step(&idle_bounds, &st, &in, &cur, &run, 107) == KSM_RUN_KEEP);
	in.remaining = 1000;		/* slow again from 108 */
	for (t = 108; t < 113; t++)
		CHECK(step(&idle_bounds, &st, &in, &cur, &run, t) == KSM_RUN_KEEP);
	CHECK(run == 1 && !st.stopped);
	CHECK(step(&idle_bounds, &st, &in, &cur, &run, 113) == KSM_RUN_STOP);
	CHECK(run == 0 && st.stopped);
	/* Held stopped while slow: nothing written. */
	for (t = 114; t < 200; t += 2)
		CHECK(step(&idle_bounds, &st, &in, &cur, &run, t) == KSM_RUN_KEEP);
	/* Nothing enrolled at all is slow too. */
	st = (struct ksm_idle){ 0 };
	run = 1;
	in = (struct ksm_input){ 0 };
	CHECK(step(&idle_bounds, &st, &in, &cur, &run, 0) == KSM_RUN_KEEP);
	CHECK(step(&idle_bounds, &st, &in, &cur, &run, 5) == KSM_RUN_STOP);
}

/* Started again when the decision leaves "slow", whatever the reason. */
static void test_idle_restart(void)
{
	struct ksm_input idle = { .nr_enrolled = 2, .enrolled_pages = 100000,
				  .remaining = 1000 }, in;
	struct ksm_rate cur = { .pages_to_scan = 100, .sleep_ms = 200 };
	struct ksm_idle st = { 0 };
	unsigned int run = 1;

	step(&idle_bounds, &st, &idle, &cur, &run, 0);
	CHECK(step(&idle_bounds, &st, &idle, &cur, &run, 6) == KSM_RUN_STOP);

	in = idle;			/* a VM enrolled */
	in.nr_enrolled = 3;
	in.new_enrolled = in.nr_unscanned = 1;
	CHECK(step(&idle_bounds, &st, &in, &cur, &run, 8) == KSM_RUN_START);
	CHECK(run == 1 && !st.stopped && cur.pages_to_scan == 4000);
	/* Merged: stopped again only idle_after s after it is slow again. */
	in = idle;
	CHECK(step(&idle_bounds, &st, &in, &cur, &run, 10) == KSM_RUN_KEEP);
	CHECK(step(&idle_bounds, &st, &in, &cur, &run, 14) == KSM_RUN_KEEP);
	CHECK(step(&idle_bounds, &st, &in, &cur, &run, 16) == KSM_RUN_STOP);

	in.nr_sampling = 1;		/* a VM being sampled: not in KSM */
	CHECK(step(&idle_bounds, &st, &in, &cur, &run, 17) == KSM_RUN_KEEP);
	in.nr_unscanned = 1;		/* enrolled, not scanned yet */
	CHECK(step(&idle_bounds, &st, &in, &cur, &run, 18) == KSM_RUN_START);
	in.nr_sampling = in.nr_unscanned = 0;
	step(&idle_bounds, &st, &in, &cur, &run, 20);
	CHECK(step(&idle_bounds, &st, &in, &cur, &run, 26) == KSM_RUN_STOP);

	/*
	 * Merged pages COW-broken: remaining grows.  From slow it must pass
	 * the slow threshold plus the hysteresis (4.5%), not merely 3%.
	 */
	in.remaining = 4400;
	CHECK(step(&idle_bounds, &st, &in, &cur, &run, 28) == KSM_RUN_KEEP);
	CHECK(run == 0);
	in.remaining = 4600;
	CHECK(step(&idle_bounds, &st, &in, &cur, &run, 30) == KSM_RUN_START);
	CHECK(run == 1 && cur.pages_to_scan == 2050);
}

/* Two passes at 4000 pages / 10 ms: 100,000 pages take 0.5 s, 1 s rounded. */
static void test_burst_secs(void)
{
	CHECK(ksm_burst_secs(&idle_bounds, 100000) == 1);
	CHECK(ksm_burst_secs(&idle_bounds, 0) == 0);
	/* 32 VMs of 192 MiB: 1,572,864 pages, two passes in 7.9 s. */
	CHECK(ksm_burst_secs(&idle_bounds, 1572864) == 8);
}

/*
 * merge_within: work for a stopped ksmd waits until the first of it is
 * merge_within less the burst's length old; then ksmd starts, fast.
 */
static void test_merge_within_stopped(void)
{
	struct ksm_input idle = { .nr_enrolled = 2, .enrolled_pages = 1572864,
				  .remaining = 10000 }, in;
	struct ksm_rate cur = { .pages_to_scan = 100, .sleep_ms = 200 };
	struct cfg_ksm b = idle_bounds;
	struct ksm_idle st = { 0 };
	unsigned int run = 1, t;

	b.merge_within = 60;		/* burst 8 s: due 52 s after the work */
	step(&b, &st, &idle, &cur, &run, 0);
	CHECK(step(&b, &st, &idle, &cur, &run, 6) == KSM_RUN_STOP);
	in = idle;
	in.nr_enrolled = 3;
	in.new_enrolled = in.nr_unscanned = 1;
	CHECK(step(&b, &st, &in, &cur, &run, 100) == KSM_RUN_HOLD);
	CHECK(st.holding && run == 0 && cur.pages_to_scan == 100);
	in.new_enrolled = 0;		/* not scanned, estimate pending: work */
	in.nr_pending = 1;
	for (t = 102; t < 152; t += 2)
		CHECK(step(&b, &st, &in, &cur, &run, t) == KSM_RUN_KEEP);
	CHECK(run == 0 && cur.pages_to_scan == 100);
	/* A second arrival meanwhile does not restart the wait. */
	in.nr_enrolled = 4;
	in.new_enrolled = in.nr_unscanned = 1;
	CHECK(step(&b, &st, &in, &cur, &run, 151) == KSM_RUN_KEEP);
	CHECK(step(&b, &st, &in, &cur, &run, 152) == KSM_RUN_START);
	CHECK(run == 1 && !st.holding && cur.pages_to_scan == 4000);

	/* Work that goes away while held leaves ksmd stopped, not holding. */
	in = idle;
	step(&b, &st, &in, &cur, &run, 160);
	CHECK(step(&b, &st, &in, &cur, &run, 166) == KSM_RUN_STOP);
	in.nr_unscanned = 1;
	CHECK(step(&b, &st, &in, &cur, &run, 170) == KSM_RUN_HOLD);
	in.nr_unscanned = 0;
	CHECK(step(&b, &st, &in, &cur, &run, 172) == KSM_RUN_KEEP);
	CHECK(!st.holding && run == 0);

	/* A burst longer than merge_within: started at once. */
	b.merge_within = 5;
	in.nr_unscanned = 1;
	CHECK(step(&b, &st, &in, &cur, &run, 180) == KSM_RUN_START);
	CHECK(run == 1 && cur.pages_to_scan == 4000);
}

/* merge_within holds work for a running, slow ksmd at the slow rate too. */
static void test_merge_within_slow(void)
{
	struct ksm_input in = { .nr_enrolled = 2, .enrolled_pages = 100000,
				.remaining = 1000 };
	struct ksm_rate cur = { .pages_to_scan = 100, .sleep_ms = 200 };
	struct cfg_ksm b = idle_bounds;
	struct ksm_idle st = { 0 };
	unsigned int run = 1;

	b.merge_within = 20;
	b.stop_when_idle = false;	/* run is never written */
	CHECK(step(&b, &st, &in, &cur, &run, 0) == KSM_RUN_KEEP);
	in.remaining = 20000;		/* 20% left: COW-broken, say */
	CHECK(step(&b, &st, &in, &cur, &run, 2) == KSM_RUN_HOLD);
	CHECK(cur.pages_to_scan == 100 && cur.sleep_ms == 200 && run == 1);
	CHECK(step(&b, &st, &in, &cur, &run, 20) == KSM_RUN_KEEP);
	CHECK(cur.pages_to_scan == 100);
	CHECK(step(&b, &st, &in, &cur, &run, 21) == KSM_RUN_KEEP);
	CHECK(cur.pages_to_scan == 4000 && cur.sleep_ms == 10 && !st.holding);
	/* Without merge_within it goes fast at once (the default). */
	b.merge_within = 0;
	st = (struct ksm_idle){ 0 };
	in.remaining = 1000;
	cur = (struct ksm_rate){ .pages_to_scan = 100, .sleep_ms = 200 };
	step(&b, &st, &in, &cur, &run, 0);
	in.remaining = 20000;
	CHECK(step(&b, &st, &in, &cur, &run, 2) == KSM_RUN_KEEP);
	CHECK(cur.pages_to_scan == 4000);
}

/* run is never written with stop_when_idle = no, nor unless it is 1. */
static void test_idle_never(void)
{
	struct ksm_input in = { .nr_enrolled = 1, .enrolled_pages = 1000 };
	struct ksm_rate cur = { .pages_to_scan = 100, .sleep_ms = 200 };
	struct cfg_ksm off = idle_bounds, untuned = idle_bounds;
	struct ksm_idle st = { 0 };
	unsigned int run = 1, t, writes = 0;

	off.stop_when_idle = false;
	untuned.tune = false;
	for (t = 0; t < 1000; t += 2) {
		writes += step(&off, &st, &in, &cur, &run, t) != KSM_RUN_KEEP;
		writes += step(&untuned, &st, &in, &cur, &run, t) != KSM_RUN_KEEP;
	}
	CHECK(writes == 0 && run == 1);
	/* ksmd stopped (0) or unmerging (2) by someone else: left alone. */
	st = (struct ksm_idle){ 0 };
	for (run = 0; run <= 2; run += 2)
		for (t = 0; t < 100; t += 2)
			writes += step(&idle_bounds, &st, &in, &cur, &run, t) !=
				KSM_RUN_KEEP;
	CHECK(writes == 0);
	/* Switched on later: idle_after counts from the last change. */
	run = 1;
	CHECK(step(&idle_bounds, &st, &in, &cur, &run, 100) == KSM_RUN_STOP);
}

/* Someone else wrote run while we held it at 0: no longer ours. */
static void test_idle_taken(void)
{
	struct ksm_input in = { .nr_enrolled = 1, .enrolled_pages = 1000 };
	struct ksm_rate cur = { .pages_to_scan = 100, .sleep_ms = 200 };
	struct ksm_idle st = { 0 };
	unsigned int run = 1;

	step(&idle_bounds, &st, &in, &cur, &run, 0);
	CHECK(step(&idle_bounds, &st, &in, &cur, &run, 5) == KSM_RUN_STOP);
	run = 1;			/* the operator */
	CHECK(step(&idle_bounds, &st, &in, &cur, &run, 7) == KSM_RUN_TAKEN);
	CHECK(!st.stopped);
	CHECK(step(&idle_bounds, &st, &in, &cur, &run, 11) == KSM_RUN_KEEP);
	CHECK(step(&idle_bounds, &st, &in, &cur, &run, 12) == KSM_RUN_STOP);
	/* Work arrives with ksmd at 2 (unmerging): not started by us. */
	run = 2;
	in.new_enrolled = in.nr_unscanned = 1;
	CHECK(step(&idle_bounds, &st, &in, &cur, &run, 13) == KSM_RUN_TAKEN);
	CHECK(run == 2);
}

/*
 * Between the thresholds the tuner stays fast while ksmd's last whole
 * pass over a VM merged at least an eighth of what is estimated left, and
 * drops to steady when passes stop merging (work ksmd cannot do).
 */
static void test_pass_progress(void)
{
	struct ksm_scan scan = { .full_scans = 20 };
	struct ksm_seen *seen = NULL;
	size_t nr_seen = 0;
	struct vmm_vm vms[2];
	struct ksm_input in;
	struct ksm_rate r;
	char why[160];

	/* 100000 pages each, 10000 mergeable (zero + dup), none merged yet */
	vm(&vms[0], 1, VMMERGE_VM_ENROLLED, 100000, 10000, 0);
	vm(&vms[1], 2, VMMERGE_VM_ENROLLED, 100000, 10000, 0);
	ksm_input_from(vms, 2, 256, &scan, &seen, &nr_seen, &in);
	CHECK(in.nr_pass_known == 0 && in.pass_merged == 0);
	/* Same pass: nothing measured yet whatever merged meanwhile. */
	vms[0].stats.merged = 2000;
	ksm_input_from(vms, 2, 256, &scan, &seen, &nr_seen, &in);
	CHECK(in.nr_pass_known == 0);
	/*
	 * Two passes went by (ksmd has been over both VMs now): vm 1 merged
	 * 4000 over them, 2000 a pass, vm 2 nothing.
	 */
	vms[0].stats.merged = 4000;
	scan.full_scans = 22;
	ksm_input_from(vms, 2, 256, &scan, &seen, &nr_seen, &in);
	CHECK(in.nr_unscanned == 0);
	CHECK(in.nr_pass_known == 2 && in.pass_merged == 2000);
	CHECK(in.remaining == 16000);		/* 8.0 %: fast anyway */
	/* 6000 + 10000 left = 8.0 % of 200000; make it 5 % with vm 2 done */
	vms[1].stats.merged = 6000;		/* 4000 + 6000 = 10000 left */
	ksm_input_from(vms, 2, 256, &scan, &seen, &nr_seen, &in);
	CHECK(in.pass_merged == 2000 && in.remaining == 10000);
	decide(&in, &r, why);			/* 5 %, a pass merged 2000 */
	CHECK(r.pages_to_scan == 4000 && strstr(why, "last pass merged"));
	/* Three passes later, 1200 more merged: 400 per pass, < 9000/8. */
	vms[0].stats.merged = 5200;
	scan.full_scans = 25;
	ksm_input_from(vms, 2, 256, &scan, &seen, &nr_seen, &in);
	CHECK(in.pass_merged == 400 + 2000 && in.remaining == 8800);
	decide(&in, &r, why);			/* 2400 >= 8800 / 8: fast */
	CHECK(r.pages_to_scan == 4000);
	scan.full_scans = 26;			/* a pass that merged nothing */
	ksm_input_from(vms, 2, 256, &scan, &seen, &nr_seen, &in);
	CHECK(in.pass_merged == 0);
	decide(&in, &r, why);
	CHECK(r.pages_to_scan == 2050 && strstr(why, "steady"));
	/* Pages un-merged (COW) count as no progress, never as negative. */
	vms[0].stats.merged = 1000;
	scan.full_scans = 27;
	ksm_input_from(vms, 2, 256, &scan, &seen, &nr_seen, &in);
	CHECK(in.pass_merged == 0 && in.nr_pass_known == 2);
	/* Little left: slow, however much the last pass merged. */
	vms[0].stats.merged = 9000;
	vms[1].stats.merged = 9000;
	scan.full_scans = 28;
	ksm_input_from(vms, 2, 256, &scan, &seen, &nr_seen, &in);
	CHECK(in.pass_merged == 8000 + 3000 && in.remaining == 2000);
	decide(&in, &r, why);
	CHECK(r.pages_to_scan == 100 && strstr(why, "little left"));
	free(seen);
}

int main(void)
{
	static const struct unit_test tests[] = {
		{ "input-from-vms", test_input },
		{ "scanned-by-ksmd", test_scanned },
		{ "estimate-pending", test_pending },
		{ "decision-levels", test_levels },
		{ "no-change", test_no_change },
		{ "hysteresis", test_hysteresis },
		{ "pass-progress", test_pass_progress },
		{ "sysfs-round-trip", test_sysfs },
		{ "advisor-replaced", test_advisor },
		{ "idle-after", test_idle_after },
		{ "idle-restart", test_idle_restart },
		{ "idle-never-unless-allowed", test_idle_never },
		{ "idle-run-taken", test_idle_taken },
		{ "burst-secs", test_burst_secs },
		{ "merge-within-stopped", test_merge_within_stopped },
		{ "merge-within-slow", test_merge_within_slow },
	};

	return RUN_TESTS("ksmtune_test", tests);
}
