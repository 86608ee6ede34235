#!/usr/bin/env bash
# Bring a QM partition up on a fresh machine, as root, on embedded defaults: host packages, build and install qm
# (PREFIX, default /usr/local), diagnose the host, build the partition (qm setup), start it (qm start), run a
# nested workload inside it as a quadlet, and print its status. Every step is idempotent: running it again changes nothing
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
# was set up without a bounded /var; on a fresh machine there is none to stop).
if [ ! -e /var/lib/qm/var.img ] && podman container exists qm; then "$qm" stop; fi
"$qm" setup --var-size "$var_size"
step "qm start"
"$qm" start
step "a nested workload, the upstream way"
# No image registry is needed: qm image load turns a directory with a static busybox into an image in the
# partition's own storage. The unit goes where upstream puts nested quadlets (the partition's
# /etc/containers/systemd); the partition's systemd converts it at daemon-reload and starts it.
image=/var/lib/qm/demo-image
mkdir -p "$image/bin"
cp /bin/busybox "$image/bin/busybox"
ln -sf busybox "$image/bin/sleep"
"$qm" image load --tag localhost/qm-demo:latest "$image"
mkdir -p /etc/qm/containers/systemd
# WantedBy=: the partition's boot starts it again, also after the partition was killed and brought back.
printf '[Unit]\nDescription=qm demo workload\n\n[Container]\nImage=localhost/qm-demo:latest\nExec=/bin/sleep infinity\n\n[Install]\nWantedBy=multi-user.target\n' \
  >/etc/qm/containers/systemd/qm-demo.container
podman exec qm systemctl daemon-reload
podman exec qm systemctl start qm-demo
# shellcheck disable=SC2016 # expanded inside the partition
podman exec qm sh -c 'echo "qm-demo.service: $(systemctl is-active qm-demo), container oom_score_adj $(cat /proc/$(podman inspect --format "{{.State.Pid}}" systemd-qm-demo)/oom_score_adj)"'
step "qm status"
"$qm" status
