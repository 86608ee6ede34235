#!/usr/bin/env bash
# Builds (or reuses from the cache) a Debian trixie tree holding the full reference policy
# (selinux-policy-default), its development headers (selinux-policy-dev), semodule and sesearch: enough to
# compile qm's policy module and link it into the distribution's policy without an SELinux kernel.
# The directory is named by a hash of this recipe; older recipes' trees are deleted.
#
#   test/selinux/build.sh CACHE_DIR
# Prints one line: "DIR SECONDS" (SECONDS is 0 for a cache hit).
set -euo pipefail

cache=${1:?usage: build.sh CACHE_DIR}
mirror=${QM_VM_MIRROR:-http://deb.debian.org/debian}
suite=trixie
packages=selinux-policy-default,selinux-policy-dev,semodule-utils,policycoreutils,setools,checkpolicy,make,m4

mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9

build() { # DIR
  mmdebstrap --mode=root --variant=minbase --skip=chroot/mount \
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' --include="$packages" "$suite" "$1" "$mirror"
}
key=$({ declare -f build; printf '%s\n' "$mirror" "$suite" "$packages"; } | sha256sum | cut -c1-12)
dir=$cache/policy-$key

seconds=0
if [[ ! -e $dir/.complete ]]; then
  started=$(date +%s)
  rm -rf "$dir.tmp"
  if ! build "$dir.tmp" >"$cache/policy.log" 2>&1; then
    echo "building the policy tree failed; last lines of $cache/policy.log:" >&2
    tail -n 30 "$cache/policy.log" >&2
    exit 1
  fi
  touch "$dir.tmp/.complete"
  rm -rf "$dir"
  mv "$dir.tmp" "$dir"
  seconds=$(($(date +%s) - started))
fi
for d in "$cache"/policy-*; do
  [[ -e $d && $d != "$dir" ]] && rm -rf "$d"
done
echo "$dir $seconds"
