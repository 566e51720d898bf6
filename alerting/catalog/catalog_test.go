package catalog

import (
	"reflect"
	"strings"
	"testing"
)

func TestMetricNames(t *testing.T) {
	for _, tc := range []struct {
		expr string
		want []string
		err  string
	}{
		{expr: `vigie_device_up == 0`, want: []string{"vigie_device_up"}},
		{
			expr: `sum by (role) (rate(vigie_collector_polls_total{result="failure"}[5m])) / sum by (role) (rate(vigie_collector_polls_total[5m]))`,
			want: []string{"vigie_collector_polls_total"},
		},
		{
			expr: `histogram_quantile(0.9, sum by (le) (rate(vigie_collector_poll_lag_seconds_bucket[5m]))) > on() group_left() region:vigie_sites:count`,
			want: []string{"region:vigie_sites:count", "vigie_collector_poll_lag_seconds_bucket"},
		},
		{expr: `max_over_time(vigie_backbone_bridges[7d:1h])`, want: []string{"vigie_backbone_bridges"}},
		{expr: `vector(1)`, want: []string{}},
		{expr: `{__name__=~"vigie_.*"}`, err: "names no metric"},
		{expr: `sum(vigie_device_up`, err: "parse"},
	} {
		got, err := MetricNames(tc.expr)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("MetricNames(%q) error = %v, want one containing %q", tc.expr, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("MetricNames(%q): %v", tc.expr, err)
			continue
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("MetricNames(%q) = %v, want %v", tc.expr, got, tc.want)
		}
	}
}

func TestLoadTheProjectList(t *testing.T) {
	c, err := Load("../metrics.txt")
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]bool{
		"vigie_device_up": true,
		"vigie_collector_poll_duration_seconds_bucket":   true, // histogram
		"vigie_resilience_analysis_duration_seconds_sum": true,
		"vigie_device_up_bucket":                         false, // a gauge has no buckets
		"vigie_site_isolated_total":                      false,
		"up":                                             true,
	} {
		if got := c.Allows(name); got != want {
			t.Errorf("Allows(%q) = %v, want %v", name, got, want)
		}
	}
	m := c.Metrics()
	if len(m) < 60 {
		t.Errorf("the project list has %d metrics, want the 60-odd of the spec", len(m))
	}
	c.AddRecorded("region:vigie_sites:count")
	bad, err := c.Unknown(`region:vigie_sites:count / vigie_site_count + vigie_device_up`)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(bad, []string{"vigie_site_count"}) {
		t.Errorf("Unknown = %v, want [vigie_site_count]", bad)
	}
}

func TestLoadRejects(t *testing.T) {
	for file, want := range map[string]string{
		"testdata/bad-counter.txt": "must end in _total",
		"testdata/bad-type.txt":    `type "summary"`,
		"testdata/bad-syntax.txt":  "want `name{label,...} type`",
		"testdata/duplicate.txt":   "already listed at line 1",
		"testdata/missing.txt":     "open the metrics list",
	} {
		_, err := Load(file)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Load(%s) error = %v, want one containing %q", file, err, want)
		}
	}
}

func TestSelectors(t *testing.T) {
	got, err := Selectors(`sum(rate(vigie_x_total{job=~"j",instance=~"i"}[5m])) / sum(vigie_x_total{job="j"}) + increase((vigie_y_total)[5m:1m])`)
	if err != nil {
		t.Fatal(err)
	}
	want := []Selector{
		{Name: "vigie_x_total", Matchers: []string{`job=~"j"`, `instance=~"i"`}, InRate: true},
		{Name: "vigie_x_total", Matchers: []string{`job="j"`}},
		// A subquery is not a plain counter range: flagged as outside rate.
		{Name: "vigie_y_total"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Selectors =\n%+v\nwant\n%+v", got, want)
	}
}
