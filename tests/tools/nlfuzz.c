// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The vmmerge developers.
 *
 * nlfuzz: a structure-aware fuzzer of the vmmerge generic netlink family
 * (or another one, with --family).
 *
 *   nlfuzz [--count N] [--seed S] [--unpriv [--uid U --gid G]] [OPTIONS]
 *
 * It reads the family's commands and policies through the controller
 * (CTRL_CMD_GETFAMILY, CTRL_CMD_GETPOLICY), then sends N requests built
 * from that model (see nlfuzz_gen.c), one to four per datagram, and checks
 * every reply (see nlfuzz_check.c).  It forks small "VMM" processes with
 * anonymous mappings of their own and gives the generator their pids and
 * region addresses, so that registrations succeed sometimes; every
 * --respawn messages one of them is killed (a registered VMM exiting) and
 * replaced.
 *
 * As root it checks the framing and typing of every reply, and that the
 * family still answers its open command (GET_HOST) at the end.  With
 * --unpriv it first becomes uid/gid 65534 without groups or capabilities
 * (bounding set and ambient set emptied, no_new_privs) and also checks
 * that every command but GET_HOST is refused with EPERM and no data.
 *
 * Output: the model, a progress line every --progress messages, and a
 * summary (messages, answers by errno, per-command successes, violations).
 * The first violations are printed in full with the request in hex.
 *
 * Exit status: 0 no violation; 1 violations, or the family stopped
 * answering, or a local failure; 2 the family is not registered; 255 usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/vmmerge.h>
#include <netlink/genl/genl.h>
#include <netlink/genl/ctrl.h>

#include "nlfuzz.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

#define EXIT_FAIL	1
#define EXIT_NOFAMILY	2
#define EXIT_USAGE	255
#define SHOW_MAX	20	/* violations printed in full */
#define NVMMS_MAX	NF_VMMS_MAX

struct opts {
	unsigned long count;
	uint64_t seed;
	bool seeded;
	bool unpriv;
	uid_t uid;
	gid_t gid;
	int timeout_ms;
	unsigned long progress;
	unsigned long respawn;
	unsigned int nvmms;
	const char *family;
	int open_cmd;		/* -1: GET_HOST for vmmerge, none otherwise */
	int trace;
	bool print_model;
	unsigned int jobs;
};

/* ---- reporting ---- */

static void hexdump(const unsigned char *p, size_t n)
{
	size_t i;

	fprintf(stderr, "nlfuzz:   request:");
	for (i = 0; i < n && i < 512; i++)
		fprintf(stderr, "%s%02x", i % 32 ? "" : "\nnlfuzz:     ", p[i]);
	fprintf(stderr, "%s\n", n > 512 ? " ..." : "");
}

void nf_violation(struct nf_ctx *c, const struct nf_req *r,
		  const unsigned char *dgram, const char *fmt, ...)
{
	va_list ap;

	c->st.violations++;
	if (c->shown >= SHOW_MAX)
		return;
	c->shown++;
	fprintf(stderr, "nlfuzz: VIOLATION after %lu messages: ", c->st.msgs);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (r && dgram)
		hexdump(dgram + r->off, r->len);
	if (c->shown == SHOW_MAX)
		fprintf(stderr, "nlfuzz: (further violations are only counted)\n");
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- what the uapi header tells beyond the policies ---- */

static int sub_of(const struct nf_model *m, unsigned int cmd, int pol,
		  unsigned int type)
{
	const struct nf_attr *a;

	if (pol == -1 && m->ops[cmd].present)
		pol = m->ops[cmd].do_pol;
	a = nf_model_attr(m, pol, type);
	return a ? a->sub : -1;
}

static void set_ref(struct nf_slotref *r, int pol, unsigned int attr)
{
	r->pol = pol;
	r->attr = attr;
}

static void set_alias(struct nf_hints *h, int pol, unsigned int attr,
		      int to_pol, unsigned int to_attr)
{
	if (pol >= 0 && to_pol >= 0)
		set_ref(&h->alias[pol][attr], to_pol + 1, to_attr);
}

/*
 * With one policy per command, the same attribute of an object (a group's
 * name) lives in several policies: make each refer to the one of the
 * command that creates the object (@canon), or to what that one refers to.
 */
static void alias_object(struct nf_hints *h, const struct nf_model *m,
			 unsigned int top, int canon)
{
	unsigned int i, t;
	int pol;

	for (i = 0; i < m->nops && canon >= 0; i++) {
		pol = sub_of(m, m->cmds[i], -1, top);
		if (pol < 0 || pol == canon)
			continue;
		for (t = 1; t <= m->pol[pol].maxtype; t++) {
			const struct nf_slotref *to = &h->alias[canon][t];

			if (!m->pol[pol].attrs[t].present ||
			    !nf_model_attr(m, canon, t) || h->alias[pol][t].pol)
				continue;
			if (to->pol)
				h->alias[pol][t] = *to;
			else
				set_alias(h, pol, t, canon, t);
		}
	}
}

/*
 * The policies cannot say that VMMERGE_A_VM_PID is a pid or that a VM's
 * group names a group: the header does.  Policy indexes come from the
 * commands that carry each object (per-command policies may differ).
 */
static struct nf_hints *vmmerge_hints(const struct nf_model *m)
{
	struct nf_hints *h = calloc(1, sizeof(*h));
	int dom, grp, vm, reg, hint;

	if (!h)
		return NULL;
	dom = sub_of(m, VMMERGE_CMD_NEW_DOMAIN, -1, VMMERGE_A_DOMAIN);
	grp = sub_of(m, VMMERGE_CMD_NEW_GROUP, -1, VMMERGE_A_GROUP);
	vm = sub_of(m, VMMERGE_CMD_ADD_VM, -1, VMMERGE_A_VM);
	hint = sub_of(m, VMMERGE_CMD_GET_HINT, -1, VMMERGE_A_HINT);
	reg = sub_of(m, 0, vm, VMMERGE_A_VM_REGIONS);
	set_ref(&h->pid, vm >= 0 ? vm : -1, VMMERGE_A_VM_PID);
	set_ref(&h->start, reg, VMMERGE_A_REGION_START);
	set_ref(&h->len, reg, VMMERGE_A_REGION_LENGTH);
	set_alias(h, vm, VMMERGE_A_VM_GROUP, grp, VMMERGE_A_GROUP_NAME);
	set_alias(h, grp, VMMERGE_A_GROUP_DOMAIN, dom, VMMERGE_A_DOMAIN_NAME);
	set_alias(h, hint, VMMERGE_A_HINT_GROUP, grp, VMMERGE_A_GROUP_NAME);
	set_alias(h, hint, VMMERGE_A_HINT_DOMAIN, dom, VMMERGE_A_DOMAIN_NAME);
	h->canon[VMMERGE_A_DOMAIN] = dom + 1;
	h->canon[VMMERGE_A_GROUP] = grp + 1;
	h->canon[VMMERGE_A_VM] = vm + 1;
	h->canon[VMMERGE_A_HINT] = hint + 1;
	alias_object(h, m, VMMERGE_A_DOMAIN, dom);
	alias_object(h, m, VMMERGE_A_GROUP, grp);
	alias_object(h, m, VMMERGE_A_VM, vm);
	alias_object(h, m, VMMERGE_A_HINT, hint);
	fprintf(stderr, "nlfuzz: vmmerge policies: domain %d group %d vm %d region %d hint %d\n",
		dom, grp, vm, reg, hint);
	return h;
}

/* ---- socket ---- */

static int open_socket(struct nf_ctx *c)
{
	int one = 1;

	c->sk = nl_socket_alloc();
	if (!c->sk || genl_connect(c->sk)) {
		fprintf(stderr, "nlfuzz: cannot open a generic netlink socket\n");
		return -EIO;
	}
	c->fd = nl_socket_get_fd(c->sk);
	c->port = nl_socket_get_local_port(c->sk);
	if (setsockopt(c->fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one)) ||
	    setsockopt(c->fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one)) ||
	    nl_socket_set_buffer_size(c->sk, 4 << 20, 1 << 20)) {
		fprintf(stderr, "nlfuzz: socket options: %s\n", strerror(errno));
		return -EIO;
	}
	return 0;
}

/* ---- the run ---- */

/* Fill a datagram with 1..NF_BATCH_MAX requests; returns how many. */
static unsigned int build_dgram(struct nf_ctx *c, unsigned char *d,
				size_t *len, struct nf_req *reqs)
{
	unsigned int n = nf_chance(&c->rng, 90) ? 1 : 2 + nf_below(&c->rng, 3);
	unsigned int i;
	size_t off = 0, got;

	for (i = 0; i < n; i++) {
		got = nf_gen_msg(c, d + off, NF_DGRAM_MAX - off, &reqs[i]);
		if (!got)
			break;
		reqs[i].off = off;
		off += got;
		while (off % NLMSG_ALIGNTO)
			d[off++] = 0;
		/* the kernel may stop reading the datagram after it */
		if (!reqs[i].certain) {
			i++;
			break;
		}
	}
	*len = off;
	return i;
}

static int send_barrier(struct nf_ctx *c, uint32_t *seq)
{
	struct nlmsghdr nlh = {
		.nlmsg_len = NLMSG_HDRLEN,
		.nlmsg_type = NLMSG_NOOP,
		.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK,
		.nlmsg_seq = ++c->seq,
	};

	*seq = nlh.nlmsg_seq;
	return send(c->fd, &nlh, sizeof(nlh), 0) < 0 ? -errno : 0;
}

static void trace(const struct nf_req *r,
		  const unsigned char *d)
{
	fprintf(stderr, "nlfuzz: trace: cmd %u%s seq %u: %s%s%s%s\n", r->cmd,
		r->dump ? " dump" : "", r->seq,
		!r->done ? "no answer" : r->err ? strerror(-r->err) : "ok",
		r->ext[0] ? " '" : "", r->ext, r->ext[0] ? "'" : "");
	hexdump(d + r->off, r->len);
}

static void respawn(struct nf_ctx *c, unsigned int i)
{
	struct nf_vmm *v = &c->vmms[i];

	nf_vmm_kill(v);
	if (nf_vmm_spawn(c, v))
		fprintf(stderr, "nlfuzz: cannot start a helper VMM: %s\n",
			strerror(errno));
}

static void after_dgram(struct nf_ctx *c, const unsigned char *d,
			struct nf_req *reqs, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		if ((int)reqs[i].cmd == c->trace)
			trace(&reqs[i], d);
		c->st.cmd_sent[reqs[i].cmd]++;
		/* an uncertain request acked with 0 was skipped, not done */
		if (reqs[i].certain && reqs[i].done && !reqs[i].err) {
			c->st.cmd_ok[reqs[i].cmd]++;
			nf_learn_request(c, &reqs[i]);
			/* a VMM exiting right after its registration */
			if (c->hints && reqs[i].cmd == VMMERGE_CMD_ADD_VM &&
			    reqs[i].vmm >= 0 && nf_chance(&c->rng, 25))
				respawn(c, reqs[i].vmm);
		}
		if (reqs[i].done && reqs[i].err == -ENOENT && reqs[i].bad_off >= 0)
			nf_forget_request(c, &reqs[i]);
	}
	c->st.msgs += n;
	c->st.dgrams++;
}

/* One datagram and its answers.  Returns 0 or a fatal negative errno. */
static int fuzz_once(struct nf_ctx *c, unsigned char *d, struct nf_req *reqs)
{
	uint32_t barrier = 0;
	unsigned int n, i;
	size_t len;
	bool sure = true;
	int err;

	n = build_dgram(c, d, &len, reqs);
	for (i = 0; i < n; i++)
		sure &= reqs[i].certain;
	if (send(c->fd, d, len, 0) < 0) {
		err = -errno;
		fprintf(stderr, "nlfuzz: sending %zu bytes: %s\n", len,
			strerror(errno));
		return err;
	}
	if (!sure) {
		err = send_barrier(c, &barrier);
		if (err)
			return err;
	}
	err = nf_collect(c, reqs, n, barrier, d);
	after_dgram(c, d, reqs, n);
	return err;
}

static void progress(struct nf_ctx *c, double t0)
{
	double dt = now_s() - t0;

	fprintf(stderr, "nlfuzz: %lu messages, %.0f/s, %lu ok, %lu violations\n",
		c->st.msgs, dt > 0 ? c->st.msgs / dt : 0.0, c->st.ok,
		c->st.violations);
}


static int run(struct nf_ctx *c, const struct opts *o, double *elapsed)
{
	struct nf_req reqs[NF_BATCH_MAX];
	unsigned char *d = malloc(NF_DGRAM_MAX);
	unsigned long next_progress = o->progress, next_respawn = o->respawn;
	unsigned int next_vmm = 0;
	double t0 = now_s();
	int err = 0;

	if (!d)
		return -ENOMEM;
	while (c->st.msgs < o->count && !err) {
		err = fuzz_once(c, d, reqs);
		if (o->progress && c->st.msgs >= next_progress) {
			progress(c, t0);
			next_progress += o->progress;
		}
		if (o->respawn && o->nvmms && c->st.msgs >= next_respawn) {
			respawn(c, next_vmm++ % o->nvmms);
			next_respawn += o->respawn;
		}
	}
	*elapsed = now_s() - t0;
	free(d);
	return err;
}

/* The family still answers its open command, with data. */
static bool alive(struct nf_ctx *c, int cmd)
{
	unsigned char d[NLMSG_HDRLEN + GENL_HDRLEN];
	struct nlmsghdr *nlh = (struct nlmsghdr *)d;
	struct genlmsghdr *gh = (struct genlmsghdr *)(d + NLMSG_HDRLEN);
	struct nf_req r = { .cmd = cmd, .certain = true, .top_pol = -1, .bad_off = -1,
			    .len = sizeof(d) };

	memset(d, 0, sizeof(d));
	nlh->nlmsg_len = sizeof(d);
	nlh->nlmsg_type = c->m->family;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = r.seq = ++c->seq;
	gh->cmd = cmd;
	gh->version = c->m->version;
	if (c->m->ops[cmd].present)
		r.top_pol = c->m->ops[cmd].do_pol;
	if (send(c->fd, d, sizeof(d), 0) < 0 || nf_collect(c, &r, 1, 0, d))
		return false;
	if (r.err || !r.ndata)
		fprintf(stderr, "nlfuzz: command %d answered %s with %u messages\n",
			cmd, r.err ? strerror(-r.err) : "success", r.ndata);
	return !r.err && r.ndata;
}

/* The most frequent extack messages, most frequent first. */
static void print_ext(const struct nf_ctx *c)
{
	bool shown[NF_EXT_MAX] = { false };
	unsigned int i, k, best;

	for (k = 0; k < 12 && k < c->st.nmsgs; k++) {
		best = NF_EXT_MAX;
		for (i = 0; i < c->st.nmsgs; i++)
			if (!shown[i] && (best == NF_EXT_MAX ||
					  c->st.ext[i].n > c->st.ext[best].n))
				best = i;
		shown[best] = true;
		fprintf(stderr, "nlfuzz:   %6lu  %s\n", c->st.ext[best].n,
			c->st.ext[best].text);
	}
}

static void summary(const struct nf_ctx *c, const struct opts *o, double dt)
{
	unsigned int i;

	fprintf(stderr, "nlfuzz: summary: %lu messages in %lu datagrams, %.1f s, %.0f messages/s, seed %llu, %s\n",
		c->st.msgs, c->st.dgrams, dt, dt > 0 ? c->st.msgs / dt : 0.0,
		(unsigned long long)o->seed,
		c->unpriv ? "unprivileged" : "privileged");
	fprintf(stderr, "nlfuzz: answers: ok %lu", c->st.ok);
	for (i = 1; i < 4096; i++)
		if (c->st.by_errno[i])
			fprintf(stderr, ", %s %lu", strerrorname_np(i) ?: "?",
				c->st.by_errno[i]);
	if (c->st.by_errno[0])
		fprintf(stderr, ", bad errno %lu", c->st.by_errno[0]);
	fprintf(stderr, "; unanswered (allowed) %lu, late acks %lu\n",
		c->st.silent, c->st.late_acks);
	fprintf(stderr, "nlfuzz: per command (sent/ok):");
	for (i = 0; i < NF_MAX_CMDS; i++)
		if (c->m->ops[i].present)
			fprintf(stderr, " %u:%lu/%lu", i, c->st.cmd_sent[i],
				c->st.cmd_ok[i]);
	fprintf(stderr, "\nnlfuzz: %lu replies, %lu data messages, %lu helper VMMs started\n",
		c->st.replies, c->st.data_msgs, c->st.vm_spawns);
	print_ext(c);
	if (c->unpriv) {
		fprintf(stderr, "nlfuzz: not refused with EPERM, per command:");
		for (i = 0; i < NF_MAX_CMDS; i++)
			if (c->st.cmd_perm[i])
				fprintf(stderr, " %u:%lu", i, c->st.cmd_perm[i]);
		fputc('\n', stderr);
	}
	fprintf(stderr, "nlfuzz: violations: %lu\n", c->st.violations);
}

/* ---- options ---- */

static void usage(FILE *f)
{
	fprintf(f,
"usage: nlfuzz [--count N] [--seed S] [--unpriv [--uid U] [--gid G]]\n"
"              [--timeout MS] [--progress N] [--respawn N] [--vmms N]\n"
"              [--family NAME] [--open-cmd C] [--print-model] [--trace C]\n"
"              [--jobs N]\n"
"\n"
"  --count N      requests to send (default 10000)\n"
"  --seed S       PRNG seed (default: from the clock; printed)\n"
"  --unpriv       become U:G (default 65534:65534) without groups or\n"
"                 capabilities first; then every command but the open one\n"
"                 must be refused with EPERM\n"
"  --timeout MS   wait at most MS for an answer (default 20000)\n"
"  --progress N   a progress line every N requests (default 10000, 0 none)\n"
"  --respawn N    replace one helper VMM every N requests (default 500)\n"
"  --vmms N       helper VMM processes (default 3, at most %d)\n"
"  --family NAME  another generic netlink family (default vmmerge)\n"
"  --open-cmd C   the command open to everyone (default GET_HOST for\n"
"                 vmmerge, none for other families); -1 for none\n"
"  --print-model  print the model read from the kernel\n"
"  --trace C      print every request of command C, its answer and extack\n"
"  --jobs N       N fuzzers at once, each its own socket, helpers and seed\n"
"                 (S, S+1, ...) and N requests; for SMP (default 1)\n"
"\n"
"Exit: 0 no violation, 1 violations or failure, 2 family not registered.\n",
		NVMMS_MAX);
}

static int parse_num(const char *s, unsigned long long max,
		     unsigned long long *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 0);
	if (errno || !*s || *end || *v > max || *s == '-') {
		fprintf(stderr, "nlfuzz: bad number '%s'\n", s);
		return -EINVAL;
	}
	return 0;
}

static int parse_opt(struct opts *o, int ch, const char *arg)
{
	unsigned long long v = 0;
	int err = 0;

	switch (ch) {
	case 'c': err = parse_num(arg, 1UL << 40, &v); o->count = v; break;
	case 's': err = parse_num(arg, ~0ULL, &v); o->seed = v; o->seeded = true; break;
	case 'u': o->unpriv = true; break;
	case 'U': err = parse_num(arg, 0xfffffffe, &v); o->uid = v; break;
	case 'G': err = parse_num(arg, 0xfffffffe, &v); o->gid = v; break;
	case 't': err = parse_num(arg, 3600000, &v); o->timeout_ms = v; break;
	case 'p': err = parse_num(arg, 1UL << 40, &v); o->progress = v; break;
	case 'r': err = parse_num(arg, 1UL << 40, &v); o->respawn = v; break;
	case 'n': err = parse_num(arg, NVMMS_MAX, &v); o->nvmms = v; break;
	case 'f': o->family = arg; break;
	case 'o':
		o->open_cmd = -2;
		if (strcmp(arg, "-1")) {
			err = parse_num(arg, NF_MAX_CMDS - 1, &v);
			o->open_cmd = v;
		}
		break;
	case 'm': o->print_model = true; break;
	case 'T': err = parse_num(arg, NF_MAX_CMDS - 1, &v); o->trace = v; break;
	case 'j': err = parse_num(arg, 16, &v); o->jobs = v ? v : 1; break;
	default: return -EINVAL;
	}
	return err;
}

static int parse_args(struct opts *o, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "count", required_argument, NULL, 'c' },
		{ "seed", required_argument, NULL, 's' },
		{ "unpriv", no_argument, NULL, 'u' },
		{ "uid", required_argument, NULL, 'U' },
		{ "gid", required_argument, NULL, 'G' },
		{ "timeout", required_argument, NULL, 't' },
		{ "progress", required_argument, NULL, 'p' },
		{ "respawn", required_argument, NULL, 'r' },
		{ "vmms", required_argument, NULL, 'n' },
		{ "family", required_argument, NULL, 'f' },
		{ "open-cmd", required_argument, NULL, 'o' },
		{ "print-model", no_argument, NULL, 'm' },
		{ "trace", required_argument, NULL, 'T' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (ch == 'h') {
			usage(stdout);
			exit(0);
		}
		if (parse_opt(o, ch, optarg))
			return -EINVAL;
	}
	return optind == argc ? 0 : -EINVAL;
}

/* ---- main ---- */

static int setup(struct nf_ctx *c, struct opts *o)
{
	int err;

	if (o->unpriv) {
		err = nf_drop_privileges(o->uid, o->gid);
		if (err) {
			fprintf(stderr, "nlfuzz: cannot drop privileges: %s\n",
				strerror(-err));
			return EXIT_FAIL;
		}
		fprintf(stderr, "nlfuzz: running as uid %u gid %u without capabilities\n",
			getuid(), getgid());
	}
	if (open_socket(c))
		return EXIT_FAIL;
	err = nf_model_load(c->sk, o->family, c->m);
	if (err == -ENOENT) {
		fprintf(stderr, "nlfuzz: family %s not found (is the module loaded?)\n",
			o->family);
		return EXIT_NOFAMILY;
	}
	if (err) {
		fprintf(stderr, "nlfuzz: cannot read the model of family %s: %s\n",
			o->family, strerror(-err));
		return EXIT_FAIL;
	}
	if (o->open_cmd == -1)
		o->open_cmd = strcmp(o->family, VMMERGE_GENL_NAME) ? -2 :
			      VMMERGE_CMD_GET_HOST;
	c->host_cmd = o->open_cmd >= 0 ? (unsigned int)o->open_cmd : NF_MAX_CMDS;
	if (!strcmp(o->family, VMMERGE_GENL_NAME))
		c->hints = vmmerge_hints(c->m);
	if (o->print_model)
		nf_model_print(stderr, c->m);
	return 0;
}

static int start_vmms(struct nf_ctx *c, const struct opts *o)
{
	unsigned int i;

	nf_pool_add_int(&c->pools->global, &c->rng, getpid());
	c->nvmms = o->nvmms;
	for (i = 0; i < o->nvmms; i++)
		if (nf_vmm_spawn(c, &c->vmms[i])) {
			fprintf(stderr, "nlfuzz: cannot start a helper VMM: %s\n",
				strerror(errno));
			return -1;
		}
	return 0;
}

/* Unprivileged: may we listen to the events?  Reported, not judged. */
static void try_events(struct nf_ctx *c, const char *family)
{
	int grp = genl_ctrl_resolve_grp(c->sk, family, VMMERGE_MCGRP_EVENTS);
	int err;

	if (grp < 0)
		return;
	err = nl_socket_add_membership(c->sk, grp);
	fprintf(stderr, "nlfuzz: joining the %s group unprivileged: %s\n",
		VMMERGE_MCGRP_EVENTS, err ? nl_geterror(err) : "allowed");
}

static int fuzz_main(struct opts *o_)
{
	struct opts o = *o_;
	struct nf_ctx c = { .fd = -1 };
	double dt = 0;
	bool ok;
	int ret;

	c.rng.s = o.seed;
	c.unpriv = o.unpriv;
	c.timeout_ms = o.timeout_ms;
	c.trace = o.trace;
	c.m = calloc(1, sizeof(*c.m));
	c.pools = calloc(1, sizeof(*c.pools));
	c.rbuf_len = 256 * 1024;
	c.rbuf = malloc(c.rbuf_len);
	if (!c.m || !c.pools || !c.rbuf)
		return EXIT_FAIL;
	ret = setup(&c, &o);
	if (ret)
		return ret;
	fprintf(stderr, "nlfuzz: family %s (id %d): %u commands, %u policies; %lu messages, seed %llu\n",
		o.family, c.m->family, c.m->nops, c.m->npol, o.count,
		(unsigned long long)o.seed);
	if (start_vmms(&c, &o))
		return EXIT_FAIL;
	ret = run(&c, &o, &dt);
	nf_vmm_kill_all(&c);
	ok = ret == 0;
	if (ok && o.open_cmd >= 0) {
		ok = alive(&c, o.open_cmd);
		fprintf(stderr, "nlfuzz: after the run command %d %s\n",
			o.open_cmd, ok ? "still answers" : "FAILS");
	}
	if (c.unpriv && c.hints)
		try_events(&c, o.family);
	summary(&c, &o, dt);
	nl_socket_free(c.sk);
	return ok && !c.st.violations ? 0 : EXIT_FAIL;
}

/* --jobs N: N fuzzers at once (seeds S, S+1, ...); the worst status wins. */
static int run_jobs(struct opts *o)
{
	unsigned int i, started = 0;
	int st, worst = 0, rc;
	pid_t pid;

	for (i = 0; i < o->jobs; i++) {
		fflush(NULL);
		pid = fork();
		if (pid == 0) {
			prctl(PR_SET_PDEATHSIG, SIGTERM);
			o->seed += i;
			exit(fuzz_main(o));
		}
		if (pid < 0) {
			fprintf(stderr, "nlfuzz: fork: %s\n", strerror(errno));
			worst = EXIT_FAIL;
			break;
		}
		started++;
	}
	while (started && (pid = wait(&st)) > 0) {
		started--;
		rc = WIFEXITED(st) ? WEXITSTATUS(st) : EXIT_FAIL;
		if (rc == EXIT_FAIL || (rc && worst != EXIT_FAIL))
			worst = rc;
	}
	return worst;
}

int main(int argc, char **argv)
{
	struct opts o = { .count = 10000, .uid = 65534, .gid = 65534,
			  .timeout_ms = 20000, .progress = 10000,
			  .respawn = 500, .nvmms = 3, .jobs = 1,
			  .family = VMMERGE_GENL_NAME, .open_cmd = -1,
			  .trace = -1 };

	setvbuf(stderr, NULL, _IOLBF, 0);
	if (parse_args(&o, argc, argv)) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!o.seeded)
		o.seed = (uint64_t)time(NULL) * 1000003 ^ getpid();
	return o.jobs > 1 ? run_jobs(&o) : fuzz_main(&o);
}
