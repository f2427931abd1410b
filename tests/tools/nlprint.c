// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The vmmerge developers.
 *
 * Flatten received vmmerge messages into one line each:
 *
 *   get-vm vm.id=7 vm.name=vm0 vm.regions.0.start=0x7f0000000000 ...
 *
 * Paths use the names of nlschema.c; entries of an array are named by their
 * type (0, 1, ...).  Numbers print in decimal, or in hex where the table
 * says so; strings print as they are, without their NUL.  An attribute the
 * table does not know prints as PATH.@ID=HEX, a known one whose length does
 * not fit its type as PATH:bin=HEX, an empty nest as PATH={}, and bytes left
 * over after the last whole attribute of a nest as PATH.@trailing=HEX.
 */
#include <string.h>
#include <netlink/attr.h>
#include <netlink/genl/genl.h>

#include "nlspec.h"

struct path {
	char buf[256];
	size_t len;
};

struct level {
	const struct nls_set *set;	/* NULL for an array level */
	const struct nls_set *entry_set; /* array level: set of each entry */
};

static void print_set(FILE *f, const struct level *lv,
		      const struct nlattr *head, int len, struct path *p);

static size_t path_push(struct path *p, const char *seg)
{
	size_t old = p->len;
	int n;

	n = snprintf(p->buf + old, sizeof(p->buf) - old, "%s%s",
		     old ? "." : "", seg);
	if (n > 0)
		p->len = old + n < sizeof(p->buf) ? old + n :
						    sizeof(p->buf) - 1;
	return old;
}

static void path_pop(struct path *p, size_t old)
{
	p->len = old;
	p->buf[old] = '\0';
}

static void print_hex(FILE *f, const void *data, int len)
{
	const unsigned char *c = data;
	int i;

	for (i = 0; i < len; i++)
		fprintf(f, "%02x", c[i]);
}

static void print_unknown(FILE *f, struct path *p, const struct nlattr *nla)
{
	char seg[16];
	size_t old;

	snprintf(seg, sizeof(seg), "@%d", nla_type(nla));
	old = path_push(p, seg);
	fprintf(f, " %s=", p->buf);
	print_hex(f, nla_data(nla), nla_len(nla));
	path_pop(p, old);
}

static int scalar_size(enum nls_type type)
{
	switch (type) {
	case NLS_U8:
		return 1;
	case NLS_U16:
		return 2;
	case NLS_U32:
		return 4;
	case NLS_U64:
		return 8;
	default:
		return -1;
	}
}

static void print_number(FILE *f, const struct nls_attr *a,
			 const struct nlattr *nla)
{
	unsigned long long v;

	switch (a->type) {
	case NLS_U8:
		v = nla_get_u8(nla);
		break;
	case NLS_U16:
		v = nla_get_u16(nla);
		break;
	case NLS_U32:
		v = nla_get_u32(nla);
		break;
	default:
		v = nla_get_u64(nla);
		break;
	}
	fprintf(f, a->flags & NLS_F_HEX ? "0x%llx" : "%llu", v);
}

static void print_string(FILE *f, const struct nlattr *nla)
{
	const char *s = nla_data(nla);
	int len = nla_len(nla);
	const char *nul = memchr(s, '\0', len);

	fwrite(s, 1, nul ? nul - s : len, f);
}

static void print_leaf(FILE *f, const struct nls_attr *a,
		       const struct nlattr *nla, struct path *p)
{
	int size = scalar_size(a->type);

	if (a->type == NLS_PAD)
		return;
	if (a->type == NLS_FLAG && !nla_len(nla)) {
		fprintf(f, " %s", p->buf);
		return;
	}
	if (size > 0 && nla_len(nla) == size) {
		fprintf(f, " %s=", p->buf);
		print_number(f, a, nla);
		return;
	}
	if (a->type == NLS_STR || a->type == NLS_STRN) {
		fprintf(f, " %s=", p->buf);
		print_string(f, nla);
		return;
	}
	fprintf(f, " %s:bin=", p->buf);
	print_hex(f, nla_data(nla), nla_len(nla));
}

static void print_nest(FILE *f, const struct level *lv,
		       const struct nlattr *nla, struct path *p)
{
	if (!nla_len(nla)) {
		fprintf(f, " %s={}", p->buf);
		return;
	}
	print_set(f, lv, nla_data(nla), nla_len(nla), p);
}

static void print_entry(FILE *f, const struct level *lv,
			const struct nlattr *nla, struct path *p)
{
	struct level inner = { .set = lv->entry_set };
	char seg[16];
	size_t old;

	snprintf(seg, sizeof(seg), "%d", nla_type(nla));
	old = path_push(p, seg);
	print_nest(f, &inner, nla, p);
	path_pop(p, old);
}

static const struct nls_attr *lookup(const struct nls_set *set, int id)
{
	unsigned int i;

	for (i = 0; set && i < set->count; i++)
		if ((int)set->attrs[i].id == id)
			return &set->attrs[i];
	return NULL;
}

static void print_one(FILE *f, const struct level *lv,
		      const struct nlattr *nla, struct path *p)
{
	const struct nls_attr *a;
	struct level inner = { 0 };
	size_t old;

	if (lv->entry_set) {
		print_entry(f, lv, nla, p);
		return;
	}
	a = lookup(lv->set, nla_type(nla));
	if (!a) {
		print_unknown(f, p, nla);
		return;
	}
	old = path_push(p, a->name);
	if (a->type == NLS_NEST || a->type == NLS_ARRAY) {
		if (a->type == NLS_NEST)
			inner.set = a->nest;
		else
			inner.entry_set = a->nest;
		print_nest(f, &inner, nla, p);
	} else {
		print_leaf(f, a, nla, p);
	}
	path_pop(p, old);
}

static void print_set(FILE *f, const struct level *lv,
		      const struct nlattr *head, int len, struct path *p)
{
	const struct nlattr *nla;
	size_t old;
	int rem;

	nla_for_each_attr(nla, head, len, rem)
		print_one(f, lv, nla, p);
	if (rem <= 0)
		return;
	old = path_push(p, "@trailing");
	fprintf(f, " %s=", p->buf);
	print_hex(f, (const char *)head + len - rem, rem);
	path_pop(p, old);
}

/* Print the attributes in @head (no newline) as " path=value" words. */
void nls_print_attrs(FILE *f, const struct nls_set *top,
		     const struct nlattr *head, int len)
{
	struct level lv = { .set = top };
	struct path p = { .len = 0 };

	p.buf[0] = '\0';
	print_set(f, &lv, head, len, &p);
}

/*
 * Print one message as a line: command name, then attributes.  With @top
 * NULL (another family) every attribute and the command print raw.
 */
void nls_print_msg(FILE *f, const struct nlmsghdr *nlh,
		   const struct nls_set *top)
{
	const struct genlmsghdr *g = nlmsg_data(nlh);
	const char *name;

	if (nlh->nlmsg_len < NLMSG_HDRLEN + GENL_HDRLEN) {
		fprintf(f, "@short\n");
		return;
	}
	name = top ? nls_cmd_name(g->cmd) : NULL;
	if (name)
		fputs(name, f);
	else
		fprintf(f, "@%u", g->cmd);
	nls_print_attrs(f, top, genlmsg_attrdata(g, 0),
			genlmsg_attrlen(g, 0));
	fputc('\n', f);
}
