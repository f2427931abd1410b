# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# A second vmmerge host inside the test VM, for tests that need two real
# hosts (tests/vm/place-fleet.sh). Source it after lib.sh.
#
#   test VM: kernel K, vmmerge.ko for K, the host's root read-only
#    │   127.0.0.1:PORT ──(QEMU user network, hostfwd)──┐
#    └─ nested KVM microVM ("nested host"), kernel K too │
#         initramfs  the guest initramfs + K's virtio-mmio, 9p and
#                    virtio-net modules + tests/vm/nested-host-setup
#         /r         the test VM's / over virtio-9p, read-only, with its
#                    own proc, sys, dev, tmp, run: the same vmmerged,
#                    vmmergectl, vmmerge.ko, python3 as the test VM
#         eth0       10.0.2.15/24, :GUEST_PORT <─────────────┘
#
# nested_host_start PORT GUEST_PORT [microvm_start options]
#     boot it (its microVM index is NH_VM), mount /r, bring the network
#     up. Reports a failed case and returns 1 on any problem.
# nested_host_cmd CMD [TIMEOUT]
#     run CMD (one line) with bash in `chroot /r` in the nested host;
#     print its output, return its status (124 timeout, as microvm_cmd).
# It boots the test VM's own kernel, not the guests' cloud kernel: that one
# has no 9p, and the module must be built for the kernel it loads into.
#
# Its CPU is QEMU's qemu64 model (NH_CPU), not the microVMs' `-cpu host`.
# Under the TCG test VM, `-cpu host` hands the nested host what TCG's
# `-cpu max` offers (AMD family 15 model 107): 5-level paging (la57),
# fsgsbase, pku, xsave, all run on QEMU 7.2's emulated SVM. Its XSETBV is
# not intercepted there (QEMU checks that intercept from 8.2 on), so KVM
# never learns the nested host's XCR0 and its kernel warns at boot
# ("XSAVE consistency problem: size 2696 != kernel_size 576") and drops
# XSAVE; and one run of four lost the nested host to a double fault
# ("ENTRY_TRAMPOLINE stack guard page was hit", a %gs read faulting in
# exc_page_fault: the mark of a wrong kernel GS base on entry from user).
# qemu64 (baseline x86-64: 4-level paging, no fsgsbase, pku or xsave)
# keeps the nested host off those paths; Debian's userland needs no more.

NH_VM=
NH_CPU=${NH_CPU:-qemu64}
NH_MODULES=(virtio_mmio 9pnet_virtio 9p virtio_net)

# _nh_kernel_dir: where the running kernel's modules are (installed, or
# extracted by scripts/setup into build/kernels/KVER/).
_nh_kernel_dir() {
	if [ -d "/lib/modules/$(uname -r)" ]; then echo /; else echo "$VMT_REPO/build/kernels/$(uname -r)"; fi
}

# _nh_modules DIR: copy NH_MODULES and what they depend on (first
# occurrence wins, dependencies first) to DIR, listed in DIR/order.
_nh_modules() {
	local dir=$1 m verb path seen=" " name deps
	mkdir -p "$dir"
	: >"$dir/order"
	for m in "${NH_MODULES[@]}"; do
		# (no process substitution: the test VM has no /dev/fd)
		deps=$(modprobe -d "$(_nh_kernel_dir)" -S "$(uname -r)" --show-depends "$m") || return 1
		while read -r verb path _; do
			[ "$verb" = insmod ] || continue
			case "$seen" in *" $path "*) continue ;; esac
			seen+="$path "
			name=$(basename "$path")
			case "$path" in
			*.ko) cp "$path" "$dir/" ;;
			*.ko.xz) name=${name%.xz}; xz -dc "$path" >"$dir/$name" ;;
			*.ko.zst) name=${name%.zst}; zstd -qdc "$path" >"$dir/$name" ;;
			*) log "nested host: unexpected module file $path"; return 1 ;;
			esac
			echo "$name" >>"$dir/order"
		done <<<"$deps"
	done
	[ -s "$dir/order" ]
}

# _nh_initrd OUT: the guest initramfs with a second cpio archive appended
# (the kernel unpacks both): the modules and the setup script.
_nh_initrd() {
	local out=$1 stage rc=0
	stage=$(mktemp -d)
	if _nh_modules "$stage/modules-host"; then
		cp "$VMT_REPO/tests/vm/nested-host-setup" "$stage/nested-host-setup"
		(cd "$stage" && find . -print0 | LC_ALL=C sort -z |
			cpio --null -o -H newc --owner=0:0 --quiet) >"$stage.cpio" &&
			cat "$VMT_REPO/build/guest/initramfs.cpio" "$stage.cpio" >"$out" || rc=1
	else
		rc=1
	fi
	rm -rf "$stage" "$stage.cpio"
	return $rc
}

nested_host_start() {
	local port=$1 gport=$2 kernel initrd=$VMT_STATE/nested-host.cpio
	shift 2
	kernel=/boot/vmlinuz-$(uname -r)
	[ -r "$kernel" ] || kernel=$VMT_REPO/build/kernels/$(uname -r)/boot/vmlinuz-$(uname -r)
	[ -r "$kernel" ] || { fail nested-host "no kernel image for $(uname -r)"; return 1; }
	local t=$SECONDS
	_nh_initrd "$initrd" || { fail nested-host "cannot build its initramfs"; return 1; }
	log "nested host: initramfs $initrd built in $((SECONDS - t)) s"
	NH_VM=$MV_COUNT
	# shellcheck disable=SC2054 # commas belong to QEMU options
	microvm_start 1 --name nested-host --kernel "$kernel" --initrd "$initrd" --cpu "$NH_CPU" \
		--qemu -fsdev --qemu local,id=root,path=/,security_model=none,readonly=on,multidevs=remap \
		--qemu -device --qemu virtio-9p-device,fsdev=root,mount_tag=root \
		--qemu -netdev --qemu "user,id=net,hostfwd=tcp:127.0.0.1:$port-:$gport" \
		--qemu -device --qemu virtio-net-device,netdev=net "$@" || return 1
	microvm_cmd "$NH_VM" "sh /nested-host-setup $VMT_REPO" 120 >&2 ||
		{ fail nested-host "setup failed (console above)"; return 1; }
}

nested_host_cmd() { microvm_cmd "$NH_VM" "inhost $1" "${2:-60}"; }
