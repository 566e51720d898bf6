package snmp

import (
	"slices"
	"testing"
	"time"
)

func TestCounterStep(t *testing.T) {
	const (
		gig      = 1000   // Mbit/s
		hundredG = 100000 // Mbit/s
		top      = 1 << 32
	)
	tests := []struct {
		name      string
		prev, cur uint64
		wide      bool
		speed     uint64 // Mbit/s, 0 = unknown
		packets   bool
		elapsed   time.Duration
		want      uint64
		wantOK    bool
	}{
		{name: "increase", prev: 100, cur: 150, speed: gig, packets: true, elapsed: time.Minute, want: 50, wantOK: true},
		{name: "no change", prev: 7, cur: 7, speed: gig, packets: true, elapsed: time.Minute, want: 0, wantOK: true},
		{name: "Counter64 increase", prev: 1 << 40, cur: 1<<40 + 5, wide: true, speed: gig, elapsed: time.Minute, want: 5, wantOK: true},
		{name: "Counter32 wrap at 1 Gbit/s", prev: top - 1000, cur: 500, speed: gig, packets: true, elapsed: time.Minute, want: 1500, wantOK: true},
		{name: "clear counters 5003 -> 0 at 1 Gbit/s", prev: 5003, cur: 0, speed: gig, packets: true, elapsed: time.Minute},
		{name: "clear counters 5003 -> 2 at 10 Mbit/s", prev: 5003, cur: 2, speed: 10, packets: true, elapsed: time.Minute},
		// 1 Gbit/s is at most 1.49 Mframe/s: a wrap of 1e9 frames needs 11 min.
		{name: "wrap too large for the time elapsed", prev: top - 5e8, cur: 5e8, speed: gig, packets: true, elapsed: time.Minute},
		{name: "same wrap after an hour without polls", prev: top - 5e8, cur: 5e8, speed: gig, packets: true, elapsed: time.Hour, want: 1e9, wantOK: true},
		// At 100 Gbit/s a Counter32 of frames can wrap in 29 s at line rate:
		// a decrease cannot be told from a wrap (accumulate relies on the
		// row's Counter64 and on ifCounterDiscontinuityTime there).
		{name: "clear counters at 100 Gbit/s passes for a wrap", prev: 5003, cur: 0, speed: hundredG, packets: true, elapsed: time.Minute, want: top - 5003, wantOK: true},
		// 32-bit octets at 1 Gbit/s wrap every 34 s: any decrease may be one.
		{name: "32-bit octets at 1 Gbit/s", prev: 3e9, cur: 1e6, speed: gig, elapsed: time.Minute, want: top - 3e9 + 1e6, wantOK: true},
		{name: "Counter64 decrease is a discontinuity", prev: 1 << 40, cur: 10, wide: true, speed: gig, elapsed: time.Minute},
		{name: "Counter64 decrease near 2^64", prev: 1<<64 - 10, cur: 10, wide: true, speed: hundredG, elapsed: time.Hour},
		{name: "unknown speed, small wrap", prev: top - 100, cur: 50, packets: true, elapsed: time.Minute, want: 150, wantOK: true},
		{name: "unknown speed, wrap just under the bound", prev: top - (1<<28 - 1), cur: 0, elapsed: time.Minute, want: 1<<28 - 1, wantOK: true},
		{name: "unknown speed, wrap just over the bound", prev: top - 1<<28, cur: 1, elapsed: time.Minute},
		{name: "unknown speed, clear counters", prev: 5003, cur: 0, packets: true, elapsed: time.Minute},
		{name: "no time elapsed: the slack only", prev: top - 10, cur: 10, speed: 10, packets: true, elapsed: 0, want: 20, wantOK: true},
		{name: "clock stepped back: the slack only", prev: top - 1e6, cur: 10, speed: 10, packets: true, elapsed: -time.Hour},
		{name: "Counter32 value out of range", prev: top + 5, cur: 3, speed: gig, packets: true, elapsed: time.Minute},
	}
	for _, tc := range tests {
		got, ok := counterStep(tc.prev, tc.cur, tc.wide, maxRate(tc.speed*1e6, tc.packets), tc.elapsed)
		if got != tc.want || ok != tc.wantOK {
			t.Errorf("%s: counterStep(%d, %d) = %d, %v; want %d, %v", tc.name, tc.prev, tc.cur, got, ok, tc.want, tc.wantOK)
		}
	}
}

// TestAccumulate follows totals over a sequence of polls a minute apart:
// wraps, reboots, clears, interfaces disappearing and coming back, cut
// walks, columns the device does not have.
func TestAccumulate(t *testing.T) {
	type poll struct {
		ifs      []Interface
		rebooted bool
		complete bool
		// want totals per ifIndex; absent = no series
		want map[int32]InterfaceTotals
		// events: the discontinuities this poll must report.
		events []CounterDiscontinuity
	}
	const all = allCounters | ColHighSpeed
	ifc := func(idx int32, in, errs uint64) Interface {
		return Interface{Index: idx, Name: "ge" + string(rune('0'+idx)), HighSpeed: 1000, InOctets: in, OutOctets: in,
			InErrors: errs, OutErrors: errs, Has: all}
	}
	tot := func(in, errs uint64) InterfaceTotals {
		return InterfaceTotals{InOctets: in, OutOctets: in, InErrors: errs, OutErrors: errs, Has: allCounters}
	}
	withDisc := func(i Interface, at time.Duration) Interface {
		i.DiscontinuityTime, i.Has = at, i.Has|ColDiscontinuityTime
		return i
	}
	without := func(i Interface, cols Columns) Interface {
		i.Has &^= cols
		return i
	}
	// old is a row of a device without ifXTable: ifSpeed 100 Mbit/s
	// (12.5 MB/s, at most 1.15 GB in a minute with the margins) and the
	// 32-bit ifInOctets/ifOutOctets.
	old := func(idx int32, in, errs uint64) Interface {
		return Interface{Index: idx, Name: "Fa0/" + string(rune('0'+idx)), Speed: 100e6, InOctets: in, OutOctets: in,
			InErrors: errs, OutErrors: errs, Has: allCounters | ColSpeed | narrowCols}
	}
	oldTot := func(in, errs uint64) InterfaceTotals {
		return InterfaceTotals{InOctets: in, OutOctets: in, InErrors: errs, OutErrors: errs, Has: allCounters}
	}
	tests := []struct {
		name  string
		polls []poll
		// total discontinuities counted at the end
		discontinuities uint64
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
		{name: "clear counters adds nothing and counts on from there", discontinuities: 1, polls: []poll{
			{ifs: []Interface{ifc(1, 9000, 5003)}, complete: true},
			{ifs: []Interface{ifc(1, 40, 0)}, complete: true, want: map[int32]InterfaceTotals{1: tot(9000, 5003)},
				events: []CounterDiscontinuity{{IfIndex: 1, Interface: "ge1", Reason: DiscontinuityDecrease, Counter: "ifHCInOctets"}}},
			{ifs: []Interface{ifc(1, 100, 4)}, complete: true, want: map[int32]InterfaceTotals{1: tot(9060, 5007)}},
		}},
		{name: "errors cleared alone on a 1 Gbit/s interface", discontinuities: 1, polls: []poll{
			{ifs: []Interface{ifc(1, 9000, 5003)}, complete: true},
			{ifs: []Interface{{Index: 1, Name: "ge1", HighSpeed: 1000, InOctets: 9100, OutOctets: 9100, Has: all}}, complete: true,
				want:   map[int32]InterfaceTotals{1: tot(9000, 5003)},
				events: []CounterDiscontinuity{{IfIndex: 1, Interface: "ge1", Reason: DiscontinuityDecrease, Counter: "ifInErrors"}}},
		}},
		{name: "clear at 100 Gbit/s: the Counter64 tells", discontinuities: 1, polls: []poll{
			{ifs: []Interface{func() Interface { i := ifc(1, 1<<40, 5003); i.HighSpeed = 100000; return i }()}, complete: true},
			{ifs: []Interface{func() Interface { i := ifc(1, 30, 0); i.HighSpeed = 100000; return i }()}, complete: true,
				want:   map[int32]InterfaceTotals{1: tot(1<<40, 5003)},
				events: []CounterDiscontinuity{{IfIndex: 1, Interface: "ge1", Reason: DiscontinuityDecrease, Counter: "ifHCInOctets"}}},
		}},
		{name: "ifCounterDiscontinuityTime change is a discontinuity even when counters grow", discontinuities: 1, polls: []poll{
			{ifs: []Interface{withDisc(ifc(1, 100, 10), 0)}, complete: true},
			{ifs: []Interface{withDisc(ifc(1, 200, 20), 0)}, complete: true, want: map[int32]InterfaceTotals{1: tot(200, 20)}},
			{ifs: []Interface{withDisc(ifc(1, 5000, 30), 42*time.Second)}, complete: true, want: map[int32]InterfaceTotals{1: tot(200, 20)},
				events: []CounterDiscontinuity{{IfIndex: 1, Interface: "ge1", Reason: DiscontinuityTime}}},
			{ifs: []Interface{withDisc(ifc(1, 5100, 31), 42*time.Second)}, complete: true, want: map[int32]InterfaceTotals{1: tot(300, 21)}},
		}},
		{name: "ifCounterDiscontinuityTime appearing is no discontinuity", polls: []poll{
			{ifs: []Interface{ifc(1, 100, 10)}, complete: true},
			{ifs: []Interface{withDisc(ifc(1, 200, 20), 7*time.Second)}, complete: true, want: map[int32]InterfaceTotals{1: tot(200, 20)}},
		}},
		{name: "a reboot changing ifCounterDiscontinuityTime is a reboot", polls: []poll{
			{ifs: []Interface{withDisc(ifc(1, 100, 10), 5*time.Second)}, complete: true},
			{ifs: []Interface{withDisc(ifc(1, 20, 2), 0)}, rebooted: true, complete: true, want: map[int32]InterfaceTotals{1: tot(120, 12)}},
		}},
		{name: "absent columns are not answered", polls: []poll{
			{ifs: []Interface{without(ifc(1, 100, 10), ColInErrors|ColInOctets)}, complete: true,
				want: map[int32]InterfaceTotals{1: {OutOctets: 100, OutErrors: 10, Has: allCounters &^ (ColInErrors | ColInOctets)}}},
			// The column comes back: it starts at the device's value.
			{ifs: []Interface{ifc(1, 150, 12)}, complete: true, want: map[int32]InterfaceTotals{1: tot(150, 12)}},
			// Gone for one poll: not exposed, and counted on from its last value.
			{ifs: []Interface{without(ifc(1, 170, 15), ColInErrors)}, complete: true,
				want: map[int32]InterfaceTotals{1: {InOctets: 170, OutOctets: 170, InErrors: 12, OutErrors: 15, Has: allCounters &^ ColInErrors}}},
			{ifs: []Interface{ifc(1, 180, 16)}, complete: true, want: map[int32]InterfaceTotals{1: tot(180, 16)}},
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
		// Devices without ifXTable: 32-bit octet counters (issue 18).
		{name: "ifInOctets wrap at 100 Mbit/s is traffic", polls: []poll{
			{ifs: []Interface{old(1, 1<<32-1_000_000, 7)}, complete: true, want: map[int32]InterfaceTotals{1: oldTot(1<<32-1_000_000, 7)}},
			{ifs: []Interface{old(1, 500_000_000, 8)}, complete: true, want: map[int32]InterfaceTotals{1: oldTot(1<<32+500_000_000, 8)}},
			{ifs: []Interface{old(1, 600_000_000, 9)}, complete: true, want: map[int32]InterfaceTotals{1: oldTot(1<<32+600_000_000, 9)}},
		}},
		{name: "ifInOctets decrease too large for 100 Mbit/s in a minute is a reset", discontinuities: 1, polls: []poll{
			{ifs: []Interface{old(1, 3_000_000_000, 7)}, complete: true},
			// A wrap would mean 2.29 GB in a minute: more than the line.
			{ifs: []Interface{old(1, 1_000_000_000, 7)}, complete: true, want: map[int32]InterfaceTotals{1: oldTot(3_000_000_000, 7)},
				events: []CounterDiscontinuity{{IfIndex: 1, Interface: "Fa0/1", Reason: DiscontinuityDecrease, Counter: "ifInOctets"}}},
			{ifs: []Interface{old(1, 1_000_000_100, 7)}, complete: true, want: map[int32]InterfaceTotals{1: oldTot(3_000_000_100, 7)}},
		}},
		{name: "ifInOctets cleared is a reset", discontinuities: 1, polls: []poll{
			{ifs: []Interface{old(1, 40_000, 7)}, complete: true},
			{ifs: []Interface{old(1, 10, 0)}, complete: true, want: map[int32]InterfaceTotals{1: oldTot(40_000, 7)},
				events: []CounterDiscontinuity{{IfIndex: 1, Interface: "Fa0/1", Reason: DiscontinuityDecrease, Counter: "ifInOctets"}}},
		}},
		{name: "ifInOctets after a reboot adds the new value", polls: []poll{
			{ifs: []Interface{old(1, 3_000_000_000, 7)}, complete: true},
			{ifs: []Interface{old(1, 1_000, 1)}, rebooted: true, complete: true, want: map[int32]InterfaceTotals{1: oldTot(3_000_001_000, 8)}},
		}},
		{name: "ifInOctets with ifCounterDiscontinuityTime changed adds nothing", discontinuities: 1, polls: []poll{
			{ifs: []Interface{withDisc(old(1, 1<<32-1_000, 7), 0)}, complete: true},
			{ifs: []Interface{withDisc(old(1, 500, 7), 9*time.Second)}, complete: true, want: map[int32]InterfaceTotals{1: oldTot(1<<32-1_000, 7)},
				events: []CounterDiscontinuity{{IfIndex: 1, Interface: "Fa0/1", Reason: DiscontinuityTime}}},
		}},
		{name: "ifInOctets of unknown speed: only a wrap under 2^28", discontinuities: 1, polls: []poll{
			{ifs: []Interface{without(old(1, 1<<32-1_000, 7), ColSpeed)}, complete: true},
			{ifs: []Interface{without(old(1, 1_000, 7), ColSpeed)}, complete: true, want: map[int32]InterfaceTotals{1: oldTot(1<<32+1_000, 7)}},
			{ifs: []Interface{without(old(1, 1<<29, 7), ColSpeed)}, complete: true},
			{ifs: []Interface{without(old(1, 5, 7), ColSpeed)}, complete: true, want: map[int32]InterfaceTotals{1: oldTot(1<<32+1<<29, 7)},
				events: []CounterDiscontinuity{{IfIndex: 1, Interface: "Fa0/1", Reason: DiscontinuityDecrease, Counter: "ifInOctets"}}},
		}},
		{name: "a device gaining ifHCInOctets starts a new baseline, adding nothing", polls: []poll{
			{ifs: []Interface{old(1, 3_000_000_000, 7)}, complete: true},
			// The Counter64 is lower than the 32-bit value: no wrap, no event.
			{ifs: []Interface{without(old(1, 2_000, 8), narrowCols)}, complete: true, want: map[int32]InterfaceTotals{1: oldTot(3_000_000_000, 8)}},
			{ifs: []Interface{without(old(1, 3_000, 9), narrowCols)}, complete: true, want: map[int32]InterfaceTotals{1: oldTot(3_000_001_000, 9)}},
			// ...and losing it again: the Counter32 is the new baseline.
			{ifs: []Interface{old(1, 50, 10)}, complete: true, want: map[int32]InterfaceTotals{1: oldTot(3_000_001_000, 10)}},
			{ifs: []Interface{old(1, 80, 10)}, complete: true, want: map[int32]InterfaceTotals{1: oldTot(3_000_001_030, 10)}},
		}},
		{name: "a cut walk is no evidence of absence", polls: []poll{
			{ifs: []Interface{ifc(1, 10, 0), ifc(2, 10, 0)}, complete: true},
			{ifs: []Interface{ifc(1, 20, 0)}, complete: false, want: map[int32]InterfaceTotals{1: tot(20, 0), 2: tot(10, 0)}},
		}},
	}
	t0 := time.Date(2026, 12, 3, 14, 0, 0, 0, time.UTC)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := NewDeviceState()
			for i, p := range tc.polls {
				events := st.accumulate(p.ifs, t0.Add(time.Duration(i)*time.Minute), p.rebooted, p.complete)
				if !slices.Equal(events, p.events) {
					t.Errorf("poll %d: discontinuities %+v, want %+v", i, events, p.events)
				}
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
			if got := st.CounterDiscontinuities(); got != tc.discontinuities {
				t.Errorf("CounterDiscontinuities() = %d, want %d", got, tc.discontinuities)
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
