#!/usr/bin/env bash
# Runs every Go fuzz target of the module for a short, bounded time each.
# The corpus (and any crasher found) lives in each package's testdata/fuzz.
set -euo pipefail
budget=${1:-10s}
cd "$(dirname "$0")/.."
found=0
while IFS= read -r file; do
  pkg=./$(dirname "$file")
  for target in $(grep -hoE '^func (Fuzz[A-Za-z0-9_]+)\(' "$file" | sed -E 's/^func (Fuzz[A-Za-z0-9_]+)\(/\1/'); do
    found=$((found+1))
    echo "fuzz: $pkg $target for $budget"
    go test -tags gosnmp_nodebug -run '^$' -fuzz "^${target}\$" -fuzztime "$budget" "$pkg"
  done
done < <(git ls-files '*_test.go' | xargs grep -l '^func Fuzz' || true)
echo "fuzz: $found targets run"
