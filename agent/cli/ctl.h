/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (C) 2026 The vmmerge developers.
 *
 * vmmergectl: one file per subcommand behind the table in ctl.c.  Each
 * subcommand returns the process exit status: 0, or 1 after printing one
 * line "vmmergectl: Unable to VERB: REASON[: KERNEL MESSAGE]".
 */
#ifndef VMMERGE_CTL_H
#define VMMERGE_CTL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <json-c/json.h>

#include "nl.h"
#include "table.h"

extern const char *prog;

int cmd_status(int argc, char **argv);
int cmd_vms(int argc, char **argv);
int cmd_stacks(int argc, char **argv);	/* also "groups" */
int cmd_stack(int argc, char **argv);	/* also "group" */
int cmd_domains(int argc, char **argv);
int cmd_domain(int argc, char **argv);
int cmd_add(int argc, char **argv);
int cmd_remove(int argc, char **argv);
int cmd_top(int argc, char **argv);
int cmd_hints(int argc, char **argv);

/* Print "vmmergectl: Unable to @verb: strerror[: extack]"; returns 1. */
int ctl_fail(struct vnl *v, const char *verb, int err);
/* Open the family or say why not; NULL after printing. */
struct vnl *ctl_open(const char *verb);
/*
 * Open the family, run @fn on it and close it.  The exit status: 0, or 1
 * after "Unable to @verb: ..." when opening or @fn failed.
 */
int ctl_run(const char *verb, int (*fn)(struct vnl *v, void *arg),
	    void *arg);
/* Print "Usage: vmmergectl @usage" to stderr; returns 1. */
int ctl_usage(const char *usage);
/* Parse "--json" as the only argument of a read command: 1, 0, -1 bad. */
int ctl_json_flag(int argc, char **argv);

/* "1.5 GiB" for @pages pages of the system page size. */
const char *ctl_size(char *buf, size_t len, uint64_t pages);
/* "42.5%" for an estimate's yield, "-" before the first sample. */
const char *ctl_yield(char *buf, size_t len, const struct vmm_estimate *e);
int ctl_parse_u64(const char *s, uint64_t *out);

/* Shared by status and top. */
void print_host(FILE *f, const struct vmm_host *h);
void print_vms_table(FILE *f, struct vmm_vm *vms, size_t nr);

/* ksmd's state as /sys/kernel/mm/ksm has it; -1 where unreadable. */
struct ctl_ksmd {
	int run;
	long pages_to_scan;
	long sleep_ms;
};

/* util.c: read it (status and top). */
void ctl_ksmd_read(struct ctl_ksmd *k);

/*
 * One frame of "top": the host summary, the stacks (with how many of their
 * VMs are registered and enrolled) and the VMs, which it sorts by stack
 * and name.  Pure: no netlink, no sysfs.
 */
void top_print(FILE *f, const struct vmm_host *h, const struct ctl_ksmd *k,
	       const struct vmm_group *g, size_t ng, struct vmm_vm *vms,
	       size_t nv);
/* top's options: ITER frames (0: until interrupted), DELAY s apart. */
int top_parse_args(int argc, char **argv, long *iter, double *delay);

/* json.c: print @obj as pretty JSON on stdout and release it. */
void ctl_json_print(struct json_object *obj);
struct json_object *ctl_json_stats(const struct vmm_stats *s);
struct json_object *ctl_json_estimate(const struct vmm_estimate *e);
/* A VM; its id is a string (ids pass 2^53, where JSON numbers round). */
struct json_object *json_vm(const struct vmm_vm *vm);

#endif
