// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The vmmerge developers.
 *
 * The netlink backend: one libnl-genl-3 socket per struct vnl, the family
 * resolved once at open, NETLINK_EXT_ACK and NETLINK_CAP_ACK on.  A request
 * is sent, then replies are read until the ACK (do) or NLMSG_DONE (dump);
 * an NLMSG_ERROR ends it with -errno and leaves the extack message behind.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/genetlink.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <netlink/genl/genl.h>
#include <netlink/genl/ctrl.h>

#include "nl.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

/* Parses one reply message into the caller's storage. */
typedef int (*reply_fn)(struct nlmsghdr *nlh, void *arg);

struct vnl {
	struct nl_sock *sk;
	int family;
	reply_fn reply;
	void *arg;
	int err;
	int done;
	char extack[256];
	void (*event_fn)(const struct vmm_event *ev, void *arg);
	void *event_arg;
	void (*watch_fn)(int up, void *arg);
};

/* The errno behind a libnl error code, for local failures. */
static int nlerr_errno(int nlerr)
{
	static const int map[][2] = {
		{ NLE_NOMEM, ENOMEM }, { NLE_INTR, EINTR },
		{ NLE_AGAIN, EAGAIN }, { NLE_PERM, EPERM },
		{ NLE_NOACCESS, EACCES }, { NLE_INVAL, EINVAL },
		{ NLE_RANGE, ERANGE }, { NLE_EXIST, EEXIST },
		{ NLE_BUSY, EBUSY }, { NLE_OBJ_NOTFOUND, ENOENT },
		{ NLE_MSGSIZE, EMSGSIZE }, { NLE_OPNOTSUPP, EOPNOTSUPP },
		{ NLE_PROTO_MISMATCH, EPROTO }, { NLE_DUMP_INTR, EINTR },
	};
	size_t i;

	nlerr = nlerr < 0 ? -nlerr : nlerr;
	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (map[i][0] == nlerr)
			return map[i][1];
	return EIO;
}

static int on_valid(struct nl_msg *msg, void *arg)
{
	struct vnl *v = arg;
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	int err;

	if (nlh->nlmsg_type != v->family || !v->reply)
		return NL_SKIP;
	err = v->reply(nlh, v->arg);
	if (err && !v->err)
		v->err = err;
	return NL_OK;
}

static int on_finish(struct nl_msg *msg, void *arg)
{
	struct vnl *v = arg;
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	int status = 0;

	if (nlh->nlmsg_len >= NLMSG_HDRLEN + sizeof(status))
		memcpy(&status, nlmsg_data(nlh), sizeof(status));
	if (status < 0 && !v->err) {
		v->err = status;
		vmm_parse_extack(nlh, v->extack, sizeof(v->extack));
	}
	v->done = 1;
	return NL_STOP;
}

static int on_ack(struct nl_msg *msg, void *arg)
{
	struct vnl *v = arg;

	(void)msg;
	v->done = 1;
	return NL_STOP;
}

static int on_error(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)((char *)e - NLMSG_HDRLEN);
	struct vnl *v = arg;

	(void)nla;
	v->err = e->error < 0 ? e->error : -e->error;
	vmm_parse_extack(nlh, v->extack, sizeof(v->extack));
	v->done = 1;
	return NL_STOP;
}

static int set_sockopts(struct nl_sock *sk)
{
	int fd = nl_socket_get_fd(sk);
	int one = 1;

	if (setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one)) ||
	    setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one)))
		return -errno;
	nl_socket_disable_auto_ack(sk);
	nl_socket_enable_msg_peek(sk);
	if (nl_socket_set_buffer_size(sk, 1 << 20, 0) < 0)
		return -ENOBUFS;
	return 0;
}

static int set_callbacks(struct vnl *v)
{
	if (nl_socket_modify_cb(v->sk, NL_CB_VALID, NL_CB_CUSTOM, on_valid, v) ||
	    nl_socket_modify_cb(v->sk, NL_CB_FINISH, NL_CB_CUSTOM, on_finish, v) ||
	    nl_socket_modify_cb(v->sk, NL_CB_ACK, NL_CB_CUSTOM, on_ack, v) ||
	    nl_socket_modify_err_cb(v->sk, NL_CB_CUSTOM, on_error, v))
		return -ENOMEM;
	return 0;
}

int vnl_open(struct vnl **out)
{
	struct vnl *v = calloc(1, sizeof(*v));
	int err = -ENOMEM;

	*out = NULL;
	if (!v || !(v->sk = nl_socket_alloc()))
		goto err_free;
	err = genl_connect(v->sk);
	if (err < 0) {
		err = -nlerr_errno(err);
		goto err_free;
	}
	err = set_sockopts(v->sk);
	if (err)
		goto err_free;
	v->family = genl_ctrl_resolve(v->sk, VMMERGE_GENL_NAME);
	if (v->family < 0) {
		err = v->family == -NLE_OBJ_NOTFOUND ? -EPROTONOSUPPORT :
			-nlerr_errno(v->family);
		goto err_free;
	}
	err = set_callbacks(v);
	if (err)
		goto err_free;
	*out = v;
	return 0;

err_free:
	vnl_close(v);
	return err;
}

void vnl_close(struct vnl *v)
{
	if (!v)
		return;
	nl_socket_free(v->sk);
	free(v);
}

bool vnl_family_present(struct vnl *v)
{
	return genl_ctrl_resolve(v->sk, VMMERGE_GENL_NAME) >= 0;
}

const char *vnl_extack(const struct vnl *v)
{
	return v ? v->extack : "";
}

int vnl_fd(const struct vnl *v)
{
	return nl_socket_get_fd(v->sk);
}

/* Send @msg (consumed) and read its replies through @fn. */
static int transact(struct vnl *v, struct nl_msg *msg, reply_fn fn, void *arg)
{
	int err;

	v->reply = fn;
	v->arg = arg;
	v->err = 0;
	v->done = 0;
	v->extack[0] = '\0';
	err = nl_send_auto(v->sk, msg);
	nlmsg_free(msg);
	if (err < 0)
		return -nlerr_errno(err);
	while (!v->done) {
		err = nl_recvmsgs_default(v->sk);
		if (err < 0 && !v->err)
			v->err = -nlerr_errno(err);
		if (err < 0)
			break;
	}
	v->reply = NULL;
	return v->err;
}

/* A new request: genl header for @cmd, then an open top-level @nest. */
static struct nl_msg *request(struct vnl *v, uint8_t cmd, int flags,
			      int nest, struct nlattr **start)
{
	struct nl_msg *msg = nlmsg_alloc();

	if (!msg)
		return NULL;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, v->family, 0, flags,
			 cmd, VMMERGE_GENL_VERSION) ||
	    !(*start = nla_nest_start(msg, nest))) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

/* Close the nest, send, wait for the ACK. */
static int finish_do(struct vnl *v, struct nl_msg *msg, struct nlattr *start,
		     reply_fn fn, void *arg)
{
	nla_nest_end(msg, start);
	return transact(v, msg, fn, arg);
}

static int parse_host_cb(struct nlmsghdr *nlh, void *arg)
{
	return vmm_parse_host(nlh, arg);
}

int vnl_get_host(struct vnl *v, struct vmm_host *h)
{
	struct nlattr *start;
	struct nl_msg *msg = request(v, VMMERGE_CMD_GET_HOST, NLM_F_ACK,
				     VMMERGE_A_HOST, &start);

	if (!msg)
		return -ENOMEM;
	memset(h, 0, sizeof(*h));
	return finish_do(v, msg, start, parse_host_cb, h);
}

/* A growing array that a dump fills one element at a time. */
struct collect {
	void *items;
	size_t nr, alloc, size;
	int (*parse)(struct nlmsghdr *nlh, void *item);
};

static int collect_cb(struct nlmsghdr *nlh, void *arg)
{
	struct collect *c = arg;
	int err;

	if (c->nr == c->alloc) {
		size_t n = c->alloc ? c->alloc * 2 : 16;
		void *p = realloc(c->items, n * c->size);

		if (!p)
			return -ENOMEM;
		c->items = p;
		c->alloc = n;
	}
	err = c->parse(nlh, (char *)c->items + c->nr * c->size);
	if (err)
		return err;
	c->nr++;
	return 0;
}

static int item_domain(struct nlmsghdr *nlh, void *item)
{
	return vmm_parse_domain(nlh, item);
}

static int item_group(struct nlmsghdr *nlh, void *item)
{
	return vmm_parse_group(nlh, item);
}

static int item_vm(struct nlmsghdr *nlh, void *item)
{
	return vmm_parse_vm(nlh, item);
}

static int dump(struct vnl *v, uint8_t cmd, struct collect *c, void **out,
		size_t *nr)
{
	struct nl_msg *msg = nlmsg_alloc();
	int err;

	*out = NULL;
	*nr = 0;
	if (!msg)
		return -ENOMEM;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, v->family, 0,
			 NLM_F_DUMP, cmd, VMMERGE_GENL_VERSION)) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	err = transact(v, msg, collect_cb, c);
	if (err) {
		free(c->items);
		return err;
	}
	*out = c->items;
	*nr = c->nr;
	return 0;
}

int vnl_dump_domains(struct vnl *v, struct vmm_domain **out, size_t *nr)
{
	struct collect c = { .size = sizeof(**out), .parse = item_domain };

	return dump(v, VMMERGE_CMD_GET_DOMAIN, &c, (void **)out, nr);
}

int vnl_dump_groups(struct vnl *v, struct vmm_group **out, size_t *nr)
{
	struct collect c = { .size = sizeof(**out), .parse = item_group };

	return dump(v, VMMERGE_CMD_GET_GROUP, &c, (void **)out, nr);
}

int vnl_dump_vms(struct vnl *v, struct vmm_vm **out, size_t *nr)
{
	struct collect c = { .size = sizeof(**out), .parse = item_vm };

	return dump(v, VMMERGE_CMD_GET_VM, &c, (void **)out, nr);
}

int vnl_get_vm(struct vnl *v, uint64_t id, struct vmm_vm *vm)
{
	struct nlattr *start;
	struct nl_msg *msg = request(v, VMMERGE_CMD_GET_VM, NLM_F_ACK,
				     VMMERGE_A_VM, &start);

	if (!msg)
		return -ENOMEM;
	memset(vm, 0, sizeof(*vm));
	if (nla_put_u64(msg, VMMERGE_A_VM_ID, id) < 0) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	return finish_do(v, msg, start, item_vm, vm);
}

static int item_hint(struct nlmsghdr *nlh, void *item)
{
	return vmm_parse_hint(nlh, item);
}

static int item_sketch(struct nlmsghdr *nlh, void *item)
{
	struct vmm_sketch *s = item;

	free(s->fp);
	return vmm_parse_sketch(nlh, s);
}

static int put_sketch(struct nl_msg *msg, const struct vmm_sketch *s)
{
	if (nla_put(msg, VMMERGE_A_HINT_SKETCH, s->nr * sizeof(uint64_t),
		    s->fp) < 0)
		return -EMSGSIZE;
	if (s->pages &&
	    nla_put_u64(msg, VMMERGE_A_HINT_PAGES, s->pages) < 0)
		return -EMSGSIZE;
	if (s->zero_pages &&
	    nla_put_u64(msg, VMMERGE_A_HINT_ZERO_PAGES, s->zero_pages) < 0)
		return -EMSGSIZE;
	return 0;
}

int vnl_get_hint(struct vnl *v, const char *group, const char *domain,
		 const struct vmm_sketch *sketch, struct vmm_hint *h)
{
	struct nlattr *start;
	struct nl_msg *msg = request(v, VMMERGE_CMD_GET_HINT, NLM_F_ACK,
				     VMMERGE_A_HINT, &start);

	if (!msg)
		return -ENOMEM;
	memset(h, 0, sizeof(*h));
	if ((group && nla_put_string(msg, VMMERGE_A_HINT_GROUP, group) < 0) ||
	    (domain && nla_put_string(msg, VMMERGE_A_HINT_DOMAIN, domain) < 0) ||
	    (sketch && put_sketch(msg, sketch))) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	return finish_do(v, msg, start, item_hint, h);
}

int vnl_get_sketch(struct vnl *v, const char *group, struct vmm_sketch *s)
{
	struct nlattr *start;
	struct nl_msg *msg = request(v, VMMERGE_CMD_GET_SKETCH, NLM_F_ACK,
				     VMMERGE_A_HINT, &start);
	int err;

	if (!msg)
		return -ENOMEM;
	memset(s, 0, sizeof(*s));
	if (nla_put_string(msg, VMMERGE_A_HINT_GROUP, group) < 0) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	err = finish_do(v, msg, start, item_sketch, s);
	if (err) {
		free(s->fp);
		s->fp = NULL;
		s->nr = 0;
	}
	return err;
}

/* A domain request: name, and flags unless @flags is negative. */
static int domain_cmd(struct vnl *v, uint8_t cmd, const char *name,
		      long long flags)
{
	struct nlattr *start;
	struct nl_msg *msg = request(v, cmd, NLM_F_ACK, VMMERGE_A_DOMAIN,
				     &start);

	if (!msg)
		return -ENOMEM;
	if (nla_put_string(msg, VMMERGE_A_DOMAIN_NAME, name) < 0 ||
	    (flags >= 0 &&
	     nla_put_u32(msg, VMMERGE_A_DOMAIN_FLAGS, (uint32_t)flags) < 0)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	return finish_do(v, msg, start, NULL, NULL);
}

int vnl_new_domain(struct vnl *v, const char *name, uint32_t flags)
{
	return domain_cmd(v, VMMERGE_CMD_NEW_DOMAIN, name, flags);
}

int vnl_set_domain(struct vnl *v, const char *name, uint32_t flags)
{
	return domain_cmd(v, VMMERGE_CMD_SET_DOMAIN, name, flags);
}

int vnl_del_domain(struct vnl *v, const char *name)
{
	return domain_cmd(v, VMMERGE_CMD_DEL_DOMAIN, name, -1);
}

/* A group request: name, and domain unless NULL. */
static int group_cmd(struct vnl *v, uint8_t cmd, const char *name,
		     const char *domain)
{
	struct nlattr *start;
	struct nl_msg *msg = request(v, cmd, NLM_F_ACK, VMMERGE_A_GROUP,
				     &start);

	if (!msg)
		return -ENOMEM;
	if (nla_put_string(msg, VMMERGE_A_GROUP_NAME, name) < 0 ||
	    (domain && nla_put_string(msg, VMMERGE_A_GROUP_DOMAIN, domain) < 0)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	return finish_do(v, msg, start, NULL, NULL);
}

int vnl_new_group(struct vnl *v, const char *name, const char *domain)
{
	return group_cmd(v, VMMERGE_CMD_NEW_GROUP, name, domain);
}

int vnl_set_group(struct vnl *v, const char *name, const char *domain)
{
	return group_cmd(v, VMMERGE_CMD_SET_GROUP, name, domain);
}

int vnl_del_group(struct vnl *v, const char *name)
{
	return group_cmd(v, VMMERGE_CMD_DEL_GROUP, name, NULL);
}

static int put_regions(struct nl_msg *msg, const struct vmm_vm *vm)
{
	struct nlattr *list = nla_nest_start(msg, VMMERGE_A_VM_REGIONS);
	unsigned int i;

	if (!list)
		return -EMSGSIZE;
	for (i = 0; i < vm->nr_regions; i++) {
		struct nlattr *r = nla_nest_start(msg, i);

		if (!r ||
		    nla_put_u64(msg, VMMERGE_A_REGION_START,
				vm->regions[i].start) < 0 ||
		    nla_put_u64(msg, VMMERGE_A_REGION_LENGTH,
				vm->regions[i].length) < 0)
			return -EMSGSIZE;
		nla_nest_end(msg, r);
	}
	nla_nest_end(msg, list);
	return 0;
}

int vnl_add_vm(struct vnl *v, const struct vmm_vm *vm)
{
	struct nlattr *start;
	struct nl_msg *msg = request(v, VMMERGE_CMD_ADD_VM, NLM_F_ACK,
				     VMMERGE_A_VM, &start);

	if (!msg)
		return -ENOMEM;
	if (nla_put_u64(msg, VMMERGE_A_VM_ID, vm->id) < 0 ||
	    nla_put_string(msg, VMMERGE_A_VM_NAME, vm->name) < 0 ||
	    nla_put_u32(msg, VMMERGE_A_VM_PID, vm->pid) < 0 ||
	    nla_put_string(msg, VMMERGE_A_VM_GROUP, vm->group) < 0 ||
	    put_regions(msg, vm) < 0) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	return finish_do(v, msg, start, NULL, NULL);
}

int vnl_set_vm(struct vnl *v, uint64_t id, const char *group)
{
	struct nlattr *start;
	struct nl_msg *msg = request(v, VMMERGE_CMD_SET_VM, NLM_F_ACK,
				     VMMERGE_A_VM, &start);

	if (!msg)
		return -ENOMEM;
	if (nla_put_u64(msg, VMMERGE_A_VM_ID, id) < 0 ||
	    nla_put_string(msg, VMMERGE_A_VM_GROUP, group) < 0) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	return finish_do(v, msg, start, NULL, NULL);
}

int vnl_del_vm(struct vnl *v, uint64_t id)
{
	struct nlattr *start;
	struct nl_msg *msg = request(v, VMMERGE_CMD_DEL_VM, NLM_F_ACK,
				     VMMERGE_A_VM, &start);

	if (!msg)
		return -ENOMEM;
	if (nla_put_u64(msg, VMMERGE_A_VM_ID, id) < 0) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	return finish_do(v, msg, start, NULL, NULL);
}

/* Events carry sequence number 0 and arrive unasked. */
static int on_event(struct nl_msg *msg, void *arg)
{
	struct vnl *v = arg;
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct vmm_event ev;

	if (nlh->nlmsg_type != v->family || !v->event_fn)
		return NL_SKIP;
	if (vmm_parse_event(nlh, &ev) == 0)
		v->event_fn(&ev, v->event_arg);
	return NL_OK;
}

/*
 * Join multicast group @group of @family and take its messages on @cb,
 * without blocking.  Unasked messages carry sequence number 0, so the
 * sequence check is off.
 */
static int vnl_listen(struct vnl *v, const char *family, const char *group,
		      nl_recvmsg_msg_cb_t cb)
{
	int grp = genl_ctrl_resolve_grp(v->sk, family, group);
	int err = grp < 0 ? grp : nl_socket_add_membership(v->sk, grp);

	if (err < 0)
		return -nlerr_errno(err);
	nl_socket_disable_seq_check(v->sk);
	if (nl_socket_modify_cb(v->sk, NL_CB_VALID, NL_CB_CUSTOM, cb, v))
		return -ENOMEM;
	err = nl_socket_set_nonblocking(v->sk);
	return err < 0 ? -nlerr_errno(err) : 0;
}

/* Handle every message waiting on the socket. */
static int vnl_drain(struct vnl *v)
{
	int err;

	do {
		err = nl_recvmsgs_default(v->sk);
	} while (err > 0);
	if (err == -NLE_AGAIN || err == 0)
		return 0;
	return -nlerr_errno(err);
}

int vnl_subscribe(struct vnl *v)
{
	return vnl_listen(v, VMMERGE_GENL_NAME, VMMERGE_MCGRP_EVENTS, on_event);
}

int vnl_read_events(struct vnl *v,
		    void (*fn)(const struct vmm_event *ev, void *arg),
		    void *arg)
{
	v->event_fn = fn;
	v->event_arg = arg;
	return vnl_drain(v);
}

/* Controller notifications: NEWFAMILY / DELFAMILY naming our family. */
static int on_ctrl(struct nl_msg *msg, void *arg)
{
	static struct nla_policy policy[CTRL_ATTR_MAX + 1] = {
		[CTRL_ATTR_FAMILY_NAME] = { .type = NLA_STRING },
	};
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct nlattr *tb[CTRL_ATTR_MAX + 1];
	struct genlmsghdr *gh;
	struct vnl *v = arg;

	if (nlh->nlmsg_type != GENL_ID_CTRL || !v->watch_fn ||
	    !genlmsg_valid_hdr(nlh, 0))
		return NL_SKIP;
	gh = nlmsg_data(nlh);
	if (gh->cmd != CTRL_CMD_NEWFAMILY && gh->cmd != CTRL_CMD_DELFAMILY)
		return NL_SKIP;
	if (genlmsg_parse(nlh, 0, tb, CTRL_ATTR_MAX, policy) < 0 ||
	    !tb[CTRL_ATTR_FAMILY_NAME] ||
	    strcmp(nla_get_string(tb[CTRL_ATTR_FAMILY_NAME]),
		   VMMERGE_GENL_NAME))
		return NL_SKIP;
	v->watch_fn(gh->cmd == CTRL_CMD_NEWFAMILY, v->event_arg);
	return NL_OK;
}

int vnl_watch_open(struct vnl **out)
{
	struct vnl *v = calloc(1, sizeof(*v));
	int err = -ENOMEM;

	*out = NULL;
	if (!v || !(v->sk = nl_socket_alloc()))
		goto err_free;
	err = genl_connect(v->sk);
	if (err < 0) {
		err = -nlerr_errno(err);
		goto err_free;
	}
	err = vnl_listen(v, "nlctrl", "notify", on_ctrl);
	if (err)
		goto err_free;
	*out = v;
	return 0;

err_free:
	vnl_close(v);
	return err;
}

int vnl_watch_read(struct vnl *v, void (*fn)(int up, void *arg), void *arg)
{
	v->watch_fn = fn;
	v->event_arg = arg;
	return vnl_drain(v);
}
