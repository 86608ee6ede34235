#!/usr/bin/env bash
# Runs a command in the cached policy tree (test/selinux/build.sh) without changing it: inside a private mount
# namespace, WORK_DIR's copies of the policy store and /etc/selinux are mounted over the tree's, and WORK_DIR
# itself on the tree's /mnt. Meant to run as `unshare --mount --propagation private policy-run.sh ...`.
#
#   policy-run.sh TREE WORK_DIR COMMAND [ARGS...]
# On the first call WORK_DIR gets store/ and etc/ (copies of the tree's /var/lib/selinux and /etc/selinux).
set -euo pipefail
tree=${1:?usage: policy-run.sh TREE WORK_DIR COMMAND...}
work=${2:?usage: policy-run.sh TREE WORK_DIR COMMAND...}
shift 2

[[ -d $work/store ]] || cp -a "$tree/var/lib/selinux" "$work/store"
[[ -d $work/etc ]] || cp -a "$tree/etc/selinux" "$work/etc"
mount --bind "$work/store" "$tree/var/lib/selinux"
mount --bind "$work/etc" "$tree/etc/selinux"
mount --bind "$work" "$tree/mnt"
exec chroot "$tree" "$@"
