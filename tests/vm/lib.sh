# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2004
#
# Library for the in-VM test scripts (tests/vm/*.sh). Source it:
#     . "$VMT_REPO/tests/vm/lib.sh"   (or relative to the script)
# The scripts run inside the test VM (tests/vm/run-vm), in `chroot /host`,
# as root, with the host's bash, coreutils and python3.
#
# Results   pass NAME | fail NAME MSG | check NAME CMD... |
#           expect_fail NAME ERRNO CMD... | die MSG | log MSG...
# Kernel    klog_mark | klog_check NAME | module_load [PARAM=V...] |
#           module_unload | module_loaded
# KSM       ksm_start [PAGES_TO_SCAN] [SLEEP_MS] | ksm_stop [RUN_VALUE] |
#           ksm_get NAME | ksm_merging_pages PID
# microVMs  microvm_start N [options] | microvm_cmd I CMD [TIMEOUT] |
#           microvm_kill I | microvm_stop_all
#           Per VM I: MV_PID[I] MV_RAM_START[I] (0x hex) MV_RAM_END[I]
#           MV_RAM_LEN[I] (bytes) MV_MEM[I] (MiB) MV_SOCK[I] MV_QMP[I]
#           MV_LOG[I] MV_NAME[I]; files $MV_DIR/vmI.pid and $MV_DIR/vmI.ram
#           ("START_HEX END_HEX LEN_BYTES"). MV_COUNT = VMs started so far.
# vmmerge   nl | knob | vm_field | vm_state | vmm_add | wait_until (below)
# Cleanup   on_exit CMD... (run at exit, before the library's own cleanup:
#           microVMs stopped, KSM stopped if ksm_start was used, module
#           unloaded if this script loaded it).
# Test scripts should not exit on a failed case; a script that exits
# non-zero (set -e, die, crash) is reported as failed by the runner.

VMT_REPO=${VMT_REPO:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
VMT_RESULTS=${VMT_RESULTS:-/dev/stdout}
VMT_SCRIPT=${VMT_SCRIPT:-$(basename "$0")}
VMT_STATE=${VMT_STATE:-/tmp/vmt}
VMT_KLOG_BAD=${VMT_KLOG_BAD:-'WARNING:|BUG:|Oops|general protection|refcount_t|list_add corruption|leak'}
# The module built for the running kernel (make module: build/module/RELEASE).
VMT_MODULE=${VMT_MODULE:-$VMT_REPO/build/module/$(uname -r)/vmmerge.ko}
VMT_PASSED=0
VMT_FAILED=0
mkdir -p "$VMT_STATE"

# ---------------------------------------------------------------- results

log() { echo "[$VMT_SCRIPT] $*" >&2; }

_result() { echo "$*" >>"$VMT_RESULTS"; echo "[$VMT_SCRIPT] $*" >&2; }

pass() {
	VMT_PASSED=$((VMT_PASSED + 1))
	_result "ok $1"
}

fail() {
	local name=$1
	shift
	VMT_FAILED=$((VMT_FAILED + 1))
	local msg
	# One line per result, whatever the message holds; long messages are
	# cut on the result port but logged whole on the console.
	msg=$(tr -s '\n\r\t' '   ' <<<"$*" | sed 's/ *$//')
	if [ ${#msg} -gt 300 ]; then
		log "FAIL $name (full message): $msg"
		msg="${msg:0:300}... (cut, see the console log)"
	fi
	_result "FAIL $name: $msg"
}

# check NAME CMD...: run CMD (output to the console); pass if it succeeds.
check() {
	local name=$1 rc=0
	shift
	log "\$ $*"
	"$@" || rc=$?
	if [ "$rc" = 0 ]; then pass "$name"; else fail "$name" "'$*' exited with status $rc"; fi
	return "$rc"
}

# expect_fail NAME ERRNO CMD...: pass if CMD fails and its stderr names ERRNO
# (e.g. EPERM: either the symbol or its strerror text); ERRNO '-' accepts
# any failure.
expect_fail() {
	local name=$1 errno=$2 rc=0 err text
	shift 2
	log "\$ $* (expect failure $errno)"
	err=$("$@" 2>&1 >/dev/null) || rc=$?
	[ -z "$err" ] || log "stderr: $err"
	if [ "$rc" = 0 ]; then
		fail "$name" "'$*' succeeded, expected $errno"
		return 1
	fi
	if [ "$errno" != - ]; then
		text=$(python3 -c 'import errno,os,sys; print(os.strerror(getattr(errno, sys.argv[1])))' "$errno" 2>/dev/null) || text=
		if ! grep -qF -e "$errno" <<<"$err" && { [ -z "$text" ] || ! grep -qiF -e "$text" <<<"$err"; }; then
			fail "$name" "'$*' failed (status $rc) but not with $errno: $err"
			return 1
		fi
	fi
	pass "$name"
}

# die MSG: report the script as failed with MSG and stop it.
die() {
	fail "$VMT_SCRIPT" "aborted: $*"
	: >"$VMT_STATE/aborted.$VMT_SCRIPT"
	exit 1
}

# ---------------------------------------------------------------- kernel log

# klog_mark: remember where the kernel log ends; klog_check NAME fails NAME
# (and returns 1) if lines added since then match VMT_KLOG_BAD.
klog_mark() { VMT_KLOG_LINES=$(dmesg | wc -l); }

klog_check() {
	local name=$1 bad
	bad=$(dmesg | tail -n +"$((${VMT_KLOG_LINES:-0} + 1))" | grep -E "$VMT_KLOG_BAD") || true
	klog_mark
	if [ -n "$bad" ]; then
		log "kernel log:"
		echo "$bad"
		fail "$name" "kernel log: $(head -n 1 <<<"$bad")"
		return 1
	fi
	return 0
}

module_loaded() { [ -d /sys/module/vmmerge ]; }

# module_load [PARAM=VALUE...]: insmod $VMT_MODULE. Reports a
# failed case `module-load` on error or kernel warnings; silent on success.
module_load() {
	local rc=0
	[ -f "$VMT_MODULE" ] ||
		{ fail module-load "$VMT_MODULE not built (make module KVER=$(uname -r))"; return 1; }
	klog_mark
	log "insmod $VMT_MODULE $*"
	insmod "$VMT_MODULE" "$@" || rc=$?
	if [ "$rc" != 0 ]; then
		fail module-load "insmod exited with status $rc"
		dmesg | tail -n 20
		return 1
	fi
	VMT_MODULE_LOADED_HERE=1
	klog_check module-load || return 1
}

# module_unload: rmmod vmmerge; reports `module-unload` on error or warnings.
module_unload() {
	local rc=0
	klog_mark
	log "rmmod vmmerge"
	rmmod vmmerge || rc=$?
	if [ "$rc" != 0 ]; then
		fail module-unload "rmmod exited with status $rc"
		return 1
	fi
	VMT_MODULE_LOADED_HERE=
	klog_check module-unload || return 1
}

# ---------------------------------------------------------------- KSM

VMT_KSM=/sys/kernel/mm/ksm

ksm_get() { cat "$VMT_KSM/$1"; }

# ksm_start [PAGES_TO_SCAN] [SLEEP_MS]: run ksmd fast (default 1000 pages
# every 20 ms). ksm_stop [RUN]: write RUN (default 2 = stop and unmerge
# everything) to run, restore the previous rate.
ksm_start() {
	if [ -z "$VMT_KSM_SAVED" ]; then
		VMT_KSM_SAVED="$(ksm_get pages_to_scan) $(ksm_get sleep_millisecs)"
	fi
	echo "${1:-1000}" >"$VMT_KSM/pages_to_scan"
	echo "${2:-20}" >"$VMT_KSM/sleep_millisecs"
	echo 1 >"$VMT_KSM/run"
	log "ksm running: pages_to_scan=$(ksm_get pages_to_scan) sleep_millisecs=$(ksm_get sleep_millisecs)"
}

ksm_stop() {
	echo "${1:-2}" >"$VMT_KSM/run"
	if [ -n "$VMT_KSM_SAVED" ]; then
		# shellcheck disable=SC2086 # two numbers, split on purpose
		set -- $VMT_KSM_SAVED
		echo "$1" >"$VMT_KSM/pages_to_scan"
		echo "$2" >"$VMT_KSM/sleep_millisecs"
		VMT_KSM_SAVED=
	fi
	log "ksm stopped (run=$(ksm_get run))"
}

# ksm_merging_pages PID: pages of PID currently merged by KSM.
ksm_merging_pages() { cat "/proc/$1/ksm_merging_pages"; }

# ksm_report: one log line with the global KSM counters.
ksm_report() {
	local f s=""
	for f in pages_shared pages_sharing pages_unshared pages_volatile full_scans; do
		s+=" $f=$(ksm_get $f)"
	done
	log "ksm:$s"
}

# ---------------------------------------------------------------- microVMs

MV_DIR=${MV_DIR:-$VMT_STATE/microvm}
MV_COUNT=${MV_COUNT:-0}
declare -a MV_PID MV_RAM_START MV_RAM_END MV_RAM_LEN MV_MEM MV_SOCK MV_QMP MV_LOG MV_NAME
VMT_CONSOLE_HELPER=$VMT_REPO/tests/vm/microvm-console

# The cloud kernel nested guests boot (the one tests/guest/build used).
_mv_default_kernel() {
	local k
	k=$(cat "$VMT_REPO/build/guest/kernel-release" 2>/dev/null) || true
	if [ -n "$k" ] && [ -r "/boot/vmlinuz-$k" ]; then echo "/boot/vmlinuz-$k"; return; fi
	printf '%s\n' /boot/vmlinuz-*-cloud-amd64 | sort -V | tail -n 1
}

# _mv_find_ram I [quiet]: find VM I's guest RAM, the anonymous private rw
# mapping of exactly MV_MEM[I] MiB in the VMM's /proc/PID/maps; "quiet"
# while polling (no log line for each miss).
_mv_find_ram() {
	local i=$1 want=$((MV_MEM[$1] * 1048576)) range perms inode path s e n=0 found=
	[ -r "/proc/${MV_PID[$i]}/maps" ] || return 1
	while read -r range perms _ _ inode path; do
		if [ "$perms" != rw-p ] || [ "$inode" != 0 ] || [ -n "$path" ]; then continue; fi
		# A VMM that is still exec'ing or already exiting can give a torn
		# line; $((16#...)) on it would abort the whole calling script.
		case "$range" in *[!0-9a-f-]* | -* | *- | *-*-* | '') continue ;; esac
		s=$((16#${range%-*}))
		e=$((16#${range#*-}))
		if [ $((e - s)) = "$want" ]; then
			n=$((n + 1))
			found=$range
		fi
	done <"/proc/${MV_PID[$i]}/maps"
	if [ "$n" != 1 ]; then
		[ "$2" = quiet ] ||
			log "vm$i: $n anonymous mappings of ${MV_MEM[$i]} MiB in /proc/${MV_PID[$i]}/maps (want 1)"
		return 1
	fi
	MV_RAM_START[$i]=0x${found%-*}
	MV_RAM_END[$i]=0x${found#*-}
	MV_RAM_LEN[$i]=$want
	echo "${MV_RAM_START[$i]} ${MV_RAM_END[$i]} ${MV_RAM_LEN[$i]}" >"$MV_DIR/vm$i.ram"
}

# KVM's halt polling (up to 200 us of wall time after each guest HLT) is
# off: under TCG that busy-waiting costs the test VM far more than the
# guests' own work, and a few dozen idle guests would use up its CPU.
_mv_kvm_ready() {
	if [ ! -c /dev/kvm ]; then
		log "modprobe kvm_amd"
		modprobe kvm_amd || return 1
	fi
	[ ! -w /sys/module/kvm/parameters/halt_poll_ns ] ||
		echo 0 >/sys/module/kvm/parameters/halt_poll_ns
	[ -c /dev/kvm ]
}

# _mv_tcg_args: in microvm_start's args, TCG for nested KVM. Under TCG the
# guest has no kvmclock and its TSC frequency cannot be measured, so it
# needs a legacy timer: with microvm's (hardware-reduced) ACPI the kernel
# assumes there is no PIC or PIT, gets no timer interrupt and hangs in
# early boot ("tsc: Marking TSC unstable ..." and nothing more). acpi=off
# with pic/pit/rtc on boots it (135 s for one inside the TCG test VM).
_mv_tcg_args() {
	local a out=()
	for a in "${args[@]}"; do
		case "$a" in
		-enable-kvm) out+=(-accel tcg) ;;
		microvm,*) out+=("$a,acpi=off,pic=on,pit=on,rtc=on") ;;
		host) if [ "${out[-1]}" = -cpu ]; then out+=(max); else out+=("$a"); fi ;;
		*) out+=("$a") ;;
		esac
	done
	args=("${out[@]}")
}

# microvm_start N [--mem MB] [--kernel K] [--initrd I | --rootfs IMG]
#                 [--name PFX] [--append ARGS] [--timeout SEC] [--sequential]
#                 [--node N]  (numactl --membind=N: guest RAM on NUMA node N)
#                 [--mem-merge on|off]  (QEMU's mem-merge, default off)
#                 [--cpu MODEL]  (QEMU's -cpu under KVM, default host)
#                 [--no-wait]  (return once the guest RAM is mapped, booted
#                 or not)
#                 [--qemu ARG]  (one more QEMU argument, repeatable: a 9p
#                 share, a network device...)
# VM indexes continue from earlier calls (MV_COUNT); names are vmI, or
# PFX0..PFX(N-1) with --name. --rootfs boots the ext4 image IMG (made by
# `tests/guest/build --rootfs DIR IMG`, which also works inside the VM
# with IMG under /tmp) read-only as the guest's root disk.
# Start N nested microVMs (default 256 MiB, the cloud kernel, the guest
# initramfs of tests/guest/build), in parallel unless --sequential, wait
# until each printed `vmmerge-guest: ready` (default timeout 60 s + 40 s
# per VM) and locate its guest RAM. --append adds kernel arguments.
# Under the TCG test VM one microVM takes ~10 s to boot; parallel boots
# share the one CPU, so N take ~N*9 s either way. Reports a failed case `microvm-start`
# and returns 1 on any problem; VMs that did come up stay usable.
# --accel kvm|tcg (default $MV_ACCEL, else kvm): tcg runs the microVMs
# under TCG inside the test VM (-accel tcg -cpu max instead of -enable-kvm
# -cpu host): no /dev/kvm needed, and they survive a test VM with two vCPUs
# (run-vm --smp 2), where nested KVM guests livelock. Their guest RAM is
# one anonymous mapping all the same. They boot slowly (TCG inside TCG:
# 135 s for one, alone, on a loaded machine): the default timeout is
# MV_TCG_BOOT_SECS (default 600) per VM; with --no-wait a test registers
# them while they boot. Nested KVM guests get 60 s + MV_KVM_BOOT_SECS
# (default 40) per VM; the debug kernel (scripts/check-debug) needs more.
microvm_start() {
	local n=$1 mem=256 kernel="" initrd="" rootfs="" name="" append="" tmo="" seq=0 node=""
	local merge=off nowait=0 extra=() cpu=host
	local i first=$MV_COUNT rc=0 deadline args
	local accel=${MV_ACCEL:-kvm}
	shift
	while [ $# -gt 0 ]; do
		case "$1" in
		--accel) accel=$2; shift 2 ;;
		--mem) mem=$2; shift 2 ;;
		--kernel) kernel=$2; shift 2 ;;
		--initrd) initrd=$2; shift 2 ;;
		--rootfs) rootfs=$2; shift 2 ;;
		--name) name=$2; shift 2 ;;
		--append) append=$2; shift 2 ;;
		--timeout) tmo=$2; shift 2 ;;
		--sequential) seq=1; shift ;;
		--node) node=$2; shift 2 ;;
		--mem-merge) merge=$2; shift 2 ;;
		--cpu) cpu=$2; shift 2 ;;
		--no-wait) nowait=1; shift ;;
		--qemu) extra+=("$2"); shift 2 ;;
		*) fail microvm-start "microvm_start: unknown option $1"; return 1 ;;
		esac
	done
	[ -n "$kernel" ] || kernel=$(_mv_default_kernel)
	[ -n "$initrd" ] || initrd=$VMT_REPO/build/guest/initramfs.cpio
	case "$accel" in
	kvm) [ -n "$tmo" ] || tmo=$((60 + ${MV_KVM_BOOT_SECS:-40} * n)) ;;
	tcg) [ -n "$tmo" ] || tmo=$((60 + ${MV_TCG_BOOT_SECS:-600} * n)) ;;
	*) fail microvm-start "microvm_start: --accel takes kvm or tcg, not $accel"; return 1 ;;
	esac
	[ -r "$initrd" ] || { fail microvm-start "no guest initramfs $initrd (tests/guest/build)"; return 1; }
	if [ "$accel" = kvm ]; then
		_mv_kvm_ready || { fail microvm-start "/dev/kvm not available"; return 1; }
	fi
	mkdir -p "$MV_DIR"

	for ((i = first; i < first + n; i++)); do
		if [ -n "$name" ]; then MV_NAME[$i]=$name$((i - first)); else MV_NAME[$i]=vm$i; fi
		MV_MEM[$i]=$mem
		MV_SOCK[$i]=$MV_DIR/vm$i.sock
		MV_QMP[$i]=$MV_DIR/vm$i.qmp
		MV_LOG[$i]=$MV_DIR/vm$i.console.log
		rm -f "${MV_SOCK[$i]}" "${MV_QMP[$i]}" "${MV_LOG[$i]}"
		# shellcheck disable=SC2054 # commas belong to QEMU options
		args=(-M "microvm,mem-merge=$merge" -enable-kvm -cpu "$cpu" -smp 1 -m "$mem"
			-kernel "$kernel" -initrd "$initrd"
			-nodefaults -no-user-config -nographic -no-reboot -monitor none
			-name "${MV_NAME[$i]}"
			-chardev "socket,id=con,path=${MV_SOCK[$i]},server=on,wait=off,logfile=${MV_LOG[$i]}"
			-serial chardev:con
			-qmp "unix:${MV_QMP[$i]},server=on,wait=off")
		# microvm has no RTC under KVM and rtc_cmos would spend ~9 s probing
		# for one at nested-virtualization speed; the crypto self-tests
		# cost another second. Neither matters to the tests.
		local cmdline="console=ttyS0 quiet panic=-1 reboot=t"
		cmdline+=" initcall_blacklist=cmos_init cryptomgr.notests vmname=${MV_NAME[$i]}"
		if [ -n "$rootfs" ]; then
			# shellcheck disable=SC2054
			args+=(-drive "file=$rootfs,if=none,id=root,format=raw,readonly=on"
				-device virtio-blk-device,drive=root)
			cmdline+=" vmroot=/dev/vda"
		fi
		[ -z "$append" ] || cmdline+=" $append"
		args+=(-append "$cmdline" "${extra[@]}")
		[ "$accel" = kvm ] || _mv_tcg_args
		log "vm$i (${MV_NAME[$i]}): qemu-system-x86_64 ${args[*]}"
		# --node N: guest RAM (and the VMM) allocated on NUMA node N only.
		${node:+numactl --membind="$node" --} \
			qemu-system-x86_64 "${args[@]}" </dev/null >"$MV_DIR/vm$i.qemu.out" 2>&1 &
		MV_PID[$i]=$!
		echo "${MV_PID[$i]}" >"$MV_DIR/vm$i.pid"
		MV_COUNT=$((i + 1))
		MV_START_TIME[$i]=$SECONDS
		if [ "$nowait" = 1 ]; then
			# Not 2>/dev/null: a shell error in there would end the
			# caller's loops without a word (seen once in 200 cycles).
			wait_until 30 _mv_find_ram "$i" quiet || rc=1
		elif [ "$seq" = 1 ]; then
			_mv_wait_ready "$i" "$tmo" || rc=1
		fi
	done
	if [ "$seq" = 0 ] && [ "$nowait" = 0 ]; then
		deadline=$((SECONDS + tmo))
		for ((i = first; i < first + n; i++)); do
			_mv_wait_ready "$i" $((deadline - SECONDS)) || rc=1
		done
	fi
	for ((i = first; i < first + n; i++)); do
		kill -0 "${MV_PID[$i]}" 2>/dev/null || continue
		_mv_find_ram "$i" || { fail microvm-start "vm$i: guest RAM mapping not found"; rc=1; continue; }
		log "vm$i: pid ${MV_PID[$i]} ram ${MV_RAM_START[$i]}-${MV_RAM_END[$i]} (${MV_MEM[$i]} MiB)"
	done
	return $rc
}

# _mv_wait_ready I SEC: wait for VM I's boot-complete line.
_mv_wait_ready() {
	local i=$1 tmo=$2 end
	end=$((SECONDS + (tmo > 0 ? tmo : 1)))
	while [ "$SECONDS" -lt "$end" ]; do
		if grep -q 'vmmerge-guest: ready' "${MV_LOG[$i]}" 2>/dev/null; then
			log "vm$i: ready after $((SECONDS - MV_START_TIME[$i])) s"
			return 0
		fi
		if ! kill -0 "${MV_PID[$i]}" 2>/dev/null; then
			local st=0 how
			wait "${MV_PID[$i]}" 2>/dev/null || st=$?
			how="status $st"
			[ "$st" -le 128 ] || how="signal $(kill -l $((st - 128)) 2>/dev/null || echo $((st - 128)))"
			_mv_dump "$i"
			fail microvm-start "vm$i: VMM exited ($how) before the guest was ready: $(tail -n 3 "$MV_DIR/vm$i.qemu.out" | tr '\n' ' ') console: $(_mv_console_tail "$i")"
			return 1
		fi
		sleep 0.5
	done
	_mv_dump "$i"
	fail microvm-start "vm$i: not ready after $tmo s; console: $(_mv_console_tail "$i")"
	return 1
}

_mv_console_tail() { tail -c 200 "${MV_LOG[$1]}" 2>/dev/null | tr -d '\r' | tr '\n' ' '; }

# _mv_dump I: copy the end of VM I's console and VMM output to our console.
_mv_dump() {
	log "vm$1: last 40 console lines:"
	tail -n 40 "${MV_LOG[$1]}" 2>/dev/null | tr -d '\r' | sed "s/^/  vm$1| /" >&2
	if [ -s "$MV_DIR/vm$1.qemu.out" ]; then
		log "vm$1: VMM output:"
		sed "s/^/  vm$1| /" "$MV_DIR/vm$1.qemu.out" >&2
	fi
}

# microvm_cmd I CMD [TIMEOUT]: run CMD (one line) in VM I's shell, print
# its output, return its exit status (124 timeout, 125 console unreachable).
microvm_cmd() {
	local i=$1 cmd=$2 tmo=${3:-60}
	log "vm$i\$ $cmd"
	/usr/bin/python3 "$VMT_CONSOLE_HELPER" "${MV_SOCK[$i]}" "$tmo" "$cmd"
}

# microvm_kill I: kill VM I's VMM and reap it.
microvm_kill() {
	local i=$1 pid=${MV_PID[$1]}
	[ -n "$pid" ] || return 0
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	MV_PID[$i]=
	log "vm$i: killed"
}

# microvm_stop_all: kill every VMM this script started.
microvm_stop_all() {
	local i
	for ((i = 0; i < MV_COUNT; i++)); do
		[ -z "${MV_PID[$i]}" ] || microvm_kill "$i"
	done
}

# ---------------------------------------------------------------- vmmerge
# The module through tests/tools/nlcall and its sysfs/procfs files.
#   nl ARGS...            log and run nlcall
#   knob NAME VALUE       write /sys/kernel/vmmerge/NAME, log the result
#   vm_field ID FIELD     a field of VM ID as GET_VM reports it (vm.FIELD)
#   vm_state ID           its state in /proc/vmmerge/vms
#   vmm_add I GROUP       register microVM I (guest RAM as found) as VM I+1
#   wait_until SEC CMD... poll CMD every half second until it succeeds
#   vm_rows               "PID GROUP DOMAIN" of every registered VM, sorted
#   nr_vms                registered VMs
#   rows_as_expected      vm_rows equals the script's own expected_rows
#   agent_kill [SIG]      stop the vmmerged started as AGENT_PID

NL=$VMT_REPO/tests/tools/nlcall
SYS=/sys/kernel/vmmerge

nl() { log "nlcall $*"; "$NL" "$@"; }

knob() { echo "$2" >"$SYS/$1"; log "$1=$(cat "$SYS/$1")"; }

vm_field() {
	"$NL" get-vm "vm{" id="$1" "}" | tr ' ' '\n' | sed -n "s/^vm\.$2=//p"
}

vm_state() { awk -v id="$1" '$1 == id { print $7 }' /proc/vmmerge/vms; }

vmm_add() {
	local i=$1
	nl add-vm "vm{" id=$((i + 1)) name="${MV_NAME[$i]}" pid="${MV_PID[$i]}" \
		group="$2" "regions{" "region{" start="${MV_RAM_START[$i]}" \
		length="${MV_RAM_LEN[$i]}" "}" "}" "}"
}

wait_until() {
	local end=$((SECONDS + $1))
	shift
	while ! "$@"; do
		[ "$SECONDS" -lt "$end" ] || return 1
		sleep 0.5
	done
}

vm_rows() { awk 'NR > 1 { print $3, $4, $5 }' /proc/vmmerge/vms 2>/dev/null | sort; }

# slab_objects CACHE: how many objects of one of the module's slab caches
# (vmmerge_vm, vmmerge_group, vmmerge_domain) are allocated, exactly: with
# slub_debug's U (run-vm's default) SLUB lists every allocated object by call
# site in debugfs (slab/CACHE/alloc_traces, 5.14+).  Fails when the cache is
# missing, merged into another (a symlink in /sys/kernel/slab) or keeps no
# owners (booted with --no-memdebug).  The cache is shrunk first: under
# KASAN (the debug kernel) a freed object waits in KASAN's quarantine and
# SLUB still counts it (4 of 1,000 exited VMs were seen so), and
# kmem_cache_shrink() empties the quarantine of that cache
# (kasan_cache_shrink()); elsewhere it only hands empty slabs back.
slab_objects() {
	local dbg=/sys/kernel/debug f=/sys/kernel/debug/slab/$1/alloc_traces
	[ -d "/sys/kernel/slab/$1" ] && [ ! -L "/sys/kernel/slab/$1" ] ||
		{ log "slab_objects: no unmerged cache $1"; return 1; }
	echo 1 >"/sys/kernel/slab/$1/shrink" || return 1
	mountpoint -q "$dbg" || mount -t debugfs none "$dbg" || return 1
	[ -r "$f" ] || { log "slab_objects: no $f (slub_debug without U?)"; return 1; }
	awk '$1 ~ /^[0-9]+$/ { n += $1 } END { print n + 0 }' "$f"
}

# slab_expect CACHE N: slab_objects CACHE is N (logs both when not).
slab_expect() {
	local n
	n=$(slab_objects "$1") || return 1
	[ "$n" = "$2" ] || { log "$1: $n objects allocated, expected $2"; return 1; }
}

nr_vms() { awk 'NR > 1' /proc/vmmerge/vms | wc -l; }

rows_as_expected() { [ "$(vm_rows)" = "$(expected_rows)" ]; }

agent_kill() {
	[ -n "$AGENT_PID" ] || return 0
	kill -"${1:-TERM}" "$AGENT_PID" 2>/dev/null
	wait "$AGENT_PID" 2>/dev/null
	AGENT_PID=
}

# ---------------------------------------------------------------- cleanup

VMT_EXIT_HOOKS=()
on_exit() { VMT_EXIT_HOOKS+=("$*"); }

_vmt_exit() {
	local rc=$? h
	set +e
	for h in "${VMT_EXIT_HOOKS[@]}"; do eval "$h"; done
	microvm_stop_all
	[ -z "$VMT_KSM_SAVED" ] || ksm_stop
	if [ -n "$VMT_MODULE_LOADED_HERE" ] && module_loaded; then module_unload; fi
	log "$VMT_PASSED passed, $VMT_FAILED failed"
	exit "$rc"
}
trap _vmt_exit EXIT
