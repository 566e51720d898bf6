package snmp

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/gosnmp/gosnmp"
)

// TestBulkSizeFollowsTable: each GetBulk of a walk asks for no more
// repetitions than the rows the tables had at their last clean walk still
// need, plus one; a table that grew or shrank between polls is still read
// whole, the profile's max-repetitions stays the ceiling, and the small
// tables share requests (the fake MIB has 1 LLDP neighbour and 1 BGP peer).
func TestBulkSizeFollowsTable(t *testing.T) {
	const maxRep = 10 // fakeTarget's
	f := startFakeAgent(t, healthyMIB())
	var mu sync.Mutex
	var reps []int // max-repetitions of the ifTable GetBulks of the current poll
	f.set(nil, func(req *gosnmp.SnmpPacket, normal []byte) []byte {
		// The first GetBulk of a poll after a good one carries the system
		// group as non-repeaters before the ifTable columns.
		if nr := int(req.NonRepeaters); req.PDUType == gosnmp.GetBulkRequest && len(req.Variables) > nr && strings.HasPrefix(req.Variables[nr].Name, oidIfEntry+".") {
			mu.Lock()
			reps = append(reps, int(req.MaxRepetitions))
			mu.Unlock()
		}
		return normal
	})
	p := newTestPoller(t, 1)
	tg := fakeTarget(f)
	st := NewDeviceState()
	for _, tc := range []struct {
		name       string
		interfaces int
		wantReps   []int // the ifTable GetBulks' max-repetitions, in order
		// wantRequests counts the system Get (first poll only: later ones
		// carry the system group in their first GetBulk) and every GetBulk:
		// one walk reads the three tables together.
		wantRequests int
	}{
		{"first poll: nothing known, full size", 3, []int{maxRep}, 2},
		{"same table: rows+1 in one request", 3, []int{4}, 1},
		{"table grew past the hint: one more request at full size", 12, []int{4, maxRep}, 2},
		{"big table known: full, then just what is left", 12, []int{maxRep, 3}, 2},
		{"table shrank: still read to its end", 2, []int{maxRep}, 1},
		{"small again", 2, []int{3}, 1},
		{"empty table: one repetition sees its end", 0, []int{3}, 1},
		{"empty again: LLDP and BGP (1 row) still need 2", 0, []int{2}, 1},
	} {
		var v []gosnmp.SnmpPDU
		for _, x := range healthyMIB() {
			if !strings.HasPrefix(x.Name, oidIfEntry+".") && !strings.HasPrefix(x.Name, oidIfXEntry+".") {
				v = append(v, x)
			}
		}
		v = append(v, ifVars(tc.interfaces, 1000, 7)...)
		f.set(newStaticMIB(v...), f.respond)
		mu.Lock()
		reps = reps[:0]
		mu.Unlock()
		res := p.Poll(context.Background(), tg, st)
		if res.Err != nil || len(res.Problems) > 0 {
			t.Fatalf("%s: err %v problems %v", tc.name, res.Err, res.Problems)
		}
		if res.Requests != tc.wantRequests {
			t.Errorf("%s: %d requests, want %d", tc.name, res.Requests, tc.wantRequests)
		}
		if len(res.LLDP) != 1 || len(res.BGPPeers) != 1 {
			t.Errorf("%s: %d LLDP neighbours and %d BGP peers, want 1 and 1", tc.name, len(res.LLDP), len(res.BGPPeers))
		}
		if len(res.Interfaces) != tc.interfaces {
			t.Errorf("%s: %d interfaces, want %d", tc.name, len(res.Interfaces), tc.interfaces)
		}
		for i, x := range res.Interfaces {
			if x.Index != int32(i+1) || x.Alias == "" || x.HighSpeed != 1000 {
				t.Errorf("%s: interface %d incomplete: %+v", tc.name, i, x)
			}
		}
		mu.Lock()
		got := append([]int(nil), reps...)
		mu.Unlock()
		if !slices.Equal(got, tc.wantReps) {
			t.Errorf("%s: ifTable GetBulk max-repetitions %v, want %v", tc.name, got, tc.wantReps)
		}
		if st.MaxRepetitions() != maxRep {
			t.Errorf("%s: device max-repetitions %d, want %d (the hint must not change it)", tc.name, st.MaxRepetitions(), maxRep)
		}
	}
}

// TestWalkSilenceMidTable: the device stops answering after the first
// GetBulk. The tables that request read to their end are kept; the timeout
// is charged to the unfinished table, whose partial rows are marked by it.
func TestWalkSilenceMidTable(t *testing.T) {
	var v []gosnmp.SnmpPDU
	for _, x := range healthyMIB() {
		if !strings.HasPrefix(x.Name, oidIfEntry+".") && !strings.HasPrefix(x.Name, oidIfXEntry+".") {
			v = append(v, x)
		}
	}
	v = append(v, ifVars(25, 1000, 7)...) // more than one GetBulk of 10
	f := startFakeAgent(t, newStaticMIB(v...))
	var bulks sync.Mutex
	n := 0
	f.set(nil, func(req *gosnmp.SnmpPacket, normal []byte) []byte {
		if req.PDUType != gosnmp.GetBulkRequest {
			return normal
		}
		bulks.Lock()
		defer bulks.Unlock()
		n++
		if n > 1 {
			return nil
		}
		return normal
	})
	p := newTestPoller(t, 1)
	tg := fakeTarget(f)
	tg.Retries = 0
	st := NewDeviceState()
	res := p.Poll(context.Background(), tg, st)
	if res.Reason != ReasonTimeout || len(res.Problems) != 1 || res.Problems[0].Table != "interfaces" {
		t.Fatalf("reason %q problems %v, want one timeout in interfaces", res.Reason, res.Problems)
	}
	if len(res.Interfaces) != 10 {
		t.Errorf("%d interfaces, want the 10 rows of the first answer", len(res.Interfaces))
	}
	if len(res.LLDP) != 1 || len(res.BGPPeers) != 1 {
		t.Errorf("%d LLDP neighbours and %d BGP peers, want the complete tables (1 and 1)", len(res.LLDP), len(res.BGPPeers))
	}
	if st.MaxRepetitions() != 5 {
		t.Errorf("max-repetitions %d, want 10 halved once to 5", st.MaxRepetitions())
	}
	if _, ok := st.Totals(11); ok {
		t.Error("totals for an interface never read")
	}
}
