#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# In-VM test of root-disk microVMs: build a small ext4 root image in the
# VM's /tmp with tests/guest/build --rootfs, boot a microVM from it
# (initramfs insmods virtio-mmio/virtio-blk and switch_roots) and check that
# the guest runs from the read-only disk and answers commands.
. "$(dirname "$0")/lib.sh"

tree=$VMT_STATE/rootfs-tree
img=$VMT_STATE/rootfs.img
rm -rf "$tree"
mkdir -p "$tree/etc"
echo "vmmerge test rootfs $$" >"$tree/etc/vmmerge-rootfs"
check rootfs-image "$VMT_REPO/tests/guest/build" --rootfs "$tree" "$img" || die "no image"

microvm_start 1 --rootfs "$img" --name disk || die "root-disk microVM did not start"
pass rootfs-boot
i=$((MV_COUNT - 1))
out=$(microvm_cmd "$i" "cat /etc/vmmerge-rootfs; grep ' / ' /proc/mounts" 30)
rc=$?
log "$out"
if [ "$rc" = 0 ] && grep -q "vmmerge test rootfs $$" <<<"$out" &&
	grep -Eq '^/dev/vda / ext4 ro' <<<"$out"; then
	pass rootfs-root-is-disk
else
	fail rootfs-root-is-disk "status $rc, output: $out"
fi
check rootfs-ram-found test "${MV_RAM_LEN[$i]}" = $((256 * 1048576))
