/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (C) 2026 The vmmerge developers.
 *
 * /etc/vmmerge/vmmerged.conf: INI, parsed with inih.  See vmmerged.conf(5).
 *
 *   [agent]        listen, vmm, sources, default_stack, default_domain,
 *                  rescan_interval, min_guest_mib
 *   [domain NAME]  isolated
 *   [rule NAME]    exe, cmdline, cgroup, env (POSIX extended regexes, all
 *                  given must match), stack, domain, mem_mib
 *   [ksm]          tune, pages_to_scan_min/max, sleep_ms_min/max,
 *                  stop_when_idle, idle_after
 *
 * Errors come back as "FILE:LINE: REASON"; the caller keeps its previous
 * config when loading fails.
 */
#ifndef VMMERGE_CONFIG_H
#define VMMERGE_CONFIG_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/vmmerge.h>

#define CFG_MAX_VMM 16

/* Discovery sources ([agent] sources). */
#define CFG_SRC_PROC (1U << 0)	/* proc connector, /proc scan, maps */
#define CFG_SRC_BPF (1U << 1)	/* KVM memslot probe */
#define CFG_SRC_ALL (CFG_SRC_PROC | CFG_SRC_BPF)
#define CFG_DEFAULT_PATH "/etc/vmmerge/vmmerged.conf"
#define CFG_DEFAULT_LISTEN "127.0.0.1:9873"

enum cfg_match {
	CFG_MATCH_EXE,
	CFG_MATCH_CMDLINE,
	CFG_MATCH_CGROUP,
	CFG_MATCH_ENV,
	CFG_MATCH_NR
};

struct cfg_rule {
	char name[64];
	int line;			/* where its section starts */
	bool has[CFG_MATCH_NR];
	regex_t re[CFG_MATCH_NR];
	char stack[VMMERGE_NAME_MAXLEN];
	char domain[VMMERGE_NAME_MAXLEN];	/* "" = the default domain */
	int stack_line, domain_line;		/* where they are given */
	uint64_t mem_mib;			/* 0 = largest mapping */
};

struct cfg_domain {
	char name[VMMERGE_NAME_MAXLEN];
	bool isolated;
};

struct cfg_ksm {
	bool tune;
	unsigned int pages_min, pages_max;
	unsigned int sleep_ms_min, sleep_ms_max;
	bool stop_when_idle;		/* may write ksmd's run (0 and 1) */
	unsigned int idle_after;	/* seconds of "slow" before run=0 */
	unsigned int merge_within;	/* s: work for a quiet ksmd may wait */
};

struct config {
	char listen_host[64];
	unsigned int listen_port;
	char vmm[CFG_MAX_VMM][64];	/* fnmatch patterns on the exe name */
	unsigned int nr_vmm;
	unsigned int sources;		/* CFG_SRC_* */
	char default_stack[VMMERGE_NAME_MAXLEN];
	char default_domain[VMMERGE_NAME_MAXLEN];
	unsigned int rescan_interval;	/* seconds */
	uint64_t min_guest_mib;
	struct cfg_rule *rules;
	size_t nr_rules;
	struct cfg_domain *domains;
	size_t nr_domains;
	struct cfg_ksm ksm;
};

void config_defaults(struct config *c);
/* 0, or -errno with "@name:LINE: reason" in @err. */
int config_parse_string(const char *text, const char *name,
			struct config *c, char *err, size_t errlen);
int config_load(const char *path, struct config *c, char *err, size_t errlen);
void config_free(struct config *c);
const struct cfg_domain *config_domain(const struct config *c,
				       const char *name);
/*
 * Warnings about a valid config, one per call: "@name:LINE: reason" in
 * @buf.  Start with *@pos = 0; false when there are no more.  Today: a
 * rule's domain that no [domain] section declares (created shared).
 */
bool config_next_warning(const struct config *c, const char *name,
			 size_t *pos, char *buf, size_t len);

#endif
