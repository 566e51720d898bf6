#!/usr/bin/env bash
# The in-use heap of a vigie heap profile, by owner: each row sums the
# functions that allocate what that part of the daemon keeps (pprof -focus,
# minus -ignore where a stack crosses two owners). Used for the issue 20
# table in BENCHMARKS.md; the profile comes from PROFILE=1 bench/fleet.sh.
#
#   bench/heap-owners.sh OUT/vigie OUT/heap.pprof
set -euo pipefail
bin=$1 heap=$2
row() { # name focus [ignore]
  local args=(-sample_index=inuse_space -focus "$2" -top)
  [ -n "${3:-}" ] && args+=(-ignore "$3")
  local sum
  sum=$(go tool pprof "${args[@]}" "$bin" "$heap" 2>/dev/null | sed -nE 's/^Showing nodes accounting for ([0-9.]+[kMG]?B).*/\1/p')
  printf '%-52s %s\n' "$1" "${sum:-0}"
}
row "SNMP sessions (buffers, gosnmp clients, scratch)" \
  'snmp.newSession|snmp.\(\*session\)|snmp.decodeResponse|snmp.\(\*ifDecoder\).add|snmp.\(\*lldpDecoder\).add|snmp.\(\*bgpDecoder\).add|snmp.\(\*Poller\).take|gosnmp.\(\*GoSNMP\).connect' \
  'hashPassword|cachedPasswordToKey'
row "SNMPv3 key localisation (gosnmp)" 'hashPassword|cachedPasswordToKey'
row "device poll state and last poll" \
  'snmp.\(\*DeviceState\)|snmp.NewDeviceState|snmp.\(\*ifDecoder\).finish|snmp.\(\*lldpDecoder\).finish|snmp.\(\*bgpDecoder\).finish|snmp.\(\*Poller\).Poll$|snmp.printable|snmp.sameOrNew|snmp.textOf|collector.\(\*Collector\).pollOne' \
  'collector.\(\*Collector\).record|exposition\.|hashPassword|session|decodeResponse|ifDecoder\).add|lldpDecoder\).add|bgpDecoder\).add|take|connect'
row "collector device table (devices, targets)" 'collector.New$' 'newDeviceSeries|newLabelSet|newSession|connect|NewPoller'
row "renderings and label sets" 'collector.\(\*deviceSeries\)|collector.newDeviceSeries|collector.newLabelSet|collector.\(\*Collector\).record|exposition\.'
row "topology model, engine, routes" 'topology.New$|topology.\(\*Topology\)' 'resilience'
row "resilience graph and analyses" 'resilience'
row "inventory and bbolt" 'inventory.Load|inventory.Parse|inventory.\(\*Inventory\)|bbolt'
go tool pprof -sample_index=inuse_space -top "$bin" "$heap" 2>/dev/null | sed -nE 's/^Showing nodes accounting for .* of ([0-9.]+[kMG]?B) total/live heap (profile total)                             \1/p'
