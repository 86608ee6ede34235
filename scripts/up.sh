#!/usr/bin/env bash
# Bring a QM partition up on a fresh machine, as root, on embedded defaults: host packages, build and install qm
# (PREFIX, default /usr/local), diagnose the host, build the partition (qm setup), start it (qm start), run a
# nested container inside it, and print its status. Every step is idempotent: running it again changes nothing
# and leaves the partition running.
set -euo pipefail
cd "$(dirname "$0")/.."
prefix="${PREFIX:-/usr/local}"
# The partition's /var is bounded so that it cannot fill the host's disk (FFI-DISK-01): an ext4 image of this size,
# reserved up front. 4G holds the tree's /var (~6 MB) and a few nested images, and is ~5% of the ~78G free on this
# machine kind's root filesystem.
var_size="${QM_VAR_SIZE:-4G}"
qm="$prefix/bin/qm"

step() { printf '\n==> %s\n' "$*" >&2; }

step "host packages"
scripts/install-host-deps --run
step "build and install qm into $prefix"
npm ci --no-audit --no-fund --loglevel=error
make --no-print-directory install PREFIX="$prefix" >/dev/null
step "qm doctor"
"$qm" doctor
step "qm setup --var-size $var_size"
# The partition's /var moves into the image only while the partition is stopped (a first run on a partition that
# was set up without a bounded /var).
[ -e /var/lib/qm/var.img ] || "$qm" stop
"$qm" setup --var-size "$var_size"
step "qm start"
"$qm" start
step "a nested container inside the partition"
# No image registry is needed: the nested container's root is a directory with a static busybox, placed in the
# partition's /var/tmp (the host's /var/qm/tmp).
nested=/var/qm/tmp/qm-demo-rootfs
mkdir -p "$nested/bin"
cp /bin/busybox "$nested/bin/busybox"
ln -sf busybox "$nested/bin/sh"
podman exec qm podman run --rm --network none --rootfs /var/tmp/qm-demo-rootfs /bin/sh -c \
  'echo "hello from a nested container, oom_score_adj $(cat /proc/self/oom_score_adj)"'
step "qm status"
"$qm" status
