// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The vmmerge developers.
 *
 * Unit tests of agent/cli/json.c: a VM's id comes out as a JSON string of
 * its decimal digits, exact for ids past 2^53 (where a JSON number is
 * rounded by jq and JavaScript) and past 2^63 (where json-c's int64 would
 * turn negative), while counts stay JSON numbers.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "agent_check.h"
#include "ctl.h"

/* The id of @id's JSON as text, "" when it is not a string. */
static const char *id_string(uint64_t id, char *buf, size_t len)
{
	struct vmm_vm vm = { .id = id, .pid = 4242, .name = "vm0" };
	struct json_object *o = json_vm(&vm), *j = NULL;

	buf[0] = '\0';
	if (json_object_object_get_ex(o, "id", &j) &&
	    json_object_is_type(j, json_type_string))
		snprintf(buf, len, "%s", json_object_get_string(j));
	json_object_put(o);
	return buf;
}

static void test_id_is_string(void)
{
	char buf[32];

	CHECK(!strcmp(id_string(7, buf, sizeof(buf)), "7"));
	/* 2^53 + 1: the first integer a double cannot hold. */
	CHECK(!strcmp(id_string(9007199254740993ULL, buf, sizeof(buf)),
		      "9007199254740993"));
	/* An id as proc_vm_id() builds it: start time << 22 | pid. */
	CHECK(!strcmp(id_string((2147483647ULL << 22) | 4194303,
				buf, sizeof(buf)), "9007199254740991"));
	CHECK(!strcmp(id_string(UINT64_MAX, buf, sizeof(buf)),
		      "18446744073709551615"));
}

/* What a reader sees: "id": "..." quoted, "pid": a bare number. */
static void test_text(void)
{
	struct vmm_vm vm = { .id = 9007199254740993ULL, .pid = 4242 };
	struct json_object *o = json_vm(&vm);
	const char *t = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);

	CHECK(strstr(t, "\"id\":\"9007199254740993\"") != NULL);
	CHECK(strstr(t, "\"pid\":4242") != NULL);
	CHECK(strstr(t, "\"resident_pages\":0") != NULL);
	json_object_put(o);
}

/* The string parses back to the same 64-bit id. */
static void test_round_trip(void)
{
	uint64_t id = 0xfedcba9876543210ULL, back = 0;
	char buf[32];

	CHECK(sscanf(id_string(id, buf, sizeof(buf)), "%" SCNu64, &back) == 1);
	CHECK(back == id);
}

static const struct unit_test tests[] = {
	{ "id-is-string", test_id_is_string },
	{ "id-quoted-counts-bare", test_text },
	{ "id-round-trip", test_round_trip },
};

int main(void)
{
	return RUN_TESTS("cli_json_test", tests);
}
