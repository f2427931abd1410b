// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The vmmerge developers.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <libmnl/libmnl.h>

#include "procconn.h"

struct procconn {
	struct mnl_socket *nl;
};

/* Ask for events: PROC_CN_MCAST_LISTEN in a cn_msg in an NLMSG_DONE. */
static int listen_events(struct mnl_socket *nl)
{
	char buf[NLMSG_SPACE(sizeof(struct cn_msg) + sizeof(int))];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct cn_msg *cn;
	int op = PROC_CN_MCAST_LISTEN;

	nlh->nlmsg_type = NLMSG_DONE;
	nlh->nlmsg_pid = mnl_socket_get_portid(nl);
	cn = mnl_nlmsg_put_extra_header(nlh, sizeof(*cn) + sizeof(op));
	cn->id.idx = CN_IDX_PROC;
	cn->id.val = CN_VAL_PROC;
	cn->len = sizeof(op);
	memcpy(cn->data, &op, sizeof(op));
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	return 0;
}

int procconn_open(struct procconn **out)
{
	struct procconn *pc = calloc(1, sizeof(*pc));
	int err;

	*out = NULL;
	if (!pc)
		return -ENOMEM;
	pc->nl = mnl_socket_open2(NETLINK_CONNECTOR, SOCK_NONBLOCK |
				  SOCK_CLOEXEC);
	if (!pc->nl) {
		err = -errno;
		free(pc);
		return err;
	}
	err = mnl_socket_bind(pc->nl, CN_IDX_PROC, MNL_SOCKET_AUTOPID) < 0 ?
		-errno : listen_events(pc->nl);
	if (err) {
		procconn_close(pc);
		return err;
	}
	*out = pc;
	return 0;
}

void procconn_close(struct procconn *pc)
{
	if (!pc)
		return;
	mnl_socket_close(pc->nl);
	free(pc);
}

int procconn_fd(const struct procconn *pc)
{
	return mnl_socket_get_fd(pc->nl);
}

static void dispatch(const struct proc_event *ev,
		     const struct procconn_ops *ops, void *arg)
{
	switch (ev->what) {
	case PROC_EVENT_EXEC:
		if (ops->exec)
			ops->exec(ev->event_data.exec.process_tgid, arg);
		break;
	case PROC_EVENT_EXIT:
		/* Only the thread-group leader's exit ends the process. */
		if (ops->exit && ev->event_data.exit.process_pid ==
		    ev->event_data.exit.process_tgid)
			ops->exit(ev->event_data.exit.process_tgid, arg);
		break;
	default:
		break;
	}
}

int procconn_read(struct procconn *pc, const struct procconn_ops *ops,
		  void *arg)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	ssize_t n;

	while ((n = mnl_socket_recvfrom(pc->nl, buf, sizeof(buf))) > 0) {
		struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
		int len = n;

		for (; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
			struct cn_msg *cn = mnl_nlmsg_get_payload(nlh);

			if (mnl_nlmsg_get_payload_len(nlh) <
			    sizeof(*cn) + sizeof(struct proc_event) ||
			    cn->id.idx != CN_IDX_PROC)
				continue;
			dispatch((struct proc_event *)cn->data, ops, arg);
		}
	}
	if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
		return errno == ENOBUFS ? -ENOBUFS : -errno;
	return 0;
}
