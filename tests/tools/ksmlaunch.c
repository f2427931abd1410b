// SPDX-License-Identifier: GPL-2.0
/*
 * ksmlaunch: start a VMM with KSM merging its whole memory, the way an
 * operator does it on Linux 6.4+ without vmmerge (the portable way for
 * Firecracker, which has no mem-merge option of its own).
 *
 *   ksmlaunch CMD [ARG...]     prctl(PR_SET_MEMORY_MERGE, 1), then exec CMD
 *                              (the flag, MMF_VM_MERGE_ANY, survives exec
 *                              since 6.7)
 *   ksmlaunch --set PID 0|1    the same prctl inside the running process PID
 *                              (ptrace: one syscall injected into its main
 *                              thread), so that the benchmark can switch
 *                              merge-any off and on for the same guests
 *   ksmlaunch --check          exit 0 if this kernel has PR_SET_MEMORY_MERGE
 *
 * Exits 127 with a message when the kernel has no PR_SET_MEMORY_MERGE
 * (Linux 6.1: EINVAL) instead of running the VMM without it; --set exits
 * 1 when the injected prctl fails or the thread could not be stopped
 * cleanly (the caller may retry). x86-64 only (the test bed's).
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>

#ifndef PR_SET_MEMORY_MERGE
#define PR_SET_MEMORY_MERGE 67
#define PR_GET_MEMORY_MERGE 68
#endif
#ifndef PTRACE_EVENT_STOP
#define PTRACE_EVENT_STOP 128
#endif

static int merge_self(void)
{
	if (prctl(PR_SET_MEMORY_MERGE, 1, 0, 0, 0) == 0)
		return 0;
	fprintf(stderr, "ksmlaunch: prctl(PR_SET_MEMORY_MERGE, 1): %s%s\n", strerror(errno),
		errno == EINVAL ? " (this kernel has no PR_SET_MEMORY_MERGE: Linux 6.4+ needed)" : "");
	return -1;
}

/* Stop PID's main thread at a ptrace event stop; -1 if it is not one. */
static int seize_stop(pid_t pid)
{
	int st;

	if (ptrace(PTRACE_SEIZE, pid, 0, 0)) {
		fprintf(stderr, "ksmlaunch: PTRACE_SEIZE %d: %s\n", pid, strerror(errno));
		return -1;
	}
	if (ptrace(PTRACE_INTERRUPT, pid, 0, 0) || waitpid(pid, &st, __WALL) != pid) {
		fprintf(stderr, "ksmlaunch: PTRACE_INTERRUPT %d: %s\n", pid, strerror(errno));
		return -1;
	}
	if (!WIFSTOPPED(st) || (st >> 16) != PTRACE_EVENT_STOP) {
		/* A signal got there first: give it back, let the caller retry. */
		fprintf(stderr, "ksmlaunch: %d stopped by signal %d, not the interrupt\n", pid,
			WIFSTOPPED(st) ? WSTOPSIG(st) : -1);
		ptrace(PTRACE_DETACH, pid, 0, WIFSTOPPED(st) ? WSTOPSIG(st) : 0);
		return -1;
	}
	return 0;
}

/*
 * Run prctl(PR_SET_MEMORY_MERGE, on) in the stopped thread: on a
 * `syscall` instruction already there (the one it stopped after, when it
 * was in a system call) or on two bytes written at its instruction pointer,
 * single-stepped, then everything restored. The original system call is
 * restarted by the kernel's usual rules because its registers (orig_rax and
 * the -ERESTART* result) come back unchanged.
 */
static int inject(pid_t pid, long on, long *ret)
{
	struct user_regs_struct saved, r;
	unsigned long at, word = 0, sys;
	int poked = 0, st;

	if (ptrace(PTRACE_GETREGS, pid, 0, &saved))
		return -1;
	r = saved;
	at = saved.rip - 2;
	errno = 0;
	word = ptrace(PTRACE_PEEKTEXT, pid, at, 0);
	if (errno)
		return -1;
	if ((long)saved.orig_rax < 0 || (word & 0xffff) != 0x050f) {
		at = saved.rip;
		errno = 0;
		word = ptrace(PTRACE_PEEKTEXT, pid, at, 0);
		if (errno)
			return -1;
		sys = (word & ~0xffffUL) | 0x050f;
		if (ptrace(PTRACE_POKETEXT, pid, at, sys))
			return -1;
		poked = 1;
	}
	r.rip = at;
	r.rax = SYS_prctl;
	r.orig_rax = -1;	/* no restart of the interrupted call yet */
	r.rdi = PR_SET_MEMORY_MERGE;
	r.rsi = on;
	r.rdx = r.r10 = r.r8 = 0;
	if (ptrace(PTRACE_SETREGS, pid, 0, &r) || ptrace(PTRACE_SINGLESTEP, pid, 0, 0) ||
	    waitpid(pid, &st, __WALL) != pid || !WIFSTOPPED(st))
		goto restore_fail;
	if (ptrace(PTRACE_GETREGS, pid, 0, &r))
		goto restore_fail;
	if (WSTOPSIG(st) != SIGTRAP || r.rip != at + 2) {
		fprintf(stderr, "ksmlaunch: %d: step ended at %llx (signal %d), not %lx\n", pid,
			r.rip, WSTOPSIG(st), at + 2);
		goto restore_fail;
	}
	*ret = r.rax;
	if (poked && ptrace(PTRACE_POKETEXT, pid, at, word))
		return -1;
	return ptrace(PTRACE_SETREGS, pid, 0, &saved);
restore_fail:
	if (poked)
		ptrace(PTRACE_POKETEXT, pid, at, word);
	ptrace(PTRACE_SETREGS, pid, 0, &saved);
	return -1;
}

static int merge_other(pid_t pid, long on)
{
	long ret = 0;
	int rc;

	if (seize_stop(pid))
		return 1;
	rc = inject(pid, on, &ret);
	if (rc)
		fprintf(stderr, "ksmlaunch: injecting prctl into %d: %s\n", pid, strerror(errno));
	/* Detaching from the single-step's SIGTRAP stop drops that SIGTRAP. */
	ptrace(PTRACE_DETACH, pid, 0, 0);
	if (rc)
		return 1;
	if (ret < 0) {
		fprintf(stderr, "ksmlaunch: prctl(PR_SET_MEMORY_MERGE, %ld) in %d: %s\n", on, pid,
			strerror(-ret));
		return ret == -EINVAL ? 127 : 1;
	}
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: ksmlaunch CMD [ARG...] | --set PID 0|1 | --check\n");
	exit(2);
}

int main(int argc, char **argv)
{
	if (argc < 2)
		usage();
	if (!strcmp(argv[1], "--check")) {
		if (prctl(PR_GET_MEMORY_MERGE, 0, 0, 0, 0) < 0) {
			fprintf(stderr, "ksmlaunch: no PR_SET_MEMORY_MERGE on this kernel (%s): Linux 6.4+ needed\n",
				strerror(errno));
			return 127;
		}
		return 0;
	}
	if (!strcmp(argv[1], "--set")) {
		if (argc != 4 || (strcmp(argv[3], "0") && strcmp(argv[3], "1")))
			usage();
		return merge_other(atoi(argv[2]), argv[3][0] == '1');
	}
	if (merge_self())
		return 127;
	execvp(argv[1], argv + 1);
	fprintf(stderr, "ksmlaunch: exec %s: %s\n", argv[1], strerror(errno));
	return 127;
}
