package alerting

import (
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	pmodel "github.com/prometheus/common/model"

	"github.com/vigie-rie/vigie/alerting/catalog"
	"github.com/vigie-rie/vigie/collector/trap"
	"github.com/vigie-rie/vigie/daemon"
	"github.com/vigie-rie/vigie/demo"
	"github.com/vigie-rie/vigie/exposition"
	"github.com/vigie-rie/vigie/internal/demotest"
	"github.com/vigie-rie/vigie/observe"
)

// prometheusNames are the names metrics.txt lists that Prometheus makes
// itself when it scrapes vigie, not vigie.
var prometheusNames = []string{"up"}

// TestMetricsListMatchesCode keeps metrics.txt, the names the rules and
// dashboards are checked against, true to the code: a demo with faults and
// BGP runs, and the list must match exposition.Catalogue in both
// directions (names, label names, types). Families the demo leaves without
// series are still in the catalogue: declared by the exposition, or
// described by their component's registered collector. With -update,
// metrics.txt is rewritten to match first (catalog.Update).
func TestMetricsListMatchesCode(t *testing.T) {
	d, _ := demotest.Start(t, demo.Options{Sites: 60, Seed: 5, Interval: time.Second, Faults: true, BGP: true,
		// A distributed vigie's families, which one box does not export.
		Daemon: daemon.Options{DB: filepath.Join(t.TempDir(), "vigie.db"), Notifications: notificationReceiver(t),
			ExtraCollectors: observe.Described()}})
	demotest.Eventually(t, 30*time.Second, "every device polled once, the BGP sessions up, a store commit", func() bool {
		pending, _ := demotest.Gauge(t, d, "vigie_collector_devices", map[string]string{"state": "pending"})
		_, bgp := demotest.Gauge(t, d, "vigie_bgp_session_up", nil)
		return pending == 0 && bgp && demotest.HistogramCount(t, d, "vigie_store_batch_duration_seconds") > 0
	})
	families, err := exposition.Catalogue(d.Daemon.Registry())
	if err != nil {
		t.Fatal(err)
	}
	code := make([]catalog.Metric, 0, len(families))
	for _, f := range families {
		code = append(code, catalog.Metric{Name: f.Name, Type: string(f.Kind), Labels: f.Labels})
		if f.Kind == "" && strings.HasPrefix(f.Name, "vigie_") {
			t.Logf("%s has no series in the demo: its labels are checked, not its type", f.Name)
		}
	}

	// The catalogue is what /metrics serves: every family served is in it,
	// with its type and labels.
	srv := httptest.NewServer(d.Daemon.Handler())
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	parser := expfmt.NewTextParser(pmodel.UTF8Validation)
	served, err := parser.TextToMetricFamilies(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatalf("/metrics does not parse: %v", err)
	}
	byName := map[string]exposition.Family{}
	for _, f := range families {
		byName[f.Name] = f
	}
	for name, mf := range served {
		f, ok := byName[name]
		var labels []string
		if len(mf.GetMetric()) > 0 {
			for _, l := range mf.GetMetric()[0].GetLabel() {
				labels = append(labels, l.GetName())
			}
		}
		kind := strings.ToLower(mf.GetType().String())
		want := slices.Sorted(slices.Values(f.Labels))
		switch {
		case !ok:
			t.Errorf("/metrics serves %s, which exposition.Catalogue lacks", name)
		case string(f.Kind) != kind || !slices.Equal(want, labels):
			t.Errorf("/metrics serves %s %s{%s}, but exposition.Catalogue says %s{%s}",
				name, kind, strings.Join(labels, ","), f.Kind, strings.Join(f.Labels, ","))
		}
	}

	if *update {
		b, err := catalog.Update("metrics.txt", code, prometheusNames...)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile("metrics.txt", b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	list, err := catalog.Load("metrics.txt")
	if err != nil {
		t.Fatal(err)
	}
	for _, err := range list.Check("alerting/metrics.txt", code, prometheusNames...) {
		t.Error(err)
	}
}

// notificationReceiver is an SNMP notification receiver on a free
// loopback port, so that its families are in what the demo serves.
func notificationReceiver(t *testing.T) *trap.Receiver {
	t.Helper()
	r, err := trap.New(trap.Options{Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Close() })
	return r
}
