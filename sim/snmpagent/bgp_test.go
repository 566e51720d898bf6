package snmpagent

import (
	"net/netip"
	"strings"
	"testing"
	"time"
)

// TestBGPSessionsHook: sessions with peers outside the inventory (vigie's
// monitor, from bgpsim) are rows of the device's bgpPeerTable, in index
// order among its inventory sessions, established since they came up.
func TestBGPSessionsHook(t *testing.T) {
	const oidPeerState = ".1.3.6.1.2.1.15.3.1.2"
	const oidPeerRemoteAS = ".1.3.6.1.2.1.15.3.1.9"
	const oidPeerEstablishedTime = ".1.3.6.1.2.1.15.3.1.16"
	var f *fixture
	var rr string
	hook := func(device string) []BGPSession {
		if device != rr {
			return nil
		}
		return []BGPSession{{Local: f.inv.Device(rr).Address.Addr(), Remote: netip.MustParseAddr("127.0.0.1"),
			RemoteAS: 64999, RemoteID: netip.MustParseAddr("127.0.0.1"), Since: f.clock.Now().Add(-42 * time.Second)}}
	}
	f = startAgent(t, 30, Options{BGPSessions: hook})
	for _, d := range f.inv.Devices {
		if strings.HasPrefix(d.Name, "rr-") {
			rr = d.Name
			break
		}
	}
	if rr == "" {
		t.Fatal("no route reflector in the generated RIE")
	}
	without := 0
	for _, d := range f.inv.Devices {
		if strings.HasPrefix(d.Name, "rr-") && d.Name != rr {
			without = len(walkColumn(t, v2client(t, f, d.Address.Addr()), oidPeerState))
			break
		}
	}
	g := v2client(t, f, f.inv.Device(rr).Address.Addr())
	states := walkColumn(t, g, oidPeerState) // the walk fails on rows out of order
	if len(states) != without+1 {
		t.Fatalf("%s has %d bgpPeerTable rows, want its %d inventory sessions and vigie's", rr, len(states), without)
	}
	if v, ok := states["127.0.0.1"]; !ok || v.Value.(int) != 6 {
		t.Fatalf("vigie's row: %+v (present %v), want established(6)", v, ok)
	}
	if v := walkColumn(t, g, oidPeerRemoteAS)["127.0.0.1"]; v.Value.(int) != 64999 {
		t.Errorf("vigie's row has remote AS %v, want 64999", v.Value)
	}
	if v := walkColumn(t, g, oidPeerEstablishedTime)["127.0.0.1"]; v.Value.(uint) != 42 {
		t.Errorf("vigie's row established for %v s, want 42", v.Value)
	}
}
