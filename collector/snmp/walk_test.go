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
// repetitions than the rows the table had at its last clean walk still
// need, plus one; a table that grew or shrank between polls is still read
// whole, and the profile's max-repetitions stays the ceiling.
func TestBulkSizeFollowsTable(t *testing.T) {
	const maxRep = 10 // fakeTarget's
	f := startFakeAgent(t, healthyMIB())
	var mu sync.Mutex
	var reps []int // max-repetitions of the ifTable GetBulks of the current poll
	f.set(nil, func(req *gosnmp.SnmpPacket, normal []byte) []byte {
		if req.PDUType == gosnmp.GetBulkRequest && len(req.Variables) > 0 && strings.HasPrefix(req.Variables[0].Name, oidIfEntry+".") {
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
	}{
		{"first poll: nothing known, full size", 3, []int{maxRep}},
		{"same table: rows+1 in one request", 3, []int{4}},
		{"table grew past the hint: one more request at full size", 12, []int{4, maxRep}},
		{"big table known: full, then just what is left", 12, []int{maxRep, 3}},
		{"table shrank: still read to its end", 2, []int{maxRep}},
		{"small again", 2, []int{3}},
		{"empty table: one repetition sees its end", 0, []int{3}},
		{"empty again", 0, []int{1}},
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
