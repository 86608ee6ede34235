#!/usr/bin/env bash
# Bring a QM partition up on a fresh machine, as root, on embedded defaults: host packages, build and install qm
# (PREFIX, default /usr/local), diagnose the host, build the partition (qm setup), start it (qm start), run a
# nested container inside it, and print its status. Every step is idempotent: running it again changes nothing
# and leaves the partition running.
set -euo pipefail
cd "$(dirname "$0")/.."
prefix="${PREFIX:-/usr/local}"
qm="$prefix/bin/qm"

step() { printf '\n==> %s\n' "$*" >&2; }

step "host packages"
scripts/install-host-deps --run
step "build and install qm into $prefix"
npm ci --no-audit --no-fund --loglevel=error
make --no-print-directory install PREFIX="$prefix" >/dev/null
step "qm doctor"
"$qm" doctor
step "qm setup"
"$qm" setup
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
