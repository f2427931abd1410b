/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (C) 2026 The vmmerge developers.
 *
 * vmmerged's state, owned by the main loop (daemon.c).  Only the health
 * counters are shared with the metrics thread, under @lock.
 */
#ifndef VMMERGE_AGENT_H
#define VMMERGE_AGENT_H

#include <pthread.h>

#include "config.h"
#include "ksmtune.h"
#include "metrics.h"
#include "nl.h"
#include "slots.h"

#define AGENT_TICK_MS 500
#define PENDING_MAX_TRIES 60	/* ticks: 30 s for a VMM to map its RAM */
#define KSM_TUNE_TICKS 4	/* the KSM tuner decides every 2 s */
#define SLOTS_SETTLE_MS 300	/* memslots quiet this long: register */

#define FULL_BACKOFF_MAX_TICKS 60	/* registry full: retry every 30 s at most */

struct pending {
	pid_t pid;
	unsigned int tries;
	bool full;		/* refused for a full registry, told once */
	unsigned int wait_ticks;	/* until the next try when full */
	unsigned int backoff_ticks;
};

struct http;
struct memslot;

struct agent {
	struct config cfg;
	const char *cfg_path;
	struct vnl *nl;			/* requests */
	struct vnl *ev;			/* events */
	struct vnl *watch;		/* family appearing / going */
	unsigned int retry_ticks;	/* until the next connection attempt */
	unsigned int backoff_ticks;
	unsigned int rescan_ticks;
	bool told_module_missing;
	struct pending *pending;
	size_t nr_pending;
	uint64_t *refused;		/* VM ids refused for good, told once */
	size_t nr_refused;		/* (cleared on reload and reconnect) */
	unsigned int connect_tries;	/* failed in a row */
	char last_full[256];		/* the VM the full registry refused */
	struct http *http;
	pthread_mutex_t lock;
	struct agent_health health;
	struct ksm_tuning ksm;		/* under @lock */
	struct ksm_rate ksm_found;	/* KSM's rate before we first changed it */
	bool ksm_found_set;
	struct ksm_idle ksm_idle;	/* stop_when_idle: is ksmd ours to start */
	unsigned int ksm_run_found;	/* run before we first wrote 0 */
	unsigned int tune_ticks;
	struct ksm_seen *enrolled;	/* enrolled at the last decision */
	size_t nr_enrolled;
	bool told_ksm_stopped;
	unsigned int sources;		/* CFG_SRC_* in use, set at start */
	struct memslot *memslot;	/* the BPF source, if attached */
	struct slot_table slots;	/* what it reported, per VMM */
};

/* sync.c: keep the module's registry in line with the VMMs on the host. */
int sync_connect(struct agent *a);
void sync_disconnect(struct agent *a);
void sync_tick(struct agent *a);
int sync_reconcile(struct agent *a);
int sync_domains(struct agent *a);
void sync_exec(pid_t pid, void *arg);
void sync_exit(pid_t pid, void *arg);
void sync_event(const struct vmm_event *ev, void *arg);
void sync_memslot(const struct memslot_event *ev, void *arg);
void sync_family(int up, void *arg);
void sync_forget_refused(struct agent *a);
void health_add(struct agent *a, uint64_t *counter, uint64_t n);

/* http.c: the Prometheus endpoint. */
int http_start(struct agent *a, struct http **out);
void http_stop(struct http *h);

#endif
