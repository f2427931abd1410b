// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The vmmerge developers.
 *
 * Unit tests of tests/tools/nlspec.c (token grammar and attribute builder),
 * nlschema.c (names and commands) and nlprint.c (reply printer).  Messages
 * are built in memory and inspected byte by byte; nothing is sent.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/genetlink.h>
#include <linux/vmmerge.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <netlink/genl/genl.h>

#include "nlspec.h"

#define FAMILY 0x1c
#define ATTR_OFFS (NLMSG_HDRLEN + GENL_HDRLEN)

static int checks_failed;

#define CHECK(cond) do {						\
	if (!(cond)) {							\
		printf("    %s:%d: check failed: %s\n",		\
			__FILE__, __LINE__, #cond);			\
		checks_failed++;					\
	}								\
} while (0)

/* A message built from one string of blank-separated tokens. */
struct built {
	struct nl_msg *msg;
	int err;
	int ntok;
	unsigned int offs[64];
	struct nls_build_info info;
};

static void build_sized(struct built *b, const char *tokens, size_t size)
{
	char *copy = strdup(tokens);
	char *tok[64], *save = NULL, *w;

	memset(b, 0, sizeof(*b));
	b->info.offs = b->offs;
	for (w = strtok_r(copy, " ", &save); w && b->ntok < 64;
	     w = strtok_r(NULL, " ", &save))
		tok[b->ntok++] = w;
	b->msg = nlmsg_alloc_size(size);
	genlmsg_put(b->msg, NL_AUTO_PORT, NL_AUTO_SEQ, FAMILY, 0, 0,
		    VMMERGE_CMD_GET_VM, 1);
	b->err = nls_build(b->msg, &nls_vmmerge, b->ntok, tok, &b->info);
	free(copy);
}

static void build(struct built *b, const char *tokens)
{
	build_sized(b, tokens, 16384);
}

static void done(struct built *b)
{
	nlmsg_free(b->msg);
}

/* The first attribute after the genetlink header. */
static struct nlattr *first(struct built *b)
{
	return genlmsg_attrdata(nlmsg_data(nlmsg_hdr(b->msg)), 0);
}

static int attrlen(struct built *b)
{
	return genlmsg_attrlen(nlmsg_data(nlmsg_hdr(b->msg)), 0);
}

/* The @n-th attribute (from 0) inside nest @nest, or NULL. */
static struct nlattr *child(struct nlattr *nest, int n)
{
	struct nlattr *nla;
	int rem;

	nla_for_each_nested(nla, nest, rem)
		if (!n--)
			return nla;
	return NULL;
}

static int count_children(struct nlattr *nest)
{
	struct nlattr *nla;
	int rem, n = 0;

	nla_for_each_nested(nla, nest, rem)
		n++;
	return rem == 0 ? n : -1;
}

static bool rejected(const char *tokens, const char *needle)
{
	struct built b;
	bool ok;

	build(&b, tokens);
	ok = b.err == -EINVAL && strstr(b.info.err, needle);
	if (!ok)
		printf("    '%s': err %d, message '%s', wanted '%s'\n",
			tokens, b.err, b.info.err, needle);
	done(&b);
	return ok;
}

static void test_nested_vm(void)
{
	struct nlattr *vm, *regions, *r0, *r1, *a;
	struct built b;

	build(&b, "vm{ id=7 name=vm0 pid=123 group=py regions{ region{ "
		  "start=0x7f0000000000 length=0x10000000 } region{ "
		  "start=4096 length=0x2000 } } }");
	CHECK(b.err == 0);
	vm = first(&b);
	CHECK(vm->nla_type == (VMMERGE_A_VM | NLA_F_NESTED));
	CHECK(NLA_ALIGN(vm->nla_len) == attrlen(&b));
	CHECK(count_children(vm) == 5);
	a = child(vm, 0);
	CHECK(a->nla_type == VMMERGE_A_VM_ID && nla_len(a) == 8);
	CHECK(nla_get_u64(a) == 7);
	a = child(vm, 1);
	CHECK(a->nla_type == VMMERGE_A_VM_NAME && nla_len(a) == 4);
	CHECK(!memcmp(nla_data(a), "vm0", 4));
	a = child(vm, 2);
	CHECK(a->nla_type == VMMERGE_A_VM_PID && nla_get_u32(a) == 123);
	a = child(vm, 3);
	CHECK(a->nla_type == VMMERGE_A_VM_GROUP && !strcmp(nla_data(a), "py"));
	regions = child(vm, 4);
	CHECK(regions->nla_type == (VMMERGE_A_VM_REGIONS | NLA_F_NESTED));
	CHECK(count_children(regions) == 2);
	r0 = child(regions, 0);
	r1 = child(regions, 1);
	CHECK(r0->nla_type == (0 | NLA_F_NESTED));
	CHECK(r1->nla_type == (1 | NLA_F_NESTED));
	CHECK(nla_get_u64(child(r0, 0)) == 0x7f0000000000ULL);
	CHECK(child(r0, 0)->nla_type == VMMERGE_A_REGION_START);
	CHECK(nla_get_u64(child(r0, 1)) == 0x10000000);
	CHECK(child(r1, 1)->nla_type == VMMERGE_A_REGION_LENGTH);
	CHECK(nla_get_u64(child(r1, 0)) == 4096);
	done(&b);
}

static void test_empty_and_top_level(void)
{
	struct built b;

	build(&b, "domain{ name=a flags=1 } host{ }");
	CHECK(b.err == 0);
	CHECK(first(&b)->nla_type == (VMMERGE_A_DOMAIN | NLA_F_NESTED));
	CHECK(count_children(first(&b)) == 2);
	CHECK(nla_get_u32(child(first(&b), 1)) == 1);
	CHECK(nla_next(first(&b), &(int){ 1000 })->nla_type ==
	      (VMMERGE_A_HOST | NLA_F_NESTED));
	CHECK(nla_next(first(&b), &(int){ 1000 })->nla_len == NLA_HDRLEN);
	done(&b);

	build(&b, "");
	CHECK(b.err == 0 && attrlen(&b) == 0);
	done(&b);
}

static void check_number(const char *tokens, int len, uint64_t want)
{
	struct built b;
	struct nlattr *a;
	uint64_t v = 0;

	build(&b, tokens);
	CHECK(b.err == 0);
	a = first(&b);
	CHECK(nla_len(a) == len);
	memcpy(&v, nla_data(a), len);
	if (v != want)
		printf("    '%s': got %llu\n", tokens,
			(unsigned long long)v);
	CHECK(v == want);
	done(&b);
}

static void test_numbers(void)
{
	uint64_t v;

	check_number("@1:u8=255", 1, 255);
	check_number("@1:u8=0x0", 1, 0);
	check_number("@1:u16=0xBEEF", 2, 0xbeef);
	check_number("@1:u32=4294967295", 4, 0xffffffff);
	check_number("@1:u64=0xffffffffffffffff", 8, UINT64_MAX);
	check_number("@1:u64=010", 8, 10);	/* decimal, never octal */
	CHECK(nls_parse_u64("18446744073709551616", UINT64_MAX, &v) ==
	      -ERANGE);
	CHECK(nls_parse_u64("-1", UINT64_MAX, &v) == -EINVAL);
	CHECK(nls_parse_u64("+1", UINT64_MAX, &v) == -EINVAL);
	CHECK(nls_parse_u64(" 1", UINT64_MAX, &v) == -EINVAL);
	CHECK(nls_parse_u64("", UINT64_MAX, &v) == -EINVAL);
	CHECK(nls_parse_u64("0x", UINT64_MAX, &v) == -EINVAL);
	CHECK(nls_parse_u64("12a", UINT64_MAX, &v) == -EINVAL);
	CHECK(nls_parse_u64("0x1g", UINT64_MAX, &v) == -EINVAL);
	CHECK(rejected("@1:u8=256", "does not fit in u8"));
	CHECK(rejected("@1:u16=0x10000", "does not fit in u16"));
	CHECK(rejected("vm{ pid=4294967296 }", "does not fit in u32"));
	CHECK(rejected("vm{ id=abc }", "bad number 'abc'"));
	CHECK(rejected("vm{ id=-1 }", "bad number"));
	CHECK(rejected("vm{ id= }", "bad number"));
}

static void check_raw(const char *tokens, unsigned int type, int len,
		      const void *payload)
{
	struct built b;
	struct nlattr *a;

	build(&b, tokens);
	CHECK(b.err == 0);
	a = first(&b);
	if (a->nla_type != type || nla_len(a) != len)
		printf("    '%s': type 0x%x len %d\n", tokens,
			a->nla_type, nla_len(a));
	CHECK(a->nla_type == type && nla_len(a) == len);
	CHECK(!len || !memcmp(nla_data(a), payload, len));
	done(&b);
}

static void test_raw(void)
{
	const uint16_t u16 = 0x1234;
	const uint32_t one = 1;

	check_raw("@99:u16=0x1234", 99, 2, &u16);
	check_raw("@5:str=ab", 5, 3, "ab");
	check_raw("@5:strn=ab", 5, 2, "ab");
	check_raw("@5:str=", 5, 1, "");
	check_raw("@5:str=a=b{", 5, 5, "a=b{");
	check_raw("@6:bin=00ff10", 6, 3, "\x00\xff\x10");
	check_raw("@6:bin=0xAB", 6, 1, "\xab");
	check_raw("@6:bin=", 6, 0, NULL);
	check_raw("@7:flag", 7, 0, NULL);
	check_raw("@0x8001:u32=1", 0x8001, 4, &one);
	check_raw("@65535:flag", 0xffff, 0, NULL);
	check_raw("@3{ @1:u8=1 }", 3 | NLA_F_NESTED, 8,
		  "\x05\x00\x01\x00\x01\x00\x00\x00");
	check_raw("@3:nonest{ }", 3, 0, NULL);
	check_raw("vm:nonest{ }", VMMERGE_A_VM, 0, NULL);
	check_raw("vm:nest{ }", VMMERGE_A_VM | NLA_F_NESTED, 0, NULL);
	check_raw("vm:u32=1", VMMERGE_A_VM, 4, &one);
	check_raw("@0{ }", NLA_F_NESTED, 0, NULL);
}

static void test_type_overrides(void)
{
	struct nlattr *vm, *a;
	struct built b;

	build(&b, "vm{ id:u32=7 name:strn=x pid:str=1 id:nest{ @1:u8=1 } "
		  "group:flag regions:nonest{ region:nonest{ } region{ } } }");
	CHECK(b.err == 0);
	vm = first(&b);
	CHECK(count_children(vm) == 6);
	a = child(vm, 0);
	CHECK(a->nla_type == VMMERGE_A_VM_ID && nla_len(a) == 4);
	a = child(vm, 1);
	CHECK(a->nla_type == VMMERGE_A_VM_NAME && nla_len(a) == 1);
	a = child(vm, 2);
	CHECK(a->nla_type == VMMERGE_A_VM_PID && nla_len(a) == 2);
	a = child(vm, 3);
	CHECK(a->nla_type == (VMMERGE_A_VM_ID | NLA_F_NESTED));
	CHECK(nla_len(a) == 8);
	a = child(vm, 4);
	CHECK(a->nla_type == VMMERGE_A_VM_GROUP && nla_len(a) == 0);
	a = child(vm, 5);
	CHECK(a->nla_type == VMMERGE_A_VM_REGIONS);
	CHECK(child(a, 0)->nla_type == 0);
	CHECK(child(a, 1)->nla_type == (1 | NLA_F_NESTED));
	done(&b);
}

static void test_offsets(void)
{
	struct built b;

	build(&b, "vm{ id=7 name=x } @9:u8=1");
	CHECK(b.err == 0);
	CHECK(b.offs[0] == ATTR_OFFS);
	CHECK(b.offs[1] == ATTR_OFFS + 4);
	CHECK(b.offs[2] == ATTR_OFFS + 4 + 12);
	CHECK(b.offs[3] == NLS_OFFS_NONE);
	CHECK(b.offs[4] == ATTR_OFFS + 4 + 12 + 8);
	done(&b);
}

static void test_malformed(void)
{
	CHECK(rejected("vm{ id=1", "token 1 'vm{': nest not closed"));
	CHECK(rejected("vm{ regions{ region{ start=1 } }",
		       "token 1 'vm{': nest not closed"));
	CHECK(rejected("}", "token 1 '}': '}' without an open nest"));
	CHECK(rejected("vm{ } }", "token 3 '}': '}' without an open nest"));
	CHECK(rejected("vm{ }}}", "without an open nest"));
	CHECK(rejected("vmm{ }", "unknown attribute 'vmm' in vmmerge"));
	CHECK(rejected("vm{ bogus=1 }", "unknown attribute 'bogus' in vm"));
	CHECK(rejected("vm{ stats{ rss=1 } }", "unknown attribute 'rss' in stats"));
	CHECK(rejected("vm=1", "'vm' is a nest"));
	CHECK(rejected("vm{ id{ } }", "'id' is not a nest"));
	CHECK(rejected("vm{ regions{ id=1 } }", "only 'region{' entries"));
	CHECK(rejected("vm{ regions{ start=1 } }", "only 'region{' entries"));
	CHECK(rejected("@5{ name=x }", "inside a raw nest"));
	CHECK(rejected("@5=1", "raw attribute needs a type"));
	CHECK(rejected("@x:u8=1", "bad raw attribute id"));
	CHECK(rejected("@65536:u8=1", "bad raw attribute id"));
	CHECK(rejected("@:u8=1", "bad raw attribute id"));
	CHECK(rejected("vm{ id:u128=1 }", "unknown type 'u128'"));
	CHECK(rejected("vm:u32{ }", "only :nest or :nonest"));
	CHECK(rejected("@1:nest=1", "a nest opens with '{'"));
	CHECK(rejected("@1:nonest=1", "unknown type 'nonest'"));
	CHECK(rejected("vm{ @1:flag=1 }", "a flag takes no value"));
	CHECK(rejected("vm{ name }", "missing '=VALUE'"));
	CHECK(rejected("vm{ @1:u8 }", "missing '=VALUE'"));
	CHECK(rejected("=x", "missing attribute name"));
	CHECK(rejected("{", "missing attribute name"));
	CHECK(rejected("@1:bin=abc", "odd number of hex digits"));
	CHECK(rejected("@1:bin=zz", "bad hex digit 'z'"));
	CHECK(rejected("@1{ @1{ @1{ @1{ @1{ @1{ @1{ @1{ @1{ @1{ @1{ @1{ "
		       "@1{ @1{ @1{ @1{ @1{ }", "nested deeper than 16"));
}

static void test_too_large(void)
{
	struct built b;

	build_sized(&b, "vm{ name=0123456789012345678901234567890123456789 }",
		    64);
	CHECK(b.err == -EMSGSIZE);
	CHECK(strstr(b.info.err, "message too large"));
	done(&b);
}

static void test_commands(void)
{
	unsigned int cmd = 0;

	CHECK(nls_cmd_parse("get-vm", &cmd) == 0 && cmd == VMMERGE_CMD_GET_VM);
	CHECK(nls_cmd_parse("add-vm", &cmd) == 0 && cmd == VMMERGE_CMD_ADD_VM);
	CHECK(nls_cmd_parse("new-domain", &cmd) == 0 &&
	      cmd == VMMERGE_CMD_NEW_DOMAIN);
	CHECK(nls_cmd_parse("@0", &cmd) == 0 && cmd == 0);
	CHECK(nls_cmd_parse("@0xff", &cmd) == 0 && cmd == 255);
	CHECK(nls_cmd_parse("@256", &cmd) == -EINVAL);
	CHECK(nls_cmd_parse("get_vm", &cmd) == -ENOENT);
	CHECK(!strcmp(nls_cmd_name(VMMERGE_CMD_VM_EXITED), "vm-exited"));
	CHECK(!strcmp(nls_cmd_name(VMMERGE_CMD_GET_HOST), "get-host"));
	CHECK(nls_cmd_name(VMMERGE_CMD_UNSPEC) == NULL);
	CHECK(nls_cmd_name(__VMMERGE_CMD_MAX) == NULL);
}

static void check_print(const char *tokens, const char *want)
{
	struct built b;
	char *out = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&out, &size);

	build(&b, tokens);
	CHECK(b.err == 0);
	nls_print_msg(f, nlmsg_hdr(b.msg), &nls_vmmerge);
	fclose(f);
	if (strcmp(out, want))
		printf("    printed '%s'\n    wanted  '%s'\n", out,
			want);
	CHECK(!strcmp(out, want));
	free(out);
	done(&b);
}

static void test_print(void)
{
	check_print("vm{ id=7 name=vm0 regions{ region{ start=0x7f0000000000 "
		    "length=0x10000000 } } state=1 stats{ resident=1234 } "
		    "@77:u8=1 }",
		    "get-vm vm.id=7 vm.name=vm0 vm.regions.0.start=0x7f0000000000"
		    " vm.regions.0.length=0x10000000 vm.state=1"
		    " vm.stats.resident=1234 vm.@77=01\n");
	check_print("host{ version=0.1-g12 nr-vms=3 stats{ pad:flag zero=9 } }",
		    "get-vm host.version=0.1-g12 host.nr-vms=3"
		    " host.stats.zero=9\n");
	check_print("vm{ id:u32=7 name:strn=ab stats{ } } @9:bin=",
		    "get-vm vm.id:bin=07000000 vm.name=ab vm.stats={} @9=\n");
	check_print("domain:nonest{ flags=1 }", "get-vm domain.flags=1\n");
}

struct test {
	const char *name;
	void (*fn)(void);
};

static const struct test tests[] = {
	{ "nested vm with regions", test_nested_vm },
	{ "empty nests and top level", test_empty_and_top_level },
	{ "numbers", test_numbers },
	{ "raw escapes", test_raw },
	{ "type overrides", test_type_overrides },
	{ "token offsets", test_offsets },
	{ "malformed token lists", test_malformed },
	{ "message too large", test_too_large },
	{ "command names", test_commands },
	{ "reply printer", test_print },
};

int main(void)
{
	unsigned int i, passed = 0, failed = 0;

	for (i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
		int before = checks_failed;

		tests[i].fn();
		if (checks_failed == before) {
			printf("ok   %s\n", tests[i].name);
			passed++;
		} else {
			printf("FAIL %s\n", tests[i].name);
			failed++;
		}
	}
	printf("nlspec_test: %u passed, %u failed\n", passed, failed);
	return failed ? 1 : 0;
}
