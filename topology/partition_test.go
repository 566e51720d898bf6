package topology

import (
	"maps"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigie-rie/vigie/collector/snmp"
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

// TestPartitionFollowsTheReplay: every device unobserved (its collector
// lost) from t0+2m; at t0+7m its buffered polls replay: from t0+1m30s
// (made before the loss) for S1's devices, from t0+3m for ce-s2, none for
// ce-s3, and S1's only fibre down from t0+4m. S1's intervals follow the
// replay: nominal from the loss (its unobserved interval replaced at once
// by the poll made before it), isolated from t0+4m, with its site_state
// event at t0+4m, not at the replay. S2's unobserved interval, up to its
// first replayed poll, is rewritten nominal when the partition is settled.
// S3, which the replay did not show, keeps its unobserved interval.
func TestPartitionFollowsTheReplay(t *testing.T) {
	st := openStore(t)
	h := newHarness(t, Options{Store: st, Distributed: true, Debounce: time.Second})
	h.round() // t0+1m: observed, nominal
	at := func(minutes float64) time.Time { return t0.Add(time.Duration(minutes * float64(time.Minute))) }
	setNow := func(n time.Time) {
		h.nowMu.Lock()
		h.now = n
		h.nowMu.Unlock()
	}
	setNow(at(2))
	var all []string
	for _, d := range h.inv.Devices {
		all = append(all, d.Name)
	}
	h.topo.Unobserve("collector:reunion", all, at(2))
	h.sync()

	var replay []*snmp.Poll
	alive := map[string]bool{}
	for _, m := range []float64{1.5, 3, 4, 5} {
		setNow(at(m))
		h.down["agg-lyon-1:ge1"] = m >= 4
		for _, d := range h.inv.Devices {
			if d.Name == "ce-s3" || (d.Name == "ce-s2" && m < 3) {
				continue
			}
			replay = append(replay, h.poll(d.Name))
			alive[d.Name] = true
		}
	}
	setNow(at(7))
	for _, p := range replay {
		h.topo.Apply(p)
	}
	h.topo.Partitioned("collector:reunion", slices.Sorted(maps.Keys(alive)), at(2), at(7))
	h.sync()
	evs, ivs := history(t, h, st)

	got := map[string][]store.Interval{}
	for _, iv := range ivs {
		got[iv.Site] = append(got[iv.Site], iv)
	}
	before := func(site string) []store.Interval {
		return []store.Interval{{Site: site, Start: at(0), End: at(1), State: store.AvailUnobserved},
			{Site: site, Start: at(1), End: at(2), State: store.AvailNominal}}
	}
	want := map[string][]store.Interval{
		"S1": append(before("S1"), store.Interval{Site: "S1", Start: at(2), End: at(4), State: store.AvailNominal},
			store.Interval{Site: "S1", Start: at(4), State: store.AvailIsolated, Cause: "link:agg-lyon-1:ge1--ce-s1:eth0"}),
		"S2": append(before("S2"), store.Interval{Site: "S2", Start: at(2), End: at(3), State: store.AvailNominal},
			store.Interval{Site: "S2", Start: at(3), State: store.AvailNominal}),
		"S3": append(before("S3"), store.Interval{Site: "S3", Start: at(2), State: store.AvailUnobserved}),
	}
	for site, w := range want {
		if !reflect.DeepEqual(got[site], w) {
			t.Errorf("%s's intervals:\n got %+v\nwant %+v", site, got[site], w)
		}
	}
	var s1 []Event
	partitions := 0
	for _, e := range evs {
		if e.Kind == EventSiteState && e.Subject == "S1" {
			s1 = append(s1, e)
		}
		if e.Kind == EventCollectorPartitioned {
			partitions++
			if !strings.Contains(e.Detail, "2 sites") {
				t.Errorf("partition event %+v: want 2 sites rewritten (S1 at once, S2 at the settling)", e)
			}
		}
	}
	wantS1 := []Event{
		{Time: at(2), Kind: EventSiteState, Subject: "S1", From: SiteNominal, To: SiteUnobserved, Detail: ":"},
		{Time: at(2), Kind: EventSiteState, Subject: "S1", From: SiteUnobserved, To: SiteNominal, Detail: ":"},
		{Time: at(4), Kind: EventSiteState, Subject: "S1", From: SiteNominal, To: SiteIsolated, Detail: "link:agg-lyon-1:ge1--ce-s1:eth0"},
	}
	if !reflect.DeepEqual(s1, wantS1) {
		t.Errorf("S1's site_state events:\n got %+v\nwant %+v", s1, wantS1)
	}
	if partitions != 1 {
		t.Errorf("%d collector_partitioned events, want 1", partitions)
	}
}
