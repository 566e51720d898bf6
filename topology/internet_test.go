package topology

import (
	"slices"
	"strings"
	"testing"

	"github.com/vigie-rie/vigie/collector/bgp"
	"github.com/vigie-rie/vigie/inventory"
	"github.com/vigie-rie/vigie/sim"
)

// cutFixture is the simulated RIE with the failure sets an internet cut and
// an overseas cable cut leave in the live model.
type cutFixture struct {
	eng *resEngine
	// uplinks are the internet interconnects' links, tunnels the accesses
	// that ride the internet.
	uplinks, tunnels []string
	// cable is the one transoceanic link of a territory with one cable, and
	// region that territory.
	cable, region string
}

func newCutFixture(t testing.TB, sites int) *cutFixture {
	t.Helper()
	inv := sim.Generate(sim.GenerateOptions{Sites: sites})
	m := newModel(inv)
	eng, err := newEngine(inv, m)
	if err != nil {
		t.Fatal(err)
	}
	fx := &cutFixture{eng: eng}
	id := func(dev, ifname string) string {
		l, ok := eng.g.LinkByEndpoint(dev, ifname)
		if !ok {
			t.Fatalf("no link at %s %s", dev, ifname)
		}
		return string(l)
	}
	for _, ic := range inv.Interconnects {
		if ic.Kind == inventory.InterconnectInternet {
			fx.uplinks = append(fx.uplinks, id(ic.Device, ic.Interface))
		}
	}
	for _, s := range inv.Sites {
		for _, a := range s.Access {
			if a.ViaInternet {
				fx.tunnels = append(fx.tunnels, id(a.Device, a.Interface))
			}
		}
	}
	// A territory on a single cable, with sites behind it.
	cables := map[string][]string{}
	for _, l := range inv.Links {
		if l.Technology == inventory.TechTransoceanic {
			r := inv.DeviceRegion(inv.Device(l.A.Device))
			cables[r] = append(cables[r], id(l.A.Device, l.A.Interface))
		}
	}
	count := map[string]int{}
	for _, s := range inv.Sites {
		count[s.Region]++
	}
	for r, ls := range cables {
		if len(ls) == 1 && count[r] >= 2 && (fx.region == "" || r < fx.region) {
			fx.region, fx.cable = r, ls[0]
		}
	}
	if len(fx.uplinks) < 2 || len(fx.tunnels) == 0 || fx.cable == "" {
		t.Fatalf("simulated RIE: %d internet uplinks, %d tunnels, cable %q: the fixture needs all three", len(fx.uplinks), len(fx.tunnels), fx.cable)
	}
	return fx
}

func (fx *cutFixture) analyze(t testing.TB, f failureSet) *Analysis {
	t.Helper()
	slices.Sort(f.Links)
	f.Links = slices.Compact(f.Links)
	a, err := fx.eng.analyze(f, "")
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// causes counts the isolated sites per cause_kind/cause.
func causes(a *Analysis) map[string]int {
	out := map[string]int{}
	for _, s := range a.Sites {
		if s.Isolated {
			out[s.CauseKind+"/"+s.Cause]++
		}
	}
	return out
}

// TestLiveInternetCut: what the live model sees of an internet cut (every
// internet uplink down, or BGP's verdict, and every tunnel riding the
// internet down) isolates the sites the what-if predicts, all with one
// cause, "internet"; the same tunnels down while the internet is fine are
// each their site's own cause.
func TestLiveInternetCut(t *testing.T) {
	fx := newCutFixture(t, 2000)
	want := 0
	for _, s := range fx.analyze(t, failureSet{}).Sites {
		if s.IsolatedIfInternetCut {
			want++
		}
	}
	if want == 0 {
		t.Fatal("the what-if isolates no site on an internet cut: the fixture tests nothing")
	}
	for _, tt := range []struct {
		name string
		f    failureSet
	}{
		{"uplinks down (SNMP)", failureSet{Links: append(slices.Clone(fx.uplinks), fx.tunnels...)}},
		{"no default route (BGP)", failureSet{Links: slices.Clone(fx.tunnels), InternetLost: true}},
	} {
		got := causes(fx.analyze(t, tt.f))
		if len(got) != 1 || got["internet/internet"] != want {
			t.Errorf("%s: isolated sites by cause %v, want %d sites all internet/internet", tt.name, got, want)
		}
	}

	// One uplink left and BGP silent: no internet loss, each site its own link.
	got := causes(fx.analyze(t, failureSet{Links: append(slices.Clone(fx.uplinks[1:]), fx.tunnels...)}))
	if got["internet/internet"] != 0 || len(got) != want {
		t.Errorf("internet still up: causes %v, want %d causes of kind link, one per site", got, want)
	}
	for c := range got {
		if !strings.HasPrefix(c, "link/") {
			t.Errorf("internet still up: cause %s, want link/<the site's tunnel>", c)
		}
	}
}

// TestLiveCableCut: the one cable of an overseas territory seen down
// isolates the territory's sites with one cause, the cable's SRLG.
func TestLiveCableCut(t *testing.T) {
	fx := newCutFixture(t, 2000)
	got := causes(fx.analyze(t, failureSet{Links: []string{fx.cable}}))
	if len(got) != 1 {
		t.Fatalf("cable %s of %s cut: causes %v, want one", fx.cable, fx.region, got)
	}
	for c, n := range got {
		if !strings.HasPrefix(c, "srlg/cable-") || n < 2 {
			t.Errorf("cable %s cut: %d sites isolated by %s, want the territory's sites by srlg/cable-...", fx.cable, n, c)
		}
	}
}

// TestRecordInternetLoss drives the live model as the daemon does: polls see
// every tunnel riding the internet down (the uplinks stay up: the upstreams
// are gone, not the ports), then BGP says no PFAI default route is left.
// The sites cut off are each their tunnel's until then, the internet's
// while it holds, and their tunnel's again once BGP has a default route.
func TestRecordInternetLoss(t *testing.T) {
	inv := sim.Generate(sim.GenerateOptions{Sites: 300})
	h := newHarnessInv(t, inv, Options{})
	h.round()

	// BGP is first: the internet is lost and the sites riding it only are
	// withdrawn before any poll sees their tunnels down.
	var unrouted []bgp.SiteRouting
	for _, s := range h.topo.Analysis().Sites {
		if s.IsolatedIfInternetCut {
			unrouted = append(unrouted, bgp.SiteRouting{Site: s.ID, Region: s.Region, State: bgp.RoutingUnrouted, Prefixes: 1, Missing: 1})
		}
	}
	if len(unrouted) < 2 {
		t.Fatalf("%d sites would be cut off by an internet cut: the test needs two", len(unrouted))
	}
	h.topo.RecordRouting(unrouted)
	h.topo.RecordInternetLoss(true)
	h.sync()
	if got := causes(h.topo.Analysis()); len(got) != 1 || got["internet/internet"] != len(unrouted) {
		t.Errorf("BGP withdrew %d sites, internet lost: causes %v, want all internet/internet", len(unrouted), got)
	}
	for i := range unrouted {
		unrouted[i].State, unrouted[i].Missing = bgp.RoutingRouted, 0
	}
	h.topo.RecordRouting(unrouted)
	h.topo.RecordInternetLoss(false)
	h.sync()

	for _, s := range inv.Sites {
		for _, a := range s.Access {
			if a.ViaInternet {
				h.down[a.Device+":"+a.Interface] = true
			}
		}
	}
	h.round()
	byCause := func() map[string]int {
		return causes(h.topo.Analysis())
	}
	before := byCause()
	if len(before) < 2 || before["internet/internet"] != 0 {
		t.Fatalf("tunnels down, internet fine: causes %v, want one link cause per site", before)
	}
	n := 0
	for _, c := range before {
		n += c
	}

	h.topo.RecordInternetLoss(true)
	h.sync()
	if got := byCause(); len(got) != 1 || got["internet/internet"] != n {
		t.Errorf("BGP says the internet is lost: causes %v, want the %d sites all internet/internet", got, n)
	}
	for _, s := range h.topo.Analysis().Sites {
		if s.Isolated {
			if v := h.metric("vigie_site_isolation_cause", map[string]string{"site": s.ID, "cause_kind": "internet", "cause": "internet"}); v != 1 {
				t.Errorf("vigie_site_isolation_cause{site=%q,cause_kind=\"internet\"} = %v, want 1", s.ID, v)
			}
			break
		}
	}

	h.topo.RecordInternetLoss(false)
	h.sync()
	if got := byCause(); got["internet/internet"] != 0 || len(got) != len(before) {
		t.Errorf("default route back: causes %v, want %v", got, before)
	}
}
