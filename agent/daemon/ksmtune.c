// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The vmmerge developers.
 *
 * The KSM tuner's decision (pure) and its sysfs writes.  See ksmtune.h.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ksmtune.h"

static const struct ksm_seen *seen_find(const struct ksm_seen *seen,
					size_t nr, uint64_t id)
{
	size_t i;

	for (i = 0; i < nr; i++)
		if (seen[i].id == id)
			return &seen[i];
	return NULL;
}

bool ksm_vm_scanned(uint64_t rmap_items, uint64_t resident, uint64_t passes)
{
	if (passes >= 2)
		return true;	/* a whole pass went by after its insertion */
	return rmap_items && rmap_items >= resident - resident / 4;
}

/* Pages of @vm merged by KSM or found zero (KSM maps those to one page). */
static uint64_t vm_done(const struct vmm_vm *vm)
{
	return vm->stats.merged + vm->stats.zero;
}

/* Pages of @vm estimated mergeable that KSM has not merged yet. */
static uint64_t vm_remaining(const struct vmm_vm *vm)
{
	uint64_t want = vm->est.zero + vm->est.dup_domain;
	uint64_t done = vm_done(vm);

	return want > done ? want - done : 0;
}

/*
 * When full_scans moved on since @seen's mark, what @vm's pages merged
 * meanwhile, per pass, is its last pass's work.  The first mark is taken
 * at enrolment, part way into a pass: its first measure covers one pass
 * and a part, which errs towards "still merging" when that is likeliest.
 */
static void pass_measure(struct ksm_seen *seen, const struct vmm_vm *vm,
			 uint64_t full_scans)
{
	uint64_t done = vm_done(vm);

	if (full_scans <= seen->mark_scans)
		return;
	seen->pass_done = done > seen->mark_done ?
		(done - seen->mark_done) / (full_scans - seen->mark_scans) : 0;
	seen->mark_scans = full_scans;
	seen->mark_done = done;
}

/* No estimate yet: never estimated, or fewer samples than one needs. */
static bool estimate_pending(const struct vmm_vm *vm, uint64_t min_samples)
{
	uint64_t need = vm->est.pages < min_samples ? vm->est.pages : min_samples;

	return !vm->est.pages || vm->est.samples < need;
}

void ksm_input_from(const struct vmm_vm *vms, size_t nr, uint64_t min_samples,
		    const struct ksm_scan *scan, struct ksm_seen **seen,
		    size_t *nr_seen, struct ksm_input *in)
{
	struct ksm_seen *now = calloc(nr ? nr : 1, sizeof(*now));
	size_t i, n = 0;

	memset(in, 0, sizeof(*in));
	for (i = 0; i < nr; i++) {
		const struct vmm_vm *vm = &vms[i];
		const struct ksm_seen *was;
		struct ksm_seen cur;

		if (vm->state == VMMERGE_VM_SAMPLING)
			in->nr_sampling++;
		if (vm->state != VMMERGE_VM_ENROLLED)
			continue;
		in->nr_enrolled++;
		if (estimate_pending(vm, min_samples))
			in->nr_pending++;
		in->enrolled_pages += vm->est.pages;
		in->remaining += vm_remaining(vm);
		was = seen_find(*seen, *nr_seen, vm->id);
		if (!was)
			in->new_enrolled++;
		cur = was ? *was : (struct ksm_seen){ .id = vm->id,
				.full_scans = scan->full_scans,
				.mark_scans = scan->full_scans,
				.mark_done = vm_done(vm) };
		pass_measure(&cur, vm, scan->full_scans);
		if (cur.mark_scans != cur.full_scans) {	/* a pass measured */
			in->nr_pass_known++;
			in->pass_merged += cur.pass_done;
		}
		/*
		 * full_scans only grows, so two passes since its enrolment
		 * cover the VM for good; its rmap items only as far as its
		 * memory reaches now: a VM being restored from a snapshot is
		 * enrolled before all of its RAM is in.
		 */
		if (!ksm_vm_scanned(scan->rmap_items ? scan->rmap_items[i] : 0,
				    vm->stats.resident,
				    scan->full_scans - cur.full_scans))
			in->nr_unscanned++;
		if (now)
			now[n++] = cur;
	}
	if (!now)
		return;		/* keep the old list: arrivals seen later */
	free(*seen);
	*seen = now;
	*nr_seen = n;
}

static unsigned int permille(uint64_t part, uint64_t whole)
{
	if (!whole)
		return 0;
	return part >= whole ? 1000 : (unsigned int)(part * 1000 / whole);
}

/* The level the current rate stands for, if it is one of ours. */
static enum ksm_level ksm_level_of(const struct cfg_ksm *b,
				   const struct ksm_rate *cur)
{
	if (cur->pages_to_scan == b->pages_max && cur->sleep_ms == b->sleep_ms_min)
		return KSM_LEVEL_FAST;
	if (cur->pages_to_scan == b->pages_min && cur->sleep_ms == b->sleep_ms_max)
		return KSM_LEVEL_SLOW;
	if (cur->pages_to_scan == (b->pages_min + b->pages_max) / 2 &&
	    cur->sleep_ms == (b->sleep_ms_min + b->sleep_ms_max) / 2)
		return KSM_LEVEL_STEADY;
	return KSM_LEVEL_OTHER;
}

/*
 * Thresholds as seen from the current level: leaving a level downwards
 * needs the figure KSM_HYST_PERMILLE below its threshold, upwards above.
 */
static void ksm_thresholds(enum ksm_level level, unsigned int *fast,
			   unsigned int *slow)
{
	*fast = KSM_FAST_PERMILLE;
	*slow = KSM_SLOW_PERMILLE;
	if (level == KSM_LEVEL_FAST)
		*fast -= KSM_HYST_PERMILLE;
	if (level == KSM_LEVEL_SLOW)
		*slow += KSM_HYST_PERMILLE;
	if (level == KSM_LEVEL_STEADY || level == KSM_LEVEL_FAST)
		*slow -= KSM_HYST_PERMILLE;
	if (level == KSM_LEVEL_STEADY)
		*fast += KSM_HYST_PERMILLE;
}

static int rate_differs(const struct ksm_rate *a, const struct ksm_rate *b)
{
	return a->pages_to_scan != b->pages_to_scan ||
	       a->sleep_ms != b->sleep_ms || strcmp(a->advisor, b->advisor);
}

static struct ksm_rate rate(unsigned int pages_to_scan, unsigned int sleep_ms)
{
	return (struct ksm_rate){ .pages_to_scan = pages_to_scan,
				  .sleep_ms = sleep_ms };
}

int ksm_decide(const struct cfg_ksm *b, const struct ksm_input *in,
	       const struct ksm_rate *cur, struct ksm_rate *out,
	       char *reason, size_t len)
{
	enum ksm_level level;

	return ksm_decide_level(b, in, cur, out, reason, len, &level);
}

int ksm_decide_level(const struct cfg_ksm *b, const struct ksm_input *in,
		     const struct ksm_rate *cur, struct ksm_rate *out,
		     char *reason, size_t len, enum ksm_level *level)
{
	unsigned int left = permille(in->remaining, in->enrolled_pages);
	unsigned long long mib = in->remaining * 4096ULL >> 20;
	unsigned int fast, slow;

	ksm_thresholds(ksm_level_of(b, cur), &fast, &slow);

	if (!in->nr_enrolled) {
		*out = rate(b->pages_min, b->sleep_ms_max);
		*level = KSM_LEVEL_SLOW;
		snprintf(reason, len, "slow: no VM enrolled%s",
			 in->nr_sampling ? " (VMs sampling are not in KSM yet)" : "");
	} else if (in->nr_unscanned) {
		*out = rate(b->pages_max, b->sleep_ms_min);
		*level = KSM_LEVEL_FAST;
		snprintf(reason, len, "fast: %u VM%s newly enrolled, not scanned "
			 "by ksmd yet, ~%llu MiB to merge", in->nr_unscanned,
			 in->nr_unscanned == 1 ? "" : "s", mib);
	} else if (in->nr_pending) {
		/* Nothing is known of them yet, so "nothing left" is not known. */
		*out = rate(b->pages_max, b->sleep_ms_min);
		*level = KSM_LEVEL_FAST;
		snprintf(reason, len, "fast: %u VM%s arriving (enrolled, "
			 "estimate pending)", in->nr_pending,
			 in->nr_pending == 1 ? "" : "s");
	} else if (left >= fast) {
		*out = rate(b->pages_max, b->sleep_ms_min);
		*level = KSM_LEVEL_FAST;
		snprintf(reason, len, "fast: ~%llu MiB (%u.%u%% of enrolled "
			 "RAM) left to merge", mib, left / 10, left % 10);
	} else if (left >= slow && in->pass_merged &&
		   in->pass_merged >= in->remaining / 8) {
		/* A pass costs the same at any rate: while passes merge, hurry. */
		*out = rate(b->pages_max, b->sleep_ms_min);
		*level = KSM_LEVEL_FAST;
		snprintf(reason, len, "fast: ~%llu MiB (%u.%u%% of enrolled "
			 "RAM) left to merge, ksmd's last pass merged ~%llu MiB",
			 mib, left / 10, left % 10,
			 (unsigned long long)(in->pass_merged * 4096ULL >> 20));
	} else if (left >= slow) {
		*out = rate((b->pages_min + b->pages_max) / 2,
			    (b->sleep_ms_min + b->sleep_ms_max) / 2);
		*level = KSM_LEVEL_STEADY;
		snprintf(reason, len, "steady: ~%llu MiB (%u.%u%% of enrolled "
			 "RAM) left to merge", mib, left / 10, left % 10);
	} else {
		*out = rate(b->pages_min, b->sleep_ms_max);
		*level = KSM_LEVEL_SLOW;
		snprintf(reason, len, "slow: little left to gain, ~%llu MiB "
			 "(%u.%u%% of enrolled RAM)", mib, left / 10, left % 10);
	}
	/* Where the kernel has an advisor, it is off while we set the rate. */
	if (cur->advisor[0])
		strcpy(out->advisor, "none");
	return rate_differs(out, cur);
}

unsigned int ksm_burst_secs(const struct cfg_ksm *b, uint64_t enrolled_pages)
{
	uint64_t per_ms = b->pages_max ? b->pages_max : 1;
	uint64_t ms = 2 * enrolled_pages * b->sleep_ms_min / per_ms;

	return (unsigned int)((ms + 999) / 1000);
}

enum ksm_run_action ksm_idle_decide(const struct cfg_ksm *b,
				    struct ksm_idle *st, enum ksm_level level,
				    unsigned int run, uint64_t now,
				    unsigned int burst_s)
{
	bool slow = level == KSM_LEVEL_SLOW;

	if (st->stopped && run != 0) {
		/* Someone else started (or unmerged) ksmd: theirs now. */
		st->stopped = false;
		st->holding = false;
		st->slow = slow;
		st->slow_since = now;
		return KSM_RUN_TAKEN;
	}
	if (slow)
		st->holding = false;	/* no work, or it went away */
	else if (b->tune && b->merge_within && (st->holding || st->slow)) {
		/*
		 * Work for a quiet ksmd (slow or stopped): it waits, ksmd as it
		 * is and still "slow" for the idle count, until its burst is due.
		 */
		bool first = !st->holding;

		if (first)
			st->work_since = now;
		st->holding = true;
		if (now - st->work_since + burst_s < b->merge_within)
			return first ? KSM_RUN_HOLD : KSM_RUN_KEEP;
		st->holding = false;
	}
	if (slow && !st->slow)
		st->slow_since = now;
	st->slow = slow;
	if (!b->tune || !b->stop_when_idle)
		return KSM_RUN_KEEP;	/* the caller puts back what it found */
	if (st->stopped) {
		if (slow)
			return KSM_RUN_KEEP;
		st->stopped = false;
		return KSM_RUN_START;
	}
	if (slow && run == 1 && now - st->slow_since >= b->idle_after) {
		st->stopped = true;
		return KSM_RUN_STOP;
	}
	return KSM_RUN_KEEP;
}

int ksm_rate_after_idle(const struct cfg_ksm *b, const struct ksm_idle *st,
			const struct ksm_rate *cur, struct ksm_rate *next)
{
	if (st->holding) {
		next->pages_to_scan = b->pages_min;
		next->sleep_ms = b->sleep_ms_max;
	}
	return rate_differs(next, cur);
}

int ksm_rmap_items_read(uint32_t pid, uint64_t *items)
{
	char path[64], line[128];
	unsigned long long v;
	int err = -EINVAL;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%u/ksm_stat", pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "ksm_rmap_items %llu", &v) == 1) {
			*items = v;
			err = 0;
			break;
		}
	fclose(f);
	return err;
}

int sysfs_read_uint(const char *dir, const char *name, unsigned int *v)
{
	char path[256];
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	ok = fscanf(f, "%u", v) == 1;
	fclose(f);
	return ok ? 0 : -EINVAL;
}

/* Write @text and a newline to @dir/@name: one sysfs store. */
static int write_text(const char *dir, const char *name, const char *text)
{
	char path[256];
	FILE *f;
	int err = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "we");
	if (!f)
		return -errno;
	if (fprintf(f, "%s\n", text) < 0)
		err = -EIO;
	if (fclose(f) && !err)
		err = -errno;
	return err;
}

static int write_uint(const char *dir, const char *name, unsigned int v)
{
	char text[16];

	snprintf(text, sizeof(text), "%u", v);
	return write_text(dir, name, text);
}

/* advisor_mode reads "[none] scan-time": the selected mode in brackets. */
static int read_advisor(const char *dir, char *mode, size_t len)
{
	char path[256], line[128], *open, *close;
	FILE *f;

	mode[0] = '\0';
	snprintf(path, sizeof(path), "%s/advisor_mode", dir);
	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? 0 : -errno;
	if (!fgets(line, sizeof(line), f))
		line[0] = '\0';
	fclose(f);
	open = strchr(line, '[');
	close = open ? strchr(open, ']') : NULL;
	if (!close || (size_t)(close - open - 1) >= len)
		return -EINVAL;
	memcpy(mode, open + 1, close - open - 1);
	mode[close - open - 1] = '\0';
	return 0;
}

int ksm_read(const char *dir, struct ksm_rate *r)
{
	int err = sysfs_read_uint(dir, "pages_to_scan", &r->pages_to_scan);

	if (!err)
		err = sysfs_read_uint(dir, "sleep_millisecs", &r->sleep_ms);
	return err ? err : read_advisor(dir, r->advisor, sizeof(r->advisor));
}

int ksm_write(const char *dir, const struct ksm_rate *r)
{
	bool advisor_on = r->advisor[0] && strcmp(r->advisor, "none");
	int err = 0;

	if (r->advisor[0] && !advisor_on)
		err = write_text(dir, "advisor_mode", "none");
	if (!err)
		err = write_uint(dir, "pages_to_scan", r->pages_to_scan);
	if (!err)
		err = write_uint(dir, "sleep_millisecs", r->sleep_ms);
	if (!err && advisor_on)
		err = write_text(dir, "advisor_mode", r->advisor);
	return err;
}

int ksm_run_read(const char *dir, unsigned int *run)
{
	return sysfs_read_uint(dir, "run", run);
}

int ksm_run_write(const char *dir, unsigned int run)
{
	return write_uint(dir, "run", run);
}
