/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (C) 2026 The vmmerge developers.
 *
 * nlspec: a table of the vmmerge generic netlink attributes (names, ids and
 * types per nesting level, mirroring include/uapi/linux/vmmerge.h), a
 * builder that turns command-line tokens into (possibly malformed) netlink
 * attributes, and a printer that flattens received attributes into one line
 * of dotted `path=value` words.  The token grammar is described at the top of
 * nlspec.c and in `nlcall --help`.
 */
#ifndef VMMERGE_NLSPEC_H
#define VMMERGE_NLSPEC_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <netlink/msg.h>

#define NLS_MAX_DEPTH 16
#define NLS_OFFS_NONE ((unsigned int)-1)

enum nls_type {
	NLS_NONE,	/* no type given */
	NLS_U8,
	NLS_U16,
	NLS_U32,
	NLS_U64,
	NLS_STR,	/* NUL-terminated string */
	NLS_STRN,	/* string without its NUL */
	NLS_BIN,	/* bytes, written as hex */
	NLS_FLAG,	/* no payload */
	NLS_PAD,	/* alignment padding, never printed */
	NLS_NEST,	/* nested attributes of another set */
	NLS_ARRAY,	/* nest of entries typed 0, 1, 2, ... */
};

/* nls_attr.flags */
#define NLS_F_HEX	0x1	/* print the number in hex */

struct nls_set;

struct nls_attr {
	const char *name;
	unsigned int id;
	enum nls_type type;
	unsigned int flags;
	const struct nls_set *nest;	/* NEST: inner set; ARRAY: entry's set */
	const char *entry;		/* ARRAY: the token naming one entry */
};

struct nls_set {
	const char *name;
	const struct nls_attr *attrs;
	unsigned int count;
};

/* The top level of every vmmerge message: domain, group, vm, host. */
extern const struct nls_set nls_vmmerge;

/**
 * struct nls_build_info - what nls_build() reports besides the attributes
 * @err: the reason a token list was rejected, "" on success
 * @offs: when not NULL, an array of one entry per token, filled with the
 *	offset (from the start of the netlink header) of the attribute the
 *	token produced, or NLS_OFFS_NONE for tokens that close nests
 */
struct nls_build_info {
	char err[192];
	unsigned int *offs;
};

int nls_cmd_parse(const char *s, unsigned int *cmd);
const char *nls_cmd_name(unsigned int cmd);
void nls_cmd_list(FILE *f);

int nls_parse_u64(const char *s, uint64_t max, uint64_t *val);
int nls_type_parse(const char *s, enum nls_type *type);
const char *nls_type_name(enum nls_type type);

int nls_build(struct nl_msg *msg, const struct nls_set *top, int ntok,
	      char *const *tok, struct nls_build_info *info);

void nls_print_attrs(FILE *f, const struct nls_set *top,
		     const struct nlattr *head, int len);
void nls_print_msg(FILE *f, const struct nlmsghdr *nlh,
		   const struct nls_set *top);

#endif /* VMMERGE_NLSPEC_H */
