// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The vmmerge developers.
 *
 * Pools of values for the generator: per attribute of each policy (the
 * names, ids, pids and addresses that attribute took in replies and in
 * accepted requests), one shared by all, and a few binaries.  A full pool
 * replaces a random entry.  What the kernel refuses with ENOENT, pointing
 * at the value, is forgotten.
 */
#include <stdlib.h>
#include <string.h>

#include "nlfuzz.h"

struct nf_pool *nf_pool_slot(struct nf_ctx *c, int pol, unsigned int t)
{
	if (pol < 0 || pol >= NF_MAX_POLICIES || t >= NF_MAX_ATTRS)
		return NULL;
	return &c->pools->slot[pol][t];
}

/* The pool of the attribute this one names (a VM's group: group names). */
struct nf_pool *nf_pool_alias(struct nf_ctx *c, int pol, unsigned int t)
{
	const struct nf_slotref *a;

	if (!c->hints || !nf_pool_slot(c, pol, t))
		return NULL;
	a = &c->hints->alias[pol][t];
	return a->pol > 0 ? &c->pools->slot[a->pol - 1][a->attr] : NULL;
}

void nf_pool_add_int(struct nf_pool *p, struct nf_rng *rng, uint64_t v)
{
	unsigned int i;

	for (i = 0; i < p->nints; i++)
		if (p->ints[i] == v)
			return;
	if (p->nints < NF_POOL)
		p->ints[p->nints++] = v;
	else
		p->ints[nf_below(rng, NF_POOL)] = v;
}

void nf_pool_add_str(struct nf_pool *p, struct nf_rng *rng, const char *s,
		     size_t len)
{
	unsigned int i;
	char tmp[NF_STR_MAX];

	len = strnlen(s, len);
	if (!len || len >= NF_STR_MAX)
		return;
	memcpy(tmp, s, len);
	tmp[len] = 0;
	for (i = 0; i < p->nstrs; i++)
		if (!strcmp(p->strs[i], tmp))
			return;
	i = p->nstrs < NF_POOL ? p->nstrs++ : nf_below(rng, NF_POOL);
	memcpy(p->strs[i], tmp, len + 1);
}

void nf_pool_add_blob(struct nf_pools *p, struct nf_rng *rng,
		      const void *data, size_t len)
{
	struct nf_blob *b;

	if (!len || len > NF_BLOB_MAX)
		return;
	b = &p->blobs[p->nblobs < NF_BLOBS ? p->nblobs++ :
		      nf_below(rng, NF_BLOBS)];
	free(b->data);
	b->data = malloc(len);
	b->len = b->data ? len : 0;
	if (b->data)
		memcpy(b->data, data, len);
}

static void pool_del(struct nf_pool *p, const struct nf_put *v)
{
	unsigned int i;

	for (i = 0; i < p->nstrs && v->is_str; i++)
		if (!strncmp(p->strs[i], v->s, v->slen) && !p->strs[i][v->slen]) {
			memcpy(p->strs[i], p->strs[--p->nstrs], NF_STR_MAX);
			return;
		}
	for (i = 0; i < p->nints && !v->is_str; i++)
		if (p->ints[i] == v->v) {
			p->ints[i] = p->ints[--p->nints];
			return;
		}
}

/*
 * The kernel refused @r with ENOENT and pointed at an attribute: that
 * name or id does not exist (any more).  Forget it everywhere.
 */
void nf_forget_request(struct nf_ctx *c, const struct nf_req *r)
{
	struct nf_pool *a;
	unsigned int i;

	for (i = 0; i < r->nputs; i++) {
		const struct nf_put *p = &r->puts[i];

		if (p->off != (uint32_t)r->bad_off)
			continue;
		pool_del(&c->pools->slot[p->pol][p->attr], p);
		pool_del(&c->pools->global, p);
		a = nf_pool_alias(c, p->pol, p->attr);
		if (a)
			pool_del(a, p);
	}
}

/* The kernel took @r: what it carried exists, or is at least acceptable. */
void nf_learn_request(struct nf_ctx *c, const struct nf_req *r)
{
	unsigned int i;

	/* with one top-level attribute, that one made it work */
	if (r->cmd < NF_MAX_CMDS && !(r->top_types & (r->top_types - 1)))
		c->pools->top_ok[r->cmd] |= r->top_types;
	for (i = 0; i < r->nputs; i++) {
		const struct nf_put *p = &r->puts[i];
		struct nf_pool *s = &c->pools->slot[p->pol][p->attr];
		struct nf_pool *a = nf_pool_alias(c, p->pol, p->attr);

		if (p->is_str) {
			nf_pool_add_str(s, &c->rng, p->s, p->slen);
			nf_pool_add_str(&c->pools->global, &c->rng, p->s, p->slen);
			if (a)
				nf_pool_add_str(a, &c->rng, p->s, p->slen);
		} else {
			nf_pool_add_int(s, &c->rng, p->v);
			if (a)
				nf_pool_add_int(a, &c->rng, p->v);
		}
	}
}
