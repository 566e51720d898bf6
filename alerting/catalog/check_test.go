package catalog

import (
	"os"
	"strings"
	"testing"
)

// TestCheck feeds Check the same list (testdata/check/metrics.txt) and code
// that agrees with it, then code with one deliberate difference per case:
// each must give exactly its error, so that the check of the project's list
// is one that can fail.
func TestCheck(t *testing.T) {
	agrees := []Metric{
		{Name: "vigie_device_up", Type: "gauge", Labels: []string{"device", "role", "region"}},
		// Labels in another order (the registry sorts them): the same family.
		{Name: "vigie_interface_oper_up", Type: "gauge", Labels: []string{"device", "interface", "region", "role"}},
		{Name: "vigie_collector_polls_total", Type: "counter", Labels: []string{"result", "role"}},
		{Name: "vigie_collector_poll_lag_seconds", Type: "histogram"},
		// No series to tell the type: labels only.
		{Name: "vigie_topology_device_bound_drops_total", Labels: []string{"bound", "device"}},
		{Name: "vigie_site_count", Type: "gauge", Labels: []string{"region"}},
		// Not vigie_: need not be listed.
		{Name: "go_goroutines", Type: "gauge"},
	}
	with := func(change func([]Metric) []Metric) []Metric {
		c := make([]Metric, len(agrees))
		copy(c, agrees)
		return change(c)
	}
	const file = "alerting/metrics.txt"
	for _, tc := range []struct {
		name string
		code []Metric
		want []string
	}{
		{name: "agrees", code: agrees},
		{name: "label renamed", code: with(func(c []Metric) []Metric {
			c[0] = Metric{Name: "vigie_device_up", Type: "gauge", Labels: []string{"device", "role", "zone"}}
			return c
		}), want: []string{"alerting/metrics.txt:4: vigie_device_up{device,role,region} gauge, but the code exports vigie_device_up{device,role,zone} gauge: fix the file (and the rules/dashboards using it)"}},
		{name: "type changed", code: with(func(c []Metric) []Metric {
			c[2].Type = "gauge"
			return c
		}), want: []string{"alerting/metrics.txt:6: vigie_collector_polls_total{role,result} counter, but the code exports vigie_collector_polls_total{result,role} gauge: fix the file"}},
		{name: "label added to a family without series", code: with(func(c []Metric) []Metric {
			c[4].Labels = []string{"bound", "device", "region"}
			return c
		}), want: []string{"alerting/metrics.txt:8: vigie_topology_device_bound_drops_total{device,bound} counter, but the code exports vigie_topology_device_bound_drops_total{bound,device,region} ?"}},
		{name: "family renamed", code: with(func(c []Metric) []Metric {
			c[5].Name = "vigie_sites_total"
			c[5].Type = "counter"
			return c
		}), want: []string{
			"alerting/metrics.txt:9: vigie_site_count{region} gauge, but the code exports no vigie_site_count: fix its name or remove it",
			"alerting/metrics.txt: the code exports vigie_sites_total{region} counter, which the file does not list: add it",
		}},
		{name: "family gone", code: with(func(c []Metric) []Metric { return c[1:] }),
			want: []string{"alerting/metrics.txt:4: vigie_device_up{device,role,region} gauge, but the code exports no vigie_device_up"}},
		{name: "new family", code: with(func(c []Metric) []Metric {
			return append(c, Metric{Name: "vigie_web_requests_total", Type: "counter", Labels: []string{"code"}})
		}), want: []string{"alerting/metrics.txt: the code exports vigie_web_requests_total{code} counter, which the file does not list"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Load("testdata/check/metrics.txt")
			if err != nil {
				t.Fatal(err)
			}
			c.AddRecorded("region:vigie_sites:count") // recorded names are not the code's
			errs := c.Check(file, tc.code, "up")
			if len(errs) != len(tc.want) {
				t.Fatalf("Check gave %d errors, want %d: %v", len(errs), len(tc.want), errs)
			}
			for i, err := range errs {
				if !strings.HasPrefix(err.Error(), tc.want[i]) {
					t.Errorf("error %d:\n got  %v\n want %s...", i, err, tc.want[i])
				}
			}
		})
	}
	// Without "up" allowed, the Prometheus series is a listed family the
	// code does not export.
	c, err := Load("testdata/check/metrics.txt")
	if err != nil {
		t.Fatal(err)
	}
	errs := c.Check(file, agrees)
	if len(errs) != 1 || !strings.HasPrefix(errs[0].Error(), "alerting/metrics.txt:11: up{job,instance} gauge, but the code exports no up") {
		t.Errorf("Check without up allowed: %v", errs)
	}
}

// TestUpdate rewrites testdata/check/metrics.txt for code that renamed a
// label, dropped a family and added three (one without series): the
// result is testdata/check/updated.txt, and it passes Check.
func TestUpdate(t *testing.T) {
	code := []Metric{
		{Name: "vigie_device_up", Type: "gauge", Labels: []string{"device", "role", "zone"}},
		{Name: "vigie_device_reboots_total", Type: "counter", Labels: []string{"device", "role", "region"}},
		{Name: "vigie_interface_oper_up", Type: "gauge", Labels: []string{"device", "interface", "region", "role"}},
		{Name: "vigie_collector_polls_total", Type: "counter", Labels: []string{"result", "role"}},
		{Name: "vigie_collector_poll_lag_seconds", Type: "histogram"},
		{Name: "vigie_topology_device_bound_drops_total", Labels: []string{"bound", "device"}},
		{Name: "vigie_topology_unknown_device_polls_total", Labels: nil},
		{Name: "vigie_build_info", Type: "gauge", Labels: []string{"goversion", "version"}},
		{Name: "go_goroutines", Type: "gauge"},
	}
	got, err := Update("testdata/check/metrics.txt", code, "up")
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("testdata/check/updated.txt")
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Errorf("Update gave\n%s\nwant (testdata/check/updated.txt)\n%s", got, want)
	}
	c, err := Load("testdata/check/updated.txt")
	if err != nil {
		t.Fatal(err)
	}
	if errs := c.Check("updated.txt", code, "up"); len(errs) > 0 {
		t.Errorf("the updated list does not pass Check: %v", errs)
	}

	// A new family without series whose type its name does not tell.
	code = append(code, Metric{Name: "vigie_store_file_replaced"})
	if _, err := Update("testdata/check/metrics.txt", code, "up"); err == nil || !strings.Contains(err.Error(), "vigie_store_file_replaced has no series to tell its type: add it to testdata/check/metrics.txt by hand") {
		t.Errorf("Update with an untyped gauge: %v", err)
	}
}
