package topology

import (
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/vigie-rie/vigie/collector/bgp"
	"github.com/vigie-rie/vigie/sim"
)

// routed, unrouted... build the monitor's verdict for a one-prefix site.
func verdict(site string, st bgp.RoutingState) bgp.SiteRouting {
	r := bgp.SiteRouting{Site: site, Region: "ara", State: st, Prefixes: 1}
	switch st {
	case bgp.RoutingRouted:
		r.Paths, r.NextHops = 2, 1
	case bgp.RoutingUnrouted:
		r.Missing = 1
	case bgp.RoutingUnknown:
		r.Unknown = 1
	}
	return r
}

func TestRoutingFoldedIntoReachability(t *testing.T) {
	type step struct {
		silent  []string // devices whose polls time out in this round
		routing []bgp.SiteRouting
	}
	type want struct {
		isolated     float64
		cause        string // cause_kind/cause of vigie_site_isolation_cause, "" = no series
		state        string // SiteResult.State
		routed       float64
		nextHops     float64 // -1 = absent
		disagreement string
		events       []string // kinds of the events about S1 in the last step, "kind:to"
	}
	tests := []struct {
		name  string
		steps []step
		want  want
	}{
		{
			name:  "unrouted while its CE answers SNMP: isolated by routing, a disagreement",
			steps: []step{{}, {routing: []bgp.SiteRouting{verdict("S1", bgp.RoutingUnrouted)}}},
			want: want{isolated: 1, cause: "routing/unrouted", state: SiteIsolated, routed: 0, nextHops: 0,
				disagreement: DisagreeUnroutedCEReachable,
				events:       []string{"site_routing:unrouted", "disagreement:unrouted_ce_reachable", "site_state:isolated"}},
		},
		{
			name: "CE silent on SNMP but its prefix routed: reachable (degraded), a disagreement",
			steps: []step{{routing: []bgp.SiteRouting{verdict("S1", bgp.RoutingRouted)}},
				{silent: []string{"ce-s1"}}},
			want: want{isolated: 0, state: SiteDegraded, routed: 1, nextHops: 1,
				disagreement: DisagreeRoutedCEUnreachable,
				events:       []string{"device_unreachable:unreachable", "disagreement:routed_ce_unreachable", "site_state:degraded"}},
		},
		{
			name: "CE silent and prefix withdrawn: the sources agree, the graph's cause stands",
			steps: []step{{routing: []bgp.SiteRouting{verdict("S1", bgp.RoutingRouted)}},
				{silent: []string{"ce-s1"}, routing: []bgp.SiteRouting{verdict("S1", bgp.RoutingUnrouted)}}},
			want: want{isolated: 1, cause: "device/ce-s1", state: SiteIsolated, routed: 0, nextHops: 0,
				events: []string{"site_routing:unrouted", "device_unreachable:unreachable", "site_state:isolated"}},
		},
		{
			name:  "BGP cannot tell: SNMP alone decides",
			steps: []step{{routing: []bgp.SiteRouting{verdict("S1", bgp.RoutingUnknown)}}, {silent: []string{"ce-s1"}}},
			want: want{isolated: 1, cause: "device/ce-s1", state: SiteIsolated, nextHops: -1,
				events: []string{"device_unreachable:unreachable", "site_state:isolated"}},
		},
		{
			name:  "routed after start is not news",
			steps: []step{{}, {routing: []bgp.SiteRouting{verdict("S1", bgp.RoutingRouted)}}},
			want:  want{isolated: 0, state: SiteNominal, routed: 1, nextHops: 1},
		},
		{
			name: "BGP goes blind (every session lost): not news, SNMP alone decides",
			steps: []step{{routing: []bgp.SiteRouting{verdict("S1", bgp.RoutingRouted)}},
				{routing: []bgp.SiteRouting{verdict("S1", bgp.RoutingUnknown)}}},
			want: want{isolated: 0, state: SiteNominal, nextHops: -1},
		},
		{
			name: "unrouted, blind, unrouted again: one site_routing event only",
			steps: []step{{routing: []bgp.SiteRouting{verdict("S1", bgp.RoutingUnrouted)}},
				{routing: []bgp.SiteRouting{verdict("S1", bgp.RoutingUnknown), verdict("S1", bgp.RoutingUnrouted)}}},
			want: want{isolated: 1, cause: "routing/unrouted", state: SiteIsolated, routed: 0, nextHops: 0,
				disagreement: DisagreeUnroutedCEReachable},
		},
		{
			name: "routed again: isolation and disagreement cleared",
			steps: []step{{routing: []bgp.SiteRouting{verdict("S1", bgp.RoutingUnrouted)}},
				{routing: []bgp.SiteRouting{verdict("S1", bgp.RoutingRouted)}}},
			want: want{isolated: 0, state: SiteNominal, routed: 1, nextHops: 1,
				events: []string{"site_routing:routed", "disagreement_cleared:", "site_state:nominal"}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			inv := loadInventory(t, "small.json")
			for i := range inv.Sites {
				inv.Sites[i].Prefixes = []netip.Prefix{netip.MustParsePrefix("10.0." + itoa(i) + ".0/24")}
			}
			h := newHarnessInv(t, inv, Options{UnreachableAfter: 1})
			var from int
			for _, st := range tc.steps {
				from = len(h.topo.Events(t0, 1000))
				h.topo.RecordRouting(st.routing)
				h.round(st.silent...)
			}
			lv := map[string]string{"site": "S1"}
			if got := h.metric("vigie_site_isolated", lv); got != tc.want.isolated {
				t.Errorf("vigie_site_isolated = %v, want %v", got, tc.want.isolated)
			}
			for _, kind := range []string{"routing", "device"} {
				got := h.metric("vigie_site_isolation_cause", map[string]string{"site": "S1", "cause_kind": kind})
				want := -1.0
				if c := tc.want.cause; len(c) > len(kind) && c[:len(kind)] == kind {
					want = 1
					if v := h.metric("vigie_site_isolation_cause", map[string]string{"site": "S1", "cause_kind": kind, "cause": c[len(kind)+1:]}); v != 1 {
						t.Errorf("no isolation cause %s", c)
					}
				}
				if got != want {
					t.Errorf("vigie_site_isolation_cause{cause_kind=%q} = %v, want %v", kind, got, want)
				}
			}
			s := h.topo.Analysis().Site("S1")
			if s.State != tc.want.state {
				t.Errorf("state %q, want %q", s.State, tc.want.state)
			}
			if tc.want.nextHops >= 0 {
				if got := h.metric("vigie_site_routed", lv); got != tc.want.routed {
					t.Errorf("vigie_site_routed = %v, want %v", got, tc.want.routed)
				}
			}
			if got := h.metric("vigie_site_route_next_hops", lv); got != tc.want.nextHops {
				t.Errorf("vigie_site_route_next_hops = %v, want %v", got, tc.want.nextHops)
			}
			for _, k := range SiteDisagreements {
				want := 0.0
				if k == tc.want.disagreement {
					want = 1
				}
				if got := h.metric("vigie_topology_site_disagreements", map[string]string{"kind": k}); got != want {
					t.Errorf("vigie_topology_site_disagreements{kind=%q} = %v, want %v", k, got, want)
				}
			}
			var got []string
			for _, e := range h.topo.Events(t0, 1000)[from:] {
				if e.Subject == "S1" || e.Subject == "ce-s1" {
					got = append(got, string(e.Kind)+":"+e.To)
					if e.Detail == "" {
						t.Errorf("event %+v has no detail", e)
					}
				}
			}
			if !slices.Equal(got, tc.want.events) {
				t.Errorf("events about S1 in the last step: %q, want %q", got, tc.want.events)
			}
			lint(t, h.reg)
		})
	}
}

// TestRoutingUnknownSitesIgnored: verdicts for sites the inventory does not
// give prefixes (or does not know) change nothing.
func TestRoutingUnknownSitesIgnored(t *testing.T) {
	h := newHarness(t, Options{})
	h.topo.RecordRouting([]bgp.SiteRouting{verdict("S1", bgp.RoutingUnrouted), verdict("nowhere", bgp.RoutingUnrouted)})
	h.round()
	if got := h.metric("vigie_site_isolated", map[string]string{"site": "S1"}); got != 0 {
		t.Errorf("S1 has no prefixes in the inventory: BGP must say nothing about it, isolated = %v", got)
	}
	if n := len(h.eventsOf(EventSiteRouting)); n != 0 {
		t.Errorf("%d site_routing events for sites without prefixes", n)
	}
}

// TestRoutingFirstPollOfCE: BGP calls a site unrouted before vigie has
// polled its CE; the CE's first good poll changes no failure, yet the
// disagreement must show at once, not at whatever analysis comes next.
func TestRoutingFirstPollOfCE(t *testing.T) {
	inv := loadInventory(t, "small.json")
	for i := range inv.Sites {
		inv.Sites[i].Prefixes = []netip.Prefix{netip.MustParsePrefix("10.0." + itoa(i) + ".0/24")}
	}
	h := newHarnessInv(t, inv, Options{})
	h.topo.RecordRouting([]bgp.SiteRouting{verdict("S1", bgp.RoutingUnrouted)})
	h.sync()
	kind := map[string]string{"kind": DisagreeUnroutedCEReachable}
	if got := h.metric("vigie_topology_site_disagreements", kind); got != 0 {
		t.Fatalf("before any poll: %v sites where BGP and SNMP disagree, want 0 (the CE is unknown)", got)
	}
	h.round()
	if got := h.metric("vigie_topology_site_disagreements", kind); got != 1 {
		t.Errorf("after the CE's first good poll: %v sites unrouted with a reachable CE, want 1", got)
	}
}

// BenchmarkRouting measures the routing verdicts' cost on the full
// generated fleet: folding one batch of every site's verdict into the model
// (a converging table), correcting one analysis with them, and publishing
// the routing snapshot when every site changed.
func BenchmarkRouting(b *testing.B) {
	inv := sim.Generate(sim.GenerateOptions{})
	h := newHarnessInv(b, inv, Options{})
	batch := make([]bgp.SiteRouting, 0, len(inv.Sites))
	for _, s := range inv.Sites {
		if len(s.Prefixes) > 0 {
			batch = append(batch, bgp.SiteRouting{Site: s.ID, Region: s.Region, State: bgp.RoutingRouted,
				Prefixes: len(s.Prefixes), Paths: 2, NextHops: 1})
		}
	}
	b.Logf("%d sites with prefixes", len(batch))
	eng := h.topo.eng.(*resEngine)
	base, _ := eng.analyze(failureSet{}, "")
	b.Run("apply-batch-every-site", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			st := bgp.RoutingRouted
			if i%2 == 0 {
				st = bgp.RoutingPartlyRouted
			}
			for j := range batch {
				batch[j].State = st
			}
			h.topo.mu.Lock()
			h.topo.applyRouting(batch, time.Time{})
			h.topo.mu.Unlock()
		}
	})
	b.Run("verdicts-on-one-analysis", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			a := *base
			a.Sites = slices.Clone(base.Sites)
			h.topo.rt.dirty = false // measure the corrections, not the metrics
			h.topo.routingVerdicts(&a)
		}
	})
	b.Run("publish-every-site-changed", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			h.topo.rt.publish()
		}
	})
}
