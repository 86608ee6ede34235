#!/usr/bin/env bash
# Builds (or reuses from the cache) what the VM tier boots:
#   CACHE/qemu-KEY/       a Debian trixie tree holding qemu-system-x86 (QEMU 10), run with chroot
#   CACHE/guest-KEY/      root.img (ext4, SELinux labels), vmlinuz, initrd.img: the trixie guest
#   CACHE/partition-KEY/  partition.tar.zst: the tree `qm setup --from-tar` unpacks inside the guest
# KEY hashes the recipe (this directory's scripts and the package lists), so a changed recipe rebuilds
# and an unchanged one costs nothing. Missing pieces are built in parallel.
#
#   test/vm/build.sh CACHE_DIR "PARTITION PACKAGES"
# Prints one line per artifact: "KIND DIR SECONDS" (SECONDS is 0 for a cache hit).
set -euo pipefail

cache=${1:?usage: build.sh CACHE_DIR PACKAGES}
partition_packages=${2:?usage: build.sh CACHE_DIR PACKAGES}
here=$(cd "$(dirname "$0")" && pwd)
mirror=${QM_VM_MIRROR:-http://deb.debian.org/debian}
suite=trixie

guest_packages=linux-image-amd64,initramfs-tools,zstd,systemd,systemd-sysv,udev,dbus,podman,crun,runc,netavark,nftables,iproute2,procps,busybox-static,e2fsprogs,kmod,nodejs,tar,diffutils,selinux-policy-default,selinux-policy-dev,make,semodule-utils,selinux-utils,policycoreutils
qemu_packages=qemu-system-x86

mkdir -p "$cache"
# One builder at a time per cache; a second run waits and then finds everything built.
exec 9>"$cache/.lock"
flock 9

common=(--mode=root --variant=minbase
  --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*'
  --dpkgopt='path-exclude=/usr/share/locale/*')

build_qemu() { # DIR: a chroot with QEMU and a mountpoint for the run directory
  # shellcheck disable=SC2016 # $1 is expanded by mmdebstrap's hook shell
  mmdebstrap "${common[@]}" --skip=chroot/mount --include="$qemu_packages" \
    --customize-hook='mkdir -p "$1/qmvm"' "$suite" "$1" "$mirror"
}

build_guest() { # DIR: root.img, vmlinuz, initrd.img
  local tree=$1/tree
  # /proc and /sys are mounted while packages install (update-initramfs needs them); /dev never is.
  mmdebstrap "${common[@]}" --skip=chroot/mount/dev --include="$guest_packages" \
    --customize-hook="$here/guest-customize.sh \"\$1\"" "$suite" "$tree" "$mirror"
  cp -L "$tree/vmlinuz" "$1/vmlinuz"
  cp -L "$tree/initrd.img" "$1/initrd.img"
  # Labels for the SELinux variant; ignored when the guest boots without SELinux. mkfs -d keeps xattrs.
  chroot "$tree" /sbin/setfiles -F /etc/selinux/default/contexts/files/file_contexts / \
    >"$1/setfiles.log" 2>&1 || true
  mkfs.ext4 -q -F -L qmvmroot -d "$tree" "$1/root.img" 4G
  rm -rf "$tree"
}

build_partition() { # DIR: partition.tar.zst, built as `qm setup` builds the tree (src/rootfs/source.ts)
  mmdebstrap "${common[@]}" --skip=chroot/mount --include="$partition_packages" "$suite" "$1/partition.tar.zst" "$mirror"
  # The guest reads it as a virtio disk (9p is ~5 MB/s under TCG): whole sectors, and the real size beside it.
  stat -c %s "$1/partition.tar.zst" >"$1/partition.size"
  truncate -s %512 "$1/partition.tar.zst"
}

# A short hash of KIND's recipe: its build function, the shared options, and EXTRA (package lists, files).
key() { # KIND EXTRA...
  local kind=$1
  shift
  { declare -f "build_$kind"; printf '%s\n' "${common[@]}" "$mirror" "$suite" "$@"; } | sha256sum | cut -c1-12
}
qemu_dir=$cache/qemu-$(key qemu "$qemu_packages")
guest_dir=$cache/guest-$(key guest "$guest_packages" "$(cat "$here/guest-customize.sh")")
partition_dir=$cache/partition-$(key partition "$partition_packages")

# Builds KIND into DIR unless it is there; runs in the background and records its wall time.
start() { # KIND DIR
  local kind=$1 dir=$2
  if [[ -e $dir/.complete ]]; then
    echo 0 >"$cache/.$kind.seconds"
    return
  fi
  (
    set -e
    started=$(date +%s)
    rm -rf "$dir.tmp"
    mkdir -p "$dir.tmp"
    "build_$kind" "$dir.tmp" >"$cache/$kind.log" 2>&1
    touch "$dir.tmp/.complete"
    rm -rf "$dir"
    mv "$dir.tmp" "$dir"
    echo $(($(date +%s) - started)) >"$cache/.$kind.seconds"
  ) &
  pids+=("$!")
  kinds+=("$kind")
}

pids=() kinds=()
start qemu "$qemu_dir"
start guest "$guest_dir"
start partition "$partition_dir"
failed=0
for i in "${!pids[@]}"; do
  if ! wait "${pids[$i]}"; then
    echo "building ${kinds[$i]} failed; last lines of $cache/${kinds[$i]}.log:" >&2
    tail -n 30 "$cache/${kinds[$i]}.log" >&2 || true
    failed=1
  fi
done
# Leftovers of failed or older recipes take gigabytes: keep only what this recipe uses.
for d in "$cache"/qemu-* "$cache"/guest-* "$cache"/partition-*; do
  [[ -e $d ]] || continue
  case $d in "$qemu_dir" | "$guest_dir" | "$partition_dir") ;; *) rm -rf "$d" ;; esac
done
((failed == 0)) || exit 1

for kind in qemu guest partition; do
  dir_var=${kind}_dir
  echo "$kind ${!dir_var} $(cat "$cache/.$kind.seconds")"
done
