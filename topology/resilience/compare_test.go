package resilience

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/vigie-rie/vigie/inventory"
	"github.com/vigie-rie/vigie/sim"
)

// compareOutput is what testdata/compare.py prints for one library.
type compareOutput struct {
	Missing            string             `json:"missing"`
	Version            string             `json:"version"`
	Bridges            []LinkID           `json:"bridges"`
	ArticulationPoints []string           `json:"articulation_points"`
	PathsBackbone      map[string]int     `json:"paths_backbone"`
	Seconds            map[string]float64 `json:"seconds"`
}

// python finds an interpreter with NetworkX (Debian's python3-networkx
// first), or skips the test; in CI (CI=true) a missing one fails it.
func python(tb testing.TB) string {
	tb.Helper()
	for _, p := range []string{"/usr/bin/python3", "python3"} {
		if exec.Command(p, "-c", "import networkx").Run() == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		tb.Fatal("python3-networkx is not installed (the project's scripts install it in CI)")
	}
	tb.Skip("python3-networkx is not installed")
	return ""
}

// stripSRLGs returns a copy of inv with no shared-risk groups, so that the
// engine's counts are plain vertex-and-edge connectivities that max-flow
// computes.
func stripSRLGs(inv *inventory.Inventory) *inventory.Inventory {
	c := *inv
	c.Sites = slices.Clone(inv.Sites)
	for i := range c.Sites {
		c.Sites[i].Access = slices.Clone(c.Sites[i].Access)
		for j := range c.Sites[i].Access {
			c.Sites[i].Access[j].SRLGs = nil
		}
	}
	c.Links = slices.Clone(inv.Links)
	for i := range c.Links {
		c.Links[i].SRLGs = nil
	}
	c.Interconnects = slices.Clone(inv.Interconnects)
	for i := range c.Interconnects {
		c.Interconnects[i].SRLGs = nil
	}
	c.Index()
	return &c
}

// goAnswers computes with this package what compare.py computes.
func goAnswers(g *Graph) (bridges []LinkID, cuts []string, paths map[string]int, took map[string]time.Duration) {
	took = map[string]time.Duration{}
	t := time.Now()
	be, cn := g.bridgesAndCuts(func(int32) bool { return true }, func(int32) bool { return true })
	took["bridges"] = time.Since(t)
	kinds := [...]string{kindDevice: "device", kindSite: "site", kindDatacentre: "datacentre", kindInterconnect: "interconnect"}
	for _, e := range be {
		bridges = append(bridges, g.edges[e].id)
	}
	for _, n := range cn {
		cuts = append(cuts, kinds[g.nodes[n].kind]+":"+g.nodes[n].name)
	}
	slices.Sort(bridges)
	slices.Sort(cuts)
	t = time.Now()
	r := g.Analyze(Failures{})
	took["analyze"] = time.Since(t)
	paths = map[string]int{}
	for _, s := range r.Sites {
		paths["site:"+s.ID] = s.PathsBackbone
	}
	return bridges, cuts, paths, took
}

func runCompare(tb testing.TB, g *Graph, sample int) map[string]compareOutput {
	tb.Helper()
	py := python(tb)
	path := filepath.Join(tb.TempDir(), "rie.graphml")
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	if err := ExportGraphML(f, g); err != nil {
		tb.Fatal(err)
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
	args := []string{filepath.Join("testdata", "compare.py"), path}
	if sample > 0 {
		args = append(args, "--sample", itoa(sample))
	}
	out, err := exec.Command(py, args...).Output()
	if err != nil {
		tb.Fatalf("compare.py: %v", err)
	}
	var res map[string]compareOutput
	if err := json.Unmarshal(out, &res); err != nil {
		tb.Fatalf("compare.py output: %v\n%s", err, out)
	}
	return res
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// TestAgainstNetworkXAndIgraph runs compare.py on a 300-site simulated RIE
// and requires NetworkX and igraph to agree with this package.
func TestAgainstNetworkXAndIgraph(t *testing.T) {
	g, err := Build(stripSRLGs(sim.Generate(sim.GenerateOptions{Sites: 300, Seed: 3})))
	if err != nil {
		t.Fatal(err)
	}
	res := runCompare(t, g, 0)
	bridges, cuts, paths, _ := goAnswers(g)
	if len(bridges) == 0 || len(cuts) == 0 {
		t.Fatalf("degenerate comparison: %d bridges, %d articulation points", len(bridges), len(cuts))
	}
	for _, lib := range []string{"networkx", "igraph"} {
		o := res[lib]
		if o.Missing != "" {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s missing in CI: %s", lib, o.Missing)
			}
			t.Logf("%s not installed (%s): not compared", lib, o.Missing)
			continue
		}
		if !slices.Equal(o.Bridges, bridges) {
			t.Errorf("%s %s: %d bridges, Go %d", lib, o.Version, len(o.Bridges), len(bridges))
		}
		if !slices.Equal(o.ArticulationPoints, cuts) {
			t.Errorf("%s %s: %d articulation points, Go %d", lib, o.Version, len(o.ArticulationPoints), len(cuts))
		}
		if len(o.PathsBackbone) != len(paths) {
			t.Errorf("%s: %d sites, Go %d", lib, len(o.PathsBackbone), len(paths))
		}
		for s, want := range o.PathsBackbone {
			if paths[s] != want {
				t.Errorf("%s: %s has %d paths to the backbone, Go says %d", lib, s, want, paths[s])
			}
		}
		t.Logf("%s %s agrees: %d bridges, %d articulation points, %d sites", lib, o.Version, len(bridges), len(cuts), len(paths))
	}
}

// BenchmarkVersusLibraries times NetworkX and igraph against this package
// on the full 14,000-site RIE (max-flows on a sample of 30 sites) and
// reports the ratios. It is heavy: run it alone, under flock:
//
//	flock /tmp/vigie-heavy.lock go test -run '^$' -bench VersusLibraries -benchtime 1x ./topology/resilience/
func BenchmarkVersusLibraries(b *testing.B) {
	g, err := Build(stripSRLGs(sim.Generate(sim.GenerateOptions{})))
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		res := runCompare(b, g, 30)
		_, _, _, took := goAnswers(g)
		goBridges := took["bridges"].Seconds()
		goPerSite := took["analyze"].Seconds() / float64(len(g.sites))
		b.ReportMetric(goBridges*1e3, "go-bridges+ap-ms")
		b.ReportMetric(goPerSite*1e6, "go-us/site")
		for _, lib := range []string{"networkx", "igraph"} {
			o := res[lib]
			if o.Missing != "" {
				continue
			}
			b.ReportMetric(o.Seconds["bridges"]*1e3, lib+"-bridges-ms")
			b.ReportMetric(o.Seconds["articulation_points"]*1e3, lib+"-ap-ms")
			b.ReportMetric(o.Seconds["per_site"]*1e6, lib+"-us/site")
			b.ReportMetric((o.Seconds["bridges"]+o.Seconds["articulation_points"])/goBridges, lib+"/go-bridges+ap")
			b.ReportMetric(o.Seconds["per_site"]/goPerSite, lib+"/go-per-site")
		}
	}
}
