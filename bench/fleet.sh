#!/usr/bin/env bash
# The whole vigie daemon (SNMP collection, live topology, resilience, bbolt
# store, /metrics) against the full simulated RIE at the default intervals:
# CPU (user+sys from /proc) over a measured window after a warm-up, peak and
# current RSS, /metrics scrape time and size. The simulator runs in its own
# process and is not counted.
#
#   make bench-fleet                  # 14,000 sites, 120 s warm-up, 120 s window
#   SITES=5000 WINDOW=60 bench/fleet.sh
#   VIGIE_FLAGS=--memory.limit=off bench/fleet.sh   # extra flags for vigie run
#   PROFILE=1 bench/fleet.sh          # also a CPU profile of the window and heap
#                                     # profiles (pprof files in $OUT)
#
# Everything runs on loopback; every process started here is stopped here.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SITES=${SITES:-14000}
WARMUP=${WARMUP:-120}   # two collection intervals: every device polled, first analyses done
WINDOW=${WINDOW:-120}
OUT=${OUT:-$ROOT/bench/out}
mkdir -p "$OUT"
cd "$ROOT"
# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"

go build -tags gosnmp_nodebug -o "$OUT/" ./cmd/vigie ./cmd/vigie-sim
fleet="$OUT/fleet-full-$SITES"; rm -rf "$fleet"
simport=$(freeport); vport=$(freeport)
"$OUT/vigie-sim" generate --sites "$SITES" --port "$simport" --out "$fleet" >/dev/null
set -a; . "$fleet/sim.env"; set +a
"$OUT/vigie-sim" serve --sites "$SITES" --port "$simport" --control "" > "$fleet/sim.log" 2>&1 &
sim=$!; pids+=("$sim"); sleep 1
pprof=(); [ -n "${PROFILE:-}" ] && pprof=(--web.enable-pprof)
# shellcheck disable=SC2086 # VIGIE_FLAGS is a list of flags
"$OUT/vigie" run --config "$fleet/vigie.yml" --db "$fleet/vigie.db" --web.listen-address "127.0.0.1:$vport" "${pprof[@]}" ${VIGIE_FLAGS:-} > "$fleet/vigie.log" 2>&1 &
v=$!; pids+=("$v")
url="http://127.0.0.1:$vport/metrics"
echo "vigie pid $v, $(grep -c 'snmp_profile' "$fleet/vigie.yml") devices, warm-up ${WARMUP}s"
sleep "$WARMUP"
kill -0 "$sim" && kill -0 "$v"
c0=$(cpu "$v"); p0=$(metric "$url" 'vigie_collector_polls_total{')
if [ -n "${PROFILE:-}" ]; then
  # The CPU profile covers the measured window; its own cost is a few ms.
  curl -s -o "$OUT/cpu.pprof" "http://127.0.0.1:$vport/debug/pprof/profile?seconds=$WINDOW"
  curl -s -o "$OUT/heap.pprof" "http://127.0.0.1:$vport/debug/pprof/heap"
else
  sleep "$WINDOW"
fi
c1=$(cpu "$v"); p1=$(metric "$url" 'vigie_collector_polls_total{')
scrape=$(curl -s -o "$fleet/metrics.txt" -w '%{time_total}' "$url")
gz=$(curl -s -H 'Accept-Encoding: gzip' -o "$fleet/metrics.gz" -w '%{time_total}' "$url")
failed=$(metric "$url" 'vigie_collector_polls_total{result="failure"')
skipped=$(metric "$url" vigie_collector_polls_skipped_total)
awk -v c0="$c0" -v c1="$c1" -v w="$WINDOW" -v p0="$p0" -v p1="$p1" \
  'BEGIN {printf "CPU %.3f core over %d s; %d polls (%.0f/s), %.0f us CPU per poll\n", (c1-c0)/w, w, p1-p0, (p1-p0)/w, 1e6*(c1-c0)/(p1-p0)}'
echo "RSS $(mem "$v" VmRSS) MiB now, peak $(mem "$v" VmHWM) MiB"
echo "/metrics: $scrape s, $(wc -c < "$fleet/metrics.txt") bytes, $(grep -vc '^#' "$fleet/metrics.txt") series; gzip $gz s, $(wc -c < "$fleet/metrics.gz") bytes"
echo "RSS after the two scrapes $(mem "$v" VmRSS) MiB, peak $(mem "$v" VmHWM) MiB"
echo "polls failed since start: $failed; skipped: $skipped; store $(du -h "$fleet/vigie.db" | cut -f1)"
