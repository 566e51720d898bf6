package exposition

import (
	"bytes"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/common/expfmt"
	pmodel "github.com/prometheus/common/model"

	"github.com/vigie-rie/vigie/collector/bgp"
	"github.com/vigie-rie/vigie/inventory"
	"github.com/vigie-rie/vigie/topology"
)

// TestWriteTopologyGolden pins the text families of a live topology: the
// small inventory with its aggregation router dark (isolated sites with a
// cause, degraded ones, bridges, interconnects), then with BGP's verdicts
// on every site too. Names, help texts and label order are a contract with
// alerting/ and dashboards/.
func TestWriteTopologyGolden(t *testing.T) {
	for _, tc := range []struct {
		golden string
		// routed gives every site a prefix and BGP's verdict on it.
		routed bool
		must   []string
	}{
		{golden: "metrics-agg-dark.txt", must: []string{
			`vigie_site_isolation_cause{cause="agg-lyon-1",cause_kind="device",overseas="false",region="ara",site="S1"} 1`,
			`vigie_sites{state="isolated"} `, "# TYPE vigie_site_isolated gauge\n"}},
		{golden: "metrics-agg-dark-routed.txt", routed: true, must: []string{
			"# TYPE vigie_site_routed gauge\n", `vigie_site_route_next_hops{overseas="false",region="ara",site="S2"} 1`,
			// BGP misses one of testa's two expected prefixes: down, and why.
			`vigie_interconnect_up{interconnect="testa",kind="testa"} 0`,
			`vigie_interconnect_down_reason{interconnect="testa",kind="testa",reason="prefixes_missing"} 1`,
			`vigie_interconnect_prefixes_missing{interconnect="testa",kind="testa",vrf="testa"} 1`,
			`vigie_interconnect_up{interconnect="inet-1",kind="internet"} 1`}},
	} {
		t.Run(tc.golden, func(t *testing.T) {
			inv := loadInventory(t, "small.json")
			if tc.routed {
				for i := range inv.Sites {
					inv.Sites[i].Prefixes = []netip.Prefix{netip.MustParsePrefix("10.0." + strconv.Itoa(i) + ".0/24")}
				}
			}
			h := newHarnessInv(t, inv, topology.Options{})
			if tc.routed {
				var batch []bgp.SiteRouting
				for i, s := range inv.Sites {
					st, missing := bgp.RoutingRouted, 0
					if i == 0 {
						st, missing = bgp.RoutingUnrouted, 1
					}
					batch = append(batch, bgp.SiteRouting{Site: s.ID, Region: s.Region, State: st, Prefixes: 1,
						Missing: missing, Paths: 2 - 2*missing, NextHops: 1 - missing})
				}
				h.topo.RecordRouting(batch)
				h.topo.RecordInterconnects([]bgp.InterconnectRouting{{Interconnect: "testa", VRF: "testa",
					State: bgp.InterconnectPrefixesMissing, Prefixes: 2, Missing: 1}})
			}
			h.round("agg-lyon-1")
			h.round("agg-lyon-1")
			var got bytes.Buffer
			if err := writeTopology(&got, h.topo); err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", tc.golden)
			if *update {
				if err := os.WriteFile(golden, got.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (go test ./exposition -run TestWriteTopologyGolden -update)", err)
			}
			if !bytes.Equal(got.Bytes(), want) {
				t.Errorf("writeTopology differs from %s (-update rewrites it if the change is meant):\n%s", golden, got.String())
			}
			for _, must := range tc.must {
				if !strings.Contains(got.String(), must) {
					t.Errorf("writeTopology lacks %q", must)
				}
			}
			// Registry and text together: every family once, each parses
			// and passes the linter.
			problems, err := testutil.GatherAndLint(h.gatherer())
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range problems {
				if !strings.Contains(p.Text, `counter metrics should have "_total" suffix`) {
					t.Errorf("metric lint: %s: %s", p.Metric, p.Text)
				}
			}
		})
	}
}

// TestWriteAnalysisEscapes checks that label values the inventory may hold
// (quotes, backslashes, line feeds, UTF-8) come back intact through
// Prometheus's own parser, and that families without series are left out.
func TestWriteAnalysisEscapes(t *testing.T) {
	odd := []string{`Saint-Étienne`, `a "quoted" region`, `back\slash`, "two\nlines"}
	a := &topology.Analysis{DatacentresConnected: true}
	for i, r := range odd {
		s := topology.SiteResult{ID: "S" + strconv.Itoa(i) + `"x\`, Region: r, Designed: 3, Effective: i,
			Isolated: i == 1, CauseKind: "link", Cause: r, State: topology.SiteDegraded}
		if s.Isolated {
			s.State = topology.SiteIsolated
		}
		a.Sites = append(a.Sites, s)
	}
	var buf bytes.Buffer
	tw := newTextWriter(&buf)
	writeAnalysis(tw, a, &inventory.Inventory{})
	if err := tw.flush(); err != nil {
		t.Fatal(err)
	}
	parser := expfmt.NewTextParser(pmodel.UTF8Validation)
	mfs, err := parser.TextToMetricFamilies(&buf)
	if err != nil {
		t.Fatalf("the output does not parse: %v", err)
	}
	eff := mfs["vigie_site_protection_effective"]
	if eff == nil || len(eff.GetMetric()) != len(odd) {
		t.Fatalf("vigie_site_protection_effective: %v, want %d series", eff, len(odd))
	}
	for i, m := range eff.GetMetric() {
		lv := map[string]string{}
		for _, l := range m.GetLabel() {
			lv[l.GetName()] = l.GetValue()
		}
		wantSite := "S" + strconv.Itoa(i) + `"x\`
		if lv["site"] != wantSite || lv["region"] != odd[i] || m.GetGauge().GetValue() != float64(i) {
			t.Errorf("series %d: labels %q value %v, want site %q region %q value %d", i, lv, m.GetGauge().GetValue(),
				wantSite, odd[i], i)
		}
	}
	cause := mfs["vigie_site_isolation_cause"]
	if cause == nil || len(cause.GetMetric()) != 1 {
		t.Fatalf("vigie_site_isolation_cause: %v, want the one isolated site", cause)
	}
	if got := len(mfs["vigie_region_sites"].GetMetric()); got != len(odd)*len(topology.SiteStates) {
		t.Errorf("vigie_region_sites: %d series, want %d (every state of every region)", got, len(odd)*len(topology.SiteStates))
	}
	if mfs["vigie_backbone_bridge_info"] != nil || mfs["vigie_interconnect_up"] != nil {
		t.Errorf("families with no series were written: %v", mfs)
	}
}

// failingWriter fails after n successful writes, as a client that went away.
type failingWriter struct{ n, failed int }

var errClientGone = errors.New("client gone")

func (w *failingWriter) Write(p []byte) (int, error) {
	if w.n == 0 {
		w.failed++
		return 0, errClientGone
	}
	w.n--
	return len(p), nil
}

// TestWriteStopsAtWriteError: a scrape whose client went away stops at the
// first failed write and says so.
func TestWriteStopsAtWriteError(t *testing.T) {
	a := &topology.Analysis{}
	r := &topology.Routing{}
	for i := range 5000 { // several chunks
		id := "S" + strconv.Itoa(i)
		a.Sites = append(a.Sites, topology.SiteResult{ID: id, Region: "ara", State: topology.SiteNominal})
		r.Sites = append(r.Sites, topology.SiteRoute{Site: id, Region: "ara", Routed: 1, NextHops: 2})
	}
	w := &failingWriter{n: 1}
	tw := newTextWriter(w)
	writeAnalysis(tw, a, &inventory.Inventory{})
	writeRouting(tw, r, &inventory.Inventory{})
	if err := tw.flush(); !errors.Is(err, errClientGone) {
		t.Errorf("writing to a failing writer = %v, want %v", err, errClientGone)
	}
	if w.n != 0 || w.failed != 1 {
		t.Errorf("%d writes left before the failure, %d failed writes; want 0 and 1 (stop at the first error)", w.n, w.failed)
	}
}

// TestRoutingSeriesAsText: the per-site routing series are written as text,
// sites in name order, and not gathered from the registry (28,000 const
// metrics per scrape at the full fleet); the roll-ups are in the registry.
func TestRoutingSeriesAsText(t *testing.T) {
	inv := loadInventory(t, "small.json")
	for i := range inv.Sites {
		inv.Sites[i].Prefixes = []netip.Prefix{netip.MustParsePrefix("10.0." + strconv.Itoa(i) + ".0/24")}
	}
	h := newHarnessInv(t, inv, topology.Options{})
	var batch []bgp.SiteRouting
	for i := len(inv.Sites) - 1; i >= 0; i-- {
		s := inv.Sites[i]
		batch = append(batch, bgp.SiteRouting{Site: s.ID, Region: s.Region, State: bgp.RoutingRouted, Prefixes: 1, Paths: 2, NextHops: 1})
	}
	h.topo.RecordRouting(batch)
	h.round()

	mfs, err := h.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	inRegistry := map[string]bool{}
	for _, mf := range mfs {
		inRegistry[mf.GetName()] = true
	}
	if inRegistry["vigie_site_routed"] || inRegistry["vigie_site_route_next_hops"] {
		t.Error("per-site routing series gathered from the registry: they belong to the text")
	}
	for _, name := range []string{"vigie_sites_routing", "vigie_topology_site_disagreements", "vigie_topology_nodes",
		"vigie_topology_devices", "vigie_topology_links", "vigie_topology_link_states", "vigie_topology_disagreements"} {
		if !inRegistry[name] {
			t.Errorf("%s missing from the registry", name)
		}
	}
	var buf bytes.Buffer
	if err := writeTopology(&buf, h.topo); err != nil {
		t.Fatal(err)
	}
	var sites []string
	for line := range strings.Lines(buf.String()) {
		if rest, ok := strings.CutPrefix(line, `vigie_site_routed{overseas="false",region="`); ok {
			_, site, _ := strings.Cut(rest, `site="`)
			site, _, _ = strings.Cut(site, `"`)
			sites = append(sites, site)
			if !strings.HasSuffix(line, "} 1\n") {
				t.Errorf("routed site written as %q, want value 1", line)
			}
		}
	}
	if len(sites) != len(inv.Sites) || !slices.IsSorted(sites) {
		t.Errorf("vigie_site_routed lines for sites %v: want all %d, in name order", sites, len(inv.Sites))
	}
}

// TestTextFamiliesReserved: the collector describes every family the text
// writes, so that no other collector can register one of their names.
func TestTextFamiliesReserved(t *testing.T) {
	h := newHarness(t, topology.Options{})
	for _, f := range append(slices.Clone(analysisFamilies), routingFamilies...) {
		err := h.reg.Register(testCollector{f})
		if err == nil {
			t.Errorf("%s registered twice: the topology's collector does not reserve it", f.Name)
		}
	}
}

// testCollector describes one family, as another component would.
type testCollector struct{ f *Family }

func (c testCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- prometheus.NewDesc(c.f.Name, c.f.Help, c.f.Labels, nil)
}

func (testCollector) Collect(chan<- prometheus.Metric) {}
