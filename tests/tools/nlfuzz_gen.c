// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The vmmerge developers.
 *
 * Requests built from the model.  Each message is made in one of three
 * moods:
 *
 *   plausible  the attributes a command may carry, values within their
 *              policy's range and mostly from the pools (names, ids, pids
 *              and addresses that exist), so that commands succeed and
 *              build up state for the others to work on
 *   boundary   typed values at and beyond the policy's limits: 0, 1, min,
 *              min - 1, max, max + 1, the type's maximum, mask bits, strings
 *              and binaries of the limit's length and one more, no NUL
 *   chaos      besides boundary values: wrong types and lengths, unknown
 *              and duplicate attributes, nests without NLA_F_NESTED, deep
 *              nesting, random command numbers and flags, truncated or
 *              overlong headers, trailing garbage
 *
 * The message says in its struct nf_req whether the kernel must answer it
 * (certain) and whether an unprivileged sender must be refused.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>

#include "nlfuzz.h"

enum mood { PLAUSIBLE, BOUNDARY, CHAOS };

#define MAX_DEPTH	8	/* of nests the model describes */
#define STR_BUF		512

struct gen {
	struct nf_ctx *c;
	struct nf_rng *rng;
	struct nf_req *r;
	unsigned char *buf;
	size_t len, cap;
	bool full;
	enum mood mood;
	const struct nf_vmm *vmm;	/* plausible: the VMM this message is about */
	int region;			/* its region in the current array entry */
};

/* ---- buffer ---- */

static bool room(struct gen *g, size_t n)
{
	if (g->len + n + 64 > g->cap) {
		g->full = true;
		return false;
	}
	return true;
}

static void put_raw(struct gen *g, const void *p, size_t n)
{
	if (!n || !room(g, n))
		return;
	memcpy(g->buf + g->len, p, n);
	g->len += n;
}

static void pad(struct gen *g)
{
	while (g->len % NLA_ALIGNTO)
		g->buf[g->len++] = 0;
}

/* Start an attribute; returns its offset, or -1 when the buffer is full. */
static long attr_open(struct gen *g, uint16_t type)
{
	struct nlattr *a;
	long off = g->len;

	if (!room(g, NLA_HDRLEN))
		return -1;
	a = (struct nlattr *)(g->buf + g->len);
	a->nla_type = type;
	a->nla_len = NLA_HDRLEN;
	g->len += NLA_HDRLEN;
	return off;
}

static void attr_close(struct gen *g, long off)
{
	if (off < 0)
		return;
	((struct nlattr *)(g->buf + off))->nla_len = g->len - off;
	pad(g);
}

static void put_attr(struct gen *g, uint16_t type, const void *data, size_t n)
{
	long off;

	if (!room(g, NLA_HDRLEN + n + NLA_ALIGNTO))
		return;
	off = attr_open(g, type);
	put_raw(g, data, n);
	attr_close(g, off);
}

static void fill_random(struct gen *g, unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = nf_rand(g->rng);
}

/* ---- pools ---- */

static struct nf_pool *slot(struct gen *g, int pol, unsigned int t)
{
	return nf_pool_slot(g->c, pol, t);
}

/* A learnt number: of this attribute (most often) or of any. */
static bool pool_int(struct gen *g, int pol, unsigned int t, uint64_t *v)
{
	struct nf_pool *p = slot(g, pol, t), *a = nf_pool_alias(g->c, pol, t);

	if (a && a->nints && nf_chance(g->rng, 85)) {
		*v = a->ints[nf_below(g->rng, a->nints)];
		return true;
	}

	if (!p || !p->nints || nf_chance(g->rng, 30))
		p = &g->c->pools->global;
	if (!p->nints)
		return false;
	*v = p->ints[nf_below(g->rng, p->nints)];
	return true;
}

static bool is(const struct nf_slotref *s, int pol, unsigned int t)
{
	return s->pol >= 0 && s->pol == pol && s->attr == (int)t;
}

static const char *pool_str(struct gen *g, int pol, unsigned int t)
{
	struct nf_pool *p = slot(g, pol, t), *a = nf_pool_alias(g->c, pol, t);

	if (a && a->nstrs && nf_chance(g->rng, 85))
		return a->strs[nf_below(g->rng, a->nstrs)];

	if (!p || !p->nstrs || nf_chance(g->rng, 35))
		p = &g->c->pools->global;
	return p->nstrs ? p->strs[nf_below(g->rng, p->nstrs)] : NULL;
}

static void record(struct gen *g, size_t off, int pol, unsigned int t,
		   bool is_str, uint64_t v, const char *s, size_t slen)
{
	struct nf_put *p;

	if (g->r->nputs >= NF_PUTS_MAX || pol < 0 || pol >= NF_MAX_POLICIES ||
	    t >= NF_MAX_ATTRS)
		return;
	p = &g->r->puts[g->r->nputs++];
	p->pol = pol;
	p->attr = t;
	p->is_str = is_str;
	p->v = v;
	p->s = s;
	p->slen = slen;
	p->off = off;
}

/* ---- typed values ---- */

static uint64_t boundary_uint(struct gen *g, const struct nf_attr *a,
			      int pol, unsigned int t, unsigned int bits)
{
	uint64_t tmax = bits >= 64 ? ~0ULL : (1ULL << bits) - 1;
	uint64_t min = a->has_min_u ? a->min_u : 0;
	uint64_t max = a->has_max_u ? a->max_u : tmax;
	uint64_t mask = a->has_mask ? a->mask : tmax;
	uint64_t v = 0;

	switch (nf_below(g->rng, 16)) {
	case 0: v = 0; break;
	case 1: v = 1; break;
	case 2: v = min; break;
	case 3: v = min - 1; break;
	case 4: v = max; break;
	case 5: v = max + 1; break;
	case 6: v = tmax; break;
	case 7: v = tmax - 1; break;
	case 8: v = mask; break;
	case 9: v = mask ^ (1ULL << nf_below(g->rng, bits)); break;
	case 10: v = 1ULL << nf_below(g->rng, bits); break;
	case 11: v = nf_rand(g->rng); break;
	case 12:
		if (!pool_int(g, pol, t, &v))
			v = min;
		v += (int64_t)nf_below(g->rng, 9) - 4;
		break;
	case 13:
		if (!pool_int(g, pol, t, &v))
			v = 0;
		v += 4096 * ((int64_t)nf_below(g->rng, 5) - 2);
		break;
	case 14: v = nf_rand(g->rng) & ~0xfffULL; break;
	default: v = nf_below(g->rng, 256); break;
	}
	return v & tmax;
}

static uint64_t gen_uint(struct gen *g, const struct nf_attr *a, int pol,
			 unsigned int t, unsigned int bits)
{
	uint64_t tmax = bits >= 64 ? ~0ULL : (1ULL << bits) - 1;
	uint64_t min = a->has_min_u ? a->min_u : 0, v;

	if (g->mood != PLAUSIBLE)
		return boundary_uint(g, a, pol, t, bits);
	if (g->vmm && g->c->hints && nf_chance(g->rng, 85)) {
		const struct nf_hints *h = g->c->hints;

		if (is(&h->pid, pol, t))
			return g->vmm->pid;
		if (g->region >= 0 && is(&h->start, pol, t))
			return g->vmm->start[g->region];
		if (g->region >= 0 && is(&h->len, pol, t))
			return g->vmm->len[g->region];
	}
	/* a learnt value, if the policy takes it */
	if (nf_chance(g->rng, 75) && pool_int(g, pol, t, &v) && v <= tmax &&
	    v >= min && (!a->has_max_u || v <= a->max_u) &&
	    (!a->has_mask || !(v & ~a->mask)))
		return v;
	if (a->has_mask)
		return nf_rand(g->rng) & a->mask;
	return (min + nf_below(g->rng, 32)) & tmax;
}

static int64_t gen_sint(struct gen *g, const struct nf_attr *a,
			unsigned int bits)
{
	int64_t tmax = bits >= 64 ? INT64_MAX : (1LL << (bits - 1)) - 1;
	int64_t min = a->has_min_s ? a->min_s : -tmax - 1;
	int64_t max = a->has_max_s ? a->max_s : tmax;

	switch (nf_below(g->rng, g->mood == PLAUSIBLE ? 3 : 10)) {
	case 0: return 0;
	case 1: return min;
	case 2: return max;
	case 3: return (int64_t)((uint64_t)min - 1);
	case 4: return (int64_t)((uint64_t)max + 1);
	case 5: return -1;
	case 6: return 1;
	case 7: return -tmax - 1;
	case 8: return tmax;
	}
	return (int64_t)nf_rand(g->rng);
}

/* Little-endian host: the low bytes of the value. */
static void put_int(struct gen *g, uint16_t type, uint64_t v, size_t bytes)
{
	unsigned char b[16] = { 0 };

	memcpy(b, &v, bytes > 8 ? 8 : bytes);
	put_attr(g, type, b, bytes);
}

static void gen_int_attr(struct gen *g, const struct nf_attr *a, int pol,
			 unsigned int t, unsigned int bytes, bool is_signed)
{
	static const unsigned int wrong[] = { 0, 1, 2, 3, 4, 5, 8, 12 };
	size_t n = bytes;
	uint64_t v;
	size_t off;

	if (is_signed)
		v = (uint64_t)gen_sint(g, a, bytes * 8);
	else
		v = gen_uint(g, a, pol, t, bytes * 8);
	off = g->len;
	if (g->mood == CHAOS && nf_chance(g->rng, 15))
		n = wrong[nf_below(g->rng, 8)];
	put_int(g, t, v, n);
	if (n == bytes)
		record(g, off, pol, t, false, v, NULL, 0);
}

/* ---- strings ---- */

static size_t printable(struct gen *g, char *s, size_t n)
{
	static const char cs[] =
		"abcdefghijklmnopqrstuvwxyz0123456789-_.ABCXYZ:@+";
	size_t i;

	for (i = 0; i < n; i++)
		s[i] = cs[nf_below(g->rng, sizeof(cs) - 1)];
	return n;
}

/* A name a plausible request would use: few of them, so they collide. */
static size_t fresh_name(struct gen *g, char *s)
{
	return snprintf(s, STR_BUF, "fz%u", (unsigned int)nf_below(g->rng, 24));
}

static size_t weird_string(struct gen *g, char *s, size_t max)
{
	size_t n = 1 + nf_below(g->rng, max ? max : 1), i;

	switch (nf_below(g->rng, 5)) {
	case 0:		/* control characters and spaces */
		printable(g, s, n);
		s[nf_below(g->rng, n)] = nf_chance(g->rng, 50) ? ' ' :
					  (char)nf_below(g->rng, 32);
		return n;
	case 1:		/* bytes above 0x7f */
		for (i = 0; i < n; i++)
			s[i] = (char)(0x80 | nf_rand(g->rng));
		return n;
	case 2:		/* an embedded NUL */
		printable(g, s, n);
		s[nf_below(g->rng, n)] = 0;
		return n;
	case 3:		/* far too long */
		return printable(g, s, STR_BUF / 2 + nf_below(g->rng, STR_BUF / 2));
	}
	fill_random(g, (unsigned char *)s, n);
	return n;
}

static size_t boundary_string(struct gen *g, char *s, size_t max)
{
	const size_t lens[] = { 0, 1, max - 1, max, max + 1, max + 2,
				nf_below(g->rng, max + 1) };
	size_t n = lens[nf_below(g->rng, 7)];

	return printable(g, s, n < STR_BUF ? n : STR_BUF - 1);
}

static void gen_string_attr(struct gen *g, const struct nf_attr *a, int pol,
			    unsigned int t, bool nul_string)
{
	size_t max = a->has_max_len ? a->max_len : 64, n;
	const char *known = NULL;
	char s[STR_BUF + 1];
	bool nul = nul_string;
	long off;

	if (max >= STR_BUF - 2)
		max = STR_BUF - 3;
	if (g->mood == PLAUSIBLE || nf_chance(g->rng, 30))
		known = nf_chance(g->rng, 70) ? pool_str(g, pol, t) : NULL;
	if (known && (g->mood != PLAUSIBLE || strlen(known) <= max)) {
		n = strlen(known);
		memcpy(s, known, n);
	} else if (g->mood == PLAUSIBLE) {
		n = nf_chance(g->rng, 80) ? fresh_name(g, s) :
			printable(g, s, 1 + nf_below(g->rng, max));
	} else if (nf_chance(g->rng, 60)) {
		n = boundary_string(g, s, max);
	} else {
		n = weird_string(g, s, max);
	}
	if (g->mood != PLAUSIBLE && nf_chance(g->rng, 25))
		nul = !nul;
	off = attr_open(g, t);
	if (off < 0)
		return;
	put_raw(g, s, n);
	if (nul)
		put_raw(g, "", 1);
	attr_close(g, off);
	if (nul)
		record(g, off, pol, t, true, 0, (const char *)g->buf + off + NLA_HDRLEN,
		       n);
}

/* ---- binary ---- */

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void gen_binary_attr(struct gen *g, const struct nf_attr *a,
			    unsigned int t)
{
	size_t max = a->has_max_len ? a->max_len : 256;
	size_t min = a->has_min_len ? a->min_len : 0;
	const size_t lens[] = { 0, min, min - 1, max, max + 1, 8,
				8 * (1 + nf_below(g->rng, 64)),
				nf_below(g->rng, max + 1),
				(nf_below(g->rng, max + 1) & ~7UL) };
	struct nf_pools *p = g->c->pools;
	size_t n = lens[nf_below(g->rng, 9)];
	unsigned char *d;
	long off;

	if (max > NF_MSG_MAX)
		max = NF_MSG_MAX;
	/* plausible: a learnt binary, or whole sorted u64s */
	if (g->mood == PLAUSIBLE)
		n = 8 * (1 + nf_below(g->rng, max / 8 < 512 ? max / 8 + 1 : 512));
	if (n > g->cap - g->len - 256)
		n = nf_below(g->rng, 64);
	off = attr_open(g, t);
	if (off < 0 || !room(g, n + NLA_ALIGNTO))
		return;
	d = g->buf + g->len;
	switch (g->mood == PLAUSIBLE ? 1 + (uint64_t)nf_chance(g->rng, 50) :
		nf_below(g->rng, 4)) {
	case 0:
		memset(d, 0, n);
		break;
	case 1:		/* sorted u64s, as an array of keys would be */
		fill_random(g, d, n);
		qsort(d, n / 8, 8, cmp_u64);
		break;
	case 2:
		if (p->nblobs) {
			const struct nf_blob *b = &p->blobs[nf_below(g->rng,
								 p->nblobs)];

			n = g->mood == PLAUSIBLE || b->len < n ? b->len : n;
			if (!room(g, n + NLA_ALIGNTO))
				n = 0;
			memcpy(d, b->data, n);
			break;
		}
		/* fall through */
	default:
		fill_random(g, d, n);
	}
	g->len += n;
	attr_close(g, off);
}

/* ---- nests ---- */

static void gen_nest(struct gen *g, int pol, unsigned int depth);

static void gen_junk(struct gen *g, uint16_t type)
{
	unsigned char b[16];
	size_t n = nf_below(g->rng, sizeof(b) + 1);

	fill_random(g, b, n);
	put_attr(g, type, b, n);
}

/* A chain of nests far deeper than any policy: depth checks, stack use. */
static void gen_deep(struct gen *g, unsigned int maxtype)
{
	unsigned int n = 5 + nf_below(g->rng, 40), i;
	long offs[48];

	for (i = 0; i < n; i++)
		offs[i] = attr_open(g, NLA_F_NESTED |
				    (1 + nf_below(g->rng, maxtype + 1)));
	if (nf_chance(g->rng, 50))
		gen_junk(g, 1 + nf_below(g->rng, maxtype + 1));
	while (i--)
		attr_close(g, offs[i]);
}

static void gen_array(struct gen *g, const struct nf_attr *a,
		      unsigned int t, unsigned int depth)
{
	static const unsigned int counts[] = { 0, 1, 1, 1, 2, 2, 3, 4, 8, 40 };
	unsigned int n = counts[nf_below(g->rng, g->mood == CHAOS ? 10 : 8)];
	bool regions = g->vmm && g->c->hints && a->sub >= 0 &&
		       g->c->hints->start.pol == a->sub;
	unsigned int i, type;
	long off = attr_open(g, NLA_F_NESTED | t), eoff;

	if (regions)		/* one of the VMM's regions, or both */
		n = 1 + nf_chance(g->rng, 40);
	for (i = 0; i < n && !g->full; i++) {
		if (regions)
			g->region = n == 2 ? (int)i : (int)nf_below(g->rng, 2);
		type = i;
		if (g->mood != PLAUSIBLE && nf_chance(g->rng, 10))
			type = nf_chance(g->rng, 50) ? 0 : nf_below(g->rng, 0x10000);
		eoff = attr_open(g, (type & 0x3fff) |
				 (nf_chance(g->rng, 95) ? NLA_F_NESTED : 0));
		if (depth < MAX_DEPTH)
			gen_nest(g, a->sub, depth + 1);
		attr_close(g, eoff);
		g->region = -1;
	}
	attr_close(g, off);
}

static void gen_value(struct gen *g, int pol, unsigned int t,
		      const struct nf_attr *a, unsigned int depth)
{
	long off;

	if (g->mood == CHAOS && nf_chance(g->rng, 8)) {
		/* the wrong type: junk, or a flag bit where none belongs */
		if (nf_chance(g->rng, 50)) {
			gen_junk(g, t | (nf_chance(g->rng, 30) ? NLA_F_NESTED : 0));
			return;
		}
		t |= nf_chance(g->rng, 50) ? NLA_F_NESTED : NLA_F_NET_BYTEORDER;
	}
	switch (a->type) {
	case NL_ATTR_TYPE_FLAG:
		if (g->mood == CHAOS)
			gen_junk(g, t);
		else
			put_attr(g, t, NULL, 0);
		break;
	case NL_ATTR_TYPE_U8:
	case NL_ATTR_TYPE_U16:
	case NL_ATTR_TYPE_U32:
	case NL_ATTR_TYPE_U64:
		gen_int_attr(g, a, pol, t, 1U << (a->type - NL_ATTR_TYPE_U8), false);
		break;
	case NL_ATTR_TYPE_S8:
	case NL_ATTR_TYPE_S16:
	case NL_ATTR_TYPE_S32:
	case NL_ATTR_TYPE_S64:
		gen_int_attr(g, a, pol, t, 1U << (a->type - NL_ATTR_TYPE_S8), true);
		break;
	case NF_ATTR_TYPE_UINT:
	case NF_ATTR_TYPE_SINT:		/* 4 or 8 bytes */
		gen_int_attr(g, a, pol, t, nf_chance(g->rng, 50) ? 4 : 8,
			     a->type == NF_ATTR_TYPE_SINT);
		break;
	case NL_ATTR_TYPE_STRING:
	case NL_ATTR_TYPE_NUL_STRING:
		gen_string_attr(g, a, pol, t, a->type == NL_ATTR_TYPE_NUL_STRING);
		break;
	case NL_ATTR_TYPE_BINARY:
		gen_binary_attr(g, a, t);
		break;
	case NL_ATTR_TYPE_NESTED:
		if (g->mood == CHAOS && nf_chance(g->rng, 10))
			t &= ~NLA_F_NESTED;
		else
			t |= NLA_F_NESTED;
		off = attr_open(g, t);
		if (depth < MAX_DEPTH)
			gen_nest(g, a->sub, depth + 1);
		attr_close(g, off);
		break;
	case NL_ATTR_TYPE_NESTED_ARRAY:
		gen_array(g, a, t, depth);
		break;
	case NL_ATTR_TYPE_BITFIELD32: {
		uint32_t bf[2] = { nf_rand(g->rng), nf_rand(g->rng) };

		if (g->mood == PLAUSIBLE)
			bf[1] &= a->bf_mask;
		put_attr(g, t, bf, sizeof(bf));
		break;
	}
	default:		/* rejected or unknown to us: anything */
		gen_junk(g, t);
	}
}

/* Whether to put attribute @t of this level into the message. */
static bool want(struct gen *g, const struct nf_attr *a)
{
	static const unsigned int typed[] = { 93, 50, 35 };
	static const unsigned int untyped[] = { 2, 10, 25 };

	if (a->type == NL_ATTR_TYPE_INVALID)
		return nf_chance(g->rng, untyped[g->mood]);
	return nf_chance(g->rng, typed[g->mood]);
}

/* Plausible top level: one attribute, preferably one that worked before. */
static void gen_top_plausible(struct gen *g, int pol)
{
	const struct nf_policy *p = &g->c->m->pol[pol];
	uint64_t ok = g->c->pools->top_ok[g->r->cmd];
	bool known = ok && nf_chance(g->rng, 90);
	unsigned int t, tries;

	for (tries = 0; tries < 64; tries++) {
		t = nf_below(g->rng, p->maxtype + 1);
		if (known && !(ok & (1ULL << t)))
			continue;
		if (p->attrs[t].present && p->attrs[t].type != NL_ATTR_TYPE_INVALID)
			break;
	}
	if (tries == 64)
		return;
	g->r->top_types |= 1ULL << t;
	gen_value(g, pol, t, &p->attrs[t], 0);
}

static void gen_chaos_extras(struct gen *g, int pol, unsigned int maxtype)
{
	if (nf_chance(g->rng, 20))	/* an attribute type beyond the policy */
		gen_junk(g, nf_chance(g->rng, 70) ?
			 maxtype + 1 + nf_below(g->rng, 4) :
			 nf_below(g->rng, 0x10000));
	if (nf_chance(g->rng, 5))	/* type 0 */
		gen_junk(g, 0);
	if (nf_chance(g->rng, 10))
		gen_deep(g, maxtype);
	if (nf_chance(g->rng, 15) && pol >= 0) {	/* a duplicate */
		unsigned int t = 1 + nf_below(g->rng, maxtype);
		const struct nf_attr *a = nf_model_attr(g->c->m, pol, t);

		if (a)
			gen_value(g, pol, t, a, MAX_DEPTH);
	}
}

static void gen_nest(struct gen *g, int pol, unsigned int depth)
{
	const struct nf_policy *p;
	unsigned int order[NF_MAX_ATTRS], n = 0, i, t;

	if (pol < 0 || pol >= NF_MAX_POLICIES || !g->c->m->pol[pol].present) {
		for (i = nf_below(g->rng, 4); i; i--)
			gen_junk(g, 1 + nf_below(g->rng, 8));
		return;
	}
	p = &g->c->m->pol[pol];
	if (depth == 0 && g->mood == PLAUSIBLE) {
		gen_top_plausible(g, pol);
		return;
	}
	for (t = 0; t <= p->maxtype; t++)
		if (p->attrs[t].present && want(g, &p->attrs[t]))
			order[n++] = t;
	if (g->mood == CHAOS && nf_chance(g->rng, 30)) {
		for (i = n; i > 1; i--) {
			unsigned int j = nf_below(g->rng, i), x = order[i - 1];

			order[i - 1] = order[j];
			order[j] = x;
		}
	}
	for (i = 0; i < n && !g->full; i++) {
		if (depth == 0)
			g->r->top_types |= 1ULL << order[i];
		gen_value(g, pol, order[i], &p->attrs[order[i]], depth);
	}
	if (g->mood == CHAOS)
		gen_chaos_extras(g, pol, p->maxtype);
}

/* ---- messages ---- */

static void pick_cmd(struct gen *g)
{
	const struct nf_model *m = g->c->m;
	struct nf_req *r = g->r;

	if (m->nops && (g->mood != CHAOS || nf_chance(g->rng, 80)))
		r->cmd = m->cmds[nf_below(g->rng, m->nops)];
	else if (nf_chance(g->rng, 50))
		r->cmd = nf_below(g->rng, 256);
	else
		r->cmd = nf_below(g->rng, 32);
}

static uint16_t pick_flags(struct gen *g, const struct nf_op *op)
{
	uint16_t f = NLM_F_REQUEST | NLM_F_ACK;
	bool dump;

	if (op && (op->flags & NF_OP_DUMP) && !(op->flags & NF_OP_DO))
		dump = nf_chance(g->rng, 95);
	else if (op && (op->dump_pol >= 0 || (op->flags & NF_OP_DUMP)))
		dump = nf_chance(g->rng, 40);
	else
		dump = nf_chance(g->rng, g->mood == PLAUSIBLE ? 0 : 5);
	if (dump)
		f |= NLM_F_DUMP;
	if (g->mood == CHAOS) {
		if (nf_chance(g->rng, 10))
			f ^= 1U << (4 + nf_below(g->rng, 12));
		if (nf_chance(g->rng, 4))
			f &= ~NLM_F_REQUEST;
		if (nf_chance(g->rng, 4))
			f &= ~NLM_F_ACK;
	}
	return f;
}

/*
 * Mangle the length of a chaos message.  Returns the bytes to send; clears
 * r->certain when the kernel may stay silent (it ignores the rest of a
 * datagram after a message whose length is below a header or beyond the
 * datagram).
 */
static size_t mangle_length(struct gen *g, struct nlmsghdr *nlh)
{
	size_t sent = g->len;

	switch (nf_below(g->rng, 5)) {
	case 0:		/* cut anywhere after the netlink header */
		sent = NLMSG_HDRLEN + nf_below(g->rng, g->len - NLMSG_HDRLEN + 1);
		nlh->nlmsg_len = sent;
		break;
	case 1:		/* a short genetlink header */
		sent = NLMSG_HDRLEN + nf_below(g->rng, GENL_HDRLEN);
		nlh->nlmsg_len = sent;
		break;
	case 2:		/* below a netlink header */
		nlh->nlmsg_len = nf_below(g->rng, NLMSG_HDRLEN);
		g->r->certain = false;
		break;
	case 3:		/* beyond the datagram */
		nlh->nlmsg_len = g->len + 1 + nf_below(g->rng, 100);
		g->r->certain = false;
		break;
	default: {	/* trailing garbage inside the message */
		size_t n = 1 + nf_below(g->rng, 8);

		fill_random(g, g->buf + g->len, n);
		g->len += n;
		sent = g->len;
		nlh->nlmsg_len = sent;
	}
	}
	/* what was cut off was not sent: nothing to learn from it */
	g->r->nputs = 0;
	g->r->top_types = 0;
	return sent;
}

static void classify(struct gen *g, const struct nlmsghdr *nlh, size_t sent)
{
	const struct nf_op *op = &g->c->m->ops[g->r->cmd];
	struct nf_req *r = g->r;
	uint16_t f = nlh->nlmsg_flags;

	r->dump = (f & NLM_F_DUMP) == NLM_F_DUMP;
	if (!(f & NLM_F_REQUEST) || nlh->nlmsg_len < NLMSG_HDRLEN ||
	    nlh->nlmsg_len > sent || !((f & NLM_F_ACK) || r->dump))
		r->certain = false;
	r->perm_checked = g->c->unpriv && r->certain &&
			  nlh->nlmsg_len >= NLMSG_HDRLEN + GENL_HDRLEN &&
			  op->present && r->cmd != g->c->host_cmd;
}

size_t nf_gen_msg(struct nf_ctx *c, unsigned char *buf, size_t cap,
		  struct nf_req *r)
{
	struct gen g = { .c = c, .rng = &c->rng, .r = r, .buf = buf,
			 .cap = cap < NF_MSG_MAX ? cap : NF_MSG_MAX,
			 .region = -1 };
	unsigned int roll = nf_below(&c->rng, 100);
	struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
	struct genlmsghdr *gh;
	const struct nf_op *op;
	size_t sent;

	memset(r, 0, sizeof(*r));
	r->bad_off = -1;
	r->vmm = -1;
	g.mood = roll < 45 ? PLAUSIBLE : roll < 80 ? BOUNDARY : CHAOS;
	if (g.mood == PLAUSIBLE && c->nvmms && nf_chance(&c->rng, 90)) {
		r->vmm = nf_below(&c->rng, c->nvmms);
		g.vmm = &c->vmms[r->vmm];
		if (!g.vmm->pid)
			g.vmm = NULL;
	}
	if (cap < NLMSG_HDRLEN + GENL_HDRLEN + 128)
		return 0;
	pick_cmd(&g);
	op = c->m->ops[r->cmd].present ? &c->m->ops[r->cmd] : NULL;
	memset(buf, 0, NLMSG_HDRLEN + GENL_HDRLEN);
	nlh->nlmsg_type = c->m->family;
	nlh->nlmsg_flags = pick_flags(&g, op);
	nlh->nlmsg_seq = r->seq = ++c->seq;
	if (g.mood == CHAOS && nf_chance(&c->rng, 5))
		nlh->nlmsg_pid = nf_rand(&c->rng);
	gh = (struct genlmsghdr *)(buf + NLMSG_HDRLEN);
	gh->cmd = r->cmd;
	gh->version = c->m->version;
	if (g.mood == CHAOS && nf_chance(&c->rng, 10))
		gh->version = nf_rand(&c->rng);
	if (g.mood == CHAOS && nf_chance(&c->rng, 5))
		gh->reserved = nf_rand(&c->rng);
	g.len = NLMSG_HDRLEN + GENL_HDRLEN;
	r->dump = (nlh->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP;
	if (op)
		r->top_pol = r->dump && op->dump_pol >= 0 ? op->dump_pol : op->do_pol;
	else
		r->top_pol = nf_chance(&c->rng, 50) ? (int)nf_below(&c->rng, c->m->npol) : -1;
	gen_nest(&g, r->top_pol, 0);
	nlh->nlmsg_len = g.len;
	sent = g.len;
	r->certain = true;
	if (g.mood == CHAOS && nf_chance(&c->rng, 15))
		sent = mangle_length(&g, nlh);
	classify(&g, nlh, sent);
	r->len = sent;
	return sent;
}
