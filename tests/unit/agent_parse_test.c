// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The vmmerge developers.
 *
 * Unit tests of agent/lib/parse.c: replies and events built in memory with
 * libnl, parsed into the agent's structs.  No socket, no kernel.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <linux/genetlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <netlink/genl/genl.h>

#include "agent_check.h"
#include "nl.h"

#define FAMILY 0x1d

static struct nl_msg *new_msg(uint8_t cmd)
{
	struct nl_msg *msg = nlmsg_alloc();

	genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, FAMILY, 0, 0, cmd, 1);
	return msg;
}

static void put_stats(struct nl_msg *msg, int type, uint64_t base)
{
	struct nlattr *s = nla_nest_start(msg, type);

	nla_put_u64(msg, VMMERGE_A_STATS_RESIDENT, base + 1);
	nla_put_u64(msg, VMMERGE_A_STATS_MERGED, base + 2);
	nla_put_u64(msg, VMMERGE_A_STATS_SAVED, base + 3);
	nla_put_u64(msg, VMMERGE_A_STATS_ZERO, base + 4);
	nla_put_u64(msg, VMMERGE_A_STATS_REFRESHED_MS, base + 5);
	nla_nest_end(msg, s);
}

static void test_host(void)
{
	struct nl_msg *msg = new_msg(VMMERGE_CMD_GET_HOST);
	struct nlattr *h = nla_nest_start(msg, VMMERGE_A_HOST);
	struct vmm_host host;

	nla_put_string(msg, VMMERGE_A_HOST_VERSION, "1.2-test");
	nla_put_u32(msg, VMMERGE_A_HOST_NR_DOMAINS, 2);
	nla_put_u32(msg, VMMERGE_A_HOST_NR_GROUPS, 3);
	nla_put_u32(msg, VMMERGE_A_HOST_NR_VMS, 4);
	nla_put_u32(msg, VMMERGE_A_HOST_NR_ENROLLED, 1);
	put_stats(msg, VMMERGE_A_HOST_STATS, 100);
	nla_put_u64(msg, VMMERGE_A_HOST_KSM_PAGES_SHARED, 7);
	nla_put_u64(msg, VMMERGE_A_HOST_KSM_PAGES_SHARING, 70);
	nla_put_u64(msg, VMMERGE_A_HOST_KSM_FULL_SCANS, 9);
	nla_put_u32(msg, VMMERGE_A_HOST_KSM_MERGE_ACROSS_NODES, 1);
	nla_nest_end(msg, h);
	CHECK(vmm_parse_host(nlmsg_hdr(msg), &host) == 0);
	CHECK(!strcmp(host.version, "1.2-test"));
	CHECK(host.nr_domains == 2 && host.nr_groups == 3 && host.nr_vms == 4);
	CHECK(host.nr_enrolled == 1);
	CHECK(host.stats.resident == 101 && host.stats.saved == 103);
	CHECK(host.stats.refreshed_ms == 105);
	CHECK(host.ksm_pages_shared == 7 && host.ksm_pages_sharing == 70);
	CHECK(host.ksm_pages_unshared == 0 && host.ksm_full_scans == 9);
	CHECK(host.ksm_merge_across_nodes == 1);
	nlmsg_free(msg);
}

static void test_domain_group(void)
{
	struct nl_msg *msg = new_msg(VMMERGE_CMD_GET_DOMAIN);
	struct nlattr *n = nla_nest_start(msg, VMMERGE_A_DOMAIN);
	struct vmm_domain d;
	struct vmm_group g;

	nla_put_string(msg, VMMERGE_A_DOMAIN_NAME, "tenant-a");
	nla_put_u32(msg, VMMERGE_A_DOMAIN_FLAGS, VMMERGE_DOMAIN_F_ISOLATED);
	put_stats(msg, VMMERGE_A_DOMAIN_STATS, 10);
	nla_nest_end(msg, n);
	CHECK(vmm_parse_domain(nlmsg_hdr(msg), &d) == 0);
	CHECK(!strcmp(d.name, "tenant-a"));
	CHECK(d.flags == VMMERGE_DOMAIN_F_ISOLATED);
	CHECK(d.stats.merged == 12);
	/* A domain message is not a group. */
	CHECK(vmm_parse_group(nlmsg_hdr(msg), &g) == -EINVAL);
	nlmsg_free(msg);

	msg = new_msg(VMMERGE_CMD_GET_GROUP);
	n = nla_nest_start(msg, VMMERGE_A_GROUP);
	nla_put_string(msg, VMMERGE_A_GROUP_NAME, "python3.11");
	nla_put_string(msg, VMMERGE_A_GROUP_DOMAIN, "default");
	nla_nest_end(msg, n);
	CHECK(vmm_parse_group(nlmsg_hdr(msg), &g) == 0);
	CHECK(!strcmp(g.name, "python3.11") && !strcmp(g.domain, "default"));
	CHECK(g.stats.resident == 0);
	nlmsg_free(msg);
}

static struct nl_msg *vm_msg(uint8_t cmd, int nregions)
{
	struct nl_msg *msg = new_msg(cmd);
	struct nlattr *n = nla_nest_start(msg, VMMERGE_A_VM);
	struct nlattr *list;
	int i;

	nla_put_u64(msg, VMMERGE_A_VM_ID, 0x1234567890ULL);
	nla_put_string(msg, VMMERGE_A_VM_NAME, "fc-42");
	nla_put_u32(msg, VMMERGE_A_VM_PID, 42);
	nla_put_string(msg, VMMERGE_A_VM_GROUP, "node20");
	nla_put_string(msg, VMMERGE_A_VM_DOMAIN, "default");
	nla_put_u32(msg, VMMERGE_A_VM_STATE, VMMERGE_VM_ENROLLED);
	nla_put_string(msg, VMMERGE_A_VM_REASON, "yield 41%");
	nla_put_u32(msg, VMMERGE_A_VM_NODE, 1);
	list = nla_nest_start(msg, VMMERGE_A_VM_REGIONS);
	for (i = 0; i < nregions; i++) {
		struct nlattr *r = nla_nest_start(msg, i);

		nla_put_u64(msg, VMMERGE_A_REGION_START, 0x7f0000000000ULL +
			    ((uint64_t)i << 30));
		nla_put_u64(msg, VMMERGE_A_REGION_LENGTH, 256ULL << 20);
		nla_nest_end(msg, r);
	}
	nla_nest_end(msg, list);
	put_stats(msg, VMMERGE_A_VM_STATS, 1000);
	nla_nest_end(msg, n);
	return msg;
}

static void test_vm(void)
{
	struct nl_msg *msg = vm_msg(VMMERGE_CMD_GET_VM, 2);
	struct vmm_vm vm;

	CHECK(vmm_parse_vm(nlmsg_hdr(msg), &vm) == 0);
	CHECK(vm.id == 0x1234567890ULL && vm.pid == 42);
	CHECK(!strcmp(vm.name, "fc-42") && !strcmp(vm.group, "node20"));
	CHECK(!strcmp(vm.domain, "default") && !strcmp(vm.reason, "yield 41%"));
	CHECK(vm.state == VMMERGE_VM_ENROLLED && vm.node == 1);
	CHECK(vm.nr_regions == 2);
	CHECK(vm.regions[1].start == 0x7f0040000000ULL);
	CHECK(vm.regions[1].length == 256ULL << 20);
	CHECK(vm.stats.zero == 1004);
	CHECK(!strcmp(vmm_state_name(vm.state), "enrolled"));
	CHECK(!strcmp(vmm_state_name(99), "unknown"));
	nlmsg_free(msg);

	msg = vm_msg(VMMERGE_CMD_GET_VM, VMM_MAX_REGIONS + 1);
	CHECK(vmm_parse_vm(nlmsg_hdr(msg), &vm) == -E2BIG);
	nlmsg_free(msg);
}

static void test_malformed(void)
{
	struct nl_msg *msg = new_msg(VMMERGE_CMD_GET_VM);
	struct nlattr *n = nla_nest_start(msg, VMMERGE_A_VM);
	struct vmm_vm vm;
	struct vmm_host h;

	/* No id. */
	nla_put_string(msg, VMMERGE_A_VM_NAME, "x");
	nla_nest_end(msg, n);
	CHECK(vmm_parse_vm(nlmsg_hdr(msg), &vm) == -EINVAL);
	CHECK(vmm_parse_host(nlmsg_hdr(msg), &h) == -EINVAL);
	nlmsg_free(msg);

	/* An id of the wrong size. */
	msg = new_msg(VMMERGE_CMD_GET_VM);
	n = nla_nest_start(msg, VMMERGE_A_VM);
	nla_put_u16(msg, VMMERGE_A_VM_ID, 3);
	nla_nest_end(msg, n);
	CHECK(vmm_parse_vm(nlmsg_hdr(msg), &vm) == -EINVAL);
	nlmsg_free(msg);

	/* No genl header at all. */
	msg = nlmsg_alloc();
	nlmsg_put(msg, 0, 0, FAMILY, 0, 0);
	CHECK(vmm_parse_vm(nlmsg_hdr(msg), &vm) == -EINVAL);
	nlmsg_free(msg);
}

static void test_events(void)
{
	struct nl_msg *msg = vm_msg(VMMERGE_CMD_VM_EXITED, 0);
	struct vmm_event ev;

	CHECK(vmm_parse_event(nlmsg_hdr(msg), &ev) == 0);
	CHECK(ev.cmd == VMMERGE_CMD_VM_EXITED && ev.vm.pid == 42);
	CHECK(!strcmp(vmm_cmd_name(ev.cmd), "vm-exited"));
	nlmsg_free(msg);
	/* A reply is not an event. */
	msg = vm_msg(VMMERGE_CMD_GET_VM, 0);
	CHECK(vmm_parse_event(nlmsg_hdr(msg), &ev) == -EINVAL);
	nlmsg_free(msg);
}

/* An NLMSG_ERROR as the kernel sends it with NETLINK_CAP_ACK on. */
static struct nl_msg *error_msg(int error, const char *text, bool capped)
{
	struct nl_msg *msg = nlmsg_alloc();
	struct nlmsghdr *nlh = nlmsg_put(msg, 0, 1, NLMSG_ERROR, 0,
					 (capped ? NLM_F_CAPPED : 0) |
					 (text ? NLM_F_ACK_TLVS : 0));
	struct nlmsgerr *e;
	struct nl_msg *req = vm_msg(VMMERGE_CMD_ADD_VM, 1);
	size_t reqlen = nlmsg_hdr(req)->nlmsg_len;

	e = nlmsg_reserve(msg, sizeof(*e) + (capped ? 0 : reqlen -
					      NLMSG_HDRLEN), 4);
	e->error = error;
	memcpy(&e->msg, nlmsg_hdr(req), capped ? sizeof(e->msg) : reqlen);
	if (text)
		nla_put_string(msg, NLMSGERR_ATTR_MSG, text);
	nla_put_u32(msg, NLMSGERR_ATTR_OFFS, 20);
	(void)nlh;
	nlmsg_free(req);
	return msg;
}

static void test_extack(void)
{
	char buf[128];
	struct nl_msg *msg = error_msg(-ESRCH, "process has exited", true);

	vmm_parse_extack(nlmsg_hdr(msg), buf, sizeof(buf));
	CHECK(!strcmp(buf, "process has exited"));
	nlmsg_free(msg);

	msg = error_msg(-EINVAL, "region is not page aligned", false);
	vmm_parse_extack(nlmsg_hdr(msg), buf, sizeof(buf));
	CHECK(!strcmp(buf, "region is not page aligned"));
	nlmsg_free(msg);

	msg = error_msg(-EINVAL, NULL, true);
	vmm_parse_extack(nlmsg_hdr(msg), buf, sizeof(buf));
	CHECK(buf[0] == '\0');
	nlmsg_free(msg);
}

static void put_estimate(struct nl_msg *msg, int type, uint64_t base)
{
	struct nlattr *e = nla_nest_start(msg, type);

	nla_put_u64(msg, VMMERGE_A_ESTIMATE_SAMPLES, base + 1);
	nla_put_u64(msg, VMMERGE_A_ESTIMATE_PRESENT, base + 2);
	nla_put_u64(msg, VMMERGE_A_ESTIMATE_ZERO, base + 3);
	nla_put_u64(msg, VMMERGE_A_ESTIMATE_DUP_VM, base + 4);
	nla_put_u64(msg, VMMERGE_A_ESTIMATE_DUP_GROUP, base + 5);
	nla_put_u64(msg, VMMERGE_A_ESTIMATE_DUP_DOMAIN, base + 6);
	nla_put_u32(msg, VMMERGE_A_ESTIMATE_YIELD_PERMILLE, 412);
	nla_put_u64(msg, VMMERGE_A_ESTIMATE_PAGES, base + 8);
	nla_nest_end(msg, e);
}

static void test_estimates(void)
{
	struct nl_msg *msg = new_msg(VMMERGE_CMD_GET_GROUP);
	struct nlattr *n = nla_nest_start(msg, VMMERGE_A_GROUP);
	struct vmm_group g;
	struct vmm_vm vm;

	nla_put_string(msg, VMMERGE_A_GROUP_NAME, "node20");
	put_estimate(msg, VMMERGE_A_GROUP_ESTIMATE, 20);
	nla_nest_end(msg, n);
	CHECK(vmm_parse_group(nlmsg_hdr(msg), &g) == 0);
	CHECK(g.est.samples == 21 && g.est.present == 22 && g.est.zero == 23);
	CHECK(g.est.dup_vm == 24 && g.est.dup_group == 25);
	CHECK(g.est.dup_domain == 26 && g.est.yield_permille == 412);
	CHECK(g.est.pages == 28);
	nlmsg_free(msg);

	msg = new_msg(VMMERGE_CMD_GET_VM);
	n = nla_nest_start(msg, VMMERGE_A_VM);
	nla_put_u64(msg, VMMERGE_A_VM_ID, 9);
	put_estimate(msg, VMMERGE_A_VM_ESTIMATE, 0);
	nla_nest_end(msg, n);
	CHECK(vmm_parse_vm(nlmsg_hdr(msg), &vm) == 0);
	CHECK(vm.est.samples == 1 && vm.est.pages == 8);
	nlmsg_free(msg);

	/* A malformed estimate (u32 where a u64 belongs) is refused. */
	msg = new_msg(VMMERGE_CMD_GET_VM);
	n = nla_nest_start(msg, VMMERGE_A_VM);
	nla_put_u64(msg, VMMERGE_A_VM_ID, 9);
	{
		struct nlattr *e = nla_nest_start(msg, VMMERGE_A_VM_ESTIMATE);

		nla_put_u32(msg, VMMERGE_A_ESTIMATE_SAMPLES, 1);
		nla_nest_end(msg, e);
	}
	nla_nest_end(msg, n);
	CHECK(vmm_parse_vm(nlmsg_hdr(msg), &vm) == -EINVAL);
	nlmsg_free(msg);
}

static void put_scope(struct nl_msg *msg, int i, uint32_t node,
		      uint32_t permille, uint8_t allowed)
{
	struct nlattr *s = nla_nest_start(msg, i);

	nla_put_u32(msg, VMMERGE_A_SCOPE_NODE, node);
	nla_put_u32(msg, VMMERGE_A_SCOPE_MATCHED, permille / 2);
	nla_put_u32(msg, VMMERGE_A_SCOPE_PERMILLE, permille);
	nla_put_u64(msg, VMMERGE_A_SCOPE_PAGES, permille * 10);
	nla_put_u8(msg, VMMERGE_A_SCOPE_ALLOWED, allowed);
	nla_put_string(msg, VMMERGE_A_SCOPE_REASON, allowed ? "" : "held");
	nla_nest_end(msg, s);
}

static void test_hint_sketch(void)
{
	static const uint64_t fp[3] = { 16, 17, 99 };
	struct nl_msg *msg = new_msg(VMMERGE_CMD_GET_HINT);
	struct nlattr *n = nla_nest_start(msg, VMMERGE_A_HINT), *sc;
	struct vmm_sketch sk;
	struct vmm_hint h;

	nla_put_string(msg, VMMERGE_A_HINT_GROUP, "python3.11");
	nla_put_string(msg, VMMERGE_A_HINT_DOMAIN, "tenant-a");
	sc = nla_nest_start(msg, VMMERGE_A_HINT_SCOPES);
	put_scope(msg, 0, 1, 900, 1);
	put_scope(msg, 1, VMMERGE_HINT_HOST, 500, 0);
	nla_nest_end(msg, sc);
	nla_nest_end(msg, n);
	CHECK(vmm_parse_hint(nlmsg_hdr(msg), &h) == 0);
	CHECK(!strcmp(h.group, "python3.11") && !strcmp(h.domain, "tenant-a"));
	CHECK(h.nr_scopes == 2 && h.scopes[0].node == 1);
	CHECK(h.scopes[0].permille == 900 && h.scopes[0].pages == 9000);
	CHECK(h.scopes[0].allowed == 1 && h.scopes[1].allowed == 0);
	CHECK(h.scopes[1].node == VMMERGE_HINT_HOST);
	CHECK(!strcmp(h.scopes[1].reason, "held"));
	/* No sketch in a hint reply: not a sketch. */
	CHECK(vmm_parse_sketch(nlmsg_hdr(msg), &sk) == -EINVAL);
	nlmsg_free(msg);

	msg = new_msg(VMMERGE_CMD_GET_SKETCH);
	n = nla_nest_start(msg, VMMERGE_A_HINT);
	nla_put_string(msg, VMMERGE_A_HINT_GROUP, "python3.11");
	nla_put(msg, VMMERGE_A_HINT_SKETCH, sizeof(fp), fp);
	nla_put_u64(msg, VMMERGE_A_HINT_PAGES, 1000);
	nla_nest_end(msg, n);
	CHECK(vmm_parse_sketch(nlmsg_hdr(msg), &sk) == 0);
	CHECK(sk.nr == 3 && sk.fp[2] == 99 && sk.pages == 1000);
	free(sk.fp);
	/* A hint reply needs its scopes. */
	CHECK(vmm_parse_hint(nlmsg_hdr(msg), &h) == -EINVAL);
	nlmsg_free(msg);

	/* A sketch whose size is not a multiple of 8 is refused. */
	msg = new_msg(VMMERGE_CMD_GET_SKETCH);
	n = nla_nest_start(msg, VMMERGE_A_HINT);
	nla_put(msg, VMMERGE_A_HINT_SKETCH, 7, fp);
	nla_nest_end(msg, n);
	CHECK(vmm_parse_sketch(nlmsg_hdr(msg), &sk) == -EINVAL);
	nlmsg_free(msg);
}

static const struct unit_test tests[] = {
	{ "estimates", test_estimates },
	{ "hint and sketch", test_hint_sketch },
	{ "host reply", test_host },
	{ "domain and group replies", test_domain_group },
	{ "vm reply with regions", test_vm },
	{ "malformed replies", test_malformed },
	{ "events", test_events },
	{ "extack message", test_extack },
};

int main(void)
{
	return RUN_TESTS("agent_parse_test", tests);
}
