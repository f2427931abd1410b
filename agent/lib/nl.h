/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (C) 2026 The vmmerge developers.
 *
 * The netlink backend shared by vmmerged and vmmergectl: a small API over
 * the "vmmerge" generic netlink family (libnl-genl-3).  Every function
 * returns 0 or -errno; after a failure the kernel's extack message, if it
 * sent one, is in vnl_extack().
 *
 * The vmm_parse_*() functions turn one reply or event message into a plain
 * struct.  They touch no socket, so unit tests feed them hand-built
 * messages.
 */
#ifndef VMMERGE_NL_H
#define VMMERGE_NL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/netlink.h>
#include <linux/vmmerge.h>

#define VMM_MAX_REGIONS 16

struct vmm_stats {
	uint64_t resident;
	uint64_t merged;
	uint64_t saved;
	uint64_t zero;
	uint64_t refreshed_ms;
};

/* The sampling scanner's estimate, in pages (VMMERGE_A_*_ESTIMATE). */
struct vmm_estimate {
	uint64_t samples;
	uint64_t present;
	uint64_t zero;
	uint64_t dup_vm;
	uint64_t dup_group;
	uint64_t dup_domain;
	uint32_t yield_permille;
	uint64_t pages;
};

struct vmm_region {
	uint64_t start;
	uint64_t length;
};

struct vmm_domain {
	char name[VMMERGE_NAME_MAXLEN];
	uint32_t flags;
	struct vmm_stats stats;
	struct vmm_estimate est;
};

struct vmm_group {
	char name[VMMERGE_NAME_MAXLEN];
	char domain[VMMERGE_NAME_MAXLEN];
	struct vmm_stats stats;
	struct vmm_estimate est;
};

struct vmm_vm {
	uint64_t id;
	char name[VMMERGE_VM_NAME_MAXLEN];
	uint32_t pid;
	char group[VMMERGE_NAME_MAXLEN];
	char domain[VMMERGE_NAME_MAXLEN];
	uint32_t state;
	uint32_t node;
	char reason[VMMERGE_REASON_MAXLEN];
	bool merge_any;		/* its VMM asked KSM to merge all its memory */
	struct vmm_stats stats;
	struct vmm_estimate est;
	unsigned int nr_regions;
	struct vmm_region regions[VMM_MAX_REGIONS];
};

struct vmm_host {
	char version[64];
	uint32_t nr_domains;
	uint32_t nr_groups;
	uint32_t nr_vms;
	uint32_t nr_enrolled;
	struct vmm_stats stats;
	uint64_t ksm_pages_shared;
	uint64_t ksm_pages_sharing;
	uint64_t ksm_pages_unshared;
	uint64_t ksm_full_scans;
	uint32_t ksm_merge_across_nodes;
	struct vmm_estimate est;
};

#define VMM_MAX_SCOPES 65	/* NUMA nodes and the host */

/* One scope (a NUMA node, or VMMERGE_HINT_HOST) of a placement hint. */
struct vmm_scope {
	uint32_t node;
	uint32_t matched;
	uint32_t permille;
	uint64_t pages;
	uint8_t allowed;
	char reason[VMMERGE_REASON_MAXLEN];
};

/* GET_HINT's answer, scopes ranked best first. */
struct vmm_hint {
	char group[VMMERGE_NAME_MAXLEN];
	char domain[VMMERGE_NAME_MAXLEN];
	unsigned int nr_scopes;
	struct vmm_scope scopes[VMM_MAX_SCOPES];
};

/* GET_SKETCH's answer; @fp is malloc'd, release with free(). */
struct vmm_sketch {
	char group[VMMERGE_NAME_MAXLEN];
	char domain[VMMERGE_NAME_MAXLEN];
	uint64_t pages;
	uint64_t zero_pages;
	size_t nr;
	uint64_t *fp;
};

/* One multicast event: cmd is VMMERGE_CMD_VM_EXITED, _VM_STATE, _VM_REFUSED. */
struct vmm_event {
	uint8_t cmd;
	struct vmm_vm vm;
};

/* Pure parsers: one message in, one struct out; -EINVAL if malformed. */
int vmm_parse_host(struct nlmsghdr *nlh, struct vmm_host *h);
int vmm_parse_domain(struct nlmsghdr *nlh, struct vmm_domain *d);
int vmm_parse_group(struct nlmsghdr *nlh, struct vmm_group *g);
int vmm_parse_vm(struct nlmsghdr *nlh, struct vmm_vm *vm);
int vmm_parse_event(struct nlmsghdr *nlh, struct vmm_event *ev);
int vmm_parse_hint(struct nlmsghdr *nlh, struct vmm_hint *h);
int vmm_parse_sketch(struct nlmsghdr *nlh, struct vmm_sketch *s);
/* The NLMSGERR_ATTR_MSG of an NLMSG_ERROR or NLMSG_DONE message, or "". */
void vmm_parse_extack(const struct nlmsghdr *nlh, char *buf, size_t len);

const char *vmm_state_name(uint32_t state);
const char *vmm_cmd_name(uint8_t cmd);

struct vnl;

/* -EPROTONOSUPPORT when the family is not registered (module not loaded). */
int vnl_open(struct vnl **out);
void vnl_close(struct vnl *v);
const char *vnl_extack(const struct vnl *v);
/* Whether the vmmerge family is (still) registered. */
bool vnl_family_present(struct vnl *v);

int vnl_get_host(struct vnl *v, struct vmm_host *h);
int vnl_dump_domains(struct vnl *v, struct vmm_domain **out, size_t *nr);
int vnl_dump_groups(struct vnl *v, struct vmm_group **out, size_t *nr);
int vnl_dump_vms(struct vnl *v, struct vmm_vm **out, size_t *nr);
int vnl_get_vm(struct vnl *v, uint64_t id, struct vmm_vm *vm);

/*
 * Placement hint for a new VM of stack @group (its own domain unless
 * @domain), or for @sketch (then @domain is needed).  -EAGAIN while the
 * group has no sketch yet.
 */
int vnl_get_hint(struct vnl *v, const char *group, const char *domain,
		 const struct vmm_sketch *sketch, struct vmm_hint *h);
int vnl_get_sketch(struct vnl *v, const char *group, struct vmm_sketch *s);

int vnl_new_domain(struct vnl *v, const char *name, uint32_t flags);
int vnl_set_domain(struct vnl *v, const char *name, uint32_t flags);
int vnl_del_domain(struct vnl *v, const char *name);
int vnl_new_group(struct vnl *v, const char *name, const char *domain);
int vnl_set_group(struct vnl *v, const char *name, const char *domain);
int vnl_del_group(struct vnl *v, const char *name);
/* Uses id, name, pid, group and the regions of @vm. */
int vnl_add_vm(struct vnl *v, const struct vmm_vm *vm);
int vnl_set_vm(struct vnl *v, uint64_t id, const char *group);
int vnl_del_vm(struct vnl *v, uint64_t id);

/*
 * Events: vnl_subscribe() joins the "events" group on a socket opened for
 * nothing else; vnl_fd() is then pollable and vnl_read_events() calls @fn
 * for each event waiting (it does not block).
 */
int vnl_subscribe(struct vnl *v);
int vnl_fd(const struct vnl *v);
int vnl_read_events(struct vnl *v,
		    void (*fn)(const struct vmm_event *ev, void *arg),
		    void *arg);

/*
 * Family watch: a socket on the generic netlink controller's "notify"
 * group, to learn at once that the module was loaded or unloaded.
 * vnl_watch_read() calls @fn with 1 when the vmmerge family appears, 0
 * when it goes away; it does not block.  Use vnl_fd() to poll.
 */
int vnl_watch_open(struct vnl **out);
int vnl_watch_read(struct vnl *v, void (*fn)(int up, void *arg), void *arg);

#endif
