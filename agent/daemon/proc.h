/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (C) 2026 The vmmerge developers.
 *
 * Finding VMM processes in /proc and reading what the rules look at.
 */
#ifndef VMMERGE_PROC_H
#define VMMERGE_PROC_H

#include "rules.h"

/* Fill @p from /proc/@pid; release with proc_release(). */
int proc_read(pid_t pid, struct vmm_proc *p);
void proc_release(struct vmm_proc *p);
/* Whether /proc/@pid/exe is one of the configured VMMs. */
bool proc_is_vmm(const struct config *c, pid_t pid);
/* Call @fn for every process that is a configured VMM. */
int proc_scan(const struct config *c, void (*fn)(pid_t pid, void *arg),
	      void *arg);

#endif
