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

/* Private anonymous read-write memory: what guest RAM can be. */
static int ram_like(const struct mapping *m)
{
	return m->anonymous && m->perms[0] == 'r' && m->perms[1] == 'w' &&
		m->perms[3] == 'p';
}

static int fits(const struct mapping *m, uint64_t size,
		const struct vmm_region *best)
{
	uint64_t len = m->end - m->start;

	if (!ram_like(m))
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

/* Parse every line of @text into a malloc'd array. */
static int parse_all(const char *text, struct mapping **out, size_t *nr)
{
	struct mapping *v = NULL, *p;
	size_t n = 0, alloc = 0;
	const char *line = text;

	while (line && *line) {
		const char *next = strchr(line, '\n');
		size_t len = next ? (size_t)(next - line) : strlen(line);

		if (len && n == alloc) {
			alloc = alloc ? alloc * 2 : 64;
			p = realloc(v, alloc * sizeof(*v));
			if (!p) {
				free(v);
				return -ENOMEM;
			}
			v = p;
		}
		if (len && parse_line(line, len, &v[n++])) {
			free(v);
			return -EINVAL;
		}
		line = next ? next + 1 : NULL;
	}
	*out = v;
	*nr = n;
	return 0;
}

/*
 * The run of RAM-like mappings, without holes, that holds [@s, @e): 0 with
 * it in @r, or -ENOENT.
 */
static int cover_one(const struct mapping *m, size_t nr, uint64_t s,
		     uint64_t e, struct vmm_region *r)
{
	size_t i, j;

	for (i = 0; i < nr && !(m[i].start <= s && s < m[i].end); i++)
		;
	if (i == nr)
		return -ENOENT;
	for (j = i; m[j].end < e; j++)
		if (j + 1 == nr || m[j + 1].start != m[j].end || !ram_like(&m[j]))
			return -ENOENT;
	if (!ram_like(&m[j]))
		return -ENOENT;
	r->start = m[i].start;
	r->length = m[j].end - m[i].start;
	return 0;
}

/* Add @r to the sorted, disjoint @out, merging what it touches. */
static int add_region(struct vmm_region *out, unsigned int *n,
		      unsigned int max, const struct vmm_region *r)
{
	uint64_t s = r->start, e = r->start + r->length;
	unsigned int i = 0, k;

	while (i < *n && out[i].start + out[i].length < s)
		i++;
	for (k = i; k < *n && out[k].start <= e; k++) {
		if (out[k].start < s)
			s = out[k].start;
		if (out[k].start + out[k].length > e)
			e = out[k].start + out[k].length;
	}
	if (k == i && *n == max)
		return -E2BIG;
	/* out[i..k) merge into one entry at i. */
	memmove(&out[i + 1], &out[k], (*n - k) * sizeof(*out));
	*n = *n - (k - i) + 1;
	out[i].start = s;
	out[i].length = e - s;
	return 0;
}

int maps_cover(const char *text, const struct vmm_region *in,
	       unsigned int nin, struct vmm_region *out, unsigned int max,
	       unsigned int *dropped)
{
	struct mapping *m;
	struct vmm_region r;
	unsigned int i, n = 0;
	size_t nr;
	int err = parse_all(text, &m, &nr);

	if (err)
		return err;
	*dropped = 0;
	for (i = 0; i < nin && !err; i++) {
		if (!in[i].length ||
		    cover_one(m, nr, in[i].start, in[i].start + in[i].length,
			      &r)) {
			(*dropped)++;
			continue;
		}
		err = add_region(out, &n, max, &r);
	}
	free(m);
	return err ? err : (int)n;
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
