// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The vmmerge developers.
 *
 * vmmergectl status [--json]: the module's host-wide figures, and whether
 * ksmd runs and how fast (read from its sysfs files: the agent may stop it
 * when nothing is left to merge, and merged pages stay merged meanwhile).
 */
#include "ctl.h"

static void print_ksmd(FILE *f, const struct ctl_ksmd *k)
{
	switch (k->run) {
	case 0:
		fputs("ksmd: stopped (run=0): merged pages stay merged\n", f);
		break;
	case 1:
		fprintf(f, "ksmd: running, %ld pages every %ld ms\n",
			k->pages_to_scan, k->sleep_ms);
		break;
	case 2:
		fputs("ksmd: un-merging everything (run=2)\n", f);
		break;
	default:
		fputs("ksmd: state unknown (/sys/kernel/mm/ksm/run not readable)\n", f);
	}
}

void print_host(FILE *f, const struct vmm_host *h)
{
	char a[32], b[32], c[32], d[32];

	fprintf(f, "module: vmmerge %s\n", h->version);
	fprintf(f, "  domains: %u  stacks: %u  vms: %u  enrolled: %u\n",
		h->nr_domains, h->nr_groups, h->nr_vms, h->nr_enrolled);
	fprintf(f, "  resident: %s  merged: %s  saved: %s  zero: %s\n",
		ctl_size(a, sizeof(a), h->stats.resident),
		ctl_size(b, sizeof(b), h->stats.merged),
		ctl_size(c, sizeof(c), h->stats.saved),
		ctl_size(d, sizeof(d), h->stats.zero));
	fprintf(f, "  estimate: %llu of %llu pages sampled, yield %u.%u%%\n",
		(unsigned long long)h->est.samples,
		(unsigned long long)h->est.pages,
		h->est.yield_permille / 10, h->est.yield_permille % 10);
	fprintf(f, "ksm: pages_shared %llu  pages_sharing %llu  "
		"pages_unshared %llu  full_scans %llu  merge_across_nodes %u\n",
		(unsigned long long)h->ksm_pages_shared,
		(unsigned long long)h->ksm_pages_sharing,
		(unsigned long long)h->ksm_pages_unshared,
		(unsigned long long)h->ksm_full_scans,
		h->ksm_merge_across_nodes);
}

static void print_status(FILE *f, const struct vmm_host *h)
{
	struct ctl_ksmd k;

	print_host(f, h);
	ctl_ksmd_read(&k);
	print_ksmd(f, &k);
}

/* run, pages_to_scan and sleep_millisecs; null where unreadable. */
static struct json_object *json_ksmd(void)
{
	struct json_object *o = json_object_new_object();
	struct ctl_ksmd k;

	ctl_ksmd_read(&k);
	json_object_object_add(o, "run", k.run < 0 ? NULL : json_object_new_int64(k.run));
	json_object_object_add(o, "pages_to_scan", k.pages_to_scan < 0 ? NULL :
			       json_object_new_int64(k.pages_to_scan));
	json_object_object_add(o, "sleep_millisecs", k.sleep_ms < 0 ? NULL :
			       json_object_new_int64(k.sleep_ms));
	return o;
}

static struct json_object *json_host(const struct vmm_host *h)
{
	struct json_object *o = json_object_new_object();
	struct json_object *k = json_object_new_object();

	json_object_object_add(o, "version", json_object_new_string(h->version));
	json_object_object_add(o, "domains", json_object_new_int(h->nr_domains));
	json_object_object_add(o, "stacks", json_object_new_int(h->nr_groups));
	/* The older name of "stacks", kept for scripts that read it. */
	json_object_object_add(o, "groups", json_object_new_int(h->nr_groups));
	json_object_object_add(o, "vms", json_object_new_int(h->nr_vms));
	json_object_object_add(o, "enrolled",
			       json_object_new_int(h->nr_enrolled));
	json_object_object_add(o, "stats", ctl_json_stats(&h->stats));
	json_object_object_add(o, "estimate", ctl_json_estimate(&h->est));
	json_object_object_add(k, "pages_shared",
			       json_object_new_int64(h->ksm_pages_shared));
	json_object_object_add(k, "pages_sharing",
			       json_object_new_int64(h->ksm_pages_sharing));
	json_object_object_add(k, "pages_unshared",
			       json_object_new_int64(h->ksm_pages_unshared));
	json_object_object_add(k, "full_scans",
			       json_object_new_int64(h->ksm_full_scans));
	json_object_object_add(k, "merge_across_nodes",
			       json_object_new_int(h->ksm_merge_across_nodes));
	json_object_object_add(o, "ksm", k);
	json_object_object_add(o, "ksmd", json_ksmd());
	return o;
}

static int show(struct vnl *v, void *arg)
{
	struct vmm_host h;
	int err = vnl_get_host(v, &h);

	if (err)
		return err;
	if (*(int *)arg)
		ctl_json_print(json_host(&h));
	else
		print_status(stdout, &h);
	return 0;
}

int cmd_status(int argc, char **argv)
{
	int json = ctl_json_flag(argc, argv);

	if (json < 0)
		return ctl_usage("status [--json]");
	return ctl_run("read host status", show, &json);
}
