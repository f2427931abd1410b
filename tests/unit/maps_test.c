// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The vmmerge developers.
 *
 * Unit tests of agent/lib/maps.c: picking guest RAM out of /proc/PID/maps text.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent_check.h"
#include "maps.h"

/* A QEMU microVM with -m 256: guest RAM is the 256 MiB anonymous mapping. */
static const char qemu_maps[] =
"55d0c0a00000-55d0c0b6a000 r--p 00000000 08:01 1311 /usr/bin/qemu-system-x86_64\n"
"55d0c1e2b000-55d0c2a4e000 rw-p 00000000 00:00 0                          [heap]\n"
"7f3a40000000-7f3a50000000 rw-p 00000000 00:00 0 \n"
"7f3a50000000-7f3a50001000 ---p 00000000 00:00 0\n"
"7f3a58000000-7f3a58021000 rw-p 00000000 00:00 0\n"
"7f3a5c000000-7f3a5e000000 rw-s 00000000 00:01 2052                       /memfd:ram (deleted)\n"
"7f3a60000000-7f3a60800000 rw-p 00000000 00:00 0\n"
"7ffd1c2f1000-7ffd1c312000 rw-p 00000000 00:00 0                          [stack]\n";

static void test_largest(void)
{
	struct vmm_region r;

	CHECK(maps_pick_ram(qemu_maps, 0, &r) == 0);
	CHECK(r.start == 0x7f3a40000000ULL);
	CHECK(r.length == 256ULL << 20);
}

static void test_exact_size(void)
{
	struct vmm_region r;

	CHECK(maps_pick_ram(qemu_maps, 8ULL << 20, &r) == 0);
	CHECK(r.start == 0x7f3a60000000ULL && r.length == 8ULL << 20);
	/* The 32 MiB memfd mapping is shared and named: never guest RAM here. */
	CHECK(maps_pick_ram(qemu_maps, 32ULL << 20, &r) == -ENOENT);
	CHECK(maps_pick_ram(qemu_maps, 512ULL << 20, &r) == -ENOENT);
}

static void test_none(void)
{
	static const char only_named[] =
	"00400000-00452000 r-xp 00000000 08:02 173521 /usr/bin/firecracker\n"
	"7ffd1c2f1000-7ffd1c312000 rw-p 00000000 00:00 0 [stack]\n"
	"7f0000000000-7f0000100000 r--p 00000000 00:00 0\n";
	struct vmm_region r;

	CHECK(maps_pick_ram(only_named, 0, &r) == -ENOENT);
	CHECK(maps_pick_ram("", 0, &r) == -ENOENT);
}

static void test_malformed(void)
{
	struct vmm_region r;

	CHECK(maps_pick_ram("garbage line\n", 0, &r) == -EINVAL);
	CHECK(maps_pick_ram("7f00-7e00 rw-p 00000000 00:00 0\n", 0, &r) ==
	      -EINVAL);
	CHECK(maps_pick_ram("7f00-7f10 rw-p\n", 0, &r) == -EINVAL);
	/* No trailing newline is fine; blank lines are skipped. */
	CHECK(maps_pick_ram("\n1000-3000 rw-p 00000000 00:00 0", 0, &r) == 0);
	CHECK(r.start == 0x1000 && r.length == 0x2000);
}

static void test_self(void)
{
	struct vmm_region r;
	uint64_t id;
	char comm[32];

	CHECK(maps_pick_pid(getpid(), 0, &r) == 0);
	CHECK(r.length > 0);
	CHECK(proc_vm_id(getpid(), &id) == 0 && id != 0);
	CHECK((id & 0x3fffff) == (uint64_t)getpid());
	CHECK(proc_comm(getpid(), comm, sizeof(comm)) == 0 &&
	      !strcmp(comm, "maps_test"));
	CHECK(maps_pick_pid(0x7ffffff, 0, &r) == -ENOENT);
}

static const struct unit_test tests[] = {
	{ "largest anonymous mapping", test_largest },
	{ "mapping of an exact size", test_exact_size },
	{ "no candidate", test_none },
	{ "malformed maps", test_malformed },
	{ "this process", test_self },
};

int main(void)
{
	return RUN_TESTS("maps_test", tests);
}
