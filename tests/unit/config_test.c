// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The vmmerge developers.
 *
 * Unit tests of agent/daemon/config.c and agent/daemon/rules.c: a good config, malformed
 * ones (each must name the right line), and rule matching.
 */
#include <errno.h>
#include <string.h>

#include "agent_check.h"
#include "rules.h"

static const char good[] =
"# vmmerged test config\n"
"[agent]\n"
"listen = 127.0.0.1:9999\n"
"vmm = qemu-system-*, firecracker\n"
"default_stack = misc\n"
"rescan_interval = 5\n"
"\n"
"[domain tenant-b]\n"
"isolated = yes\n"
"\n"
"[rule python]\n"
"cmdline = -append .*stack=python3\\.11\n"
"stack = python3.11\n"
"mem_mib = 256\n"
"\n"
"[rule tenant-b-node]\n"
"cgroup = ^/tenants/b/\n"
"exe = firecracker$\n"
"stack = node20\n"
"domain = tenant-b\n"
"\n"
"[rule by-env]\n"
"env = ^FAAS_STACK=java17$\n"
"stack = java17\n"
"\n"
"[ksm]\n"
"tune = yes\n"
"pages_to_scan_max = 8000\n"
"stop_when_idle = yes\n"
"idle_after = 5\n"
"merge_within = 45\n";

static void test_good(void)
{
	struct config c;
	char err[256];

	CHECK(config_parse_string(good, "t.conf", &c, err, sizeof(err)) == 0);
	CHECK(err[0] == '\0');
	CHECK(!strcmp(c.listen_host, "127.0.0.1") && c.listen_port == 9999);
	CHECK(c.nr_vmm == 2 && !strcmp(c.vmm[1], "firecracker"));
	CHECK(!strcmp(c.default_stack, "misc"));
	CHECK(!strcmp(c.default_domain, "default"));
	CHECK(c.rescan_interval == 5);
	CHECK(c.nr_domains == 1 && c.domains[0].isolated);
	CHECK(config_domain(&c, "tenant-b") && !config_domain(&c, "x"));
	CHECK(c.nr_rules == 3);
	CHECK(c.rules[0].mem_mib == 256 && c.rules[0].line == 12);
	CHECK(c.ksm.tune && c.ksm.pages_max == 8000 && c.ksm.pages_min == 100);
	CHECK(c.ksm.stop_when_idle && c.ksm.idle_after == 5);
	CHECK(c.ksm.merge_within == 45);
	CHECK(c.sources == CFG_SRC_ALL);
	config_free(&c);
}

static void test_defaults(void)
{
	struct config c;
	char err[256];

	CHECK(config_parse_string("", "empty", &c, err, sizeof(err)) == 0);
	CHECK(c.listen_port == 9873 && !strcmp(c.listen_host, "127.0.0.1"));
	CHECK(c.nr_vmm == 3 && c.nr_rules == 0);
	/* run is the operator's: never written unless allowed */
	CHECK(!c.ksm.tune && !c.ksm.stop_when_idle && c.ksm.idle_after == 60);
	CHECK(c.ksm.merge_within == 0);
	config_free(&c);
	CHECK(config_parse_string("[agent]\nlisten = [::1]:80\n", "v6", &c, err,
				  sizeof(err)) == 0);
	CHECK(!strcmp(c.listen_host, "::1") && c.listen_port == 80);
	config_free(&c);
}

/* @text must fail with exactly @want. */
static void bad(const char *text, const char *want)
{
	struct config c;
	char err[256];

	if (config_parse_string(text, "bad.conf", &c, err, sizeof(err)) == 0) {
		printf("    accepted: %s", text);
		checks_failed++;
		config_free(&c);
		return;
	}
	if (strcmp(err, want)) {
		printf("    got  '%s'\n    want '%s'\n", err, want);
		checks_failed++;
	}
}

static void test_malformed(void)
{
	bad("[agent]\nlisten = 127.0.0.1\n",
	    "bad.conf:2: listen: expected HOST:PORT, got '127.0.0.1'");
	bad("[agent]\nlisten = 1.2.3.4:70000\n",
	    "bad.conf:2: listen: expected HOST:PORT, got '1.2.3.4:70000'");
	bad("\n\n[agent]\nbogus = 1\n", "bad.conf:4: unknown key 'bogus' in [agent]");
	bad("[nope]\na = b\n", "bad.conf:2: unknown section [nope]");
	bad("a = b\n", "bad.conf:1: 'a' outside of any section");
	bad("[agent]\nthis line has no equals sign\n",
	    "bad.conf:2: syntax error (expected [section] or key = value)");
	bad("[agent\n", "bad.conf:1: syntax error (expected [section] or key = value)");
	bad("[rule r]\ncmdline = (unclosed\nstack = s\n",
	    "bad.conf:2: cmdline: bad regular expression '(unclosed': "
	    "Unmatched ( or \\(");
	bad("[rule r]\nstack = has space\n",
	    "bad.conf:2: stack: invalid name 'has space' (1 to 31 printable "
	    "characters, no blanks)");
	bad("[rule r]\nstack = aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
	    "bad.conf:2: stack: invalid name 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' "
	    "(1 to 31 printable characters, no blanks)");
	bad("[agent]\n\n[rule r]\nexe = qemu\n", "bad.conf:4: [rule r] has no stack");
	bad("[rule r]\nstack = s\n",
	    "bad.conf:2: [rule r] matches nothing: give exe, cmdline, cgroup "
	    "or env");
	bad("[rule r]\nexe = a\nexe = b\nstack = s\n",
	    "bad.conf:3: exe given twice in [rule r]");
	bad("[domain d]\nisolated = maybe\n",
	    "bad.conf:2: isolated: expected yes or no, got 'maybe'");
	bad("[agent]\nsources = proc,ebpf\n",
	    "bad.conf:2: sources: expected proc, bpf or both, got 'proc,ebpf'");
	bad("[agent]\nsources = ,\n",
	    "bad.conf:2: sources: expected proc, bpf or both, got ','");
	bad("[ksm]\npages_to_scan_min = 9000\n",
	    "bad.conf:2: [ksm] a minimum exceeds its maximum");
	bad("[ksm]\nsleep_ms_max = -3\n",
	    "bad.conf:2: sleep_ms_max: expected 1 to 1000000, got '-3'");
	bad("[ksm]\nstop_when_idle = sometimes\n",
	    "bad.conf:2: stop_when_idle: expected yes or no, got 'sometimes'");
	bad("[ksm]\ntune = yes\nidle_after = 0\n",
	    "bad.conf:3: idle_after: expected 1 to 86400 seconds, got '0'");
	bad("[ksm]\nidle_after = 86401\n",
	    "bad.conf:2: idle_after: expected 1 to 86400 seconds, got '86401'");
	bad("[ksm]\nmerge_within = 3601\n",
	    "bad.conf:2: merge_within: expected 0 to 3600 seconds, got '3601'");
	bad("[ksm]\nmerge_within = soon\n",
	    "bad.conf:2: merge_within: expected 0 to 3600 seconds, got 'soon'");
	bad("[agent]\nrescan_interval = 0\n",
	    "bad.conf:2: rescan_interval: expected 1 to 3600 seconds, got '0'");
	bad("[rule r]\nmem_mib = 12x\n",
	    "bad.conf:2: mem_mib: expected a number of MiB, got '12x'");
	/* A stack belongs to one domain. */
	bad("[rule a]\nexe = x\nstack = s\n\n[rule b]\nexe = y\nstack = s\n"
	    "domain = d\n",
	    "bad.conf:8: [rule b] puts stack s in domain d, but [rule a] "
	    "(line 3) puts it in domain default: a stack belongs to one domain");
	bad("[agent]\ndefault_stack = misc\n[rule a]\nexe = x\nstack = misc\n"
	    "domain = d\n",
	    "bad.conf:6: [rule a] puts stack misc in domain d, but it is the "
	    "default stack, in domain default: a stack belongs to one domain");
}

/* Rules naming undeclared domains: valid, one warning per domain name. */
static void test_warnings(void)
{
	static const char text[] =
		"[domain known]\nisolated = yes\n"
		"[rule a]\nexe = x\nstack = s1\ndomain = tenant-typo\n"
		"[rule b]\nexe = y\nstack = s2\ndomain = tenant-typo\n"
		"[rule c]\nexe = z\nstack = s3\ndomain = known\n";
	struct config c;
	char err[256], msg[512];
	size_t pos = 0;

	CHECK(config_parse_string(text, "w.conf", &c, err, sizeof(err)) == 0);
	CHECK(config_next_warning(&c, "w.conf", &pos, msg, sizeof(msg)));
	CHECK(!strcmp(msg, "w.conf:6: [rule a] domain 'tenant-typo' has no "
		      "[domain tenant-typo] section: it is created shared (not "
		      "isolated); declare it if that is not what you meant"));
	CHECK(!config_next_warning(&c, "w.conf", &pos, msg, sizeof(msg)));
	config_free(&c);
	pos = 0;
	CHECK(config_parse_string(good, "t.conf", &c, err, sizeof(err)) == 0);
	CHECK(!config_next_warning(&c, "t.conf", &pos, msg, sizeof(msg)));
	config_free(&c);
}

/*
 * The same results whatever options libinih was built with: Debian's
 * defaults and upstream's (inline comments on, no stop at the first
 * error), which this test runs under since config.c sets none.
 */
static void test_inih_portable(void)
{
	struct config c;
	char err[256];

	/* " ;" inside a value is no comment: the value is the whole rest. */
	CHECK(config_parse_string("[rule r]\ncmdline = a ;b\nstack = s\n",
				  "p.conf", &c, err, sizeof(err)) == 0);
	CHECK(c.nr_rules == 1 && c.rules[0].has[CFG_MATCH_CMDLINE]);
	if (c.nr_rules == 1) {
		regex_t *re = &c.rules[0].re[CFG_MATCH_CMDLINE];

		CHECK(regexec(re, "x a ;b y", 0, NULL, 0) == 0);
		CHECK(regexec(re, "x a y", 0, NULL, 0) != 0);
	}
	config_free(&c);
	bad("[agent]\ndefault_stack = s ;x\n",
	    "bad.conf:2: default_stack: invalid name 's ;x' (1 to 31 printable "
	    "characters, no blanks)");
	/* The first error, by line, whichever kind it is. */
	bad("[agent]\nno equals here\nbogus = 1\n",
	    "bad.conf:2: syntax error (expected [section] or key = value)");
	bad("[agent]\nbogus = 1\nno equals here\n",
	    "bad.conf:2: unknown key 'bogus' in [agent]");
	bad("[agent]\nlisten = x\n[nope\n",
	    "bad.conf:2: listen: expected HOST:PORT, got 'x'");
}

static void test_long_line(void)
{
	char text[600];
	struct config c;
	char err[256];

	memset(text, 'x', sizeof(text));
	memcpy(text, "[rule r]\ncmdline = ", 19);
	text[sizeof(text) - 1] = '\0';
	CHECK(config_parse_string(text, "long", &c, err, sizeof(err)) < 0);
	CHECK(!strncmp(err, "long:2: line longer than", 24));
	/* Also when more lines follow, with errors of their own. */
	memcpy(text + sizeof(text) - 20, "\nbogus\n[x\nexe = y\n", 19);
	CHECK(config_parse_string(text, "long", &c, err, sizeof(err)) < 0);
	CHECK(!strncmp(err, "long:2: line longer than", 24));
}

static void test_load_missing(void)
{
	struct config c;
	char err[256];

	CHECK(config_load("/nonexistent/vmmerged.conf", &c, err,
			  sizeof(err)) == -ENOENT);
	CHECK(!strcmp(err, "/nonexistent/vmmerged.conf: No such file or "
		      "directory"));
}

static void test_is_vmm(void)
{
	struct config c;

	config_defaults(&c);
	CHECK(rules_is_vmm(&c, "/usr/bin/qemu-system-x86_64"));
	CHECK(rules_is_vmm(&c, "firecracker"));
	CHECK(rules_is_vmm(&c, "/opt/ch/cloud-hypervisor"));
	CHECK(!rules_is_vmm(&c, "/usr/bin/qemu-img"));
	CHECK(!rules_is_vmm(&c, "/usr/bin/firecracker-jailer"));
}

static void test_classify(void)
{
	char env[] = "PATH=/bin\0FAAS_STACK=java17\0HOME=/";
	struct vmm_proc p = { .pid = 7 };
	struct classification cl;
	struct config c;
	char err[256];

	CHECK(config_parse_string(good, "t.conf", &c, err, sizeof(err)) == 0);

	strcpy(p.exe, "/usr/bin/qemu-system-x86_64");
	p.cmdline = "qemu-system-x86_64 -M microvm -append console=ttyS0 "
		    "stack=python3.11 quiet";
	rules_classify(&c, &p, &cl);
	CHECK(!strcmp(cl.stack, "python3.11") && !strcmp(cl.domain, "default"));
	CHECK(cl.mem_mib == 256 && !strcmp(cl.rule, "python"));

	/* Both matchers of tenant-b-node must hold. */
	strcpy(p.exe, "/usr/local/bin/firecracker");
	p.cmdline = "firecracker --api-sock /run/fc.sock";
	strcpy(p.cgroup, "/tenants/b/fn-12");
	rules_classify(&c, &p, &cl);
	CHECK(!strcmp(cl.stack, "node20") && !strcmp(cl.domain, "tenant-b"));
	CHECK(cl.mem_mib == 0);
	strcpy(p.cgroup, "/tenants/a/fn-12");
	rules_classify(&c, &p, &cl);
	CHECK(!strcmp(cl.stack, "misc") && !cl.rule);

	/* env matches one whole entry, not the block. */
	p.environ = env;
	p.environ_len = sizeof(env);
	rules_classify(&c, &p, &cl);
	CHECK(!strcmp(cl.stack, "java17") && !strcmp(cl.rule, "by-env"));
	env[sizeof("PATH=/bin")] = 'X';
	rules_classify(&c, &p, &cl);
	CHECK(!strcmp(cl.stack, "misc"));

	/* No cmdline read (process gone): treated as empty. */
	p.cmdline = NULL;
	p.environ = NULL;
	p.environ_len = 0;
	rules_classify(&c, &p, &cl);
	CHECK(!strcmp(cl.stack, "misc"));
	config_free(&c);
}

static void test_sources(void)
{
	struct config c;
	char err[256];

	CHECK(config_parse_string("[agent]\nsources = proc\n", "s.conf", &c,
				  err, sizeof(err)) == 0);
	CHECK(c.sources == CFG_SRC_PROC);
	config_free(&c);
	CHECK(config_parse_string("[agent]\nsources = bpf, proc\n", "s.conf",
				  &c, err, sizeof(err)) == 0);
	CHECK(c.sources == CFG_SRC_ALL);
	config_free(&c);
}

static const struct unit_test tests[] = {
	{ "discovery sources", test_sources },
	{ "good config", test_good },
	{ "defaults and IPv6 listen", test_defaults },
	{ "malformed configs name file:line", test_malformed },
	{ "overlong line", test_long_line },
	{ "same on any libinih build", test_inih_portable },
	{ "warnings: undeclared domains", test_warnings },
	{ "missing file", test_load_missing },
	{ "VMM executable names", test_is_vmm },
	{ "rule matching", test_classify },
};

int main(void)
{
	return RUN_TESTS("config_test", tests);
}
