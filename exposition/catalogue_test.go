package exposition

import (
	"reflect"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// TestCatalogue reads families declared here, registered with series and
// registered without, and refuses a registry that contradicts a declaration.
func TestCatalogue(t *testing.T) {
	reg := prometheus.NewRegistry()
	if err := (&Exposition{}).register(reg); err != nil {
		t.Fatal(err)
	}
	hist := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "vigie_test_duration_seconds", Help: "h"}, []string{"role"})
	hist.WithLabelValues("core").Observe(1)
	empty := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "vigie_test_drops_total", Help: "d"}, []string{"device", "bound"})
	reg.MustRegister(hist, empty, prometheus.NewGauge(prometheus.GaugeOpts{Name: "vigie_test_plain", Help: "p"}))
	cat, err := Catalogue(reg)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]Family{}
	for _, f := range cat {
		byName[f.Name] = f
	}
	for _, want := range []Family{
		// Declared: type and label order from the declaration.
		{Name: "vigie_device_poll_errors_total", Kind: Counter, Labels: []string{"device", "role", "region", "reason"}},
		{Name: "vigie_site_isolation_cause", Kind: Gauge, Labels: []string{"site", "region", "overseas", "cause_kind", "cause"}},
		// Gathered.
		{Name: "vigie_test_duration_seconds", Kind: Histogram, Labels: []string{"role"}},
		{Name: "vigie_test_plain", Kind: Gauge},
		// Described only: no series, so no type; labels in name order.
		{Name: "vigie_test_drops_total", Kind: "", Labels: []string{"bound", "device"}},
	} {
		got, ok := byName[want.Name]
		if !ok {
			t.Errorf("the catalogue lacks %s", want.Name)
			continue
		}
		if got.Kind != want.Kind || !reflect.DeepEqual(got.Labels, want.Labels) {
			t.Errorf("%s: got %q %v, want %q %v", want.Name, got.Kind, got.Labels, want.Kind, want.Labels)
		}
	}
	// Every declared family is there, with series or not.
	for _, f := range Families() {
		if _, ok := byName[f.Name]; !ok {
			t.Errorf("the catalogue lacks the declared %s", f.Name)
		}
	}

	// A registered family of a declared name but another type.
	bad := prometheus.NewRegistry()
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "vigie_topology_nodes", Help: "x"})
	bad.MustRegister(c)
	if _, err := Catalogue(bad); err == nil || err.Error() != "exposition: vigie_topology_nodes is declared gauge{} but gathered as counter{}: fix its declaration" {
		t.Errorf("Catalogue with a contradicting registry: %v", err)
	}
}
