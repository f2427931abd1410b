// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The vmmerge developers.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "maps.h"
#include "proc.h"

static int read_exe(pid_t pid, char *buf, size_t len)
{
	char path[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	n = readlink(path, buf, len - 1);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return 0;
}

/* "0::/path" is the cgroup v2 line; fall back to the first line's path. */
static void read_cgroup(pid_t pid, char *buf, size_t len)
{
	char path[64], *text, *line;

	buf[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	if (proc_read_file(path, &text, NULL))
		return;
	line = strstr(text, "0::");
	if (line == text || (line && line[-1] == '\n'))
		line += 3;
	else
		line = strrchr(text, ':') ? strrchr(text, ':') + 1 : text;
	line[strcspn(line, "\n")] = '\0';
	snprintf(buf, len, "%s", line);
	free(text);
}

int proc_read(pid_t pid, struct vmm_proc *p)
{
	char path[64];
	size_t len, i;
	int err;

	memset(p, 0, sizeof(*p));
	p->pid = pid;
	err = read_exe(pid, p->exe, sizeof(p->exe));
	if (err)
		return err;
	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	err = proc_read_file(path, &p->cmdline, &len);
	if (err)
		return err;
	for (i = 0; len && i < len - 1; i++)
		if (!p->cmdline[i])
			p->cmdline[i] = ' ';
	read_cgroup(pid, p->cgroup, sizeof(p->cgroup));
	snprintf(path, sizeof(path), "/proc/%d/environ", (int)pid);
	if (proc_read_file(path, &p->environ, &p->environ_len))
		p->environ = NULL;
	return 0;
}

void proc_release(struct vmm_proc *p)
{
	free(p->cmdline);
	free(p->environ);
	p->cmdline = p->environ = NULL;
}

bool proc_is_vmm(const struct config *c, pid_t pid)
{
	char exe[256];

	return !read_exe(pid, exe, sizeof(exe)) && rules_is_vmm(c, exe);
}

int proc_scan(const struct config *c, void (*fn)(pid_t pid, void *arg),
	      void *arg)
{
	DIR *d = opendir("/proc");
	struct dirent *e;

	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		pid_t pid;

		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		pid = atoi(e->d_name);
		if (pid > 0 && proc_is_vmm(c, pid))
			fn(pid, arg);
	}
	closedir(d);
	return 0;
}
