package availability_test

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigie-rie/vigie/sim"
	"github.com/vigie-rie/vigie/topology/availability"
	"github.com/vigie-rie/vigie/topology/store"
)

func openAt(t testing.TB, path string, clock *time.Time) *store.Store {
	t.Helper()
	st, err := store.Open(path, store.Options{Now: func() time.Time { return *clock }})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func secs(min float64) int64 { return int64(math.Round(min * 60)) }

// TestComputeMatchesReplayedHistory replays two months of churn over 200
// simulated sites through the store and checks every site's seconds per
// state and incidents, and the region and total roll-ups, against the
// history itself. (Flushed every simulated 6 hours, to keep the fsyncs
// few: the live topology flushes every second, but how the puts are
// batched does not change what is written.)
func TestComputeMatchesReplayedHistory(t *testing.T) {
	inv := sim.Generate(sim.GenerateOptions{Sites: 200, Seed: 5})
	from := time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
	to := from.AddDate(0, 2, 0)
	c := makeChurn(inv, from, to, 5)
	clock := from
	st := openAt(t, filepath.Join(t.TempDir(), "v.db"), &clock)
	defer st.Close()
	if err := c.write(st, &clock, 6*time.Hour, to); err != nil {
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
	if len(rep.Groups) != len(inv.Sites) {
		t.Fatalf("%d rows, want one per site (%d)", len(rep.Groups), len(inv.Sites))
	}
	var total [4]int64
	for _, r := range rep.Groups {
		w := c.want[r.Group]
		got := map[string]int64{store.AvailNominal: secs(r.NominalMinutes), store.AvailDegraded: secs(r.DegradedMinutes),
			store.AvailIsolated: secs(r.IsolatedMinutes), store.AvailUnobserved: secs(r.UnobservedMinutes)}
		for state, n := range got {
			if n != w[state] {
				t.Errorf("%s: %d s %s, the history says %d", r.Group, n, state, w[state])
			}
		}
		if r.Incidents != c.incidents[r.Group] {
			t.Errorf("%s: %d incidents, the history says %d", r.Group, r.Incidents, c.incidents[r.Group])
		}
		total[0] += w[store.AvailIsolated]
		total[1] += w[store.AvailUnobserved]
	}
	if secs(rep.Total.IsolatedMinutes) != total[0] || secs(rep.Total.UnobservedMinutes) != total[1] {
		t.Errorf("total %v isolated / %v unobserved minutes, the history says %d / %d s", rep.Total.IsolatedMinutes,
			rep.Total.UnobservedMinutes, total[0], total[1])
	}
	q.By = "region"
	byRegion, err := availability.Compute(st, inv, q, to)
	if err != nil {
		t.Fatal(err)
	}
	if secs(byRegion.Total.IsolatedMinutes) != total[0] || byRegion.Total.Incidents != rep.Total.Incidents || len(byRegion.Groups) < 2 {
		t.Errorf("by region: %d groups, total %v isolated minutes and %d incidents; by site %v and %d",
			len(byRegion.Groups), byRegion.Total.IsolatedMinutes, byRegion.Total.Incidents, rep.Total.IsolatedMinutes, rep.Total.Incidents)
	}
	// By department and ministry, from the inventory's fields: a site
	// without one falls in "(none)"; each group sums its sites.
	wantBy := map[string]map[string]int64{"department": {}, "ministry": {}}
	for i := range inv.Sites {
		s := &inv.Sites[i]
		s.Department, s.Ministry = "", []string{"Intérieur", "Justice", "Armées"}[i%3]
		if i%4 != 0 {
			s.Department = fmt.Sprintf("%02d", 1+i%7)
		}
		d := s.Department
		if d == "" {
			d = "(none)"
		}
		wantBy["department"][d] += c.want[s.ID][store.AvailIsolated]
		wantBy["ministry"][s.Ministry] += c.want[s.ID][store.AvailIsolated]
	}
	for by, want := range wantBy {
		q.By = by
		r, err := availability.Compute(st, inv, q, to)
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Groups) != len(want) {
			t.Errorf("by %s: %d groups, want %d", by, len(r.Groups), len(want))
		}
		for _, g := range r.Groups {
			if secs(g.IsolatedMinutes) != want[g.Group] {
				t.Errorf("by %s: %s has %v isolated minutes, its sites %d s", by, g.Group, g.IsolatedMinutes, want[g.Group])
			}
		}
	}
	if rep.Total.Availability == nil || *rep.Total.Availability <= 90 || *rep.Total.Availability >= 100 {
		t.Errorf("total availability %v, want a realistic 90 to 100 %%", rep.Total.Availability)
	}
}

// TestRetentionKeepsIntervalsNotEvents fills the event history past its cap
// and checks that no interval goes with the pruned events; intervals older
// than the availability retention go at the next daily prune.
func TestRetentionKeepsIntervalsNotEvents(t *testing.T) {
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	path := filepath.Join(t.TempDir(), "v.db")
	st, err := store.Open(path, store.Options{Now: func() time.Time { return clock }, MaxEvents: 10, History: time.Hour,
		AvailabilityRetention: 40 * 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for d := range 60 {
		day := clock.AddDate(0, 0, d)
		st.PutInterval(store.Interval{Site: "s1", Start: day, End: day.Add(time.Hour), State: store.AvailIsolated, Cause: "device:ce-1"})
		for i := range 5 {
			st.AddEvent(store.Event{Time: day.Add(time.Duration(i) * time.Minute), Kind: "site_state", Subject: "s1"})
		}
	}
	if err := st.Flush(); err != nil {
		t.Fatal(err)
	}
	if st.EventCount() > 10 {
		t.Errorf("%d events kept, cap 10", st.EventCount())
	}
	if n, _ := st.AvailabilityCount(); n != 60 {
		t.Errorf("%d intervals after the event cap pruned events, want all 60", n)
	}
	clock = clock.AddDate(0, 0, 60) // 60 days on: the first 20 days are past 40 days
	st.PutInterval(store.Interval{Site: "s1", Start: clock, State: store.AvailNominal})
	if err := st.Flush(); err != nil {
		t.Fatal(err)
	}
	if n, _ := st.AvailabilityCount(); n != 41 {
		t.Errorf("%d intervals after 60 days with a 40-day retention, want 40 + the open one", n)
	}
}

func TestParseQueryErrors(t *testing.T) {
	for _, c := range []struct{ from, to, by, format, want string }{
		{"", "2026-02-01", "", "", "from is missing"},
		{"2026-02-30", "2026-03-01", "", "", `from "2026-02-30" is not a date`},
		{"2026-02-01", "2026-01-01", "", "", "must be after from"},
		{"2020-01-01", "2026-01-01", "", "", "longer than two years"},
		{"2026-01-01", "2026-02-01", "city", "", `by "city" is not a grouping: use one of site, region, department, ministry`},
		{"2026-01-01", "2026-02-01", "", "pdf", `format "pdf" is not a format`},
	} {
		_, err := availability.ParseQuery(c.from, c.to, c.by, c.format)
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("ParseQuery(%q, %q, %q, %q) = %v, want one line with %q", c.from, c.to, c.by, c.format, err, c.want)
		}
	}
}

// BenchmarkAvailabilityYear writes a year of realistic churn for the full
// RIE (14,000 sites; VIGIE_BENCH_SITES to change) through the real store,
// flushed every simulated hour, and reports the file's size and the
// time of a year's and of a month's report by region. Run it alone (it takes minutes):
//
//	go test -run '^$' -bench AvailabilityYear -benchtime=1x ./topology/availability/
func BenchmarkAvailabilityYear(b *testing.B) {
	sites := 14000
	if v := os.Getenv("VIGIE_BENCH_SITES"); v != "" {
		if _, err := fmtSscan(v, &sites); err != nil {
			b.Fatal(err)
		}
	}
	inv := sim.Generate(sim.GenerateOptions{Sites: sites, Seed: 16})
	from := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	to := from.AddDate(1, 0, 0)
	c := makeChurn(inv, from, to, 16)
	for range b.N {
		clock := from
		path := filepath.Join(b.TempDir(), "v.db")
		st := openAt(b, path, &clock)
		start := time.Now()
		if err := c.write(st, &clock, time.Hour, to); err != nil {
			b.Fatal(err)
		}
		wrote := time.Since(start)
		n, inuse, err := st.AvailabilityStats()
		if err != nil {
			b.Fatal(err)
		}
		q, _ := availability.ParseQuery(from.Format(time.DateOnly), to.Format(time.DateOnly), "region", "text")
		start = time.Now()
		if _, err := availability.Compute(st, inv, q, to); err != nil {
			b.Fatal(err)
		}
		report := time.Since(start)
		mq, _ := availability.ParseQuery("2026-11-01", "2026-12-01", "region", "text")
		start = time.Now()
		if _, err := availability.Compute(st, inv, mq, to); err != nil {
			b.Fatal(err)
		}
		month := time.Since(start)
		if err := st.Close(); err != nil {
			b.Fatal(err)
		}
		fi, err := os.Stat(path)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(fi.Size()), "file_bytes")
		b.ReportMetric(float64(n), "intervals")
		b.ReportMetric(float64(inuse), "inuse_bytes")
		b.ReportMetric(float64(inuse)/float64(n), "inuse_bytes/interval")
		b.ReportMetric(wrote.Seconds(), "write_s")
		b.ReportMetric(report.Seconds(), "report_s")
		b.ReportMetric(month.Seconds(), "month_report_s")
	}
}

func fmtSscan(s string, n *int) (int, error) { return fmt.Sscan(s, n) }
