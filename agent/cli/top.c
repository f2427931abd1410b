// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The vmmerge developers.
 *
 * vmmergectl top [-n ITER] [-d SEC]: the host summary and the VMs, most
 * saving first, redrawn every SEC seconds (default 2), ITER times (default
 * until interrupted).  The screen is cleared only on a terminal.
 */
#include <getopt.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"

static int by_saved(const void *a, const void *b)
{
	const struct vmm_vm *x = a, *y = b;

	if (x->stats.saved != y->stats.saved)
		return x->stats.saved < y->stats.saved ? 1 : -1;
	return x->id < y->id ? -1 : x->id > y->id;
}

static int draw(struct vnl *v, bool tty)
{
	struct vmm_host h;
	struct vmm_vm *vms;
	size_t nr;
	int err = vnl_get_host(v, &h);

	if (err)
		return err;
	err = vnl_dump_vms(v, &vms, &nr);
	if (err)
		return err;
	qsort(vms, nr, sizeof(*vms), by_saved);
	if (tty)
		fputs("\033[H\033[2J", stdout);
	print_host(stdout, &h);
	putchar('\n');
	print_vms_table(stdout, vms, nr);
	fflush(stdout);
	free(vms);
	return 0;
}

static int parse_args(int argc, char **argv, long *iter, double *delay)
{
	char *end;
	int c;

	optind = 1;
	while ((c = getopt(argc, argv, "n:d:")) != -1) {
		if (c == 'n')
			*iter = strtol(optarg, &end, 10);
		else if (c == 'd')
			*delay = strtod(optarg, &end);
		else
			return -1;
		if (*end || *iter < 0 || *delay < 0.1 || *delay > 3600)
			return -1;
	}
	return optind == argc ? 0 : -1;
}

int cmd_top(int argc, char **argv)
{
	bool tty = isatty(STDOUT_FILENO);
	double delay = 2;
	long iter = 0, i;
	struct vnl *v;
	int err = 0;

	if (parse_args(argc, argv, &iter, &delay))
		return ctl_usage("top [-n ITER] [-d SEC]");
	v = ctl_open("show VMs");
	if (!v)
		return 1;
	for (i = 0; !iter || i < iter; i++) {
		struct timespec ts = { (time_t)delay,
				       (long)((delay - (time_t)delay) * 1e9) };

		if (i)
			nanosleep(&ts, NULL);
		err = draw(v, tty);
		if (err)
			break;
	}
	if (err)
		ctl_fail(v, "show VMs", err);
	vnl_close(v);
	return err ? 1 : 0;
}
