#!/usr/bin/env bash
# Builds vigil and runs the whole test suite: installs the Debian packages first (idempotent),
# then configures the `release` preset, builds everything, runs ctest.
# Usage: scripts/test.sh [release|asan|tsan]   (default: release)
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${1:-release}"

bash scripts/install-deps.sh
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset" -j "$(nproc)"
ctest --preset "$preset"
