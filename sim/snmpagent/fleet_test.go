package snmpagent

import (
	"testing"
	"time"

	"github.com/vigie-rie/vigie/inventory"
	"github.com/vigie-rie/vigie/sim"
)

// TestFleetMatchesInventory checks, for every link end of a generated RIE,
// that the simulated device has the interface under the inventory's name
// and sees the inventory's peer on it, so that IF-MIB and LLDP agree with
// the inventory; and that BGP sessions are where a real RIE has them.
func TestFleetMatchesInventory(t *testing.T) {
	inv := sim.Generate(sim.GenerateOptions{Seed: 4, Sites: 500})
	f, err := newFleet(inv, 4, time.Unix(1e9, 0))
	if err != nil {
		t.Fatal(err)
	}
	if len(f.devices) != len(inv.Devices) {
		t.Fatalf("fleet has %d devices, inventory %d", len(f.devices), len(inv.Devices))
	}
	dev := func(name string) *device { return f.devices[f.byName[name]] }
	checkEnd := func(a, aIf, b, bIf string, lldp bool) {
		t.Helper()
		d := dev(a)
		i := d.ifIndexOf(aIf)
		if i < 0 {
			t.Fatalf("%s has no interface %q", a, aIf)
		}
		it := d.ifaces[i]
		if it.peerDev < 0 || f.devices[it.peerDev].name != b || f.devices[it.peerDev].ifaces[it.peerIf].name != bIf {
			t.Fatalf("%s %s: peer is not %s %s", a, aIf, b, bIf)
		}
		if it.lldp != lldp {
			t.Fatalf("%s %s: LLDP %v, want %v", a, aIf, it.lldp, lldp)
		}
	}
	for _, s := range inv.Sites {
		for _, al := range s.Access {
			checkEnd(al.Router, al.RouterInterface, al.Device, al.Interface, !al.ViaInternet)
			checkEnd(al.Device, al.Interface, al.Router, al.RouterInterface, !al.ViaInternet)
		}
	}
	for _, l := range inv.Links {
		checkEnd(l.A.Device, l.A.Interface, l.B.Device, l.B.Interface, true)
		checkEnd(l.B.Device, l.B.Interface, l.A.Device, l.A.Interface, true)
	}
	for _, ic := range inv.Interconnects {
		if dev(ic.Device).ifIndexOf(ic.Interface) < 0 {
			t.Errorf("%s has no interconnect interface %q", ic.Device, ic.Interface)
		}
	}
	ibgp := 0
	for i := range inv.Devices {
		d := &inv.Devices[i]
		fd := dev(d.Name)
		if fd.ifaces[0].name != "lo" {
			t.Errorf("%s: ifIndex 1 is %q, want lo", d.Name, fd.ifaces[0].name)
		}
		if d.Site != "" {
			if last := fd.ifaces[len(fd.ifaces)-1].name; last != "lan0" {
				t.Errorf("CE %s: last interface %q, want lan0", d.Name, last)
			}
			accesses := 0
			for _, s := range inv.Sites {
				for _, al := range s.Access {
					if al.Router == d.Name {
						accesses++
					}
				}
			}
			if len(fd.sessions) != accesses {
				t.Errorf("CE %s: %d BGP sessions for %d accesses", d.Name, len(fd.sessions), accesses)
			}
		}
		if fd.kind == kindRR {
			ibgp = len(fd.sessions)
		}
		for j := 1; j < len(fd.sessions); j++ {
			if string(fd.sessions[j-1].remote[:]) >= string(fd.sessions[j].remote[:]) {
				t.Fatalf("%s: BGP sessions not sorted by remote address", d.Name)
			}
		}
	}
	want := 0
	for _, d := range inv.Devices {
		if d.Datacentre != "" || d.Role == inventory.RolePFAI || d.Role == inventory.RolePFS ||
			(d.Role == inventory.RoleCollection && d.PoP != "") {
			want++
		}
	}
	if ibgp != want {
		t.Errorf("a route reflector has %d iBGP sessions, want %d", ibgp, want)
	}
}
