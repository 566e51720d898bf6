package topology

import (
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/vigie-rie/vigie/topology/store"
)

// TestPartitionRewritesCut: every device unobserved (its collector lost)
// from t0+2m, observed again by replayed polls at t0+6m; the collector
// turns out partitioned with ce-s1 and ce-s2 seen alive during the cut.
// S1's and S2's unobserved intervals of the cut are rewritten nominal
// (their state after the replay); S3, whose router the replay did not show,
// keeps its unobserved interval; one collector_partitioned event.
func TestPartitionRewritesCut(t *testing.T) {
	st, err := store.Open(filepath.Join(t.TempDir(), "vigie.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	h := newHarness(t, Options{Store: st, Distributed: true})
	h.round() // t0+1m: observed, nominal
	at := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Minute).Truncate(time.Second) }
	setNow := func(n int) {
		h.nowMu.Lock()
		h.now = at(n)
		h.nowMu.Unlock()
	}
	setNow(2)
	var all []string
	for _, d := range h.inv.Devices {
		all = append(all, d.Name)
	}
	h.topo.Unobserve("collector:reunion", all, at(2))
	h.sync()
	if s := h.topo.Analysis().Site("S1"); s == nil || s.State != SiteUnobserved {
		t.Fatalf("S1 is %+v while its collector is lost, want unobserved", s)
	}
	setNow(5)
	h.round() // t0+6m: the replay
	h.topo.Partitioned("collector:reunion", []string{"ce-s1", "ce-s2"}, at(2), at(6))
	h.sync()
	h.stop()

	want := map[string][]store.Interval{
		"S1": {{Site: "S1", Start: at(0), End: at(1), State: store.AvailUnobserved},
			{Site: "S1", Start: at(1), End: at(2), State: store.AvailNominal},
			{Site: "S1", Start: at(2), End: at(6), State: store.AvailNominal},
			{Site: "S1", Start: at(6), State: store.AvailNominal}},
		"S3": {{Site: "S3", Start: at(0), End: at(1), State: store.AvailUnobserved},
			{Site: "S3", Start: at(1), End: at(2), State: store.AvailNominal},
			{Site: "S3", Start: at(2), End: at(6), State: store.AvailUnobserved},
			{Site: "S3", Start: at(6), State: store.AvailNominal}},
	}
	want["S2"] = append([]store.Interval(nil), want["S1"]...)
	for i := range want["S2"] {
		want["S2"][i].Site = "S2"
	}
	got := map[string][]store.Interval{}
	if err := st.Intervals(t0.Add(-time.Hour), t0.Add(time.Hour), func(iv store.Interval) error {
		got[iv.Site] = append(got[iv.Site], iv)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for site, w := range want {
		if !reflect.DeepEqual(got[site], w) {
			t.Errorf("%s's intervals:\n got %+v\nwant %+v", site, got[site], w)
		}
	}
	if evs := h.eventsOf(EventCollectorPartitioned); len(evs) != 1 || evs[0].Subject != "collector:reunion" || evs[0].To != SitePartitioned {
		t.Errorf("collector_partitioned events: %+v, want one for collector:reunion", evs)
	}
}
