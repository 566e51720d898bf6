package snmp

import (
	"testing"
	"time"
)

func TestDelta(t *testing.T) {
	tests := []struct {
		name      string
		prev, cur uint64
		reset     bool
		want32    uint64
		want64    uint64
		skip32    bool
	}{
		{name: "increase", prev: 100, cur: 150, want32: 50, want64: 50},
		{name: "no change", prev: 7, cur: 7, want32: 0, want64: 0},
		{name: "Counter32 wrap", prev: 1<<32 - 10, cur: 5, want32: 15, want64: 5, skip32: false},
		{name: "reboot", prev: 1000, cur: 30, reset: true, want32: 30, want64: 30},
		{name: "reboot with higher value", prev: 10, cur: 30, reset: true, want32: 30, want64: 30},
		{name: "Counter64 discontinuity", prev: 1 << 40, cur: 10, want32: 10, want64: 10},
	}
	for _, tc := range tests {
		if got := delta32(tc.prev, tc.cur, tc.reset); got != tc.want32 {
			t.Errorf("%s: delta32 = %d, want %d", tc.name, got, tc.want32)
		}
		if got := delta64(tc.prev, tc.cur, tc.reset); got != tc.want64 {
			t.Errorf("%s: delta64 = %d, want %d", tc.name, got, tc.want64)
		}
	}
}

// TestAccumulate follows totals over a sequence of polls: wraps, reboots,
// interfaces disappearing and coming back, cut walks.
func TestAccumulate(t *testing.T) {
	type poll struct {
		ifs      []Interface
		rebooted bool
		complete bool
		// want totals per ifIndex; absent = no series
		want map[int32]InterfaceTotals
	}
	ifc := func(idx int32, in, errs uint64) Interface {
		return Interface{Index: idx, InOctets: in, OutOctets: in, InErrors: errs, OutErrors: errs}
	}
	tot := func(in, errs uint64) InterfaceTotals {
		return InterfaceTotals{InOctets: in, OutOctets: in, InErrors: errs, OutErrors: errs}
	}
	tests := []struct {
		name  string
		polls []poll
	}{
		{name: "first sight starts at the device's counters", polls: []poll{
			{ifs: []Interface{ifc(1, 500, 3)}, complete: true, want: map[int32]InterfaceTotals{1: tot(500, 3)}},
		}},
		{name: "Counter32 wrap keeps growing", polls: []poll{
			{ifs: []Interface{ifc(1, 0, 1<<32-2)}, complete: true, want: map[int32]InterfaceTotals{1: tot(0, 1<<32-2)}},
			{ifs: []Interface{ifc(1, 10, 3)}, complete: true, want: map[int32]InterfaceTotals{1: tot(10, 1<<32+3)}},
		}},
		{name: "reboot adds the new value", polls: []poll{
			{ifs: []Interface{ifc(1, 1000, 50)}, complete: true},
			{ifs: []Interface{ifc(1, 20, 2)}, rebooted: true, complete: true, want: map[int32]InterfaceTotals{1: tot(1020, 52)}},
			{ifs: []Interface{ifc(1, 25, 4)}, complete: true, want: map[int32]InterfaceTotals{1: tot(1025, 54)}},
		}},
		{name: "interface disappears then is forgotten", polls: []poll{
			{ifs: []Interface{ifc(1, 10, 0), ifc(2, 10, 0)}, complete: true},
			{ifs: []Interface{ifc(1, 20, 0)}, complete: true, want: map[int32]InterfaceTotals{1: tot(20, 0)}},
			{ifs: []Interface{ifc(1, 30, 0)}, complete: true},
			{ifs: []Interface{ifc(1, 40, 0)}, complete: true},
			{ifs: []Interface{ifc(1, 50, 0)}, complete: true},
			// Back after being forgotten: a new series from its counters.
			{ifs: []Interface{ifc(1, 60, 0), ifc(2, 15, 0)}, complete: true, want: map[int32]InterfaceTotals{1: tot(60, 0), 2: tot(15, 0)}},
		}},
		{name: "interface briefly missing keeps its totals", polls: []poll{
			{ifs: []Interface{ifc(2, 10, 0)}, complete: true},
			{ifs: nil, complete: true, want: map[int32]InterfaceTotals{}},
			{ifs: []Interface{ifc(2, 30, 0)}, complete: true, want: map[int32]InterfaceTotals{2: tot(30, 0)}},
		}},
		{name: "a cut walk is no evidence of absence", polls: []poll{
			{ifs: []Interface{ifc(1, 10, 0), ifc(2, 10, 0)}, complete: true},
			{ifs: []Interface{ifc(1, 20, 0)}, complete: false, want: map[int32]InterfaceTotals{1: tot(20, 0), 2: tot(10, 0)}},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := NewDeviceState()
			for i, p := range tc.polls {
				st.accumulate(p.ifs, p.rebooted, p.complete)
				if p.want == nil {
					continue
				}
				for idx := int32(1); idx <= 3; idx++ {
					got, ok := st.Totals(idx)
					want, wantOK := p.want[idx]
					if ok != wantOK || got != want {
						t.Errorf("poll %d if %d: got %+v %v, want %+v %v", i, idx, got, ok, want, wantOK)
					}
				}
			}
		})
	}
}

func TestObserveUptime(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	const wrap = time.Duration(1<<32) * 10 * time.Millisecond
	tests := []struct {
		name    string
		prev    time.Duration
		cur     time.Duration
		elapsed time.Duration
		reboot  bool
	}{
		{name: "normal", prev: time.Hour, cur: time.Hour + time.Minute, elapsed: time.Minute},
		{name: "reboot", prev: time.Hour, cur: 30 * time.Second, elapsed: time.Minute, reboot: true},
		{name: "TimeTicks wrap", prev: wrap - 20*time.Second, cur: 40 * time.Second, elapsed: time.Minute},
		{name: "reboot near the wrap", prev: wrap - 20*time.Second, cur: 3 * time.Hour, elapsed: time.Minute, reboot: true},
	}
	for _, tc := range tests {
		st := NewDeviceState()
		st.observeUptime(tc.prev, t0)
		if got := st.observeUptime(tc.cur, t0.Add(tc.elapsed)); got != tc.reboot || st.Reboots() != map[bool]uint64{true: 1}[tc.reboot] {
			t.Errorf("%s: rebooted %v (count %d), want %v", tc.name, got, st.Reboots(), tc.reboot)
		}
	}
}
