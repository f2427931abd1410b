// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The vmmerge developers.
 *
 * Reply and event parsing for the vmmerge family: one netlink message in,
 * one plain struct out.  Pure functions over libnl's attribute helpers.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/genetlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <netlink/genl/genl.h>

#include "nl.h"

static struct nla_policy top_policy[VMMERGE_A_MAX + 1] = {
	[VMMERGE_A_DOMAIN] = { .type = NLA_NESTED },
	[VMMERGE_A_GROUP] = { .type = NLA_NESTED },
	[VMMERGE_A_VM] = { .type = NLA_NESTED },
	[VMMERGE_A_HOST] = { .type = NLA_NESTED },
	[VMMERGE_A_HINT] = { .type = NLA_NESTED },
};

static struct nla_policy estimate_policy[VMMERGE_A_ESTIMATE_MAX + 1] = {
	[VMMERGE_A_ESTIMATE_SAMPLES] = { .type = NLA_U64 },
	[VMMERGE_A_ESTIMATE_PRESENT] = { .type = NLA_U64 },
	[VMMERGE_A_ESTIMATE_ZERO] = { .type = NLA_U64 },
	[VMMERGE_A_ESTIMATE_DUP_VM] = { .type = NLA_U64 },
	[VMMERGE_A_ESTIMATE_DUP_GROUP] = { .type = NLA_U64 },
	[VMMERGE_A_ESTIMATE_DUP_DOMAIN] = { .type = NLA_U64 },
	[VMMERGE_A_ESTIMATE_YIELD_PERMILLE] = { .type = NLA_U32 },
	[VMMERGE_A_ESTIMATE_PAGES] = { .type = NLA_U64 },
};

static struct nla_policy hint_policy[VMMERGE_A_HINT_MAX + 1] = {
	[VMMERGE_A_HINT_GROUP] = { .type = NLA_STRING },
	[VMMERGE_A_HINT_DOMAIN] = { .type = NLA_STRING },
	[VMMERGE_A_HINT_SKETCH] = { .type = NLA_UNSPEC },
	[VMMERGE_A_HINT_PAGES] = { .type = NLA_U64 },
	[VMMERGE_A_HINT_ZERO_PAGES] = { .type = NLA_U64 },
	[VMMERGE_A_HINT_SCOPES] = { .type = NLA_NESTED },
};

static struct nla_policy scope_policy[VMMERGE_A_SCOPE_MAX + 1] = {
	[VMMERGE_A_SCOPE_NODE] = { .type = NLA_U32 },
	[VMMERGE_A_SCOPE_MATCHED] = { .type = NLA_U32 },
	[VMMERGE_A_SCOPE_PERMILLE] = { .type = NLA_U32 },
	[VMMERGE_A_SCOPE_PAGES] = { .type = NLA_U64 },
	[VMMERGE_A_SCOPE_ALLOWED] = { .type = NLA_U8 },
	[VMMERGE_A_SCOPE_REASON] = { .type = NLA_STRING },
};

static struct nla_policy stats_policy[VMMERGE_A_STATS_MAX + 1] = {
	[VMMERGE_A_STATS_RESIDENT] = { .type = NLA_U64 },
	[VMMERGE_A_STATS_MERGED] = { .type = NLA_U64 },
	[VMMERGE_A_STATS_SAVED] = { .type = NLA_U64 },
	[VMMERGE_A_STATS_ZERO] = { .type = NLA_U64 },
	[VMMERGE_A_STATS_REFRESHED_MS] = { .type = NLA_U64 },
};

static struct nla_policy domain_policy[VMMERGE_A_DOMAIN_MAX + 1] = {
	[VMMERGE_A_DOMAIN_NAME] = { .type = NLA_STRING },
	[VMMERGE_A_DOMAIN_FLAGS] = { .type = NLA_U32 },
	[VMMERGE_A_DOMAIN_STATS] = { .type = NLA_NESTED },
	[VMMERGE_A_DOMAIN_ESTIMATE] = { .type = NLA_NESTED },
};

static struct nla_policy group_policy[VMMERGE_A_GROUP_MAX + 1] = {
	[VMMERGE_A_GROUP_NAME] = { .type = NLA_STRING },
	[VMMERGE_A_GROUP_DOMAIN] = { .type = NLA_STRING },
	[VMMERGE_A_GROUP_STATS] = { .type = NLA_NESTED },
	[VMMERGE_A_GROUP_ESTIMATE] = { .type = NLA_NESTED },
};

static struct nla_policy vm_policy[VMMERGE_A_VM_MAX + 1] = {
	[VMMERGE_A_VM_ID] = { .type = NLA_U64 },
	[VMMERGE_A_VM_NAME] = { .type = NLA_STRING },
	[VMMERGE_A_VM_PID] = { .type = NLA_U32 },
	[VMMERGE_A_VM_GROUP] = { .type = NLA_STRING },
	[VMMERGE_A_VM_REGIONS] = { .type = NLA_NESTED },
	[VMMERGE_A_VM_DOMAIN] = { .type = NLA_STRING },
	[VMMERGE_A_VM_STATE] = { .type = NLA_U32 },
	[VMMERGE_A_VM_REASON] = { .type = NLA_STRING },
	[VMMERGE_A_VM_NODE] = { .type = NLA_U32 },
	[VMMERGE_A_VM_STATS] = { .type = NLA_NESTED },
	[VMMERGE_A_VM_ESTIMATE] = { .type = NLA_NESTED },
	[VMMERGE_A_VM_MERGE_ANY] = { .type = NLA_U8 },
};

static struct nla_policy region_policy[VMMERGE_A_REGION_MAX + 1] = {
	[VMMERGE_A_REGION_START] = { .type = NLA_U64 },
	[VMMERGE_A_REGION_LENGTH] = { .type = NLA_U64 },
};

static struct nla_policy host_policy[VMMERGE_A_HOST_MAX + 1] = {
	[VMMERGE_A_HOST_VERSION] = { .type = NLA_STRING },
	[VMMERGE_A_HOST_NR_DOMAINS] = { .type = NLA_U32 },
	[VMMERGE_A_HOST_NR_GROUPS] = { .type = NLA_U32 },
	[VMMERGE_A_HOST_NR_VMS] = { .type = NLA_U32 },
	[VMMERGE_A_HOST_NR_ENROLLED] = { .type = NLA_U32 },
	[VMMERGE_A_HOST_STATS] = { .type = NLA_NESTED },
	[VMMERGE_A_HOST_ESTIMATE] = { .type = NLA_NESTED },
	[VMMERGE_A_HOST_KSM_PAGES_SHARED] = { .type = NLA_U64 },
	[VMMERGE_A_HOST_KSM_PAGES_SHARING] = { .type = NLA_U64 },
	[VMMERGE_A_HOST_KSM_PAGES_UNSHARED] = { .type = NLA_U64 },
	[VMMERGE_A_HOST_KSM_FULL_SCANS] = { .type = NLA_U64 },
	[VMMERGE_A_HOST_KSM_MERGE_ACROSS_NODES] = { .type = NLA_U32 },
};

static void get_str(char *dst, size_t len, struct nlattr *a)
{
	if (a)
		nla_strlcpy(dst, a, len);
}

static uint64_t get_u64(struct nlattr *a)
{
	return a ? nla_get_u64(a) : 0;
}

static uint32_t get_u32(struct nlattr *a)
{
	return a ? nla_get_u32(a) : 0;
}

/* The one nest @type at the top level of a genl message, or NULL. */
static struct nlattr *top_nest(struct nlmsghdr *nlh, int type)
{
	struct nlattr *tb[VMMERGE_A_MAX + 1];

	if (!genlmsg_valid_hdr(nlh, 0))
		return NULL;
	if (genlmsg_parse(nlh, 0, tb, VMMERGE_A_MAX, top_policy) < 0)
		return NULL;
	return tb[type];
}

static int parse_stats(struct nlattr *nest, struct vmm_stats *s)
{
	struct nlattr *tb[VMMERGE_A_STATS_MAX + 1];

	memset(s, 0, sizeof(*s));
	if (!nest)
		return 0;
	if (nla_parse_nested(tb, VMMERGE_A_STATS_MAX, nest, stats_policy) < 0)
		return -EINVAL;
	s->resident = get_u64(tb[VMMERGE_A_STATS_RESIDENT]);
	s->merged = get_u64(tb[VMMERGE_A_STATS_MERGED]);
	s->saved = get_u64(tb[VMMERGE_A_STATS_SAVED]);
	s->zero = get_u64(tb[VMMERGE_A_STATS_ZERO]);
	s->refreshed_ms = get_u64(tb[VMMERGE_A_STATS_REFRESHED_MS]);
	return 0;
}

static int parse_estimate(struct nlattr *nest, struct vmm_estimate *e)
{
	struct nlattr *tb[VMMERGE_A_ESTIMATE_MAX + 1];

	memset(e, 0, sizeof(*e));
	if (!nest)
		return 0;
	if (nla_parse_nested(tb, VMMERGE_A_ESTIMATE_MAX, nest,
			     estimate_policy) < 0)
		return -EINVAL;
	e->samples = get_u64(tb[VMMERGE_A_ESTIMATE_SAMPLES]);
	e->present = get_u64(tb[VMMERGE_A_ESTIMATE_PRESENT]);
	e->zero = get_u64(tb[VMMERGE_A_ESTIMATE_ZERO]);
	e->dup_vm = get_u64(tb[VMMERGE_A_ESTIMATE_DUP_VM]);
	e->dup_group = get_u64(tb[VMMERGE_A_ESTIMATE_DUP_GROUP]);
	e->dup_domain = get_u64(tb[VMMERGE_A_ESTIMATE_DUP_DOMAIN]);
	e->yield_permille = get_u32(tb[VMMERGE_A_ESTIMATE_YIELD_PERMILLE]);
	e->pages = get_u64(tb[VMMERGE_A_ESTIMATE_PAGES]);
	return 0;
}

/* Stats and estimate nests of one object. */
static int parse_figures(struct nlattr *stats, struct vmm_stats *s,
			 struct nlattr *est, struct vmm_estimate *e)
{
	int err = parse_stats(stats, s);

	return err ? err : parse_estimate(est, e);
}

int vmm_parse_host(struct nlmsghdr *nlh, struct vmm_host *h)
{
	struct nlattr *tb[VMMERGE_A_HOST_MAX + 1];
	struct nlattr *nest = top_nest(nlh, VMMERGE_A_HOST);

	memset(h, 0, sizeof(*h));
	if (!nest ||
	    nla_parse_nested(tb, VMMERGE_A_HOST_MAX, nest, host_policy) < 0)
		return -EINVAL;
	get_str(h->version, sizeof(h->version), tb[VMMERGE_A_HOST_VERSION]);
	h->nr_domains = get_u32(tb[VMMERGE_A_HOST_NR_DOMAINS]);
	h->nr_groups = get_u32(tb[VMMERGE_A_HOST_NR_GROUPS]);
	h->nr_vms = get_u32(tb[VMMERGE_A_HOST_NR_VMS]);
	h->nr_enrolled = get_u32(tb[VMMERGE_A_HOST_NR_ENROLLED]);
	h->ksm_pages_shared = get_u64(tb[VMMERGE_A_HOST_KSM_PAGES_SHARED]);
	h->ksm_pages_sharing = get_u64(tb[VMMERGE_A_HOST_KSM_PAGES_SHARING]);
	h->ksm_pages_unshared = get_u64(tb[VMMERGE_A_HOST_KSM_PAGES_UNSHARED]);
	h->ksm_full_scans = get_u64(tb[VMMERGE_A_HOST_KSM_FULL_SCANS]);
	h->ksm_merge_across_nodes =
		get_u32(tb[VMMERGE_A_HOST_KSM_MERGE_ACROSS_NODES]);
	return parse_figures(tb[VMMERGE_A_HOST_STATS], &h->stats,
			     tb[VMMERGE_A_HOST_ESTIMATE], &h->est);
}

int vmm_parse_domain(struct nlmsghdr *nlh, struct vmm_domain *d)
{
	struct nlattr *tb[VMMERGE_A_DOMAIN_MAX + 1];
	struct nlattr *nest = top_nest(nlh, VMMERGE_A_DOMAIN);

	memset(d, 0, sizeof(*d));
	if (!nest ||
	    nla_parse_nested(tb, VMMERGE_A_DOMAIN_MAX, nest, domain_policy) < 0 ||
	    !tb[VMMERGE_A_DOMAIN_NAME])
		return -EINVAL;
	get_str(d->name, sizeof(d->name), tb[VMMERGE_A_DOMAIN_NAME]);
	d->flags = get_u32(tb[VMMERGE_A_DOMAIN_FLAGS]);
	return parse_figures(tb[VMMERGE_A_DOMAIN_STATS], &d->stats,
			     tb[VMMERGE_A_DOMAIN_ESTIMATE], &d->est);
}

int vmm_parse_group(struct nlmsghdr *nlh, struct vmm_group *g)
{
	struct nlattr *tb[VMMERGE_A_GROUP_MAX + 1];
	struct nlattr *nest = top_nest(nlh, VMMERGE_A_GROUP);

	memset(g, 0, sizeof(*g));
	if (!nest ||
	    nla_parse_nested(tb, VMMERGE_A_GROUP_MAX, nest, group_policy) < 0 ||
	    !tb[VMMERGE_A_GROUP_NAME])
		return -EINVAL;
	get_str(g->name, sizeof(g->name), tb[VMMERGE_A_GROUP_NAME]);
	get_str(g->domain, sizeof(g->domain), tb[VMMERGE_A_GROUP_DOMAIN]);
	return parse_figures(tb[VMMERGE_A_GROUP_STATS], &g->stats,
			     tb[VMMERGE_A_GROUP_ESTIMATE], &g->est);
}

static int parse_regions(struct nlattr *nest, struct vmm_vm *vm)
{
	struct nlattr *tb[VMMERGE_A_REGION_MAX + 1];
	struct nlattr *a;
	int rem;

	vm->nr_regions = 0;
	if (!nest)
		return 0;
	nla_for_each_nested(a, nest, rem) {
		struct vmm_region *r;

		if (vm->nr_regions == VMM_MAX_REGIONS)
			return -E2BIG;
		if (nla_parse_nested(tb, VMMERGE_A_REGION_MAX, a,
				     region_policy) < 0)
			return -EINVAL;
		r = &vm->regions[vm->nr_regions++];
		r->start = get_u64(tb[VMMERGE_A_REGION_START]);
		r->length = get_u64(tb[VMMERGE_A_REGION_LENGTH]);
	}
	return 0;
}

static int parse_vm_nest(struct nlattr *nest, struct vmm_vm *vm)
{
	struct nlattr *tb[VMMERGE_A_VM_MAX + 1];
	int err;

	memset(vm, 0, sizeof(*vm));
	if (!nest ||
	    nla_parse_nested(tb, VMMERGE_A_VM_MAX, nest, vm_policy) < 0 ||
	    !tb[VMMERGE_A_VM_ID])
		return -EINVAL;
	vm->id = get_u64(tb[VMMERGE_A_VM_ID]);
	get_str(vm->name, sizeof(vm->name), tb[VMMERGE_A_VM_NAME]);
	vm->pid = get_u32(tb[VMMERGE_A_VM_PID]);
	get_str(vm->group, sizeof(vm->group), tb[VMMERGE_A_VM_GROUP]);
	get_str(vm->domain, sizeof(vm->domain), tb[VMMERGE_A_VM_DOMAIN]);
	vm->state = get_u32(tb[VMMERGE_A_VM_STATE]);
	get_str(vm->reason, sizeof(vm->reason), tb[VMMERGE_A_VM_REASON]);
	vm->node = get_u32(tb[VMMERGE_A_VM_NODE]);
	/* Absent from modules older than the attribute: not known to merge. */
	vm->merge_any = tb[VMMERGE_A_VM_MERGE_ANY] &&
			nla_get_u8(tb[VMMERGE_A_VM_MERGE_ANY]);
	err = parse_regions(tb[VMMERGE_A_VM_REGIONS], vm);
	if (err)
		return err;
	return parse_figures(tb[VMMERGE_A_VM_STATS], &vm->stats,
			     tb[VMMERGE_A_VM_ESTIMATE], &vm->est);
}

int vmm_parse_vm(struct nlmsghdr *nlh, struct vmm_vm *vm)
{
	return parse_vm_nest(top_nest(nlh, VMMERGE_A_VM), vm);
}

int vmm_parse_event(struct nlmsghdr *nlh, struct vmm_event *ev)
{
	struct genlmsghdr *gh;

	memset(ev, 0, sizeof(*ev));
	if (!genlmsg_valid_hdr(nlh, 0))
		return -EINVAL;
	gh = nlmsg_data(nlh);
	if (gh->cmd != VMMERGE_CMD_VM_EXITED && gh->cmd != VMMERGE_CMD_VM_STATE &&
	    gh->cmd != VMMERGE_CMD_VM_REFUSED)
		return -EINVAL;
	ev->cmd = gh->cmd;
	return vmm_parse_vm(nlh, &ev->vm);
}

static int parse_scope(struct nlattr *nest, struct vmm_scope *s)
{
	struct nlattr *tb[VMMERGE_A_SCOPE_MAX + 1];

	memset(s, 0, sizeof(*s));
	if (nla_parse_nested(tb, VMMERGE_A_SCOPE_MAX, nest, scope_policy) < 0 ||
	    !tb[VMMERGE_A_SCOPE_NODE])
		return -EINVAL;
	s->node = get_u32(tb[VMMERGE_A_SCOPE_NODE]);
	s->matched = get_u32(tb[VMMERGE_A_SCOPE_MATCHED]);
	s->permille = get_u32(tb[VMMERGE_A_SCOPE_PERMILLE]);
	s->pages = get_u64(tb[VMMERGE_A_SCOPE_PAGES]);
	s->allowed = tb[VMMERGE_A_SCOPE_ALLOWED] ?
		nla_get_u8(tb[VMMERGE_A_SCOPE_ALLOWED]) : 0;
	get_str(s->reason, sizeof(s->reason), tb[VMMERGE_A_SCOPE_REASON]);
	return 0;
}

/* The hint nest of @nlh parsed into @tb; NULL if missing or malformed. */
static int hint_nest(struct nlmsghdr *nlh, struct nlattr **tb)
{
	struct nlattr *nest = top_nest(nlh, VMMERGE_A_HINT);

	if (!nest ||
	    nla_parse_nested(tb, VMMERGE_A_HINT_MAX, nest, hint_policy) < 0)
		return -EINVAL;
	return 0;
}

int vmm_parse_hint(struct nlmsghdr *nlh, struct vmm_hint *h)
{
	struct nlattr *tb[VMMERGE_A_HINT_MAX + 1];
	struct nlattr *a;
	int rem, err;

	memset(h, 0, sizeof(*h));
	if (hint_nest(nlh, tb) || !tb[VMMERGE_A_HINT_SCOPES])
		return -EINVAL;
	get_str(h->group, sizeof(h->group), tb[VMMERGE_A_HINT_GROUP]);
	get_str(h->domain, sizeof(h->domain), tb[VMMERGE_A_HINT_DOMAIN]);
	nla_for_each_nested(a, tb[VMMERGE_A_HINT_SCOPES], rem) {
		if (h->nr_scopes == VMM_MAX_SCOPES)
			return -E2BIG;
		err = parse_scope(a, &h->scopes[h->nr_scopes]);
		if (err)
			return err;
		h->nr_scopes++;
	}
	return 0;
}

int vmm_parse_sketch(struct nlmsghdr *nlh, struct vmm_sketch *s)
{
	struct nlattr *tb[VMMERGE_A_HINT_MAX + 1];
	struct nlattr *sk;
	int len;

	memset(s, 0, sizeof(*s));
	if (hint_nest(nlh, tb) || !(sk = tb[VMMERGE_A_HINT_SKETCH]))
		return -EINVAL;
	len = nla_len(sk);
	if (len <= 0 || len % sizeof(uint64_t) ||
	    len / sizeof(uint64_t) > VMMERGE_SKETCH_MAX)
		return -EINVAL;
	s->fp = malloc(len);
	if (!s->fp)
		return -ENOMEM;
	memcpy(s->fp, nla_data(sk), len);
	s->nr = len / sizeof(uint64_t);
	get_str(s->group, sizeof(s->group), tb[VMMERGE_A_HINT_GROUP]);
	get_str(s->domain, sizeof(s->domain), tb[VMMERGE_A_HINT_DOMAIN]);
	s->pages = get_u64(tb[VMMERGE_A_HINT_PAGES]);
	s->zero_pages = get_u64(tb[VMMERGE_A_HINT_ZERO_PAGES]);
	return 0;
}

/*
 * Where the TLVs start in the payload of an NLMSG_ERROR or NLMSG_DONE
 * message of @payload bytes; @payload itself if there is no room for any.
 */
static size_t tlv_offset(const struct nlmsghdr *nlh, size_t payload)
{
	const struct nlmsgerr *e = nlmsg_data(nlh);
	size_t off;

	if (nlh->nlmsg_type == NLMSG_DONE)
		return payload < sizeof(int) ? payload : sizeof(int);
	if (payload < sizeof(*e))
		return payload;
	off = sizeof(*e);
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - NLMSG_HDRLEN;
	return off > payload ? payload : off;
}

void vmm_parse_extack(const struct nlmsghdr *nlh, char *buf, size_t len)
{
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	size_t payload, off;

	buf[0] = '\0';
	if (nlh->nlmsg_len < NLMSG_HDRLEN ||
	    !(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	payload = nlh->nlmsg_len - NLMSG_HDRLEN;
	off = tlv_offset(nlh, payload);
	if (off >= payload)
		return;
	if (nla_parse(tb, NLMSGERR_ATTR_MAX,
		      (struct nlattr *)((char *)nlmsg_data(nlh) + off),
		      (int)(payload - off), NULL) < 0)
		return;
	if (tb[NLMSGERR_ATTR_MSG])
		nla_strlcpy(buf, tb[NLMSGERR_ATTR_MSG], len);
}

static const char *const state_names[] = {
	[VMMERGE_VM_REGISTERED] = "registered",
	[VMMERGE_VM_ENROLLED] = "enrolled",
	[VMMERGE_VM_ISOLATED] = "isolated",
	[VMMERGE_VM_REFUSED] = "refused",
	[VMMERGE_VM_SAMPLING] = "sampling",
	[VMMERGE_VM_LOW_YIELD] = "low-yield",
	[VMMERGE_VM_UNMERGING] = "unmerging",
};

const char *vmm_state_name(uint32_t state)
{
	if (state >= __VMMERGE_VM_STATE_MAX)
		return "unknown";
	return state_names[state];
}

const char *vmm_cmd_name(uint8_t cmd)
{
	switch (cmd) {
	case VMMERGE_CMD_VM_EXITED:
		return "vm-exited";
	case VMMERGE_CMD_VM_STATE:
		return "vm-state";
	case VMMERGE_CMD_VM_REFUSED:
		return "vm-refused";
	}
	return "unknown";
}
