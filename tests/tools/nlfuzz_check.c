// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The vmmerge developers.
 *
 * Replies to a datagram of requests, read until every request the kernel
 * must answer was answered (and the barrier, when one was sent).  Each
 * reply is checked, and anything wrong is a violation:
 *
 *   framing   datagram and message lengths add up; attribute lengths fit
 *             their nest, recursively; no trailing bytes; the port is ours;
 *             the sequence number is one we wait for; one final answer per
 *             request (NLMSG_ERROR, or NLMSG_DONE for a dump), nothing
 *             after it; dump parts and NLMSG_DONE carry NLM_F_MULTI
 *   errors    a real errno (-4095..0); the echoed header is our request's;
 *             extack TLVs well formed, offsets inside the request
 *   types     attributes the model types (u8..u64, flag, NUL string) have
 *             the size of their type, nests parse with their sub-policy
 *   privilege unprivileged: the commands other than the one open to all
 *             end in EPERM, without data
 *
 * What replies carry (names, ids, pids, addresses, binaries) feeds the
 * pools of the generator.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>

#include "nlfuzz.h"

#define MAX_REPLY_DEPTH 32

struct rx {
	struct nf_ctx *c;
	struct nf_req *reqs;
	unsigned int n;
	uint32_t barrier;	/* 0 once acknowledged */
	const unsigned char *dgram;
};

static struct nf_req *find_req(struct rx *x, uint32_t seq)
{
	unsigned int i;

	for (i = 0; i < x->n; i++)
		if (x->reqs[i].seq == seq)
			return &x->reqs[i];
	return NULL;
}

static bool recent_dump(struct nf_ctx *c, uint32_t seq)
{
	unsigned int i;

	for (i = 0; i < c->nrecent && i < 8; i++)
		if (c->recent[i] == seq)
			return true;
	return false;
}

/* ---- attributes ---- */

static void learn_int(struct nf_ctx *c, int pol, unsigned int t, uint64_t v)
{
	struct nf_pool *a = nf_pool_alias(c, pol, t);

	nf_pool_add_int(&c->pools->slot[pol][t], &c->rng, v);
	if (a)
		nf_pool_add_int(a, &c->rng, v);
	if (nf_chance(&c->rng, 25))
		nf_pool_add_int(&c->pools->global, &c->rng, v);
}

static void learn_str(struct nf_ctx *c, int pol, unsigned int t,
		      const char *s, size_t len)
{
	struct nf_pool *a = nf_pool_alias(c, pol, t);

	nf_pool_add_str(&c->pools->slot[pol][t], &c->rng, s, len);
	nf_pool_add_str(&c->pools->global, &c->rng, s, len);
	if (a)
		nf_pool_add_str(a, &c->rng, s, len);
}

static void check_attrs(struct rx *x, const struct nf_req *r, int pol,
			const unsigned char *p, size_t len, unsigned int depth);

static void check_array(struct rx *x, const struct nf_req *r, int pol,
			const unsigned char *p, size_t len, unsigned int depth)
{
	const struct nlattr *a;

	while (len >= NLA_HDRLEN) {
		a = (const struct nlattr *)p;
		if (a->nla_len < NLA_HDRLEN || a->nla_len > len)
			break;	/* check_attrs() already reported it */
		check_attrs(x, r, pol, p + NLA_HDRLEN, a->nla_len - NLA_HDRLEN,
			    depth + 1);
		if ((size_t)NLA_ALIGN(a->nla_len) >= len)
			break;
		len -= NLA_ALIGN(a->nla_len);
		p += NLA_ALIGN(a->nla_len);
	}
}

static void check_typed(struct rx *x, const struct nf_req *r, int pol,
			unsigned int t, const struct nf_attr *d,
			const unsigned char *v, size_t n, unsigned int depth)
{
	static const unsigned int width[] = {
		[NL_ATTR_TYPE_FLAG] = 0, [NL_ATTR_TYPE_U8] = 1,
		[NL_ATTR_TYPE_U16] = 2, [NL_ATTR_TYPE_U32] = 4,
		[NL_ATTR_TYPE_U64] = 8, [NL_ATTR_TYPE_S8] = 1,
		[NL_ATTR_TYPE_S16] = 2, [NL_ATTR_TYPE_S32] = 4,
		[NL_ATTR_TYPE_S64] = 8,
	};
	uint64_t iv = 0;

	switch (d->type) {
	case NL_ATTR_TYPE_FLAG ... NL_ATTR_TYPE_S64:
		if (n != width[d->type]) {
			nf_violation(x->c, r, x->dgram,
				     "reply attribute %u of policy %d: %zu bytes for a %u-byte value",
				     t, pol, n, width[d->type]);
			return;
		}
		memcpy(&iv, v, n);
		if (n)
			learn_int(x->c, pol, t, iv);
		break;
	case NF_ATTR_TYPE_UINT:
	case NF_ATTR_TYPE_SINT:
		if (n != 4 && n != 8)
			nf_violation(x->c, r, x->dgram,
				     "reply attribute %u of policy %d: %zu bytes for a variable-width integer",
				     t, pol, n);
		break;
	case NL_ATTR_TYPE_NUL_STRING:
		if (!n || !memchr(v, 0, n)) {
			nf_violation(x->c, r, x->dgram,
				     "reply attribute %u of policy %d: string without NUL",
				     t, pol);
			return;
		}
		/* fall through */
	case NL_ATTR_TYPE_STRING:
		learn_str(x->c, pol, t, (const char *)v, n);
		break;
	case NL_ATTR_TYPE_BINARY:
		if (nf_chance(&x->c->rng, 10))
			nf_pool_add_blob(x->c->pools, &x->c->rng, v, n);
		break;
	case NL_ATTR_TYPE_NESTED:
		check_attrs(x, r, d->sub, v, n, depth + 1);
		break;
	case NL_ATTR_TYPE_NESTED_ARRAY:
		check_attrs(x, r, -1, v, n, depth + 1);
		check_array(x, r, d->sub, v, n, depth + 1);
		break;
	}
}

/*
 * How a reply attribute is typed: by the request's policy, except that a
 * top-level object is read with the policy that describes all of it (a
 * GET_VM request names only the id; the reply carries the whole VM).
 */
static const struct nf_attr *reply_attr(struct nf_ctx *c, int pol,
					unsigned int t, unsigned int depth,
					struct nf_attr *tmp)
{
	const struct nf_attr *d = nf_model_attr(c->m, pol, t);

	if (!d || depth || !c->hints || t >= NF_TOP_MAX ||
	    c->hints->canon[t] <= 0 || d->type != NL_ATTR_TYPE_NESTED)
		return d;
	*tmp = *d;
	tmp->sub = c->hints->canon[t] - 1;
	return tmp;
}

static void check_attrs(struct rx *x, const struct nf_req *r, int pol,
			const unsigned char *p, size_t len, unsigned int depth)
{
	struct nf_attr canon;
	const struct nf_attr *d;
	const struct nlattr *a;
	unsigned int t;

	if (depth > MAX_REPLY_DEPTH) {
		nf_violation(x->c, r, x->dgram, "reply nests deeper than %d",
			     MAX_REPLY_DEPTH);
		return;
	}
	while (len >= NLA_HDRLEN) {
		a = (const struct nlattr *)p;
		if (a->nla_len < NLA_HDRLEN || a->nla_len > len) {
			nf_violation(x->c, r, x->dgram,
				     "reply attribute of length %u with %zu bytes left (depth %u)",
				     a->nla_len, len, depth);
			return;
		}
		t = a->nla_type & NLA_TYPE_MASK;
		d = reply_attr(x->c, pol, t, depth, &canon);
		if (d)
			check_typed(x, r, pol, t, d, p + NLA_HDRLEN,
				    a->nla_len - NLA_HDRLEN, depth);
		else if (a->nla_type & NLA_F_NESTED)
			check_attrs(x, r, -1, p + NLA_HDRLEN,
				    a->nla_len - NLA_HDRLEN, depth + 1);
		if ((size_t)NLA_ALIGN(a->nla_len) >= len) {
			len = 0;
			break;
		}
		len -= NLA_ALIGN(a->nla_len);
		p += NLA_ALIGN(a->nla_len);
	}
	if (len)
		nf_violation(x->c, r, x->dgram,
			     "%zu bytes after the last reply attribute (depth %u)",
			     len, depth);
}

/* ---- final answers ---- */

/* How often each extack message came: what stops the requests. */
static void count_ext(struct nf_ctx *c, struct nf_req *r, const char *msg)
{
	unsigned int i;

	if (r)
		snprintf(r->ext, sizeof(r->ext), "%s", msg);
	for (i = 0; i < c->st.nmsgs; i++)
		if (!strncmp(c->st.ext[i].text, msg, sizeof(c->st.ext[i].text) - 1))
			break;
	if (i == c->st.nmsgs) {
		if (i == NF_EXT_MAX)
			return;
		snprintf(c->st.ext[i].text, sizeof(c->st.ext[i].text), "%s", msg);
		c->st.nmsgs++;
	}
	c->st.ext[i].n++;
}

static void check_extack(struct rx *x, struct nf_req *r,
			 const unsigned char *p, size_t len)
{
	bool nest = false;
	int miss = -1;
	const struct nlattr *a;
	uint32_t v;

	check_attrs(x, r, -1, p, len, 0);
	while (len >= NLA_HDRLEN) {
		a = (const struct nlattr *)p;
		if (a->nla_len < NLA_HDRLEN || a->nla_len > len)
			return;
		switch (a->nla_type & NLA_TYPE_MASK) {
		case NLMSGERR_ATTR_MSG:
			if (!memchr(p + NLA_HDRLEN, 0, a->nla_len - NLA_HDRLEN))
				nf_violation(x->c, r, x->dgram,
					     "extack message without NUL");
			else
				count_ext(x->c, r, (const char *)p + NLA_HDRLEN);
			break;
		case NLMSGERR_ATTR_MISS_TYPE:
			if (a->nla_len == NLA_HDRLEN + 4)
				memcpy(&miss, p + NLA_HDRLEN, 4);
			break;
		case NLMSGERR_ATTR_OFFS:
		case NLMSGERR_ATTR_MISS_NEST:
			nest |= (a->nla_type & NLA_TYPE_MASK) == NLMSGERR_ATTR_MISS_NEST;
			if (a->nla_len != NLA_HDRLEN + 4) {
				nf_violation(x->c, r, x->dgram,
					     "extack offset of %u bytes",
					     a->nla_len - NLA_HDRLEN);
				break;
			}
			memcpy(&v, p + NLA_HDRLEN, 4);
			if (r && (a->nla_type & NLA_TYPE_MASK) == NLMSGERR_ATTR_OFFS)
				r->bad_off = v;
			if (r && v >= r->len)
				nf_violation(x->c, r, x->dgram,
					     "extack offset %u beyond the %zu-byte request",
					     v, r->len);
			break;
		}
		if ((size_t)NLA_ALIGN(a->nla_len) >= len)
			break;
		len -= NLA_ALIGN(a->nla_len);
		p += NLA_ALIGN(a->nla_len);
	}
	/* a missing top-level attribute: the one this command wants */
	if (r && miss >= 0 && miss < 64 && !nest)
		x->c->pools->top_ok[r->cmd] |= 1ULL << miss;
}

static void count(struct nf_ctx *c, int err)
{
	if (!err)
		c->st.ok++;
	else
		c->st.by_errno[-err < 4096 ? -err : 0]++;
}

static void check_perm(struct rx *x, struct nf_req *r, int err)
{
	const struct nf_op *op = &x->c->m->ops[r->cmd];

	if (!r->perm_checked || err == -EPERM)
		return;
	/*
	 * A dump of a command without one (or a do of a dump-only command)
	 * may be unknown before permissions are looked at (split ops, 6.2+).
	 */
	if (err == -EOPNOTSUPP &&
	    !(op->flags & (r->dump ? NF_OP_DUMP : NF_OP_DO)))
		return;
	x->c->st.cmd_perm[r->cmd]++;
	nf_violation(x->c, r, x->dgram,
		     "unprivileged command %u%s answered %s (%d), not EPERM",
		     r->cmd, r->dump ? " (dump)" : "",
		     err ? strerror(-err) : "success", err);
}

static void finish(struct rx *x, struct nf_req *r, int err)
{
	r->done = true;
	r->err = err;
	count(x->c, err);
	check_perm(x, r, err);
	if (r->dump) {
		x->c->recent[x->c->nrecent++ % 8] = r->seq;
	}
}

static void on_error(struct rx *x, struct nf_req *r,
		     const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *e = (const struct nlmsgerr *)NLMSG_DATA(nlh);
	const struct nlmsghdr *sent;
	size_t skip = sizeof(*e);

	if (nlh->nlmsg_len < NLMSG_HDRLEN + sizeof(*e)) {
		nf_violation(x->c, r, x->dgram, "NLMSG_ERROR of %u bytes",
			     nlh->nlmsg_len);
		finish(x, r, -EBADMSG);
		return;
	}
	if (e->error > 0 || e->error < -4095)
		nf_violation(x->c, r, x->dgram, "error %d is no errno", e->error);
	sent = (const struct nlmsghdr *)(x->dgram + r->off);
	if (e->msg.nlmsg_seq != r->seq || e->msg.nlmsg_type != sent->nlmsg_type ||
	    e->msg.nlmsg_len != sent->nlmsg_len)
		nf_violation(x->c, r, x->dgram,
			     "NLMSG_ERROR echoes seq %u type %u len %u, request had %u %u %u",
			     e->msg.nlmsg_seq, e->msg.nlmsg_type, e->msg.nlmsg_len,
			     r->seq, sent->nlmsg_type, sent->nlmsg_len);
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		skip += e->msg.nlmsg_len > NLMSG_HDRLEN ?
			e->msg.nlmsg_len - NLMSG_HDRLEN : 0;
	if (NLMSG_HDRLEN + skip > nlh->nlmsg_len) {
		nf_violation(x->c, r, x->dgram,
			     "NLMSG_ERROR of %u bytes cannot hold its echo",
			     nlh->nlmsg_len);
	} else if (nlh->nlmsg_flags & NLM_F_ACK_TLVS) {
		check_extack(x, r, (const unsigned char *)NLMSG_DATA(nlh) + skip,
			     nlh->nlmsg_len - NLMSG_HDRLEN - skip);
	}
	finish(x, r, e->error > 0 || e->error < -4095 ? -EBADMSG : e->error);
}

static void on_done(struct rx *x, struct nf_req *r, const struct nlmsghdr *nlh)
{
	int status = 0;

	if (nlh->nlmsg_len < NLMSG_HDRLEN + sizeof(status)) {
		nf_violation(x->c, r, x->dgram, "NLMSG_DONE of %u bytes",
			     nlh->nlmsg_len);
	} else {
		memcpy(&status, NLMSG_DATA(nlh), sizeof(status));
		if (status > 0 || status < -4095)
			nf_violation(x->c, r, x->dgram,
				     "NLMSG_DONE status %d is no errno", status);
		if (nlh->nlmsg_flags & NLM_F_ACK_TLVS)
			check_extack(x, r, (const unsigned char *)NLMSG_DATA(nlh) + 4,
				     nlh->nlmsg_len - NLMSG_HDRLEN - 4);
	}
	if (!r->dump)
		nf_violation(x->c, r, x->dgram, "NLMSG_DONE answers a request that is no dump");
	if (!(nlh->nlmsg_flags & NLM_F_MULTI))
		nf_violation(x->c, r, x->dgram, "NLMSG_DONE without NLM_F_MULTI");
	finish(x, r, status > 0 || status < -4095 ? -EBADMSG : status);
}

static void on_data(struct rx *x, struct nf_req *r, const struct nlmsghdr *nlh)
{
	x->c->st.data_msgs++;
	r->ndata++;
	if (nlh->nlmsg_len < NLMSG_HDRLEN + GENL_HDRLEN) {
		nf_violation(x->c, r, x->dgram, "reply of %u bytes has no genetlink header",
			     nlh->nlmsg_len);
		return;
	}
	if (r->dump && !(nlh->nlmsg_flags & NLM_F_MULTI))
		nf_violation(x->c, r, x->dgram, "dump part without NLM_F_MULTI");
	if (r->perm_checked && r->ndata == 1)	/* once per request */
		nf_violation(x->c, r, x->dgram, "unprivileged command %u%s got data",
			     r->cmd, r->dump ? " (dump)" : "");
	check_attrs(x, r, r->top_pol,
		    (const unsigned char *)NLMSG_DATA(nlh) + GENL_HDRLEN,
		    nlh->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN, 0);
}

/* A message whose request we no longer (or never) waited for. */
static void on_stray(struct rx *x, const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *e = (const struct nlmsgerr *)NLMSG_DATA(nlh);

	if (nlh->nlmsg_type == NLMSG_ERROR &&
	    nlh->nlmsg_len >= NLMSG_HDRLEN + sizeof(*e) && !e->error &&
	    recent_dump(x->c, nlh->nlmsg_seq)) {
		x->c->st.late_acks++;
		return;
	}
	nf_violation(x->c, NULL, NULL,
		     "reply type %u flags 0x%x seq %u that no request waits for",
		     nlh->nlmsg_type, nlh->nlmsg_flags, nlh->nlmsg_seq);
}

static void on_msg(struct rx *x, const struct nlmsghdr *nlh)
{
	struct nf_req *r;

	x->c->st.replies++;
	if (nlh->nlmsg_pid != x->c->port)
		nf_violation(x->c, NULL, NULL, "reply to port %u, ours is %u",
			     nlh->nlmsg_pid, x->c->port);
	if (x->barrier && nlh->nlmsg_seq == x->barrier) {
		if (nlh->nlmsg_type != NLMSG_ERROR)
			nf_violation(x->c, NULL, NULL, "barrier answered with type %u",
				     nlh->nlmsg_type);
		x->barrier = 0;
		return;
	}
	r = find_req(x, nlh->nlmsg_seq);
	if (!r || r->done) {
		on_stray(x, nlh);
		return;
	}
	if (nlh->nlmsg_type == NLMSG_ERROR)
		on_error(x, r, nlh);
	else if (nlh->nlmsg_type == NLMSG_DONE)
		on_done(x, r, nlh);
	else if (nlh->nlmsg_type == x->c->m->family)
		on_data(x, r, nlh);
	else
		nf_violation(x->c, r, x->dgram, "reply of message type %u",
			     nlh->nlmsg_type);
}

static void on_dgram(struct rx *x, const unsigned char *p, size_t len)
{
	const struct nlmsghdr *nlh;

	while (len) {
		nlh = (const struct nlmsghdr *)p;
		if (len < NLMSG_HDRLEN || nlh->nlmsg_len < NLMSG_HDRLEN ||
		    nlh->nlmsg_len > len) {
			nf_violation(x->c, NULL, NULL,
				     "reply message of length %u with %zu bytes left in the datagram",
				     len >= NLMSG_HDRLEN ? nlh->nlmsg_len : 0, len);
			return;
		}
		on_msg(x, nlh);
		if ((size_t)NLMSG_ALIGN(nlh->nlmsg_len) >= len)
			return;
		len -= NLMSG_ALIGN(nlh->nlmsg_len);
		p += NLMSG_ALIGN(nlh->nlmsg_len);
	}
}

static bool waiting(const struct rx *x)
{
	unsigned int i;

	if (x->barrier)
		return true;
	for (i = 0; i < x->n; i++)
		if (x->reqs[i].certain && !x->reqs[i].done)
			return true;
	return false;
}

static void describe_wait(const struct rx *x)
{
	unsigned int i;

	for (i = 0; i < x->n; i++)
		if (x->reqs[i].certain && !x->reqs[i].done)
			nf_violation(x->c, &x->reqs[i], x->dgram,
				     "no answer to command %u%s seq %u within %d ms",
				     x->reqs[i].cmd, x->reqs[i].dump ? " (dump)" : "",
				     x->reqs[i].seq, x->c->timeout_ms);
	if (x->barrier)
		nf_violation(x->c, NULL, NULL, "no answer to the barrier within %d ms",
			     x->c->timeout_ms);
}

/*
 * Read the answers to @reqs (sent in @dgram) and to the barrier
 * @barrier_seq (0: none sent).  Returns 0, or a negative errno when the
 * kernel stopped answering or the socket failed (the run cannot go on).
 */
int nf_collect(struct nf_ctx *c, struct nf_req *reqs, unsigned int n,
	       uint32_t barrier_seq, const unsigned char *dgram)
{
	struct rx x = { .c = c, .reqs = reqs, .n = n, .barrier = barrier_seq,
			.dgram = dgram };
	struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
	unsigned int i;
	ssize_t got;
	int ret;

	while (waiting(&x)) {
		ret = poll(&pfd, 1, c->timeout_ms);
		if (ret < 0 && errno == EINTR)
			continue;
		if (ret <= 0) {
			describe_wait(&x);
			return -ETIMEDOUT;
		}
		got = recv(c->fd, c->rbuf, c->rbuf_len, MSG_TRUNC | MSG_DONTWAIT);
		if (got < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (got < 0) {
			nf_violation(c, NULL, NULL, "receiving: %s", strerror(errno));
			return -errno;
		}
		if ((size_t)got > c->rbuf_len) {
			nf_violation(c, NULL, NULL, "a %zd-byte reply datagram", got);
			got = c->rbuf_len;
		}
		on_dgram(&x, c->rbuf, got);
	}
	for (i = 0; i < n; i++)
		if (!reqs[i].done)
			c->st.silent++;
	return 0;
}
