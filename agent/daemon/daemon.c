// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The vmmerge developers.
 *
 * vmmerged: finds microVM monitors on the host, classifies them by the
 * rules of vmmerged.conf, registers them with the vmmerge module, and
 * serves Prometheus metrics.  One thread runs the loop below over a
 * signalfd, a timerfd, the proc connector and the module's events; the
 * metrics server runs in libmicrohttpd's thread.
 *
 *   vmmerged [-c CONFIG] [--check-config] | --version
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <systemd/sd-daemon.h>

#include "agent.h"
#include "log.h"
#include "memslot.h"
#include "procconn.h"
#include "version.h"

enum { FD_SIGNAL, FD_TIMER, FD_PROC, FD_EVENTS, FD_WATCH, FD_MEMSLOT, NR_FDS };

static int open_signalfd(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		return -errno;
	return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

static int open_timerfd(void)
{
	struct itimerspec its = {
		.it_interval = { 0, AGENT_TICK_MS * 1000000L },
		.it_value = { 0, AGENT_TICK_MS * 1000000L },
	};
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);

	if (fd < 0 || timerfd_settime(fd, 0, &its, NULL))
		return -errno;
	return fd;
}

static void start_http(struct agent *a)
{
	int err = http_start(a, &a->http);

	if (err == -EADDRINUSE)
		log_err("Unable to serve metrics on %s:%u: %s (another "
			"vmmerged, or another service, has it); running without "
			"metrics: free the port or change [agent] listen, then "
			"reload", a->cfg.listen_host, a->cfg.listen_port,
			strerror(-err));
	else if (err)
		log_err("Unable to serve metrics on %s:%u: %s; running without "
			"metrics until a reload", a->cfg.listen_host,
			a->cfg.listen_port, strerror(-err));
	else
		log_info("serving metrics on http://%s:%u/metrics",
			 a->cfg.listen_host, a->cfg.listen_port);
}

static void set_config_ok(struct agent *a, int ok, bool reload)
{
	pthread_mutex_lock(&a->lock);
	a->health.config_ok = ok;
	if (reload)
		a->health.reloads++;
	if (reload && !ok)
		a->health.reload_errors++;
	pthread_mutex_unlock(&a->lock);
}

/* One line per warning about a valid config. */
static void config_warn(const struct config *c, const char *path, FILE *out)
{
	char msg[512];
	size_t pos = 0;

	while (config_next_warning(c, path, &pos, msg, sizeof(msg))) {
		if (out)
			fprintf(out, "vmmerged: warning: %s\n", msg);
		else
			log_warn("%s", msg);
	}
}

static void ksm_set_stopped(struct agent *a, int stopped)
{
	pthread_mutex_lock(&a->lock);
	a->ksm.stopped = stopped;
	if (stopped)
		a->ksm.stops++;
	pthread_mutex_unlock(&a->lock);
}

/*
 * Put back the run value found before we stopped ksmd, if we hold it
 * stopped: on stop, and when a reload switches tuning or stop_when_idle
 * off.  Then ksmd runs as the host's other KSM users left it.
 */
static void ksm_run_put_back(struct agent *a, const char *why)
{
	int err;

	if (!a->ksm_idle.stopped)
		return;
	err = ksm_run_write(KSM_SYSFS, a->ksm_run_found);
	if (err)
		log_err("ksm: Unable to put back run=%u: %s", a->ksm_run_found,
			strerror(-err));
	else
		log_info("ksm: put back run=%u (%s)", a->ksm_run_found, why);
	a->ksm_idle.stopped = false;
	a->ksm_idle.slow = false;	/* count idle_after afresh */
	ksm_set_stopped(a, 0);
}

/*
 * Put back the rate KSM had before the tuner first changed it, then run:
 * on stop, and when a reload switches tuning off.  Other KSM users of the
 * host then find ksmd as they left it, not at our last (possibly fastest)
 * rate, nor stopped.
 */
static void ksm_put_back(struct agent *a, const char *why)
{
	int err;

	if (a->ksm_found_set) {
		err = ksm_write(KSM_SYSFS, &a->ksm_found);
		if (err)
			log_err("ksm: Unable to put back pages_to_scan=%u "
				"sleep_millisecs=%u: %s",
				a->ksm_found.pages_to_scan,
				a->ksm_found.sleep_ms, strerror(-err));
		else
			log_info("ksm: put back pages_to_scan=%u "
				 "sleep_millisecs=%u%s%s (%s)",
				 a->ksm_found.pages_to_scan,
				 a->ksm_found.sleep_ms,
				 a->ksm_found.advisor[0] ? " advisor_mode=" : "",
				 a->ksm_found.advisor, why);
		a->ksm_found_set = false;
	}
	ksm_run_put_back(a, why);
	pthread_mutex_lock(&a->lock);
	a->ksm.active = 0;
	pthread_mutex_unlock(&a->lock);
}

/* SIGHUP: a bad file leaves the running config in force. */
static void reload(struct agent *a)
{
	struct config next;
	char err[512];
	bool relisten;

	sd_notify(0, "RELOADING=1");
	if (config_load(a->cfg_path, &next, err, sizeof(err))) {
		log_err("Unable to reload the configuration: %s; keeping the "
			"running one", err);
		set_config_ok(a, 0, true);
		sd_notify(0, "READY=1\nSTATUS=reload refused, see the log");
		return;
	}
	relisten = strcmp(next.listen_host, a->cfg.listen_host) ||
		next.listen_port != a->cfg.listen_port;
	config_free(&a->cfg);
	a->cfg = next;
	if (!a->cfg.ksm.tune)
		ksm_put_back(a, "tuning switched off");
	else if (!a->cfg.ksm.stop_when_idle)
		ksm_run_put_back(a, "stop_when_idle switched off");
	sync_forget_refused(a);	/* the new rules may take them */
	set_config_ok(a, 1, true);
	log_info("reloaded %s: %zu rules, %zu domains", a->cfg_path,
		 a->cfg.nr_rules, a->cfg.nr_domains);
	config_warn(&a->cfg, a->cfg_path, NULL);
	if (relisten || !a->http) {
		http_stop(a->http);
		a->http = NULL;
		start_http(a);
	}
	if (a->nl && !sync_domains(a))
		sync_reconcile(a);
	sd_notify(0, "READY=1\nSTATUS=running");
}

/* 1 to go on, 0 to stop. */
static int on_signal(struct agent *a, int fd)
{
	struct signalfd_siginfo si;

	while (read(fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			reload(a);
			continue;
		}
		log_info("stopping on signal %u; the module keeps its VMs",
			 si.ssi_signo);
		return 0;
	}
	return 1;
}

static void ksm_running_check(struct agent *a, unsigned int run)
{
	bool ours = a->ksm_idle.stopped && run == 0;

	if (run != 1 && !ours && !a->told_ksm_stopped)
		log_warn("ksm: not running (" KSM_SYSFS "/run is %u): enrolled "
			 "VMs will not merge until it is 1", run);
	a->told_ksm_stopped = run != 1 && !ours;
}

static uint64_t now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/* Write @next, the rate ksm_decide() chose over @cur, and log it. */
static void ksm_set_rate(struct agent *a, const struct ksm_rate *cur,
			 const struct ksm_rate *next, const char *why)
{
	int err;

	if (!a->ksm_found_set) {
		a->ksm_found = *cur;
		a->ksm_found_set = true;
		log_info("ksm: found pages_to_scan=%u sleep_millisecs=%u%s%s, put "
			 "back on stop", cur->pages_to_scan, cur->sleep_ms,
			 cur->advisor[0] ? " advisor_mode=" : "", cur->advisor);
		if (cur->advisor[0] && strcmp(cur->advisor, "none"))
			log_info("ksm: the kernel's advisor (advisor_mode=%s) is "
				 "switched off while vmmerged tunes ksmd",
				 cur->advisor);
	}
	err = ksm_write(KSM_SYSFS, next);
	if (err) {
		log_err("ksm: Unable to set pages_to_scan=%u sleep_millisecs=%u: "
			"%s", next->pages_to_scan, next->sleep_ms, strerror(-err));
		return;
	}
	log_info("ksm: pages_to_scan %u -> %u, sleep_millisecs %u -> %u: %s",
		 cur->pages_to_scan, next->pages_to_scan, cur->sleep_ms,
		 next->sleep_ms, why);
	pthread_mutex_lock(&a->lock);
	a->ksm.rate = *next;
	a->ksm.changes++;
	pthread_mutex_unlock(&a->lock);
}

/*
 * stop_when_idle: stop ksmd after idle_after s of "slow", start it on work;
 * merge_within: hold work for a quiet ksmd until its burst is due.  @act is
 * ksm_idle_decide()'s answer, @idle the seconds "slow" before it.
 */
static void ksm_idle(struct agent *a, enum ksm_run_action act,
		     unsigned int run, uint64_t idle,
		     const struct ksm_rate *rate, const char *why,
		     unsigned int burst_s)
{
	unsigned int within = a->cfg.ksm.merge_within;
	int err;

	switch (act) {
	case KSM_RUN_KEEP:
		return;
	case KSM_RUN_HOLD:
		log_info("ksm: holding ksmd %s for up to %u s to serve more "
			 "work with one burst (merge_within=%u, a burst takes "
			 "~%u s): %s", a->ksm_idle.stopped ? "stopped" : "slow",
			 within > burst_s ? within - burst_s : 0, within,
			 burst_s, why);
		pthread_mutex_lock(&a->lock);
		a->ksm.holds++;
		pthread_mutex_unlock(&a->lock);
		return;
	case KSM_RUN_TAKEN:
		log_warn("ksm: run is %u, not 0 as vmmerged left it: someone "
			 "else runs ksmd now; stopping it again after %u s of "
			 "nothing to merge", run, a->cfg.ksm.idle_after);
		ksm_set_stopped(a, 0);
		return;
	case KSM_RUN_STOP:
		a->ksm_run_found = run;	/* 1: we stop only a running ksmd */
		err = ksm_run_write(KSM_SYSFS, 0);
		if (err) {
			a->ksm_idle.stopped = false;
			log_err("ksm: Unable to stop ksmd (run=0): %s",
				strerror(-err));
			return;
		}
		log_info("ksm: stopping ksmd (run=0): nothing left to merge for "
			 "%llu s (%s); merged pages stay merged",
			 (unsigned long long)idle, why);
		ksm_set_stopped(a, 1);
		return;
	case KSM_RUN_START:
		err = ksm_run_write(KSM_SYSFS, 1);
		if (err) {
			a->ksm_idle.stopped = true;
			log_err("ksm: Unable to start ksmd (run=1): %s",
				strerror(-err));
			return;
		}
		log_info("ksm: starting ksmd (run=1) at pages_to_scan=%u "
			 "sleep_millisecs=%u: %s", rate->pages_to_scan,
			 rate->sleep_ms, why);
		pthread_mutex_lock(&a->lock);
		a->ksm.stopped = 0;
		a->ksm.starts++;
		pthread_mutex_unlock(&a->lock);
		return;
	}
}

/* The module's min_samples knob; its default where it cannot be read. */
static uint64_t module_min_samples(void)
{
	unsigned int v;

	return sysfs_read_uint("/sys/kernel/vmmerge", "min_samples", &v) ? 256 : v;
}

/*
 * What ksmd has been over: its full_scans, and each enrolled VMM's
 * ksm_rmap_items into @rmap (0 where it cannot be read: then only
 * full_scans tells).  Returns @rmap's array, which the caller frees.
 */
static uint64_t *ksm_scan_read(const struct vmm_vm *vms, size_t nr,
			       struct ksm_scan *scan)
{
	uint64_t *rmap = calloc(nr ? nr : 1, sizeof(*rmap));
	unsigned int full;
	size_t i;

	scan->full_scans = sysfs_read_uint(KSM_SYSFS, "full_scans", &full) ?
			   0 : full;
	for (i = 0; rmap && i < nr; i++)
		if (vms[i].state == VMMERGE_VM_ENROLLED &&
		    ksm_rmap_items_read(vms[i].pid, &rmap[i]))
			rmap[i] = 0;
	scan->rmap_items = rmap;
	return rmap;
}

/* Every KSM_TUNE_TICKS: set ksmd's rate from the module's estimates. */
static void tune_ksm(struct agent *a)
{
	struct ksm_rate cur, next;
	enum ksm_run_action act;
	struct ksm_scan scan;
	uint64_t *rmap;
	unsigned int run, burst;
	enum ksm_level level;
	struct ksm_input in;
	uint64_t now, idle;
	struct vmm_vm *vms;
	char why[160];
	size_t nr;

	if (!a->cfg.ksm.tune || !a->nl || ++a->tune_ticks < KSM_TUNE_TICKS)
		return;
	a->tune_ticks = 0;
	if (vnl_dump_vms(a->nl, &vms, &nr))
		return;
	rmap = ksm_scan_read(vms, nr, &scan);
	ksm_input_from(vms, nr, module_min_samples(), &scan, &a->enrolled,
		       &a->nr_enrolled, &in);
	free(rmap);
	free(vms);
	if (ksm_run_read(KSM_SYSFS, &run))
		run = 0;
	ksm_running_check(a, run);
	if (ksm_read(KSM_SYSFS, &cur))
		memset(&cur, 0, sizeof(cur));
	pthread_mutex_lock(&a->lock);
	a->ksm.active = 1;
	a->ksm.remaining = in.remaining;
	pthread_mutex_unlock(&a->lock);
	ksm_decide_level(&a->cfg.ksm, &in, &cur, &next, why, sizeof(why),
			 &level);
	burst = ksm_burst_secs(&a->cfg.ksm, in.enrolled_pages);
	now = now_seconds();
	idle = now - a->ksm_idle.slow_since;
	act = ksm_idle_decide(&a->cfg.ksm, &a->ksm_idle, level, run, now, burst);
	if (ksm_rate_after_idle(&a->cfg.ksm, &a->ksm_idle, &cur, &next))
		ksm_set_rate(a, &cur, &next, why);
	ksm_idle(a, act, run, idle, &next, why, burst);
}

static void on_timer(struct agent *a, int fd, bool watchdog)
{
	uint64_t n;

	if (read(fd, &n, sizeof(n)) < 0)
		return;
	if (watchdog)
		sd_notify(0, "WATCHDOG=1");
	sync_tick(a);
	tune_ksm(a);
}

static const struct procconn_ops proc_ops = {
	.exec = sync_exec,
	.exit = sync_exit,
};

static void loop(struct agent *a, int sfd, int tfd, struct procconn *pc)
{
	uint64_t usec = 0;
	bool watchdog = sd_watchdog_enabled(0, &usec) > 0;
	struct pollfd fds[NR_FDS];

	for (;;) {
		fds[FD_SIGNAL] = (struct pollfd){ .fd = sfd, .events = POLLIN };
		fds[FD_TIMER] = (struct pollfd){ .fd = tfd, .events = POLLIN };
		fds[FD_PROC] = (struct pollfd){ .fd = pc ? procconn_fd(pc) : -1,
						.events = POLLIN };
		fds[FD_EVENTS] = (struct pollfd){ .fd = a->ev ? vnl_fd(a->ev) :
						  -1, .events = POLLIN };
		fds[FD_WATCH] = (struct pollfd){ .fd = a->watch ?
						 vnl_fd(a->watch) : -1,
						 .events = POLLIN };
		fds[FD_MEMSLOT] = (struct pollfd){ .fd = a->memslot ?
						   memslot_fd(a->memslot) : -1,
						   .events = POLLIN };
		if (poll(fds, NR_FDS, -1) < 0 && errno != EINTR)
			return;
		if (fds[FD_SIGNAL].revents && !on_signal(a, sfd))
			return;
		if (fds[FD_PROC].revents &&
		    procconn_read(pc, &proc_ops, a) == -ENOBUFS)
			sync_reconcile(a);	/* events were lost */
		if (fds[FD_EVENTS].revents && a->ev &&
		    vnl_read_events(a->ev, sync_event, a) < 0)
			sync_disconnect(a);
		if (fds[FD_WATCH].revents &&
		    vnl_watch_read(a->watch, sync_family, a) < 0)
			sync_reconcile(a);	/* notifications were lost */
		if (fds[FD_MEMSLOT].revents &&
		    memslot_read(a->memslot, sync_memslot, a) < 0)
			log_warn("Unable to read KVM memslot events");
		if (fds[FD_TIMER].revents)
			on_timer(a, tfd, watchdog);
	}
}

static int usage(const char *prog, int status)
{
	fprintf(status ? stderr : stdout,
		"Usage: %s [-c CONFIG] [--check-config]\n"
		"  -c, --config FILE  configuration (default " CFG_DEFAULT_PATH
		")\n"
		"  --check-config     parse the configuration, report, exit\n"
		"  --version          print the version, exit\n"
		"See vmmerged(8) and vmmerged.conf(5).\n", prog);
	return status;
}

static int parse_args(int argc, char **argv, struct agent *a, bool *check)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", no_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	a->cfg_path = CFG_DEFAULT_PATH;
	while ((c = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
		if (c == 'c')
			a->cfg_path = optarg;
		else if (c == 'C')
			*check = true;
		else if (c == 'h')
			exit(usage(argv[0], 0));
		else if (c == 'V')
			exit(printf("vmmerged %s\n", vmmerge_version) < 0);
		else
			return -EINVAL;
	}
	return optind == argc ? 0 : -EINVAL;
}

/*
 * The sources in use: as configured, but /proc instead of the memslot
 * probe when it cannot attach here.  Read once, at start.
 */
static void open_sources(struct agent *a)
{
	char why[256];
	int err;

	a->sources = a->cfg.sources;
	if (!(a->sources & CFG_SRC_BPF))
		return;
	err = memslot_open(&a->memslot, why, sizeof(why));
	if (!err) {
		log_info("KVM memslot probe attached: new VMMs are found by "
			 "their guest RAM slots");
		return;
	}
	a->sources = (a->sources & ~CFG_SRC_BPF) | CFG_SRC_PROC;
	log_warn("KVM memslot probe unavailable: %s; discovering VMMs through "
		 "the proc connector and /proc/PID/maps instead", why);
}

static int run(struct agent *a)
{
	struct procconn *pc = NULL;
	int sfd = open_signalfd(), tfd = open_timerfd(), err;

	if (sfd < 0 || tfd < 0) {
		log_err("Unable to set up signals and timers: %s",
			strerror(errno));
		return 1;
	}
	open_sources(a);
	err = a->sources & CFG_SRC_PROC ? procconn_open(&pc) : 0;
	if (err)
		log_warn("Unable to listen to process events: %s; discovering "
			 "VMMs every %u s only", strerror(-err),
			 a->cfg.rescan_interval);
	err = vnl_watch_open(&a->watch);
	if (err)
		log_warn("Unable to watch for the module being loaded: %s; "
			 "polling for it", strerror(-err));
	start_http(a);
	sync_tick(a);
	sd_notify(0, "READY=1\nSTATUS=running");
	loop(a, sfd, tfd, pc);
	sd_notify(0, "STOPPING=1");
	ksm_put_back(a, "stopping");
	http_stop(a->http);
	procconn_close(pc);
	memslot_close(a->memslot);
	slots_free(&a->slots);
	vnl_close(a->nl);
	vnl_close(a->ev);
	vnl_close(a->watch);
	close(tfd);
	close(sfd);
	return 0;
}

int main(int argc, char **argv)
{
	struct agent a = { .lock = PTHREAD_MUTEX_INITIALIZER };
	bool check = false;
	char err[512];
	int ret;

	log_init();
	if (parse_args(argc, argv, &a, &check))
		return usage(argv[0], 1);
	if (config_load(a.cfg_path, &a.cfg, err, sizeof(err))) {
		fprintf(stderr, "vmmerged: Unable to load the configuration: "
			"%s\n", err);
		return 1;
	}
	if (check) {
		config_warn(&a.cfg, a.cfg_path, stderr);
		printf("%s: ok, %zu rules, %zu domains\n", a.cfg_path,
		       a.cfg.nr_rules, a.cfg.nr_domains);
		config_free(&a.cfg);
		return 0;
	}
	config_warn(&a.cfg, a.cfg_path, NULL);
	a.health.config_ok = 1;
	a.health.start_time = (double)time(NULL);
	ret = run(&a);
	config_free(&a.cfg);
	free(a.pending);
	free(a.refused);
	free(a.enrolled);
	return ret;
}
