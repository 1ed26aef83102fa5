#!/usr/bin/env bash
# Formats the C++ sources turnout builds with clang-format and the repository's
# .clang-format. Usage:
#   scripts/format.sh           rewrite the files in place
#   scripts/format.sh --check   change nothing; list what is not formatted
#                               and exit 1 (ctest's `format` test runs this)
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(find config server worker master tests \
  \( -name '*.cpp' -o -name '*.hpp' \) -type f | sort)
if [[ "${1:-}" == "--check" ]]; then
  if ! report=$(clang-format --dry-run --Werror "${files[@]}" 2>&1); then
    grep -o '^[^:]*:[0-9]*:[0-9]*: error' <<<"$report" | cut -d: -f1 | sort -u |
      sed 's/^/format: not formatted: /' >&2
    echo "format: run scripts/format.sh to fix them" >&2
    exit 1
  fi
  echo "format: ${#files[@]} files formatted"
else
  clang-format -i "${files[@]}"
fi
