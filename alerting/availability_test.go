package alerting

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/vigie-rie/vigie/inventory"
	"github.com/vigie-rie/vigie/topology/availability"
	"github.com/vigie-rie/vigie/topology/store"
)

// TestAvailabilityRulesAgreeWithReport replays 30 days of site states for
// four sites (isolations of 2 to 90 minutes, degradations, vigie down for
// 17 min 23 s) twice: as the store's intervals, which `vigie report
// availability` reads, and as vigie_site_isolated scraped every 10 s
// (nothing while vigie is down), which Prometheus' own rule engine
// (promtool test rules) turns into site:vigie_site_available:ratio_30d
// with the shipped availability rule groups, read 5 minutes after the
// month (the ratios cover the last 720 full hours). Each site's ratio must
// agree with the report's to within one minute of the site's observed time.
func TestAvailabilityRulesAgreeWithReport(t *testing.T) {
	promtool := binary(t, promtoolPath)
	const (
		scrape = 10 * time.Second
		span   = 720 * time.Hour
	)
	from := time.Unix(0, 0).UTC() // promtool's series start at 0
	to := from.Add(span)
	rng := rand.New(rand.NewPCG(16, 1))
	sites := []string{"s1", "s2", "s3", "s4"}
	inv := &inventory.Inventory{}
	for _, s := range sites {
		inv.Sites = append(inv.Sites, inventory.Site{ID: s, Region: "r1"})
	}
	inv.Index()

	// Per site: a state per second-resolution interval, episodes on
	// distinct days, the fleet-wide gap on day 8.
	gapStart := from.Add(8*24*time.Hour + 3*time.Hour + 7*time.Second)
	gapEnd := gapStart.Add(17*time.Minute + 23*time.Second)
	history := map[string][]stateSpan{}
	clock := to
	st, err := store.Open(filepath.Join(t.TempDir(), "v.db"), store.Options{Now: func() time.Time { return clock }})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, s := range sites {
		var eps []stateSpan
		days := rng.Perm(29)
		for i, d := range days[:7] {
			if d == 8 {
				continue
			}
			state := store.AvailIsolated
			lo, hi := 2*time.Minute, 90*time.Minute
			if i >= 4 {
				state, lo, hi = store.AvailDegraded, 10*time.Minute, 4*time.Hour
			}
			start := from.Add(time.Duration(d)*24*time.Hour + time.Duration(rng.Int64N(int64(18*time.Hour)))).Truncate(time.Second)
			eps = append(eps, stateSpan{start, start.Add(lo + time.Duration(rng.Int64N(int64(hi-lo)))).Truncate(time.Second), state})
		}
		eps = append(eps, stateSpan{gapStart, gapEnd, store.AvailUnobserved})
		// Sorted and laid over nominal.
		for i := range eps {
			for j := i + 1; j < len(eps); j++ {
				if eps[j].start.Before(eps[i].start) {
					eps[i], eps[j] = eps[j], eps[i]
				}
			}
		}
		cur := from
		var h []stateSpan
		for _, e := range eps {
			h = append(h, stateSpan{cur, e.start, store.AvailNominal}, e)
			cur = e.end
		}
		h = append(h, stateSpan{cur, to, store.AvailNominal})
		history[s] = h
		for _, iv := range h {
			st.PutInterval(store.Interval{Site: s, Start: iv.start, End: iv.end, State: iv.state, Cause: "device:ce-" + s})
		}
	}
	st.Beat(to)
	if err := st.Flush(); err != nil {
		t.Fatal(err)
	}
	q, err := availability.ParseQuery(from.Format(time.DateOnly), to.Format(time.DateOnly), "site", "json")
	if err != nil {
		t.Fatal(err)
	}
	rep, err := availability.Compute(st, inv, q, to)
	if err != nil {
		t.Fatal(err)
	}

	// The shipped availability groups alone (the others would be
	// evaluated every minute of the month for nothing).
	var rules struct {
		Groups []map[string]any `yaml:"groups"`
	}
	b, err := os.ReadFile("rules/vigie-recording.rules.yml")
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, &rules); err != nil {
		t.Fatal(err)
	}
	var group []map[string]any
	for _, g := range rules.Groups {
		if g["name"] == "vigie-availability" || g["name"] == "vigie-availability-ratios" {
			group = append(group, g)
		}
	}
	if len(group) != 2 {
		t.Fatal("no vigie-availability and vigie-availability-ratios groups in rules/vigie-recording.rules.yml")
	}
	dir := t.TempDir()
	out, _ := yaml.Marshal(map[string]any{"groups": group})
	if err := os.WriteFile(filepath.Join(dir, "availability.rules.yml"), out, 0o644); err != nil {
		t.Fatal(err)
	}

	var test strings.Builder
	fmt.Fprintf(&test, "rule_files: [availability.rules.yml]\nevaluation_interval: 1h\ntests:\n  - interval: %s\n    input_series:\n", scrape)
	for _, s := range sites {
		fmt.Fprintf(&test, "      - series: 'vigie_site_isolated{job=\"vigie\",instance=\"vigie:9742\",site=%q,region=\"r1\"}'\n        values: '%s'\n",
			s, samples(history[s], from, to, scrape))
	}
	test.WriteString("    promql_expr_test:\n")
	for _, r := range rep.Groups {
		observed := (r.NominalMinutes + r.DegradedMinutes + r.IsolatedMinutes) * 60
		if r.Availability == nil || r.IsolatedMinutes == 0 || r.UnobservedMinutes == 0 {
			t.Fatalf("%s: the history lacks isolated or unobserved time: %+v", r.Group, r)
		}
		t.Logf("%s: report %.5f%% available, %.1f isolated and %.1f unobserved minutes, %d incidents", r.Group,
			*r.Availability, r.IsolatedMinutes, r.UnobservedMinutes, r.Incidents)
		fmt.Fprintf(&test, "      - expr: abs(site:vigie_site_available:ratio_30d{site=%q} - %.9f) * %.0f < bool 60\n        eval_time: %s\n"+
			"        exp_samples:\n          - labels: '{job=\"vigie\",instance=\"vigie:9742\",site=%q,region=\"r1\"}'\n            value: 1\n",
			r.Group, *r.Availability/100, observed, span+5*time.Minute, r.Group)
	}
	path := filepath.Join(dir, "availability.test.yml")
	if err := os.WriteFile(path, []byte(test.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	run(t, promtool, "test", "rules", path)
}

// stateSpan is one stretch of a replayed site history.
type stateSpan struct {
	start, end time.Time
	state      string
}

// samples writes a site's history as promtool's expanding notation, one
// sample every step from from (excluded: to): 1 isolated, 0 otherwise, _
// while unobserved.
func samples(h []stateSpan, from, to time.Time, step time.Duration) string {
	var out []string
	prev, run := "", 0
	flush := func() {
		switch {
		case run == 0:
		case prev == "_":
			out = append(out, fmt.Sprintf("_x%d", run))
		default:
			out = append(out, fmt.Sprintf("%sx%d", prev, run-1)) // a x n is n+1 samples
		}
	}
	i := 0
	for t := from; t.Before(to); t = t.Add(step) {
		for i < len(h)-1 && !t.Before(h[i].end) {
			i++
		}
		v := "0"
		switch h[i].state {
		case store.AvailIsolated:
			v = "1"
		case store.AvailUnobserved:
			v = "_"
		}
		if v != prev {
			flush()
			prev, run = v, 0
		}
		run++
	}
	flush()
	return strings.Join(out, " ")
}
