#!/usr/bin/env bash
# Bring qm up on a fresh machine, as root, on embedded defaults: host packages, build, install to /usr/local,
# then diagnose the host with 'qm doctor'. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-host-deps --run
npm ci --no-audit --no-fund --loglevel=error
make --no-print-directory install PREFIX="${PREFIX:-/usr/local}"
"${PREFIX:-/usr/local}/bin/qm" doctor
