#!/usr/bin/env bash
# vigie against its peers on one simulated fleet (issue 7): vigie, the
# current snmp_exporter (built from the Go module proxy, its shipped
# if_mib module) and net-snmp's snmpbulkwalk (C, the floor), polling the same
# vigie-sim devices for the same IF-MIB tables. For each: CPU seconds
# (user+sys, from /proc) per 1,000 device polls, CPU ns per varbind, peak RSS
# and the wall time of a full-fleet cycle.
#
#   make bench-peers                      # 1,000, 5,000 and 14,000 sites
#   SIZES=1000 CYCLES=2 bench/peers.sh    # a quick look
#
# Everything runs on loopback; every process started here is stopped here.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SIZES=${SIZES:-"1000 5000 14000"}
CYCLES=${CYCLES:-3}
INTERVAL=${INTERVAL:-20}          # vigie's poll interval in the benchmark (s)
CONC=${CONC:-16}                  # snmp_exporter scrapes in flight
WALK_SAMPLE=${WALK_SAMPLE:-500}   # devices walked with snmpbulkwalk (one process per table: slow)
SNMP_EXPORTER_VERSION=${SNMP_EXPORTER_VERSION:-v0.30.1}
OUT=${OUT:-$ROOT/bench/out}
mkdir -p "$OUT"
cd "$ROOT"
# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"
hwm() { mem "$1" VmHWM; }
sim_alive() { kill -0 "$1" 2>/dev/null || { echo "the simulator (pid $1) died: see $2" >&2; exit 1; }; }

echo "== building vigie, vigie-sim and the scrape driver"
go build -tags gosnmp_nodebug -o "$OUT/" ./cmd/vigie ./cmd/vigie-sim ./bench/scrape

echo "== building snmp_exporter $SNMP_EXPORTER_VERSION from the Go module proxy (throwaway module, not in the repo)"
peer="$OUT/peer"
if [ ! -x "$peer/snmp_exporter" ]; then
  mkdir -p "$peer"
  printf 'module peer\n\ngo 1.24\n\nrequire github.com/prometheus/snmp_exporter %s\n' "$SNMP_EXPORTER_VERSION" > "$peer/go.mod"
  printf '//go:build tools\npackage peer\n\nimport _ "github.com/prometheus/snmp_exporter"\n' > "$peer/tools.go"
  (cd "$peer" && GOFLAGS=-mod=mod go build -o snmp_exporter github.com/prometheus/snmp_exporter)
  cp "$(go env GOMODCACHE)/github.com/prometheus/snmp_exporter@$SNMP_EXPORTER_VERSION/snmp.yml" "$peer/"
fi

export VIGIE_SIM_COMMUNITY=public   # snmp_exporter's public_v2 auth
report="$OUT/peers-$(date +%Y%m%d-%H%M%S).txt"
printf "%-8s %-14s %8s %10s %12s %10s %8s %12s\n" sites tool devices polls cpu_s/1k ns/varbind rss_MiB cycle_s | tee "$report"

for N in $SIZES; do
  fleet="$OUT/fleet-$N"; rm -rf "$fleet"
  simport=$(freeport)
  "$OUT/vigie-sim" generate --sites "$N" --v3-fraction -1 --port "$simport" --out "$fleet" >/dev/null
  # The same tables as snmp_exporter's if_mib: the system group and IF-MIB.
  sed -i -e "s/^  tables: .*/  tables: [system, interfaces]/" \
         -e "s/^  intervals: .*/  intervals: {collection: ${INTERVAL}s, backbone: ${INTERVAL}s, pfai: ${INTERVAL}s, pfs: ${INTERVAL}s}/" \
         -e "s/^  workers: .*/  workers: 512/" "$fleet/vigie.yml"
  set -a; . "$fleet/sim.env"; set +a
  export VIGIE_SIM_COMMUNITY=public
  grep -o 'address: "\?127\.[0-9.]*:[0-9]*' "$fleet/vigie.yml" | sed 's/address: "\?//' > "$fleet/targets"
  devices=$(wc -l < "$fleet/targets")
  "$OUT/vigie-sim" serve --sites "$N" --v3-fraction -1 --port "$simport" --control "" > "$fleet/sim.log" 2>&1 &
  sim=$!; pids+=("$sim"); sleep 1

  # (a) vigie: warm up one interval, then measure CYCLES intervals.
  sim_alive "$sim" "$fleet/sim.log"
  vport=$(freeport)
  "$OUT/vigie" run --config "$fleet/vigie.yml" --db - --web.listen-address "127.0.0.1:$vport" > "$fleet/vigie.log" 2>&1 &
  v=$!; pids+=("$v")
  wait_http "http://127.0.0.1:$vport/-/healthy"
  sleep "$INTERVAL"
  c0=$(cpu "$v"); p0=$(metric "http://127.0.0.1:$vport/metrics" vigie_collector_polls_total)
  b0=$(metric "http://127.0.0.1:$vport/metrics" vigie_collector_varbinds_total)
  scrape_s=0
  for _ in $(seq "$CYCLES"); do
    sleep "$INTERVAL"
    scrape_s=$(curl -s -o "$fleet/metrics.txt" -w '%{time_total}' "http://127.0.0.1:$vport/metrics")
  done
  c1=$(cpu "$v"); p1=$(metric "http://127.0.0.1:$vport/metrics" vigie_collector_polls_total)
  b1=$(metric "http://127.0.0.1:$vport/metrics" vigie_collector_varbinds_total)
  cycle=$(metric "http://127.0.0.1:$vport/metrics" 'vigie_collector_cycle_duration_seconds{role="collection"}')
  skipped=$(metric "http://127.0.0.1:$vport/metrics" vigie_collector_polls_skipped_total)
  rss=$(hwm "$v"); kill "$v"; wait "$v" 2>/dev/null || true
  polls=$((p1 - p0)); vb=$((b1 - b0))
  awk -v n="$N" -v d="$devices" -v p="$polls" -v c="$(awk -v a="$c0" -v b="$c1" 'BEGIN {print b - a}')" -v vb="$vb" -v r="$rss" -v cy="$cycle" \
    'BEGIN {printf "%-8s %-14s %8d %10d %12.3f %10.0f %8d %12s\n", n, "vigie", d, p, 1000*c/p, 1e9*c/vb, r, cy}' | tee -a "$report"
  echo "   vigie: /metrics scrape $scrape_s s, $(wc -c < "$fleet/metrics.txt") bytes, $(grep -vc '^#' "$fleet/metrics.txt") series; skipped polls $skipped"

  # (b) snmp_exporter, scraped for every device once per cycle.
  sim_alive "$sim" "$fleet/sim.log"
  eport=$(freeport)
  "$peer/snmp_exporter" --config.file="$peer/snmp.yml" --web.listen-address="127.0.0.1:$eport" > "$fleet/exporter.log" 2>&1 &
  e=$!; pids+=("$e")
  wait_http "http://127.0.0.1:$eport/metrics"
  c0=$(cpu "$e")
  "$OUT/scrape" --exporter "http://127.0.0.1:$eport" --targets "$fleet/targets" --cycles "$CYCLES" --concurrency "$CONC" > "$fleet/scrape.txt"
  c1=$(cpu "$e"); rss=$(hwm "$e"); kill "$e"; wait "$e" 2>/dev/null || true
  vb=$(awk '{s+=$(NF-1)} END {print s}' "$fleet/scrape.txt")
  fails=$(awk '{s+=$(NF-4)} END {print s}' "$fleet/scrape.txt")
  cycle=$(awk '{s+=$6} END {printf "%.1f", s/NR}' "$fleet/scrape.txt")
  polls=$((devices * CYCLES))
  awk -v n="$N" -v d="$devices" -v p="$polls" -v c="$(awk -v a="$c0" -v b="$c1" 'BEGIN {print b - a}')" -v vb="$vb" -v r="$rss" -v cy="$cycle" \
    'BEGIN {printf "%-8s %-14s %8d %10d %12.3f %10.0f %8d %12s\n", n, "snmp_exporter", d, p, 1000*c/p, (vb>0?1e9*c/vb:0), r, cy}' | tee -a "$report"
  echo "   snmp_exporter: $fails failed scrapes"

  # (c) snmpbulkwalk of ifTable and ifXTable on a sample, 4 in parallel,
  # bounded in time (a dead agent costs 12 s per device).
  sim_alive "$sim" "$fleet/sim.log"
  timeout 600 python3 - "$fleet/targets" "$WALK_SAMPLE" > "$fleet/bulkwalk.txt" <<'PY'
import resource, subprocess, sys, time
targets = open(sys.argv[1]).read().split()[: int(sys.argv[2])]
start = time.time()
cmd = "xargs -P 4 -I T sh -c 'snmpbulkwalk -v2c -c public -m : -On -Cr25 -t 2 -r 1 T 1.3.6.1.2.1.2.2; snmpbulkwalk -v2c -c public -m : -On -Cr25 -t 2 -r 1 T 1.3.6.1.2.1.31.1.1; snmpget -v2c -c public -m : -On T 1.3.6.1.2.1.1.3.0 1.3.6.1.2.1.1.5.0'"
out = subprocess.run(cmd, shell=True, input="\n".join(targets), capture_output=True, text=True).stdout
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
print(len(targets), ru.ru_utime + ru.ru_stime, len(out.splitlines()), ru.ru_maxrss // 1024, round(time.time() - start, 1))
PY
  read -r d c vb rss cy < "$fleet/bulkwalk.txt"
  awk -v n="$N" -v d="$d" -v c="$c" -v vb="$vb" -v r="$rss" -v cy="$cy" \
    'BEGIN {printf "%-8s %-14s %8d %10d %12.3f %10.0f %8d %12s\n", n, "snmpbulkwalk", d, d, 1000*c/d, 1e9*c/vb, r, cy}' | tee -a "$report"

  kill "$sim"; wait "$sim" 2>/dev/null || true
done
echo "== report: $report"
