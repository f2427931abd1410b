#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# In-VM test of the module core: registry, enrolment through KSM, trust
# policy, statistics, events, unload.
#
#   domain tenantA ── group py   ── vm0, vm1     (4 QEMU -M microvm,
#                  └─ group node ── vm2, vm3      mem-merge=off guests)
#   domain secret (isolated) ── group sec        (vm2 moves here)
#   domain tenantB           ── group pyB        (vm3 moves here)
#
# 1. registered with enrol=0: ksmd runs, nothing of theirs merges
# 2. enrol=1: all four merge; module figures agree with ksm_merging_pages;
#    only the guest-RAM VMA of each VMM is mergeable
# 3. rmmod with four VMs enrolled and ksmd running: VMs keep running, and
#    their guest RAM is un-merged (no VMA left mergeable)
# 4. re-register; vm2 -> isolated domain, vm3 -> other domain: both end at 0
#    merged pages while vm0/vm1 keep merging; cross_domain=1 lets vm3 in
# 5. bad input: every refusal has its errno, the registry is unchanged
# 6. unprivileged caller: EPERM on every mutating command and on every
#    read but the host's totals; /proc/vmmerge is root's; ADD_VM needs the
#    right to ptrace the VMM
# 7. kill vm3's VMM: event, VM gone; a process reusing its pid is not added
# 8. DEL_VM killed during its un-merge: the VM is never gone while any of
#    its memory is still mergeable
. "$(dirname "$0")/lib.sh"

MEM=256

setup_registry() {
	nl new-domain "domain{" name=tenantA "}" &&
		nl new-group "group{" name=py domain=tenantA "}" &&
		nl new-group "group{" name=node domain=tenantA "}" &&
		vmm_add 0 py && vmm_add 1 py && vmm_add 2 node && vmm_add 3 node
}

all_merging() {
	local i
	for i in "$@"; do
		[ "$(ksm_merging_pages "${MV_PID[$i]}")" -gt 0 ] || return 1
	done
}

none_merging() {
	local i
	for i in "$@"; do
		[ "$(ksm_merging_pages "${MV_PID[$i]}")" = 0 ] || return 1
	done
}

# The module's merged count for VM I matches /proc/PID/ksm_merging_pages,
# read right after a refresh (so both describe the same moment, give or take
# what ksmd did within one stats interval).
figures_agree() {
	local i=$1 mod proc diff tol
	mod=$(vm_field $((i + 1)) stats.merged)
	proc=$(ksm_merging_pages "${MV_PID[$i]}")
	diff=$((mod > proc ? mod - proc : proc - mod))
	tol=$((proc / 50 + 8))
	log "vm$i: module merged=$mod, ksm_merging_pages=$proc"
	[ -n "$mod" ] && [ "$diff" -le "$tol" ]
}

# Only the guest-RAM VMA of VMM I carries KSM's "mg" flag.
only_ram_mergeable() {
	local i=$1 pid=${MV_PID[$1]} want
	want="${MV_RAM_START[$i]#0x}-${MV_RAM_END[$i]#0x}"
	local mg
	mg=$(awk '/^[0-9a-f]+-[0-9a-f]+ / { r = $1 } /^VmFlags:/ && / mg/ { print r }' \
		"/proc/$pid/smaps")
	log "vm$i: mergeable VMAs: $mg (guest RAM $want)"
	[ "$mg" = "$want" ]
}

# No VMA of VMM I is mergeable (KSM's "mg" flag).
nothing_mergeable() {
	! grep -q '^VmFlags:.* mg' "/proc/${MV_PID[$1]}/smaps"
}

ksm_converged() {
	local a b
	a=$(ksm_get pages_sharing)
	sleep 3
	b=$(ksm_get pages_sharing)
	log "pages_sharing $a -> $b"
	[ "$b" -gt 0 ] && [ $((b - a)) -le $((b / 100 + 16)) ]
}

snapshot() { # the registry without its moving figures
	{ "$NL" --dump get-domain; "$NL" --dump get-group; "$NL" --dump get-vm; } |
		tr ' ' '\n' | grep -v -e '\.stats\.' -e '\.estimate\.' -e '\.node=' | sort
}

[ -x "$NL" ] || die "$NL not built (make -C tests/tools)"
module_load || die "module did not load"
ksm_start 1000 20
microvm_start 4 --mem "$MEM" || die "microVMs did not start"
knob stats_interval_ms 500

# ---- 1. registered but not enrolled: KSM leaves them alone
knob enrol 0
check registry-setup setup_registry
for i in 0 1 2 3; do
	[ "$(vm_state $((i + 1)))" = registered ] && pass "state-registered-$i" ||
		fail "state-registered-$i" "state $(vm_state $((i + 1)))"
done
sleep 12
ksm_report
check not-enrolled-not-merged none_merging 0 1 2 3

# ---- 2. enrolment
knob enrol 1
for i in 0 1 2 3; do
	[ "$(vm_state $((i + 1)))" = enrolled ] && pass "state-enrolled-$i" ||
		fail "state-enrolled-$i" "state $(vm_state $((i + 1)))"
done
check enrolled-merge wait_until 120 all_merging 0 1 2 3
wait_until 120 ksm_converged || log "KSM still merging"
ksm_report
cat /proc/vmmerge/vms /proc/vmmerge/groups /proc/vmmerge/domains >&2
for i in 0 1 2 3; do
	check "figures-agree-$i" wait_until 10 figures_agree "$i"
	check "only-guest-ram-mergeable-$i" only_ram_mergeable "$i"
done
group_merged=$(awk '$1 == "py" { print $6 }' /proc/vmmerge/groups)
sum=$(($(vm_field 1 stats.merged) + $(vm_field 2 stats.merged)))
[ -n "$group_merged" ] && [ $((group_merged - sum)) -le $((sum / 20 + 64)) ] &&
	[ $((sum - group_merged)) -le $((sum / 20 + 64)) ] && pass group-sum ||
	fail group-sum "group py merged=$group_merged, vm sum=$sum"
saved=$(vm_field 1 stats.saved)
merged=$(vm_field 1 stats.merged)
[ "$saved" -gt 0 ] && [ "$saved" -le "$merged" ] && pass saved-share ||
	fail saved-share "saved=$saved merged=$merged"

# ---- 3. unload while enrolled and ksmd runs
before=$(ksm_merging_pages "${MV_PID[0]}")
check unload-enrolled module_unload
for i in 0 1 2 3; do
	out=$(microvm_cmd "$i" "echo alive-$i" 30)
	grep -q "alive-$i" <<<"$out" && pass "alive-after-unload-$i" ||
		fail "alive-after-unload-$i" "console: $out"
done
log "vm0 merged pages before unload $before"
for i in 0 1 2 3; do
	check "unload-unmerges-$i" nothing_mergeable "$i"
done
# ksm_merging_pages drops when ksmd next visits the un-merged ranges.
check unload-unmerged-pages wait_until 60 none_merging 0 1 2 3
module_load || die "module did not reload"
knob stats_interval_ms 500
check registry-setup-again setup_registry

# ---- 4. trust policy
check new-isolated-domain nl new-domain "domain{" name=secret flags=1 "}"
check new-domain-b nl new-domain "domain{" name=tenantB "}"
check new-group-sec nl new-group "group{" name=sec domain=secret "}"
check new-group-pyb nl new-group "group{" name=pyB domain=tenantB "}"
# Three events: vm2 isolated, vm3 refused (state), vm3 refused.
"$NL" --listen 30 --count 3 >"$VMT_STATE/refused.log" 2>&1 &
lpid=$!
wait_until 10 grep -q listening "$VMT_STATE/refused.log"
check move-to-isolated nl set-vm "vm{" id=3 group=sec "}"
check move-to-other-domain nl set-vm "vm{" id=4 group=pyB "}"
wait "$lpid" && grep -q 'vm-refused.*vm.id=4' "$VMT_STATE/refused.log" &&
	pass event-refused || fail event-refused "$(cat "$VMT_STATE/refused.log")"
[ "$(vm_state 3)" = isolated ] && pass state-isolated || fail state-isolated "$(vm_state 3)"
[ "$(vm_state 4)" = refused ] && pass state-refused || fail state-refused "$(vm_state 4)"
grep -q "held by domain tenantA" /proc/vmmerge/vms && pass refused-reason ||
	fail refused-reason "$(grep -w 4 /proc/vmmerge/vms)"
sleep 10
ksm_report
check isolated-and-refused-unmerged none_merging 2 3
check others-keep-merging all_merging 0 1
knob cross_domain 1
[ "$(vm_state 4)" = enrolled ] && pass cross-domain-enrols || fail cross-domain-enrols "$(vm_state 4)"
check cross-domain-merges wait_until 60 all_merging 3
knob cross_domain 0
[ "$(vm_state 4)" = refused ] && pass cross-domain-off-refuses || fail cross-domain-off-refuses "$(vm_state 4)"
# ksm_merging_pages drops when ksmd next visits the un-merged range.
check cross-domain-off-unmerged wait_until 60 none_merging 3

# ---- 5. bad input: refused with the right errno, nothing changes
python3 - >"$VMT_STATE/vmas" <<'PY' &
import mmap, os, sys, time
P = 4096
a = mmap.mmap(-1, 18 * P, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
s = mmap.mmap(-1, 4 * P, flags=mmap.MAP_SHARED | mmap.MAP_ANONYMOUS)
import ctypes
libc = ctypes.CDLL(None)
base = ctypes.addressof(ctypes.c_char.from_buffer(a))
# Holes around and inside, so no neighbour merges with the mapping:
# [base+P, base+5P) mapped, 4 pages hole, [base+9P, base+17P) mapped.
for off, n in ((0, 1), (5, 4), (17, 1)):
    libc.munmap(ctypes.c_void_p(base + off * P), ctypes.c_size_t(n * P))
base += P
sh = ctypes.addressof(ctypes.c_char.from_buffer(s))
print(os.getpid(), hex(base), hex(sh), flush=True)
time.sleep(600)
PY
vpid=$!
wait_until 10 test -s "$VMT_STATE/vmas"
read -r vpid abase sbase <"$VMT_STATE/vmas"
P=4096
maps_range() { awk -v p="$2" '$0 ~ p { split($1, r, "-"); print "0x" r[1], "0x" r[2]; exit }' "/proc/$1/maps"; }
# (no process substitution: the test VM's /dev has no /dev/fd)
set -- $(maps_range "$vpid" 'libc')
fstart=$1 fend=$2
set -- $(maps_range "$vpid" '\\[stack\\]')
kstart=$1 kend=$2
log "probe process $vpid: anon $abase shared $sbase libc $fstart stack $kstart"
region() { echo "regions{" "region{" start="$1" length="$2" "}" "}"; }
badvm() { # badvm NAME ERRNO PID REGION-START REGION-LEN [extra tokens]
	local name=$1 errno=$2 pid=$3 s=$4 l=$5
	shift 5
	expect_fail "$name" "$errno" "$NL" add-vm "vm{" id=99 name=bad pid="$pid" group=py \
		$(region "$s" "$l") "$@" "}"
}

before=$(snapshot)
expect_fail bad-unknown-command EOPNOTSUPP "$NL" @77
expect_fail bad-unknown-attr EINVAL "$NL" add-vm "vm{" id=99 @77:u32=1 "}"
expect_fail bad-unknown-top-attr EINVAL "$NL" get-host @9:u32=1
# Per-operation policies: an attribute the command does not read is refused.
expect_fail bad-op-nest EINVAL "$NL" get-host "domain{" name=tenantA "}"
expect_fail bad-op-attr-del EINVAL "$NL" del-vm "vm{" id=12345 name=x "}"
expect_fail bad-op-attr-set EINVAL "$NL" set-vm "vm{" id=12345 group=py pid=1 "}"
expect_fail bad-op-attr-get-group EINVAL "$NL" get-group "group{" name=py domain=tenantA "}"
expect_fail bad-missing-nest EINVAL "$NL" add-vm
expect_fail bad-missing-id EINVAL "$NL" add-vm "vm{" name=bad pid="$vpid" group=py $(region "$abase" $((4 * P))) "}"
expect_fail bad-missing-regions EINVAL "$NL" add-vm "vm{" id=99 name=bad pid="$vpid" group=py "}"
expect_fail bad-wrong-type - "$NL" add-vm "vm{" id:u32=99 name=bad pid="$vpid" group=py $(region "$abase" $((4 * P))) "}"
expect_fail bad-readonly-attr EINVAL "$NL" add-vm "vm{" id=99 name=bad pid="$vpid" group=py state=1 $(region "$abase" $((4 * P))) "}"
badvm bad-zero-length ERANGE "$vpid" "$abase" 0
badvm bad-unaligned-start EINVAL "$vpid" $((abase + 1)) $((4 * P))
badvm bad-unaligned-length EINVAL "$vpid" "$abase" $((4 * P + 1))
badvm bad-overflow ERANGE "$vpid" 0xfffffffffffff000 0x2000
badvm bad-kernel-thread EINVAL 2 "$abase" $((4 * P))
badvm bad-no-process ESRCH 4000000 "$abase" $((4 * P))
bash -c 'sleep 0.1 & exec sleep 60' &
zparent=$!
sleep 1
zpid=$(ps -o pid= --ppid "$zparent" | tr -d ' ')
log "zombie: $zpid ($(cat /proc/"$zpid"/stat 2>/dev/null | cut -d' ' -f3))"
badvm bad-zombie ESRCH "${zpid:-4000001}" "$abase" $((4 * P))
kill "$zparent" 2>/dev/null
badvm bad-unmapped ENOENT "$vpid" 0x10000 $((4 * P))
badvm bad-hole ENOENT "$vpid" "$abase" $((16 * P))
badvm bad-partial-end EINVAL "$vpid" "$abase" $((2 * P))
badvm bad-shared EINVAL "$vpid" "$sbase" $((4 * P))
badvm bad-file EINVAL "$vpid" "$fstart" $((fend - fstart))
badvm bad-stack EINVAL "$vpid" "$kstart" $((kend - kstart))
expect_fail bad-overlap EINVAL "$NL" add-vm "vm{" id=99 name=bad pid="$vpid" group=py \
	"regions{" "region{" start="$abase" length=$((4 * P)) "}" "region{" start="$abase" length=$((4 * P)) "}" "}" "}"
expect_fail bad-dup-id EEXIST "$NL" add-vm "vm{" id=1 name=fresh pid="$vpid" group=py $(region "$abase" $((4 * P))) "}"
expect_fail bad-dup-name EEXIST "$NL" add-vm "vm{" id=98 name="${MV_NAME[0]}" pid="$vpid" group=py $(region "$abase" $((4 * P))) "}"
expect_fail bad-dup-process EEXIST "$NL" add-vm "vm{" id=98 name=again pid="${MV_PID[0]}" group=py $(region "${MV_RAM_START[0]}" "${MV_RAM_LEN[0]}") "}"
expect_fail bad-long-name EINVAL "$NL" add-vm "vm{" id=98 name="$(printf 'x%.0s' {1..64})" pid="$vpid" group=py $(region "$abase" $((4 * P))) "}"
expect_fail bad-long-domain EINVAL "$NL" new-domain "domain{" name="$(printf 'd%.0s' {1..32})" "}"
expect_fail bad-unprintable EINVAL "$NL" new-domain "domain{" name="a b" "}"
expect_fail bad-empty-name EINVAL "$NL" new-domain "domain{" name= "}"
expect_fail bad-domain-flags EINVAL "$NL" new-domain "domain{" name=x flags=2 "}"
expect_fail bad-dup-domain EEXIST "$NL" new-domain "domain{" name=tenantA "}"
expect_fail bad-dup-group EEXIST "$NL" new-group "group{" name=py domain=tenantA "}"
expect_fail bad-group-no-domain ENOENT "$NL" new-group "group{" name=x domain=nope "}"
expect_fail bad-vm-no-group ENOENT "$NL" add-vm "vm{" id=98 name=x pid="$vpid" group=nope $(region "$abase" $((4 * P))) "}"
expect_fail bad-del-group-in-use EBUSY "$NL" del-group "group{" name=py "}"
expect_fail bad-del-domain-in-use EBUSY "$NL" del-domain "domain{" name=tenantA "}"
expect_fail bad-del-unknown-vm ENOENT "$NL" del-vm "vm{" id=12345 "}"
expect_fail bad-set-unknown-domain ENOENT "$NL" set-domain "domain{" name=nope flags=0 "}"
knob max_regions 1
expect_fail bad-too-many-regions E2BIG "$NL" add-vm "vm{" id=98 name=x pid="$vpid" group=py \
	"regions{" "region{" start="$abase" length=$((4 * P)) "}" "region{" start=$((abase + 8 * P)) length=$((8 * P)) "}" "}" "}"
knob max_regions 16
nvms=$(cat $SYS/nr_vms)
knob max_vms "$nvms"
expect_fail bad-registry-full ENOSPC "$NL" add-vm "vm{" id=98 name=x pid="$vpid" group=py $(region "$abase" $((4 * P))) "}"
knob max_vms 1024
for spec in max_vms=0 max_vms=abc enrol=2 stats_interval_ms=5 cross_domain=-1 scan_calm_max=11; do
	k=${spec%%=*}
	old=$(cat "$SYS/$k")
	if echo "${spec#*=}" >"$SYS/$k" 2>/dev/null; then
		fail "bad-knob-$spec" "write accepted"
	elif [ "$(cat "$SYS/$k")" != "$old" ]; then
		fail "bad-knob-$spec" "value changed to $(cat "$SYS/$k")"
	else
		pass "bad-knob-$spec"
	fi
done
after=$(snapshot)
[ "$before" = "$after" ] && pass registry-unchanged ||
	fail registry-unchanged "before: $before; after: $after"

# A good region of the probe process is accepted (so the refusals above
# were about the input, not about the process), then removed again.
check good-probe-region nl add-vm "vm{" id=50 name=probe pid="$vpid" group=py $(region "$abase" $((4 * P))) "}"
check del-probe nl del-vm "vm{" id=50 "}"
kill "$vpid"

# ---- 6. unprivileged callers
asuser() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
expect_fail eperm-new-domain EPERM asuser "$NL" new-domain "domain{" name=u "}"
expect_fail eperm-set-domain EPERM asuser "$NL" set-domain "domain{" name=tenantA flags=1 "}"
expect_fail eperm-del-domain EPERM asuser "$NL" del-domain "domain{" name=tenantB "}"
expect_fail eperm-new-group EPERM asuser "$NL" new-group "group{" name=u domain=tenantA "}"
expect_fail eperm-set-group EPERM asuser "$NL" set-group "group{" name=py domain=tenantB "}"
expect_fail eperm-del-group EPERM asuser "$NL" del-group "group{" name=sec "}"
expect_fail eperm-add-vm EPERM asuser "$NL" add-vm "vm{" id=97 name=u pid="${MV_PID[0]}" group=py $(region "${MV_RAM_START[0]}" "${MV_RAM_LEN[0]}") "}"
expect_fail eperm-set-vm EPERM asuser "$NL" set-vm "vm{" id=1 group=node "}"
expect_fail eperm-del-vm EPERM asuser "$NL" del-vm "vm{" id=1 "}"
check unprivileged-read asuser "$NL" get-host
expect_fail eperm-get-vm EPERM asuser "$NL" get-vm "vm{" id=1 "}"
expect_fail eperm-dump-vms EPERM asuser "$NL" --dump get-vm
expect_fail eperm-get-domain EPERM asuser "$NL" get-domain "domain{" name=tenantA "}"
expect_fail eperm-dump-domains EPERM asuser "$NL" --dump get-domain
expect_fail eperm-get-group EPERM asuser "$NL" get-group "group{" name=py "}"
expect_fail eperm-dump-groups EPERM asuser "$NL" --dump get-group
expect_fail eperm-get-hint EPERM asuser "$NL" get-hint "hint{" group=py "}"
expect_fail eperm-get-sketch EPERM asuser "$NL" get-sketch "hint{" group=py "}"
for f in vms groups domains hints; do
	if asuser cat "/proc/vmmerge/$f" >/dev/null 2>&1; then
		fail "eperm-proc-$f" "readable by uid 65534"
	else
		pass "eperm-proc-$f"
	fi
done
# A VMM of another user: root without CAP_SYS_PTRACE may not register it.
rm -f /tmp/uvmm
asuser python3 "$VMT_REPO/tests/vm/fakevmm.py" /tmp/uvmm --mib 1 &
wait_until 20 test -s /tmp/uvmm
read -r upid urange ulen </tmp/uvmm
log "user process $upid: $ulen bytes at $urange"
noptrace() { setpriv --inh-caps=-sys_ptrace --bounding-set=-sys_ptrace "$@"; }
expect_fail eperm-add-vm-no-ptrace EPERM noptrace "$NL" add-vm "vm{" id=96 name=u pid="$upid" group=py $(region "$urange" "$ulen") "}"
check add-vm-with-ptrace nl add-vm "vm{" id=96 name=u pid="$upid" group=py $(region "$urange" "$ulen") "}"
check del-user-vm nl del-vm "vm{" id=96 "}"
kill "$upid"
[ "$(snapshot)" = "$after" ] && pass eperm-registry-unchanged || fail eperm-registry-unchanged "changed"

# ---- 7. VMM exit
"$NL" --listen 30 --count 1 >"$VMT_STATE/exit.log" 2>&1 &
lpid=$!
wait_until 10 grep -q listening "$VMT_STATE/exit.log"
dead=${MV_PID[3]}
microvm_kill 3
wait "$lpid" && grep -q "vm-exited.*vm.id=4" "$VMT_STATE/exit.log" && pass event-exited ||
	fail event-exited "$(cat "$VMT_STATE/exit.log")"
check exited-vm-gone wait_until 5 eval "! grep -q '^4 ' /proc/vmmerge/vms"
nvms=$(cat $SYS/nr_vms)
# Make the next pid the dead VMM's and start a process there.
echo $((dead - 1)) >/proc/sys/kernel/ns_last_pid
sleep 30 &
reuse=$!
log "pid reuse: dead VMM $dead, new process $reuse"
sleep 2
[ "$(cat $SYS/nr_vms)" = "$nvms" ] && ! grep -qw "$reuse" /proc/vmmerge/vms &&
	! grep -qw mg "/proc/$reuse/smaps" && pass pid-reuse-ignored ||
	fail pid-reuse-ignored "nr_vms $(cat $SYS/nr_vms) (was $nvms), reuse pid $reuse"
[ "$reuse" = "$dead" ] || log "note: new process got pid $reuse, not $dead"
kill "$reuse"
check del-vm nl del-vm "vm{" id=1 "}"
check deleted-vm-unmerged wait_until 60 none_merging 0

# ---- 8. DEL_VM killed while it un-merges vm1
vm_listed() { grep -q "^$1 " /proc/vmmerge/vms; }
del_killed() {
	local tries=0 d bad=0
	check vm1-merging wait_until 120 all_merging 1
	while vm_listed 2 && [ "$tries" -lt 30 ]; do
		"$NL" del-vm "vm{" id=2 "}" >/dev/null 2>&1 &
		d=$!
		sleep "0.0$((RANDOM % 9 + 1))"
		kill -KILL "$d" 2>/dev/null || true
		wait "$d" 2>/dev/null || true
		tries=$((tries + 1))
		log "del-vm attempt $tries: state $(vm_state 2)"
		if ! vm_listed 2 && ! nothing_mergeable 1; then
			log "vm 2 is gone but $(grep -c '^VmFlags:.* mg' "/proc/${MV_PID[1]}/smaps") VMAs still mergeable"
			bad=1
		fi
		# Let the retry re-enrol it so that the next attempt un-merges again.
		vm_listed 2 && wait_until 20 all_merging 1
	done
	vm_listed 2 && nl del-vm "vm{" id=2 "}"
	! vm_listed 2 && nothing_mergeable 1 && [ "$bad" = 0 ]
}
check del-vm-killed del_killed
check final-unload module_unload
