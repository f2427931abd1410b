// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The vmmerge developers.
 *
 * Build netlink attributes from command-line tokens, one argv word each.
 *
 *   NAME=VALUE        attribute NAME of the current level, typed as the
 *                     table in nlschema.c says (u8/u16/u32/u64: decimal or
 *                     0x hex, checked against the width; strings as is)
 *   NAME:TYPE=VALUE   the same attribute id, encoded as TYPE instead
 *   NAME{             open nest NAME, sent with NLA_F_NESTED; close with }
 *   NAME:nonest{      the same nest without NLA_F_NESTED
 *   NAME:nest{        force a nest even where NAME is not one (raw inside)
 *   ENTRY{            inside an array nest (vm's regions{), ENTRY (region)
 *                     opens the next entry; entries get types 0, 1, 2, ...
 *   NAME:flag         a zero-length attribute
 *   @ID:TYPE=VALUE    raw attribute with type field ID (0..0xffff, so flag
 *                     bits can be forced too), at any level
 *   @ID:flag          raw zero-length attribute
 *   @ID{ @ID:nonest{  raw nest; inside it only @ID tokens are accepted
 *   }                 close the innermost nest; "}}" closes two
 *
 *   TYPE is one of u8 u16 u32 u64 str strn bin flag: str adds the NUL, strn
 *   does not, bin takes hex digits (optional 0x; empty gives an empty
 *   payload).  Everything after the first '=' is the value, verbatim.
 *
 * Example: vm{ id=7 name=vm0 regions{ region{ start=0x7f0000000000
 * length=0x10000000 } } } or, malformed, vm{ id:u32=7 @99:bin=00ff }.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <netlink/attr.h>

#include "nlspec.h"

#define HEAD_MAX 64

struct token {
	char head[HEAD_MAX];	/* NAME or @ID, without :TYPE */
	const char *value;	/* what follows '=', NULL without '=' */
	enum nls_type type;	/* from :TYPE, NLS_NONE without */
	bool open;		/* the word ends in '{' */
	bool nonest;		/* :nonest */
};

struct frame {
	const struct nls_set *set;	/* attributes known here; NULL: raw */
	const struct nls_set *entry_set; /* array frame: set of each entry */
	const char *entry;		/* array frame: the entry's token */
	unsigned int next;		/* array frame: next entry's type */
	struct nlattr *nest;		/* NULL at the top level */
	int tok;			/* the token that opened the frame */
};

struct builder {
	struct nl_msg *msg;
	struct nls_build_info *info;
	char *const *toks;
	int itok;
	int depth;
	struct frame fr[NLS_MAX_DEPTH + 1];
};

static const char *const type_names[] = {
	[NLS_U8] = "u8", [NLS_U16] = "u16", [NLS_U32] = "u32",
	[NLS_U64] = "u64", [NLS_STR] = "str", [NLS_STRN] = "strn",
	[NLS_BIN] = "bin", [NLS_FLAG] = "flag", [NLS_PAD] = "pad",
	[NLS_NEST] = "nest", [NLS_ARRAY] = "array",
};

const char *nls_type_name(enum nls_type type)
{
	if (type >= sizeof(type_names) / sizeof(type_names[0]) ||
	    !type_names[type])
		return "none";
	return type_names[type];
}

/* Types a token may name after ':' (nest and nonest only before '{'). */
int nls_type_parse(const char *s, enum nls_type *type)
{
	static const enum nls_type ok[] = {
		NLS_U8, NLS_U16, NLS_U32, NLS_U64, NLS_STR, NLS_STRN,
		NLS_BIN, NLS_FLAG, NLS_NEST,
	};
	unsigned int i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		if (!strcmp(s, type_names[ok[i]])) {
			*type = ok[i];
			return 0;
		}
	}
	return -EINVAL;
}

/* Decimal or 0x hex, no sign, no blanks, at most @max. */
int nls_parse_u64(const char *s, uint64_t max, uint64_t *val)
{
	unsigned long long v;
	int base = 10;
	char *end;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (base == 16 ? !isxdigit((unsigned char)s[0]) :
			 !isdigit((unsigned char)s[0]))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, base);
	if (*end)
		return -EINVAL;
	if (errno == ERANGE || v > max)
		return -ERANGE;
	*val = v;
	return 0;
}

static int fail(struct builder *b, const char *fmt, ...)
{
	struct nls_build_info *info = b->info;
	va_list ap;
	int n;

	n = snprintf(info->err, sizeof(info->err), "token %d '%s': ",
		     b->itok + 1, b->toks[b->itok]);
	if (n < 0 || (size_t)n >= sizeof(info->err))
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(info->err + n, sizeof(info->err) - n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int no_room(struct builder *b)
{
	fail(b, "message too large");
	return -EMSGSIZE;
}

static int split_type(struct builder *b, struct token *t, char *colon)
{
	*colon++ = '\0';
	if (t->open && !strcmp(colon, "nonest")) {
		t->nonest = true;
		t->type = NLS_NEST;
		return 0;
	}
	if (nls_type_parse(colon, &t->type))
		return fail(b, "unknown type '%s' (u8 u16 u32 u64 str strn bin flag%s)",
			    colon, t->open ? " nest nonest" : "");
	if (t->open && t->type != NLS_NEST)
		return fail(b, "only :nest or :nonest may open a nest");
	if (!t->open && t->type == NLS_NEST)
		return fail(b, "a nest opens with '{'");
	return 0;
}

/* Cut a word into head, :TYPE, '{' and value. */
static int parse_token(struct builder *b, const char *s, struct token *t)
{
	const char *eq = strchr(s, '=');
	size_t len = eq ? (size_t)(eq - s) : strlen(s);
	char *colon;

	memset(t, 0, sizeof(*t));
	if (eq) {
		t->value = eq + 1;
	} else if (len && s[len - 1] == '{') {
		t->open = true;
		len--;
	}
	if (!len)
		return fail(b, "missing attribute name");
	if (len >= HEAD_MAX)
		return fail(b, "attribute name too long");
	memcpy(t->head, s, len);
	t->head[len] = '\0';
	colon = strchr(t->head, ':');
	if (colon)
		return split_type(b, t, colon);
	return 0;
}

static int resolve_raw(struct builder *b, const struct token *t,
		       struct nls_attr *a)
{
	uint64_t id;

	if (nls_parse_u64(t->head + 1, 0xffff, &id))
		return fail(b, "bad raw attribute id '%s' (0..0xffff)",
			    t->head + 1);
	a->name = t->head;
	a->id = id;
	return 0;
}

static int unknown(struct builder *b, const struct nls_set *set,
		   const char *name)
{
	char known[128] = "";
	size_t n = 0;
	unsigned int i;

	for (i = 0; i < set->count && n < sizeof(known); i++)
		n += snprintf(known + n, sizeof(known) - n, " %s",
			      set->attrs[i].name);
	return fail(b, "unknown attribute '%s' in %s (known:%s)", name,
		    set->name, known);
}

/* Find what the token's head names at the current level. */
static int resolve(struct builder *b, const struct token *t,
		   struct nls_attr *a)
{
	struct frame *f = &b->fr[b->depth];
	unsigned int i;

	memset(a, 0, sizeof(*a));
	if (t->head[0] == '@')
		return resolve_raw(b, t, a);
	if (f->entry) {
		if (strcmp(t->head, f->entry))
			return fail(b, "only '%s{' entries go here",
				    f->entry);
		a->name = f->entry;
		a->id = f->next++;
		a->type = NLS_NEST;
		a->nest = f->entry_set;
		return 0;
	}
	if (!f->set)
		return fail(b, "'%s' inside a raw nest: use @ID tokens",
			    t->head);
	for (i = 0; i < f->set->count; i++) {
		if (!strcmp(t->head, f->set->attrs[i].name)) {
			*a = f->set->attrs[i];
			return 0;
		}
	}
	return unknown(b, f->set, t->head);
}

static void note_offset(struct builder *b, const struct nlattr *nla)
{
	const char *base = (const char *)nlmsg_hdr(b->msg);

	if (b->info->offs)
		b->info->offs[b->itok] = (const char *)nla - base;
}

static int open_nest(struct builder *b, const struct token *t,
		     const struct nls_attr *a)
{
	struct frame *f;
	struct nlattr *nla;
	bool known = a->type == NLS_NEST || a->type == NLS_ARRAY;

	if (!known && a->type != NLS_NONE && t->type != NLS_NEST)
		return fail(b, "'%s' is not a nest (force one with '%s:nest{')",
			    a->name, a->name);
	if (b->depth == NLS_MAX_DEPTH)
		return fail(b, "nested deeper than %d", NLS_MAX_DEPTH);
	nla = nla_reserve(b->msg, a->id | (t->nonest ? 0 : NLA_F_NESTED), 0);
	if (!nla)
		return no_room(b);
	note_offset(b, nla);
	f = &b->fr[++b->depth];
	memset(f, 0, sizeof(*f));
	f->nest = nla;
	f->tok = b->itok;
	if (a->type == NLS_NEST)
		f->set = a->nest;
	if (a->type == NLS_ARRAY) {
		f->entry = a->entry;
		f->entry_set = a->nest;
	}
	return 0;
}

static int close_nest(struct builder *b)
{
	struct nlattr *nla;
	char *tail;

	if (!b->depth)
		return fail(b, "'}' without an open nest");
	nla = b->fr[b->depth--].nest;
	tail = (char *)nlmsg_hdr(b->msg) + nlmsg_hdr(b->msg)->nlmsg_len;
	nla->nla_len = tail - (char *)nla;
	return 0;
}

static int put(struct builder *b, unsigned int id, const void *data,
	       size_t len)
{
	struct nlattr *nla = nla_reserve(b->msg, id, len);

	if (!nla)
		return no_room(b);
	if (len)
		memcpy(nla_data(nla), data, len);
	note_offset(b, nla);
	return 0;
}

static int put_number(struct builder *b, const struct nls_attr *a,
		      enum nls_type type, const char *s)
{
	static const uint64_t max[] = {
		[NLS_U8] = UINT8_MAX, [NLS_U16] = UINT16_MAX,
		[NLS_U32] = UINT32_MAX, [NLS_U64] = UINT64_MAX,
	};
	uint8_t u8;
	uint16_t u16;
	uint32_t u32;
	uint64_t v;
	int err = nls_parse_u64(s, max[type], &v);

	if (err == -ERANGE)
		return fail(b, "'%s' does not fit in %s", s,
			    nls_type_name(type));
	if (err)
		return fail(b, "bad number '%s' (decimal or 0x hex)", s);
	switch (type) {
	case NLS_U8:
		u8 = v;
		return put(b, a->id, &u8, sizeof(u8));
	case NLS_U16:
		u16 = v;
		return put(b, a->id, &u16, sizeof(u16));
	case NLS_U32:
		u32 = v;
		return put(b, a->id, &u32, sizeof(u32));
	default:
		return put(b, a->id, &v, sizeof(v));
	}
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower((unsigned char)c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static int put_bin(struct builder *b, const struct nls_attr *a,
		   const char *s)
{
	struct nlattr *nla;
	size_t i, n;
	uint8_t *p;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	n = strlen(s);
	if (n % 2)
		return fail(b, "odd number of hex digits");
	for (i = 0; i < n; i++)
		if (hexval(s[i]) < 0)
			return fail(b, "bad hex digit '%c'", s[i]);
	nla = nla_reserve(b->msg, a->id, n / 2);
	if (!nla)
		return no_room(b);
	p = nla_data(nla);
	for (i = 0; i < n; i += 2)
		p[i / 2] = hexval(s[i]) << 4 | hexval(s[i + 1]);
	note_offset(b, nla);
	return 0;
}

static int put_value(struct builder *b, const struct token *t,
		     const struct nls_attr *a)
{
	enum nls_type type = t->type ? t->type : a->type;
	const char *v = t->value;

	if (type == NLS_NONE)
		return fail(b, "raw attribute needs a type, e.g. '%s:u32=1'",
			    a->name);
	if (type == NLS_NEST || type == NLS_ARRAY)
		return fail(b, "'%s' is a nest: write '%s{ ... }'", a->name,
			    a->name);
	if (type == NLS_FLAG || type == NLS_PAD) {
		if (v && (type == NLS_FLAG || *v))
			return fail(b, "a flag takes no value");
		return put(b, a->id, NULL, 0);
	}
	if (!v)
		return fail(b, "missing '=VALUE'");
	if (type == NLS_STR)
		return put(b, a->id, v, strlen(v) + 1);
	if (type == NLS_STRN)
		return put(b, a->id, v, strlen(v));
	if (type == NLS_BIN)
		return put_bin(b, a, v);
	return put_number(b, a, type, v);
}

static bool all_closing(const char *s)
{
	if (!*s)
		return false;
	while (*s == '}')
		s++;
	return !*s;
}

static int one_token(struct builder *b, const char *s)
{
	struct nls_attr a;
	struct token t;
	int err;

	if (b->info->offs)
		b->info->offs[b->itok] = NLS_OFFS_NONE;
	if (all_closing(s)) {
		for (err = 0; *s && !err; s++)
			err = close_nest(b);
		return err;
	}
	err = parse_token(b, s, &t);
	if (!err)
		err = resolve(b, &t, &a);
	if (err)
		return err;
	return t.open ? open_nest(b, &t, &a) : put_value(b, &t, &a);
}

/**
 * nls_build() - append the attributes @tok describes to @msg
 * @msg: a message whose headers are in place
 * @top: the attribute set of the top level
 * @ntok: number of tokens
 * @tok: the tokens
 * @info: receives the error text and, if asked, per-token offsets
 *
 * Return: 0, -EINVAL for a malformed token list (reason in @info->err) or
 * -EMSGSIZE when @msg is too small.
 */
int nls_build(struct nl_msg *msg, const struct nls_set *top, int ntok,
	      char *const *tok, struct nls_build_info *info)
{
	struct builder b = {
		.msg = msg, .info = info, .toks = tok,
		.fr[0] = { .set = top, .tok = -1 },
	};
	int err;

	info->err[0] = '\0';
	for (b.itok = 0; b.itok < ntok; b.itok++) {
		err = one_token(&b, tok[b.itok]);
		if (err)
			return err;
	}
	if (b.depth) {
		b.itok = b.fr[b.depth].tok;
		return fail(&b, "nest not closed: missing '}'");
	}
	return 0;
}
