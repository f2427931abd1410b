// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The vmmerge developers.
 *
 * The fuzzer's processes: dropping privileges for --unpriv (no groups,
 * uid/gid 65534, empty capability sets, bounding set included, and
 * no_new_privs, checked in /proc/self/status), and the helper "VMM"
 * processes whose pids and guest-RAM regions the generator uses.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "nlfuzz.h"

#define PAGE		4096UL

/* ---- privileges ---- */

static int cap_last(void)
{
	FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "r");
	int last = 63;

	if (f) {
		if (fscanf(f, "%d", &last) != 1)
			last = 63;
		fclose(f);
	}
	return last;
}

/* 0 when /proc/self/status shows no capability in any set that counts. */
static int caps_empty(void)
{
	static const char *const sets[] = { "CapInh:", "CapPrm:", "CapEff:",
					    "CapAmb:" };
	char line[256];
	unsigned long long v;
	unsigned int i, seen = 0;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		for (i = 0; i < 4; i++)
			if (!strncmp(line, sets[i], strlen(sets[i]))) {
				v = strtoull(line + strlen(sets[i]), NULL, 16);
				if (v) {
					fprintf(stderr, "nlfuzz: still %s %llx\n",
						sets[i], v);
					fclose(f);
					return -EPERM;
				}
				seen++;
			}
	fclose(f);
	return seen >= 3 ? 0 : -EIO;
}

int nf_drop_privileges(uid_t uid, gid_t gid)
{
	int cap, last = cap_last();

	if (geteuid() == 0) {
		for (cap = 0; cap <= last; cap++)
			if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) && errno != EINVAL)
				return -errno;
		prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
		if (setgroups(0, NULL) || setresgid(gid, gid, gid) ||
		    setresuid(uid, uid, uid))
			return -errno;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -errno;
	if (getuid() == 0 || geteuid() == 0)
		return -EPERM;
	return caps_empty();
}

/* ---- helper VMM processes ---- */

static void vmm_fill(unsigned char *p, size_t pages)
{
	size_t i;

	for (i = 0; i < pages; i++) {
		unsigned char *pg = p + i * PAGE;

		switch (i % 4) {
		case 0:
			memset(pg, 0, PAGE);		/* zero page candidates */
			break;
		case 1:
			memset(pg, 0x5a, PAGE);		/* duplicates */
			break;
		default:
			memset(pg, (int)(i * 7 + getpid()), PAGE);
		}
	}
}

static void vmm_body(const struct nf_vmm *v, pid_t parent)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(0);
	vmm_fill((unsigned char *)(uintptr_t)v->start[0], v->len[0] / PAGE);
	vmm_fill((unsigned char *)(uintptr_t)v->start[1], v->len[1] / PAGE);
	for (;;)
		pause();
}

void nf_vmm_kill(struct nf_vmm *v)
{
	if (v->pid <= 0)
		return;
	kill(v->pid, SIGKILL);
	waitpid(v->pid, NULL, 0);
	v->pid = 0;
}

/* Tell the generator what is real: pids, region starts, lengths. */
static void vmm_seed_pools(struct nf_ctx *c, const struct nf_vmm *v)
{
	struct nf_pool *g = &c->pools->global;

	nf_pool_add_int(g, &c->rng, v->pid);
	nf_pool_add_int(g, &c->rng, v->start[0]);
	nf_pool_add_int(g, &c->rng, v->len[0]);
	nf_pool_add_int(g, &c->rng, v->start[1]);
	nf_pool_add_int(g, &c->rng, v->len[1]);
	/* both regions with the hole between them: must be refused */
	nf_pool_add_int(g, &c->rng, v->start[1] - v->start[0] + v->len[1]);
}

/*
 * A process whose memory is [region 0][PROT_NONE page][region 1], two
 * anonymous private mappings, filled with zero, duplicate and unique pages.
 */
int nf_vmm_spawn(struct nf_ctx *c, struct nf_vmm *v)
{
	size_t n0 = 8 + nf_below(&c->rng, 56), n1 = 2 + nf_below(&c->rng, 14);
	size_t total = (n0 + 1 + n1) * PAGE;
	pid_t parent = getpid();
	unsigned char *base;

	base = mmap(NULL, total, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED)
		return -errno;
	if (mprotect(base + n0 * PAGE, PAGE, PROT_NONE)) {
		munmap(base, total);
		return -errno;
	}
	v->start[0] = (uintptr_t)base;
	v->len[0] = n0 * PAGE;
	v->start[1] = (uintptr_t)base + (n0 + 1) * PAGE;
	v->len[1] = n1 * PAGE;
	fflush(NULL);
	v->pid = fork();
	if (v->pid == 0) {
		if (c->fd >= 0)
			close(c->fd);
		vmm_body(v, parent);
	}
	munmap(base, total);
	if (v->pid < 0)
		return -errno;
	vmm_seed_pools(c, v);
	c->st.vm_spawns++;
	return 0;
}

void nf_vmm_kill_all(struct nf_ctx *c)
{
	unsigned int i;

	for (i = 0; i < NF_VMMS_MAX; i++)
		nf_vmm_kill(&c->vmms[i]);
}
