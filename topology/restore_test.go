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
	topo, err := New(inv, Options{Store: st, Debounce: time.Hour}, nil, nil)
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
