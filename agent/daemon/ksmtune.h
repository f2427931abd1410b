/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (C) 2026 The vmmerge developers.
 *
 * The KSM tuner: a stand-in for the 6.8 KSM advisor on older kernels.
 * From the module's estimates it sets ksmd's pages_to_scan and
 * sleep_millisecs within the bounds of the [ksm] section:
 *
 *   fast    a VM was enrolled that ksmd has not scanned yet, an enrolled
 *           VM has no estimate yet, or at least KSM_FAST_PERMILLE of the
 *           enrolled guest RAM is estimated mergeable but not merged yet,
 *           or more than KSM_SLOW_PERMILLE is and ksmd's last whole pass
 *           merged at least an eighth of it: pages_to_scan_max,
 *           sleep_ms_min
 *   steady  between the two, ksmd's passes no longer merging much of
 *           what is estimated left: the midpoints of both ranges
 *   slow    nothing enrolled, or less than KSM_SLOW_PERMILLE left to
 *           gain: pages_to_scan_min, sleep_ms_max
 *
 * The thresholds leave room for the estimates' sampling error (a few
 * percent of present pages).  Once at a level, the tuner leaves it only
 * when the figure is KSM_HYST_PERMILLE past the threshold, so estimates
 * wobbling around a threshold do not flip the rate back and forth.
 * ksm_decide() is pure; ksm_read() and ksm_write() are the sysfs side.
 *
 * Why "not scanned yet" and not the estimate alone: a new VM's remaining
 * work is a small share of all enrolled RAM (one 192 MiB VM among 25 is
 * 4 %), below the fast threshold, yet ksmd must go over every other VM
 * before it reaches the new one (KSM adds a new mm just behind its
 * cursor).  At the slow rate that takes minutes.  A page of the new VM
 * whose content is already a KSM page merges on ksmd's first look (the
 * stable tree is searched before the checksum), so one scan of the VM
 * does most of its merging: the tuner stays fast until ksmd has been over
 * it, as /proc/PID/ksm_stat's ksm_rmap_items tells (three quarters of its
 * resident pages now have a KSM rmap item: a VM restored from a snapshot
 * is enrolled while its RAM is still coming in), or until ksmd's
 * full_scans moved on by two since it was enrolled, which covers it
 * wherever the cursor was.
 * VMs still being sampled are not in KSM, so they do not speed ksmd up.
 *
 * Why "the last pass still merges" and not the relative threshold alone:
 * a ksmd pass costs about the same CPU at any rate (it is the same pages
 * looked at), so a slower rate while merging goes on only delays the
 * saving: at 32 VMs, 6 % of enrolled RAM (345 MiB) was held back at the
 * steady rate for minutes.  What the slower rate guards against is an
 * estimate of work that ksmd cannot do (pages that change too often to
 * merge, or sampling error): then a pass merges little of it, and the
 * tuner drops to steady.  A VM's pass is measured from its merged and
 * zero pages each time full_scans moves on.
 *
 * With stop_when_idle = yes, ksm_idle_decide() (pure too) also stops
 * ksmd (run=0) once the decision has been "slow" for idle_after seconds
 * without a break: merged pages stay merged with run=0, and a ksmd with
 * nothing to merge still costs its scan.  It starts ksmd again (run=1) as
 * soon as the decision leaves "slow": a VM enrolled, or the
 * estimate of mergeable memory not merged growing past the slow threshold
 * (COW-broken merged pages raise it too).  run is written only then:
 * other KSM users of the host may need ksmd, so the operator must allow it.
 *
 * With merge_within = T (seconds, 0 by default) a quiet ksmd (at the
 * minimum rate, or stopped) is not sped up or started at the first new
 * work but held as it is for a while, so that one burst
 * serves every VM arriving meanwhile: a new VM's pages merge in about two
 * ksmd passes over all enrolled memory, and each burst costs those passes
 * whatever the number of VMs it serves.  The start is due when the first
 * work waiting is T seconds old less the burst's own length,
 * ksm_burst_secs() (two passes at the fast rate), so that VM is still
 * merged within T.  Work that is already late starts ksmd at once.
 *
 * On 6.8+ the kernel's own advisor (advisor_mode=scan-time) sets
 * pages_to_scan by itself and refuses writes to it (EINVAL).  The tuner
 * replaces the advisor rather than drive it: the advisor sizes ksmd from
 * the time a full scan takes, so it keeps scanning all mergeable memory at
 * its target pace even when nothing is left to merge, while the module's
 * estimates say how much is left.  So the tuner switches the advisor off
 * (advisor_mode=none) when it first sets a rate, and ksm_write() of the
 * settings found at start switches it back on.  Smart scan (6.7) needs
 * nothing: it only skips pages that did not change, at whatever rate.
 */
#ifndef VMMERGE_KSMTUNE_H
#define VMMERGE_KSMTUNE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "nl.h"

#define KSM_FAST_PERMILLE 80
#define KSM_SLOW_PERMILLE 30
#define KSM_HYST_PERMILLE 15
#define KSM_SYSFS "/sys/kernel/mm/ksm"

/* What the decision looks at, summed over the module's VMs. */
struct ksm_input {
	unsigned int nr_enrolled;
	unsigned int new_enrolled;	/* enrolled since the last decision */
	unsigned int nr_unscanned;	/* enrolled, ksmd not over it yet */
	unsigned int nr_sampling;	/* waiting for a first estimate */
	unsigned int nr_pending;	/* enrolled, first estimate not in yet */
	uint64_t enrolled_pages;	/* guest RAM of the enrolled VMs */
	uint64_t remaining;		/* estimated mergeable, not merged */
	unsigned int nr_pass_known;	/* VMs with a whole pass measured */
	uint64_t pass_merged;		/* pages their last pass merged */
};

#define KSM_ADVISOR_LEN 16

struct ksm_rate {
	unsigned int pages_to_scan;
	unsigned int sleep_ms;
	/* advisor_mode (6.8+): "none", "scan-time"; "" where there is none */
	char advisor[KSM_ADVISOR_LEN];
};

enum ksm_level { KSM_LEVEL_OTHER, KSM_LEVEL_SLOW, KSM_LEVEL_STEADY, KSM_LEVEL_FAST };

/* What the metrics show about the tuner. */
struct ksm_tuning {
	int active;			/* [ksm] tune = yes */
	struct ksm_rate rate;		/* last values written */
	uint64_t changes;
	uint64_t remaining;		/* pages, at the last decision */
	int stopped;			/* ksmd held at run=0 by the agent */
	uint64_t stops, starts;		/* run=0 and run=1 written */
	uint64_t holds;			/* starts deferred to batch work */
};

/* What ksm_idle_decide() tells the caller to do with ksmd's run. */
enum ksm_run_action {
	KSM_RUN_KEEP,
	KSM_RUN_STOP,		/* write run=0 */
	KSM_RUN_START,		/* write run=1: the decision left "slow" */
	KSM_RUN_TAKEN,		/* run changed under us: no longer ours */
	KSM_RUN_HOLD,		/* work waits for its burst (merge_within) */
};

/* The idle state across decisions; zeroed at start. */
struct ksm_idle {
	bool stopped;		/* the agent wrote run=0 and holds it */
	bool slow;		/* the last decision was "slow" */
	uint64_t slow_since;	/* seconds (monotonic) it has been since */
	bool holding;		/* quiet, work waiting for its burst */
	uint64_t work_since;	/* when the first work waiting came */
};

/* What the tuner remembers of an enrolled VM from one decision to the next. */
struct ksm_seen {
	uint64_t id;
	uint64_t full_scans;	/* ksmd's full_scans when it was enrolled */
	uint64_t mark_scans;	/* full_scans when mark_done was taken */
	uint64_t mark_done;	/* its merged + zero pages then */
	uint64_t pass_done;	/* what its last whole pass merged, once
				 * mark_scans moved past full_scans */
};

/* The pages KSM has looked at in a VMM, ksm_stat's ksm_rmap_items. */
struct ksm_scan {
	uint64_t full_scans;		/* /sys/kernel/mm/ksm/full_scans */
	const uint64_t *rmap_items;	/* per VM of the dump, or NULL */
};

/*
 * Has ksmd been over an enrolled VM of @resident pages with @rmap_items
 * of them looked at, @passes full scans after it was enrolled?
 */
bool ksm_vm_scanned(uint64_t rmap_items, uint64_t resident, uint64_t passes);
/*
 * Sum @vms into @in; @seen holds what was known of the VMs enrolled at the
 * previous call (@nr_seen of them) and is replaced by the current ones,
 * with @scan telling which of them ksmd has been over.  An enrolled VM with
 * fewer than @min_samples samples (the module's knob; all of its pages, if
 * it has fewer) has no estimate yet: it counts as pending, not as a VM with
 * nothing left to merge.
 */
void ksm_input_from(const struct vmm_vm *vms, size_t nr, uint64_t min_samples,
		    const struct ksm_scan *scan, struct ksm_seen **seen,
		    size_t *nr_seen, struct ksm_input *in);
/* ksm_rmap_items from /proc/@pid/ksm_stat: 0, or -errno / -EINVAL. */
int ksm_rmap_items_read(uint32_t pid, uint64_t *items);
/*
 * The rate for @in within @b into @out, and a one-line reason.  Returns
 * 1 if @out differs from @cur, 0 if not.
 */
int ksm_decide(const struct cfg_ksm *b, const struct ksm_input *in,
	       const struct ksm_rate *cur, struct ksm_rate *out,
	       char *reason, size_t len);
/* ksm_decide(), and the level it chose into @level. */
int ksm_decide_level(const struct cfg_ksm *b, const struct ksm_input *in,
		     const struct ksm_rate *cur, struct ksm_rate *out,
		     char *reason, size_t len, enum ksm_level *level);
/*
 * What to do with ksmd's run, @run being its value now and @now the time
 * in seconds, after a decision of level @level.  Tracks in @st how long
 * the decision has been "slow" (also with stop_when_idle = no, so that
 * switching it on counts from the last change) and sets @st->stopped on
 * KSM_RUN_STOP, clears it on KSM_RUN_START and KSM_RUN_TAKEN; the caller
 * sets it back if its write fails.  Never anything but KSM_RUN_KEEP with
 * tune or stop_when_idle = no, and STOP only when @run is 1.  With
 * merge_within, work found while ksmd is quiet returns KSM_RUN_HOLD once
 * (then KEEP) until its burst is due, @burst_s being ksm_burst_secs().
 */
enum ksm_run_action ksm_idle_decide(const struct cfg_ksm *b,
				    struct ksm_idle *st, enum ksm_level level,
				    unsigned int run, uint64_t now,
				    unsigned int burst_s);
/*
 * Seconds two ksmd passes over @enrolled_pages take at the fast rate of
 * @b (pages_to_scan_max every sleep_ms_min), rounded up.
 */
unsigned int ksm_burst_secs(const struct cfg_ksm *b, uint64_t enrolled_pages);
/*
 * The rate to write after ksm_idle_decide(): @next as decided, or the
 * minimum rate while @st holds work (merge_within), so that a held ksmd
 * stays as quiet as it was.  Returns 1 if it differs from @cur.
 */
int ksm_rate_after_idle(const struct cfg_ksm *b, const struct ksm_idle *st,
			const struct ksm_rate *cur, struct ksm_rate *next);
/*
 * Read or write pages_to_scan, sleep_millisecs and, where the kernel has
 * it and @r->advisor is set, advisor_mode under @dir.  ksm_write() turns
 * the advisor off before it writes the rate and on after it, as the
 * kernel only takes pages_to_scan with the advisor off.
 */
int ksm_read(const char *dir, struct ksm_rate *r);
int ksm_write(const char *dir, const struct ksm_rate *r);
/* Read or write ksmd's run under @dir. */
int ksm_run_read(const char *dir, unsigned int *run);
int ksm_run_write(const char *dir, unsigned int run);
/* One unsigned number from the file @dir/@name: 0, or -errno / -EINVAL. */
int sysfs_read_uint(const char *dir, const char *name, unsigned int *v);

#endif
