// SPDX-License-Identifier: GPL-2.0
/*
 * DOC: netlink registry
 *
 * The handlers of the registry's commands: the host's totals, domains,
 * groups and VMs.  Domains and groups are both named objects and share one
 * shape for what they have in common (find by name, delete, read, dump);
 * only creating and changing them differ.
 */
#include <linux/mm.h>

#include "enrol.h"
#include "knobs.h"
#include "netlink_priv.h"
#include "policy.h"
#include "registry.h"

/* ---- host ---- */

int vmm_nl_get_host(struct sk_buff *skb, struct genl_info *info)
{
	int ret;

	mutex_lock(&vmm_reg.lock);
	ret = vmm_reply(info, vmm_put_host, NULL);
	mutex_unlock(&vmm_reg.lock);
	return ret;
}

/* ---- named objects: domains and groups ---- */

/**
 * struct vmm_named - a kind of named object, for the handlers they share
 * @attr: its nest in requests and replies
 * @maxtype: the nest's highest attribute type
 * @name_attr: the attribute that names one
 * @name_policy: the nest's policy when a request names one and no more
 * @missing: extack message when @name_attr is missing
 * @exists: extack message when a new one's name is taken
 * @find: find one by name (under vmm_reg.lock)
 * @get: the same, with an extack message if there is none
 * @del: delete one (under vmm_reg.lock)
 * @put: reply builder
 * @list: the registry's list of them, for dumps
 * @offset: of the list_head in the object
 */
struct vmm_named {
	int attr;
	int maxtype;
	int name_attr;
	const struct nla_policy *name_policy;
	const char *missing;
	const char *exists;
	void *(*find)(const char *name);
	void *(*get)(const struct nlattr *name, struct netlink_ext_ack *extack);
	int (*del)(void *obj, struct netlink_ext_ack *extack);
	vmm_put_fn put;
	struct list_head *list;
	size_t offset;
};

#define VMM_NAMED_MAX (VMMERGE_A_DOMAIN_MAX > VMMERGE_A_GROUP_MAX ? \
		       VMMERGE_A_DOMAIN_MAX : VMMERGE_A_GROUP_MAX)

/* Like NL_SET_ERR_MSG*(), with a message that is not a literal here. */
static void vmm_named_err(struct netlink_ext_ack *extack, const char *msg)
{
	if (extack)
		extack->_msg = msg;
}

static void *vmm_named_domain_find(const char *name)
{
	return vmm_domain_find(name);
}

static void *vmm_named_group_find(const char *name)
{
	return vmm_group_find(name);
}

static void *vmm_named_domain_get(const struct nlattr *name,
				  struct netlink_ext_ack *extack)
{
	return vmm_domain_get(name, extack);
}

static int vmm_named_domain_del(void *domain, struct netlink_ext_ack *extack)
{
	return vmm_domain_del(domain, extack);
}

static void *vmm_named_group_get(const struct nlattr *name,
				 struct netlink_ext_ack *extack)
{
	return vmm_group_get(name, extack);
}

static int vmm_named_group_del(void *group, struct netlink_ext_ack *extack)
{
	return vmm_group_del(group, extack);
}

static const struct vmm_named vmm_named_domain = {
	.attr = VMMERGE_A_DOMAIN,
	.maxtype = VMMERGE_A_DOMAIN_MAX,
	.name_attr = VMMERGE_A_DOMAIN_NAME,
	.name_policy = vmm_domain_name_policy,
	.missing = "missing domain name",
	.exists = "domain exists",
	.find = vmm_named_domain_find,
	.get = vmm_named_domain_get,
	.del = vmm_named_domain_del,
	.put = vmm_put_domain,
	.list = &vmm_reg.domains,
	.offset = offsetof(struct vmm_domain, list),
};

static const struct vmm_named vmm_named_group = {
	.attr = VMMERGE_A_GROUP,
	.maxtype = VMMERGE_A_GROUP_MAX,
	.name_attr = VMMERGE_A_GROUP_NAME,
	.name_policy = vmm_group_name_policy,
	.missing = "missing group name",
	.exists = "group exists",
	.find = vmm_named_group_find,
	.get = vmm_named_group_get,
	.del = vmm_named_group_del,
	.put = vmm_put_group,
	.list = &vmm_reg.groups,
	.offset = offsetof(struct vmm_group, list),
};

/* Parse the request's nest with @policy; its name is required. */
static struct nlattr *vmm_named_nest(const struct vmm_named *kind,
				     struct genl_info *info,
				     const struct nla_policy *policy,
				     struct nlattr **tb)
{
	struct nlattr *nest = vmm_nest(info, kind->attr, kind->maxtype, policy, tb);

	if (nest && !tb[kind->name_attr]) {
		NL_SET_ERR_ATTR_MISS(info->extack, nest, kind->name_attr);
		vmm_named_err(info->extack, kind->missing);
		return NULL;
	}
	return nest;
}

/* NEW_*: the name must be printable and not taken (under vmm_reg.lock). */
static int vmm_named_new_check(const struct vmm_named *kind,
			       struct genl_info *info, struct nlattr **tb)
{
	const struct nlattr *name = tb[kind->name_attr];
	int ret = vmm_name_check(name, info->extack);

	if (ret)
		return ret;
	if (kind->find(nla_data(name))) {
		NL_SET_BAD_ATTR(info->extack, name);
		vmm_named_err(info->extack, kind->exists);
		return -EEXIST;
	}
	return 0;
}

static int vmm_named_del(const struct vmm_named *kind, struct sk_buff *skb,
			 struct genl_info *info)
{
	struct nlattr *tb[VMM_NAMED_MAX + 1];
	void *obj;
	int ret;

	if (vmm_admin(skb, info))
		return -EPERM;
	if (!vmm_named_nest(kind, info, kind->name_policy, tb))
		return -EINVAL;
	mutex_lock(&vmm_reg.lock);
	obj = kind->get(tb[kind->name_attr], info->extack);
	ret = obj ? kind->del(obj, info->extack) : -ENOENT;
	mutex_unlock(&vmm_reg.lock);
	return ret;
}

static int vmm_named_get(const struct vmm_named *kind, struct sk_buff *skb,
			 struct genl_info *info)
{
	struct nlattr *tb[VMM_NAMED_MAX + 1];
	void *obj;
	int ret;

	if (vmm_admin(skb, info))
		return -EPERM;
	if (!vmm_named_nest(kind, info, kind->name_policy, tb))
		return -EINVAL;
	mutex_lock(&vmm_reg.lock);
	obj = kind->get(tb[kind->name_attr], info->extack);
	ret = obj ? vmm_reply(info, kind->put, obj) : -ENOENT;
	mutex_unlock(&vmm_reg.lock);
	return ret;
}

/* ---- domains ---- */

int vmm_nl_new_domain(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *tb[VMM_NAMED_MAX + 1];
	u32 flags;
	int ret;

	if (vmm_admin(skb, info))
		return -EPERM;
	if (!vmm_named_nest(&vmm_named_domain, info, vmm_domain_flags_policy, tb))
		return -EINVAL;
	flags = tb[VMMERGE_A_DOMAIN_FLAGS] ? nla_get_u32(tb[VMMERGE_A_DOMAIN_FLAGS]) : 0;
	mutex_lock(&vmm_reg.lock);
	ret = vmm_named_new_check(&vmm_named_domain, info, tb);
	if (!ret)
		ret = vmm_domain_new(nla_data(tb[VMMERGE_A_DOMAIN_NAME]), flags,
				     info->extack);
	mutex_unlock(&vmm_reg.lock);
	return ret;
}

int vmm_nl_set_domain(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *tb[VMM_NAMED_MAX + 1];
	struct vmm_domain *domain;
	int ret = -ENOENT;

	if (vmm_admin(skb, info))
		return -EPERM;
	if (!vmm_named_nest(&vmm_named_domain, info, vmm_domain_flags_policy, tb) ||
	    !vmm_need(info->attrs[VMMERGE_A_DOMAIN], tb, VMMERGE_A_DOMAIN_FLAGS,
		      "missing domain flags", info->extack))
		return -EINVAL;
	mutex_lock(&vmm_reg.lock);
	domain = vmm_domain_get(tb[VMMERGE_A_DOMAIN_NAME], info->extack);
	if (domain)
		ret = vmm_domain_set(domain, nla_get_u32(tb[VMMERGE_A_DOMAIN_FLAGS]));
	mutex_unlock(&vmm_reg.lock);
	return ret;
}

int vmm_nl_del_domain(struct sk_buff *skb, struct genl_info *info)
{
	return vmm_named_del(&vmm_named_domain, skb, info);
}

int vmm_nl_get_domain(struct sk_buff *skb, struct genl_info *info)
{
	return vmm_named_get(&vmm_named_domain, skb, info);
}

int vmm_nl_dump_domains(struct sk_buff *skb, struct netlink_callback *cb)
{
	return vmm_dump_list(skb, cb, vmm_named_domain.list,
			     vmm_named_domain.offset, vmm_named_domain.put);
}

/* ---- groups ---- */

/* NEW_GROUP and SET_GROUP both name a group and its domain. */
static struct vmm_domain *vmm_group_request(struct genl_info *info,
					    struct nlattr **tb, int *ret)
{
	*ret = -EINVAL;
	if (!vmm_named_nest(&vmm_named_group, info, vmm_group_domain_policy, tb) ||
	    !vmm_need(info->attrs[VMMERGE_A_GROUP], tb, VMMERGE_A_GROUP_DOMAIN,
		      "missing group domain", info->extack))
		return NULL;
	*ret = -ENOENT;
	return vmm_domain_get(tb[VMMERGE_A_GROUP_DOMAIN], info->extack);
}

int vmm_nl_new_group(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *tb[VMM_NAMED_MAX + 1];
	struct vmm_domain *domain;
	int ret;

	if (vmm_admin(skb, info))
		return -EPERM;
	mutex_lock(&vmm_reg.lock);
	domain = vmm_group_request(info, tb, &ret);
	if (domain)
		ret = vmm_named_new_check(&vmm_named_group, info, tb);
	if (domain && !ret)
		ret = vmm_group_new(nla_data(tb[VMMERGE_A_GROUP_NAME]), domain,
				    info->extack);
	mutex_unlock(&vmm_reg.lock);
	return ret;
}

int vmm_nl_set_group(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *tb[VMM_NAMED_MAX + 1];
	struct vmm_domain *domain;
	struct vmm_group *group = NULL;
	int ret;

	if (vmm_admin(skb, info))
		return -EPERM;
	mutex_lock(&vmm_reg.lock);
	domain = vmm_group_request(info, tb, &ret);
	if (domain)
		group = vmm_group_get(tb[VMMERGE_A_GROUP_NAME], info->extack);
	if (group) {
		vmm_group_set(group, domain);
		ret = 0;
	}
	mutex_unlock(&vmm_reg.lock);
	return ret;
}

int vmm_nl_del_group(struct sk_buff *skb, struct genl_info *info)
{
	return vmm_named_del(&vmm_named_group, skb, info);
}

int vmm_nl_get_group(struct sk_buff *skb, struct genl_info *info)
{
	return vmm_named_get(&vmm_named_group, skb, info);
}

int vmm_nl_dump_groups(struct sk_buff *skb, struct netlink_callback *cb)
{
	return vmm_dump_list(skb, cb, vmm_named_group.list,
			     vmm_named_group.offset, vmm_named_group.put);
}

/* ---- VMs ---- */

static int vmm_parse_region(struct nlattr *attr, struct vmm_region *region,
			    struct netlink_ext_ack *extack)
{
	struct nlattr *tb[VMMERGE_A_REGION_MAX + 1];
	u64 start, len;
	int ret;

	ret = nla_parse_nested(tb, VMMERGE_A_REGION_MAX, attr, vmm_region_policy,
			       extack);
	if (ret)
		return ret;
	if (!vmm_need(attr, tb, VMMERGE_A_REGION_START, "missing region start",
		      extack) ||
	    !vmm_need(attr, tb, VMMERGE_A_REGION_LENGTH, "missing region length",
		      extack))
		return -EINVAL;
	start = nla_get_u64(tb[VMMERGE_A_REGION_START]);
	len = nla_get_u64(tb[VMMERGE_A_REGION_LENGTH]);
	if (!PAGE_ALIGNED(start)) {
		NL_SET_ERR_MSG_ATTR(extack, tb[VMMERGE_A_REGION_START],
				    "region start is not page aligned");
		return -EINVAL;
	}
	if (!PAGE_ALIGNED(len)) {
		NL_SET_ERR_MSG_ATTR(extack, tb[VMMERGE_A_REGION_LENGTH],
				    "region length is not page aligned");
		return -EINVAL;
	}
	if (start + len < start || start + len > TASK_SIZE_MAX) {
		NL_SET_ERR_MSG_ATTR(extack, tb[VMMERGE_A_REGION_LENGTH],
				    "region overflows the address space");
		return -ERANGE;
	}
	region->start = start;
	region->len = len;
	return 0;
}

static struct vmm_vm *vmm_parse_regions(struct nlattr *regions,
					struct netlink_ext_ack *extack)
{
	unsigned int nr = 0, max = READ_ONCE(vmm_knobs.max_regions);
	struct nlattr *attr;
	struct vmm_vm *vm;
	int rem, ret;

	nla_for_each_nested(attr, regions, rem)
		nr++;
	if (!nr) {
		NL_SET_ERR_MSG_ATTR(extack, regions, "no regions");
		return ERR_PTR(-EINVAL);
	}
	if (nr > max) {
		NL_SET_ERR_MSG_ATTR(extack, regions, "too many regions (see max_regions)");
		return ERR_PTR(-E2BIG);
	}
	vm = vmm_vm_alloc(nr);
	if (!vm)
		return ERR_PTR(-ENOMEM);
	nr = 0;
	nla_for_each_nested(attr, regions, rem) {
		ret = vmm_parse_region(attr, &vm->regions[nr++], extack);
		if (ret) {
			vmm_vm_free(vm);
			return ERR_PTR(ret);
		}
	}
	return vm;
}

static bool vmm_vm_need_all(struct nlattr *nest, struct nlattr **tb,
			    struct netlink_ext_ack *extack)
{
	return vmm_need(nest, tb, VMMERGE_A_VM_ID, "missing vm id", extack) &&
	       vmm_need(nest, tb, VMMERGE_A_VM_NAME, "missing vm name", extack) &&
	       vmm_need(nest, tb, VMMERGE_A_VM_PID, "missing vm pid", extack) &&
	       vmm_need(nest, tb, VMMERGE_A_VM_GROUP, "missing vm group", extack) &&
	       vmm_need(nest, tb, VMMERGE_A_VM_REGIONS, "missing vm regions", extack);
}

int vmm_nl_add_vm(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *tb[VMMERGE_A_VM_MAX + 1], *nest;
	struct vmm_vm *vm;
	int ret;

	if (vmm_admin(skb, info))
		return -EPERM;

	nest = vmm_nest(info, VMMERGE_A_VM, VMMERGE_A_VM_MAX, vmm_vm_add_policy, tb);
	if (!nest)
		return -EINVAL;
	if (!vmm_vm_need_all(nest, tb, info->extack))
		return -EINVAL;
	ret = vmm_name_check(tb[VMMERGE_A_VM_NAME], info->extack);
	if (ret)
		return ret;
	vm = vmm_parse_regions(tb[VMMERGE_A_VM_REGIONS], info->extack);
	if (IS_ERR(vm))
		return PTR_ERR(vm);
	vm->id = nla_get_u64(tb[VMMERGE_A_VM_ID]);
	vm->pid = nla_get_u32(tb[VMMERGE_A_VM_PID]);
	strscpy(vm->name, nla_data(tb[VMMERGE_A_VM_NAME]), sizeof(vm->name));

	mutex_lock(&vmm_reg.lock);
	vm->group = vmm_group_get(tb[VMMERGE_A_VM_GROUP], info->extack);
	ret = vm->group ? vmm_vm_add(vm, info->extack) : -ENOENT;
	mutex_unlock(&vmm_reg.lock);
	if (ret) {
		vm->group = NULL;
		vmm_vm_free(vm);
	}
	return ret;
}

int vmm_nl_set_vm(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *tb[VMMERGE_A_VM_MAX + 1], *nest;
	struct vmm_group *group = NULL;
	struct vmm_vm *vm;

	if (vmm_admin(skb, info))
		return -EPERM;

	nest = vmm_nest(info, VMMERGE_A_VM, VMMERGE_A_VM_MAX, vmm_vm_group_policy, tb);
	if (!nest)
		return -EINVAL;
	if (!vmm_need(nest, tb, VMMERGE_A_VM_ID, "missing vm id", info->extack) ||
	    !vmm_need(nest, tb, VMMERGE_A_VM_GROUP, "missing vm group", info->extack))
		return -EINVAL;
	mutex_lock(&vmm_reg.lock);
	vm = vmm_vm_get(tb[VMMERGE_A_VM_ID], info->extack);
	if (vm)
		group = vmm_group_get(tb[VMMERGE_A_VM_GROUP], info->extack);
	if (group)
		vmm_vm_set_group(vm, group);
	mutex_unlock(&vmm_reg.lock);
	return group ? 0 : -ENOENT;
}

int vmm_nl_del_vm(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *tb[VMMERGE_A_VM_MAX + 1], *nest;
	struct vmm_vm *vm;
	int ret;

	if (vmm_admin(skb, info))
		return -EPERM;

	nest = vmm_nest(info, VMMERGE_A_VM, VMMERGE_A_VM_MAX, vmm_vm_id_policy, tb);
	if (!nest)
		return -EINVAL;
	if (!vmm_need(nest, tb, VMMERGE_A_VM_ID, "missing vm id", info->extack))
		return -EINVAL;
	mutex_lock(&vmm_reg.lock);
	vm = vmm_vm_get(tb[VMMERGE_A_VM_ID], info->extack);
	ret = vm ? vmm_vm_ksm(vm, false) : -ENOENT;
	if (ret == -ESRCH)
		ret = 0;	/* its memory is gone, nothing left to merge */
	if (ret && vm) {
		/* Not removed while it can still merge: the policy retries. */
		NL_SET_ERR_MSG(info->extack, "un-merge failed, vm kept as unmerging");
		vmm_vm_set_state(vm, VMMERGE_VM_UNMERGING, "un-merge failed, retrying");
		vm = NULL;
	}
	if (vm) {
		vmm_vm_unlink(vm);
		vmm_policy_apply();
	}
	mutex_unlock(&vmm_reg.lock);
	if (vm)
		vmm_vm_destroy(vm);
	return ret;
}

int vmm_nl_get_vm(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *tb[VMMERGE_A_VM_MAX + 1], *nest;
	struct vmm_vm *vm;
	int ret = -ENOENT;

	if (vmm_admin(skb, info))
		return -EPERM;

	nest = vmm_nest(info, VMMERGE_A_VM, VMMERGE_A_VM_MAX, vmm_vm_id_policy, tb);
	if (!nest)
		return -EINVAL;
	if (!vmm_need(nest, tb, VMMERGE_A_VM_ID, "missing vm id", info->extack))
		return -EINVAL;
	mutex_lock(&vmm_reg.lock);
	vm = vmm_vm_get(tb[VMMERGE_A_VM_ID], info->extack);
	if (vm)
		ret = vmm_reply_size(info, vmm_put_vm, vm, vmm_vm_msg_size(vm));
	mutex_unlock(&vmm_reg.lock);
	return ret;
}

int vmm_nl_dump_vms(struct sk_buff *skb, struct netlink_callback *cb)
{
	return vmm_dump_list(skb, cb, &vmm_reg.vms, offsetof(struct vmm_vm, list),
			     vmm_put_vm);
}
