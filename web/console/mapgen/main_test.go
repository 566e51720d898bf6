package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/want.json")

// TestBuild runs the generator on small sources in testdata (a square with
// a collinear point that simplification drops, an island too small to
// keep beside a larger one, a reversed TopoJSON arc) and compares the
// output with testdata/want.json.
func TestBuild(t *testing.T) {
	m, err := build("testdata", "testdata", nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := json.MarshalIndent(m, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	want := filepath.Join("testdata", "want.json")
	if *update {
		if err := os.WriteFile(want, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	w, err := os.ReadFile(want)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, w) {
		t.Errorf("build(testdata) differs from %s (go test ./web/console/mapgen -update, then review):\n%s", want, got)
	}
	if g := m.Departments[1]; len(g.Rings) != 1 || len(g.Rings[0]) != 10 {
		t.Errorf("971: want the larger island alone, simplified to 5 points, got %v", g.Rings)
	}
}

// TestPinnedSources: a source other than the pinned version is refused,
// naming the file and what to do.
func TestPinnedSources(t *testing.T) {
	_, err := build("testdata", "testdata", pinned)
	if err == nil || !bytes.Contains([]byte(err.Error()), []byte("departements-avec-outre-mer.geojson: SHA-256")) {
		t.Fatalf("build with pinned sums on testdata: %v, want a checksum refusal", err)
	}
}

// TestCommittedMap checks the embedded base map without the sources (npm
// and the network are not needed): it was made from the pinned sources,
// and it holds every department, region and overseas collectivity the
// console places sites in, within its size budget.
func TestCommittedMap(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "assets", "france.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(b) > 400<<10 {
		t.Errorf("france.json is %d bytes, over the 400 KiB budget", len(b))
	}
	var m Map
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for name, sum := range pinned {
		if m.SHA256[name] != sum {
			t.Errorf("france.json was made from %s %q, not the pinned %s: run sh web/console/mapgen/gen.sh", name, m.SHA256[name], sum)
		}
	}
	if m.Quantum != Quantum || m.Source != source {
		t.Errorf("france.json: quantum %d, source %q: not what mapgen writes; run gen.sh", m.Quantum, m.Source)
	}
	codes := map[string]bool{}
	for _, s := range append(append([]Shape{}, m.Departments...), m.Collectivities...) {
		if len(s.Rings) == 0 {
			t.Errorf("%s %s has no outline", s.Code, s.Name)
		}
		codes[s.Code] = true
	}
	want := []string{"01", "13", "2A", "2B", "29", "59", "67", "75", "95", "971", "972", "973", "974", "975", "976", "977", "978", "986", "987", "988"}
	for _, c := range want {
		if !codes[c] {
			t.Errorf("no outline for department or collectivity %s", c)
		}
	}
	if len(m.Departments) != 101 || len(m.Regions) != 18 {
		t.Errorf("%d departments and %d regions, want 101 and 18", len(m.Departments), len(m.Regions))
	}
}
