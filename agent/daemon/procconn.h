/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (C) 2026 The vmmerge developers.
 *
 * The kernel's process connector (NETLINK_CONNECTOR, CN_IDX_PROC) on
 * libmnl: exec and exit events of every process, without polling.  Needs
 * CAP_NET_ADMIN.
 */
#ifndef VMMERGE_PROCCONN_H
#define VMMERGE_PROCCONN_H

#include <sys/types.h>

struct procconn;

struct procconn_ops {
	void (*exec)(pid_t pid, void *arg);
	void (*exit)(pid_t pid, void *arg);
};

int procconn_open(struct procconn **out);
void procconn_close(struct procconn *pc);
int procconn_fd(const struct procconn *pc);
/* Handle every event waiting; does not block. */
int procconn_read(struct procconn *pc, const struct procconn_ops *ops,
		  void *arg);

#endif
