package snmp

// Counter handling. Devices' counters wrap (Counter32 at 2^32) and reset
// (reboot, line card change); vigie exports its own totals, which only ever
// grow, so that Prometheus rates are never negative and a wrap never looks
// like a reset.

// InterfaceTotals are vigie's monotonic totals for one interface.
type InterfaceTotals struct {
	InOctets, OutOctets     uint64
	InErrors, OutErrors     uint64
	InDiscards, OutDiscards uint64
}

// forgetAfter is how many complete polls an interface may be absent before
// its totals are dropped (an interface briefly missing keeps its series).
const forgetAfter = 3

type ifCounters struct {
	last    InterfaceTotals // raw values of the last poll
	totals  InterfaceTotals
	missing int
}

// delta32 is the increase of a Counter32 from prev to cur: modulo 2^32
// (a wrap), or cur itself after a reboot (the counter restarted at zero).
func delta32(prev, cur uint64, reset bool) uint64 {
	if reset {
		return cur
	}
	return uint64(uint32(cur) - uint32(prev))
}

// delta64 is the increase of a Counter64. A Counter64 does not wrap in the
// life of a router, so a decrease is a discontinuity: count from zero.
func delta64(prev, cur uint64, reset bool) uint64 {
	if reset || cur < prev {
		return cur
	}
	return cur - prev
}

func rawCounters(i *Interface) InterfaceTotals {
	return InterfaceTotals{
		InOctets: i.InOctets, OutOctets: i.OutOctets,
		InErrors: i.InErrors, OutErrors: i.OutErrors,
		InDiscards: i.InDiscards, OutDiscards: i.OutDiscards,
	}
}

// accumulate folds one poll's interfaces into the totals. rebooted says the
// device restarted since the last poll; complete says the table was read to
// its end (only then may an absent interface be counted as missing).
func (st *DeviceState) accumulate(ifs []Interface, rebooted, complete bool) {
	if st.ifs == nil {
		st.ifs = make(map[int32]*ifCounters, len(ifs))
	}
	if complete {
		// Absent until seen below; a cut walk is no evidence of absence.
		for _, c := range st.ifs {
			c.missing++
		}
	}
	for i := range ifs {
		cur := rawCounters(&ifs[i])
		c, ok := st.ifs[ifs[i].Index]
		if !ok {
			// First sight: start the totals at the device's own counters.
			st.ifs[ifs[i].Index] = &ifCounters{last: cur, totals: cur}
			continue
		}
		c.missing = 0
		p := c.last
		c.totals.InOctets += delta64(p.InOctets, cur.InOctets, rebooted)
		c.totals.OutOctets += delta64(p.OutOctets, cur.OutOctets, rebooted)
		c.totals.InErrors += delta32(p.InErrors, cur.InErrors, rebooted)
		c.totals.OutErrors += delta32(p.OutErrors, cur.OutErrors, rebooted)
		c.totals.InDiscards += delta32(p.InDiscards, cur.InDiscards, rebooted)
		c.totals.OutDiscards += delta32(p.OutDiscards, cur.OutDiscards, rebooted)
		c.last = cur
	}
	for idx, c := range st.ifs {
		if c.missing > forgetAfter {
			delete(st.ifs, idx)
		}
	}
}
