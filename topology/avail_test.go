package topology

import (
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/vigie-rie/vigie/sim"
	"github.com/vigie-rie/vigie/topology/store"
)

// BenchmarkUpdateAvailability is the availability history's cost per
// published analysis for the full RIE: each site's state compared with its
// open interval, nothing changed (the common case).
func BenchmarkUpdateAvailability(b *testing.B) {
	inv := sim.Generate(sim.GenerateOptions{})
	h := newHarnessInv(b, inv, Options{})
	for _, d := range h.topo.st.devices {
		d.live = true
	}
	now := time.Now()
	h.topo.updateAvailability(now)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		h.topo.updateAvailability(now)
	}
}

// TestAvailabilityAcrossRestart: sites are unobserved until their CE is
// polled, a CE unreachable isolates its site with the CE as the cause, and
// a vigie stopped then started on the same store an hour later closes the
// open intervals at its last beat and records the hour as unobserved until
// the first poll: nothing of the stop is counted as up.
func TestAvailabilityAcrossRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "vigie.db")
	st, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, Options{Store: st})
	h.round()        // t0+1m: every site observed, nominal
	h.round("ce-s1") // t0+2m: one failed poll, not yet unreachable
	h.round("ce-s1") // t0+3m: unreachable: S1 isolated
	h.round("ce-s1") // t0+4m
	h.stop()         // the last beat: t0+4m
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	st2, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st2.Close() })
	h2 := newHarness(t, Options{Store: st2})
	h2.nowMu.Lock()
	h2.now = t0.Add(time.Hour)
	h2.nowMu.Unlock()
	h2.round() // t0+1h+1m: observed again
	h2.stop()

	m := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Minute).Truncate(time.Second) }
	want := []store.Interval{
		{Site: "S1", Start: m(0), End: m(1), State: store.AvailUnobserved},
		{Site: "S1", Start: m(1), End: m(3), State: store.AvailNominal},
		{Site: "S1", Start: m(3), End: m(4), State: store.AvailIsolated, Cause: "device:ce-s1"},
		{Site: "S1", Start: m(4), End: m(61), State: store.AvailUnobserved},
		{Site: "S1", Start: m(61), State: store.AvailNominal},
	}
	var got []store.Interval
	if err := st2.Intervals(t0.Add(-time.Hour), t0.Add(2*time.Hour), func(iv store.Interval) error {
		if iv.Site == "S1" {
			got = append(got, iv)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("S1's intervals:\n got %+v\nwant %+v", got, want)
	}
}
