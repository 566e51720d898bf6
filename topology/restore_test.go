package topology

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/vigie-rie/vigie/collector/snmp"
	"github.com/vigie-rie/vigie/topology/store"
)

// TestRestartServesFromStore: a vigie that saw a fibre down and an unknown
// neighbour is stopped; a new one on the same file serves that topology at
// once, before any poll, and polling then refreshes it.
func TestRestartServesFromStore(t *testing.T) {
	path := filepath.Join(t.TempDir(), "vigie.db")
	st, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, Options{Store: st})
	h.down["agg-lyon-1:ge2"] = true
	h.extraLLDP["agg-lyon-1"] = []snmp.LLDPNeighbor{{LocalPort: "ge7", SysName: "rogue-switch", PortDescr: "port1"}}
	h.round()
	h.round("agg-lyon-2")
	h.round("agg-lyon-2") // now unreachable
	h.stop()
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	st2, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatalf("reopening the store: %v", err)
	}
	t.Cleanup(func() { _ = st2.Close() })
	h2 := newHarness(t, Options{Store: st2})
	// No poll yet: everything below comes from the file.
	if l := h2.link(s2Fibre1); l.state != LinkDown || l.a.status == statusUnknown && l.b.status == statusUnknown {
		t.Errorf("restored %s: state %s, ends %+v %+v; want down with its IF-MIB status", s2Fibre1, l.state, l.a, l.b)
	}
	if d := h2.topo.st.devices["agg-lyon-2"]; d.state != DeviceUnreachable || d.polls != 3 {
		t.Errorf("restored agg-lyon-2 = %s after %d polls, want unreachable after 3", d.state, d.polls)
	}
	if s := site(t, h2, "S2"); !s.Isolated || s.Cause == "" {
		t.Errorf("restored analysis of S2 = %+v, want isolated (one fibre down, the other router unreachable)", s)
	}
	if l := h2.link("lldp:agg-lyon-1:ge7--rogue-switch:port1"); l.disagreement != DisagreeUndeclaredNeighbor {
		t.Errorf("restored observed link: %+v", l)
	}
	if evs := h2.eventsOf(EventDeviceUnreachable); len(evs) != 1 {
		t.Errorf("restored events: %d device_unreachable, want 1", len(evs))
	}

	// Polling refreshes it.
	delete(h2.down, "agg-lyon-1:ge2")
	h2.extraLLDP = map[string][]snmp.LLDPNeighbor{}
	h2.now = h.now.Add(time.Hour)
	h2.round()
	if l := h2.link(s2Fibre1); l.state != LinkUp {
		t.Errorf("after a poll, %s = %s, want up", s2Fibre1, l.state)
	}
	if s := site(t, h2, "S2"); s.State != SiteNominal {
		t.Errorf("after a poll, S2 = %+v", s)
	}
	h2.stop()
	snap, err := st2.Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range snap.Links {
		if l.Kind == string(KindObserved) {
			t.Errorf("vanished observed link still in the store: %+v", l)
		}
	}
}

// TestStopWritesQueuedWork: what sat in the queue when vigie was told to
// stop (polls, BGP events) is applied and in the file after Run returns.
func TestStopWritesQueuedWork(t *testing.T) {
	path := filepath.Join(t.TempDir(), "vigie.db")
	st, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	inv := loadInventory(t, "small.json")
	topo, err := New(inv, Options{Store: st, Debounce: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	const n = 50
	for i := range n {
		topo.Record(Event{Time: t0.Add(time.Duration(i) * time.Second), Kind: EventBGPSessionUp, Subject: "rr-1/192.0.2.1",
			To: "queued", Detail: fmt.Sprint("event ", i)})
	}
	// Stopped before it ever ran: everything above is still queued.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := topo.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	st2, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st2.Close()
	evs, err := st2.Events(time.Time{}, 10*n)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != n {
		t.Fatalf("%d events in the store after the stop, want the %d queued before it", len(evs), n)
	}
	if evs[n-1].Detail != fmt.Sprint("event ", n-1) {
		t.Errorf("last stored event %+v, want the last queued one", evs[n-1])
	}
}

// TestRestoreBoundsObserved: a store written by a vigie that leaked (or
// ran with a larger bound) does not bring back observed links no poll
// would ever remove (neither end an inventory device) nor more than
// MaxNeighbors per device; what is left out is deleted from the file, and
// the first LLDP poll removes the restored ones it no longer shows.
func TestRestoreBoundsObserved(t *testing.T) {
	path := filepath.Join(t.TempDir(), "vigie.db")
	st, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	put := func(a, ai, b, bi string) {
		st.PutLink(store.Link{ID: observedID(a, ai, b, bi), Kind: string(KindObserved), A: store.Endpoint{Device: a, Interface: ai},
			B: store.Endpoint{Device: b, Interface: bi}, Sources: []string{"lldp"}, State: "up", Disagreement: DisagreeUndeclaredNeighbor})
	}
	put("ghost-1", "p1", "ghost-2", "p2") // from a device since removed from the inventory
	for i := range 6 {
		put("agg-lyon-1", fmt.Sprint("ge", 100+i), fmt.Sprint("old-", i), "p1")
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	st2, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st2.Close() })
	h := newHarness(t, Options{Store: st2, MaxNeighbors: 4})
	var want []string
	for i := range 4 {
		want = append(want, observedID("agg-lyon-1", fmt.Sprint("ge", 100+i), fmt.Sprint("old-", i), "p1"))
	}
	if got := h.observedIDs(); !equalSorted(got, want) {
		t.Errorf("restored %q, want %q", got, want)
	}
	h.topo.mu.RLock()
	_, ghost := h.topo.st.devices["ghost-1"]
	h.topo.mu.RUnlock()
	if ghost {
		t.Error("ghost-1, named only by a link no poll would remove, restored")
	}
	h.sync()
	if got := storedObserved(t, st2); !equalSorted(got, want) {
		t.Errorf("in the file after the restore: %q, want %q", got, want)
	}
	h.round() // agg-lyon-1's table no longer shows them
	if got := h.observedIDs(); len(got) != 0 {
		t.Errorf("after a poll: %q, want none", got)
	}
	if got := storedObserved(t, st2); len(got) != 0 {
		t.Errorf("in the file after a poll: %q, want none", got)
	}
	if got := h.nodes(); got != len(h.inv.Devices) {
		t.Errorf("%d nodes, want the %d of the inventory", got, len(h.inv.Devices))
	}
}
