// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The vmmerge developers.
 *
 * nlcall: send any vmmerge generic netlink message, well-formed or not, and
 * print what comes back.  Built for the in-VM test scripts.
 *
 *   nlcall [OPTIONS] CMD [TOKEN...]
 *   nlcall --listen SECONDS [--count K]
 *
 * CMD is a command name (get-host, new-domain, ..., add-vm, get-vm; see
 * --help) or a raw command number @N.  TOKENs build the attributes; their
 * grammar is documented at the top of nlspec.c and in usage() below.
 *
 * Every request carries NLM_F_ACK; the socket has NETLINK_EXT_ACK and
 * NETLINK_CAP_ACK on.  Replies print one line per message ("get-vm vm.id=7
 * vm.name=vm0 ..."), or "ok" when the kernel only acknowledged.  On an error
 * the kernel's reason goes to stderr as
 *
 *   error: <strerror> (<errno>)[: <extack message>]
 *
 * and, when the kernel pointed at an attribute or reported a missing one,
 *
 *   extack: bad attribute at offset N, token T: 'WORD'
 *   extack: missing attribute type A in the nest at offset N, token T: 'WORD'
 *
 * (offsets count from the netlink header; tokens from 1).  nlcall then exits
 * with the errno.
 *
 * Exit status: 0 success; the errno the kernel returned (capped at 254);
 * 1 for local failures and for --listen --count timeouts; 2 when the family
 * is not registered; 255 for usage and token errors.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <linux/genetlink.h>
#include <linux/vmmerge.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <netlink/genl/genl.h>
#include <netlink/genl/ctrl.h>

#include "nlspec.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

#define EXIT_LOCAL	1
#define EXIT_NOFAMILY	2
#define EXIT_USAGE	255
#define MSG_SIZE	(128 * 1024)

struct opts {
	bool dump;
	bool quiet;
	bool dry_run;
	int listen;		/* seconds, -1 without --listen */
	long count;		/* --count K, 0 without */
	int timeout;		/* seconds to wait for an answer */
	unsigned int version;	/* genl header version */
	const char *family;	/* VMMERGE_GENL_NAME unless --family */
	const char *group;	/* VMMERGE_MCGRP_EVENTS unless --group */
	const struct nls_set *top;	/* NULL for another family: all raw */
	unsigned int cmd;
	int ntok;
	char **tok;
};

struct extack {
	char msg[256];
	long offs;		/* NLMSGERR_ATTR_OFFS, -1 if absent */
	long miss_type;		/* NLMSGERR_ATTR_MISS_TYPE, -1 if absent */
	long miss_nest;		/* NLMSGERR_ATTR_MISS_NEST, -1 if absent */
};

struct state {
	const struct opts *o;
	int family;
	bool done;
	int err;		/* positive errno from the kernel */
	long nmsgs;
	struct extack ext;
	const unsigned int *offs;	/* per-token offsets of the request */
};

static void usage(FILE *f)
{
	fprintf(f,
"usage: nlcall [--dump] [--quiet] [--dry-run] [--timeout S] [--genl-version N]\n"
"              CMD [TOKEN...]\n"
"       nlcall --listen SECONDS [--count K] [--quiet]\n"
"\n"
"CMD: a command name or @N (raw number). Commands:\n");
	nls_cmd_list(f);
	fprintf(f,
"\n"
"TOKENs (one word each) build the attributes:\n"
"  NAME=VALUE       attribute NAME of this level, typed by the schema\n"
"  NAME:TYPE=VALUE  same attribute id, encoded as TYPE (to send wrong types)\n"
"  NAME{  ...  }    nest with NLA_F_NESTED; NAME:nonest{ without the flag;\n"
"                   NAME:nest{ forces a nest where NAME is not one\n"
"  region{ ... }    inside regions{: the next array entry (types 0, 1, ...)\n"
"  NAME:flag        zero-length attribute\n"
"  @ID:TYPE=VALUE   raw attribute, ID 0..0xffff (flag bits included)\n"
"  @ID:flag         raw zero-length attribute\n"
"  @ID{ @ID:nonest{ raw nest (only @ID tokens inside)\n"
"  }                close a nest (}} closes two)\n"
"  TYPE: u8 u16 u32 u64 (decimal or 0x hex) str (adds NUL) strn (no NUL)\n"
"        bin (hex bytes, may be empty) flag\n"
"Schema: domain{ name flags stats{} } group{ name domain stats{} }\n"
"  vm{ id name pid group regions{ region{ start length } } domain state\n"
"      reason node stats{ resident merged saved zero refreshed-ms } }\n"
"  host{ version nr-domains nr-groups nr-vms nr-enrolled stats{}\n"
"        ksm-pages-shared ksm-pages-sharing ksm-pages-unshared\n"
"        ksm-full-scans ksm-merge-across-nodes }\n"
"\n"
"Options:\n"
"  --dump            set NLM_F_DUMP\n"
"  --quiet           print nothing on stdout (errors still go to stderr)\n"
"  --dry-run         print the request (decoded, then hex) and do not send\n"
"  --timeout S       give up waiting for an answer after S s (default 30)\n"
"  --genl-version N  version byte of the genl header (default %d)\n"
"  --family NAME     talk to another family, to test nlcall itself (the\n"
"                    vmmerge names still build requests; replies print raw)\n"
"  --group NAME      with --listen: another multicast group than events\n"
"  --listen S        print events of the \"events\" group for S seconds;\n"
"                    prints \"listening\" once subscribed\n"
"  --count K         with --listen: stop after K events; exit 1 if fewer\n"
"\n"
"Output: one line per reply, e.g. 'get-vm vm.id=7 vm.name=vm0 ...'; 'ok'\n"
"for a bare acknowledgement.  Exit: 0 ok, kernel errno, 1 local failure or\n"
"--count not reached, 2 family missing, 255 usage or token error.\n",
		VMMERGE_GENL_VERSION);
}

static int parse_uint(const char *s, uint64_t max, const char *what,
		      uint64_t *v)
{
	if (!nls_parse_u64(s, max, v))
		return 0;
	fprintf(stderr, "nlcall: bad %s '%s'\n", what, s);
	return -EINVAL;
}

static int parse_opt(struct opts *o, int c, const char *arg)
{
	uint64_t v = 0;
	int err = 0;

	switch (c) {
	case 'd':
		o->dump = true;
		break;
	case 'q':
		o->quiet = true;
		break;
	case 'n':
		o->dry_run = true;
		break;
	case 'l':
		err = parse_uint(arg, 86400, "--listen seconds", &v);
		o->listen = v;
		break;
	case 'c':
		err = parse_uint(arg, 1000000, "--count", &v);
		o->count = v;
		break;
	case 't':
		err = parse_uint(arg, 86400, "--timeout", &v);
		o->timeout = v;
		break;
	case 'V':
		err = parse_uint(arg, 255, "--genl-version", &v);
		o->version = v;
		break;
	case 'F':
		o->family = arg;
		o->top = NULL;
		break;
	case 'G':
		o->group = arg;
		break;
	default:
		return -EINVAL;
	}
	return err;
}

static int parse_args(struct opts *o, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "dump", no_argument, NULL, 'd' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "listen", required_argument, NULL, 'l' },
		{ "count", required_argument, NULL, 'c' },
		{ "timeout", required_argument, NULL, 't' },
		{ "genl-version", required_argument, NULL, 'V' },
		{ "family", required_argument, NULL, 'F' },
		{ "group", required_argument, NULL, 'G' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	/* '+': stop at CMD, so tokens are never taken for options */
	while ((c = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			exit(0);
		}
		if (parse_opt(o, c, optarg))
			return -EINVAL;
	}
	if (o->listen >= 0)
		return optind == argc ? 0 : -EINVAL;
	if (optind == argc || o->count)
		return -EINVAL;
	if (nls_cmd_parse(argv[optind], &o->cmd)) {
		fprintf(stderr, "nlcall: unknown command '%s'\n", argv[optind]);
		return -EINVAL;
	}
	o->tok = argv + optind + 1;
	o->ntok = argc - optind - 1;
	return 0;
}

/* The errno behind a libnl error code, for the exit status. */
static int nlerr_to_errno(int nlerr)
{
	static const int map[][2] = {
		{ NLE_NOMEM, ENOMEM }, { NLE_MSGSIZE, EMSGSIZE },
		{ NLE_PERM, EPERM }, { NLE_INVAL, EINVAL },
		{ NLE_BUSY, EBUSY }, { NLE_AGAIN, EAGAIN },
		{ NLE_OBJ_NOTFOUND, ENOENT }, { NLE_NOACCESS, EACCES },
		{ NLE_NODEV, ENODEV }, { NLE_RANGE, ERANGE },
		{ NLE_OPNOTSUPP, EOPNOTSUPP }, { NLE_EXIST, EEXIST },
		{ NLE_BAD_SOCK, EBADF }, { NLE_DUMP_INTR, EINTR },
	};
	unsigned int i;

	nlerr = nlerr < 0 ? -nlerr : nlerr;
	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (map[i][0] == nlerr)
			return map[i][1];
	return EIO;
}

static int exit_errno(int e)
{
	return e > 0 && e <= 254 ? e : 254;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* Wait until @fd is readable: 1 when it is, 0 at @deadline, -errno. */
static int wait_readable(int fd, long long deadline)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	long long left;
	int n;

	do {
		left = deadline - now_ms();
		if (left <= 0)
			return 0;
		n = poll(&p, 1, left > 60000 ? 60000 : (int)left);
	} while (n == 0 || (n < 0 && errno == EINTR));
	return n < 0 ? -errno : 1;
}

static int set_sockopts(struct nl_sock *sk)
{
	int fd = nl_socket_get_fd(sk);
	int one = 1;

	if (setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one)) ||
	    setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one)))
		return -errno;
	return nl_socket_set_buffer_size(sk, 1 << 20, 0) ? -ENOBUFS : 0;
}

/*
 * Connect and find the family.  Returns 0, or an exit status after saying
 * what went wrong; the caller frees *@skp either way.
 */
static int open_family(const struct opts *o, struct nl_sock **skp,
		       int *family)
{
	struct nl_sock *sk = nl_socket_alloc();
	int err;

	*skp = sk;
	if (!sk || genl_connect(sk)) {
		fprintf(stderr, "error: cannot open a generic netlink socket\n");
		return EXIT_LOCAL;
	}
	err = set_sockopts(sk);
	if (err) {
		fprintf(stderr, "error: socket options: %s\n", strerror(-err));
		return EXIT_LOCAL;
	}
	/* Replies larger than a page (a sketch of 4096 entries is 32 KiB). */
	nl_socket_enable_msg_peek(sk);
	*family = genl_ctrl_resolve(sk, o->family);
	if (*family == -NLE_OBJ_NOTFOUND) {
		fprintf(stderr, "error: family %s not found (is the module loaded?)\n",
			o->family);
		return EXIT_NOFAMILY;
	}
	if (*family < 0) {
		fprintf(stderr, "error: resolving family %s: %s\n", o->family,
			nl_geterror(*family));
		return EXIT_LOCAL;
	}
	return 0;
}

/* Parse the TLVs after @skip bytes of payload into @x. */
static void parse_extack(const struct nlmsghdr *nlh, int skip,
			 struct extack *x)
{
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	int len = (int)nlh->nlmsg_len - NLMSG_HDRLEN - skip;

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS) || len <= 0)
		return;
	if (nla_parse(tb, NLMSGERR_ATTR_MAX,
		      (struct nlattr *)((char *)nlmsg_data(nlh) + skip), len,
		      NULL))
		return;
	if (tb[NLMSGERR_ATTR_MSG])
		nla_strlcpy(x->msg, tb[NLMSGERR_ATTR_MSG], sizeof(x->msg));
	if (tb[NLMSGERR_ATTR_OFFS])
		x->offs = nla_get_u32(tb[NLMSGERR_ATTR_OFFS]);
	if (tb[NLMSGERR_ATTR_MISS_TYPE])
		x->miss_type = nla_get_u32(tb[NLMSGERR_ATTR_MISS_TYPE]);
	if (tb[NLMSGERR_ATTR_MISS_NEST])
		x->miss_nest = nla_get_u32(tb[NLMSGERR_ATTR_MISS_NEST]);
}

/* The token whose attribute starts at @offs, or -1. */
static int token_at(const struct state *st, long offs)
{
	int i;

	for (i = 0; st->offs && i < st->o->ntok; i++)
		if (st->offs[i] != NLS_OFFS_NONE && st->offs[i] == offs)
			return i;
	return -1;
}

/* Finish an extack line with where @offs points in the request. */
static void print_where(const struct state *st, long offs)
{
	int i = token_at(st, offs);

	fprintf(stderr, " at offset %ld", offs);
	if (i >= 0)
		fprintf(stderr, ", token %d: '%s'", i + 1, st->o->tok[i]);
	fputc('\n', stderr);
}

static void report_error(const struct state *st)
{
	const struct extack *x = &st->ext;

	fprintf(stderr, "error: %s (%d)%s%s\n", strerror(st->err), st->err,
		x->msg[0] ? ": " : "", x->msg);
	if (x->offs >= 0) {
		fprintf(stderr, "extack: bad attribute");
		print_where(st, x->offs);
	}
	if (x->miss_type >= 0) {
		fprintf(stderr, "extack: missing attribute type %ld",
			x->miss_type);
		if (x->miss_nest >= 0) {
			fprintf(stderr, " in the nest");
			print_where(st, x->miss_nest);
		} else {
			fprintf(stderr, " at the top level\n");
		}
	}
}

static int on_valid(struct nl_msg *msg, void *arg)
{
	struct state *st = arg;
	struct nlmsghdr *nlh = nlmsg_hdr(msg);

	if (nlh->nlmsg_type != st->family)
		return NL_SKIP;
	st->nmsgs++;
	if (!st->o->quiet)
		nls_print_msg(stdout, nlh, st->o->top);
	if (st->o->listen >= 0 && st->o->count && st->nmsgs >= st->o->count) {
		st->done = true;
		return NL_STOP;
	}
	return NL_OK;
}

/* NLMSG_DONE ends a dump; its payload is the dump's status, then TLVs. */
static int on_finish(struct nl_msg *msg, void *arg)
{
	struct state *st = arg;
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	int status = 0;

	if (nlh->nlmsg_len >= NLMSG_HDRLEN + sizeof(status))
		memcpy(&status, nlmsg_data(nlh), sizeof(status));
	if (status < 0)
		st->err = -status;
	parse_extack(nlh, sizeof(status), &st->ext);
	if (!st->err && st->ext.msg[0])
		fprintf(stderr, "warning: %s\n", st->ext.msg);
	st->done = true;
	return NL_STOP;
}

/* Where the TLVs start in an NLMSG_ERROR payload. */
static int errmsg_skip(const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *e = nlmsg_data(nlh);
	int skip = sizeof(*e);

	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		skip += e->msg.nlmsg_len - NLMSG_HDRLEN;
	return skip;
}

/* A bare acknowledgement; it may still carry a warning. */
static int on_ack(struct nl_msg *msg, void *arg)
{
	struct state *st = arg;
	struct nlmsghdr *nlh = nlmsg_hdr(msg);

	parse_extack(nlh, errmsg_skip(nlh), &st->ext);
	if (st->ext.msg[0])
		fprintf(stderr, "warning: %s\n", st->ext.msg);
	st->done = true;
	return NL_STOP;
}

static int on_error(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)((char *)e - NLMSG_HDRLEN);
	struct state *st = arg;

	(void)nla;
	st->err = -e->error;
	parse_extack(nlh, errmsg_skip(nlh), &st->ext);
	st->done = true;
	return NL_STOP;
}

/* Events carry sequence number 0: accept every message. */
static int any_seq(struct nl_msg *msg, void *arg)
{
	(void)msg;
	(void)arg;
	return NL_OK;
}

static struct nl_cb *make_cb(struct state *st)
{
	struct nl_cb *cb = nl_cb_alloc(NL_CB_DEFAULT);

	if (!cb)
		return NULL;
	if (st->o->listen >= 0)
		nl_cb_set(cb, NL_CB_SEQ_CHECK, NL_CB_CUSTOM, any_seq, NULL);
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, on_valid, st);
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, on_finish, st);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, on_ack, st);
	nl_cb_err(cb, NL_CB_CUSTOM, on_error, st);
	return cb;
}

/* Read until the request is answered.  Returns the exit status. */
static int receive(struct nl_sock *sk, struct state *st)
{
	long long deadline = now_ms() + st->o->timeout * 1000LL;
	struct nl_cb *cb = make_cb(st);
	int err = 0;

	if (!cb)
		return EXIT_LOCAL;
	while (!st->done) {
		err = wait_readable(nl_socket_get_fd(sk), deadline);
		if (err <= 0) {
			err = err ? -err : ETIMEDOUT;
			break;
		}
		err = nl_recvmsgs(sk, cb);
		if (err < 0 && !st->done) {
			err = nlerr_to_errno(err);
			break;
		}
		err = 0;
	}
	nl_cb_put(cb);
	if (err) {
		fprintf(stderr, "error: receiving: %s (%d)\n", strerror(err),
			err);
		return exit_errno(err);
	}
	if (st->err) {
		report_error(st);
		return exit_errno(st->err);
	}
	if (!st->nmsgs && !st->o->quiet)
		puts("ok");
	return 0;
}

static void print_request(struct nl_msg *msg)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	const unsigned char *p = nlmsg_data(nlh);
	int i, len = nlmsg_datalen(nlh);

	nls_print_msg(stdout, nlh, &nls_vmmerge);
	for (i = GENL_HDRLEN; i < len; i++)
		printf("%02x", p[i]);
	putchar('\n');
}

static struct nl_msg *build_request(const struct opts *o, unsigned int *offs)
{
	int flags = NLM_F_REQUEST | NLM_F_ACK | (o->dump ? NLM_F_DUMP : 0);
	struct nls_build_info info = { .offs = offs };
	struct nl_msg *msg = nlmsg_alloc_size(MSG_SIZE);

	if (!msg || !genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, 0, 0, flags,
				 o->cmd, o->version)) {
		fprintf(stderr, "nlcall: out of memory\n");
		nlmsg_free(msg);
		return NULL;
	}
	if (nls_build(msg, &nls_vmmerge, o->ntok, o->tok, &info)) {
		fprintf(stderr, "nlcall: %s\n", info.err);
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

static int send_request(struct nl_sock *sk, struct nl_msg *msg,
			struct state *st)
{
	int err;

	nlmsg_hdr(msg)->nlmsg_type = st->family;
	err = nl_send_auto(sk, msg);
	if (err < 0) {
		st->err = nlerr_to_errno(err);
		fprintf(stderr, "error: sending: %s (%d)\n",
			strerror(st->err), st->err);
		return exit_errno(st->err);
	}
	return receive(sk, st);
}

static int do_request(const struct opts *o)
{
	unsigned int *offs = calloc(o->ntok + 1, sizeof(*offs));
	struct state st = { .o = o, .offs = offs,
			    .ext = { .offs = -1, .miss_type = -1,
				     .miss_nest = -1 } };
	struct nl_sock *sk = NULL;
	struct nl_msg *msg;
	int ret;

	msg = offs ? build_request(o, offs) : NULL;
	if (!msg) {
		ret = EXIT_USAGE;
	} else if (o->dry_run) {
		print_request(msg);
		ret = 0;
	} else {
		ret = open_family(o, &sk, &st.family);
		if (!ret)
			ret = send_request(sk, msg, &st);
	}
	nlmsg_free(msg);
	nl_socket_free(sk);
	free(offs);
	return ret;
}

static int subscribe(const struct opts *o, struct nl_sock *sk)
{
	int grp = genl_ctrl_resolve_grp(sk, o->family, o->group);

	if (grp < 0) {
		fprintf(stderr, "error: family %s has no group %s: %s\n",
			o->family, o->group, nl_geterror(grp));
		return EXIT_NOFAMILY;
	}
	if (nl_socket_add_membership(sk, grp)) {
		fprintf(stderr, "error: cannot join group %s\n", o->group);
		return EXIT_LOCAL;
	}
	return 0;
}

static int listen_loop(struct nl_sock *sk, struct state *st)
{
	long long deadline = now_ms() + st->o->listen * 1000LL;
	struct nl_cb *cb = make_cb(st);
	int err;

	if (!cb)
		return EXIT_LOCAL;
	puts("listening");
	fflush(stdout);
	while (!st->done) {
		err = wait_readable(nl_socket_get_fd(sk), deadline);
		if (err <= 0)
			break;
		err = nl_recvmsgs(sk, cb);
		if (err == -NLE_NOMEM)
			fprintf(stderr, "warning: events lost (socket overrun)\n");
	}
	nl_cb_put(cb);
	if (st->o->count && st->nmsgs < st->o->count) {
		fprintf(stderr, "error: %ld of %ld events in %d s\n",
			st->nmsgs, st->o->count, st->o->listen);
		return EXIT_LOCAL;
	}
	return 0;
}

static int do_listen(const struct opts *o)
{
	struct state st = { .o = o };
	struct nl_sock *sk = NULL;
	int ret;

	ret = open_family(o, &sk, &st.family);
	if (!ret)
		ret = subscribe(o, sk);
	if (!ret)
		ret = listen_loop(sk, &st);
	nl_socket_free(sk);
	return ret;
}

int main(int argc, char **argv)
{
	struct opts o = {
		.listen = -1,
		.timeout = 30,
		.version = VMMERGE_GENL_VERSION,
		.family = VMMERGE_GENL_NAME,
		.group = VMMERGE_MCGRP_EVENTS,
		.top = &nls_vmmerge,
	};

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (parse_args(&o, argc, argv)) {
		fprintf(stderr, "usage: nlcall [OPTIONS] CMD [TOKEN...] | --listen S [--count K]\n"
			"       (nlcall --help tells more)\n");
		return EXIT_USAGE;
	}
	return o.listen >= 0 ? do_listen(&o) : do_request(&o);
}
