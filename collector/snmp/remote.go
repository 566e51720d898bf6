package snmp

// remote.go carries what a device's state holds that the exposition reads
// (reboots, discontinuities, interface totals) from a regional collector
// to the central vigie, which polls nothing itself (docs/distributed.md).

import (
	"cmp"
	"slices"
)

// IndexedTotals is one interface's monotonic totals with its ifIndex.
type IndexedTotals struct {
	Index int32
	InterfaceTotals
}

// AppendTotals appends the totals of every interface Totals would report,
// in ifIndex order, to dst.
func (st *DeviceState) AppendTotals(dst []IndexedTotals) []IndexedTotals {
	for i := range st.ifs {
		c := &st.ifs[i]
		if c.missing > 0 {
			continue
		}
		t := &c.totals
		dst = append(dst, IndexedTotals{Index: c.index, InterfaceTotals: InterfaceTotals{InOctets: t[cInOctets],
			OutOctets: t[cOutOctets], InErrors: t[cInErrors], OutErrors: t[cOutErrors], InDiscards: t[cInDiscards],
			OutDiscards: t[cOutDiscards], Has: c.answered}})
	}
	return dst
}

// SetRemote makes st say what a remote collector's state of the device
// said after its poll: its reboots, counter discontinuities and interface
// totals (in any order). It is the central's copy; it is never polled with.
func (st *DeviceState) SetRemote(reboots, discontinuities uint64, totals []IndexedTotals) {
	st.reboots, st.discontinuities = reboots, discontinuities
	st.ifs = slices.Grow(st.ifs[:0], len(totals))
	for _, t := range totals {
		c := ifCounters{index: t.Index, answered: t.Has}
		c.totals = [numCounters]uint64{cInOctets: t.InOctets, cOutOctets: t.OutOctets, cInErrors: t.InErrors,
			cOutErrors: t.OutErrors, cInDiscards: t.InDiscards, cOutDiscards: t.OutDiscards}
		st.ifs = append(st.ifs, c)
	}
	slices.SortFunc(st.ifs, func(a, b ifCounters) int { return cmp.Compare(a.index, b.index) })
}
