package topology

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigie-rie/vigie/collector/snmp"
)

// TestAdoptCarriesStateOver: a reload of a vigie without a store hands the
// stopped topology's state to the new one. Before any poll, the new one
// serves the same device states, links (the observed one too), analysis
// and event history.
func TestAdoptCarriesStateOver(t *testing.T) {
	h := newHarness(t, Options{})
	h.down["agg-lyon-1:ge2"] = true
	h.extraLLDP["agg-lyon-1"] = []snmp.LLDPNeighbor{{LocalPort: "ge7", SysName: "rogue-switch", PortDescr: "port1"}}
	h.round()
	h.round("agg-lyon-2")
	h.round("agg-lyon-2") // now unreachable
	h.stop()
	before := h.topo.events.since(time.Time{}, 1000)

	h2 := &harness{t: t, inv: loadInventory(t, "small.json"), reg: prometheus.NewPedanticRegistry(), now: h.now,
		uptime: map[string]time.Duration{}, down: map[string]bool{}, lldpOff: map[string]bool{}, extraLLDP: map[string][]snmp.LLDPNeighbor{}}
	topo, err := New(h2.inv, Options{Debounce: time.Hour, Now: func() time.Time { return h2.now }, Registerer: h2.reg})
	if err != nil {
		t.Fatal(err)
	}
	topo.Adopt(h.topo)
	h2.topo, h2.portMap = topo, h2.ports()
	h2.start()

	if l := h2.link(s2Fibre1); l.state != LinkDown {
		t.Errorf("adopted %s: state %s, want down", s2Fibre1, l.state)
	}
	if d := h2.topo.st.devices["agg-lyon-2"]; d.state != DeviceUnreachable || d.polls != 3 {
		t.Errorf("adopted agg-lyon-2 = %s after %d polls, want unreachable after 3", d.state, d.polls)
	}
	if s := site(t, h2, "S2"); !s.Isolated || s.Cause == "" {
		t.Errorf("adopted analysis of S2 = %+v, want isolated", s)
	}
	if l := h2.link("lldp:agg-lyon-1:ge7--rogue-switch:port1"); l.disagreement != DisagreeUndeclaredNeighbor {
		t.Errorf("adopted observed link: %+v", l)
	}
	after := h2.topo.events.since(time.Time{}, 1000)
	if len(before) == 0 || len(after) != len(before) {
		t.Fatalf("events: %d before, %d after the hand-over", len(before), len(after))
	}
	for i := range before {
		if before[i] != after[i] {
			t.Errorf("event %d: %+v before, %+v after", i, before[i], after[i])
		}
	}
}
