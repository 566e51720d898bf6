package snmp

import (
	"cmp"
	"slices"
	"time"
)

// Counter handling. Devices' counters wrap (Counter32 at 2^32), restart
// (reboot) and are cleared or replaced (an operator's `clear counters`, a
// line card swap); vigie exports its own totals, which only ever grow, so
// that Prometheus rates are never negative, a wrap is counted as the
// traffic it was, and a clear adds nothing: treating every decrease as a
// wrap turns `clear counters` into four billion errors and a page.

// InterfaceTotals are vigie's monotonic totals for one interface.
type InterfaceTotals struct {
	InOctets, OutOctets     uint64
	InErrors, OutErrors     uint64
	InDiscards, OutDiscards uint64
	// Has says which counters the device answered in the last poll; the
	// others are not measured and must not be exposed.
	Has Columns
}

// forgetAfter is how many complete polls an interface may be absent before
// its totals are dropped (an interface briefly missing keeps its series).
const forgetAfter = 3

// The counters of an interface, as positions in the arrays below.
const (
	cInOctets = iota
	cOutOctets
	cInErrors
	cOutErrors
	cInDiscards
	cOutDiscards
	numCounters
)

// counterSpec is what the wrap test needs to know about one counter.
type counterSpec struct {
	col  Columns
	name string // MIB name, for log lines
	// wide is a Counter64: it never wraps in the life of a router.
	wide bool
	// packets counts frames (bound by the frame rate), not octets.
	packets bool
	// narrow is the Interface.Has flag saying that a row's value is the
	// Counter32 fallback (name32) of a wide counter; 0: no fallback.
	narrow Columns
	name32 string
}

var counterSpecs = [numCounters]counterSpec{
	cInOctets:    {ColInOctets, "ifHCInOctets", true, false, ColInOctets32, "ifInOctets"},
	cOutOctets:   {ColOutOctets, "ifHCOutOctets", true, false, ColOutOctets32, "ifOutOctets"},
	cInErrors:    {ColInErrors, "ifInErrors", false, true, 0, ""},
	cOutErrors:   {ColOutErrors, "ifOutErrors", false, true, 0, ""},
	cInDiscards:  {ColInDiscards, "ifInDiscards", false, true, 0, ""},
	cOutDiscards: {ColOutDiscards, "ifOutDiscards", false, true, 0, ""},
}

// narrowCols are the flags of the Counter32 fallbacks of wide counters.
const narrowCols = ColInOctets32 | ColOutOctets32

// narrowFlags returns the fallback flags of the counters in present: the
// ones whose width a poll that answered present tells.
func narrowFlags(present Columns) Columns {
	var f Columns
	for k := range counterSpecs {
		if counterSpecs[k].narrow != 0 && present.Contains(counterSpecs[k].col) {
			f |= counterSpecs[k].narrow
		}
	}
	return f
}

// allCounters is every counter column.
const allCounters = ColInOctets | ColOutOctets | ColInErrors | ColOutErrors | ColInDiscards | ColOutDiscards

// The plausibility of a Counter32 wrap (see counterStep).
const (
	// wrapMargin and wrapSlack widen the most an interface can count in
	// the time between two polls: ifHighSpeed is rounded, and vigie's
	// clock times the poll, not the device's reading of its counters.
	wrapMargin = 1.5
	wrapSlack  = 2 * time.Second
	// minFrameBits is the fewest bits a frame takes on the wire: 64
	// octets plus preamble and inter-frame gap (20 octets).
	minFrameBits = (64 + 20) * 8
	// unknownSpeedWrap bounds a wrap on an interface of unknown speed
	// (neither ifHighSpeed nor ifSpeed, or 0): a sixteenth of the Counter32 range. A real
	// wrap leaves the counter just past zero after it was near 2^32; a
	// clear of a counter that was not near the top lands far from that.
	unknownSpeedWrap = 1 << 28
)

// maxRate is the most a counter can grow per second on an interface of
// speedBits bit/s (0: unknown): the line rate in octets, or in minimum
// frames for packet counters (errors and discards).
func maxRate(speedBits uint64, packets bool) float64 {
	bits := float64(speedBits)
	if packets {
		return bits / minFrameBits
	}
	return bits / 8
}

// counterStep is the increase of a counter from prev to cur over elapsed,
// on an interface where it grows by at most rate per second (0: unknown),
// or ok=false for a discontinuity: the counter went down and no wrap
// explains it, and nothing must be added. A Counter64 never wraps, so any
// decrease is a discontinuity. A Counter32 decrease is a wrap only if the
// wrapped increase (cur + 2^32 - prev) is one the interface could have
// counted in elapsed (times wrapMargin, plus wrapSlack); with an unknown
// rate, only if it is under unknownSpeedWrap.
func counterStep(prev, cur uint64, wide bool, rate float64, elapsed time.Duration) (delta uint64, ok bool) {
	if cur >= prev {
		return cur - prev, true
	}
	if wide || prev >= 1<<32 || cur >= 1<<32 {
		return 0, false
	}
	wrapped := cur + 1<<32 - prev
	limit := float64(unknownSpeedWrap)
	if rate > 0 {
		limit = rate * (wrapMargin*max(elapsed, 0).Seconds() + wrapSlack.Seconds())
	}
	if float64(wrapped) > limit {
		return 0, false
	}
	return wrapped, true
}

// ifCounters is what DeviceState keeps per interface: the device's raw
// values at the last poll and vigie's totals. DeviceState keeps them by
// value in a slice sorted by ifIndex (128 bytes each, no map, no pointer
// for the GC to follow: the RIE has about 100,000).
type ifCounters struct {
	last   [numCounters]uint64 // raw values, for the counters in known
	totals [numCounters]uint64
	// known is the counters seen at least once (last holds a value), with
	// the narrowCols flags of the octet counters whose last value is the
	// Counter32 fallback; answered those the last poll had (the ones
	// exposed).
	known, answered Columns
	index           int32 // ifIndex
	// seen is when the interface was last polled, since DeviceState.epoch.
	seen time.Duration
	// discTime is ifCounterDiscontinuityTime at the last poll that had it.
	discTime time.Duration
	missing  int
}

// findCounters returns the position of ifIndex's counters in st.ifs, or
// where to insert them.
func (st *DeviceState) findCounters(ifIndex int32) (int, bool) {
	return slices.BinarySearchFunc(st.ifs, ifIndex, func(c ifCounters, x int32) int { return cmp.Compare(c.index, x) })
}

// grew reports whether no counter went down from last to cur.
func grew(last, cur *[numCounters]uint64) bool {
	for k := range numCounters {
		if cur[k] < last[k] {
			return false
		}
	}
	return true
}

// rawCounters returns the row's counters, 0 for those it does not have.
func rawCounters(i *Interface) [numCounters]uint64 {
	out := [numCounters]uint64{
		cInOctets: i.InOctets, cOutOctets: i.OutOctets,
		cInErrors: i.InErrors, cOutErrors: i.OutErrors,
		cInDiscards: i.InDiscards, cOutDiscards: i.OutDiscards,
	}
	if i.Has&allCounters == allCounters {
		return out
	}
	for k := range out {
		if !i.Has.Contains(counterSpecs[k].col) {
			out[k] = 0
		}
	}
	return out
}

// accumulate folds one poll's interfaces, polled at at, into the totals.
// rebooted says the device restarted since the last poll (its counters
// restarted from zero: their values are added); complete says the table
// was read to its end (only then may an absent interface be counted as
// missing). It returns the interfaces found discontinuous (nil if none),
// whose totals did not move.
func (st *DeviceState) accumulate(ifs []Interface, at time.Time, rebooted, complete bool) []CounterDiscontinuity {
	if !st.counting {
		st.counting = true
		st.ifs = make([]ifCounters, 0, len(ifs))
		st.epoch = at
	}
	now := at.Sub(st.epoch)
	if complete {
		// Absent until seen below; a cut walk is no evidence of absence.
		for i := range st.ifs {
			st.ifs[i].missing++
		}
	}
	var events []CounterDiscontinuity
	for i := range ifs {
		ifc := &ifs[i]
		cur := rawCounters(ifc)
		present := ifc.Has & allCounters
		pos, ok := st.findCounters(ifc.Index)
		if !ok {
			// First sight: start the totals at the device's own counters.
			st.ifs = slices.Insert(st.ifs, pos, ifCounters{index: ifc.Index, last: cur, totals: cur,
				known: ifc.Has & (allCounters | ColDiscontinuityTime | narrowCols), answered: present, seen: now, discTime: ifc.DiscontinuityTime})
			continue
		}
		c := &st.ifs[pos]
		c.missing = 0
		elapsed := now - c.seen
		c.seen = now
		c.answered = present
		narrow := ifc.Has & narrowCols
		if ifc.Has.Contains(ColDiscontinuityTime) {
			changed := c.known.Contains(ColDiscontinuityTime) && ifc.DiscontinuityTime != c.discTime
			c.discTime = ifc.DiscontinuityTime
			c.known |= ColDiscontinuityTime
			if changed && !rebooted {
				// The device says its counters restarted: whatever they
				// did since the last poll is not traffic vigie can count.
				for k := range numCounters {
					col := counterSpecs[k].col
					if !present.Contains(col) {
						continue
					}
					if !c.known.Contains(col) {
						c.totals[k] = cur[k]
					}
					c.last[k] = cur[k]
				}
				c.known = c.known&^narrowFlags(present) | present | narrow
				events = append(events, CounterDiscontinuity{IfIndex: ifc.Index, Interface: ifc.Name, Reason: DiscontinuityTime})
				continue
			}
		}
		if present == allCounters && c.known.Contains(allCounters) && c.known&narrowCols == narrow && !rebooted && grew(&c.last, &cur) {
			// The common case, kept short: every counter answered and grew.
			for k := range numCounters {
				c.totals[k] += cur[k] - c.last[k]
			}
			c.last = cur
			continue
		}
		speed, _ := ifc.SpeedBits()
		// One counter found discontinuous makes the whole row so: a clear
		// resets every counter of the interface, and a Counter64 that went
		// down is proof of it even where a Counter32 decrease could pass
		// for a wrap (a 32-bit packet counter can wrap within a minute
		// from about 32 Gbit/s).
		var delta [numCounters]uint64
		discontinuous := -1
		for k := range numCounters {
			spec := &counterSpecs[k]
			switch {
			case !present.Contains(spec.col):
				// Not answered this time: keep the last value to count from.
				continue
			case !c.known.Contains(spec.col):
				// A counter seen for the first time starts at its value,
				// as a new interface does.
				c.totals[k] = cur[k]
			case spec.narrow != 0 && c.known&spec.narrow != narrow&spec.narrow:
				// The device switched between ifHCInOctets and ifInOctets
				// (ifXTable appeared or went): two different counters, so
				// the new one is a new baseline and nothing is added.
			case rebooted:
				delta[k] = cur[k]
			case cur[k] >= c.last[k]:
				delta[k] = cur[k] - c.last[k]
			default:
				wide := spec.wide && !narrow.Contains(spec.narrow)
				d, ok := counterStep(c.last[k], cur[k], wide, maxRate(speed, spec.packets), elapsed)
				if !ok && discontinuous < 0 {
					discontinuous = k
				}
				delta[k] = d
			}
			c.last[k] = cur[k]
		}
		c.known = c.known&^narrowFlags(present) | present | narrow
		if discontinuous >= 0 {
			name := counterSpecs[discontinuous].name
			if narrow.Contains(counterSpecs[discontinuous].narrow) && counterSpecs[discontinuous].narrow != 0 {
				name = counterSpecs[discontinuous].name32
			}
			events = append(events, CounterDiscontinuity{IfIndex: ifc.Index, Interface: ifc.Name,
				Reason: DiscontinuityDecrease, Counter: name})
			continue
		}
		for k := range numCounters {
			c.totals[k] += delta[k]
		}
	}
	st.ifs = slices.DeleteFunc(st.ifs, func(c ifCounters) bool { return c.missing > forgetAfter })
	st.discontinuities += uint64(len(events))
	return events
}
