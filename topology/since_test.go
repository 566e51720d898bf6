package topology

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigie-rie/vigie/collector/snmp"
)

// TestSiteSinceDatesTheStateChange: a site's Since is the time of the
// analysis that first saw its state, kept while the state lasts, moved
// when it changes, and carried over a reload.
func TestSiteSinceDatesTheStateChange(t *testing.T) {
	h := newHarness(t, Options{})
	start := site(t, h, "S2").Since
	if !start.Equal(t0) {
		t.Fatalf("S2's first state dated %v, want the start %v", start, t0)
	}
	h.round()
	if s := site(t, h, "S2"); s.State != SiteNominal || !s.Since.Equal(start) {
		t.Fatalf("S2 after a quiet round: %s since %v, want nominal since %v", s.State, s.Since, start)
	}

	h.down["agg-lyon-1:ge2"] = true
	h.round()
	degradedAt := h.now
	if s := site(t, h, "S2"); s.State != SiteDegraded || !s.Since.Equal(degradedAt) {
		t.Fatalf("S2 with a fibre down: %s since %v, want degraded since %v", s.State, s.Since, degradedAt)
	}
	h.round()
	if s := site(t, h, "S2"); s.State != SiteDegraded || !s.Since.Equal(degradedAt) {
		t.Errorf("S2 still degraded a round later: since %v, want unchanged %v", s.Since, degradedAt)
	}
	if s1 := site(t, h, "S1"); !s1.Since.Equal(start) {
		t.Errorf("S1, untouched, dated %v, want %v", s1.Since, start)
	}

	// A reload keeps the date of a state it finds unchanged.
	h.stop()
	h2 := &harness{t: t, inv: loadInventory(t, "small.json"), reg: prometheus.NewPedanticRegistry(), now: h.now.Add(time.Minute),
		uptime: map[string]time.Duration{}, down: map[string]bool{"agg-lyon-1:ge2": true}, lldpOff: map[string]bool{},
		extraLLDP: map[string][]snmp.LLDPNeighbor{}}
	topo, err := New(h2.inv, Options{Debounce: time.Hour, Now: func() time.Time { return h2.now }, Registerer: h2.reg})
	if err != nil {
		t.Fatal(err)
	}
	topo.Adopt(h.topo)
	h2.topo, h2.portMap = topo, h2.ports()
	h2.start()
	if s := site(t, h2, "S2"); s.State != SiteDegraded || !s.Since.Equal(degradedAt) {
		t.Errorf("S2 after a reload: %s since %v, want degraded since %v", s.State, s.Since, degradedAt)
	}

	delete(h2.down, "agg-lyon-1:ge2")
	h2.round()
	if s := site(t, h2, "S2"); s.State != SiteNominal || !s.Since.Equal(h2.now) {
		t.Errorf("S2 repaired: %s since %v, want nominal since %v", s.State, s.Since, h2.now)
	}
}
