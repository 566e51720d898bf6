package resilience

import (
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/vigie-rie/vigie/inventory"
	"github.com/vigie-rie/vigie/sim"
)

var (
	simOnce  sync.Once
	simGraph *Graph
	simErr   error
)

// simRIE builds the simulator's default 14,000-site RIE once per test binary.
func simRIE(tb testing.TB) *Graph {
	tb.Helper()
	simOnce.Do(func() { simGraph, simErr = Build(sim.Generate(sim.GenerateOptions{})) })
	if simErr != nil {
		tb.Fatal(simErr)
	}
	return simGraph
}

// TestSimRIE checks facts the simulator builds in on purpose, at full scale.
func TestSimRIE(t *testing.T) {
	if testing.Short() {
		t.Skip("full-scale RIE in -short mode")
	}
	g := simRIE(t)
	r := g.Analyze(Failures{})
	if r.Counts.Isolated != 0 {
		t.Errorf("%d sites isolated with nothing failed", r.Counts.Isolated)
	}
	if len(r.Backbone.Bridges) != 0 || len(r.Backbone.Articulations) != 0 {
		t.Errorf("the simulated backbone is 2-connected, got bridges %v articulations %v", r.Backbone.Bridges, r.Backbone.Articulations)
	}
	// The internet cut isolates exactly the sites whose every access rides
	// the internet or lands on the PFAI.
	w := g.WhatIf(Failures{}, Failures{Internet: true})
	var want []string
	for _, s := range g.inv.Sites {
		cut := true
		for _, a := range s.Access {
			if !a.ViaInternet && g.inv.Device(a.Device).Role != inventory.RolePFAI {
				cut = false
			}
		}
		if cut {
			want = append(want, s.ID)
		}
	}
	slices.Sort(want)
	if !slices.Equal(w.Isolated, want) {
		t.Errorf("internet cut isolates %d sites, want %d", len(w.Isolated), len(want))
	}
	if len(w.Causes) != 1 || !slices.Equal(w.Causes[0].Cause, []string{"internet"}) {
		t.Errorf("internet cut causes %+v, want one group [internet]", w.Causes)
	}
	for _, ic := range []string{"testa-1", "testa-2", "renater-1", "renater-2", "partner-caisse", "partner-operateur"} {
		if !slices.Contains(w.SurvivingInterconnects, ic) {
			t.Errorf("%s does not survive the internet cut: %v", ic, w.SurvivingInterconnects)
		}
	}
	// An overseas site with an access landing in its own region hangs on
	// that region's cables; one tunnelled to the mainland on none.
	for _, o := range w.Overseas {
		local := false
		for _, a := range g.inv.Site(o.ID).Access {
			if g.inv.DeviceRegion(g.inv.Device(a.Device)) == o.Region {
				local = true
			}
		}
		if local != (len(o.Transoceanic) > 0) {
			t.Errorf("overseas site %s (access in its region: %v) hangs on %v", o.ID, local, o.Transoceanic)
		}
		for _, l := range o.Transoceanic {
			if !strings.Contains(string(l), "agg-"+o.Region+"-") {
				t.Errorf("overseas site %s of %s hangs on another region's cable %s", o.ID, o.Region, l)
			}
		}
	}
	// Incremental answers equal full ones for random single changes.
	rng := rand.New(rand.NewPCG(1, 2))
	links := g.Links()
	prev := r
	var f Failures
	for range 20 {
		f.Links = append(f.Links, string(links[rng.IntN(len(links))]))
		if rng.IntN(3) == 0 {
			f.Links = f.Links[1:]
		}
		inc := g.Reanalyze(prev, f, nil)
		full := g.Analyze(f)
		if !reflect.DeepEqual(exported(inc), exported(full)) {
			t.Fatalf("Reanalyze differs from Analyze for %v", f.Items())
		}
		prev = inc
	}
}

// TestSimLiveInternetCutIncremental: an internet cut as the live model sees
// it, tunnels going down batch by batch and BGP's verdict coming and going
// between them: each incremental answer equals the full one.
func TestSimLiveInternetCutIncremental(t *testing.T) {
	g := simRIE(t)
	all := liveInternetCut(g).Links
	prev := g.Analyze(Failures{})
	var f Failures
	for step, lost := range []bool{false, true, true, false, true} {
		f.Links = all[:len(all)*(step+1)/5]
		f.InternetLost = lost
		inc := g.Reanalyze(prev, f, nil)
		full := g.Analyze(f)
		if !reflect.DeepEqual(exported(inc), exported(full)) {
			t.Fatalf("step %d (%d links down, internet lost %v): Reanalyze differs from Analyze", step, len(f.Links), lost)
		}
		prev = inc
	}
	if len(prev.Causes) != 1 || !slices.Equal(prev.Causes[0].Cause, []string{"internet"}) {
		t.Errorf("every tunnel down, internet lost: causes %d, first %v; want one, [internet]", len(prev.Causes), prev.Causes[0].Cause)
	}
}

func BenchmarkBuild(b *testing.B) {
	inv := sim.Generate(sim.GenerateOptions{})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Build(inv); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAnalyze(b *testing.B) {
	g := simRIE(b)
	b.ReportAllocs()
	for b.Loop() {
		g.Analyze(Failures{})
	}
}

func BenchmarkAnalyzeInternetCut(b *testing.B) {
	g := simRIE(b)
	b.ReportAllocs()
	for b.Loop() {
		g.Analyze(Failures{Internet: true})
	}
}

// benchReanalyze flips one link down and up again, alternately.
func benchReanalyze(b *testing.B, link LinkID) {
	g := simRIE(b)
	up := g.Analyze(Failures{})
	down := Failures{Links: []string{string(link)}}
	b.ReportAllocs()
	prev := up
	i := 0
	for b.Loop() {
		f := Failures{}
		if i%2 == 0 {
			f = down
		}
		prev = g.Reanalyze(prev, f, []LinkID{link})
		i++
	}
}

func BenchmarkReanalyzeAccessLink(b *testing.B) {
	g := simRIE(b)
	id, _ := g.LinkByEndpoint("ce-s00002-1", "eth1")
	benchReanalyze(b, id)
}

func BenchmarkReanalyzePoPUplink(b *testing.B) {
	g := simRIE(b)
	var id LinkID
	for _, l := range g.Links() {
		if g.LinkSRLGs(l) != nil && g.LinkSRLGs(l)[0] == "duct-pop-idf-01-up1" {
			id = l
		}
	}
	if id == "" {
		b.Fatal("no uplink of pop-idf-01")
	}
	benchReanalyze(b, id)
}

func BenchmarkReanalyzeBackboneLink(b *testing.B) {
	g := simRIE(b)
	var id LinkID
	for _, l := range g.Links() {
		if s := g.LinkSRLGs(l); len(s) == 1 && s[0] == "duct-bb-00-01" {
			id = l
		}
	}
	if id == "" {
		b.Fatal("no backbone link duct-bb-00-01")
	}
	benchReanalyze(b, id)
}

// liveInternetCut is what the live model sees of an internet cut on the
// simulated RIE: every internet uplink and every access riding the
// internet down.
func liveInternetCut(g *Graph) Failures {
	var f Failures
	for _, e := range append(slices.Clone(g.internetIC), g.viaInternet...) {
		f.Links = append(f.Links, string(g.edges[e].id))
	}
	return f
}

// BenchmarkAnalyzeLiveInternetCut: the live analysis of an internet cut,
// each site explained by its own tunnel (links) or, since issue 14, all by
// the internet (lost).
func BenchmarkAnalyzeLiveInternetCut(b *testing.B) {
	g := simRIE(b)
	links := liveInternetCut(g)
	lost := links
	lost.InternetLost = true
	for _, bc := range []struct {
		name string
		f    Failures
	}{{"links", links}, {"lost", lost}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				g.Analyze(bc.f)
			}
		})
	}
}
