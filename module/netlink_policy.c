// SPDX-License-Identifier: GPL-2.0
/*
 * DOC: netlink policies
 *
 * One policy per operation and nesting level: a request may carry exactly
 * the attributes its command reads, with their types, lengths and ranges.
 * Everything else is refused by the netlink core before a handler runs:
 * the family is strict (resv_start_op), so an attribute a policy does not
 * name (NLA_UNSPEC) is an error, as are unknown types and trailing data.
 * Read-only attributes (figures, states) are simply not named.
 */
#include "netlink_priv.h"

#define VMM_NAME_POLICY { .type = NLA_NUL_STRING, .len = VMMERGE_NAME_MAXLEN - 1 }

/* ---- domains ---- */

const struct nla_policy vmm_domain_name_policy[VMMERGE_A_DOMAIN_MAX + 1] = {
	[VMMERGE_A_DOMAIN_NAME] = VMM_NAME_POLICY,
};

const struct nla_policy vmm_domain_flags_policy[VMMERGE_A_DOMAIN_MAX + 1] = {
	[VMMERGE_A_DOMAIN_NAME] = VMM_NAME_POLICY,
	[VMMERGE_A_DOMAIN_FLAGS] = NLA_POLICY_MASK(NLA_U32, __VMMERGE_DOMAIN_F_ALL),
};

/* ---- groups ---- */

const struct nla_policy vmm_group_name_policy[VMMERGE_A_GROUP_MAX + 1] = {
	[VMMERGE_A_GROUP_NAME] = VMM_NAME_POLICY,
};

const struct nla_policy vmm_group_domain_policy[VMMERGE_A_GROUP_MAX + 1] = {
	[VMMERGE_A_GROUP_NAME] = VMM_NAME_POLICY,
	[VMMERGE_A_GROUP_DOMAIN] = VMM_NAME_POLICY,
};

/* ---- VMs ---- */

const struct nla_policy vmm_region_policy[VMMERGE_A_REGION_MAX + 1] = {
	[VMMERGE_A_REGION_START] = { .type = NLA_U64 },
	[VMMERGE_A_REGION_LENGTH] = NLA_POLICY_MIN(NLA_U64, 1),
};

const struct nla_policy vmm_vm_add_policy[VMMERGE_A_VM_MAX + 1] = {
	[VMMERGE_A_VM_ID] = NLA_POLICY_MIN(NLA_U64, 1),
	[VMMERGE_A_VM_NAME] = { .type = NLA_NUL_STRING,
				.len = VMMERGE_VM_NAME_MAXLEN - 1 },
	[VMMERGE_A_VM_PID] = NLA_POLICY_MIN(NLA_U32, 1),
	[VMMERGE_A_VM_GROUP] = VMM_NAME_POLICY,
	[VMMERGE_A_VM_REGIONS] = NLA_POLICY_NESTED_ARRAY(vmm_region_policy),
};

const struct nla_policy vmm_vm_group_policy[VMMERGE_A_VM_MAX + 1] = {
	[VMMERGE_A_VM_ID] = NLA_POLICY_MIN(NLA_U64, 1),
	[VMMERGE_A_VM_GROUP] = VMM_NAME_POLICY,
};

const struct nla_policy vmm_vm_id_policy[VMMERGE_A_VM_MAX + 1] = {
	[VMMERGE_A_VM_ID] = NLA_POLICY_MIN(NLA_U64, 1),
};

/* ---- hints ---- */

const struct nla_policy vmm_hint_policy[VMMERGE_A_HINT_MAX + 1] = {
	[VMMERGE_A_HINT_GROUP] = VMM_NAME_POLICY,
	[VMMERGE_A_HINT_DOMAIN] = VMM_NAME_POLICY,
	[VMMERGE_A_HINT_SKETCH] = { .type = NLA_BINARY,
				    .len = VMMERGE_SKETCH_MAX * sizeof(u64) },
	[VMMERGE_A_HINT_PAGES] = { .type = NLA_U64 },
	[VMMERGE_A_HINT_ZERO_PAGES] = { .type = NLA_U64 },
};

const struct nla_policy vmm_sketch_policy[VMMERGE_A_HINT_MAX + 1] = {
	[VMMERGE_A_HINT_GROUP] = VMM_NAME_POLICY,
};

/* ---- top level: each operation's one nest ---- */

#define VMM_TOP_POLICY(_name, _attr, _nested)				\
	const struct nla_policy _name[VMMERGE_A_MAX + 1] = {		\
		[_attr] = NLA_POLICY_NESTED(_nested),			\
	}

/* GET_HOST takes no attribute at all. */
const struct nla_policy vmm_host_top_policy[VMMERGE_A_MAX + 1] = {};
VMM_TOP_POLICY(vmm_domain_name_top_policy, VMMERGE_A_DOMAIN, vmm_domain_name_policy);
VMM_TOP_POLICY(vmm_domain_flags_top_policy, VMMERGE_A_DOMAIN, vmm_domain_flags_policy);
VMM_TOP_POLICY(vmm_group_name_top_policy, VMMERGE_A_GROUP, vmm_group_name_policy);
VMM_TOP_POLICY(vmm_group_domain_top_policy, VMMERGE_A_GROUP, vmm_group_domain_policy);
VMM_TOP_POLICY(vmm_vm_add_top_policy, VMMERGE_A_VM, vmm_vm_add_policy);
VMM_TOP_POLICY(vmm_vm_group_top_policy, VMMERGE_A_VM, vmm_vm_group_policy);
VMM_TOP_POLICY(vmm_vm_id_top_policy, VMMERGE_A_VM, vmm_vm_id_policy);
VMM_TOP_POLICY(vmm_hint_top_policy, VMMERGE_A_HINT, vmm_hint_policy);
VMM_TOP_POLICY(vmm_sketch_top_policy, VMMERGE_A_HINT, vmm_sketch_policy);
