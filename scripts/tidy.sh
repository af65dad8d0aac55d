#!/usr/bin/env bash
# Runs clang-tidy (.clang-tidy) over the sources of the library, the apps and the generator,
# with the release build's compile commands. Prints the warnings; exits 1 when there is any.
# Usage: scripts/tidy.sh [REGEX]   (default: every .cc under core, storage, models, ingest, sim,
# apps). Slow: about half a minute per file on one core.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f build/release/compile_commands.json ] || cmake --preset release >/dev/null
regex="${1:-$PWD/(core|storage|models|ingest|sim|apps)/.*\.cc$}"
out="$(run-clang-tidy -quiet -j "$(nproc)" -p build/release "$regex" 2>&1 |
  sed 's/\x1b\[[0-9;]*m//g' | grep -E '^/.*(warning|error):' | sort -u || true)"
if [ -n "$out" ]; then
  echo "$out"
  echo "tidy: $(echo "$out" | wc -l) warnings"
  exit 1
fi
echo "tidy: no warnings"
