#!/usr/bin/env bash
# Installs the real peers vigie's tests talk to, from Debian's packages, when
# they are missing: net-snmp (snmpd, snmpbulkwalk), snmpsim (recorded devices), FRR with its SNMP module,
# lldpd, gobgpd, Prometheus (promtool), Alertmanager (amtool), NetworkX and
# igraph, Chromium (headless: the printable HTML report, the web console), nats-server (JetStream, distributed
# mode). Idempotent: does
# nothing when everything is there.
set -euo pipefail

# binary -> package that ships it
declare -A need=(
  [/usr/sbin/snmpd]=snmpd
  [/usr/bin/snmpbulkwalk]=snmp
  [/usr/bin/snmpsimd]=snmpsim
  [/usr/lib/frr/bgpd]=frr
  [/usr/lib/x86_64-linux-gnu/frr/modules/bgpd_snmp.so]=frr-snmp
  [/usr/sbin/lldpd]=lldpd
  [/usr/bin/gobgpd]=gobgpd
  [/usr/bin/promtool]=prometheus
  [/usr/bin/amtool]=prometheus-alertmanager
  [/usr/share/doc/python3-networkx]=python3-networkx
  [/usr/share/doc/python3-igraph]=python3-igraph
  [/usr/sbin/ip]=iproute2
  [/usr/sbin/nft]=nftables
  [/usr/bin/chromium]=chromium
  [/usr/sbin/nats-server]=nats-server
)
missing=()
for path in "${!need[@]}"; do
  [ -e "$path" ] || missing+=("${need[$path]}")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "deps: all test peers present"
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "deps: need root (or sudo) to apt-get install: ${missing[*]}" >&2; exit 1; }
  SUDO=sudo
fi
echo "deps: installing from Debian: ${missing[*]}"
start=$(date +%s)
# Debian's postinst scripts must not start services on this machine.
export DEBIAN_FRONTEND=noninteractive
timeout 600 $SUDO apt-get update -qq
timeout 900 $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/tmp/vigie-deps-apt.log 2>&1 || {
  echo "deps: apt-get install failed; last lines of /tmp/vigie-deps-apt.log:" >&2
  tail -20 /tmp/vigie-deps-apt.log >&2
  exit 1
}
echo "deps: installed in $(( $(date +%s) - start )) s"
