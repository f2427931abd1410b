# SPDX-License-Identifier: GPL-2.0
#
# What the vmmerge-place test (place-fleet.sh) needs beside lib.sh: the test
# VM's agent started on a config the script writes (write_config), and a
# real Prometheus scraping a list of targets. Source it after lib.sh.
#
#   place_agent_start PORT     prerequisites, module, scanner knobs, vmmerged
#   place_prom_start TARGET... prometheus on 127.0.0.1:9090, every target up
#   place_stop PID...          the processes gone, the agent's and
#                              Prometheus' logs on the console

AGENT=$VMT_REPO/agent/vmmerged
CTL=$VMT_REPO/agent/vmmergectl
PLACE=$VMT_REPO/tools/vmmerge-place
CONF=/tmp/place-vmmerged.conf
ALOG=/tmp/place-vmmerged.log
PLOG=/tmp/prometheus.log
PROMDIR=/tmp/prom
AGENT_PID=
PROM_PID=

place_agent_start() {
	[ -x "$AGENT" ] && [ -x "$CTL" ] || die "agent not built (make tools)"
	command -v prometheus >/dev/null || die "prometheus missing (Debian package prometheus)"
	ip link set lo up || die "cannot bring up lo"
	on_exit cleanup
	: >"$ALOG"
	write_config
	module_load || die "module did not load"
	knob estimate_interval_ms 500
	knob scan_cpu_permille 1000
	knob stats_interval_ms 500
	"$AGENT" -c "$CONF" >>"$ALOG" 2>&1 &
	AGENT_PID=$!
	wait_until 10 curl -sf -o /dev/null "http://127.0.0.1:$1/metrics" ||
		die "vmmerged did not come up"
}

# _place_targets_up N: Prometheus sees N targets up.
_place_targets_up() {
	curl -sf "http://127.0.0.1:9090/api/v1/query?query=sum(up)" |
		grep -q "\"value\":\[[0-9.]*,\"$1\"\]"
}

place_prom_start() {
	local t list=
	for t in "$@"; do list+="${list:+, }'$t'"; done
	mkdir -p "$PROMDIR/data"
	cat >"$PROMDIR/prometheus.yml" <<EOT
global:
  scrape_interval: 2s
  scrape_timeout: 1s
scrape_configs:
  - job_name: vmmerged
    static_configs:
      - targets: [$list]
EOT
	prometheus --config.file="$PROMDIR/prometheus.yml" --storage.tsdb.path="$PROMDIR/data" \
		--web.listen-address=127.0.0.1:9090 >"$PLOG" 2>&1 &
	PROM_PID=$!
	check prometheus-targets-up wait_until 180 _place_targets_up $#
}

place_stop() {
	local p
	for p in "$@"; do
		kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	log "agent log:"; sed 's/^/  vmmerged| /' "$ALOG" >&2
	log "prometheus log (tail):"; tail -n 15 "$PLOG" | sed 's/^/  prometheus| /' >&2
}
