// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The vmmerge developers.
 *
 * The fuzzer's model of a generic netlink family, from the controller:
 * CTRL_CMD_GETFAMILY for the commands and their flags (do, dump, admin),
 * CTRL_CMD_GETPOLICY (a dump) for the policies.  The policy dump sends one
 * message per command (CTRL_ATTR_OP_POLICY: [cmd] -> do/dump policy index)
 * and one per attribute of every policy reachable from them
 * (CTRL_ATTR_POLICY: [policy index][attribute type] -> NL_POLICY_TYPE_ATTR_*).
 */
#include <errno.h>
#include <string.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <netlink/genl/genl.h>
#include <netlink/genl/ctrl.h>

#include "nlfuzz.h"

struct loader {
	struct nf_model *m;
	int err;		/* negative errno from the controller */
	bool done;
	unsigned int nmsgs;
};

static uint64_t get_uint(const struct nlattr *a)
{
	switch (nla_len(a)) {
	case 1:
		return nla_get_u8((struct nlattr *)a);
	case 2:
		return nla_get_u16((struct nlattr *)a);
	case 4:
		return nla_get_u32((struct nlattr *)a);
	case 8:
		return nla_get_u64((struct nlattr *)a);
	}
	return 0;
}

static void parse_attr_desc(struct nf_attr *d, struct nlattr *nest)
{
	struct nlattr *tb[NL_POLICY_TYPE_ATTR_MAX + 1];

	memset(d, 0, sizeof(*d));
	d->present = true;
	d->sub = -1;
	if (nla_parse_nested(tb, NL_POLICY_TYPE_ATTR_MAX, nest, NULL))
		return;
	if (tb[NL_POLICY_TYPE_ATTR_TYPE])
		d->type = nla_get_u32(tb[NL_POLICY_TYPE_ATTR_TYPE]);
#define TAKE(attr, field, flag, conv)				\
	do {							\
		if (tb[attr]) {					\
			d->field = conv(get_uint(tb[attr]));	\
			d->flag = true;				\
		}						\
	} while (0)
	TAKE(NL_POLICY_TYPE_ATTR_MIN_VALUE_U, min_u, has_min_u, (uint64_t));
	TAKE(NL_POLICY_TYPE_ATTR_MAX_VALUE_U, max_u, has_max_u, (uint64_t));
	TAKE(NL_POLICY_TYPE_ATTR_MIN_VALUE_S, min_s, has_min_s, (int64_t));
	TAKE(NL_POLICY_TYPE_ATTR_MAX_VALUE_S, max_s, has_max_s, (int64_t));
	TAKE(NL_POLICY_TYPE_ATTR_MIN_LENGTH, min_len, has_min_len, (uint32_t));
	TAKE(NL_POLICY_TYPE_ATTR_MAX_LENGTH, max_len, has_max_len, (uint32_t));
	TAKE(NL_POLICY_TYPE_ATTR_MASK, mask, has_mask, (uint64_t));
#undef TAKE
	if (tb[NL_POLICY_TYPE_ATTR_POLICY_IDX]) {
		uint32_t idx = nla_get_u32(tb[NL_POLICY_TYPE_ATTR_POLICY_IDX]);

		d->sub = idx < NF_MAX_POLICIES ? (int)idx : -1;
	}
	if (tb[NL_POLICY_TYPE_ATTR_BITFIELD32_MASK])
		d->bf_mask = nla_get_u32(tb[NL_POLICY_TYPE_ATTR_BITFIELD32_MASK]);
}

/* CTRL_ATTR_POLICY: [policy idx] { [attr type] { description } } */
static void parse_policy(struct nf_model *m, struct nlattr *top)
{
	struct nlattr *pn, *an;
	int r1, r2;

	nla_for_each_nested(pn, top, r1) {
		unsigned int idx = nla_type(pn);
		struct nf_policy *p;

		if (idx >= NF_MAX_POLICIES)
			continue;
		p = &m->pol[idx];
		p->present = true;
		if (idx + 1 > m->npol)
			m->npol = idx + 1;
		nla_for_each_nested(an, pn, r2) {
			unsigned int t = nla_type(an);

			if (t >= NF_MAX_ATTRS)
				continue;
			parse_attr_desc(&p->attrs[t], an);
			if (t > p->maxtype)
				p->maxtype = t;
		}
	}
}

/* CTRL_ATTR_OP_POLICY: [cmd] { CTRL_ATTR_POLICY_DO, CTRL_ATTR_POLICY_DUMP } */
static void parse_op_policy(struct nf_model *m, struct nlattr *top)
{
	struct nlattr *tb[CTRL_ATTR_POLICY_DUMP_MAX + 1], *on;
	int rem;

	nla_for_each_nested(on, top, rem) {
		unsigned int cmd = nla_type(on);
		struct nf_op *op;

		if (cmd >= NF_MAX_CMDS ||
		    nla_parse_nested(tb, CTRL_ATTR_POLICY_DUMP_MAX, on, NULL))
			continue;
		op = &m->ops[cmd];
		if (tb[CTRL_ATTR_POLICY_DO])
			op->do_pol = nla_get_u32(tb[CTRL_ATTR_POLICY_DO]);
		if (tb[CTRL_ATTR_POLICY_DUMP])
			op->dump_pol = nla_get_u32(tb[CTRL_ATTR_POLICY_DUMP]);
	}
}

/* CTRL_ATTR_OPS: [i] { CTRL_ATTR_OP_ID, CTRL_ATTR_OP_FLAGS } */
static void parse_ops(struct nf_model *m, struct nlattr *top)
{
	struct nlattr *tb[CTRL_ATTR_OP_MAX + 1], *on;
	int rem;

	nla_for_each_nested(on, top, rem) {
		uint32_t cmd;

		if (nla_parse_nested(tb, CTRL_ATTR_OP_MAX, on, NULL) ||
		    !tb[CTRL_ATTR_OP_ID])
			continue;
		cmd = nla_get_u32(tb[CTRL_ATTR_OP_ID]);
		if (cmd >= NF_MAX_CMDS || m->ops[cmd].present)
			continue;
		m->ops[cmd].present = true;
		m->ops[cmd].do_pol = -1;
		m->ops[cmd].dump_pol = -1;
		if (tb[CTRL_ATTR_OP_FLAGS])
			m->ops[cmd].flags = nla_get_u32(tb[CTRL_ATTR_OP_FLAGS]);
		m->cmds[m->nops++] = cmd;
	}
}

static int on_msg(struct nl_msg *msg, void *arg)
{
	struct loader *l = arg;
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct nlattr *tb[CTRL_ATTR_MAX + 1];

	if (genlmsg_parse(nlh, 0, tb, CTRL_ATTR_MAX, NULL))
		return NL_SKIP;
	l->nmsgs++;
	if (tb[CTRL_ATTR_VERSION])
		l->m->version = nla_get_u32(tb[CTRL_ATTR_VERSION]);
	if (tb[CTRL_ATTR_OPS])
		parse_ops(l->m, tb[CTRL_ATTR_OPS]);
	if (tb[CTRL_ATTR_OP_POLICY])
		parse_op_policy(l->m, tb[CTRL_ATTR_OP_POLICY]);
	if (tb[CTRL_ATTR_POLICY])
		parse_policy(l->m, tb[CTRL_ATTR_POLICY]);
	return NL_OK;
}

static int on_err(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
	struct loader *l = arg;

	(void)nla;
	l->err = e->error;
	l->done = true;
	return NL_STOP;
}

static int on_end(struct nl_msg *msg, void *arg)
{
	struct loader *l = arg;

	(void)msg;
	l->done = true;
	return NL_STOP;
}

/* Send one controller request for @family and read all its replies. */
static int ctrl_query(struct nl_sock *sk, uint8_t cmd, int flags,
		      const char *family, struct loader *l)
{
	struct nl_msg *msg = nlmsg_alloc();
	struct nl_cb *cb = nl_cb_alloc(NL_CB_DEFAULT);
	int err = -ENOMEM;

	if (!msg || !cb)
		goto out;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, GENL_ID_CTRL, 0,
			 flags | NLM_F_ACK, cmd, 1) ||
	    nla_put_string(msg, CTRL_ATTR_FAMILY_NAME, family))
		goto out;
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, on_msg, l);
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, on_end, l);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, on_end, l);
	nl_cb_err(cb, NL_CB_CUSTOM, on_err, l);
	err = nl_send_auto(sk, msg);
	if (err < 0) {
		err = -EIO;
		goto out;
	}
	l->done = false;
	l->err = 0;
	while (!l->done) {
		err = nl_recvmsgs(sk, cb);
		if (err < 0 && !l->done) {
			err = -EIO;
			goto out;
		}
	}
	err = l->err;
out:
	nl_cb_put(cb);
	nlmsg_free(msg);
	return err;
}

/*
 * A policy a command uses but the dump did not describe has no attribute
 * the dump shows (all of them rejected, say): an empty policy.
 */
static void use_policy(struct nf_model *m, int *idx)
{
	if (*idx >= NF_MAX_POLICIES) {
		*idx = -1;
		return;
	}
	if (*idx < 0 || m->pol[*idx].present)
		return;
	m->pol[*idx].present = true;
	if ((unsigned int)*idx + 1 > m->npol)
		m->npol = *idx + 1;
}

/*
 * Load the model of @family.  Returns 0; -ENOENT when the family is not
 * registered; another negative errno when the kernel cannot describe it
 * (no CTRL_CMD_GETPOLICY before 5.8, or a family without policies).
 */
int nf_model_load(struct nl_sock *sk, const char *family, struct nf_model *m)
{
	struct loader l = { .m = m };
	unsigned int i, with;
	int err;

	memset(m, 0, sizeof(*m));
	m->family = genl_ctrl_resolve(sk, family);
	if (m->family == -NLE_OBJ_NOTFOUND)
		return -ENOENT;
	if (m->family < 0)
		return -EIO;
	err = ctrl_query(sk, CTRL_CMD_GETFAMILY, 0, family, &l);
	if (err)
		return err;
	l.nmsgs = 0;
	err = ctrl_query(sk, CTRL_CMD_GETPOLICY, NLM_F_DUMP, family, &l);
	if (err) {
		fprintf(stderr, "nlfuzz: the kernel gives no policy dump (CTRL_CMD_GETPOLICY) for family %s: %s\n",
			family, strerror(-err));
		return err;
	}
	for (i = 0, with = 0; i < m->nops; i++) {
		struct nf_op *op = &m->ops[m->cmds[i]];

		with += op->do_pol >= 0 || op->dump_pol >= 0;
		use_policy(m, &op->do_pol);
		use_policy(m, &op->dump_pol);
	}
	if (!with) {
		fprintf(stderr, "nlfuzz: the policy dump of family %s names no command's policy (%u policies, %u messages)\n",
			family, m->npol, l.nmsgs);
		return -ENODATA;
	}
	return 0;
}

const struct nf_attr *nf_model_attr(const struct nf_model *m, int pol,
				    unsigned int type)
{
	const struct nf_attr *a;

	if (pol < 0 || pol >= NF_MAX_POLICIES || type >= NF_MAX_ATTRS ||
	    !m->pol[pol].present)
		return NULL;
	a = &m->pol[pol].attrs[type];
	return a->present ? a : NULL;
}

static const char *type_name(uint32_t t)
{
	static const char *const names[] = {
		[NL_ATTR_TYPE_INVALID] = "invalid",
		[NL_ATTR_TYPE_FLAG] = "flag",
		[NL_ATTR_TYPE_U8] = "u8",
		[NL_ATTR_TYPE_U16] = "u16",
		[NL_ATTR_TYPE_U32] = "u32",
		[NL_ATTR_TYPE_U64] = "u64",
		[NL_ATTR_TYPE_S8] = "s8",
		[NL_ATTR_TYPE_S16] = "s16",
		[NL_ATTR_TYPE_S32] = "s32",
		[NL_ATTR_TYPE_S64] = "s64",
		[NL_ATTR_TYPE_BINARY] = "binary",
		[NL_ATTR_TYPE_STRING] = "string",
		[NL_ATTR_TYPE_NUL_STRING] = "nul-string",
		[NL_ATTR_TYPE_NESTED] = "nested",
		[NL_ATTR_TYPE_NESTED_ARRAY] = "nested-array",
		[NL_ATTR_TYPE_BITFIELD32] = "bitfield32",
		[NF_ATTR_TYPE_SINT] = "sint",
		[NF_ATTR_TYPE_UINT] = "uint",
	};

	return t < sizeof(names) / sizeof(names[0]) && names[t] ? names[t] : "?";
}

static void print_attr(FILE *f, unsigned int t, const struct nf_attr *a)
{
	fprintf(f, " %u:%s", t, type_name(a->type));
	if (a->sub >= 0)
		fprintf(f, "->%d", a->sub);
	if (a->has_min_len || a->has_max_len)
		fprintf(f, "[%u..%u]", a->min_len, a->max_len);
	if (a->has_mask)
		fprintf(f, "&0x%llx", (unsigned long long)a->mask);
	else if (a->has_min_u && a->min_u)
		fprintf(f, ">=%llu", (unsigned long long)a->min_u);
}

/* One line per command and per policy, for the log. */
void nf_model_print(FILE *f, const struct nf_model *m)
{
	unsigned int i, t;

	fprintf(f, "nlfuzz: family id %d version %u, %u commands, %u policies\n",
		m->family, m->version, m->nops, m->npol);
	for (i = 0; i < m->nops; i++) {
		const struct nf_op *op = &m->ops[m->cmds[i]];

		fprintf(f, "nlfuzz:   cmd %u flags 0x%x do policy %d dump policy %d\n",
			m->cmds[i], op->flags, op->do_pol, op->dump_pol);
	}
	for (i = 0; i < m->npol; i++) {
		if (!m->pol[i].present)
			continue;
		fprintf(f, "nlfuzz:   policy %u:", i);
		for (t = 0; t <= m->pol[i].maxtype; t++)
			if (m->pol[i].attrs[t].present)
				print_attr(f, t, &m->pol[i].attrs[t]);
		fputc('\n', f);
	}
}
