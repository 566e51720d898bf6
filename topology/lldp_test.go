package topology

import (
	"slices"
	"testing"
	"time"
)

// TestLLDPChurn checks the neighbour events between two LLDP tables of a
// device, and that a table with two neighbours on a port keeps the last.
func TestLLDPChurn(t *testing.T) {
	e := func(port, dev, iface string) lldpEntry { return lldpEntry{port: port, device: dev, iface: iface} }
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
