#!/bin/sh
# Entry point of a vigie lab node under containerlab: starts the daemons the
# node's binds configure, as vigie-lab does in a namespace.
set -e
# FRR's AgentX client (BGP4-MIB) talks to this container's own snmpd.
echo "agentXSocket tcp:127.0.0.1:705" > /etc/snmp/frr.conf
sysctl -qw net.ipv4.ip_forward=1 || true
if [ -f /etc/snmp/snmpd.conf ]; then
  snmpd -C -c /etc/snmp/snmpd.conf -Lf /var/log/snmpd.log
fi
if [ -f /etc/frr/daemons ]; then
  /usr/lib/frr/frrinit.sh start
fi
if [ -f /etc/lldpd.conf ]; then
  # eth0 is containerlab's management interface: no LLDP there.
  lldpd -x -X tcp:127.0.0.1:705 -I 'eth*,!eth0' -m "$(ip -4 -o addr show eth0 | awk '{print $4}' | cut -d/ -f1)"
fi
exec sleep infinity
