/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (C) 2026 The vmmerge developers.
 *
 * nlfuzz: a structure-aware fuzzer of a generic netlink family.  The model
 * of the family (its commands, their do/dump policies and every nested
 * policy, with types, ranges, lengths and masks) comes from the kernel's
 * own policy dump (CTRL_CMD_GETPOLICY); pools of values (names, ids, pids,
 * addresses) are learnt from replies and from requests the kernel accepted.
 *
 *   nlfuzz_model.c  the controller queries and the model
 *   nlfuzz_gen.c    messages built from the model
 *   nlfuzz_pool.c   the values it learns and forgets
 *   nlfuzz_check.c  replies: framing, types, errors, what they teach
 *   nlfuzz_proc.c   privileges, helper VMM processes
 *   nlfuzz.c        options, main loop, summary
 */
#ifndef VMMERGE_NLFUZZ_H
#define VMMERGE_NLFUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <linux/netlink.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>

/* Variable-width integers (6.8+), not in older uapi headers. */
#define NF_ATTR_TYPE_SINT	(NL_ATTR_TYPE_BITFIELD32 + 1)
#define NF_ATTR_TYPE_UINT	(NL_ATTR_TYPE_BITFIELD32 + 2)

#define NF_MAX_POLICIES	64
#define NF_MAX_ATTRS	64	/* attribute types 0..63 per policy */
#define NF_MAX_CMDS	256
#define NF_POOL		16	/* values kept per pool */
#define NF_STR_MAX	80	/* longest learnt string, with NUL */
#define NF_BLOBS	4
#define NF_BLOB_MAX	(32 * 1024)
#define NF_MSG_MAX	(48 * 1024)	/* one request at most */
#define NF_DGRAM_MAX	(64 * 1024)	/* one datagram of requests */
#define NF_BATCH_MAX	4
#define NF_EXT_MAX	64	/* extack messages counted */

/* One attribute of one policy, as NL_POLICY_TYPE_ATTR_* describe it. */
struct nf_attr {
	bool present;
	uint32_t type;		/* enum netlink_attribute_type */
	bool has_min_u, has_max_u, has_min_s, has_max_s;
	bool has_min_len, has_max_len, has_mask;
	uint64_t min_u, max_u, mask;
	int64_t min_s, max_s;
	uint32_t min_len, max_len;
	int sub;		/* NESTED/NESTED_ARRAY: policy index, or -1 */
	uint32_t bf_mask;	/* BITFIELD32 */
};

struct nf_policy {
	bool present;
	unsigned int maxtype;	/* highest attribute type described */
	struct nf_attr attrs[NF_MAX_ATTRS];
};

/* CTRL_ATTR_OP_FLAGS bits */
#define NF_OP_ADMIN	0x01	/* GENL_ADMIN_PERM */
#define NF_OP_DO	0x02	/* GENL_CMD_CAP_DO */
#define NF_OP_DUMP	0x04	/* GENL_CMD_CAP_DUMP */

struct nf_op {
	bool present;
	uint32_t flags;
	int do_pol, dump_pol;	/* policy indexes, -1 if none */
};

struct nf_model {
	int family;
	uint32_t version;
	unsigned int nops;
	unsigned int cmds[NF_MAX_CMDS];	/* the commands present */
	struct nf_op ops[NF_MAX_CMDS];
	unsigned int npol;
	struct nf_policy pol[NF_MAX_POLICIES];
};

struct nf_pool {
	uint64_t ints[NF_POOL];
	unsigned int nints;
	char strs[NF_POOL][NF_STR_MAX];
	unsigned int nstrs;
};

struct nf_blob {
	uint32_t len;
	unsigned char *data;
};

/* An attribute of a policy; pol -1: none. */
struct nf_slotref {
	int16_t pol, attr;
};

/* A helper VMM process the fuzzer forked: real pid, two real regions. */
struct nf_vmm {
	int pid;		/* 0: not running */
	uint64_t start[2], len[2];
};

#define NF_VMMS_MAX	8

/*
 * What the family's uapi header says beyond the policies: which attributes
 * are pids and guest-RAM regions, and which names refer to which objects
 * (a VM's group is a group's name).  Only set for vmmerge.
 */
#define NF_TOP_MAX	8

struct nf_hints {
	struct nf_slotref pid, start, len;
	/* top-level attribute -> policy (+1) that describes it fully */
	int canon[NF_TOP_MAX];
	struct nf_slotref alias[NF_MAX_POLICIES][NF_MAX_ATTRS];	/* +1 */
};

struct nf_pools {
	struct nf_pool slot[NF_MAX_POLICIES][NF_MAX_ATTRS];
	struct nf_pool global;
	struct nf_blob blobs[NF_BLOBS];
	unsigned int nblobs;
	/* top-level attribute types that made a command succeed */
	uint64_t top_ok[NF_MAX_CMDS];
};

/* A value put in a request, learnt when the kernel accepts the request. */
struct nf_put {
	int16_t pol, attr;
	bool is_str;
	uint16_t slen;
	uint32_t off;		/* of the attribute, from the message start */
	uint64_t v;
	const char *s;		/* into the request buffer */
};

#define NF_PUTS_MAX 64

/* One request inside a datagram and what came back for it. */
struct nf_req {
	uint32_t seq;
	unsigned int cmd;
	bool dump;		/* NLM_F_DUMP set */
	bool certain;		/* the kernel must answer it */
	bool perm_checked;	/* unprivileged: must be refused with EPERM */
	int top_pol;		/* policy of its top level, -1 if none */
	size_t off, len;	/* bytes in the datagram */
	uint64_t top_types;	/* top-level attribute types it carries */
	unsigned int nputs;
	struct nf_put puts[NF_PUTS_MAX];
	/* filled by the receiver */
	bool done;
	int err;		/* negative errno of the final answer, 0 ok */
	unsigned int ndata;	/* family messages received */
	char ext[80];		/* the extack message, "" without */
	long bad_off;		/* NLMSGERR_ATTR_OFFS, -1 without */
	int vmm;		/* the helper VMM it is about, -1 none */
};

struct nf_rng {
	uint64_t s;
};

struct nf_stats {
	unsigned long msgs, dgrams, replies, data_msgs;
	unsigned long ok, by_errno[4096];
	unsigned long violations;
	unsigned long vm_spawns;
	unsigned long silent;		/* uncertain requests left unanswered */
	unsigned long late_acks;	/* acks after a dump's NLMSG_DONE */
	unsigned long cmd_sent[NF_MAX_CMDS], cmd_ok[NF_MAX_CMDS];
	unsigned long cmd_perm[NF_MAX_CMDS];	/* EPERM violations */
	unsigned int nmsgs;			/* distinct extack messages */
	struct {
		char text[64];
		unsigned long n;
	} ext[NF_EXT_MAX];
};

struct nf_ctx {
	struct nl_sock *sk;
	int fd;
	uint32_t port;
	struct nf_model *m;
	struct nf_pools *pools;
	struct nf_rng rng;
	struct nf_stats st;
	bool unpriv;
	unsigned int host_cmd;	/* the one command unprivileged users may use */
	int timeout_ms;
	int trace;		/* print requests of this command, -1 none */
	uint32_t seq;
	unsigned long shown;	/* violations printed in full */
	unsigned char *rbuf;	/* receive buffer */
	size_t rbuf_len;
	uint32_t recent[8];	/* dumps answered lately */
	unsigned int nrecent;
	struct nf_vmm vmms[NF_VMMS_MAX];
	unsigned int nvmms;
	struct nf_hints *hints;	/* NULL: none */
};

/* nlfuzz.c */
void nf_violation(struct nf_ctx *c, const struct nf_req *r,
		  const unsigned char *dgram, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* PRNG (splitmix64): deterministic per --seed */
static inline uint64_t nf_rand(struct nf_rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* 0..n-1, n > 0 */
static inline uint64_t nf_below(struct nf_rng *r, uint64_t n)
{
	return n ? nf_rand(r) % n : 0;
}

/* true with probability pct/100 */
static inline bool nf_chance(struct nf_rng *r, unsigned int pct)
{
	return nf_below(r, 100) < pct;
}

/* nlfuzz_proc.c */
int nf_drop_privileges(uid_t uid, gid_t gid);
int nf_vmm_spawn(struct nf_ctx *c, struct nf_vmm *v);
void nf_vmm_kill(struct nf_vmm *v);
void nf_vmm_kill_all(struct nf_ctx *c);

/* nlfuzz_model.c */
int nf_model_load(struct nl_sock *sk, const char *family, struct nf_model *m);
void nf_model_print(FILE *f, const struct nf_model *m);
const struct nf_attr *nf_model_attr(const struct nf_model *m, int pol,
				    unsigned int type);

/* nlfuzz_gen.c */
size_t nf_gen_msg(struct nf_ctx *c, unsigned char *buf, size_t cap,
		  struct nf_req *r);

/* nlfuzz_pool.c */
struct nf_pool *nf_pool_slot(struct nf_ctx *c, int pol, unsigned int t);
struct nf_pool *nf_pool_alias(struct nf_ctx *c, int pol, unsigned int t);
void nf_pool_add_int(struct nf_pool *p, struct nf_rng *rng, uint64_t v);
void nf_pool_add_str(struct nf_pool *p, struct nf_rng *rng, const char *s,
		     size_t len);
void nf_pool_add_blob(struct nf_pools *p, struct nf_rng *rng,
		      const void *data, size_t len);
void nf_learn_request(struct nf_ctx *c, const struct nf_req *r);
void nf_forget_request(struct nf_ctx *c, const struct nf_req *r);

/* nlfuzz_check.c */
int nf_collect(struct nf_ctx *c, struct nf_req *reqs, unsigned int n,
	       uint32_t barrier_seq, const unsigned char *dgram);

#endif /* VMMERGE_NLFUZZ_H */
