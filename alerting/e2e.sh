#!/usr/bin/env bash
# End-to-end check of the rules and dashboards against a running vigie:
# starts Debian's /usr/bin/prometheus on 127.0.0.1:<free port> scraping the
# given /metrics URL with alerting/rules loaded, lets it scrape and evaluate
# (VIGIE_E2E_SETTLE, default 45s), then runs every dashboard query and every
# recording rule through the HTTP API and fails listing the empty ones
# (except those in alerting/testdata/e2e-may-be-empty.txt) and every rule
# Prometheus could not evaluate.
#
#   vigie demo &                                  # or make demo
#   alerting/e2e.sh http://127.0.0.1:9742/metrics
#
# With --chain it also runs the whole alert chain for VIGIE_CHAIN_WAIT
# (default 7m): Prometheus with the rules as they are, sending to Debian's
# Alertmanager with alertmanager.yml (receivers pointed at a local webhook);
# it logs every page and ticket and fails if two pages share a root cause.
set -euo pipefail
test=TestEndToEnd
if [ "${1:-}" = "--chain" ]; then
  test='TestEndToEnd|TestAlertChain'
  export VIGIE_CHAIN=1
  shift
fi
if [ $# -ne 1 ]; then
  echo "usage: $0 [--chain] VIGIE_METRICS_URL   (e.g. http://127.0.0.1:9742/metrics)" >&2
  exit 2
fi
cd "$(dirname "$0")/.."
VIGIE_URL="$1" exec go test ./alerting -run "^($test)\$" -count=1 -v -timeout 30m
