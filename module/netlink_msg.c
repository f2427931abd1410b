// SPDX-License-Identifier: GPL-2.0
/*
 * DOC: netlink messages
 *
 * Helpers for requests (parsing a nest, the permission check, finding the
 * object a name or id stands for) and for replies: one builder per object,
 * a reply to a "do", and the dump of a registry list.
 */
#include <linux/ctype.h>
#include <linux/jiffies.h>
#include <linux/mm.h>

#include "netlink_priv.h"
#include "registry.h"
#include "stats.h"

/* ---- requests ---- */

/*
 * GENL_ADMIN_PERM checks CAP_NET_ADMIN; changing what gets merged is a
 * memory-management decision, so we also want CAP_SYS_ADMIN.  Reading is
 * admin-only too, but for the host's totals: per-VM pids, addresses,
 * states, sketches and hints would tell one tenant about the others.
 */
int vmm_admin(struct sk_buff *skb, struct genl_info *info)
{
	if (netlink_capable(skb, CAP_SYS_ADMIN))
		return 0;
	NL_SET_ERR_MSG(info->extack, "CAP_SYS_ADMIN is required");
	return -EPERM;
}

struct nlattr *vmm_nest(struct genl_info *info, int attr, int maxtype,
			const struct nla_policy *policy, struct nlattr **tb)
{
	if (GENL_REQ_ATTR_CHECK(info, attr))
		return NULL;
	if (nla_parse_nested(tb, maxtype, info->attrs[attr], policy, info->extack))
		return NULL;
	return info->attrs[attr];
}

/* Names are identifiers in tables and metric labels: no spaces or controls. */
int vmm_name_check(const struct nlattr *attr, struct netlink_ext_ack *extack)
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

struct vmm_domain *vmm_domain_get(const struct nlattr *attr,
				  struct netlink_ext_ack *extack)
{
	struct vmm_domain *domain = vmm_domain_find(nla_data(attr));

	if (!domain)
		NL_SET_ERR_MSG_ATTR(extack, attr, "no such domain");
	return domain;
}

struct vmm_group *vmm_group_get(const struct nlattr *attr,
				struct netlink_ext_ack *extack)
{
	struct vmm_group *group = vmm_group_find(nla_data(attr));

	if (!group)
		NL_SET_ERR_MSG_ATTR(extack, attr, "no such group");
	return group;
}

struct vmm_vm *vmm_vm_get(const struct nlattr *attr,
			  struct netlink_ext_ack *extack)
{
	struct vmm_vm *vm = vmm_vm_find(nla_get_u64(attr));

	if (!vm)
		NL_SET_ERR_MSG_ATTR(extack, attr, "no such VM");
	return vm;
}


/* ---- replies ---- */

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

int vmm_put_domain(struct sk_buff *skb, const void *obj)
{
	const struct vmm_domain *domain = obj;
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

int vmm_put_group(struct sk_buff *skb, const void *obj)
{
	const struct vmm_group *group = obj;
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
int vmm_put_vm_id(struct sk_buff *skb, const struct vmm_vm *vm)
{
	if (nla_put_u64_64bit(skb, VMMERGE_A_VM_ID, vm->id, VMMERGE_A_VM_UNSPEC) ||
	    nla_put_string(skb, VMMERGE_A_VM_NAME, vm->name) ||
	    nla_put_u32(skb, VMMERGE_A_VM_PID, vm->pid))
		return -EMSGSIZE;
	return 0;
}

int vmm_put_vm(struct sk_buff *skb, const void *obj)
{
	const struct vmm_vm *vm = obj;
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
	    vmm_put_estimate(skb, VMMERGE_A_VM_ESTIMATE, &vm->scan.est) ||
	    nla_put_u8(skb, VMMERGE_A_VM_MERGE_ANY, vm->merges_any))
		return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

/* Stats and estimate nests: their u64s are padded, the estimate has a u32. */
#define VMM_STATS_SIZE	(nla_total_size(0) + 5 * nla_total_size_64bit(8))
#define VMM_EST_SIZE	(nla_total_size(0) + 7 * nla_total_size_64bit(8) + \
			 nla_total_size(4))

/*
 * What vmm_put_vm() puts, at most: strings at their longest, the regions
 * as many as @vm has (max_regions allows more than a page's worth).
 */
size_t vmm_vm_msg_size(const struct vmm_vm *vm)
{
	size_t region = nla_total_size(0) + 2 * nla_total_size_64bit(8);

	return nla_total_size(0) +			/* VMMERGE_A_VM */
	       nla_total_size_64bit(8) +		/* id */
	       nla_total_size(VMMERGE_VM_NAME_MAXLEN) +	/* name */
	       nla_total_size(4) +			/* pid */
	       2 * nla_total_size(VMMERGE_NAME_MAXLEN) + /* group, domain */
	       nla_total_size(4) +			/* state */
	       nla_total_size(VMMERGE_REASON_MAXLEN) +	/* reason */
	       nla_total_size(4) +			/* node */
	       nla_total_size(0) + vm->nr_regions * region +
	       VMM_STATS_SIZE + VMM_EST_SIZE +
	       nla_total_size(1);			/* merge_any */
}

int vmm_put_host(struct sk_buff *skb, const void *unused)
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

/* Reply to a "do" with one object, in a message of @size bytes. */
int vmm_reply_size(struct genl_info *info, vmm_put_fn put, const void *obj,
		   size_t size)
{
	struct sk_buff *skb = genlmsg_new(size, GFP_KERNEL);
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

int vmm_reply(struct genl_info *info, vmm_put_fn put, const void *obj)
{
	return vmm_reply_size(info, put, obj, NLMSG_GOODSIZE);
}

/*
 * Dump one list; cb->args[0] is how many entries earlier messages carried.
 * Entries added or removed between two parts may be missed or repeated, as
 * in every netlink dump; the registry's small size keeps that rare.
 */
int vmm_dump_list(struct sk_buff *skb, struct netlink_callback *cb,
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
