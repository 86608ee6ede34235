#!/usr/bin/env bash
# Boots the guest once. Meant to run as `unshare --mount --propagation private qemu.sh ...`: the mounts below
# live in a private mount namespace and disappear with QEMU, whatever way it ends. The last step execs QEMU,
# so the caller's child PID is QEMU's PID (the caller kills it by that PID on timeout).
#
#   qemu.sh QEMU_ROOT GUEST_DIR RUN_DIR [KERNEL ARGS...]
# RUN_DIR holds shared/ (the 9p share) and partition.tar.zst (a read-only disk, serial qmpartition), and
# receives serial.log.
set -euo pipefail
qemu_root=${1:?} guest=${2:?} run=${3:?}
shift 3

mount -t proc proc "$qemu_root/proc"
mkdir -p "$run/guest"
for f in root.img vmlinuz initrd.img; do
  touch "$run/guest/$f"
  mount --bind -o ro "$guest/$f" "$run/guest/$f"
done
mount --rbind "$run" "$qemu_root/qmvm"

# KVM only where it really works: a writable /dev/kvm and hardware virtualization flags.
accel=(-accel tcg -cpu max)
if [[ -w /dev/kvm ]] && grep -Eqw 'vmx|svm' /proc/cpuinfo; then
  # A node of our own in the chroot, never a bind mount of the host's device.
  [[ -e $qemu_root/dev/kvm ]] || mknod -m 0660 "$qemu_root/dev/kvm" c 10 232
  accel=(-accel kvm -cpu host)
fi
echo "accel: ${accel[1]}" >"$run/accel"

# Fixed PCI slots: the root disk is probed first and stays /dev/vda.
# snapshot=on: guest writes go to a deleted temporary file in TMPDIR; the cached image stays pristine.
export TMPDIR=/qmvm
exec chroot "$qemu_root" qemu-system-x86_64 "${accel[@]}" -m "${QM_VM_MEMORY:-2048}" -smp "${QM_VM_CPUS:-2}" \
  -display none -no-reboot -monitor none -nic none -serial file:/qmvm/serial.log \
  -kernel /qmvm/guest/vmlinuz -initrd /qmvm/guest/initrd.img \
  -append "root=/dev/vda rw console=ttyS0 panic=-1 $*" \
  -drive file=/qmvm/guest/root.img,if=none,id=root,format=raw,cache=unsafe,snapshot=on \
  -device virtio-blk-pci,drive=root,addr=0x8 \
  -drive file=/qmvm/partition.tar.zst,if=none,id=partition,format=raw,readonly=on \
  -device virtio-blk-pci,drive=partition,serial=qmpartition,addr=0x9 \
  -virtfs local,path=/qmvm/shared,mount_tag=shared,security_model=none,id=shared
