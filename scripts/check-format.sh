#!/usr/bin/env bash
# Fails when a C++ source or header differs from what clang-format makes of it (.clang-format).
# Run by ctest (the `format` test); fix with: clang-format -i FILE...
set -euo pipefail
cd "$(dirname "$0")/.."
clang_format="${CLANG_FORMAT:-clang-format}"
if [ -d .git ]; then
  mapfile -t files < <(git ls-files '*.cc' '*.h')
else
  mapfile -t files < <(find apps bench core examples include ingest models sim storage tests \
                         -name '*.cc' -o -name '*.h' | sort)
fi
"$clang_format" --dry-run -Werror "${files[@]}"
echo "check-format: ${#files[@]} files formatted as .clang-format says"
