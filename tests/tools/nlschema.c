// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The vmmerge developers.
 *
 * The vmmerge attribute tree and command names, as nlcall spells them.  Ids
 * come from the uapi header itself, so only the names below can drift from
 * it; Documentation/netlink/vmmerge.yaml uses the same names and
 * tests/unit/spec_check.py holds that file to the header.
 */
#include <errno.h>
#include <string.h>
#include <linux/vmmerge.h>

#include "nlspec.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define SET(n, a) { .name = n, .attrs = a, .count = ARRAY_SIZE(a) }
#define ATTR(n, i, t) { .name = n, .id = i, .type = t }
#define HEX(n, i, t) { .name = n, .id = i, .type = t, .flags = NLS_F_HEX }
#define NEST(n, i, s) { .name = n, .id = i, .type = NLS_NEST, .nest = &s }
#define ARRAY(n, i, e, s) \
	{ .name = n, .id = i, .type = NLS_ARRAY, .nest = &s, .entry = e }

static const struct nls_attr stats_attrs[] = {
	ATTR("pad", VMMERGE_A_STATS_PAD, NLS_PAD),
	ATTR("resident", VMMERGE_A_STATS_RESIDENT, NLS_U64),
	ATTR("merged", VMMERGE_A_STATS_MERGED, NLS_U64),
	ATTR("saved", VMMERGE_A_STATS_SAVED, NLS_U64),
	ATTR("zero", VMMERGE_A_STATS_ZERO, NLS_U64),
	ATTR("refreshed-ms", VMMERGE_A_STATS_REFRESHED_MS, NLS_U64),
};
static const struct nls_set stats_set = SET("stats", stats_attrs);

static const struct nls_attr estimate_attrs[] = {
	ATTR("pad", VMMERGE_A_ESTIMATE_PAD, NLS_PAD),
	ATTR("samples", VMMERGE_A_ESTIMATE_SAMPLES, NLS_U64),
	ATTR("present", VMMERGE_A_ESTIMATE_PRESENT, NLS_U64),
	ATTR("zero", VMMERGE_A_ESTIMATE_ZERO, NLS_U64),
	ATTR("dup-vm", VMMERGE_A_ESTIMATE_DUP_VM, NLS_U64),
	ATTR("dup-group", VMMERGE_A_ESTIMATE_DUP_GROUP, NLS_U64),
	ATTR("dup-domain", VMMERGE_A_ESTIMATE_DUP_DOMAIN, NLS_U64),
	ATTR("yield-permille", VMMERGE_A_ESTIMATE_YIELD_PERMILLE, NLS_U32),
	ATTR("pages", VMMERGE_A_ESTIMATE_PAGES, NLS_U64),
};
static const struct nls_set estimate_set = SET("estimate", estimate_attrs);

static const struct nls_attr domain_attrs[] = {
	ATTR("name", VMMERGE_A_DOMAIN_NAME, NLS_STR),
	ATTR("flags", VMMERGE_A_DOMAIN_FLAGS, NLS_U32),
	NEST("stats", VMMERGE_A_DOMAIN_STATS, stats_set),
	NEST("estimate", VMMERGE_A_DOMAIN_ESTIMATE, estimate_set),
};
static const struct nls_set domain_set = SET("domain", domain_attrs);

static const struct nls_attr group_attrs[] = {
	ATTR("name", VMMERGE_A_GROUP_NAME, NLS_STR),
	ATTR("domain", VMMERGE_A_GROUP_DOMAIN, NLS_STR),
	NEST("stats", VMMERGE_A_GROUP_STATS, stats_set),
	NEST("estimate", VMMERGE_A_GROUP_ESTIMATE, estimate_set),
};
static const struct nls_set group_set = SET("group", group_attrs);

static const struct nls_attr region_attrs[] = {
	HEX("start", VMMERGE_A_REGION_START, NLS_U64),
	HEX("length", VMMERGE_A_REGION_LENGTH, NLS_U64),
};
static const struct nls_set region_set = SET("region", region_attrs);

static const struct nls_attr vm_attrs[] = {
	ATTR("id", VMMERGE_A_VM_ID, NLS_U64),
	ATTR("name", VMMERGE_A_VM_NAME, NLS_STR),
	ATTR("pid", VMMERGE_A_VM_PID, NLS_U32),
	ATTR("group", VMMERGE_A_VM_GROUP, NLS_STR),
	ARRAY("regions", VMMERGE_A_VM_REGIONS, "region", region_set),
	ATTR("domain", VMMERGE_A_VM_DOMAIN, NLS_STR),
	ATTR("state", VMMERGE_A_VM_STATE, NLS_U32),
	ATTR("reason", VMMERGE_A_VM_REASON, NLS_STR),
	ATTR("node", VMMERGE_A_VM_NODE, NLS_U32),
	NEST("stats", VMMERGE_A_VM_STATS, stats_set),
	NEST("estimate", VMMERGE_A_VM_ESTIMATE, estimate_set),
	ATTR("merge-any", VMMERGE_A_VM_MERGE_ANY, NLS_U8),
};
static const struct nls_set vm_set = SET("vm", vm_attrs);

static const struct nls_attr host_attrs[] = {
	ATTR("pad", VMMERGE_A_HOST_PAD, NLS_PAD),
	ATTR("version", VMMERGE_A_HOST_VERSION, NLS_STR),
	ATTR("nr-domains", VMMERGE_A_HOST_NR_DOMAINS, NLS_U32),
	ATTR("nr-groups", VMMERGE_A_HOST_NR_GROUPS, NLS_U32),
	ATTR("nr-vms", VMMERGE_A_HOST_NR_VMS, NLS_U32),
	ATTR("nr-enrolled", VMMERGE_A_HOST_NR_ENROLLED, NLS_U32),
	NEST("stats", VMMERGE_A_HOST_STATS, stats_set),
	ATTR("ksm-pages-shared", VMMERGE_A_HOST_KSM_PAGES_SHARED, NLS_U64),
	ATTR("ksm-pages-sharing", VMMERGE_A_HOST_KSM_PAGES_SHARING, NLS_U64),
	ATTR("ksm-pages-unshared", VMMERGE_A_HOST_KSM_PAGES_UNSHARED, NLS_U64),
	ATTR("ksm-full-scans", VMMERGE_A_HOST_KSM_FULL_SCANS, NLS_U64),
	ATTR("ksm-merge-across-nodes", VMMERGE_A_HOST_KSM_MERGE_ACROSS_NODES,
	     NLS_U32),
	NEST("estimate", VMMERGE_A_HOST_ESTIMATE, estimate_set),
};
static const struct nls_set host_set = SET("host", host_attrs);

static const struct nls_attr scope_attrs[] = {
	ATTR("pad", VMMERGE_A_SCOPE_PAD, NLS_PAD),
	ATTR("node", VMMERGE_A_SCOPE_NODE, NLS_U32),
	ATTR("matched", VMMERGE_A_SCOPE_MATCHED, NLS_U32),
	ATTR("permille", VMMERGE_A_SCOPE_PERMILLE, NLS_U32),
	ATTR("pages", VMMERGE_A_SCOPE_PAGES, NLS_U64),
	ATTR("allowed", VMMERGE_A_SCOPE_ALLOWED, NLS_U8),
	ATTR("reason", VMMERGE_A_SCOPE_REASON, NLS_STR),
};
static const struct nls_set scope_set = SET("scope", scope_attrs);

static const struct nls_attr hint_attrs[] = {
	ATTR("pad", VMMERGE_A_HINT_PAD, NLS_PAD),
	ATTR("group", VMMERGE_A_HINT_GROUP, NLS_STR),
	ATTR("domain", VMMERGE_A_HINT_DOMAIN, NLS_STR),
	ATTR("sketch", VMMERGE_A_HINT_SKETCH, NLS_BIN),
	ATTR("pages", VMMERGE_A_HINT_PAGES, NLS_U64),
	ATTR("zero-pages", VMMERGE_A_HINT_ZERO_PAGES, NLS_U64),
	ARRAY("scopes", VMMERGE_A_HINT_SCOPES, "scope", scope_set),
};
static const struct nls_set hint_set = SET("hint", hint_attrs);

static const struct nls_attr top_attrs[] = {
	NEST("domain", VMMERGE_A_DOMAIN, domain_set),
	NEST("group", VMMERGE_A_GROUP, group_set),
	NEST("vm", VMMERGE_A_VM, vm_set),
	NEST("host", VMMERGE_A_HOST, host_set),
	NEST("hint", VMMERGE_A_HINT, hint_set),
};
const struct nls_set nls_vmmerge = SET("vmmerge", top_attrs);

static const char *const cmd_names[] = {
	[VMMERGE_CMD_GET_HOST] = "get-host",
	[VMMERGE_CMD_NEW_DOMAIN] = "new-domain",
	[VMMERGE_CMD_SET_DOMAIN] = "set-domain",
	[VMMERGE_CMD_DEL_DOMAIN] = "del-domain",
	[VMMERGE_CMD_GET_DOMAIN] = "get-domain",
	[VMMERGE_CMD_NEW_GROUP] = "new-group",
	[VMMERGE_CMD_SET_GROUP] = "set-group",
	[VMMERGE_CMD_DEL_GROUP] = "del-group",
	[VMMERGE_CMD_GET_GROUP] = "get-group",
	[VMMERGE_CMD_ADD_VM] = "add-vm",
	[VMMERGE_CMD_SET_VM] = "set-vm",
	[VMMERGE_CMD_DEL_VM] = "del-vm",
	[VMMERGE_CMD_GET_VM] = "get-vm",
	[VMMERGE_CMD_VM_EXITED] = "vm-exited",
	[VMMERGE_CMD_VM_STATE] = "vm-state",
	[VMMERGE_CMD_VM_REFUSED] = "vm-refused",
	[VMMERGE_CMD_GET_HINT] = "get-hint",
	[VMMERGE_CMD_GET_SKETCH] = "get-sketch",
};

/* Every command of the header must have a name above. */
_Static_assert(ARRAY_SIZE(cmd_names) == __VMMERGE_CMD_MAX,
	       "cmd_names[] does not cover enum vmmerge_cmd");

/* The name of command @cmd, or NULL for numbers the header does not know. */
const char *nls_cmd_name(unsigned int cmd)
{
	return cmd < ARRAY_SIZE(cmd_names) ? cmd_names[cmd] : NULL;
}

/* Parse a command name or a raw number written "@N" (0..255). */
int nls_cmd_parse(const char *s, unsigned int *cmd)
{
	uint64_t v;
	unsigned int i;

	if (s[0] == '@') {
		if (nls_parse_u64(s + 1, 255, &v))
			return -EINVAL;
		*cmd = v;
		return 0;
	}
	for (i = 0; i < ARRAY_SIZE(cmd_names); i++) {
		if (cmd_names[i] && !strcmp(s, cmd_names[i])) {
			*cmd = i;
			return 0;
		}
	}
	return -ENOENT;
}

void nls_cmd_list(FILE *f)
{
	unsigned int i, col = 0;

	for (i = 0; i < ARRAY_SIZE(cmd_names); i++) {
		if (!cmd_names[i])
			continue;
		if (col && col + strlen(cmd_names[i]) >= 72) {
			fputc('\n', f);
			col = 0;
		}
		col += fprintf(f, "  %s", cmd_names[i]);
	}
	fputc('\n', f);
}
