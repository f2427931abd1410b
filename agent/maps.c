// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The vmmerge developers.
 *
 * /proc/PID parsing shared by vmmerged and vmmergectl.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "maps.h"

struct mapping {
	uint64_t start, end;
	char perms[5];
	int anonymous;
};

/* "start-end perms offset dev inode [path]", @len bytes without newline */
static int parse_line(const char *text, size_t len, struct mapping *m)
{
	unsigned long long start, end;
	char line[512];
	int path = 0;

	if (len >= sizeof(line))
		len = sizeof(line) - 1;
	memcpy(line, text, len);
	line[len] = '\0';
	if (sscanf(line, "%llx-%llx %4s %*x %*x:%*x %*u %n", &start, &end,
		   m->perms, &path) < 3 || !path || end <= start ||
	    strlen(m->perms) != 4)
		return -EINVAL;
	m->start = start;
	m->end = end;
	m->anonymous = line[path] == '\0';
	return 0;
}

static int fits(const struct mapping *m, uint64_t size,
		const struct vmm_region *best)
{
	uint64_t len = m->end - m->start;

	if (!m->anonymous || m->perms[0] != 'r' || m->perms[1] != 'w' ||
	    m->perms[3] != 'p')
		return 0;
	if (size)
		return len == size && !best->length;
	return len > best->length;
}

int maps_pick_ram(const char *text, uint64_t size, struct vmm_region *r)
{
	const char *line = text;
	struct mapping m;

	r->start = r->length = 0;
	while (line && *line) {
		const char *next = strchr(line, '\n');
		size_t len = next ? (size_t)(next - line) : strlen(line);

		if (len) {
			if (parse_line(line, len, &m))
				return -EINVAL;
			if (fits(&m, size, r)) {
				r->start = m.start;
				r->length = m.end - m.start;
			}
		}
		line = next ? next + 1 : NULL;
	}
	return r->length ? 0 : -ENOENT;
}

int proc_read_file(const char *path, char **out, size_t *len)
{
	size_t alloc = 8192, n = 0;
	char *buf = malloc(alloc);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t got;

	if (fd < 0 || !buf) {
		int err = fd < 0 ? -errno : -ENOMEM;

		free(buf);
		if (fd >= 0)
			close(fd);
		return err;
	}
	while ((got = read(fd, buf + n, alloc - n - 1)) > 0) {
		n += got;
		if (alloc - n - 1 == 0) {
			char *p = realloc(buf, alloc * 2);

			if (!p) {
				got = -1;
				errno = ENOMEM;
				break;
			}
			buf = p;
			alloc *= 2;
		}
	}
	if (got < 0) {
		int err = -errno;

		close(fd);
		free(buf);
		return err;
	}
	close(fd);
	buf[n] = '\0';
	*out = buf;
	if (len)
		*len = n;
	return 0;
}

int maps_pick_pid(pid_t pid, uint64_t size, struct vmm_region *r)
{
	char path[64], *text;
	int err;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	err = proc_read_file(path, &text, NULL);
	if (err)
		return err;
	err = maps_pick_ram(text, size, r);
	free(text);
	return err;
}

int proc_vm_id(pid_t pid, uint64_t *id)
{
	char path[64], *text, *p;
	unsigned long long start;
	int err, field;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	err = proc_read_file(path, &text, NULL);
	if (err)
		return err;
	/* comm may hold spaces and parentheses: count from the last ')'. */
	p = strrchr(text, ')');
	for (field = 2; p && field < 22; field++)
		p = strchr(p + 1, ' ');
	err = p && sscanf(p + 1, "%llu", &start) == 1 ? 0 : -EINVAL;
	free(text);
	if (!err)
		*id = ((uint64_t)start << 22) | ((uint64_t)pid & 0x3fffff);
	return err;
}

int proc_comm(pid_t pid, char *buf, size_t len)
{
	char path[64], *text;
	int err;

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	err = proc_read_file(path, &text, NULL);
	if (err)
		return err;
	text[strcspn(text, "\n")] = '\0';
	snprintf(buf, len, "%s", text);
	free(text);
	return 0;
}
