/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the netlink files share: the family, the per-operation policies
 * (netlink_policy.c), request and reply helpers (netlink_msg.c) and the
 * handlers of the registry (netlink_registry.c) and of hints
 * (netlink_hints.c) that the operation table (netlink.c) points to.
 */
#ifndef _VMMERGE_NETLINK_PRIV_H
#define _VMMERGE_NETLINK_PRIV_H

#include <net/genetlink.h>
#include <uapi/linux/vmmerge.h>

struct vmm_domain;
struct vmm_group;
struct vmm_vm;

extern struct genl_family vmm_family;

/* netlink_policy.c */
extern const struct nla_policy vmm_domain_name_policy[VMMERGE_A_DOMAIN_MAX + 1];
extern const struct nla_policy vmm_domain_flags_policy[VMMERGE_A_DOMAIN_MAX + 1];
extern const struct nla_policy vmm_group_name_policy[VMMERGE_A_GROUP_MAX + 1];
extern const struct nla_policy vmm_group_domain_policy[VMMERGE_A_GROUP_MAX + 1];
extern const struct nla_policy vmm_region_policy[VMMERGE_A_REGION_MAX + 1];
extern const struct nla_policy vmm_vm_add_policy[VMMERGE_A_VM_MAX + 1];
extern const struct nla_policy vmm_vm_group_policy[VMMERGE_A_VM_MAX + 1];
extern const struct nla_policy vmm_vm_id_policy[VMMERGE_A_VM_MAX + 1];
extern const struct nla_policy vmm_hint_policy[VMMERGE_A_HINT_MAX + 1];
extern const struct nla_policy vmm_sketch_policy[VMMERGE_A_HINT_MAX + 1];
extern const struct nla_policy vmm_host_top_policy[VMMERGE_A_MAX + 1];
extern const struct nla_policy vmm_domain_name_top_policy[VMMERGE_A_MAX + 1];
extern const struct nla_policy vmm_domain_flags_top_policy[VMMERGE_A_MAX + 1];
extern const struct nla_policy vmm_group_name_top_policy[VMMERGE_A_MAX + 1];
extern const struct nla_policy vmm_group_domain_top_policy[VMMERGE_A_MAX + 1];
extern const struct nla_policy vmm_vm_add_top_policy[VMMERGE_A_MAX + 1];
extern const struct nla_policy vmm_vm_group_top_policy[VMMERGE_A_MAX + 1];
extern const struct nla_policy vmm_vm_id_top_policy[VMMERGE_A_MAX + 1];
extern const struct nla_policy vmm_hint_top_policy[VMMERGE_A_MAX + 1];
extern const struct nla_policy vmm_sketch_top_policy[VMMERGE_A_MAX + 1];

/* netlink_msg.c: requests */
int vmm_admin(struct sk_buff *skb, struct genl_info *info);
struct nlattr *vmm_nest(struct genl_info *info, int attr, int maxtype,
			const struct nla_policy *policy, struct nlattr **tb);
int vmm_name_check(const struct nlattr *attr, struct netlink_ext_ack *extack);
struct vmm_domain *vmm_domain_get(const struct nlattr *attr,
				  struct netlink_ext_ack *extack);
struct vmm_group *vmm_group_get(const struct nlattr *attr,
				struct netlink_ext_ack *extack);
struct vmm_vm *vmm_vm_get(const struct nlattr *attr,
			  struct netlink_ext_ack *extack);

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

/* netlink_msg.c: replies */
typedef int (*vmm_put_fn)(struct sk_buff *skb, const void *obj);

int vmm_put_host(struct sk_buff *skb, const void *unused);
int vmm_put_domain(struct sk_buff *skb, const void *domain);
int vmm_put_group(struct sk_buff *skb, const void *group);
int vmm_put_vm(struct sk_buff *skb, const void *vm);
int vmm_put_vm_id(struct sk_buff *skb, const struct vmm_vm *vm);
size_t vmm_vm_msg_size(const struct vmm_vm *vm);
int vmm_reply(struct genl_info *info, vmm_put_fn put, const void *obj);
int vmm_reply_size(struct genl_info *info, vmm_put_fn put, const void *obj,
		   size_t size);
int vmm_dump_list(struct sk_buff *skb, struct netlink_callback *cb,
		  struct list_head *head, size_t offset, vmm_put_fn put);

/* netlink_registry.c */
int vmm_nl_get_host(struct sk_buff *skb, struct genl_info *info);
int vmm_nl_new_domain(struct sk_buff *skb, struct genl_info *info);
int vmm_nl_set_domain(struct sk_buff *skb, struct genl_info *info);
int vmm_nl_del_domain(struct sk_buff *skb, struct genl_info *info);
int vmm_nl_get_domain(struct sk_buff *skb, struct genl_info *info);
int vmm_nl_dump_domains(struct sk_buff *skb, struct netlink_callback *cb);
int vmm_nl_new_group(struct sk_buff *skb, struct genl_info *info);
int vmm_nl_set_group(struct sk_buff *skb, struct genl_info *info);
int vmm_nl_del_group(struct sk_buff *skb, struct genl_info *info);
int vmm_nl_get_group(struct sk_buff *skb, struct genl_info *info);
int vmm_nl_dump_groups(struct sk_buff *skb, struct netlink_callback *cb);
int vmm_nl_add_vm(struct sk_buff *skb, struct genl_info *info);
int vmm_nl_set_vm(struct sk_buff *skb, struct genl_info *info);
int vmm_nl_del_vm(struct sk_buff *skb, struct genl_info *info);
int vmm_nl_get_vm(struct sk_buff *skb, struct genl_info *info);
int vmm_nl_dump_vms(struct sk_buff *skb, struct netlink_callback *cb);

/* netlink_hints.c */
int vmm_nl_get_hint(struct sk_buff *skb, struct genl_info *info);
int vmm_nl_get_sketch(struct sk_buff *skb, struct genl_info *info);

#endif /* _VMMERGE_NETLINK_PRIV_H */
