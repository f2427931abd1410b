// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The vmmerge developers.
 *
 * Unit tests of the BPF source's bookkeeping: agent/daemon/slots.c
 * (memslots per VMM) and maps_cover() in agent/lib/maps.c (memslot ranges
 * widened to whole private anonymous mappings).
 */
#include <errno.h>
#include <string.h>

#include "agent_check.h"
#include "maps.h"
#include "slots.h"

#define MIB (1ULL << 20)
#define RAM 0x7f3a40000000ULL	/* a 256 MiB RAM block, as QEMU maps it */

static struct memslot_event ev(pid_t pid, uint32_t slot, uint64_t uaddr,
			       uint64_t size)
{
	return (struct memslot_event){ .tgid = pid, .slot = slot,
				       .userspace_addr = uaddr,
				       .memory_size = size };
}

/*
 * QEMU microvm -m 256: low RAM split around the BIOS window
 * (0xf0000-0x100000), both halves again in the SMM address space (1).
 */
static void add_microvm(struct slot_table *t, pid_t pid)
{
	struct memslot_event e[] = {
		ev(pid, 0, RAM, 0xf0000),
		ev(pid, 1, RAM + 0x100000, 256 * MIB - 0x100000),
		ev(pid, 1 << 16 | 0, RAM, 0xf0000),
		ev(pid, 1 << 16 | 1, RAM + 0x100000, 256 * MIB - 0x100000),
	};
	unsigned int i;

	for (i = 0; i < 4; i++)
		CHECK(slots_update(t, &e[i], 100 + i) != NULL);
}

static void test_table(void)
{
	struct slot_table t = { 0 };
	struct memslot_event del = ev(42, 1, 0, 0);
	struct vm_slots *v;

	add_microvm(&t, 42);
	add_microvm(&t, 43);
	CHECK(t.nr == 2);
	v = slots_find(&t, 42);
	CHECK(v && v->nr == 4 && v->changed_ms == 103);
	/* Same slot again (new flags, say): replaced, not added. */
	CHECK(slots_update(&t, &(struct memslot_event){ .tgid = 42, .slot = 0,
			   .flags = 1, .userspace_addr = RAM,
			   .memory_size = 0xf0000 }, 200) == v);
	CHECK(v->nr == 4 && v->changed_ms == 200);
	CHECK(slots_update(&t, &del, 300) == v && v->nr == 3);
	/* Deleting what is not there changes nothing. */
	CHECK(slots_update(&t, &del, 400) == NULL && v->changed_ms == 300);
	del.tgid = 99;
	CHECK(slots_update(&t, &del, 400) == NULL && !slots_find(&t, 99));
	slots_drop(&t, 42);
	CHECK(t.nr == 1 && !slots_find(&t, 42) && slots_find(&t, 43));
	slots_drop(&t, 43);
	CHECK(t.nr == 0);
	slots_free(&t);
}

static void test_full(void)
{
	struct slot_table t = { 0 };
	struct memslot_event e;
	unsigned int i;

	for (i = 0; i < SLOTS_MAX; i++) {
		e = ev(7, i, RAM + i * MIB, MIB);
		CHECK(slots_update(&t, &e, 1) != NULL);
	}
	e = ev(7, SLOTS_MAX, RAM + SLOTS_MAX * MIB, MIB);
	CHECK(slots_update(&t, &e, 1) == NULL);
	CHECK(slots_find(&t, 7)->nr == SLOTS_MAX);
	slots_free(&t);
}

static void test_ranges(void)
{
	struct slot_table t = { 0 };
	struct vmm_region r[4];
	struct memslot_event hi = ev(42, 2, RAM + 512 * MIB, 64 * MIB);

	add_microvm(&t, 42);
	/* The two halves stay apart (a 64 KiB gap), SMM copies fold in. */
	CHECK(slots_ranges(slots_find(&t, 42), r, 4) == 2);
	CHECK(r[0].start == RAM && r[0].length == 0xf0000);
	CHECK(r[1].start == RAM + 0x100000 &&
	      r[1].length == 256 * MIB - 0x100000);
	slots_update(&t, &hi, 1);
	CHECK(slots_ranges(slots_find(&t, 42), r, 4) == 3);
	CHECK(r[2].start == RAM + 512 * MIB);
	CHECK(slots_ranges(slots_find(&t, 42), r, 1) == 1);
	slots_free(&t);
}

static const char qemu_maps[] =
"55d0c0a00000-55d0c0b6a000 r--p 00000000 08:01 1311 /usr/bin/qemu-system-x86_64\n"
"7f3a3ff00000-7f3a40000000 rw-s 00000000 00:01 2052 /memfd:shared (deleted)\n"
"7f3a40000000-7f3a50000000 rw-p 00000000 00:00 0\n"
"7f3a50000000-7f3a50001000 ---p 00000000 00:00 0\n"
"7f3a60000000-7f3a62000000 rw-p 00000000 00:00 0\n"
"7f3a62000000-7f3a64000000 rw-p 00000000 00:00 0\n"
"7f3a64000000-7f3a64001000 rw-s 00000000 00:01 9 /dev/zero (deleted)\n";

static void test_cover(void)
{
	struct vmm_region in[] = {
		{ RAM, 0xf0000 },			/* low RAM */
		{ RAM + 0x100000, 256 * MIB - 0x100000 },
		{ 0x7f3a61000000ULL, 32 * MIB },	/* crosses two VMAs */
		{ 0x7f3a64000000ULL, 0x1000 },		/* shared: dropped */
		{ 0x7f3a3ff00000ULL, MIB },		/* memfd: dropped */
		{ 0x7f3a50000000ULL, 0x2000 },		/* runs past ---p */
	}, out[4];
	unsigned int dropped;

	CHECK(maps_cover(qemu_maps, in, 6, out, 4, &dropped) == 2);
	CHECK(dropped == 3);
	/* One region per RAM block: the whole mapping, as the module wants. */
	CHECK(out[0].start == RAM && out[0].length == 256 * MIB);
	CHECK(out[1].start == 0x7f3a60000000ULL && out[1].length == 64 * MIB);
	CHECK(maps_cover(qemu_maps, in, 3, out, 1, &dropped) == -E2BIG);
	CHECK(maps_cover(qemu_maps, in + 3, 3, out, 4, &dropped) == 0);
	CHECK(dropped == 3);
	CHECK(maps_cover("nonsense\n", in, 1, out, 4, &dropped) == -EINVAL);
}

static const struct unit_test tests[] = {
	{ "memslots per VMM", test_table },
	{ "slot table full", test_full },
	{ "slot ranges merged", test_ranges },
	{ "ranges widened to mappings", test_cover },
};

int main(void)
{
	return RUN_TESTS("slots_test", tests);
}
