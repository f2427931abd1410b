// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The vmmerge developers.
 *
 * Loader of the KVM memslot probe (memslot.bpf.c) through its libbpf
 * skeleton.  Opening fails with one reason when the probe cannot work
 * here: no kernel BTF, KVM not loaded (or without BTF), no permission;
 * the caller then discovers VMMs through /proc instead.  libbpf's own
 * messages go to the debug log (VMMERGED_DEBUG=1).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>

#include "log.h"
#include "memslot.h"
#include "memslot.skel.h"

#define BTF_VMLINUX "/sys/kernel/btf/vmlinux"

struct memslot {
	struct memslot_bpf *skel;
	struct ring_buffer *rb;
	void (*fn)(const struct memslot_event *ev, void *arg);
	void *arg;
};

static int libbpf_log(enum libbpf_print_level level, const char *fmt,
		      va_list ap)
{
	char line[512];
	size_t n;

	(void)level;
	vsnprintf(line, sizeof(line), fmt, ap);
	n = strlen(line);
	if (n && line[n - 1] == '\n')
		line[n - 1] = '\0';
	log_debug("%s", line);
	return 0;
}

/* Why the probe cannot attach, before libbpf tries: 0 if it may. */
static int precheck(char *why, size_t len)
{
	if (access(BTF_VMLINUX, R_OK)) {
		snprintf(why, len, "the kernel has no BTF (" BTF_VMLINUX ")");
		return -ENOENT;
	}
	/* Loaded as a module or built in, KVM has this directory. */
	if (access("/sys/module/kvm", F_OK)) {
		snprintf(why, len, "the kvm module is not loaded");
		return -ENODEV;
	}
	return 0;
}

static int on_sample(void *ctx, void *data, size_t size)
{
	struct memslot *m = ctx;

	if (size >= sizeof(struct memslot_event))
		m->fn(data, m->arg);
	return 0;
}

static int load(struct memslot *m, char *why, size_t len)
{
	int err;

	m->skel = memslot_bpf__open();
	if (!m->skel) {
		snprintf(why, len, "cannot open the BPF object");
		return -errno ? -errno : -EINVAL;
	}
	m->skel->rodata->report_readonly = false;
	err = memslot_bpf__load(m->skel);
	if (err == -ESRCH)	/* no BTF names the function */
		snprintf(why, len, "__kvm_set_memory_region is not in the "
			 "kernel's BTF (kvm.ko built without BTF?)");
	else if (err)
		snprintf(why, len, "cannot load the BPF program: %s%s",
			 strerror(-err), err == -EPERM ?
			 " (needs CAP_BPF and CAP_PERFMON, or root)" : "");
	if (err)
		return err;
	err = memslot_bpf__attach(m->skel);
	if (err) {
		snprintf(why, len, "cannot attach to __kvm_set_memory_region: "
			 "%s", strerror(-err));
		return err;
	}
	m->rb = ring_buffer__new(bpf_map__fd(m->skel->maps.events), on_sample,
				 m, NULL);
	if (!m->rb) {
		err = -errno;
		snprintf(why, len, "cannot open the ring buffer: %s",
			 strerror(-err));
		return err;
	}
	return 0;
}

int memslot_open(struct memslot **out, char *why, size_t len)
{
	struct memslot *m;
	int err = precheck(why, len);

	if (err)
		return err;
	m = calloc(1, sizeof(*m));
	if (!m) {
		snprintf(why, len, "out of memory");
		return -ENOMEM;
	}
	libbpf_set_print(libbpf_log);
	err = load(m, why, len);
	if (err) {
		memslot_close(m);
		return err;
	}
	*out = m;
	return 0;
}

void memslot_close(struct memslot *m)
{
	if (!m)
		return;
	ring_buffer__free(m->rb);
	memslot_bpf__destroy(m->skel);
	free(m);
}

int memslot_fd(const struct memslot *m)
{
	return ring_buffer__epoll_fd(m->rb);
}

int memslot_read(struct memslot *m,
		 void (*fn)(const struct memslot_event *ev, void *arg),
		 void *arg)
{
	int n;

	m->fn = fn;
	m->arg = arg;
	n = ring_buffer__consume(m->rb);
	return n < 0 ? n : 0;
}
