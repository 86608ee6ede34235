#!/usr/bin/env bash
# The whole test suite on a fresh machine, as root: host packages, npm packages, then type-check, lint, bundle,
# unit and integration tests. The last line printed is "N passed, N failed, N skipped".
#   scripts/test.sh [--unit|--integration] [PATTERN...]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-host-deps --test
npm ci --no-audit --no-fund --loglevel=error
exec node scripts/test.mjs "$@"
