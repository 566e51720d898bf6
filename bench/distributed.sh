#!/usr/bin/env bash
# A distributed vigie on the full simulated RIE at the default intervals
# (docs/distributed.md): Debian's nats-server with JetStream, four
# `vigie collect` and one central `vigie run --observations`. The collector
# "region" polls the regions of $REGIONS (by default Nouvelle-Aquitaine and
# three small overseas territories: 1,980 devices of the 14,000-site RIE, the
# size issue 15 gives a collector); of the other regions, the overseas ones
# go to "overseas", the mainland ones alternately to "mainland-a" and
# "mainland-b". Each collector loads the whole inventory and keeps its share.
# CPU (user+sys from /proc) of each over a measured window after a warm-up,
# RSS now and peak, observations a second at the central, bytes an
# observation; then, side by side, the bytes of an observation against those
# of the SNMP exchanges of the same device poll (BenchmarkObservations,
# counted by a UDP relay). The simulator and nats-server run in their own
# processes, measured apart. Run it alone on the machine.
#
#   bench/distributed.sh
#   SITES=2000 WARMUP=60 WINDOW=60 bench/distributed.sh
#   REGIONS="ara" bench/distributed.sh
#
# Everything runs on loopback; every process started here is stopped here.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SITES=${SITES:-14000}
WARMUP=${WARMUP:-120}
WINDOW=${WINDOW:-120}
REGIONS=${REGIONS:-naq reu spm wlf}
OUT=${OUT:-$ROOT/bench/out}
mkdir -p "$OUT"
cd "$ROOT"
# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"

go build -tags gosnmp_nodebug -o "$OUT/" ./cmd/vigie ./cmd/vigie-sim
fleet="$OUT/fleet-dist-$SITES"; rm -rf "$fleet"; mkdir -p "$fleet/js"
simport=$(freeport); natsport=$(freeport); cport=$(freeport)
"$OUT/vigie-sim" generate --sites "$SITES" --port "$simport" --out "$fleet" >/dev/null
set -a; . "$fleet/sim.env"; set +a
# The collectors: $REGIONS to "region"; of the others, the overseas regions
# to one, the mainland ones alternately to two.
awk -v mine=" $REGIONS " '/^regions:/ {r=1; next} /^[a-z]/ {r=0} r && /id:/ {
  id=$0; sub(/.*id: */, "", id); sub(/[,}].*/, "", id)
  if (index(mine, " " id " ")) m = m ", " id
  else if ($0 ~ /overseas: true/) o = o ", " id; else if (n++ % 2) b = b ", " id; else a = a ", " id }
  END { print "collectors:"; print "  - {name: region, regions: [" substr(m, 3) "]}"
        print "  - {name: mainland-a, regions: [" substr(a, 3) "]}"; print "  - {name: mainland-b, regions: [" substr(b, 3) "]}"
        if (o != "") print "  - {name: overseas, regions: [" substr(o, 3) "]}" }' \
  "$fleet/vigie.yml" >> "$fleet/vigie.yml"
names=$(awk '/^collectors:/ {c=1; next} c && /name:/ {x=$0; sub(/.*name: */, "", x); sub(/,.*/, "", x); print x}' "$fleet/vigie.yml")
printf 'listen: 127.0.0.1:%s\njetstream {\n  store_dir: "%s"\n  max_file_store: 4GB\n}\n' "$natsport" "$fleet/js" > "$fleet/nats.conf"
/usr/sbin/nats-server -c "$fleet/nats.conf" > "$fleet/nats.log" 2>&1 &
nats=$!; pids+=("$nats")
"$OUT/vigie-sim" serve --sites "$SITES" --port "$simport" --control "" > "$fleet/sim.log" 2>&1 &
sim=$!; pids+=("$sim"); sleep 1
"$OUT/vigie" run --config "$fleet/vigie.yml" --db "$fleet/vigie.db" --web.listen-address "127.0.0.1:$cport" \
  --observations "nats://127.0.0.1:$natsport" --observations.consumer central-a > "$fleet/central.log" 2>&1 &
central=$!; pids+=("$central")
declare -A coll cports
for n in $names; do
  cports[$n]=$(freeport)
  "$OUT/vigie" collect --config "$fleet/vigie.yml" --collector "$n" --observations "nats://127.0.0.1:$natsport" \
    --web.listen-address "127.0.0.1:${cports[$n]}" > "$fleet/collect-$n.log" 2>&1 &
  coll[$n]=$!; pids+=("${coll[$n]}")
done
url="http://127.0.0.1:$cport/metrics"
echo "central pid $central, nats $nats, collectors ${coll[*]}; warm-up ${WARMUP}s"
sleep "$WARMUP"
kill -0 "$central" && kill -0 "$nats" && kill -0 "$sim"
c0=$(cpu "$central"); n0=$(cpu "$nats"); r0=$(metric "$url" 'vigie_observations_received_total{')
declare -A k0
for n in "${!coll[@]}"; do k0[$n]=$(cpu "${coll[$n]}"); done
sleep "$WINDOW"
c1=$(cpu "$central"); n1=$(cpu "$nats"); r1=$(metric "$url" 'vigie_observations_received_total{')
awk -v c0="$c0" -v c1="$c1" -v w="$WINDOW" -v r0="$r0" -v r1="$r1" \
  'BEGIN {printf "central: CPU %.3f core over %d s; %d observations (%.0f/s)\n", (c1-c0)/w, w, r1-r0, (r1-r0)/w}'
echo "central: RSS $(mem "$central" VmRSS) MiB now, peak $(mem "$central" VmHWM) MiB"
awk -v a="$n0" -v b="$n1" -v w="$WINDOW" 'BEGIN {printf "nats-server: CPU %.3f core\n", (b-a)/w}'
echo "nats-server: RSS $(mem "$nats" VmRSS) MiB, stream on disk $(du -sh "$fleet/js" | cut -f1)"
for n in $names; do
  u="http://127.0.0.1:${cports[$n]}/metrics"
  k1=$(cpu "${coll[$n]}")
  pub=$(metric "$u" vigie_observations_published_total); byt=$(metric "$u" vigie_observations_published_bytes_total)
  awk -v n="$n" -v a="${k0[$n]}" -v b="$k1" -v w="$WINDOW" -v d="$(metric "$u" 'vigie_collector_devices{')" -v p="$pub" -v y="$byt" \
    'BEGIN {printf "%s: %d devices, CPU %.3f core, %.0f bytes an observation\n", n, d, (b-a)/w, y/p}'
  echo "$n: RSS $(mem "${coll[$n]}" VmRSS) MiB now, peak $(mem "${coll[$n]}" VmHWM) MiB; dropped $(metric "$u" vigie_observations_dropped_total), queued $(metric "$u" vigie_observations_queued)"
done
echo "central: $(metric "$url" 'vigie_sites{state="nominal"') sites nominal, $(metric "$url" 'vigie_sites{state="unobserved"') unobserved"
cleanup; pids=()
# The same device polls in SNMP bytes and in observation bytes, side by side
# (a relay counts the SNMP datagrams, IP and UDP headers included).
go test -tags gosnmp_nodebug -run X -bench Observations -benchtime 1x ./observe | grep -E 'bytes/poll|observations/s' || true
