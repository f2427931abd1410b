// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The vmmerge developers.
 *
 * Helpers shared by the vmmergectl subcommands: error lines, sizes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"

int ctl_fail(struct vnl *v, const char *verb, int err)
{
	const char *msg = vnl_extack(v);

	if (err == -EPROTONOSUPPORT && !msg[0])
		msg = "the vmmerge module is not loaded (try: modprobe vmmerge)";
	fprintf(stderr, "%s: Unable to %s: %s%s%s\n", prog, verb,
		strerror(-err), msg[0] ? ": " : "", msg);
	return 1;
}

struct vnl *ctl_open(const char *verb)
{
	struct vnl *v;
	int err = vnl_open(&v);

	if (err) {
		ctl_fail(NULL, verb, err);
		return NULL;
	}
	return v;
}

int ctl_run(const char *verb, int (*fn)(struct vnl *v, void *arg),
	    void *arg)
{
	struct vnl *v = ctl_open(verb);
	int err;

	if (!v)
		return 1;
	err = fn(v, arg);
	if (err)
		ctl_fail(v, verb, err);
	vnl_close(v);
	return err ? 1 : 0;
}

int ctl_usage(const char *usage)
{
	fprintf(stderr, "Usage: %s %s\n", prog, usage);
	return 1;
}

int ctl_json_flag(int argc, char **argv)
{
	if (argc == 1)
		return 0;
	if (argc == 2 && !strcmp(argv[1], "--json"))
		return 1;
	return -1;
}

const char *ctl_size(char *buf, size_t len, uint64_t pages)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)pages * sysconf(_SC_PAGESIZE);
	int i = 0;

	while (v >= 1024 && i < 4) {
		v /= 1024;
		i++;
	}
	snprintf(buf, len, i ? "%.1f %s" : "%.0f %s", v, unit[i]);
	return buf;
}

const char *ctl_yield(char *buf, size_t len, const struct vmm_estimate *e)
{
	if (!e->samples)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%u.%u%%", e->yield_permille / 10,
			 e->yield_permille % 10);
	return buf;
}

int ctl_parse_u64(const char *s, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (!*s || *s == '-')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end)
		return -EINVAL;
	*out = v;
	return 0;
}

static long ksm_value(const char *name)
{
	char path[64];
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/kernel/mm/ksm/%s", name);
	f = fopen(path, "re");
	if (!f)
		return -1;
	if (fscanf(f, "%ld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

void ctl_ksmd_read(struct ctl_ksmd *k)
{
	k->run = (int)ksm_value("run");
	k->pages_to_scan = ksm_value("pages_to_scan");
	k->sleep_ms = ksm_value("sleep_millisecs");
}
