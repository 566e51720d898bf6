package topology

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/common/expfmt"
	pmodel "github.com/prometheus/common/model"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// TestWriteTextGolden pins the text exposition of the analysis families on
// the small inventory with its aggregation router dark (isolated sites with
// a cause, degraded ones, bridges, interconnects): names, help texts and
// label order are a contract with alerting/ and dashboards/.
func TestWriteTextGolden(t *testing.T) {
	h := newHarness(t, Options{})
	h.round("agg-lyon-1")
	h.round("agg-lyon-1")
	var got bytes.Buffer
	if err := h.topo.WriteText(&got); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "metrics-agg-dark.txt")
	if *update {
		if err := os.WriteFile(golden, got.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (go test ./topology -run TestWriteTextGolden -update)", err)
	}
	if !bytes.Equal(got.Bytes(), want) {
		t.Errorf("WriteText differs from %s (-update rewrites it if the change is meant):\n%s", golden, got.String())
	}
	for _, must := range []string{`vigie_site_isolation_cause{cause="agg-lyon-1",cause_kind="device",region="ara",site="S1"} 1`,
		`vigie_sites{state="isolated"} `, "# TYPE vigie_site_isolated gauge\n"} {
		if !strings.Contains(got.String(), must) {
			t.Errorf("WriteText lacks %q", must)
		}
	}
}

// TestWriteTextEscapes checks that label values the inventory may hold
// (quotes, backslashes, line feeds, UTF-8) come back intact through
// Prometheus's own parser.
func TestWriteTextEscapes(t *testing.T) {
	odd := []string{`Saint-Étienne`, `a "quoted" region`, `back\slash`, "two\nlines"}
	h := newHarness(t, Options{})
	a := &Analysis{DatacentresConnected: true}
	for i, r := range odd {
		a.Sites = append(a.Sites, SiteResult{ID: "S" + itoa(i) + `"x\`, Region: r, Designed: 3, Effective: i,
			Isolated: i == 1, CauseKind: "link", Cause: r})
	}
	a.index()
	h.topo.analysis.Store(a)
	var buf bytes.Buffer
	if err := h.topo.WriteText(&buf); err != nil {
		t.Fatal(err)
	}
	parser := expfmt.NewTextParser(pmodel.UTF8Validation)
	mfs, err := parser.TextToMetricFamilies(&buf)
	if err != nil {
		t.Fatalf("WriteText's output does not parse: %v", err)
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
		if lv["site"] != "S"+itoa(i)+`"x\` || lv["region"] != odd[i] || m.GetGauge().GetValue() != float64(i) {
			t.Errorf("series %d: labels %q value %v, want site %q region %q value %d", i, lv, m.GetGauge().GetValue(),
				"S"+itoa(i)+`"x\`, odd[i], i)
		}
	}
	cause := mfs["vigie_site_isolation_cause"]
	if cause == nil || len(cause.GetMetric()) != 1 {
		t.Fatalf("vigie_site_isolation_cause: %v, want the one isolated site", cause)
	}
	if got := len(mfs["vigie_region_sites"].GetMetric()); got != len(odd)*len(SiteStates) {
		t.Errorf("vigie_region_sites: %d series, want %d (every state of every region)", got, len(odd)*len(SiteStates))
	}
	if mfs["vigie_backbone_bridge_info"] != nil || mfs["vigie_interconnect_up"] != nil {
		t.Errorf("families with no series were written: %v", mfs)
	}
}

// failingWriter fails after n successful writes, as a client that went away.
type failingWriter struct{ n, failed int }

var errGone = errors.New("client gone")

func (w *failingWriter) Write(p []byte) (int, error) {
	if w.n == 0 {
		w.failed++
		return 0, errGone
	}
	w.n--
	return len(p), nil
}

func TestWriteTextStopsAtWriteError(t *testing.T) {
	h := newHarness(t, Options{})
	a := &Analysis{}
	for i := range 5000 { // several chunks
		a.Sites = append(a.Sites, SiteResult{ID: "S" + itoa(i), Region: "ara"})
	}
	a.index()
	h.topo.analysis.Store(a)
	w := &failingWriter{n: 1}
	if err := h.topo.WriteText(w); !errors.Is(err, errGone) {
		t.Errorf("WriteText to a failing writer = %v, want %v", err, errGone)
	}
	if w.n != 0 || w.failed != 1 {
		t.Errorf("WriteText: %d writes left before the failure, %d failed writes; want 0 and 1 (stop at the first error)", w.n, w.failed)
	}
}
