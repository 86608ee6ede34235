#!/usr/bin/env bash
# mmdebstrap customize hook for the VM guest tree (ROOT is $1): a host that boots straight into the test
# unit, which runs /shared/guest-test.sh from the 9p share and powers the machine off when it ends.
set -euo pipefail
root=${1:?usage: guest-customize.sh ROOT}

echo qmvm >"$root/etc/hostname"
printf '127.0.0.1 localhost\n127.0.1.1 qmvm\n' >"$root/etc/hosts"
chroot "$root" passwd -d root >/dev/null
mkdir -p "$root/shared"
cat >"$root/etc/fstab" <<'EOF'
/dev/vda / ext4 rw,errors=remount-ro 0 1
shared /shared 9p trans=virtio,version=9p2000.L,msize=524288,cache=none 0 0
EOF

# A small initrd: only what mounting the virtio root needs (faster to build and to boot).
echo MODULES=list >"$root/etc/initramfs-tools/conf.d/qmvm"
printf '%s\n' virtio_pci virtio_blk ext4 >>"$root/etc/initramfs-tools/modules"
chroot "$root" update-initramfs -u -k all >/dev/null

cat >"$root/etc/systemd/system/qm-vm-test.service" <<'EOF'
[Unit]
Description=qm VM tier: run the guest checks, then power off
RequiresMountsFor=/shared
ConditionPathExists=/shared/guest-test.sh
After=local-fs.target
# In [Unit]: in [Service] these are ignored and the machine would never power off.
SuccessAction=poweroff
FailureAction=poweroff

[Service]
# exec, not oneshot: the host reaches "running" while the checks run.
Type=exec
ExecStart=/bin/bash /shared/guest-test.sh
StandardOutput=journal+console
StandardError=journal+console
RuntimeMaxSec=1500

[Install]
WantedBy=multi-user.target
EOF
ln -sf /etc/systemd/system/qm-vm-test.service "$root/etc/systemd/system/multi-user.target.wants/qm-vm-test.service"

# Timers and services a throwaway test machine does not need, and that would compete for the slow CPU.
for unit in apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer e2scrub_reap.service fstrim.timer \
  dpkg-db-backup.timer man-db.timer systemd-tmpfiles-clean.timer podman-auto-update.timer \
  podman-restart.service podman-clean-transient.service; do
  ln -sf /dev/null "$root/etc/systemd/system/$unit"
done
