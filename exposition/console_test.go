package exposition

import (
	"compress/gzip"
	"encoding/json"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/vigie-rie/vigie/topology"
)

func getJSON(t *testing.T, h *harness, path string, v any) int {
	t.Helper()
	rec := httptest.NewRecorder()
	newAPI(h.topo).ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
	if rec.Code == 200 {
		if err := json.Unmarshal(rec.Body.Bytes(), v); err != nil {
			t.Fatalf("GET %s: %v\n%s", path, err, rec.Body.String())
		}
	}
	return rec.Code
}

// TestConsolePlaces: the sites in inventory order with their position
// (none for a site the inventory does not place), a PoP at the mean of the
// sites it serves, a datacentre at its region's, one backbone line per
// pair of places, the what-if's failure items.
func TestConsolePlaces(t *testing.T) {
	inv := loadInventory(t, "small.json")
	for i, ll := range [][2]float64{{45.7, 4.8}, {45.9, 5.0}} {
		inv.Sites[i].Lat, inv.Sites[i].Lon, inv.Sites[i].HasCoords = ll[0], ll[1], true
	}
	h := newHarnessInv(t, inv, topology.Options{})
	var p ConsolePlaces
	if code := getJSON(t, h, "/api/v1/console/places", &p); code != 200 {
		t.Fatalf("status %d", code)
	}
	if len(p.Sites) != 3 || p.Sites[0][0] != "S1" || p.Sites[0][2] != 45.7 || p.Sites[2][2] != nil {
		t.Errorf("sites = %v", p.Sites)
	}
	if len(p.SiteFields) != len(p.Sites[0]) || p.Sites[1][7] != "ce-s2" {
		t.Errorf("site fields %v, site S2 %v", p.SiteFields, p.Sites[1])
	}
	lyon := p.PoPs[slices.IndexFunc(p.PoPs, func(x ConsolePlace) bool { return x.ID == "pop-lyon" })]
	if lyon.Lat == nil || *lyon.Lat != 45.8 || len(lyon.Devices) != 2 {
		t.Errorf("pop-lyon = %+v, want the mean of S1 and S2 (S3 has no position)", lyon)
	}
	paris := p.Datacentres[slices.IndexFunc(p.Datacentres, func(x ConsolePlace) bool { return x.ID == "dc-paris" })]
	if paris.Lat != nil {
		t.Errorf("dc-paris in a region without placed sites has a position: %v", *paris.Lat)
	}
	want := []ConsoleLink{{A: "dc:dc-lyon", B: "dc:dc-paris", Links: 1}, {A: "dc:dc-lyon", B: "pop:pop-lyon", Links: 2},
		{A: "dc:dc-paris", B: "pop:pop-lyon", Links: 1}, {A: "dc:dc-paris", B: "pop:pop-paris", Links: 2}}
	if !slices.Equal(p.Backbone, want) {
		t.Errorf("backbone = %+v\nwant %+v", p.Backbone, want)
	}
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/api/v1/console/places", nil)
	req.Header.Set("Accept-Encoding", "gzip")
	newAPI(h.topo).ServeHTTP(rec, req)
	zr, err := gzip.NewReader(rec.Body)
	if rec.Header().Get("Content-Encoding") != "gzip" || err != nil {
		t.Fatalf("places with Accept-Encoding gzip: encoding %q, %v", rec.Header().Get("Content-Encoding"), err)
	}
	var pz ConsolePlaces
	if err := json.NewDecoder(zr).Decode(&pz); err != nil || pz.Generation != p.Generation || len(pz.Sites) != len(p.Sites) {
		t.Errorf("gzipped places differ: %v", err)
	}
	if !slices.Contains(p.Failures["device"], "device:agg-lyon-1") || slices.Contains(p.Failures["device"], "device:ce-s1") ||
		!slices.Equal(p.Failures["internet"], []string{"internet"}) || !slices.Contains(p.Failures["pop"], "pop:pop-lyon") {
		t.Errorf("failures = %v", p.Failures)
	}
}

// TestConsoleState: unobserved before any poll; after a round with one of
// S2's two accesses down, S2 degraded with that access as its cause.
func TestConsoleState(t *testing.T) {
	h := newHarness(t, topology.Options{})
	var s ConsoleState
	getJSON(t, h, "/api/v1/console/state", &s)
	if s.States != "uuu" || s.Counts["unobserved"] != 3 {
		t.Errorf("before any poll: %+v", s)
	}
	h.down["agg-lyon-1:ge2"] = true
	h.round()
	getJSON(t, h, "/api/v1/console/state", &s)
	if s.States != "ndn" || s.Counts["degraded"] != 1 || s.Counts["nominal"] != 2 {
		t.Errorf("after S2's fibre went down: %+v", s)
	}
	if len(s.Problems) != 1 || s.Problems[0][0] != 1.0 || s.Problems[0][1] != "access" || s.Problems[0][2] != s2Fibre1 {
		t.Errorf("problems = %v", s.Problems)
	}
}

// TestConsoleSite: S2's two paths and what they share (its router, the
// PoP), not its two distinct ducts, nor bb-lyon-1, the only uplink of the
// first path's aggregation router but one of two of the second's.
func TestConsoleSite(t *testing.T) {
	h := newHarness(t, topology.Options{})
	var s ConsoleSite
	if code := getJSON(t, h, "/api/v1/console/sites/S2", &s); code != 200 {
		t.Fatalf("status %d", code)
	}
	if len(s.Paths) != 2 || s.Paths[0].PoP != "pop-lyon" || s.Paths[0].Link != s2Fibre1 ||
		!slices.Equal(s.Paths[1].Uplinks, []string{"bb-lyon-1", "bb-paris-1"}) || len(s.Paths[0].Datacentres) != 2 {
		t.Errorf("paths = %+v", s.Paths)
	}
	var risks []string
	for _, r := range s.Shared {
		risks = append(risks, r.Risk)
	}
	if want := []string{"device:ce-s2", "pop:pop-lyon"}; !slices.Equal(risks, want) {
		t.Errorf("shared risks %v, want %v", risks, want)
	}
	if code := getJSON(t, h, "/api/v1/console/sites/NOPE", &s); code != 404 {
		t.Errorf("unknown site: status %d, want 404", code)
	}
}

// BenchmarkConsole measures the console's answers on the full fleet: the
// places (built once per inventory, then served) and the state (rebuilt
// at most once a second from a snapshot, whatever the number of consoles).
func BenchmarkConsole(b *testing.B) {
	h := routedFleet(b)
	b.Run("places", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			buildPlaces(h.topo)
		}
	})
	b.Run("state", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			buildState(h.topo, "g")
		}
	})
	for _, path := range []string{"/api/v1/console/places", "/api/v1/console/state"} {
		rec := httptest.NewRecorder()
		newAPI(h.topo).ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		b.Logf("%s: %d bytes", path, rec.Body.Len())
	}
}
