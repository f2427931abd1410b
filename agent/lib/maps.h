/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (C) 2026 The vmmerge developers.
 *
 * Reading a VMM process from /proc: where its guest RAM lies (from
 * /proc/PID/maps) and a VM id that stays the same for the life of the
 * process.
 */
#ifndef VMMERGE_MAPS_H
#define VMMERGE_MAPS_H

#include <stdint.h>
#include <sys/types.h>

#include "nl.h"

/*
 * Pick guest RAM from the text of a maps file: with @size 0, the largest
 * anonymous private read-write mapping; otherwise one of exactly @size
 * bytes.  Anonymous means no path and no [name].  0, or -ENOENT if none
 * fits, -EINVAL on a malformed line.
 */
int maps_pick_ram(const char *text, uint64_t size, struct vmm_region *r);

/*
 * Guest RAM from exact ranges (KVM memslots): widen each of the @nin
 * ranges @in to the whole private anonymous read-write mappings that hold
 * it, as the module takes only whole mappings, and merge what overlaps or
 * touches into @out, sorted.  A range not wholly inside such mappings is
 * counted in @dropped.  The number of regions, or -E2BIG if more than
 * @max, -EINVAL on a malformed line.
 */
int maps_cover(const char *text, const struct vmm_region *in,
	       unsigned int nin, struct vmm_region *out, unsigned int max,
	       unsigned int *dropped);

/* Read a whole /proc file into a malloc'd, NUL-terminated buffer. */
int proc_read_file(const char *path, char **out, size_t *len);

/* maps_pick_ram() over /proc/@pid/maps. */
int maps_pick_pid(pid_t pid, uint64_t size, struct vmm_region *r);

/* A VM id for @pid: its start time (clock ticks) << 22 | pid; never 0. */
int proc_vm_id(pid_t pid, uint64_t *id);

/* The command name (comm) of @pid, newline stripped. */
int proc_comm(pid_t pid, char *buf, size_t len);

#endif
