// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The vmmerge developers.
 *
 * vmmergectl top [--once] [--interval SEC] [-n ITER] [-d SEC]: a compact,
 * refreshing view of what merging gives, per stack and per VM:
 *
 *   12:00:40  vmmergectl top, every 2 s
 *   vmmerge 1.2: 5 VMs (4 enrolled), 3 stacks, 2 domains
 *     resident 612.0 MiB  merged 180.1 MiB  saved 150.2 MiB (24.5%)
 *   ksmd: running, 2000 pages / 20 ms  sharing 42332  full scans 4
 *
 *   STACK    DOMAIN  VMS  ENROLLED  YIELD   RESIDENT  MERGED    SAVED
 *   ...
 *   NAME     STACK   DOMAIN  STATE  YIELD   MERGED    SAVED
 *   ...
 *
 * VMs are listed by stack, then by name, so that rows stay put between
 * frames.  The screen is cleared only on a terminal; otherwise frames
 * follow each other, a blank line apart.  ksmd's rate comes from
 * /sys/kernel/mm/ksm (it is the host's, not the module's); the rest from
 * the module.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"

#define TOP_USAGE "top [--once] [--interval SEC] [-n ITER] [-d SEC]"

static int by_stack_name(const void *a, const void *b)
{
	const struct vmm_vm *x = a, *y = b;
	int c = strcmp(x->group, y->group);

	if (c)
		return c;
	c = strcmp(x->name, y->name);
	if (c)
		return c;
	return x->id < y->id ? -1 : x->id > y->id;
}

/* "24.5%" of @part in @whole, "-" when @whole is 0. */
static const char *percent(char *buf, size_t len, uint64_t part,
			   uint64_t whole)
{
	if (!whole)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%.1f%%", 100.0 * part / whole);
	return buf;
}

static void print_summary(FILE *f, const struct vmm_host *h,
			  const struct ctl_ksmd *k)
{
	char r[32], m[32], s[32], p[16];

	fprintf(f, "vmmerge %s: %u VMs (%u enrolled), %u stacks, %u domains\n",
		h->version, h->nr_vms, h->nr_enrolled, h->nr_groups,
		h->nr_domains);
	fprintf(f, "  resident %s  merged %s  saved %s (%s)\n",
		ctl_size(r, sizeof(r), h->stats.resident),
		ctl_size(m, sizeof(m), h->stats.merged),
		ctl_size(s, sizeof(s), h->stats.saved),
		percent(p, sizeof(p), h->stats.saved, h->stats.resident));
	if (k->run == 1)
		fprintf(f, "ksmd: running, %ld pages / %ld ms", k->pages_to_scan,
			k->sleep_ms);
	else if (k->run == 0)
		fprintf(f, "ksmd: stopped (run=0)");
	else if (k->run > 1)
		fprintf(f, "ksmd: un-merging (run=%d)", k->run);
	else
		fprintf(f, "ksmd: -");
	fprintf(f, "  sharing %llu  full scans %llu\n",
		(unsigned long long)h->ksm_pages_sharing,
		(unsigned long long)h->ksm_full_scans);
}

static void count_vms(const struct vmm_group *g, const struct vmm_vm *vms,
		      size_t nr, unsigned int *n, unsigned int *enrolled)
{
	size_t i;

	*n = *enrolled = 0;
	for (i = 0; i < nr; i++) {
		if (strcmp(vms[i].group, g->name))
			continue;
		(*n)++;
		if (vms[i].state == VMMERGE_VM_ENROLLED)
			(*enrolled)++;
	}
}

static void print_stacks(FILE *f, const struct vmm_group *g, size_t ng,
			 const struct vmm_vm *vms, size_t nv)
{
	static const char *const hdr[] = {
		"STACK", "DOMAIN", ">VMS", ">ENROLLED", ">YIELD", ">RESIDENT",
		">MERGED", ">SAVED"
	};
	struct table *t = table_new(8, hdr);
	size_t i;

	for (i = 0; i < ng; i++) {
		char n[16], e[16], y[16], r[32], m[32], s[32];
		unsigned int nr, enrolled;

		count_vms(&g[i], vms, nv, &nr, &enrolled);
		snprintf(n, sizeof(n), "%u", nr);
		snprintf(e, sizeof(e), "%u", enrolled);
		table_row(t, g[i].name, g[i].domain, n, e,
			  ctl_yield(y, sizeof(y), &g[i].est),
			  ctl_size(r, sizeof(r), g[i].stats.resident),
			  ctl_size(m, sizeof(m), g[i].stats.merged),
			  ctl_size(s, sizeof(s), g[i].stats.saved));
	}
	table_print(t, f);
	table_free(t);
}

static void print_vms(FILE *f, const struct vmm_vm *vms, size_t nr)
{
	static const char *const hdr[] = {
		"NAME", "STACK", "DOMAIN", "STATE", ">YIELD", ">MERGED", ">SAVED"
	};
	struct table *t = table_new(7, hdr);
	size_t i;

	for (i = 0; i < nr; i++) {
		char y[16], m[32], s[32];

		table_row(t, vms[i].name, vms[i].group, vms[i].domain,
			  vmm_state_name(vms[i].state),
			  ctl_yield(y, sizeof(y), &vms[i].est),
			  ctl_size(m, sizeof(m), vms[i].stats.merged),
			  ctl_size(s, sizeof(s), vms[i].stats.saved));
	}
	table_print(t, f);
	table_free(t);
}

void top_print(FILE *f, const struct vmm_host *h, const struct ctl_ksmd *k,
	       const struct vmm_group *g, size_t ng, struct vmm_vm *vms,
	       size_t nv)
{
	print_summary(f, h, k);
	putc('\n', f);
	print_stacks(f, g, ng, vms, nv);
	putc('\n', f);
	qsort(vms, nv, sizeof(*vms), by_stack_name);
	print_vms(f, vms, nv);
}

/* The frame's first line: the time, and the interval unless only one. */
static void print_clock(FILE *f, double delay, bool once)
{
	time_t now = time(NULL);
	char buf[16];

	strftime(buf, sizeof(buf), "%H:%M:%S", localtime(&now));
	if (once)
		fprintf(f, "%s  vmmergectl top\n", buf);
	else
		fprintf(f, "%s  vmmergectl top, every %g s\n", buf, delay);
}

static int draw(struct vnl *v, bool tty, double delay, long iter, long i)
{
	struct vmm_group *g = NULL;
	struct vmm_vm *vms = NULL;
	struct ctl_ksmd k;
	struct vmm_host h;
	size_t ng, nv;
	int err = vnl_get_host(v, &h);

	if (!err)
		err = vnl_dump_groups(v, &g, &ng);
	if (!err)
		err = vnl_dump_vms(v, &vms, &nv);
	if (!err) {
		ctl_ksmd_read(&k);
		if (tty)
			fputs("\033[H\033[2J", stdout);
		else if (i)
			putchar('\n');
		print_clock(stdout, delay, iter == 1);
		top_print(stdout, &h, &k, g, ng, vms, nv);
		fflush(stdout);
	}
	free(g);
	free(vms);
	return err;
}

static int parse_number(const char *s, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(s, &end);
	return errno || end == s || *end ? -EINVAL : 0;
}

int top_parse_args(int argc, char **argv, long *iter, double *delay)
{
	static const struct option longopts[] = {
		{ "once", no_argument, NULL, '1' },
		{ "interval", required_argument, NULL, 'd' },
		{ NULL, 0, NULL, 0 }
	};
	uint64_t n;
	int c;

	*iter = 0;
	*delay = 2;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "n:d:", longopts, NULL)) != -1) {
		switch (c) {
		case '1':
			*iter = 1;
			break;
		case 'n':
			if (ctl_parse_u64(optarg, &n) || n > 1000000000)
				return -EINVAL;
			*iter = (long)n;
			break;
		case 'd':
			if (parse_number(optarg, delay) || *delay < 0.1 ||
			    *delay > 3600)
				return -EINVAL;
			break;
		default:
			return -EINVAL;
		}
	}
	return optind == argc ? 0 : -EINVAL;
}

int cmd_top(int argc, char **argv)
{
	bool tty = isatty(STDOUT_FILENO);
	double delay;
	long iter, i;
	struct vnl *v;
	int err = 0;

	if (top_parse_args(argc, argv, &iter, &delay))
		return ctl_usage(TOP_USAGE);
	v = ctl_open("show VMs");
	if (!v)
		return 1;
	for (i = 0; !iter || i < iter; i++) {
		struct timespec ts = { (time_t)delay,
				       (long)((delay - (time_t)delay) * 1e9) };

		if (i)
			nanosleep(&ts, NULL);
		err = draw(v, tty, delay, iter, i);
		if (err)
			break;
	}
	if (err)
		ctl_fail(v, "show VMs", err);
	vnl_close(v);
	return err ? 1 : 0;
}
