package discover

import (
	"net/netip"
	"slices"
	"testing"

	"github.com/vigie-rie/vigie/collector/snmp"
)

// TestNeighbors: a neighbour's address comes from lldpRemManAddrTable,
// else from a chassis id of subtype networkAddress, and a CDP neighbour's
// from its cache; each says where it came from.
func TestNeighbors(t *testing.T) {
	p := &snmp.Poll{
		LLDP: []snmp.LLDPNeighbor{
			{LocalPortNum: 1, LocalPort: "ge-0/0/1", ChassisID: "00:1b:21:aa:bb:cc", PortDescr: "eth1", SysName: "r2"},
			{LocalPortNum: 2, LocalPort: "ge-0/0/2", ChassisID: "10.0.0.3", PortID: "eth9", SysName: "r3"},
			{LocalPortNum: 3, ChassisID: "00:1b:21:aa:bb:dd", PortDescr: "eth4"},
		},
		LLDPManAddrs: []snmp.LLDPManAddr{{Neighbor: 0, LocalPortNum: 1, Addr: netip.MustParseAddr("10.0.0.2")}, {Neighbor: -1, LocalPortNum: 9, Addr: netip.MustParseAddr("10.0.0.99")}},
		CDP:          []snmp.CDPNeighbor{{IfIndex: 7, DeviceID: "sw1(FOX123)", Port: "Gi1/0/1", Address: netip.MustParseAddr("10.0.0.7")}},
	}
	got := neighbors(p)
	want := []neighbor{
		{port: "ge-0/0/1", remote: "r2", remotePort: "eth1", via: "lldp", addrs: []netip.Addr{netip.MustParseAddr("10.0.0.2")}, addrFrom: AddrFromLLDP},
		{port: "ge-0/0/2", remote: "r3", remotePort: "eth9", via: "lldp", addrs: []netip.Addr{netip.MustParseAddr("10.0.0.3")}, addrFrom: AddrFromChassisID},
		{port: "3", remote: "00:1b:21:aa:bb:dd", remotePort: "eth4", via: "lldp"},
		{port: "7", remote: "sw1", remotePort: "Gi1/0/1", via: "cdp", addrs: []netip.Addr{netip.MustParseAddr("10.0.0.7")}, addrFrom: AddrFromCDP},
	}
	if len(got) != len(want) {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.port != w.port || g.remote != w.remote || g.remotePort != w.remotePort || g.via != w.via || !slices.Equal(g.addrs, w.addrs) || g.addrFrom != w.addrFrom {
			t.Errorf("neighbour %d: got %+v, want %+v", i, g, w)
		}
	}
}

// TestLinks: rows from both ends of a cable are one link even when one
// end's table names the port otherwise (its description), each end named
// as its own device names it; LLDP and CDP on one port are one link seen
// by both; a link one end reports is kept, marked so; a neighbour named by
// its FQDN or found by its address is the reached device.
func TestLinks(t *testing.T) {
	a := netip.MustParseAddrPort("10.0.0.1:161")
	b := netip.MustParseAddrPort("10.0.0.2:161")
	c := netip.MustParseAddrPort("10.0.0.3:161")
	devs := []*Device{
		{Name: "r1", Address: a, neighbors: []neighbor{
			{port: "ge-0/0/1", remote: "r2.rie.gouv.fr", remotePort: "uplink to r1", via: "lldp"},
			{port: "ge-0/0/1", remote: "r2", remotePort: "uplink to r1", via: "cdp"},
			{port: "ge-0/0/2", remote: "whoever", remotePort: "eth0", via: "lldp", addrs: []netip.Addr{c.Addr()}},
			{port: "ge-0/0/3", remote: "far", remotePort: "eth0", via: "lldp"},
			{port: "lo", remote: "r1", remotePort: "lo", via: "lldp"},
		}},
		{Name: "r2", Address: b, neighbors: []neighbor{
			{port: "eth1", remote: "r1", remotePort: "ge-0/0/1", via: "lldp"},
		}},
		{Name: "r3", Address: c},
	}
	got := links(devs)
	want := []Link{
		{A: End{Device: "r1", Interface: "ge-0/0/1"}, B: End{Device: "r2", Interface: "eth1", Seen: "uplink to r1"}, Via: []string{"cdp", "lldp"}, BothEnds: true, Reached: true},
		{A: End{Device: "r1", Interface: "ge-0/0/2"}, B: End{Device: "r3", Interface: "eth0"}, Via: []string{"lldp"}, Reached: true},
		{A: End{Device: "r1", Interface: "ge-0/0/3"}, B: End{Device: "far", Interface: "eth0"}, Via: []string{"lldp"}},
	}
	if len(got) != len(want) {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.A != w.A || g.B != w.B || !slices.Equal(g.Via, w.Via) || g.BothEnds != w.BothEnds || g.Reached != w.Reached {
			t.Errorf("link %d:\n got %+v\nwant %+v", i, g, w)
		}
	}
}
