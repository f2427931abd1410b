// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The vmmerge developers.
 *
 * vmmergectl: inspect and steer the vmmerge module.  This file only
 * dispatches to the subcommands.
 */
#include <string.h>

#include "ctl.h"
#include "version.h"

const char *prog = "vmmergectl";

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
} commands[] = {
	{ "status", cmd_status, "Show the module's host-wide figures" },
	{ "vms", cmd_vms, "List registered VMs" },
	{ "stacks", cmd_stacks, "List runtime stacks" },
	{ "domains", cmd_domains, "List trust domains" },
	{ "add", cmd_add, "Register a VM by the pid of its VMM" },
	{ "remove", cmd_remove, "Unregister a VM by id or name" },
	{ "domain", cmd_domain, "Create, change or delete a trust domain" },
	{ "stack", cmd_stack, "Create, move or delete a runtime stack" },
	{ "hints", cmd_hints, "Where a new VM of a stack would share most" },
	{ "top", cmd_top, "Refreshing view of the VMs and what they save" },
	/* The older names of "stacks" and "stack", not listed. */
	{ "groups", cmd_stacks, NULL },
	{ "group", cmd_stack, NULL },
};

static void show_usage(FILE *f)
{
	size_t i;

	fprintf(f, "Usage: %s <cmd> [<args>] | --version | --help\n\n"
		"Available subcommands:\n", prog);
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (commands[i].summary)
			fprintf(f, "  %-8s %s\n", commands[i].name,
				commands[i].summary);
	fprintf(f, "Read commands take --json.  \"groups\" and \"group\" are "
		"older names of \"stacks\" and \"stack\".\n"
		"See vmmergectl(8) for details.\n");
}

int main(int argc, char **argv)
{
	size_t i;

	if (argc > 1 && (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help") ||
			 !strcmp(argv[1], "-h"))) {
		show_usage(stdout);
		return 0;
	}
	if (argc == 2 && !strcmp(argv[1], "--version")) {
		printf("%s %s\n", prog, vmmerge_version);
		return 0;
	}
	if (argc == 1)
		return cmd_status(1, argv);
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "Invalid subcommand: `%s'\n", argv[1]);
	show_usage(stderr);
	return 1;
}
