#!/usr/bin/env bash
# The main job end to end on the embedded default: a synthetic city -> ingest -> score -> report
# -> review console. Everything it makes goes under out/demo/ (feeds, database, cases, report).
# On a terminal it ends by serving the console (Ctrl-C stops it); in a pipe it prints the command.
# Usage: scripts/demo.sh [PERSONS]   (default 100000)
set -euo pipefail
cd "$(dirname "$0")/.."
persons="${1:-100000}"
out="out/demo"

bash scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release --target vigil -j "$(nproc)"
vigil="build/release/apps/vigil"

# Runs one step; its messages are kept in out/demo/STEP.err and shown.
step() {
  local name="$1"; shift
  echo "== $name"
  if ! "$vigil" "$name" "$@" 2>"$out/$name.err"; then
    cat "$out/$name.err" >&2
    exit 1
  fi
  cat "$out/$name.err" >&2
}

rm -rf "$out"
mkdir -p "$out"
step generate --out "$out/city" --persons "$persons" --seed 42
step ingest --db "$out/db" "$out/city"
step score --db "$out/db" --as-of 2026-10-31 --out "$out/cases"
step eval --truth "$out/city/truth" --cases "$out/cases"
echo "== done: feeds in $out/city, database in $out/db, cases in $out/cases"

# A supervisor account for the console, with a fresh random password shown once.
password="$(head -c 15 /dev/urandom | base64 | tr '/+' 'xy')"  # 20 characters
printf '%s\n' "$password" | "$vigil" user add --db "$out/db" --role supervisor supervisor >/dev/null
serve=("$vigil" serve --db "$out/db" --web web --port 8080)
echo "== console: user 'supervisor', password '$password'"
if [ -t 1 ]; then
  echo "   serving on http://127.0.0.1:8080 (Ctrl-C stops it)"
  exec "${serve[@]}"
fi
echo "   start it with: ${serve[*]}   then open http://127.0.0.1:8080"
