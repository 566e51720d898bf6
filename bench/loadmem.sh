#!/usr/bin/env bash
# The peak memory of loading the full simulated RIE (issue 15: "a collector
# for 2,000 devices: < 128 MiB RSS"). For each vigie binary given (default:
# one built from this tree), `vigie collect` for the collector "region"
# (Nouvelle-Aquitaine and three small overseas territories: 1,980 devices,
# as in bench/distributed.sh) and then `vigie run` are started alone on the
# 14,000-site inventory; once each serves /metrics, its peak RSS (VmHWM), its
# RSS and the seconds it took to get there are printed, and it is stopped.
# Nothing is polled: the simulator is not started, so the figures are those
# of the load. Run it alone on the machine.
#
#   bench/loadmem.sh
#   bench/loadmem.sh /tmp/before/vigie bin/vigie
#   RUNS=3 SITES=14000 bench/loadmem.sh
#
# Everything runs on loopback; every process started here is stopped here.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SITES=${SITES:-14000}
RUNS=${RUNS:-3}
REGIONS=${REGIONS:-naq reu spm wlf}
OUT=${OUT:-$ROOT/bench/out}
mkdir -p "$OUT"
cd "$ROOT"
# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"

go build -tags gosnmp_nodebug -o "$OUT/" ./cmd/vigie ./cmd/vigie-sim
bins=("$@")
[ ${#bins[@]} -gt 0 ] || bins=("$OUT/vigie")
fleet="$OUT/fleet-loadmem-$SITES"; rm -rf "$fleet"; mkdir -p "$fleet/js"
simport=$(freeport); natsport=$(freeport)
"$OUT/vigie-sim" generate --sites "$SITES" --port "$simport" --out "$fleet" >/dev/null
set -a; . "$fleet/sim.env"; set +a
# The collector "region" polls $REGIONS; "rest" the other regions.
awk -v mine=" $REGIONS " '/^regions:/ {r=1; next} /^[a-z]/ {r=0} r && /id:/ {
  id=$0; sub(/.*id: */, "", id); sub(/[,}].*/, "", id)
  if (index(mine, " " id " ")) m = m ", " id; else o = o ", " id }
  END { print "collectors:"; print "  - {name: region, regions: [" substr(m, 3) "]}"
        print "  - {name: rest, regions: [" substr(o, 3) "]}" }' "$fleet/vigie.yml" >> "$fleet/vigie.yml"
echo "inventory: $(du -h "$fleet/vigie.yml" | cut -f1), $(grep -c '^  - {name: ' "$fleet/vigie.yml") devices"
printf 'listen: 127.0.0.1:%s\njetstream {\n  store_dir: "%s"\n}\n' "$natsport" "$fleet/js" > "$fleet/nats.conf"
/usr/sbin/nats-server -c "$fleet/nats.conf" > "$fleet/nats.log" 2>&1 &
pids+=("$!"); sleep 1

# measure LABEL BIN ARGS... starts BIN ARGS, waits for its /metrics (on the
# port given by $port) and prints the figures.
measure() {
  local label=$1; shift
  local t0 p t
  t0=$(date +%s.%N)
  "$@" > "$fleet/$label.log" 2>&1 &
  p=$!; pids+=("$p")
  wait_http "http://127.0.0.1:$port/metrics"
  t=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b-a}')
  echo "$label: peak RSS $(mem "$p" VmHWM) MiB, RSS $(mem "$p" VmRSS) MiB, serving after $t s"
  kill "$p"; wait "$p" 2>/dev/null || true
}
for b in "${bins[@]}"; do
  echo "== $b"
  for _ in $(seq "$RUNS"); do
    port=$(freeport)
    measure collect "$b" collect --config "$fleet/vigie.yml" --collector region \
      --observations "nats://127.0.0.1:$natsport" --web.listen-address "127.0.0.1:$port"
    port=$(freeport); rm -f "$fleet/vigie.db"
    measure run "$b" run --config "$fleet/vigie.yml" --db "$fleet/vigie.db" --web.listen-address "127.0.0.1:$port"
  done
done
