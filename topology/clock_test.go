package topology

import (
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/vigie-rie/vigie/collector/snmp"
	"github.com/vigie-rie/vigie/topology/store"
)

// replayScript is six minutes of polls of every device, one round a
// minute from t0+1m: S1's only access fibre (agg-lyon-1:ge1) down in the
// rounds at t0+2m and t0+3m, and ce-s1 timing out at t0+5m and t0+6m
// (unreachable at the second). It returns the polls in order.
func replayScript(h *harness) []*snmp.Poll {
	var polls []*snmp.Poll
	for minute := 1; minute <= 6; minute++ {
		h.nowMu.Lock()
		h.now = t0.Add(time.Duration(minute) * time.Minute)
		h.nowMu.Unlock()
		h.down["agg-lyon-1:ge1"] = minute == 2 || minute == 3
		for _, d := range h.inv.Devices {
			if d.Name == "ce-s1" && minute >= 5 {
				polls = append(polls, h.failed(d.Name))
			} else {
				polls = append(polls, h.poll(d.Name))
			}
		}
	}
	return polls
}

// history is what a test compares of two centrals: every event and every
// availability interval.
func history(t *testing.T, h *harness, st *store.Store) ([]Event, []store.Interval) {
	t.Helper()
	h.stop()
	var ivs []store.Interval
	if err := st.Intervals(t0.Add(-time.Hour), t0.Add(time.Hour), func(iv store.Interval) error {
		ivs = append(ivs, iv)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return h.topo.Events(time.Time{}, 10000), ivs
}

func openStore(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "vigie.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

// TestReplayGivesTheLiveHistory: two centrals are given the same six
// minutes of polls. One applies each round as it is made and analyses it;
// the other gets them all at once, five minutes late (its durable consumer
// catching up after a restart, or a partitioned collector's buffer). Their
// event histories and availability intervals are the same, times included:
// the replay's site changes are dated by the polls that showed them (S1
// isolated at t0+2m by its fibre, nominal at t0+4m, isolated by its CE at
// t0+6m), not when the
// replaying central analysed them.
func TestReplayGivesTheLiveHistory(t *testing.T) {
	opts := func(st *store.Store) Options {
		return Options{Store: st, Distributed: true, Debounce: time.Second}
	}
	liveStore, replayStore := openStore(t), openStore(t)
	live, replay := newHarness(t, opts(liveStore)), newHarness(t, opts(replayStore))

	polls := replayScript(live)
	for i := 0; i < len(polls); i += len(live.inv.Devices) {
		live.nowMu.Lock()
		live.now = polls[i].End
		live.nowMu.Unlock()
		for _, p := range polls[i : i+len(live.inv.Devices)] {
			live.topo.Apply(p)
		}
		live.sync()
	}
	replay.nowMu.Lock()
	replay.now = t0.Add(10 * time.Minute)
	replay.nowMu.Unlock()
	for _, p := range replayScript(replay) {
		replay.topo.Apply(p)
	}
	replay.sync()

	liveEvents, liveIntervals := history(t, live, liveStore)
	replayEvents, replayIntervals := history(t, replay, replayStore)
	if !reflect.DeepEqual(replayEvents, liveEvents) {
		t.Errorf("events of the replay:\n%+v\nof the live central:\n%+v", replayEvents, liveEvents)
	}
	if !reflect.DeepEqual(replayIntervals, liveIntervals) {
		t.Errorf("intervals of the replay:\n%+v\nof the live central:\n%+v", replayIntervals, liveIntervals)
	}

	m := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Minute) }
	var s1 []Event
	for _, e := range replayEvents {
		if e.Kind == EventSiteState && e.Subject == "S1" {
			s1 = append(s1, e)
		}
	}
	want := []Event{
		{Time: m(2), Kind: EventSiteState, Subject: "S1", From: SiteNominal, To: SiteIsolated, Detail: "link:agg-lyon-1:ge1--ce-s1:eth0"},
		{Time: m(4), Kind: EventSiteState, Subject: "S1", From: SiteIsolated, To: SiteNominal, Detail: ":"},
		{Time: m(6), Kind: EventSiteState, Subject: "S1", From: SiteNominal, To: SiteIsolated, Detail: "device:ce-s1"},
	}
	if !reflect.DeepEqual(s1, want) {
		t.Errorf("S1's site_state events of the replay:\n got %+v\nwant %+v", s1, want)
	}
	var ivs []store.Interval
	for _, iv := range replayIntervals {
		if iv.Site == "S1" {
			ivs = append(ivs, iv)
		}
	}
	wantIvs := []store.Interval{
		{Site: "S1", Start: m(0), End: m(1), State: store.AvailUnobserved},
		{Site: "S1", Start: m(1), End: m(2), State: store.AvailNominal},
		{Site: "S1", Start: m(2), End: m(4), State: store.AvailIsolated, Cause: "link:agg-lyon-1:ge1--ce-s1:eth0"},
		{Site: "S1", Start: m(4), End: m(6), State: store.AvailNominal},
		{Site: "S1", Start: m(6), State: store.AvailIsolated, Cause: "device:ce-s1"},
	}
	if !reflect.DeepEqual(ivs, wantIvs) {
		t.Errorf("S1's intervals of the replay:\n got %+v\nwant %+v", ivs, wantIvs)
	}
}

// TestSingleBoxDatesByTheAnalysis: a single box keeps dating its site
// changes when it analyses them, even for polls made earlier.
func TestSingleBoxDatesByTheAnalysis(t *testing.T) {
	h := newHarness(t, Options{})
	polls := replayScript(h)
	late := t0.Add(10 * time.Minute)
	h.nowMu.Lock()
	h.now = late
	h.nowMu.Unlock()
	for _, p := range polls {
		h.topo.Apply(p)
	}
	h.sync()
	for _, e := range h.eventsOf(EventSiteState) {
		if !e.Time.Equal(late) {
			t.Errorf("single box: %+v dated %v, want the analysis at %v", e, e.Time, late)
		}
	}
	if len(h.eventsOf(EventSiteState)) == 0 {
		t.Errorf("no site_state event on the single box: %+v", h.topo.Events(time.Time{}, 100))
	}
}

// TestReplayNeverBeforeTheSiteState: a poll made before a site's current
// state began (here, before this central started and counted the site
// unobserved) takes effect when that state began, and one from the future
// (a collector's clock ahead) now.
func TestReplayNeverBeforeTheSiteState(t *testing.T) {
	st := openStore(t)
	h := newHarness(t, Options{Store: st, Distributed: true, Debounce: time.Second})
	h.nowMu.Lock()
	h.now = t0.Add(3 * time.Minute)
	h.nowMu.Unlock()
	old := h.poll("ce-s1")
	old.Start, old.End = t0.Add(-time.Minute), t0.Add(-time.Minute)
	h.topo.Apply(old)
	h.sync()
	future := h.failed("ce-s1")
	future.Start, future.End = t0.Add(time.Hour), t0.Add(time.Hour)
	h.topo.Apply(future)
	h.topo.Apply(future)
	h.sync()
	evs, ivs := history(t, h, st)
	var s1 []store.Interval
	for _, iv := range ivs {
		if iv.Site == "S1" {
			s1 = append(s1, iv)
		}
	}
	want := []store.Interval{
		{Site: "S1", Start: t0, End: t0.Add(3 * time.Minute), State: store.AvailNominal},
		{Site: "S1", Start: t0.Add(3 * time.Minute), State: store.AvailIsolated, Cause: "device:ce-s1"},
	}
	if !reflect.DeepEqual(s1, want) {
		t.Errorf("S1's intervals:\n got %+v\nwant %+v", s1, want)
	}
	var sites []Event
	for _, e := range evs {
		if e.Kind == EventSiteState {
			sites = append(sites, e)
		}
	}
	wantEv := []Event{{Time: t0.Add(3 * time.Minute), Kind: EventSiteState, Subject: "S1", From: SiteNominal, To: SiteIsolated, Detail: "device:ce-s1"}}
	if !reflect.DeepEqual(sites, wantEv) {
		t.Errorf("site_state events:\n got %+v\nwant %+v", sites, wantEv)
	}
}

// TestObservedAgainReusesTheAnalysis: the CE routers' collector lost, then
// heard again, changes no failure (S2's fibre is still seen down from the
// aggregation router): the analyses that follow reuse the engine's last
// result (no engine run) with only the unobserved sites computed again,
// and give the sites the engine gave.
func TestObservedAgainReusesTheAnalysis(t *testing.T) {
	h := newHarness(t, Options{Distributed: true})
	h.down["agg-lyon-1:ge2"] = true // S2 degraded: a result worth keeping
	h.round()
	before, runs := h.topo.Analysis(), analysisCount(h)
	// The collector of the CE routers lost; the aggregation routers'
	// still says agg-lyon-1:ge2 is down.
	h.topo.Unobserve("collector:ce", []string{"ce-s1", "ce-s2", "ce-s3"}, h.now)
	h.sync()
	for _, s := range h.topo.Analysis().Sites {
		if s.State != SiteUnobserved {
			t.Errorf("site %s %s while its CE routers are unobserved", s.ID, s.State)
		}
	}
	h.round()
	after := h.topo.Analysis()
	if n := analysisCount(h) - runs; n != 0 {
		t.Errorf("%d engine analyses for devices unobserved then observed again, failures unchanged; want 0", n)
	}
	if len(after.Sites) != len(before.Sites) {
		t.Fatalf("%d sites, want %d", len(after.Sites), len(before.Sites))
	}
	for i := range after.Sites {
		a, b := after.Sites[i], before.Sites[i]
		a.Since, b.Since = time.Time{}, time.Time{}
		if !reflect.DeepEqual(a, b) {
			t.Errorf("site %s observed again: %+v, want the engine's %+v", a.ID, a, b)
		}
	}
	if s := after.Site("S2"); s == nil || s.State != SiteDegraded {
		t.Errorf("S2 observed again: %+v, want degraded", s)
	}
}
