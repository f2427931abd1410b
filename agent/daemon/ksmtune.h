/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (C) 2026 The vmmerge developers.
 *
 * The KSM tuner: a stand-in for the 6.8 KSM advisor on older kernels.
 * From the module's estimates it sets ksmd's pages_to_scan and
 * sleep_millisecs within the bounds of the [ksm] section:
 *
 *   fast    VMs were newly enrolled or are still being sampled, or at
 *           least KSM_FAST_PERMILLE of the enrolled guest RAM is estimated
 *           mergeable but not merged yet: pages_to_scan_max, sleep_ms_min
 *   steady  between the two: the midpoints of both ranges
 *   slow    nothing enrolled, or less than KSM_SLOW_PERMILLE left to
 *           gain: pages_to_scan_min, sleep_ms_max
 *
 * The thresholds leave room for the estimates' sampling error (a few
 * percent of present pages).  Once at a level, the tuner leaves it only
 * when the figure is KSM_HYST_PERMILLE past the threshold, so estimates
 * wobbling around a threshold do not flip the rate back and forth.
 * ksm_decide() is pure; ksm_read() and ksm_write() are the sysfs side.
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
	unsigned int nr_sampling;	/* waiting for a first estimate */
	uint64_t enrolled_pages;	/* guest RAM of the enrolled VMs */
	uint64_t remaining;		/* estimated mergeable, not merged */
};

#define KSM_ADVISOR_LEN 16

struct ksm_rate {
	unsigned int pages_to_scan;
	unsigned int sleep_ms;
	/* advisor_mode (6.8+): "none", "scan-time"; "" where there is none */
	char advisor[KSM_ADVISOR_LEN];
};

/* What the metrics show about the tuner. */
struct ksm_tuning {
	int active;			/* [ksm] tune = yes */
	struct ksm_rate rate;		/* last values written */
	uint64_t changes;
	uint64_t remaining;		/* pages, at the last decision */
};

/*
 * Sum @vms into @in; @known holds the ids that were enrolled at the
 * previous call (@nr_known of them) and is replaced by the current ones.
 */
void ksm_input_from(const struct vmm_vm *vms, size_t nr, uint64_t **known,
		    size_t *nr_known, struct ksm_input *in);
/*
 * The rate for @in within @b into @out, and a one-line reason.  Returns
 * 1 if @out differs from @cur, 0 if not.
 */
int ksm_decide(const struct cfg_ksm *b, const struct ksm_input *in,
	       const struct ksm_rate *cur, struct ksm_rate *out,
	       char *reason, size_t len);
/*
 * Read or write pages_to_scan, sleep_millisecs and, where the kernel has
 * it and @r->advisor is set, advisor_mode under @dir.  ksm_write() turns
 * the advisor off before it writes the rate and on after it, as the
 * kernel only takes pages_to_scan with the advisor off.
 */
int ksm_read(const char *dir, struct ksm_rate *r);
int ksm_write(const char *dir, const struct ksm_rate *r);

#endif
