package exposition

import (
	"encoding/json"
	"io"
	"testing"

	"github.com/prometheus/common/expfmt"

	"github.com/vigie-rie/vigie/collector/bgp"
	"github.com/vigie-rie/vigie/sim"
	"github.com/vigie-rie/vigie/topology"
)

// routedFleet is the full generated RIE, polled once and analysed, with
// BGP's verdict on every site with prefixes (28,000 routing series).
func routedFleet(b *testing.B) *harness {
	inv := sim.Generate(sim.GenerateOptions{})
	h := newHarnessInv(b, inv, topology.Options{})
	var batch []bgp.SiteRouting
	for _, s := range inv.Sites {
		if len(s.Prefixes) > 0 {
			batch = append(batch, bgp.SiteRouting{Site: s.ID, Region: s.Region, State: bgp.RoutingRouted,
				Prefixes: len(s.Prefixes), Paths: 2, NextHops: 1})
		}
	}
	h.topo.RecordRouting(batch)
	h.round()
	b.Logf("%d sites, %d routed", len(inv.Sites), len(h.topo.Routing().Sites))
	return h
}

// BenchmarkScrapeTopology measures what one /metrics scrape costs for the
// topology's families on the full fleet: the registry's families gathered
// and encoded (model counts, roll-ups and the topology's own
// instrumentation), then the text families.
func BenchmarkScrapeTopology(b *testing.B) {
	h := routedFleet(b)
	b.Run("registry+text", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			mfs, err := h.reg.Gather()
			if err != nil {
				b.Fatal(err)
			}
			for _, mf := range mfs {
				if _, err := expfmt.MetricFamilyToText(io.Discard, mf); err != nil {
					b.Fatal(err)
				}
			}
			if err := writeTopology(io.Discard, h.topo); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("text", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if err := writeTopology(io.Discard, h.topo); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("places-text", func(b *testing.B) {
		// The 14,000 site, 20,000 access and PoP info series, rendered
		// from the inventory at each scrape.
		p := places{inv: h.inv, accessIDs: h.topo.AccessIDs()}
		tw := newTextWriter(io.Discard)
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			p.write(tw)
			if err := tw.flush(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("routing-text", func(b *testing.B) {
		// The 28,000 routing series alone, rendered at each scrape.
		r := h.topo.Routing()
		tw := newTextWriter(io.Discard)
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			writeRouting(tw, r, h.inv)
			if err := tw.flush(); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkAPITopology measures GET /api/v1/topology on the full fleet
// (20,000 nodes, the links), snapshot and JSON encoding.
func BenchmarkAPITopology(b *testing.B) {
	h := routedFleet(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		v := topologyView(h.topo.Snapshot())
		if err := json.NewEncoder(io.Discard).Encode(v); err != nil {
			b.Fatal(err)
		}
	}
}
