#!/usr/bin/env bash
# Builds vigil and runs the whole test suite: installs the Debian packages and the console's npm
# packages first (both idempotent),
# then configures the `release` preset, builds everything, runs ctest.
# Usage: scripts/test.sh [release|asan|tsan]   (default: release)
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${1:-release}"

bash scripts/install-deps.sh
# Front-end packages of the review console (ECharts, and playwright-core for its browser test),
# exactly as pinned in web/package-lock.json; skipped when node_modules already matches the lock.
if [ ! -f web/node_modules/.package-lock.json ] ||
   [ web/package-lock.json -nt web/node_modules/.package-lock.json ]; then
  (cd web && npm ci --no-audit --no-fund)
fi
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset" -j "$(nproc)"
ctest --preset "$preset"
