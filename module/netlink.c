// SPDX-License-Identifier: GPL-2.0
/*
 * DOC: netlink
 *
 * The "vmmerge" generic netlink family: its operations, its events and
 * its registration.  The uapi header draws every command's attribute tree.
 * Validation happens in two steps: the operation's own policy
 * (netlink_policy.c; strict: an attribute the command does not read is
 * rejected by the core before a handler sees it), then per-command checks
 * of what a policy cannot express (required attributes, names, alignment),
 * each reported through extack on the offending attribute.  A command that
 * fails changes nothing.  The handlers live in netlink_registry.c and
 * netlink_hints.c, the message helpers in netlink_msg.c.
 */
#include "compat.h"
#include "netlink.h"
#include "netlink_priv.h"
#include "registry.h"

/* ---- events ---- */

static void vmm_event(struct vmm_vm *vm, u8 cmd, bool with_state)
{
	struct sk_buff *skb = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	struct nlattr *nest;
	void *hdr;

	if (!skb)
		return;
	hdr = genlmsg_put(skb, 0, 0, &vmm_family, 0, cmd);
	nest = hdr ? nla_nest_start(skb, VMMERGE_A_VM) : NULL;
	if (!nest || vmm_put_vm_id(skb, vm) ||
	    (with_state && nla_put_u32(skb, VMMERGE_A_VM_STATE, vm->state)) ||
	    nla_put_string(skb, VMMERGE_A_VM_REASON, vm->reason)) {
		nlmsg_free(skb);
		return;
	}
	nla_nest_end(skb, nest);
	genlmsg_end(skb, hdr);
	genlmsg_multicast(&vmm_family, skb, 0, 0, GFP_KERNEL);
}

void vmm_nl_event_exited(struct vmm_vm *vm)
{
	vmm_event(vm, VMMERGE_CMD_VM_EXITED, false);
}

void vmm_nl_event_state(struct vmm_vm *vm)
{
	vmm_event(vm, VMMERGE_CMD_VM_STATE, true);
}

void vmm_nl_event_refused(struct vmm_vm *vm)
{
	vmm_event(vm, VMMERGE_CMD_VM_REFUSED, false);
}

/* ---- family ---- */

#define VMM_OP(_cmd, _doit, _dumpit, _policy, _flags)			\
	{ .cmd = (_cmd), .doit = (_doit), .dumpit = (_dumpit),		\
	  .policy = (_policy), .maxattr = VMMERGE_A_MAX, .flags = (_flags) }

/*
 * Every command but GET_HOST is for admins (GENL_ADMIN_PERM checks
 * CAP_NET_ADMIN, the handlers CAP_SYS_ADMIN as well): reads included, as
 * per-VM figures, sketches and hints describe other tenants.
 */
static const struct genl_ops vmm_ops[] = {
	VMM_OP(VMMERGE_CMD_GET_HOST, vmm_nl_get_host, NULL,
	       vmm_host_top_policy, 0),
	VMM_OP(VMMERGE_CMD_NEW_DOMAIN, vmm_nl_new_domain, NULL,
	       vmm_domain_flags_top_policy, GENL_ADMIN_PERM),
	VMM_OP(VMMERGE_CMD_SET_DOMAIN, vmm_nl_set_domain, NULL,
	       vmm_domain_flags_top_policy, GENL_ADMIN_PERM),
	VMM_OP(VMMERGE_CMD_DEL_DOMAIN, vmm_nl_del_domain, NULL,
	       vmm_domain_name_top_policy, GENL_ADMIN_PERM),
	VMM_OP(VMMERGE_CMD_GET_DOMAIN, vmm_nl_get_domain, vmm_nl_dump_domains,
	       vmm_domain_name_top_policy, GENL_ADMIN_PERM),
	VMM_OP(VMMERGE_CMD_NEW_GROUP, vmm_nl_new_group, NULL,
	       vmm_group_domain_top_policy, GENL_ADMIN_PERM),
	VMM_OP(VMMERGE_CMD_SET_GROUP, vmm_nl_set_group, NULL,
	       vmm_group_domain_top_policy, GENL_ADMIN_PERM),
	VMM_OP(VMMERGE_CMD_DEL_GROUP, vmm_nl_del_group, NULL,
	       vmm_group_name_top_policy, GENL_ADMIN_PERM),
	VMM_OP(VMMERGE_CMD_GET_GROUP, vmm_nl_get_group, vmm_nl_dump_groups,
	       vmm_group_name_top_policy, GENL_ADMIN_PERM),
	VMM_OP(VMMERGE_CMD_ADD_VM, vmm_nl_add_vm, NULL,
	       vmm_vm_add_top_policy, GENL_ADMIN_PERM),
	VMM_OP(VMMERGE_CMD_SET_VM, vmm_nl_set_vm, NULL,
	       vmm_vm_group_top_policy, GENL_ADMIN_PERM),
	VMM_OP(VMMERGE_CMD_DEL_VM, vmm_nl_del_vm, NULL,
	       vmm_vm_id_top_policy, GENL_ADMIN_PERM),
	VMM_OP(VMMERGE_CMD_GET_VM, vmm_nl_get_vm, vmm_nl_dump_vms,
	       vmm_vm_id_top_policy, GENL_ADMIN_PERM),
	VMM_OP(VMMERGE_CMD_GET_HINT, vmm_nl_get_hint, NULL,
	       vmm_hint_top_policy, GENL_ADMIN_PERM),
	VMM_OP(VMMERGE_CMD_GET_SKETCH, vmm_nl_get_sketch, NULL,
	       vmm_sketch_top_policy, GENL_ADMIN_PERM),
};

static const struct genl_multicast_group vmm_mcgrps[] = {
	{ .name = VMMERGE_MCGRP_EVENTS, .flags = VMM_MCGRP_ADMIN_FLAGS },
};

struct genl_family vmm_family __ro_after_init = {
	.name = VMMERGE_GENL_NAME,
	.version = VMMERGE_GENL_VERSION,
	.maxattr = VMMERGE_A_MAX,
	.module = THIS_MODULE,
	.ops = vmm_ops,
	.n_ops = ARRAY_SIZE(vmm_ops),
	.resv_start_op = VMMERGE_CMD_MAX + 1,
	.mcgrps = vmm_mcgrps,
	.n_mcgrps = ARRAY_SIZE(vmm_mcgrps),
	.parallel_ops = true,
};

int __init vmm_netlink_init(void)
{
	return genl_register_family(&vmm_family);
}

void vmm_netlink_exit(void)
{
	genl_unregister_family(&vmm_family);
}
