#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# In-VM test of the agent's BPF discovery source: the KVM memslot probe
# (agent/daemon/memslot.bpf.c, fexit on __kvm_set_memory_region) on the test VM's
# 6.1 kernel, with real nested microVMs started after the agent.
#
#   qemu-system-x86_64 ──KVM_SET_USER_MEMORY_REGION──► kvm.ko
#                                                        │ fexit, ring buffer
#   vmmerged (sources = bpf only) ◄── pid, slot, uaddr, size
#      │  slots widened to their mappings (/proc/PID/maps)
#      ▼ genl
#   vmmerge.ko: tenant-a ── python3.11 ── python-0, python-1
#
# 0. kvm not loaded: the probe cannot attach; one clear line, the agent
#    falls back to /proc and keeps running (skipped if kvm is already in)
# 1. kvm loaded: the probe attaches; two microVMs started afterwards are
#    registered with regions equal to their guest RAM, found through
#    their memslots only (no proc connector, no /proc scan)
# 2. a VMM that exits leaves the registry
# 3. rmmod + insmod vmmerge: the agent re-feeds what the probe saw
. "$(dirname "$0")/lib.sh"

AGENT=$VMT_REPO/agent/vmmerged
CTL=$VMT_REPO/agent/vmmergectl
CONF=/tmp/vmmerged-bpf.conf
ALOG=/tmp/vmmerged-bpf.log
PORT=9874
URL=http://127.0.0.1:$PORT/metrics
MEM=256
AGENT_PID=

expected_rows() {
	local i
	for ((i = 0; i < MV_COUNT; i++)); do
		[ -z "${MV_PID[$i]}" ] || echo "${MV_PID[$i]} python3.11 tenant-a"
	done | sort
}

agent_start() {
	log "starting $AGENT -c $CONF"
	VMMERGED_DEBUG=1 "$AGENT" -c "$CONF" >>"$ALOG" 2>&1 &
	AGENT_PID=$!
	wait_until 20 curl -sf -o /dev/null "$URL"
}

metric() { curl -sf "$URL" | awk -v n="$1" '$1 == n { print $2 }'; }

# regions_of PID: "START LEN ..." of the VM the module has for PID.
regions_of() {
	"$CTL" vms --json | python3 -c '
import json, sys
pid = int(sys.argv[1])
for vm in json.load(sys.stdin):
    if vm["pid"] == pid:
        print(" ".join("%#x %d" % (r["start"], r["length"]) for r in vm["regions"]))
' "$1"
}

cat >"$CONF" <<EOF2
[agent]
listen = 127.0.0.1:$PORT
vmm = qemu-system-*
sources = bpf
default_stack = unclassified
default_domain = tenant-a
rescan_interval = 3600

[rule python]
cmdline = -name python-[0-9]+
stack = python3.11
EOF2

on_exit 'agent_kill; log "agent log (libbpf lines left out):"; grep -v "libbpf: " "$ALOG" | sed "s/^/  vmmerged| /" >&2'

[ -x "$AGENT" ] && [ -x "$CTL" ] || die "agent not built (make -C agent)"
ip link set lo up || die "cannot bring up lo"
: >"$ALOG"
module_load || die "module did not load"

# ---- 0. no kvm: fall back to /proc with one clear line
if [ -d /sys/module/kvm ]; then
	log "kvm already loaded at boot; fallback case skipped"
else
	agent_start || fail bpf-fallback-up "vmmerged did not come up without kvm"
	line=$(grep 'KVM memslot probe unavailable' "$ALOG")
	log "fallback: $line"
	if [ "$(grep -c 'KVM memslot probe unavailable' <<<"$line")" = 1 ] &&
		grep -q 'kvm module is not loaded.*proc connector' <<<"$line"; then
		pass bpf-fallback-no-kvm
	else
		fail bpf-fallback-no-kvm "log: $(grep -v 'libbpf: ' "$ALOG" | head -n 3)"
	fi
	kill -0 "$AGENT_PID" 2>/dev/null && pass bpf-fallback-keeps-running ||
		fail bpf-fallback-keeps-running "vmmerged exited"
	agent_kill TERM
	: >"$ALOG"
fi

# ---- 1. the probe attaches; microVMs found through their memslots
log "modprobe kvm_amd"
modprobe kvm_amd || die "modprobe kvm_amd failed"
[ -e /sys/kernel/btf/kvm ] && log "kvm BTF: $(stat -c %s /sys/kernel/btf/kvm) bytes"
agent_start || die "vmmerged did not come up"
if grep -q 'KVM memslot probe attached' "$ALOG"; then pass bpf-attached; else
	fail bpf-attached "$(grep 'memslot probe' "$ALOG")"
	grep 'libbpf: ' "$ALOG" | tail -n 20 >&2
fi
grep -q 'Unable to listen to process events\|proc connector' "$ALOG" &&
	log "note: proc connector mentioned in the log"

# When both VMs are in the module, against when the guests were ready.
( t=$(date +%s%N)
  while [ "$(awk 'NR > 1' /proc/vmmerge/vms | wc -l)" -lt 2 ] &&
	[ $(($(date +%s%N) - t)) -lt 120000000000 ]; do sleep 0.2; done
  echo $((($(date +%s%N) - t) / 1000000)) >/tmp/bpf-registered-ms ) &
watcher=$!
t0=$(date +%s%N)
microvm_start 2 --name python- --mem "$MEM" || die "microVMs did not start"
ready_ms=$((($(date +%s%N) - t0) / 1000000))
if wait_until 20 rows_as_expected; then
	pass bpf-discover-two
	wait "$watcher"
	log "both registered $(cat /tmp/bpf-registered-ms) ms after the VMMs were started; guests ready after $ready_ms ms"
else
	fail bpf-discover-two "module has [$(vm_rows | tr '\n' ';')] want [$(expected_rows | tr '\n' ';')]"
fi
cat /proc/vmmerge/vms >&2
ok=1
for ((i = 0; i < 2; i++)); do
	got=$(regions_of "${MV_PID[$i]}")
	want="${MV_RAM_START[$i]} ${MV_RAM_LEN[$i]}"
	log "vm$i (pid ${MV_PID[$i]}): module [$got] guest RAM [$want]"
	[ "$got" = "$want" ] || ok=0
done
[ "$ok" = 1 ] && pass bpf-regions-exact || fail bpf-regions-exact "see the log"
n=$(grep -c '(from its KVM memslots)' "$ALOG")
[ "$n" = 2 ] && pass bpf-registered-from-memslots ||
	fail bpf-registered-from-memslots "$n VMs registered from memslots"
log "memslot events: $(grep -c 'memslot: pid' "$ALOG")"
grep 'memslot: pid' "$ALOG" >&2
d=$(metric vmmerged_vmm_discovered_total)
r=$(metric vmmerged_vm_registered_total)
log "discovered $d registered $r"
[ "$d" = 2 ] && [ "$r" = 2 ] && pass bpf-metrics || fail bpf-metrics "discovered $d registered $r"

# ---- 2. exit
victim=${MV_PID[1]}
microvm_kill 1
if wait_until 2 eval "! awk -v p=$victim 'NR > 1 && \$3 == p' /proc/vmmerge/vms | grep -q ."; then
	pass bpf-exit-removed
else
	fail bpf-exit-removed "pid $victim still registered"
fi

# ---- 3. module reloaded: re-fed from what the probe saw
module_unload || die "rmmod failed"
sleep 1
module_load || die "insmod failed"
t0=$SECONDS
if wait_until 15 rows_as_expected; then
	pass bpf-module-reload-refed
	log "re-fed after $((SECONDS - t0)) s: $(regions_of "${MV_PID[0]}")"
else
	fail bpf-module-reload-refed "module has [$(vm_rows | tr '\n' ';')]"
fi
[ "$(regions_of "${MV_PID[0]}")" = "${MV_RAM_START[0]} ${MV_RAM_LEN[0]}" ] &&
	pass bpf-reload-regions || fail bpf-reload-regions "$(regions_of "${MV_PID[0]}")"

agent_kill TERM
grep -E 'Unable|error' "$ALOG" | grep -v 'libbpf: ' >&2 || true
