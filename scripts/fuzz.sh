#!/usr/bin/env bash
# Runs every Go fuzz target of the module for a short, bounded time each.
# The corpus (and any crasher found) lives in each package's testdata/fuzz.
set -euo pipefail
budget=${1:-10s}
# A found input is minimised for at most this long (Go's default, 60s, can
# outlast the whole budget on large inputs such as a NetBox export).
minimize=${FUZZ_MINIMIZE:-10s}
cd "$(dirname "$0")/.."
found=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT
while IFS= read -r file; do
  pkg=./$(dirname "$file")
  for target in $(grep -hoE '^func (Fuzz[A-Za-z0-9_]+)\(' "$file" | sed -E 's/^func (Fuzz[A-Za-z0-9_]+)\(/\1/'); do
    found=$((found+1))
    echo "fuzz: $pkg $target for $budget"
    if ! go test -tags gosnmp_nodebug -run '^$' -fuzz "^${target}\$" -fuzztime "$budget" -fuzzminimizetime "$minimize" "$pkg" 2>&1 | tee "$log"; then
      # Go 1.26's fuzz coordinator can report "context deadline exceeded" as
      # -fuzztime expires with no failing input (golang/go#75804, fixed in
      # Go 1.27). Only that case is retried, once; a real finding writes a
      # reproducer to testdata/fuzz, which the retry replays first and fails.
      if grep -q 'context deadline exceeded' "$log" && ! grep -q 'Failing input written' "$log"; then
        echo "fuzz: $pkg $target: the fuzz coordinator's deadline race (golang/go#75804), no failing input: running it again"
        go test -tags gosnmp_nodebug -run '^$' -fuzz "^${target}\$" -fuzztime "$budget" -fuzzminimizetime "$minimize" "$pkg"
      else
        exit 1
      fi
    fi
  done
done < <(git ls-files '*_test.go' | xargs grep -l '^func Fuzz' || true)
echo "fuzz: $found targets run"
