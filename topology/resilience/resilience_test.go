package resilience

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/vigie-rie/vigie/inventory"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/slices")

func loadSlice(t testing.TB, name string) *Graph {
	t.Helper()
	inv, err := inventory.Load(filepath.Join("testdata", "slices", name+".yml"), inventory.LoadOptions{})
	if err != nil {
		t.Fatalf("load %s: %v", name, err)
	}
	g, err := Build(inv)
	if err != nil {
		t.Fatalf("build %s: %v", name, err)
	}
	return g
}

func failures(t testing.TB, specs ...string) Failures {
	t.Helper()
	var f Failures
	for _, s := range specs {
		if s == "internet-lost" { // the live internet loss, not the scenario
			f.InternetLost = true
			continue
		}
		if err := f.Add(s); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

// TestKnownAnswers checks hand-derived answers on the RIE slices in
// testdata/slices (each file's header says what it models).
func TestKnownAnswers(t *testing.T) {
	type site struct {
		id        string
		paths     int
		toDC      []int // nil = not checked
		effective inventory.Protection
		spofs     []string // nil = not checked
		isolated  bool
		cause     []string
	}
	tests := []struct {
		slice  string
		failed []string
		sites  []site
		groups int // number of cause groups (-1 = not checked)
	}{
		{"agg-fanout", nil, []site{
			{id: "A", paths: 1, effective: inventory.ProtectionSingle, spofs: []string{"device:agg-1", "device:ce-a", "link:agg-1:ge-0/0/1--ce-a:ge0", "srlg:duct-pop-1"}},
			// Two diverse accesses, but both PoP uplinks share a duct.
			{id: "D", paths: 1, effective: inventory.ProtectionDual, spofs: []string{"srlg:duct-pop-1"}},
			// Two fibres on one router: the router is a single point of failure.
			{id: "E", paths: 1, effective: inventory.ProtectionDual, spofs: []string{"device:agg-1", "srlg:duct-pop-1"}},
		}, 0},
		{"agg-fanout", []string{"device:agg-1"}, []site{
			{id: "A", paths: 0, effective: inventory.ProtectionNone, isolated: true, cause: []string{"device:agg-1"}},
			{id: "B", paths: 0, isolated: true, cause: []string{"device:agg-1"}},
			{id: "C", paths: 0, isolated: true, cause: []string{"device:agg-1"}},
			{id: "D", paths: 1, effective: inventory.ProtectionSingle, toDC: []int{1, 1}},
			{id: "E", paths: 0, isolated: true, cause: []string{"device:agg-1"}},
		}, 1},
		// A dead router explains its dead links: one cause, one page.
		{"agg-fanout", []string{"device:agg-1", "link:agg-1--ce-a", "link:agg-1--p-1"}, []site{
			{id: "A", paths: 0, isolated: true, cause: []string{"device:agg-1"}},
			{id: "E", paths: 0, isolated: true, cause: []string{"device:agg-1"}},
		}, 1},
		{"agg-fanout", []string{"srlg:duct-pop-1"}, []site{
			{id: "A", isolated: true, cause: []string{"srlg:duct-pop-1"}},
			{id: "D", isolated: true, cause: []string{"srlg:duct-pop-1"}},
		}, 1},
		// Live failures come device by device and link by link; the cause
		// names the PoP, the duct.
		{"agg-fanout", []string{"device:agg-1", "device:agg-2"}, []site{
			{id: "A", isolated: true, cause: []string{"device:agg-1"}},
			{id: "D", isolated: true, cause: []string{"pop:pop-1"}},
		}, 2},
		{"agg-fanout", []string{"link:agg-1:xe-1--p-1:xe-1", "link:agg-2:xe-1--p-2:xe-1"}, []site{
			{id: "A", isolated: true, cause: []string{"srlg:duct-pop-1"}},
			{id: "D", isolated: true, cause: []string{"srlg:duct-pop-1"}},
		}, 1},
		{"agg-fanout", []string{"pop:pop-1"}, []site{
			{id: "D", isolated: true, cause: []string{"pop:pop-1"}},
		}, 1},
		// Without p-1, only datacentre B is reachable.
		{"agg-fanout", []string{"device:p-1"}, []site{
			{id: "A", paths: 1, toDC: []int{0, 1}},
			{id: "D", paths: 1, toDC: []int{0, 1}},
		}, 0},
		{"shared-risk", nil, []site{
			// The first access shares a duct with the second's uplink.
			{id: "X", paths: 1, effective: inventory.ProtectionDual, spofs: []string{"srlg:duct-rue-garibaldi"}},
			// Both cables come ashore in one landing station.
			{id: "G", paths: 1, effective: inventory.ProtectionDual, spofs: []string{"srlg:landing-baie-mahault"}},
			// Fibre and 4G on one CE: the accesses are a backup pair (the
			// level describes the accesses), the CE is the one SPOF.
			{id: "Y", paths: 1, effective: inventory.ProtectionBackup, spofs: []string{"device:ce-y"}},
		}, 0},
		{"shared-risk", []string{"device:agg-a", "internet"}, []site{
			{id: "Y", isolated: true, cause: []string{"device:agg-a", "internet"}},
			{id: "X", paths: 1},
		}, 1},
		{"shared-risk", []string{"srlg:landing-baie-mahault"}, []site{
			{id: "G", isolated: true, cause: []string{"srlg:landing-baie-mahault"}},
			{id: "H", isolated: true, cause: []string{"srlg:landing-baie-mahault"}},
		}, 1},
		{"rie-small", []string{"internet"}, []site{
			{id: "S-0005", isolated: true, cause: []string{"internet"}},
			{id: "S-0007", isolated: true, cause: []string{"internet"}},
			{id: "S-0003", paths: 1},
		}, 1},
		{"rie-small", []string{"srlg:cable-safe"}, []site{
			{id: "S-0006", isolated: true, cause: []string{"srlg:cable-safe"}},
		}, 1},
		// The live state sees the cable as one link down: the cause is
		// still the cable (a one-link SRLG of the core), so that the
		// territory behind it pages once, as its cable.
		{"rie-small", []string{"link:agg-reunion-1:et-0/0/0--pe-paris-1:et-0/2/0"}, []site{
			{id: "S-0006", isolated: true, cause: []string{"srlg:cable-safe"}},
		}, 1},
		// A site's own access, alone in its SRLG, stays its link.
		{"rie-small", []string{"link:agg-lyon-2:xe-0/1/2--ce-s0004-a"}, []site{
			{id: "S-0004", isolated: true, cause: []string{"link:agg-lyon-2:xe-0/1/2--ce-s0004-a"}},
		}, 1},
		// Live internet loss: the tunnels riding the internet are seen
		// down one by one; the internet, not each tunnel, is the cause.
		{"rie-small", []string{"internet-lost", "link:agg-paris-2--ce-s0005-a", "link:agg-paris-1--ce-s0007-a",
			"link:agg-lyon-2--ce-s0003-a", "link:interconnect:inet-paris-1--pfai-paris-1:et-0/1/0", "link:interconnect:inet-lyon-1--pfai-lyon-1:et-0/1/0"}, []site{
			{id: "S-0005", isolated: true, cause: []string{"internet"}},
			{id: "S-0007", isolated: true, cause: []string{"internet"}},
			{id: "S-0003", paths: 1},
		}, 1},
		// Minimality: without the internet loss, a tunnel down for its own
		// reason is the site's cause (its own page).
		{"rie-small", []string{"link:agg-paris-2--ce-s0005-a", "link:agg-paris-1--ce-s0007-a"}, []site{
			{id: "S-0005", isolated: true, cause: []string{"link:agg-paris-2--ce-s0005-a"}},
			{id: "S-0007", isolated: true, cause: []string{"link:agg-paris-1--ce-s0007-a"}},
		}, 2},
		// The internet is lost but S-0007's tunnel is seen up: not cut off.
		{"rie-small", []string{"internet-lost", "link:agg-paris-2--ce-s0005-a"}, []site{
			{id: "S-0005", isolated: true, cause: []string{"internet"}},
			{id: "S-0007", paths: 1},
		}, 1},
		// A site whose own fibre is down as well needs both to be cut off:
		// its cause names both, and it pages on its own.
		{"rie-small", []string{"internet-lost", "link:agg-paris-2--ce-s0005-a", "link:agg-lyon-2--ce-s0003-a",
			"link:agg-lyon-1:xe-0/1/1--ce-s0003-a:ge-0/0/0"}, []site{
			{id: "S-0005", isolated: true, cause: []string{"internet"}},
			{id: "S-0003", isolated: true, cause: []string{"internet", "link:agg-lyon-1:xe-0/1/1--ce-s0003-a:ge-0/0/0"}},
		}, 2},
		// Backbone split: both Paris-Lyon trunks and Paris' PE link down cut
		// the Paris half of the backbone off every datacentre. Its sites
		// share one cause: the link and the two trunks' fibre paths.
		{"rie-small", []string{"link:p-lyon-1:et-0/0/0--p-paris-1:et-0/0/0", "link:p-lyon-1:et-0/0/1--p-paris-1:et-0/0/1",
			"link:p-paris-1:et-0/0/2--pe-paris-1:et-0/0/0"}, []site{
			{id: "S-0002", isolated: true, cause: []string{"link:p-paris-1:et-0/0/2--pe-paris-1:et-0/0/0",
				"srlg:path-a6", "srlg:path-a7-a75"}},
			{id: "S-0005", isolated: true, cause: []string{"link:p-paris-1:et-0/0/2--pe-paris-1:et-0/0/0",
				"srlg:path-a6", "srlg:path-a7-a75"}},
			{id: "S-0001", paths: 1},
		}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.slice+"/"+strings.Join(tt.failed, "+"), func(t *testing.T) {
			g := loadSlice(t, tt.slice)
			f := failures(t, tt.failed...)
			if err := g.Check(f); err != nil {
				t.Fatal(err)
			}
			r := g.Analyze(f)
			for _, want := range tt.sites {
				got := r.Site(want.id)
				if got == nil {
					t.Fatalf("site %s missing", want.id)
				}
				if got.Isolated != want.isolated {
					t.Errorf("%s: isolated %v, want %v", want.id, got.Isolated, want.isolated)
				}
				if !want.isolated && got.Paths != want.paths {
					t.Errorf("%s: paths %d, want %d", want.id, got.Paths, want.paths)
				}
				if want.toDC != nil && !slices.Equal(got.PathsToDC, want.toDC) {
					t.Errorf("%s: paths to datacentres %v, want %v", want.id, got.PathsToDC, want.toDC)
				}
				if (want.effective != 0 || want.isolated) && got.Effective != want.effective {
					t.Errorf("%s: effective %v, want %v", want.id, got.Effective, want.effective)
				}
				if want.spofs != nil && !slices.Equal(got.SPOFs, want.spofs) {
					t.Errorf("%s: SPOFs %v, want %v", want.id, got.SPOFs, want.spofs)
				}
				if !slices.Equal(got.Cause, want.cause) {
					t.Errorf("%s: cause %v, want %v", want.id, got.Cause, want.cause)
				}
			}
			if tt.groups >= 0 && len(r.Causes) != tt.groups {
				t.Errorf("%d cause groups, want %d: %+v", len(r.Causes), tt.groups, r.Causes)
			}
		})
	}
}

// TestInternetCutEvidence: SNMP alone says the internet is lost when every
// internet interconnect's attachment (its link or its router) is failed.
func TestInternetCutEvidence(t *testing.T) {
	g := loadSlice(t, "rie-small")
	for _, tt := range []struct {
		failed []string
		want   bool
	}{
		{nil, false},
		{[]string{"link:interconnect:inet-paris-1--pfai-paris-1:et-0/1/0"}, false},
		{[]string{"link:interconnect:inet-paris-1--pfai-paris-1:et-0/1/0", "link:interconnect:inet-lyon-1--pfai-lyon-1:et-0/1/0"}, true},
		{[]string{"link:interconnect:inet-paris-1--pfai-paris-1:et-0/1/0", "device:pfai-lyon-1"}, true},
		{[]string{"link:interconnect:inet-lyon-1--pfai-lyon-1:et-0/1/0", "device:pfai-paris-1"}, true},
		{[]string{"device:pfai-paris-1", "device:pfs-lyon-1"}, false},
	} {
		f := failures(t, tt.failed...)
		if got := g.InternetCut(f); got != tt.want {
			t.Errorf("InternetCut(%v) = %v, want %v", tt.failed, got, tt.want)
		}
	}
}

func TestWhatIfInternetCut(t *testing.T) {
	g := loadSlice(t, "shared-risk")
	w := g.WhatIf(failures(t, "device:agg-a"), Failures{Internet: true})
	if !slices.Equal(w.NewlyIsolated, []string{"Y"}) || !slices.Equal(w.Isolated, []string{"Y"}) {
		t.Errorf("isolated %v newly %v, want [Y]", w.Isolated, w.NewlyIsolated)
	}
	if !slices.Equal(w.SurvivingInterconnects, []string{"testa-1"}) || !slices.Equal(w.LostInterconnects, []string{"inet-1"}) {
		t.Errorf("surviving %v lost %v", w.SurvivingInterconnects, w.LostInterconnects)
	}
	if len(w.Overseas) != 2 {
		t.Fatalf("overseas %+v", w.Overseas)
	}
	wantCables := []LinkID{"agg-gua-1:xe-0--pe-1:et-5", "agg-gua-2:xe-0--pe-2:et-5"}
	for _, o := range w.Overseas {
		if !slices.Equal(o.Transoceanic, wantCables) {
			t.Errorf("%s hangs on %v, want %v", o.ID, o.Transoceanic, wantCables)
		}
	}
}

// TestGolden snapshots the whole result of each slice under a few
// scenarios; run with -update after a deliberate change and review the diff.
func TestGolden(t *testing.T) {
	scenarios := map[string][][]string{
		"rie-small":   {nil, {"internet"}, {"device:p-lyon-1"}, {"region:reu"}},
		"agg-fanout":  {nil, {"device:agg-1"}, {"link:agg-1--agg-2", "device:p-2"}},
		"shared-risk": {nil, {"internet"}, {"srlg:duct-rue-garibaldi"}, {"pop:pop-gua"}},
	}
	for name, scs := range scenarios {
		t.Run(name, func(t *testing.T) {
			g := loadSlice(t, name)
			var out []*Result
			for _, sc := range scs {
				out = append(out, g.Analyze(failures(t, sc...)))
			}
			got, err := json.MarshalIndent(out, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			path := filepath.Join("testdata", "slices", name+".golden.json")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from the golden file; run go test -run TestGolden -update and review the diff", path)
			}
		})
	}
}

func TestParseAndCheck(t *testing.T) {
	g := loadSlice(t, "agg-fanout")
	for _, tt := range []struct {
		spec    string
		parseOK bool
		known   bool
	}{
		{"internet", true, true},
		{"device:agg-1", true, true},
		{"device:nope", true, false},
		{"link:agg-1--p-1", true, true},
		{"link:p-1--agg-1", true, true},
		{"link:agg-1:xe-1--p-1:xe-1", true, true},
		{"link:agg-1--pe-a", true, false},
		{"link:agg-1", false, false},
		{"srlg:duct-pop-1", true, true},
		{"srlg:duct-nowhere", true, false},
		{"pop:pop-1", true, true},
		{"region:idf", true, true},
		{"region:corse", true, false},
		{"router:agg-1", false, false},
		{"agg-1", false, false},
	} {
		f, err := ParseFailure(tt.spec)
		if (err == nil) != tt.parseOK {
			t.Errorf("ParseFailure(%q): %v, want ok=%v", tt.spec, err, tt.parseOK)
			continue
		}
		if err != nil {
			continue
		}
		err = g.Check(f)
		if (err == nil) != tt.known {
			t.Errorf("Check(%q): %v, want known=%v", tt.spec, err, tt.known)
		}
		if err != nil && (!errors.Is(err, ErrUnknownItem) || !strings.Contains(err.Error(), tt.spec)) {
			t.Errorf("Check(%q): %v does not name the item", tt.spec, err)
		}
	}
}

func TestLinkByEndpoint(t *testing.T) {
	g := loadSlice(t, "agg-fanout")
	for _, tt := range []struct {
		dev, ifname string
		want        LinkID
	}{
		{"agg-1", "xe-1", "agg-1:xe-1--p-1:xe-1"},
		{"p-1", "xe-1", "agg-1:xe-1--p-1:xe-1"},
		{"ce-d2", "ge0", "agg-2:ge-0/0/4--ce-d2:ge0"},
		{"agg-2", "ge-0/0/4", "agg-2:ge-0/0/4--ce-d2:ge0"},
		{"agg-2", "ge-9", ""},
	} {
		got, ok := g.LinkByEndpoint(tt.dev, tt.ifname)
		if got != tt.want || ok != (tt.want != "") {
			t.Errorf("LinkByEndpoint(%s, %s) = %q, %v; want %q", tt.dev, tt.ifname, got, ok, tt.want)
		}
	}
}

func TestBuildRejects(t *testing.T) {
	base := func() *inventory.Inventory {
		inv := &inventory.Inventory{
			Datacentres: []inventory.Datacentre{{ID: "dc"}},
			Devices: []inventory.Device{
				{Name: "pe", Role: inventory.RoleBackbone, Datacentre: "dc"},
				{Name: "ce-1", Role: inventory.RoleCollection, Site: "S1"},
				{Name: "ce-2", Role: inventory.RoleCollection, Site: "S2"},
			},
			Sites: []inventory.Site{
				{ID: "S1", Access: []inventory.AccessLink{{Router: "ce-1", Device: "pe"}}},
				{ID: "S2", Access: []inventory.AccessLink{{Router: "ce-2", Device: "pe"}}},
			},
		}
		return inv
	}
	for _, tt := range []struct {
		name  string
		edit  func(*inventory.Inventory)
		words string
	}{
		{"unknown landing", func(inv *inventory.Inventory) { inv.Sites[0].Access[0].Device = "ghost" }, `unknown device "ghost"`},
		{"other site's router", func(inv *inventory.Inventory) { inv.Sites[0].Access[0].Router = "ce-2" }, `not a device of site "S1"`},
		{"landing on a site", func(inv *inventory.Inventory) { inv.Sites[0].Access[0].Device = "ce-2" }, "a site is a leaf"},
		{"link between sites", func(inv *inventory.Inventory) {
			inv.Links = append(inv.Links, inventory.Link{A: inventory.Endpoint{Device: "ce-1"}, B: inventory.Endpoint{Device: "ce-2"}})
		}, "a site is a leaf"},
		{"twice the same datacentre", func(inv *inventory.Inventory) {
			inv.Datacentres = append(inv.Datacentres, inventory.Datacentre{ID: "dc"})
		}, `datacentre "dc" is declared twice`},
		{"twice the same device", func(inv *inventory.Inventory) {
			inv.Devices = append(inv.Devices, inventory.Device{Name: "pe", Role: inventory.RoleBackbone})
		}, `device "pe" is declared twice`},
		{"twice the same interconnect", func(inv *inventory.Inventory) {
			ic := inventory.Interconnect{ID: "x", Kind: inventory.InterconnectTESTA, Device: "pe"}
			inv.Interconnects = append(inv.Interconnects, ic, ic)
		}, `interconnect "x" is declared twice`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			inv := base()
			tt.edit(inv)
			inv.Index()
			_, err := Build(inv)
			if err == nil || !strings.Contains(err.Error(), tt.words) {
				t.Errorf("Build: %v, want an error saying %q", err, tt.words)
			}
		})
	}
	inv := base()
	inv.Index()
	if _, err := Build(inv); err != nil {
		t.Fatalf("valid inventory rejected: %v", err)
	}
}

// TestConcurrentUse: a Graph and a Result are shared by the live analysis
// and the API's what-ifs; run it with -race.
func TestConcurrentUse(t *testing.T) {
	g := loadSlice(t, "rie-small")
	prev := g.Analyze(failures(t, "device:agg-lyon-1"))
	want := g.Analyze(failures(t, "device:agg-lyon-1", "internet"))
	both, one := failures(t, "device:agg-lyon-1", "internet"), failures(t, "device:agg-lyon-1")
	done := make(chan *Result, 8)
	for i := range 8 {
		go func() {
			if i%2 == 0 {
				done <- g.Reanalyze(prev, both, nil)
			} else {
				done <- g.WhatIf(one, Failures{Internet: true}).After
			}
		}()
	}
	for range 8 {
		if got := <-done; !slices.Equal(got.Sites[0].SPOFs, want.Sites[0].SPOFs) || got.Counts != want.Counts {
			t.Errorf("concurrent result differs: %+v vs %+v", got.Counts, want.Counts)
		}
	}
}

// TestTrackKeepsAnIncidentsName: live, one failure after another. A second
// failure inside a part already cut off must not rename the sites beyond it
// (a new cause is a new page for the same outage); once the first is
// repaired, the second is what still cuts them off, and is named.
func TestTrackKeepsAnIncidentsName(t *testing.T) {
	g := loadSlice(t, "rie-small")
	split := []string{"link:p-lyon-1:et-0/0/0--p-paris-1:et-0/0/0", "link:p-lyon-1:et-0/0/1--p-paris-1:et-0/0/1",
		"link:p-paris-1:et-0/0/2--pe-paris-1:et-0/0/0"}
	splitCause := []string{"link:p-paris-1:et-0/0/2--pe-paris-1:et-0/0/0", "srlg:path-a6", "srlg:path-a7-a75"}
	// A router inside the cut-off part: analysed afresh, it alone explains
	// S-0005's isolation and is the bigger item, so it would be named.
	inside := "device:agg-paris-2"
	steps := []struct {
		failed []string
		// cause of S-0005 (behind agg-paris-2 only) when tracked, and when
		// analysed with no history
		tracked, fresh []string
	}{
		{split, splitCause, splitCause},
		{append(slices.Clone(split), inside), splitCause, []string{inside}},
		{[]string{inside}, []string{inside}, []string{inside}},
		{nil, nil, nil},
	}
	var prev *Result
	for i, st := range steps {
		f := failures(t, st.failed...)
		if err := g.Check(f); err != nil {
			t.Fatal(err)
		}
		r := g.Track(prev, f, nil)
		fresh := g.Analyze(f)
		if got := r.Site("S-0005").Cause; !slices.Equal(got, st.tracked) {
			t.Errorf("step %d %v: tracked cause of S-0005 %v, want %v", i, st.failed, got, st.tracked)
		}
		if got := fresh.Site("S-0005").Cause; !slices.Equal(got, st.fresh) {
			t.Errorf("step %d %v: fresh cause of S-0005 %v, want %v", i, st.failed, got, st.fresh)
		}
		// Everything but the choice of cause is Analyze's.
		for k := range r.Sites {
			a, b := r.Sites[k], fresh.Sites[k]
			a.Cause, b.Cause, a.items, b.items = nil, nil, nil, nil
			if !reflect.DeepEqual(a, b) {
				t.Errorf("step %d: site %s tracked %+v, analysed %+v", i, a.ID, a, b)
			}
		}
		prev = r
	}
}
