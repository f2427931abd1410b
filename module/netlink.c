// SPDX-License-Identifier: GPL-2.0
/*
 * DOC: netlink
 *
 * The uapi header draws every command's attribute tree.  Validation happens
 * in two steps: the policies below (strict: unknown or read-only attributes
 * are rejected by the core before we see them), then per-command checks of
 * what a policy cannot express (required attributes, names, alignment),
 * each reported through extack on the offending attribute.  A command that
 * fails changes nothing.
 */
#include <linux/ctype.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <net/genetlink.h>

#include "compat.h"
#include "enrol.h"
#include "hints.h"
#include "knobs.h"
#include "netlink.h"
#include "policy.h"
#include "registry.h"
#include "stats.h"

static struct genl_family vmm_family;

static const struct nla_policy vmm_domain_policy[VMMERGE_A_DOMAIN_MAX + 1] = {
	[VMMERGE_A_DOMAIN_NAME] = { .type = NLA_NUL_STRING,
				    .len = VMMERGE_NAME_MAXLEN - 1 },
	[VMMERGE_A_DOMAIN_FLAGS] = NLA_POLICY_MASK(NLA_U32, __VMMERGE_DOMAIN_F_ALL),
	[VMMERGE_A_DOMAIN_STATS] = { .type = NLA_REJECT },
	[VMMERGE_A_DOMAIN_ESTIMATE] = { .type = NLA_REJECT },
};

static const struct nla_policy vmm_group_policy[VMMERGE_A_GROUP_MAX + 1] = {
	[VMMERGE_A_GROUP_NAME] = { .type = NLA_NUL_STRING,
				   .len = VMMERGE_NAME_MAXLEN - 1 },
	[VMMERGE_A_GROUP_DOMAIN] = { .type = NLA_NUL_STRING,
				     .len = VMMERGE_NAME_MAXLEN - 1 },
	[VMMERGE_A_GROUP_STATS] = { .type = NLA_REJECT },
	[VMMERGE_A_GROUP_ESTIMATE] = { .type = NLA_REJECT },
};

static const struct nla_policy vmm_region_policy[VMMERGE_A_REGION_MAX + 1] = {
	[VMMERGE_A_REGION_START] = { .type = NLA_U64 },
	[VMMERGE_A_REGION_LENGTH] = NLA_POLICY_MIN(NLA_U64, 1),
};

static const struct nla_policy vmm_vm_policy[VMMERGE_A_VM_MAX + 1] = {
	[VMMERGE_A_VM_ID] = NLA_POLICY_MIN(NLA_U64, 1),
	[VMMERGE_A_VM_NAME] = { .type = NLA_NUL_STRING,
				.len = VMMERGE_VM_NAME_MAXLEN - 1 },
	[VMMERGE_A_VM_PID] = NLA_POLICY_MIN(NLA_U32, 1),
	[VMMERGE_A_VM_GROUP] = { .type = NLA_NUL_STRING,
				 .len = VMMERGE_NAME_MAXLEN - 1 },
	[VMMERGE_A_VM_REGIONS] = NLA_POLICY_NESTED_ARRAY(vmm_region_policy),
	[VMMERGE_A_VM_DOMAIN] = { .type = NLA_REJECT },
	[VMMERGE_A_VM_STATE] = { .type = NLA_REJECT },
	[VMMERGE_A_VM_REASON] = { .type = NLA_REJECT },
	[VMMERGE_A_VM_NODE] = { .type = NLA_REJECT },
	[VMMERGE_A_VM_STATS] = { .type = NLA_REJECT },
	[VMMERGE_A_VM_ESTIMATE] = { .type = NLA_REJECT },
};

static const struct nla_policy vmm_hint_policy[VMMERGE_A_HINT_MAX + 1] = {
	[VMMERGE_A_HINT_GROUP] = { .type = NLA_NUL_STRING,
				   .len = VMMERGE_NAME_MAXLEN - 1 },
	[VMMERGE_A_HINT_DOMAIN] = { .type = NLA_NUL_STRING,
				    .len = VMMERGE_NAME_MAXLEN - 1 },
	[VMMERGE_A_HINT_SKETCH] = { .type = NLA_BINARY,
				    .len = VMMERGE_SKETCH_MAX * sizeof(u64) },
	[VMMERGE_A_HINT_PAGES] = { .type = NLA_U64 },
	[VMMERGE_A_HINT_ZERO_PAGES] = { .type = NLA_U64 },
	[VMMERGE_A_HINT_SCOPES] = { .type = NLA_REJECT },
};

static const struct nla_policy vmm_policy[VMMERGE_A_MAX + 1] = {
	[VMMERGE_A_DOMAIN] = NLA_POLICY_NESTED(vmm_domain_policy),
	[VMMERGE_A_GROUP] = NLA_POLICY_NESTED(vmm_group_policy),
	[VMMERGE_A_VM] = NLA_POLICY_NESTED(vmm_vm_policy),
	[VMMERGE_A_HOST] = { .type = NLA_REJECT },
	[VMMERGE_A_HINT] = NLA_POLICY_NESTED(vmm_hint_policy),
};

/* ---- request parsing helpers ---- */

static struct nlattr *vmm_nest(struct genl_info *info, int attr, int maxtype,
			       const struct nla_policy *policy,
			       struct nlattr **tb)
{
	if (GENL_REQ_ATTR_CHECK(info, attr))
		return NULL;
	if (nla_parse_nested(tb, maxtype, info->attrs[attr], policy, info->extack))
		return NULL;
	return info->attrs[attr];
}

/* A required attribute: extack names it, as type and nest, and in words. */
#define vmm_need(nest, tb, type, msg, extack) ({			\
	bool __present = !!(tb)[type];					\
									\
	if (!__present) {						\
		NL_SET_ERR_ATTR_MISS(extack, nest, type);		\
		NL_SET_ERR_MSG(extack, msg);				\
	}								\
	__present;							\
})

/* Names are identifiers in tables and metric labels: no spaces or controls. */
static int vmm_name_check(const struct nlattr *attr, struct netlink_ext_ack *extack)
{
	const char *name = nla_data(attr);
	size_t i, len = strlen(name);

	if (!len) {
		NL_SET_ERR_MSG_ATTR(extack, attr, "name is empty");
		return -EINVAL;
	}
	for (i = 0; i < len; i++) {
		if (!isgraph(name[i])) {
			NL_SET_ERR_MSG_ATTR(extack, attr,
					    "name must be printable, without spaces");
			return -EINVAL;
		}
	}
	return 0;
}

static struct vmm_domain *vmm_domain_get(const struct nlattr *attr,
					 struct netlink_ext_ack *extack)
{
	struct vmm_domain *domain = vmm_domain_find(nla_data(attr));

	if (!domain)
		NL_SET_ERR_MSG_ATTR(extack, attr, "no such domain");
	return domain;
}

static struct vmm_group *vmm_group_get(const struct nlattr *attr,
				       struct netlink_ext_ack *extack)
{
	struct vmm_group *group = vmm_group_find(nla_data(attr));

	if (!group)
		NL_SET_ERR_MSG_ATTR(extack, attr, "no such group");
	return group;
}

static struct vmm_vm *vmm_vm_get(const struct nlattr *attr,
				 struct netlink_ext_ack *extack)
{
	struct vmm_vm *vm = vmm_vm_find(nla_get_u64(attr));

	if (!vm)
		NL_SET_ERR_MSG_ATTR(extack, attr, "no such VM");
	return vm;
}

/* ---- message building ---- */

static int vmm_put_stats(struct sk_buff *skb, int attr,
			 const struct vmm_stats *stats, unsigned long at)
{
	struct nlattr *nest = nla_nest_start(skb, attr);
	u64 age = at ? jiffies_to_msecs(jiffies - at) : U64_MAX;

	if (!nest ||
	    nla_put_u64_64bit(skb, VMMERGE_A_STATS_RESIDENT, stats->resident,
			      VMMERGE_A_STATS_PAD) ||
	    nla_put_u64_64bit(skb, VMMERGE_A_STATS_MERGED, stats->merged,
			      VMMERGE_A_STATS_PAD) ||
	    nla_put_u64_64bit(skb, VMMERGE_A_STATS_SAVED,
			      vmm_stats_saved_pages(stats), VMMERGE_A_STATS_PAD) ||
	    nla_put_u64_64bit(skb, VMMERGE_A_STATS_ZERO, stats->zero,
			      VMMERGE_A_STATS_PAD) ||
	    nla_put_u64_64bit(skb, VMMERGE_A_STATS_REFRESHED_MS, age,
			      VMMERGE_A_STATS_PAD))
		return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

static int vmm_put_estimate(struct sk_buff *skb, int attr,
			    const struct vmm_estimate *est)
{
	struct nlattr *nest = nla_nest_start(skb, attr);

	if (!nest ||
	    nla_put_u64_64bit(skb, VMMERGE_A_ESTIMATE_SAMPLES, est->samples,
			      VMMERGE_A_ESTIMATE_PAD) ||
	    nla_put_u64_64bit(skb, VMMERGE_A_ESTIMATE_PRESENT, est->present,
			      VMMERGE_A_ESTIMATE_PAD) ||
	    nla_put_u64_64bit(skb, VMMERGE_A_ESTIMATE_ZERO, est->zero,
			      VMMERGE_A_ESTIMATE_PAD) ||
	    nla_put_u64_64bit(skb, VMMERGE_A_ESTIMATE_DUP_VM, est->dup_vm,
			      VMMERGE_A_ESTIMATE_PAD) ||
	    nla_put_u64_64bit(skb, VMMERGE_A_ESTIMATE_DUP_GROUP, est->dup_group,
			      VMMERGE_A_ESTIMATE_PAD) ||
	    nla_put_u64_64bit(skb, VMMERGE_A_ESTIMATE_DUP_DOMAIN, est->dup_domain,
			      VMMERGE_A_ESTIMATE_PAD) ||
	    nla_put_u32(skb, VMMERGE_A_ESTIMATE_YIELD_PERMILLE,
			vmm_estimate_yield_permille(est)) ||
	    nla_put_u64_64bit(skb, VMMERGE_A_ESTIMATE_PAGES, est->pages,
			      VMMERGE_A_ESTIMATE_PAD))
		return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

static int vmm_put_domain(struct sk_buff *skb, const struct vmm_domain *domain)
{
	struct nlattr *nest = nla_nest_start(skb, VMMERGE_A_DOMAIN);

	if (!nest ||
	    nla_put_string(skb, VMMERGE_A_DOMAIN_NAME, domain->name) ||
	    nla_put_u32(skb, VMMERGE_A_DOMAIN_FLAGS, domain->flags) ||
	    vmm_put_stats(skb, VMMERGE_A_DOMAIN_STATS, &domain->stats,
			  vmm_reg.stats_jiffies) ||
	    vmm_put_estimate(skb, VMMERGE_A_DOMAIN_ESTIMATE, &domain->est))
		return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

static int vmm_put_group(struct sk_buff *skb, const struct vmm_group *group)
{
	struct nlattr *nest = nla_nest_start(skb, VMMERGE_A_GROUP);

	if (!nest ||
	    nla_put_string(skb, VMMERGE_A_GROUP_NAME, group->name) ||
	    nla_put_string(skb, VMMERGE_A_GROUP_DOMAIN, group->domain->name) ||
	    vmm_put_stats(skb, VMMERGE_A_GROUP_STATS, &group->stats,
			  vmm_reg.stats_jiffies) ||
	    vmm_put_estimate(skb, VMMERGE_A_GROUP_ESTIMATE, &group->est))
		return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

static int vmm_put_regions(struct sk_buff *skb, const struct vmm_vm *vm)
{
	struct nlattr *nest = nla_nest_start(skb, VMMERGE_A_VM_REGIONS), *region;
	unsigned int i;

	if (!nest)
		return -EMSGSIZE;
	for (i = 0; i < vm->nr_regions; i++) {
		region = nla_nest_start(skb, i);
		if (!region ||
		    nla_put_u64_64bit(skb, VMMERGE_A_REGION_START,
				      vm->regions[i].start, VMMERGE_A_REGION_UNSPEC) ||
		    nla_put_u64_64bit(skb, VMMERGE_A_REGION_LENGTH,
				      vm->regions[i].len, VMMERGE_A_REGION_UNSPEC))
			return -EMSGSIZE;
		nla_nest_end(skb, region);
	}
	nla_nest_end(skb, nest);
	return 0;
}

/* The identity of a VM, as every event carries it. */
static int vmm_put_vm_id(struct sk_buff *skb, const struct vmm_vm *vm)
{
	if (nla_put_u64_64bit(skb, VMMERGE_A_VM_ID, vm->id, VMMERGE_A_VM_UNSPEC) ||
	    nla_put_string(skb, VMMERGE_A_VM_NAME, vm->name) ||
	    nla_put_u32(skb, VMMERGE_A_VM_PID, vm->pid))
		return -EMSGSIZE;
	return 0;
}

static int vmm_put_vm(struct sk_buff *skb, const struct vmm_vm *vm)
{
	struct nlattr *nest = nla_nest_start(skb, VMMERGE_A_VM);

	if (!nest || vmm_put_vm_id(skb, vm) ||
	    nla_put_string(skb, VMMERGE_A_VM_GROUP, vm->group->name) ||
	    nla_put_string(skb, VMMERGE_A_VM_DOMAIN, vm->group->domain->name) ||
	    nla_put_u32(skb, VMMERGE_A_VM_STATE, vm->state) ||
	    nla_put_string(skb, VMMERGE_A_VM_REASON, vm->reason) ||
	    nla_put_u32(skb, VMMERGE_A_VM_NODE,
			vm->node == NUMA_NO_NODE ? U32_MAX : vm->node) ||
	    vmm_put_regions(skb, vm) ||
	    vmm_put_stats(skb, VMMERGE_A_VM_STATS, &vm->stats, vm->stats_jiffies) ||
	    vmm_put_estimate(skb, VMMERGE_A_VM_ESTIMATE, &vm->scan.est))
		return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

static int vmm_put_host(struct sk_buff *skb)
{
	const struct vmm_ksm_counters *ksm = &vmm_ksm_counters;
	struct nlattr *nest = nla_nest_start(skb, VMMERGE_A_HOST);

	if (!nest ||
	    nla_put_string(skb, VMMERGE_A_HOST_VERSION, VMMERGE_VERSION) ||
	    nla_put_u32(skb, VMMERGE_A_HOST_NR_DOMAINS, vmm_reg.nr_domains) ||
	    nla_put_u32(skb, VMMERGE_A_HOST_NR_GROUPS, vmm_reg.nr_groups) ||
	    nla_put_u32(skb, VMMERGE_A_HOST_NR_VMS, vmm_reg.nr_vms) ||
	    nla_put_u32(skb, VMMERGE_A_HOST_NR_ENROLLED, vmm_reg.nr_enrolled) ||
	    vmm_put_stats(skb, VMMERGE_A_HOST_STATS, &vmm_reg.stats,
			  vmm_reg.stats_jiffies) ||
	    nla_put_u64_64bit(skb, VMMERGE_A_HOST_KSM_PAGES_SHARED,
			      ksm->pages_shared, VMMERGE_A_HOST_PAD) ||
	    nla_put_u64_64bit(skb, VMMERGE_A_HOST_KSM_PAGES_SHARING,
			      ksm->pages_sharing, VMMERGE_A_HOST_PAD) ||
	    nla_put_u64_64bit(skb, VMMERGE_A_HOST_KSM_PAGES_UNSHARED,
			      ksm->pages_unshared, VMMERGE_A_HOST_PAD) ||
	    nla_put_u64_64bit(skb, VMMERGE_A_HOST_KSM_FULL_SCANS,
			      ksm->full_scans, VMMERGE_A_HOST_PAD) ||
	    nla_put_u32(skb, VMMERGE_A_HOST_KSM_MERGE_ACROSS_NODES,
			ksm->merge_across_nodes) ||
	    vmm_put_estimate(skb, VMMERGE_A_HOST_ESTIMATE, &vmm_reg.est))
		return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

typedef int (*vmm_put_fn)(struct sk_buff *skb, const void *obj);

/* Reply to a "do" with one object. */
static int vmm_reply(struct genl_info *info, vmm_put_fn put, const void *obj)
{
	struct sk_buff *skb = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	void *hdr;

	if (!skb)
		return -ENOMEM;
	hdr = genlmsg_put_reply(skb, info, &vmm_family, 0, info->genlhdr->cmd);
	if (!hdr || put(skb, obj)) {
		nlmsg_free(skb);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return genlmsg_reply(skb, info);
}

static int vmm_put_host_fn(struct sk_buff *skb, const void *unused)
{
	return vmm_put_host(skb);
}

static int vmm_put_domain_fn(struct sk_buff *skb, const void *obj)
{
	return vmm_put_domain(skb, obj);
}

static int vmm_put_group_fn(struct sk_buff *skb, const void *obj)
{
	return vmm_put_group(skb, obj);
}

static int vmm_put_vm_fn(struct sk_buff *skb, const void *obj)
{
	return vmm_put_vm(skb, obj);
}

/*
 * Dump one list; cb->args[0] is how many entries earlier messages carried.
 * Entries added or removed between two parts may be missed or repeated, as
 * in every netlink dump; the registry's small size keeps that rare.
 */
static int vmm_dump_list(struct sk_buff *skb, struct netlink_callback *cb,
			 struct list_head *head, size_t offset, vmm_put_fn put)
{
	long skip = cb->args[0], idx = 0;
	struct list_head *pos;
	int ret = 0;
	void *hdr;

	if (!netlink_capable(cb->skb, CAP_SYS_ADMIN))
		return -EPERM;
	mutex_lock(&vmm_reg.lock);
	list_for_each(pos, head) {
		if (idx++ < skip)
			continue;
		hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid,
				  cb->nlh->nlmsg_seq, &vmm_family, NLM_F_MULTI,
				  ((struct genlmsghdr *)nlmsg_data(cb->nlh))->cmd);
		if (hdr && put(skb, (char *)pos - offset)) {
			genlmsg_cancel(skb, hdr);
			hdr = NULL;
		}
		if (!hdr) {
			/* An entry that does not fit an empty message never will. */
			if (idx - 1 == cb->args[0])
				ret = -EMSGSIZE;
			break;
		}
		genlmsg_end(skb, hdr);
		cb->args[0] = idx;
	}
	mutex_unlock(&vmm_reg.lock);
	return ret ?: skb->len;
}

/*
 * GENL_ADMIN_PERM checks CAP_NET_ADMIN; changing what gets merged is a
 * memory-management decision, so we also want CAP_SYS_ADMIN.  Reading is
 * admin-only too, but for the host's totals: per-VM pids, addresses,
 * states, sketches and hints would tell one tenant about the others.
 */
static int vmm_admin(struct sk_buff *skb, struct genl_info *info)
{
	if (netlink_capable(skb, CAP_SYS_ADMIN))
		return 0;
	NL_SET_ERR_MSG(info->extack, "CAP_SYS_ADMIN is required");
	return -EPERM;
}

/* ---- host ---- */

static int vmm_get_host(struct sk_buff *skb, struct genl_info *info)
{
	int ret;

	mutex_lock(&vmm_reg.lock);
	ret = vmm_reply(info, vmm_put_host_fn, NULL);
	mutex_unlock(&vmm_reg.lock);
	return ret;
}

/* ---- domains ---- */

static int vmm_new_domain(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *tb[VMMERGE_A_DOMAIN_MAX + 1], *nest;
	u32 flags = 0;
	int ret;

	if (vmm_admin(skb, info))
		return -EPERM;

	nest = vmm_nest(info, VMMERGE_A_DOMAIN, VMMERGE_A_DOMAIN_MAX,
			vmm_domain_policy, tb);
	if (!nest)
		return -EINVAL;
	if (!vmm_need(nest, tb, VMMERGE_A_DOMAIN_NAME, "missing domain name",
		      info->extack))
		return -EINVAL;
	ret = vmm_name_check(tb[VMMERGE_A_DOMAIN_NAME], info->extack);
	if (ret)
		return ret;
	if (tb[VMMERGE_A_DOMAIN_FLAGS])
		flags = nla_get_u32(tb[VMMERGE_A_DOMAIN_FLAGS]);
	mutex_lock(&vmm_reg.lock);
	if (vmm_domain_find(nla_data(tb[VMMERGE_A_DOMAIN_NAME]))) {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[VMMERGE_A_DOMAIN_NAME],
				    "domain exists");
		ret = -EEXIST;
	} else {
		ret = vmm_domain_new(nla_data(tb[VMMERGE_A_DOMAIN_NAME]), flags,
				     info->extack);
	}
	mutex_unlock(&vmm_reg.lock);
	return ret;
}

static int vmm_set_domain(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *tb[VMMERGE_A_DOMAIN_MAX + 1], *nest;
	struct vmm_domain *domain;
	int ret = -ENOENT;

	if (vmm_admin(skb, info))
		return -EPERM;

	nest = vmm_nest(info, VMMERGE_A_DOMAIN, VMMERGE_A_DOMAIN_MAX,
			vmm_domain_policy, tb);
	if (!nest)
		return -EINVAL;
	if (!vmm_need(nest, tb, VMMERGE_A_DOMAIN_NAME, "missing domain name",
		      info->extack) ||
	    !vmm_need(nest, tb, VMMERGE_A_DOMAIN_FLAGS, "missing domain flags",
		      info->extack))
		return -EINVAL;
	mutex_lock(&vmm_reg.lock);
	domain = vmm_domain_get(tb[VMMERGE_A_DOMAIN_NAME], info->extack);
	if (domain)
		ret = vmm_domain_set(domain, nla_get_u32(tb[VMMERGE_A_DOMAIN_FLAGS]));
	mutex_unlock(&vmm_reg.lock);
	return ret;
}

static int vmm_del_domain(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *tb[VMMERGE_A_DOMAIN_MAX + 1], *nest;
	struct vmm_domain *domain;
	int ret = -ENOENT;

	if (vmm_admin(skb, info))
		return -EPERM;

	nest = vmm_nest(info, VMMERGE_A_DOMAIN, VMMERGE_A_DOMAIN_MAX,
			vmm_domain_policy, tb);
	if (!nest)
		return -EINVAL;
	if (!vmm_need(nest, tb, VMMERGE_A_DOMAIN_NAME, "missing domain name",
		      info->extack))
		return -EINVAL;
	mutex_lock(&vmm_reg.lock);
	domain = vmm_domain_get(tb[VMMERGE_A_DOMAIN_NAME], info->extack);
	if (domain)
		ret = vmm_domain_del(domain, info->extack);
	mutex_unlock(&vmm_reg.lock);
	return ret;
}

static int vmm_get_domain(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *tb[VMMERGE_A_DOMAIN_MAX + 1], *nest;
	struct vmm_domain *domain;
	int ret = -ENOENT;

	if (vmm_admin(skb, info))
		return -EPERM;

	nest = vmm_nest(info, VMMERGE_A_DOMAIN, VMMERGE_A_DOMAIN_MAX,
			vmm_domain_policy, tb);
	if (!nest)
		return -EINVAL;
	if (!vmm_need(nest, tb, VMMERGE_A_DOMAIN_NAME, "missing domain name",
		      info->extack))
		return -EINVAL;
	mutex_lock(&vmm_reg.lock);
	domain = vmm_domain_get(tb[VMMERGE_A_DOMAIN_NAME], info->extack);
	if (domain)
		ret = vmm_reply(info, vmm_put_domain_fn, domain);
	mutex_unlock(&vmm_reg.lock);
	return ret;
}

static int vmm_dump_domains(struct sk_buff *skb, struct netlink_callback *cb)
{
	return vmm_dump_list(skb, cb, &vmm_reg.domains,
			     offsetof(struct vmm_domain, list), vmm_put_domain_fn);
}

/* ---- groups ---- */

static int vmm_new_group(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *tb[VMMERGE_A_GROUP_MAX + 1], *nest;
	struct vmm_domain *domain;
	int ret;

	if (vmm_admin(skb, info))
		return -EPERM;

	nest = vmm_nest(info, VMMERGE_A_GROUP, VMMERGE_A_GROUP_MAX,
			vmm_group_policy, tb);
	if (!nest)
		return -EINVAL;
	if (!vmm_need(nest, tb, VMMERGE_A_GROUP_NAME, "missing group name",
		      info->extack) ||
	    !vmm_need(nest, tb, VMMERGE_A_GROUP_DOMAIN, "missing group domain",
		      info->extack))
		return -EINVAL;
	ret = vmm_name_check(tb[VMMERGE_A_GROUP_NAME], info->extack);
	if (ret)
		return ret;
	mutex_lock(&vmm_reg.lock);
	domain = vmm_domain_get(tb[VMMERGE_A_GROUP_DOMAIN], info->extack);
	if (!domain) {
		ret = -ENOENT;
	} else if (vmm_group_find(nla_data(tb[VMMERGE_A_GROUP_NAME]))) {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[VMMERGE_A_GROUP_NAME],
				    "group exists");
		ret = -EEXIST;
	} else {
		ret = vmm_group_new(nla_data(tb[VMMERGE_A_GROUP_NAME]), domain,
				    info->extack);
	}
	mutex_unlock(&vmm_reg.lock);
	return ret;
}

static int vmm_set_group(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *tb[VMMERGE_A_GROUP_MAX + 1], *nest;
	struct vmm_domain *domain;
	struct vmm_group *group;
	int ret = -ENOENT;

	if (vmm_admin(skb, info))
		return -EPERM;

	nest = vmm_nest(info, VMMERGE_A_GROUP, VMMERGE_A_GROUP_MAX,
			vmm_group_policy, tb);
	if (!nest)
		return -EINVAL;
	if (!vmm_need(nest, tb, VMMERGE_A_GROUP_NAME, "missing group name",
		      info->extack) ||
	    !vmm_need(nest, tb, VMMERGE_A_GROUP_DOMAIN, "missing group domain",
		      info->extack))
		return -EINVAL;
	mutex_lock(&vmm_reg.lock);
	group = vmm_group_get(tb[VMMERGE_A_GROUP_NAME], info->extack);
	domain = group ? vmm_domain_get(tb[VMMERGE_A_GROUP_DOMAIN], info->extack) :
			 NULL;
	if (domain) {
		vmm_group_set(group, domain);
		ret = 0;
	}
	mutex_unlock(&vmm_reg.lock);
	return ret;
}

static int vmm_del_group(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *tb[VMMERGE_A_GROUP_MAX + 1], *nest;
	struct vmm_group *group;
	int ret = -ENOENT;

	if (vmm_admin(skb, info))
		return -EPERM;

	nest = vmm_nest(info, VMMERGE_A_GROUP, VMMERGE_A_GROUP_MAX,
			vmm_group_policy, tb);
	if (!nest)
		return -EINVAL;
	if (!vmm_need(nest, tb, VMMERGE_A_GROUP_NAME, "missing group name",
		      info->extack))
		return -EINVAL;
	mutex_lock(&vmm_reg.lock);
	group = vmm_group_get(tb[VMMERGE_A_GROUP_NAME], info->extack);
	if (group)
		ret = vmm_group_del(group, info->extack);
	mutex_unlock(&vmm_reg.lock);
	return ret;
}

static int vmm_get_group(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *tb[VMMERGE_A_GROUP_MAX + 1], *nest;
	struct vmm_group *group;
	int ret = -ENOENT;

	if (vmm_admin(skb, info))
		return -EPERM;

	nest = vmm_nest(info, VMMERGE_A_GROUP, VMMERGE_A_GROUP_MAX,
			vmm_group_policy, tb);
	if (!nest)
		return -EINVAL;
	if (!vmm_need(nest, tb, VMMERGE_A_GROUP_NAME, "missing group name",
		      info->extack))
		return -EINVAL;
	mutex_lock(&vmm_reg.lock);
	group = vmm_group_get(tb[VMMERGE_A_GROUP_NAME], info->extack);
	if (group)
		ret = vmm_reply(info, vmm_put_group_fn, group);
	mutex_unlock(&vmm_reg.lock);
	return ret;
}

static int vmm_dump_groups(struct sk_buff *skb, struct netlink_callback *cb)
{
	return vmm_dump_list(skb, cb, &vmm_reg.groups,
			     offsetof(struct vmm_group, list), vmm_put_group_fn);
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

static int vmm_add_vm(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *tb[VMMERGE_A_VM_MAX + 1], *nest;
	struct vmm_vm *vm;
	int ret;

	if (vmm_admin(skb, info))
		return -EPERM;

	nest = vmm_nest(info, VMMERGE_A_VM, VMMERGE_A_VM_MAX, vmm_vm_policy, tb);
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

static int vmm_set_vm(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *tb[VMMERGE_A_VM_MAX + 1], *nest;
	struct vmm_group *group = NULL;
	struct vmm_vm *vm;

	if (vmm_admin(skb, info))
		return -EPERM;

	nest = vmm_nest(info, VMMERGE_A_VM, VMMERGE_A_VM_MAX, vmm_vm_policy, tb);
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

static int vmm_del_vm(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *tb[VMMERGE_A_VM_MAX + 1], *nest;
	struct vmm_vm *vm;
	int ret;

	if (vmm_admin(skb, info))
		return -EPERM;

	nest = vmm_nest(info, VMMERGE_A_VM, VMMERGE_A_VM_MAX, vmm_vm_policy, tb);
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

static int vmm_get_vm(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *tb[VMMERGE_A_VM_MAX + 1], *nest;
	struct vmm_vm *vm;
	int ret = -ENOENT;

	if (vmm_admin(skb, info))
		return -EPERM;

	nest = vmm_nest(info, VMMERGE_A_VM, VMMERGE_A_VM_MAX, vmm_vm_policy, tb);
	if (!nest)
		return -EINVAL;
	if (!vmm_need(nest, tb, VMMERGE_A_VM_ID, "missing vm id", info->extack))
		return -EINVAL;
	mutex_lock(&vmm_reg.lock);
	vm = vmm_vm_get(tb[VMMERGE_A_VM_ID], info->extack);
	if (vm)
		ret = vmm_reply(info, vmm_put_vm_fn, vm);
	mutex_unlock(&vmm_reg.lock);
	return ret;
}

static int vmm_dump_vms(struct sk_buff *skb, struct netlink_callback *cb)
{
	return vmm_dump_list(skb, cb, &vmm_reg.vms, offsetof(struct vmm_vm, list),
			     vmm_put_vm_fn);
}

/* ---- placement hints ---- */

/* A sketch must be what GET_SKETCH produces: sorted, unique u64s. */
static int vmm_sketch_check(const struct nlattr *attr, struct netlink_ext_ack *extack)
{
	const u64 *v = nla_data(attr);
	size_t i, n = nla_len(attr) / sizeof(u64);

	if (!nla_len(attr) || nla_len(attr) % sizeof(u64)) {
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "sketch size is not a non-zero multiple of 8");
		return -EINVAL;
	}
	for (i = 0; i < n; i++) {
		if (v[i] < VMM_FP_FIRST) {
			NL_SET_ERR_MSG_ATTR(extack, attr, "sketch entry out of range");
			return -EINVAL;
		}
		if (i && v[i] == v[i - 1]) {
			NL_SET_ERR_MSG_ATTR(extack, attr, "sketch has duplicate entries");
			return -EINVAL;
		}
		if (i && v[i] < v[i - 1]) {
			NL_SET_ERR_MSG_ATTR(extack, attr, "sketch is not sorted");
			return -EINVAL;
		}
	}
	return 0;
}

static int vmm_put_scope(struct sk_buff *skb, unsigned int i,
			 const struct vmm_hint_scope *s)
{
	struct nlattr *nest = nla_nest_start(skb, i);

	if (!nest ||
	    nla_put_u32(skb, VMMERGE_A_SCOPE_NODE, s->node) ||
	    nla_put_u32(skb, VMMERGE_A_SCOPE_MATCHED, s->matched) ||
	    nla_put_u32(skb, VMMERGE_A_SCOPE_PERMILLE, s->permille) ||
	    nla_put_u64_64bit(skb, VMMERGE_A_SCOPE_PAGES, s->pages,
			      VMMERGE_A_SCOPE_PAD) ||
	    nla_put_u8(skb, VMMERGE_A_SCOPE_ALLOWED, s->allowed) ||
	    nla_put_string(skb, VMMERGE_A_SCOPE_REASON, s->reason))
		return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

struct vmm_hint_reply {
	const struct vmm_hint *hint;
	const struct vmm_group *group;
};

static int vmm_put_hint_fn(struct sk_buff *skb, const void *obj)
{
	const struct vmm_hint_reply *r = obj;
	struct nlattr *nest = nla_nest_start(skb, VMMERGE_A_HINT), *scopes;
	unsigned int i;

	if (!nest ||
	    (r->group && nla_put_string(skb, VMMERGE_A_HINT_GROUP, r->group->name)) ||
	    nla_put_string(skb, VMMERGE_A_HINT_DOMAIN, r->hint->domain->name))
		return -EMSGSIZE;
	scopes = nla_nest_start(skb, VMMERGE_A_HINT_SCOPES);
	if (!scopes)
		return -EMSGSIZE;
	for (i = 0; i < r->hint->nr_scopes; i++)
		if (vmm_put_scope(skb, i, &r->hint->scopes[i]))
			return -EMSGSIZE;
	nla_nest_end(skb, scopes);
	nla_nest_end(skb, nest);
	return 0;
}

/* Resolve the group and domain of a hint request; fill in the sketch. */
static int vmm_hint_parse(struct nlattr **tb, struct nlattr *nest,
			  struct vmm_hint *hint, const struct vmm_group **group,
			  struct netlink_ext_ack *extack)
{
	*group = NULL;
	if (tb[VMMERGE_A_HINT_GROUP]) {
		*group = vmm_group_get(tb[VMMERGE_A_HINT_GROUP], extack);
		if (!*group)
			return -ENOENT;
		hint->sketch = (*group)->sketch;
		hint->nr_sketch = (*group)->nr_sketch;
		hint->domain = (*group)->domain;
		vmm_hint_group_sizes(*group, &hint->pages, &hint->zero_pages);
	}
	if (tb[VMMERGE_A_HINT_SKETCH]) {
		hint->sketch = nla_data(tb[VMMERGE_A_HINT_SKETCH]);
		hint->nr_sketch = nla_len(tb[VMMERGE_A_HINT_SKETCH]) / sizeof(u64);
	}
	if (tb[VMMERGE_A_HINT_DOMAIN]) {
		hint->domain = vmm_domain_get(tb[VMMERGE_A_HINT_DOMAIN], extack);
		if (!hint->domain)
			return -ENOENT;
	}
	if (!hint->domain) {
		NL_SET_ERR_ATTR_MISS(extack, nest, VMMERGE_A_HINT_DOMAIN);
		NL_SET_ERR_MSG(extack, "missing hint domain");
		return -EINVAL;
	}
	if (tb[VMMERGE_A_HINT_PAGES])
		hint->pages = nla_get_u64(tb[VMMERGE_A_HINT_PAGES]);
	if (tb[VMMERGE_A_HINT_ZERO_PAGES])
		hint->zero_pages = nla_get_u64(tb[VMMERGE_A_HINT_ZERO_PAGES]);
	return 0;
}

static int vmm_get_hint(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *tb[VMMERGE_A_HINT_MAX + 1], *nest;
	struct vmm_hint hint = {};
	struct vmm_hint_reply reply = { .hint = &hint };
	int ret;

	if (vmm_admin(skb, info))
		return -EPERM;

	nest = vmm_nest(info, VMMERGE_A_HINT, VMMERGE_A_HINT_MAX, vmm_hint_policy, tb);
	if (!nest)
		return -EINVAL;
	if (!tb[VMMERGE_A_HINT_GROUP] && !tb[VMMERGE_A_HINT_SKETCH]) {
		NL_SET_ERR_ATTR_MISS(info->extack, nest, VMMERGE_A_HINT_GROUP);
		NL_SET_ERR_MSG(info->extack, "need a hint group or a sketch");
		return -EINVAL;
	}
	if (tb[VMMERGE_A_HINT_SKETCH]) {
		ret = vmm_sketch_check(tb[VMMERGE_A_HINT_SKETCH], info->extack);
		if (ret)
			return ret;
	}
	mutex_lock(&vmm_reg.lock);
	ret = vmm_hint_parse(tb, nest, &hint, &reply.group, info->extack);
	if (!ret && !hint.nr_sketch) {
		NL_SET_ERR_MSG(info->extack, "group has no sketch yet");
		ret = -EAGAIN;
	}
	if (!ret)
		ret = vmm_hint_answer(&hint);
	if (!ret)
		ret = vmm_reply(info, vmm_put_hint_fn, &reply);
	vmm_hint_free(&hint);
	mutex_unlock(&vmm_reg.lock);
	return ret;
}

static int vmm_put_sketch_fn(struct sk_buff *skb, const void *obj)
{
	const struct vmm_group *group = obj;
	struct nlattr *nest = nla_nest_start(skb, VMMERGE_A_HINT);
	u64 pages, zero_pages;

	vmm_hint_group_sizes(group, &pages, &zero_pages);
	if (!nest ||
	    nla_put_string(skb, VMMERGE_A_HINT_GROUP, group->name) ||
	    nla_put_string(skb, VMMERGE_A_HINT_DOMAIN, group->domain->name) ||
	    nla_put(skb, VMMERGE_A_HINT_SKETCH, group->nr_sketch * sizeof(u64),
		    group->sketch) ||
	    nla_put_u64_64bit(skb, VMMERGE_A_HINT_PAGES, pages, VMMERGE_A_HINT_PAD) ||
	    nla_put_u64_64bit(skb, VMMERGE_A_HINT_ZERO_PAGES, zero_pages,
			      VMMERGE_A_HINT_PAD))
		return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

static int vmm_get_sketch(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *tb[VMMERGE_A_HINT_MAX + 1], *nest;
	struct vmm_group *group;
	int ret = -ENOENT;

	if (vmm_admin(skb, info))
		return -EPERM;

	nest = vmm_nest(info, VMMERGE_A_HINT, VMMERGE_A_HINT_MAX, vmm_hint_policy, tb);
	if (!nest)
		return -EINVAL;
	if (!vmm_need(nest, tb, VMMERGE_A_HINT_GROUP, "missing hint group",
		      info->extack))
		return -EINVAL;
	mutex_lock(&vmm_reg.lock);
	group = vmm_group_get(tb[VMMERGE_A_HINT_GROUP], info->extack);
	if (group && !group->nr_sketch) {
		NL_SET_ERR_MSG(info->extack, "group has no sketch yet");
		ret = -EAGAIN;
	} else if (group) {
		ret = vmm_reply(info, vmm_put_sketch_fn, group);
	}
	mutex_unlock(&vmm_reg.lock);
	return ret;
}

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

static const struct genl_ops vmm_ops[] = {
	{ .cmd = VMMERGE_CMD_GET_HOST, .doit = vmm_get_host },
	{ .cmd = VMMERGE_CMD_NEW_DOMAIN, .doit = vmm_new_domain,
	  .flags = GENL_ADMIN_PERM },
	{ .cmd = VMMERGE_CMD_SET_DOMAIN, .doit = vmm_set_domain,
	  .flags = GENL_ADMIN_PERM },
	{ .cmd = VMMERGE_CMD_DEL_DOMAIN, .doit = vmm_del_domain,
	  .flags = GENL_ADMIN_PERM },
	{ .cmd = VMMERGE_CMD_GET_DOMAIN, .doit = vmm_get_domain,
	  .dumpit = vmm_dump_domains, .flags = GENL_ADMIN_PERM },
	{ .cmd = VMMERGE_CMD_NEW_GROUP, .doit = vmm_new_group,
	  .flags = GENL_ADMIN_PERM },
	{ .cmd = VMMERGE_CMD_SET_GROUP, .doit = vmm_set_group,
	  .flags = GENL_ADMIN_PERM },
	{ .cmd = VMMERGE_CMD_DEL_GROUP, .doit = vmm_del_group,
	  .flags = GENL_ADMIN_PERM },
	{ .cmd = VMMERGE_CMD_GET_GROUP, .doit = vmm_get_group,
	  .dumpit = vmm_dump_groups, .flags = GENL_ADMIN_PERM },
	{ .cmd = VMMERGE_CMD_ADD_VM, .doit = vmm_add_vm,
	  .flags = GENL_ADMIN_PERM },
	{ .cmd = VMMERGE_CMD_SET_VM, .doit = vmm_set_vm,
	  .flags = GENL_ADMIN_PERM },
	{ .cmd = VMMERGE_CMD_DEL_VM, .doit = vmm_del_vm,
	  .flags = GENL_ADMIN_PERM },
	{ .cmd = VMMERGE_CMD_GET_VM, .doit = vmm_get_vm, .dumpit = vmm_dump_vms,
	  .flags = GENL_ADMIN_PERM },
	{ .cmd = VMMERGE_CMD_GET_HINT, .doit = vmm_get_hint,
	  .flags = GENL_ADMIN_PERM },
	{ .cmd = VMMERGE_CMD_GET_SKETCH, .doit = vmm_get_sketch,
	  .flags = GENL_ADMIN_PERM },
};

static const struct genl_multicast_group vmm_mcgrps[] = {
	{ .name = VMMERGE_MCGRP_EVENTS, .flags = VMM_MCGRP_ADMIN_FLAGS },
};

static struct genl_family vmm_family __ro_after_init = {
	.name = VMMERGE_GENL_NAME,
	.version = VMMERGE_GENL_VERSION,
	.maxattr = VMMERGE_A_MAX,
	.policy = vmm_policy,
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
