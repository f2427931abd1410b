// SPDX-License-Identifier: GPL-2.0
/*
 * DOC: placement hints
 *
 * A group's bottom-k sketch (the k smallest distinct fingerprints of its
 * VMs' non-zero pages) is a uniform sample of the distinct page contents of
 * that runtime stack.  To answer "how much would a new VM of this stack
 * share here?", each sketch entry is looked up in the host's fingerprint
 * index (every sampled page, sorted): the fraction of entries found in VMs
 * of the asking domain on a node estimates the fraction of the new VM's
 * distinct non-zero content that KSM could merge there.  Zero pages merge
 * anywhere and are added whole.
 *
 * The same answer comes from a sketch sent in, e.g. exported from a
 * template VM's group on another host: nothing here depends on where the
 * sketch came from.
 */
#include <linux/bsearch.h>
#include <linux/nodemask.h>
#include <linux/slab.h>
#include <linux/sort.h>

#include "enrol.h"
#include "hints.h"
#include "knobs.h"
#include "policy.h"
#include "registry.h"
#include "scanner.h"

/* Index of the first entry with fingerprint @fp, or n if none. */
static size_t vmm_index_find(u64 fp)
{
	const struct vmm_fp_ref *refs = vmm_fp_index.refs;
	size_t lo = 0, hi = vmm_fp_index.n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (refs[mid].fp < fp)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < vmm_fp_index.n && refs[lo].fp == fp ? lo : vmm_fp_index.n;
}

/* Count, per node and for the host, the sketch entries the domain holds. */
static void vmm_hint_match(const struct vmm_hint *hint, u32 *per_node,
			   u32 *host, unsigned long *seen)
{
	u64 dom = hint->domain->index;
	const struct vmm_fp_ref *ref;
	unsigned int i;
	bool any;
	size_t j;

	for (i = 0; i < hint->nr_sketch; i++) {
		j = vmm_index_find(hint->sketch[i]);
		bitmap_zero(seen, nr_node_ids);
		any = false;
		for (; j < vmm_fp_index.n; j++) {
			ref = &vmm_fp_index.refs[j];
			if (ref->fp != hint->sketch[i])
				break;
			if ((ref->owner >> 32 & 0xffff) != dom || ref->node >= nr_node_ids)
				continue;
			any = true;
			if (!test_and_set_bit(ref->node, seen))
				per_node[ref->node]++;
		}
		if (any)
			(*host)++;
	}
}

static void vmm_hint_policy(const struct vmm_hint *hint, struct vmm_hint_scope *s)
{
	const struct vmm_domain *owner;
	unsigned int scope;

	s->allowed = false;
	if (vmm_domain_isolated(hint->domain)) {
		strscpy(s->reason, "domain is isolated", sizeof(s->reason));
		return;
	}
	scope = s->node == VMMERGE_HINT_HOST ? 0 : vmm_policy_node_scope(s->node);
	owner = READ_ONCE(vmm_knobs.cross_domain) ? NULL : vmm_policy_owner(scope);
	if (owner && owner != hint->domain) {
		snprintf(s->reason, sizeof(s->reason), "held by domain %s",
			 owner->name);
		return;
	}
	s->allowed = true;
	strscpy(s->reason, "allowed", sizeof(s->reason));
}

static void vmm_hint_fill(const struct vmm_hint *hint, struct vmm_hint_scope *s,
			  u32 node, u32 matched)
{
	s->node = node;
	s->matched = matched;
	s->permille = hint->nr_sketch ? matched * 1000 / hint->nr_sketch : 0;
	s->pages = hint->zero_pages + div_u64(hint->pages * s->permille, 1000);
	vmm_hint_policy(hint, s);
}

/* Allowed first, then the larger share, then the lower node. */
static int vmm_hint_scope_cmp(const void *a, const void *b)
{
	const struct vmm_hint_scope *x = a, *y = b;

	if (x->allowed != y->allowed)
		return x->allowed ? -1 : 1;
	if (x->permille != y->permille)
		return x->permille > y->permille ? -1 : 1;
	return x->node < y->node ? -1 : x->node > y->node;
}

/**
 * vmm_hint_answer() - rank the nodes and the host for a new VM
 * @hint: sketch, domain and sizes filled in; scopes are allocated here
 *
 * Called with vmm_reg.lock held.  Free with vmm_hint_free().
 */
int vmm_hint_answer(struct vmm_hint *hint)
{
	unsigned long *seen;
	u32 *per_node, host = 0;
	unsigned int n = 0;
	int node;

	lockdep_assert_held(&vmm_reg.lock);
	per_node = kcalloc(nr_node_ids, sizeof(*per_node), GFP_KERNEL);
	seen = bitmap_zalloc(nr_node_ids, GFP_KERNEL);
	/* Sized by possible nodes: one may come online after a count of them. */
	hint->scopes = kcalloc(nr_node_ids + 1, sizeof(*hint->scopes), GFP_KERNEL);
	if (!per_node || !seen || !hint->scopes) {
		kfree(per_node);
		bitmap_free(seen);
		vmm_hint_free(hint);
		return -ENOMEM;
	}
	vmm_hint_match(hint, per_node, &host, seen);
	for_each_online_node(node)
		vmm_hint_fill(hint, &hint->scopes[n++], node, per_node[node]);
	vmm_hint_fill(hint, &hint->scopes[n], VMMERGE_HINT_HOST, host);
	if (!vmm_ksm_merge_across_nodes()) {
		/* KSM merges per node only: the host is as good as any node. */
		unsigned int i;

		hint->scopes[n].allowed = false;
		strscpy(hint->scopes[n].reason, "no node allows it",
			sizeof(hint->scopes[n].reason));
		for (i = 0; i < n; i++) {
			if (hint->scopes[i].allowed) {
				hint->scopes[n].allowed = true;
				strscpy(hint->scopes[n].reason, "allowed on some node",
					sizeof(hint->scopes[n].reason));
				break;
			}
		}
	}
	hint->nr_scopes = ++n;
	sort(hint->scopes, n, sizeof(*hint->scopes), vmm_hint_scope_cmp, NULL);
	kfree(per_node);
	bitmap_free(seen);
	return 0;
}

void vmm_hint_free(struct vmm_hint *hint)
{
	kfree(hint->scopes);
	hint->scopes = NULL;
	hint->nr_scopes = 0;
}

/* The non-zero and zero pages of an average VM of @group, as estimated. */
void vmm_hint_group_sizes(const struct vmm_group *group, u64 *pages,
			  u64 *zero_pages)
{
	const struct vmm_estimate *est = &group->est;
	unsigned int nr = max(group->nr_vms, 1U);

	*zero_pages = div_u64(est->zero, nr);
	*pages = div_u64(est->present - min(est->zero, est->present), nr);
}
