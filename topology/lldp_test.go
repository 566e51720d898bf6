package topology

import (
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/vigie-rie/vigie/collector/snmp"
	"github.com/vigie-rie/vigie/topology/store"
)

// TestLLDPChurn checks the neighbour events between two LLDP tables of a
// device, and that a table with two neighbours on a port keeps the last.
func TestLLDPChurn(t *testing.T) {
	e := func(port, dev, iface string) lldpEntry { return lldpEntry{port: port, device: dev, iface: iface} }
	lldp := func(port, dev, iface string) lldpEntry {
		return lldpEntry{port: port, device: dev, iface: iface, via: viaLLDP}
	}
	cdp := func(port, dev, iface string) lldpEntry {
		return lldpEntry{port: port, device: dev, iface: iface, via: viaCDP}
	}
	for _, tc := range []struct {
		name      string
		prev, cur []lldpEntry
		want      []Event // Kind, Subject, From, To only
	}{
		{name: "same table", prev: []lldpEntry{e("ge1", "a", "x1"), e("ge2", "b", "x2")},
			cur: []lldpEntry{e("ge2", "b", "x2"), e("ge1", "a", "x1")}},
		{name: "neighbour changed on a port", prev: []lldpEntry{e("ge1", "a", "x1")}, cur: []lldpEntry{e("ge1", "c", "x9")},
			want: []Event{{Kind: EventLLDPNeighborNew, Subject: "d:ge1", From: "a:x1", To: "c:x9"}}},
		{name: "new and lost ports", prev: []lldpEntry{e("ge1", "a", "x1"), e("ge3", "c", "x3")},
			cur: []lldpEntry{e("ge2", "b", "x2"), e("ge1", "a", "x1")},
			want: []Event{{Kind: EventLLDPNeighborNew, Subject: "d:ge2", To: "b:x2"},
				{Kind: EventLLDPNeighborLost, Subject: "d:ge3", From: "c:x3"}}},
		{name: "everything lost", prev: []lldpEntry{e("ge1", "a", "x1")},
			want: []Event{{Kind: EventLLDPNeighborLost, Subject: "d:ge1", From: "a:x1"}}},
		{name: "two neighbours on a port: the last counts", prev: []lldpEntry{e("ge1", "b", "x2")},
			cur: []lldpEntry{e("ge1", "a", "x1"), e("ge1", "b", "x2")}},
		{name: "LLDP and CDP on a port: one row each, no churn", prev: []lldpEntry{cdp("ge1", "a", "x1"), lldp("ge1", "a", "x1")},
			cur: []lldpEntry{lldp("ge1", "a", "x1"), cdp("ge1", "a", "x1")}},
		{name: "LLDP gone from a port CDP still sees", prev: []lldpEntry{lldp("ge1", "a", "x1"), cdp("ge1", "a", "x1")},
			cur:  []lldpEntry{cdp("ge1", "a", "x1")},
			want: []Event{{Kind: EventLLDPNeighborLost, Subject: "d:ge1", From: "a:x1"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, Options{})
			d := &device{name: "d", lldp: lldpTable(slices.Clone(tc.prev))}
			before := len(h.topo.Events(time.Time{}, 1<<20))
			h.topo.lldpChurn(d, lldpTable(slices.Clone(tc.cur)), t0)
			var got []Event
			for _, ev := range h.topo.Events(time.Time{}, 1<<20)[before:] {
				got = append(got, Event{Kind: ev.Kind, Subject: ev.Subject, From: ev.From, To: ev.To})
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("events %+v, want %+v", got, tc.want)
			}
		})
	}
}

// churnTable is agg-lyon-1's undeclared neighbours in one round: n of them
// on ports ge100.., the first stay the same every round and the others
// change (a new name each round). known names inventory devices on ports
// the inventory does not declare instead of unknown names.
func churnTable(round, n, stay int, known bool) []snmp.LLDPNeighbor {
	var out []snmp.LLDPNeighbor
	for i := range n {
		name, port := fmt.Sprintf("churn-%d-%d", round, i), "p1"
		if i < stay {
			name = fmt.Sprintf("stay-%d", i)
		}
		if known {
			name, port = "ce-s3", fmt.Sprintf("x%d-%d", round, i)
			if i < stay {
				port = fmt.Sprintf("s%d", i)
			}
		}
		out = append(out, snmp.LLDPNeighbor{LocalPort: fmt.Sprint("ge", 100+i), SysName: name, PortDescr: port})
	}
	return out
}

// observedIDs returns the ids of the observed links the model holds, and
// checks that no device lists a link the model no longer holds.
func (h *harness) observedIDs() []string {
	h.t.Helper()
	h.topo.mu.RLock()
	defer h.topo.mu.RUnlock()
	var ids []string
	for id, l := range h.topo.st.links {
		if l.kind == KindObserved {
			ids = append(ids, id)
		}
	}
	for _, d := range h.topo.st.devices {
		for _, l := range d.links {
			if h.topo.st.links[l.id] != l {
				h.t.Errorf("device %s still lists link %s, which the model dropped", d.name, l.id)
			}
		}
	}
	slices.Sort(ids)
	return ids
}

func (h *harness) nodes() int {
	h.topo.mu.RLock()
	defer h.topo.mu.RUnlock()
	return len(h.topo.st.devices)
}

// storedObserved returns the ids of the observed links in the store file.
func storedObserved(t *testing.T, st *store.Store) []string {
	t.Helper()
	snap, err := st.Load()
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, l := range snap.Links {
		if l.Kind == string(KindObserved) {
			ids = append(ids, l.ID)
		}
	}
	slices.Sort(ids)
	return ids
}

// TestLLDPNeighboursChangeTogether: when several LLDP neighbours of a
// device change in one poll, every stale observed link and the node only it
// named go, from the model and the store, and a restart brings back only
// the last table's neighbours. (The list of the device's links was once
// compacted while it was iterated, leaving every second stale one behind.)
func TestLLDPNeighboursChangeTogether(t *testing.T) {
	for _, tc := range []struct {
		name    string
		n, stay int
		known   bool
	}{
		{name: "two change", n: 2},
		{name: "ten change", n: 10},
		{name: "three of six change", n: 6, stay: 3},
		{name: "undeclared ports of an inventory device", n: 5, stay: 1, known: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "vigie.db")
			st, err := store.Open(path, store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			h := newHarness(t, Options{Store: st})
			inventoryNodes := h.nodes()
			var want []string
			for round := range 4 {
				nbrs := churnTable(round, tc.n, tc.stay, tc.known)
				h.extraLLDP["agg-lyon-1"] = nbrs
				h.round()
				want = want[:0]
				for _, n := range nbrs {
					want = append(want, observedID("agg-lyon-1", n.LocalPort, n.SysName, n.PortDescr))
				}
				slices.Sort(want)
				if got := h.observedIDs(); !slices.Equal(got, want) {
					t.Fatalf("round %d: observed links %q, want the table's %q", round, got, want)
				}
				wantNodes := inventoryNodes + tc.n
				if tc.known {
					wantNodes = inventoryNodes
				}
				if got := h.nodes(); got != wantNodes {
					t.Errorf("round %d: %d nodes, want %d", round, got, wantNodes)
				}
				if got := storedObserved(t, st); !slices.Equal(got, want) {
					t.Errorf("round %d: observed links in the store %q, want %q", round, got, want)
				}
			}
			h.stop()
			if err := st.Close(); err != nil {
				t.Fatal(err)
			}
			st2, err := store.Open(path, store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = st2.Close() })
			h2 := newHarness(t, Options{Store: st2})
			if got := h2.observedIDs(); !slices.Equal(got, want) {
				t.Errorf("after a restart: observed links %q, want the last table's %q", got, want)
			}
		})
	}
}
