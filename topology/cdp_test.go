package topology

import (
	"slices"
	"testing"
	"time"

	"github.com/vigie-rie/vigie/collector/snmp"
)

// TestCDPNeighbours: a CDP-only access router's neighbour cache vouches
// for its declared access link as LLDP would (source cdp, not lldp), by
// hostname (NX-OS serial dropped) or by the address CDP advertises; an
// undeclared CDP neighbour is an observed link with an undeclared_neighbor
// disagreement; a protocol's table not read this poll (nil) keeps what its
// last one said, an empty one forgets.
func TestCDPNeighbours(t *testing.T) {
	h := newHarness(t, Options{})
	h.cdp = map[string][]snmp.CDPNeighbor{}
	var ce, ceIf, pe, peIf string
	for _, s := range h.inv.Sites {
		for _, a := range s.Access {
			if ce == "" && a.Router != "" && a.RouterInterface != "" && a.Interface != "" {
				ce, ceIf, pe, peIf = a.Router, a.RouterInterface, a.Device, a.Interface
			}
		}
	}
	if ce == "" {
		t.Fatal("small.json has no access link with both interfaces")
	}
	h.lldpOff[ce], h.lldpOff[pe] = true, true
	access := h.linkAt(ce, ceIf)
	sourcesOf := func(id string) []Source {
		h.t.Helper()
		h.topo.mu.RLock()
		defer h.topo.mu.RUnlock()
		l := h.topo.st.links[id]
		if l == nil {
			h.t.Fatalf("no link %s", id)
		}
		return l.snapshot().Sources
	}
	check := func(step string, id string, want ...Source) {
		t.Helper()
		if got := sourcesOf(id); !slices.Equal(got, want) {
			t.Errorf("%s: link %s sources %v, want %v", step, id, got, want)
		}
	}
	h.round()
	check("no neighbour protocol", access, SourceDeclared, SourceIFMIB)

	h.cdp[ce] = []snmp.CDPNeighbor{{IfIndex: 1, LocalPort: ceIf, DeviceID: pe + "(FOX1234ABCD)", Port: peIf, Platform: "cisco ASR1001-X"}}
	h.round()
	check("CDP by hostname", access, SourceDeclared, SourceIFMIB, SourceCDP)
	if d := h.link(access).disagreement; d != "" {
		t.Errorf("CDP by hostname: disagreement %q, want none", d)
	}

	var peAddr = h.inv.Device(pe).Address.Addr()
	h.cdp[ce] = []snmp.CDPNeighbor{
		{IfIndex: 1, LocalPort: ceIf, DeviceID: "SERIAL-9X", Port: peIf, Address: peAddr},
		{IfIndex: 9, LocalPort: "Gi0/9", DeviceID: "sw-mairie", Port: "Fa0/1"},
	}
	h.round()
	check("CDP by address", access, SourceDeclared, SourceIFMIB, SourceCDP)
	observed := observedID(ce, "Gi0/9", "sw-mairie", "Fa0/1")
	check("undeclared CDP neighbour", observed, SourceCDP)
	if d := h.link(observed).disagreement; d != DisagreeUndeclaredNeighbor {
		t.Errorf("undeclared CDP neighbour: disagreement %q, want %s", d, DisagreeUndeclaredNeighbor)
	}

	// LLDP also sees the access link: both sources.
	h.lldpOff[ce] = false
	h.round()
	check("LLDP and CDP", access, SourceDeclared, SourceLLDP, SourceIFMIB, SourceCDP)

	// The LLDP walk failed this poll (nil), CDP was read: LLDP's last
	// table stands.
	h.nowMu.Lock()
	h.now = h.now.Add(time.Minute)
	h.nowMu.Unlock()
	p := h.poll(ce)
	p.LLDP = nil
	h.topo.Apply(p)
	h.sync()
	check("LLDP not read", access, SourceDeclared, SourceLLDP, SourceIFMIB, SourceCDP)

	// The CDP walk failed this poll (nil): its links stand.
	h.cdp[ce] = nil
	h.round()
	check("CDP not read", access, SourceDeclared, SourceLLDP, SourceIFMIB, SourceCDP)
	check("CDP not read", observed, SourceCDP)

	// The cache read empty: CDP no longer vouches, the observed link goes.
	h.cdp[ce] = []snmp.CDPNeighbor{}
	h.round()
	check("CDP empty", access, SourceDeclared, SourceLLDP, SourceIFMIB)
	h.topo.mu.RLock()
	_, still := h.topo.st.links[observed]
	h.topo.mu.RUnlock()
	if still {
		t.Errorf("CDP empty: observed link %s still held", observed)
	}
}

// linkAt returns the id of the declared link with an end on dev:iface.
func (h *harness) linkAt(dev, iface string) string {
	h.t.Helper()
	h.topo.mu.RLock()
	defer h.topo.mu.RUnlock()
	for _, l := range h.topo.st.byEndpoint[endKey{dev, iface}] {
		return l.id
	}
	h.t.Fatalf("no declared link at %s:%s", dev, iface)
	return ""
}
