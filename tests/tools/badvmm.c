// SPDX-License-Identifier: GPL-2.0
/*
 * badvmm: a fake VMM for the adversarial and lifetime tests. It maps
 * "guest RAM" (anonymous, private), fills it with content that repeats
 * within and across instances (pages drawn from a small pool of patterns
 * that does not depend on the seed, some zero pages, some unique ones),
 * prints one line "PID 0xSTART LENGTH" (then closes stdout, so that
 * `line=$(badvmm ... &)` returns at once) and then sleeps, or with --chaos
 * does hostile things to its guest RAM in a loop:
 *
 *   remap     munmap a range and mmap it again (MAP_FIXED), refilled
 *   replace   mmap MAP_FIXED anonymous straight over a range
 *   move      mremap a range away and back (MREMAP_MAYMOVE|MREMAP_FIXED);
 *             a range that spans VMAs cannot move (EFAULT), counted apart
 *   protect   mprotect PROT_NONE, then back to read-write
 *   shared    mmap MAP_SHARED (memfd or /dev/zero) over a range; a later
 *             step maps anonymous memory back
 *   file      mmap a private file mapping over a range, later restored
 *   dontneed  madvise(MADV_DONTNEED), then refill some pages
 *   rewrite   write new content over merged-looking pages
 *   merge     madvise(MADV_MERGEABLE) (--self-merge only)
 *   huge      madvise(MADV_HUGEPAGE) (--hugepage only)
 *
 * Usage: badvmm [options]
 *   --mem MIB         guest RAM size (default 64)
 *   --seed N          seed of the content and of the chaos (default pid)
 *   --patterns K      size of the shared pattern pool (default 16)
 *   --zero PCT        percent of zero pages (default 10)
 *   --unique PCT      percent of pages unique to this instance (default 20)
 *   --self-merge      madvise(MADV_MERGEABLE) the guest RAM at start and
 *                     after each remap, as QEMU's mem-merge=on does
 *   --hugepage        madvise(MADV_HUGEPAGE) it too
 *   --prctl-merge     prctl(PR_SET_MEMORY_MERGE, 1) before mapping anything,
 *                     as a launcher would before exec: KSM may merge all of
 *                     its memory, heap included (6.4+; fails before)
 *   --chaos           do the hostile steps above
 *   --hold            with --chaos: start the chaos at SIGUSR1 (after the
 *                     test registered the VM), not at once
 *   --rate N          chaos steps per second (default 200)
 *   --duration SEC    stop the chaos after SEC s, restore the guest RAM
 *                     (anonymous, read-write, refilled) and sleep (default:
 *                     until SIGTERM)
 *   --exit-after MS   exit (status 0) MS ms after printing the line
 *   --early           print the line before filling the guest RAM
 *   --kvm             create a KVM VM (no vCPU) with the guest RAM as its
 *                     memory slot 0, so that KVM's mmu notifier sits on
 *                     this mm beside the module's and runs at exit, as
 *                     with a real VMM
 * SIGTERM or SIGINT end it with status 0; with --chaos it prints the
 * steps done on stderr.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/kvm.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096UL

#ifndef PR_SET_MEMORY_MERGE
#define PR_SET_MEMORY_MERGE 67	/* Linux 6.4; Debian 12's headers are older */
#endif

enum step {
	S_REMAP, S_REPLACE, S_MOVE, S_PROTECT, S_SHARED, S_FILE, S_DONTNEED,
	S_REWRITE, S_MERGE, S_HUGE, S_RESTORE, NR_STEPS
};

/* Counted beside the steps: moves refused because the range spans VMAs. */
#define S_MOVE_SPLIT	NR_STEPS
#define NR_COUNTS	(NR_STEPS + 1)

static const char *const step_names[NR_COUNTS] = {
	"remap", "replace", "move", "protect", "shared", "file", "dontneed",
	"rewrite", "merge", "huge", "restore", "move-spans-vmas",
};

struct opts {
	unsigned long mem_mib;
	unsigned long seed;
	unsigned int patterns;
	unsigned int zero_pct;
	unsigned int unique_pct;
	int self_merge;
	int hugepage;
	int prctl_merge;
	int chaos;
	int hold;
	unsigned int rate;
	unsigned int duration;
	unsigned int exit_after;
	int early;
	int kvm;
};

static struct opts o = {
	.mem_mib = 64, .patterns = 16, .zero_pct = 10, .unique_pct = 20,
	.rate = 200,
};

static char *ram;
static size_t ram_len;
static unsigned long nr_pages;
static unsigned char *foreign;	/* per page: 1 while not anonymous memory */
static unsigned long counts[NR_COUNTS];
static volatile sig_atomic_t stop, go;
static uint64_t rng;

static uint64_t next_rand(void)
{
	/* xorshift64* */
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 2685821657736338717ULL;
}

static unsigned long rand_below(unsigned long n)
{
	return n ? next_rand() % n : 0;
}

static void die(const char *what)
{
	fprintf(stderr, "badvmm: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* Fill page i: zero, a pool pattern shared by every instance, or unique. */
static void fill_page(unsigned long i)
{
	uint64_t *p = (uint64_t *)(ram + i * PAGE);
	uint64_t v, r = next_rand() % 100;
	unsigned long k;

	if (r < o.zero_pct) {
		memset(p, 0, PAGE);
		return;
	}
	if (r < o.zero_pct + o.unique_pct)
		v = (o.seed << 32) ^ (i * 0x9e3779b97f4a7c15ULL) ^ next_rand();
	else
		v = 0x5a5a000000000000ULL + 1 + next_rand() % o.patterns;
	for (k = 0; k < PAGE / 8; k++)
		p[k] = v + k;
}

static void fill(unsigned long first, unsigned long n)
{
	unsigned long i;

	for (i = first; i < first + n; i++)
		fill_page(i);
}

/* A random range of pages: mostly small, sometimes all of the RAM. */
static void pick(unsigned long *first, unsigned long *n)
{
	if (rand_below(32) == 0) {
		*first = 0;
		*n = nr_pages;
		return;
	}
	*n = 1 + rand_below(nr_pages < 64 ? nr_pages : 64);
	*first = rand_below(nr_pages - *n + 1);
}

static int any_foreign(unsigned long first, unsigned long n)
{
	unsigned long i;

	for (i = first; i < first + n; i++)
		if (foreign[i])
			return 1;
	return 0;
}

static void advise(char *addr, size_t len)
{
	if (o.self_merge && madvise(addr, len, MADV_MERGEABLE))
		die("madvise(MADV_MERGEABLE)");
	/* MADV_HUGEPAGE fails without THP: not this test's concern. */
	if (o.hugepage)
		madvise(addr, len, MADV_HUGEPAGE);
}

/* Anonymous private memory back at [first, first+n), refilled. */
static void map_anon(unsigned long first, unsigned long n)
{
	char *a = ram + first * PAGE;

	if (mmap(a, n * PAGE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED)
		die("mmap(MAP_FIXED)");
	memset(foreign + first, 0, n);
	advise(a, n * PAGE);
	fill(first, n);
}

static void step_remap(unsigned long first, unsigned long n)
{
	if (munmap(ram + first * PAGE, n * PAGE))
		die("munmap");
	map_anon(first, n);
}

static void step_move(unsigned long first, unsigned long n)
{
	char *a = ram + first * PAGE, *away;

	away = mmap(NULL, n * PAGE, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (away == MAP_FAILED)
		die("mmap(scratch)");
	if (mremap(a, n * PAGE, n * PAGE, MREMAP_MAYMOVE | MREMAP_FIXED,
		   away) == MAP_FAILED) {
		/* EFAULT: the range spans VMAs (e.g. some of it enrolled). */
		if (errno != EFAULT)
			die("mremap(away)");
		munmap(away, n * PAGE);
		counts[S_MOVE_SPLIT]++;
		return;
	}
	if (mremap(away, n * PAGE, n * PAGE, MREMAP_MAYMOVE | MREMAP_FIXED,
		   a) == MAP_FAILED)
		die("mremap(back)");
}

static void step_protect(unsigned long first, unsigned long n)
{
	char *a = ram + first * PAGE;

	if (mprotect(a, n * PAGE, PROT_NONE))
		die("mprotect(PROT_NONE)");
	sched_yield();
	if (mprotect(a, n * PAGE, PROT_READ | PROT_WRITE))
		die("mprotect(PROT_READ|PROT_WRITE)");
}

static void step_shared(unsigned long first, unsigned long n)
{
	char *a = ram + first * PAGE;
	int fd;

	if (rand_below(2)) {
		fd = memfd_create("badvmm", 0);
		if (fd < 0 || ftruncate(fd, n * PAGE))
			die("memfd_create");
	} else {
		fd = open("/dev/zero", O_RDWR);
		if (fd < 0)
			die("open /dev/zero");
	}
	if (mmap(a, n * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
		 fd, 0) == MAP_FAILED)
		die("mmap(MAP_SHARED)");
	close(fd);
	memset(foreign + first, 1, n);
	memset(a, 0x77, n * PAGE);
}

static void step_file(unsigned long first, unsigned long n)
{
	char *a = ram + first * PAGE;
	int fd = open("/proc/self/exe", O_RDONLY);

	if (fd < 0)
		die("open /proc/self/exe");
	/* Beyond the file's end the pages would SIGBUS: nobody reads them. */
	if (mmap(a, n * PAGE, PROT_READ, MAP_PRIVATE | MAP_FIXED, fd, 0) ==
	    MAP_FAILED)
		die("mmap(file)");
	close(fd);
	memset(foreign + first, 1, n);
}

static void step_restore(void)
{
	unsigned long i, j;

	for (i = 0; i < nr_pages; i = j) {
		for (j = i; j < nr_pages && foreign[j] == foreign[i]; j++)
			;
		if (foreign[i])
			map_anon(i, j - i);
	}
}

static void chaos_step(void)
{
	unsigned long first, n;
	enum step s = rand_below(NR_STEPS);

	pick(&first, &n);
	if ((s == S_MERGE && !o.self_merge) || (s == S_HUGE && !o.hugepage))
		s = S_REWRITE;
	/* Steps that write to the RAM need it anonymous and writable. */
	if ((s == S_DONTNEED || s == S_REWRITE || s == S_MOVE ||
	     s == S_PROTECT) && any_foreign(first, n))
		s = S_RESTORE;
	switch (s) {
	case S_REMAP:
		step_remap(first, n);
		break;
	case S_REPLACE:
		map_anon(first, n);
		break;
	case S_MOVE:
		step_move(first, n);
		break;
	case S_PROTECT:
		step_protect(first, n);
		break;
	case S_SHARED:
		step_shared(first, n);
		break;
	case S_FILE:
		step_file(first, n);
		break;
	case S_DONTNEED:
		if (madvise(ram + first * PAGE, n * PAGE, MADV_DONTNEED))
			die("madvise(MADV_DONTNEED)");
		fill(first, rand_below(n + 1));
		break;
	case S_REWRITE:
		fill(first, n);
		break;
	case S_MERGE:
	case S_HUGE:
		advise(ram + first * PAGE, n * PAGE);
		break;
	case S_RESTORE:
	case NR_STEPS:
		step_restore();
		s = S_RESTORE;
		break;
	}
	counts[s]++;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void chaos(void)
{
	double end = o.duration ? now() + o.duration : 0, gap = 1.0 / o.rate;
	double next = now();
	struct timespec ts;

	while (!stop && (!end || now() < end)) {
		chaos_step();
		next += gap;
		double d = next - now();

		if (d > 0) {
			ts.tv_sec = (time_t)d;
			ts.tv_nsec = (long)((d - ts.tv_sec) * 1e9);
			nanosleep(&ts, NULL);
		} else if (d < -1) {
			next = now();	/* behind by a second: do not catch up */
		}
	}
	step_restore();
}

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void on_usr1(int sig)
{
	(void)sig;
	go = 1;
}

static void on_alarm(int sig)
{
	(void)sig;
	_exit(0);
}

/* A KVM VM whose slot 0 is the guest RAM; the fds stay open until exit. */
static void kvm_attach(void)
{
	struct kvm_userspace_memory_region slot = {
		.slot = 0,
		.guest_phys_addr = 0,
		.memory_size = ram_len,
		.userspace_addr = (unsigned long)ram,
	};
	int sys, vm;

	sys = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (sys < 0)
		die("open /dev/kvm");
	vm = ioctl(sys, KVM_CREATE_VM, 0);
	if (vm < 0)
		die("KVM_CREATE_VM");
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &slot))
		die("KVM_SET_USER_MEMORY_REGION");
}

static void usage(void)
{
	fprintf(stderr,
		"usage: badvmm [--mem MIB] [--seed N] [--patterns K] [--zero PCT]\n"
		"              [--unique PCT] [--self-merge] [--hugepage] [--prctl-merge]\n"
		"              [--chaos] [--hold] [--rate N] [--duration SEC] [--exit-after MS]\n"
		"              [--early] [--kvm]\n");
	exit(2);
}

static unsigned long num(const char *s, unsigned long min, unsigned long max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || !*s || *end || v < min || v > max) {
		fprintf(stderr, "badvmm: bad number %s\n", s);
		usage();
	}
	return v;
}

static void parse(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "mem", 1, NULL, 'm' }, { "seed", 1, NULL, 's' },
		{ "patterns", 1, NULL, 'p' }, { "zero", 1, NULL, 'z' },
		{ "unique", 1, NULL, 'u' }, { "self-merge", 0, NULL, 'M' },
		{ "hugepage", 0, NULL, 'H' }, { "chaos", 0, NULL, 'c' },
		{ "hold", 0, NULL, 'o' }, { "rate", 1, NULL, 'r' }, { "duration", 1, NULL, 'd' },
		{ "exit-after", 1, NULL, 'x' }, { "early", 0, NULL, 'e' },
		{ "kvm", 0, NULL, 'k' }, { "prctl-merge", 0, NULL, 'P' },
		{ "help", 0, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	int c;

	o.seed = getpid();
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'm': o.mem_mib = num(optarg, 1, 1 << 20); break;
		case 's': o.seed = num(optarg, 0, ~0UL); break;
		case 'p': o.patterns = num(optarg, 1, 1 << 20); break;
		case 'z': o.zero_pct = num(optarg, 0, 100); break;
		case 'u': o.unique_pct = num(optarg, 0, 100); break;
		case 'M': o.self_merge = 1; break;
		case 'H': o.hugepage = 1; break;
		case 'c': o.chaos = 1; break;
		case 'o': o.hold = 1; break;
		case 'r': o.rate = num(optarg, 1, 1000000); break;
		case 'd': o.duration = num(optarg, 0, 1 << 30); break;
		case 'x': o.exit_after = num(optarg, 1, 1 << 30); break;
		case 'e': o.early = 1; break;
		case 'k': o.kvm = 1; break;
		case 'P': o.prctl_merge = 1; break;
		default: usage();
		}
	}
	if (optind != argc || o.zero_pct + o.unique_pct > 100)
		usage();
}

static void setup_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, NULL);
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
}

/*
 * Called once the line is out. stdout is closed (/dev/null from now on),
 * so that a reader of a pipe or FIFO sees the end of it, and
 * --exit-after counts from here.
 */
static void line_done(void)
{
	struct itimerval it = { 0 };
	int fd = open("/dev/null", O_WRONLY);

	if (fd < 0 || dup2(fd, STDOUT_FILENO) < 0)
		die("/dev/null");
	close(fd);

	if (o.exit_after) {
		it.it_value.tv_sec = o.exit_after / 1000;
		it.it_value.tv_usec = (o.exit_after % 1000) * 1000;
		setitimer(ITIMER_REAL, &it, NULL);
	}
}

int main(int argc, char **argv)
{
	int i;

	parse(argc, argv);
	rng = o.seed * 0x9e3779b97f4a7c15ULL + 1;
	setup_signals();
	if (o.prctl_merge && prctl(PR_SET_MEMORY_MERGE, 1, 0, 0, 0))
		die("prctl(PR_SET_MEMORY_MERGE)");
	ram_len = o.mem_mib << 20;
	nr_pages = ram_len / PAGE;
	/*
	 * A PROT_NONE page on each side, so that the guest RAM is one VMA of
	 * its own, as a VMM's is, whatever anonymous memory lies around it.
	 */
	ram = mmap(NULL, ram_len + 2 * PAGE, PROT_NONE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	foreign = calloc(nr_pages, 1);
	if (ram == MAP_FAILED || !foreign)
		die("mmap(guest RAM)");
	ram += PAGE;
	if (mprotect(ram, ram_len, PROT_READ | PROT_WRITE))
		die("mprotect(guest RAM)");
	advise(ram, ram_len);
	if (o.kvm)
		kvm_attach();
	if (o.early) {
		printf("%d %p %zu\n", getpid(), (void *)ram, ram_len);
		fflush(stdout);
		line_done();
	}
	fill(0, nr_pages);
	if (!o.early) {
		printf("%d %p %zu\n", getpid(), (void *)ram, ram_len);
		fflush(stdout);
		line_done();
	}
	while (o.chaos && o.hold && !go && !stop)
		pause();
	if (o.chaos && !stop)
		chaos();
	while (!stop)
		pause();
	if (o.chaos) {
		fprintf(stderr, "badvmm %d:", getpid());
		for (i = 0; i < NR_COUNTS; i++)
			fprintf(stderr, " %s=%lu", step_names[i], counts[i]);
		fprintf(stderr, "\n");
	}
	return 0;
}
