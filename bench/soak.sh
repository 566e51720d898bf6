#!/usr/bin/env bash
# Soak: the whole vigie daemon (SNMP collection, live topology, resilience,
# bbolt store, /metrics) against the full simulated RIE with FAULTY_PCT % of
# its devices faulty (a third never answer, a third answer slowly, a third
# reboot every REBOOT_EVERY seconds), for DURATION. Every SAMPLE seconds it
# reads vigie's /metrics: goroutines, heap, RSS, polls by result, skipped
# polls, the healthy devices' freshness and errors, the store. At the end it
# stops vigie with SIGTERM, reads the store back and prints a table and
# PASS/FAIL on:
#   - no growth: after the warm-up, the second half's mean heap and RSS are
#     at most GROWTH_TOL % above the first half's, and its peak goroutine
#     count at most GOROUTINE_TOL % (+20) above the first half's peak;
#   - no missed cycle for a healthy device: no poll error, vigie_device_up 1,
#     and at every sample a last success at most 1.5 x its role's interval
#     + 10 s old (a missed cycle leaves a gap of 2 intervals);
#   - nothing lost: events read back from the store after the stop >= events
#     counted (vigie_topology_changes_total) at the last scrape, none dropped,
#     no write error, nothing pending; and vigie exits 0 within STOP_BOUND s.
#
#   make bench-soak                               # 14,000 sites, 30 min
#   DURATION=4m flock /tmp/vigie-heavy.lock bench/soak.sh
#   SITES=2000 DURATION=10m SAMPLE=30 bench/soak.sh
#
# Everything runs on loopback; every process started here is stopped here,
# by its PID.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SITES=${SITES:-14000}
DURATION=${DURATION:-30m}
SAMPLE=${SAMPLE:-60}
WARMUP=${WARMUP:-120}        # two collection intervals: every device polled, first analyses done
FAULTY_PCT=${FAULTY_PCT:-2}
REBOOT_EVERY=${REBOOT_EVERY:-300}
SLOW=${SLOW:-1500ms}         # under the profiles' 2 s timeout: slow but answering
GROWTH_TOL=${GROWTH_TOL:-15}
GOROUTINE_TOL=${GOROUTINE_TOL:-10}
STOP_BOUND=${STOP_BOUND:-30}
OUT=${OUT:-$ROOT/bench/out}
cd "$ROOT"

seconds() { # 30m, 90s, 1h or plain seconds
	case "$1" in
	*h) echo $(( ${1%h} * 3600 )) ;; *m) echo $(( ${1%m} * 60 )) ;; *s) echo "${1%s}" ;; *) echo "$1" ;;
	esac
}
DUR=$(seconds "$DURATION")
if (( DUR < 2 * SAMPLE || DUR > 6 * 3600 )); then
	echo "soak: DURATION=$DURATION: give at least two samples ($((2 * SAMPLE)) s) and at most 6h" >&2; exit 2
fi

# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"

mkdir -p "$OUT"
go build -tags gosnmp_nodebug -o "$OUT/" ./cmd/vigie ./cmd/vigie-sim ./bench/storecount
dir="$OUT/soak-$SITES"; rm -rf "$dir"; mkdir -p "$dir"
simport=$(freeport); cport=$(freeport); vport=$(freeport)
"$OUT/vigie-sim" generate --sites "$SITES" --port "$simport" --out "$dir" >/dev/null
set -a; . "$dir/sim.env"; set +a
"$OUT/vigie-sim" serve --sites "$SITES" --port "$simport" --control "127.0.0.1:$cport" > "$dir/sim.log" 2>&1 &
sim=$!; pids+=("$sim")
ctl="http://127.0.0.1:$cport"
for _ in $(seq 120); do curl -sf -o /dev/null --max-time 2 "$ctl/faults" && break; sleep 0.5; done
curl -sf -o /dev/null --max-time 2 "$ctl/faults" || { echo "soak: the simulator did not start; see $dir/sim.log" >&2; exit 1; }

# The faulty devices: FAULTY_PCT % of the fleet, the same ones for the same
# SITES (sorted names, every k-th), split in three groups.
awk '/^devices:/ {d=1; next} /^[a-z_]+:/ {d=0} d && match($0, /name: [^,]+/) {print substr($0, RSTART+6, RLENGTH-6)}' \
	"$dir/vigie.yml" | sort > "$dir/devices.txt"
ndev=$(wc -l < "$dir/devices.txt")
nbad=$(( ndev * FAULTY_PCT / 100 ))
awk -v n="$ndev" -v k="$nbad" 'k > 0 && (NR - 1) % int(n / k) == 0 && c < k {print; c++}' "$dir/devices.txt" > "$dir/faulty.txt"
awk 'NR % 3 == 1' "$dir/faulty.txt" > "$dir/timeout.txt"
awk 'NR % 3 == 2' "$dir/faulty.txt" > "$dir/slow.txt"
awk 'NR % 3 == 0' "$dir/faulty.txt" > "$dir/reboot.txt"
while read -r d; do curl -sf -o /dev/null --max-time 5 -X PUT -d '{"timeout":true}' "$ctl/faults/$d"; done < "$dir/timeout.txt"
while read -r d; do curl -sf -o /dev/null --max-time 5 -X PUT -d "{\"slow\":\"$SLOW\"}" "$ctl/faults/$d"; done < "$dir/slow.txt"
reboot() { while read -r d; do curl -sf -o /dev/null --max-time 5 -X POST "$ctl/reboot/$d" || true; done < "$dir/reboot.txt"; }

"$OUT/vigie" run --config "$dir/vigie.yml" --db "$dir/vigie.db" --web.listen-address "127.0.0.1:$vport" > "$dir/vigie.log" 2>&1 &
v=$!; pids+=("$v")
url="http://127.0.0.1:$vport/metrics"
start=$(date +%s)
echo "soak: vigie pid $v, $ndev devices, $(wc -l < "$dir/faulty.txt") faulty ($(wc -l < "$dir/timeout.txt") timeout, $(wc -l < "$dir/slow.txt") slow $SLOW, $(wc -l < "$dir/reboot.txt") rebooting every ${REBOOT_EVERY}s), ${DUR}s, sample every ${SAMPLE}s, warm-up ${WARMUP}s"

# intervals: {collection: 60s, backbone: 30s, pfai: 30s, pfs: 30s}
intervals=$(awk -F'[{}]' '/^ *intervals:/ {print $2}' "$dir/vigie.yml" | tr -d ' ')

# sample scrapes /metrics once and prints one row of the table.
sample() {
	local t=$1 now
	now=$(date +%s)
	curl -sf --max-time 30 -o "$dir/metrics.txt" "$url" || { echo "$t scrape-failed"; return; }
	awk -v t="$t" -v now="$now" -v iv="$intervals" -v size="$(stat -c %s "$dir/vigie.db" 2>/dev/null || echo 0)" '
		function secs(d,   s, m) { # a Go duration such as 1m30s or 45s
			s = 0
			while (match(d, /^[0-9.]+(h|ms|m|s)/)) {
				m = substr(d, RSTART, RLENGTH); d = substr(d, RLENGTH + 1)
				if (m ~ /ms$/) s += m / 1000; else if (m ~ /h$/) s += m * 3600; else if (m ~ /m$/) s += m * 60; else s += m + 0
			}
			return s
		}
		BEGIN { n = split(iv, kv, ","); for (i = 1; i <= n; i++) { split(kv[i], p, ":"); ival[p[1]] = secs(p[2]) } }
		FILENAME == ARGV[1] { bad[$1] = 1; next }
		function label(name,   r) { if (match($0, name "=\"[^\"]*\"")) return substr($0, RSTART + length(name) + 2, RLENGTH - length(name) - 3); return "" }
		/^#/ { next }
		$1 == "go_goroutines" { gor = $2 }
		$1 == "go_memstats_heap_inuse_bytes" { heap = $2 }
		$1 == "process_resident_memory_bytes" { rss = $2 }
		index($1, "vigie_collector_polls_total{") == 1 { if (label("result") == "success") ok += $2; else fail += $2 }
		index($1, "vigie_collector_polls_skipped_total") == 1 { skipped += $2 }
		index($1, "vigie_topology_changes_total") == 1 { events += $2 }
		$1 == "vigie_store_write_errors_total" { werr = $2 }
		$1 == "vigie_store_pending_changes" { pending = $2 }
		$1 == "vigie_store_dropped_events_total" { dropped = $2 }
		index($1, "vigie_device_last_poll_success_timestamp_seconds{") == 1 {
			d = label("device"); if (d in bad) next
			seen[d] = 1; if (now - $2 > 1.5 * ival[label("role")] + 10) stale++
		}
		index($1, "vigie_device_up{") == 1 { d = label("device"); if (!(d in bad)) { healthy++; if ($2 != 1) down++ } }
		index($1, "vigie_device_poll_errors_total{") == 1 { d = label("device"); if (!(d in bad)) herr += $2 }
		END {
			never = healthy - length(seen)
			printf "%d %d %.0f %.0f %d %d %d %d %d %d %.1f %d %d %d %d\n", t, gor, heap / 1048576, rss / 1048576,
				ok, fail, skipped, stale + never, down, herr, size / 1048576, events, werr, pending, dropped
		}' "$dir/faulty.txt" "$dir/metrics.txt"
}

echo "t gor heap_MiB rss_MiB polls_ok polls_failed skipped healthy_stale healthy_down healthy_errors store_MiB events write_err pending dropped" > "$dir/samples.txt"
next_reboot=$REBOOT_EVERY
for (( t = SAMPLE; t <= DUR; t += SAMPLE )); do
	sleep $(( start + t - $(date +%s) > 0 ? start + t - $(date +%s) : 0 ))
	kill -0 "$v" 2>/dev/null || { echo "soak: FAIL: vigie died; see $dir/vigie.log" >&2; tail -20 "$dir/vigie.log" >&2; exit 1; }
	kill -0 "$sim" 2>/dev/null || { echo "soak: the simulator died, the run proves nothing; see $dir/sim.log" >&2; tail -20 "$dir/sim.log" >&2; exit 1; }
	if (( t >= next_reboot )); then reboot; next_reboot=$(( next_reboot + REBOOT_EVERY )); fi
	sample "$t" >> "$dir/samples.txt"
done
last=$(tail -1 "$dir/samples.txt")

# Stop: SIGTERM, bounded wait, then read the store back.
kill -TERM "$v"
stop0=$(date +%s%N); code=timeout
for _ in $(seq $(( STOP_BOUND * 10 ))); do
	if ! kill -0 "$v" 2>/dev/null; then wait "$v" && code=0 || code=$?; break; fi
	sleep 0.1
done
stop_s=$(awk -v a="$stop0" -v b="$(date +%s%N)" 'BEGIN {printf "%.1f", (b - a) / 1e9}')
readback=$("$OUT/storecount" "$dir/vigie.db" | awk '$1 == "events" {print $2}')
store_devices=$("$OUT/storecount" "$dir/vigie.db" | awk '$1 == "devices" {print $2}')

column -t "$dir/samples.txt"
awk -v warm="$WARMUP" -v gtol="$GROWTH_TOL" -v rtol="$GOROUTINE_TOL" -v code="$code" -v stop_s="$stop_s" \
	-v bound="$STOP_BOUND" -v readback="$readback" -v ndev="$ndev" -v sdev="$store_devices" -v last="$last" '
	NR == 1 { next }
	$2 == "scrape-failed" { scrapefail++; next }
	$1 > warm { n++; T[n] = $1; G[n] = $2; H[n] = $3; R[n] = $4 }
	$1 > warm { if ($8 > 0) stale += $8; if ($9 > 0) down += $9; if (n == 1) e0 = $10; e1 = $10 }
	function verdict(ok, what) { printf "%s  %s\n", ok ? "PASS" : "FAIL", what; if (!ok) failed = 1 }
	END {
		split(last, L, " ")
		if (n < 2) { verdict(0, "fewer than two samples after the warm-up: raise DURATION"); exit 1 }
		h = int(n / 2)
		for (i = 1; i <= n; i++) if (i <= h) { g1 = G[i] > g1 ? G[i] : g1; h1 += H[i]; r1 += R[i] } else { g2 = G[i] > g2 ? G[i] : g2; h2 += H[i]; r2 += R[i] }
		h1 /= h; r1 /= h; h2 /= n - h; r2 /= n - h
		printf "\nafter the %d s warm-up: %d samples, halves %d..%d s and %d..%d s\n", warm, n, T[1], T[h], T[h + 1], T[n]
		verdict(g2 <= g1 * (1 + rtol / 100) + 20, sprintf("goroutines: peak %d in the second half vs %d in the first (tolerance %d %% + 20)", g2, g1, rtol))
		verdict(h2 <= h1 * (1 + gtol / 100), sprintf("heap in use: mean %.0f MiB in the second half vs %.0f MiB (tolerance %d %%)", h2, h1, gtol))
		verdict(r2 <= r1 * (1 + gtol / 100), sprintf("RSS: mean %.0f MiB in the second half vs %.0f MiB (tolerance %d %%)", r2, r1, gtol))
		verdict(stale == 0 && down == 0 && e1 == e0 && scrapefail == 0, sprintf("healthy devices: %d stale samples (last success older than 1.5 intervals + 10 s), %d down, %d new poll errors, %d failed scrapes", stale, down, e1 - e0, scrapefail))
		verdict(code == "0" && stop_s <= bound, sprintf("SIGTERM: exit status %s after %s s (bound %d s)", code, stop_s, bound))
		verdict(readback >= L[12] && L[13] == 0 && L[14] == 0 && L[15] == 0, sprintf("store: %d events read back after the stop, %d counted at the last scrape; %d write errors, %d pending, %d dropped", readback, L[12], L[13], L[14], L[15]))
		verdict(sdev == ndev, sprintf("store: %d of %d devices persisted", sdev, ndev))
		print failed ? "soak: FAIL" : "soak: PASS"
		exit failed
	}' "$dir/samples.txt"
