// SPDX-License-Identifier: GPL-2.0
/*
 * DOC: netlink hints
 *
 * GET_SKETCH hands out a group's bottom-k sketch; GET_HINT answers, for a
 * group of this host or a sketch sent in (from another host, keyed alike),
 * how much a new VM would share on each NUMA node and on the host, and
 * whether the trust policy would let it merge there (hints.c computes).
 */
#include "hints.h"
#include "netlink_priv.h"
#include "registry.h"
#include "scanner.h"


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

static int vmm_put_hint(struct sk_buff *skb, const void *obj)
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

int vmm_nl_get_hint(struct sk_buff *skb, struct genl_info *info)
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
		ret = vmm_reply(info, vmm_put_hint, &reply);
	vmm_hint_free(&hint);
	mutex_unlock(&vmm_reg.lock);
	return ret;
}

static int vmm_put_sketch(struct sk_buff *skb, const void *obj)
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

int vmm_nl_get_sketch(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *tb[VMMERGE_A_HINT_MAX + 1], *nest;
	struct vmm_group *group;
	int ret = -ENOENT;

	if (vmm_admin(skb, info))
		return -EPERM;

	nest = vmm_nest(info, VMMERGE_A_HINT, VMMERGE_A_HINT_MAX, vmm_sketch_policy, tb);
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
		/* Up to VMMERGE_SKETCH_MAX entries: more than a page. */
		ret = vmm_reply_size(info, vmm_put_sketch, group,
				     NLMSG_GOODSIZE +
				     nla_total_size(group->nr_sketch * sizeof(u64)));
	}
	mutex_unlock(&vmm_reg.lock);
	return ret;
}
