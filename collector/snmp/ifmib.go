package snmp

import (
	"cmp"
	"slices"
	"time"

	"github.com/gosnmp/gosnmp"
)

// IF-MIB (RFC 2863): the ifTable and ifXTable columns that make an
// Interface, walked together so that one GetBulk carries all of them.
const (
	oidIfEntry       = ".1.3.6.1.2.1.2.2.1"    // IF-MIB::ifEntry
	oidIfDescr       = oidIfEntry + ".2"       // IF-MIB::ifDescr, DisplayString
	oidIfAdminStatus = oidIfEntry + ".7"       // IF-MIB::ifAdminStatus, up(1) down(2) testing(3)
	oidIfSpeed       = oidIfEntry + ".5"       // IF-MIB::ifSpeed, Gauge32 (bit/s; 4294967295: see ifHighSpeed)
	oidIfOperStatus  = oidIfEntry + ".8"       // IF-MIB::ifOperStatus, up(1) .. lowerLayerDown(7)
	oidIfInOctets    = oidIfEntry + ".10"      // IF-MIB::ifInOctets, Counter32
	oidIfInDiscards  = oidIfEntry + ".13"      // IF-MIB::ifInDiscards, Counter32
	oidIfInErrors    = oidIfEntry + ".14"      // IF-MIB::ifInErrors, Counter32
	oidIfOutOctets   = oidIfEntry + ".16"      // IF-MIB::ifOutOctets, Counter32
	oidIfOutDiscards = oidIfEntry + ".19"      // IF-MIB::ifOutDiscards, Counter32
	oidIfOutErrors   = oidIfEntry + ".20"      // IF-MIB::ifOutErrors, Counter32
	oidIfXEntry      = ".1.3.6.1.2.1.31.1.1.1" // IF-MIB::ifXEntry
	oidIfName        = oidIfXEntry + ".1"      // IF-MIB::ifName, DisplayString
	oidIfHCInOctets  = oidIfXEntry + ".6"      // IF-MIB::ifHCInOctets, Counter64
	oidIfHCOutOctets = oidIfXEntry + ".10"     // IF-MIB::ifHCOutOctets, Counter64
	oidIfHighSpeed   = oidIfXEntry + ".15"     // IF-MIB::ifHighSpeed, Gauge32 (Mbit/s)
	oidIfAlias       = oidIfXEntry + ".18"     // IF-MIB::ifAlias, DisplayString
	// IF-MIB::ifCounterDiscontinuityTime, TimeStamp: sysUpTime at the last
	// discontinuity of the row's counters (an operator's clear, mostly).
	oidIfCounterDiscontinuityTime = oidIfXEntry + ".19"
)

// Column positions in ifColumnOIDs, used by ifDecoder.
const (
	ifColDescr = iota
	ifColAdminStatus
	ifColOperStatus
	ifColInDiscards
	ifColInErrors
	ifColOutDiscards
	ifColOutErrors
	ifColName
	ifColHCInOctets
	ifColHCOutOctets
	ifColHighSpeed
	ifColAlias
	ifColDiscontinuityTime
	ifColCount
)

// Column positions in if32ColumnOIDs, the fallback columns walked as a
// table of their own, only for devices that need them; their decoder is
// ifDecoder.add32.
const (
	ifColSpeed = iota
	ifColInOctets32
	ifColOutOctets32
)

// ifSpeedSeeHigh is the ifSpeed of an interface faster than Gauge32 can
// say (RFC 2863): its speed is in ifHighSpeed.
const ifSpeedSeeHigh = 1<<32 - 1

// ifColumnOIDs returns the IF-MIB columns in ifCol* order.
func ifColumnOIDs() []string {
	return []string{oidIfDescr, oidIfAdminStatus, oidIfOperStatus, oidIfInDiscards, oidIfInErrors,
		oidIfOutDiscards, oidIfOutErrors, oidIfName, oidIfHCInOctets, oidIfHCOutOctets, oidIfHighSpeed, oidIfAlias,
		oidIfCounterDiscontinuityTime}
}

// if32ColumnOIDs returns the ifTable columns a device without ifXTable (or
// without its ifHighSpeed/ifHC* columns) is read from, in ifColSpeed order.
// They are not walked for a device that has the ifXTable columns: three
// columns more in every poll of the fleet for what a few old devices need.
func if32ColumnOIDs() []string {
	return []string{oidIfSpeed, oidIfInOctets, oidIfOutOctets}
}

// ifDecoder joins ifTable and ifXTable rows by ifIndex. One lives in each
// session and is reset per poll so that its map is reused.
type ifDecoder struct {
	rows    []Interface
	byIndex map[int32]int
	// prev is the previous poll's interface names (sorted by ifIndex) and
	// prevOf, per row, the position of the same ifIndex there (-1: new):
	// names that did not change reuse the previous poll's strings.
	prev   []ifText
	prevOf []int
	// bad counts values of the wrong type or with an unparsable index.
	bad int
}

// ifText is what the next poll of a device reuses of an interface: its
// strings, by ifIndex. DeviceState keeps these (56 bytes) rather than the
// last poll's Interfaces (128 bytes): about 100,000 on the RIE.
type ifText struct {
	index              int32
	name, descr, alias string
}

// appendIfTexts appends the names of ifs (sorted by ifIndex) to dst.
func appendIfTexts(dst []ifText, ifs []Interface) []ifText {
	for i := range ifs {
		dst = append(dst, ifText{ifs[i].Index, ifs[i].Name, ifs[i].Descr, ifs[i].Alias})
	}
	return dst
}

func (d *ifDecoder) reset(prev []ifText) {
	d.rows = d.rows[:0]
	d.prevOf = d.prevOf[:0]
	d.prev = prev
	if d.byIndex == nil {
		d.byIndex = make(map[int32]int, 64)
	}
	clear(d.byIndex)
	d.bad = 0
}

// row returns the position of ifIndex's row, added if new.
func (d *ifDecoder) row(ifIndex int32) int {
	i, seen := d.byIndex[ifIndex]
	if !seen {
		i = len(d.rows)
		d.rows = append(d.rows, Interface{Index: ifIndex})
		d.byIndex[ifIndex] = i
		at, found := slices.BinarySearchFunc(d.prev, ifIndex, func(a ifText, x int32) int { return cmp.Compare(a.index, x) })
		if !found {
			at = -1
		}
		d.prevOf = append(d.prevOf, at)
	}
	return i
}

// add decodes one varbind of column col with instance index.
func (d *ifDecoder) add(col int, index []uint32, v *varbind) {
	ifIndex, ok := index32(index)
	if !ok {
		d.bad++
		return
	}
	i := d.row(ifIndex)
	r := &d.rows[i]
	var p *ifText
	if at := d.prevOf[i]; at >= 0 {
		p = &d.prev[at]
	} else {
		p = &ifText{}
	}
	switch col {
	case ifColDescr:
		r.Descr, ok = textOf(v, p.descr)
	case ifColName:
		r.Name, ok = textOf(v, p.name)
	case ifColAlias:
		r.Alias, ok = textOf(v, p.alias)
	case ifColAdminStatus:
		var n int
		n, ok = asInt(v)
		r.AdminUp = n == 1
		r.Has |= has(ok, ColAdminStatus)
	case ifColOperStatus:
		r.OperStatus, ok = asInt(v)
		r.Has |= has(ok, ColOperStatus)
	case ifColHighSpeed:
		r.HighSpeed, ok = asCounter(v, gosnmp.Gauge32)
		r.Has |= has(ok, ColHighSpeed)
	case ifColHCInOctets:
		// The Counter64 wins over an ifInOctets read in the same poll.
		var n uint64
		if n, ok = asCounter(v, gosnmp.Counter64); ok {
			r.InOctets, r.Has = n, r.Has&^ColInOctets32|ColInOctets
		}
	case ifColHCOutOctets:
		var n uint64
		if n, ok = asCounter(v, gosnmp.Counter64); ok {
			r.OutOctets, r.Has = n, r.Has&^ColOutOctets32|ColOutOctets
		}
	case ifColInErrors:
		r.InErrors, ok = asCounter(v, gosnmp.Counter32)
		r.Has |= has(ok, ColInErrors)
	case ifColOutErrors:
		r.OutErrors, ok = asCounter(v, gosnmp.Counter32)
		r.Has |= has(ok, ColOutErrors)
	case ifColInDiscards:
		r.InDiscards, ok = asCounter(v, gosnmp.Counter32)
		r.Has |= has(ok, ColInDiscards)
	case ifColOutDiscards:
		r.OutDiscards, ok = asCounter(v, gosnmp.Counter32)
		r.Has |= has(ok, ColOutDiscards)
	case ifColDiscontinuityTime:
		var ticks uint64
		ticks, ok = asCounter(v, gosnmp.TimeTicks)
		r.DiscontinuityTime = time.Duration(ticks) * 10 * time.Millisecond
		r.Has |= has(ok, ColDiscontinuityTime)
	}
	if !ok {
		d.bad++
	}
}

// add32 decodes one varbind of the fallback columns (ifColSpeed...): the
// 32-bit octet counters stand in for ifHC* only where the row has none.
func (d *ifDecoder) add32(col int, index []uint32, v *varbind) {
	ifIndex, ok := index32(index)
	if !ok {
		d.bad++
		return
	}
	r := &d.rows[d.row(ifIndex)]
	var n uint64
	switch col {
	case ifColSpeed:
		if n, ok = asCounter(v, gosnmp.Gauge32); ok && n != ifSpeedSeeHigh {
			r.Speed, r.Has = n, r.Has|ColSpeed
		}
	case ifColInOctets32:
		if n, ok = asCounter(v, gosnmp.Counter32); ok && !r.Has.Contains(ColInOctets) {
			r.InOctets, r.Has = n, r.Has|ColInOctets|ColInOctets32
		}
	case ifColOutOctets32:
		if n, ok = asCounter(v, gosnmp.Counter32); ok && !r.Has.Contains(ColOutOctets) {
			r.OutOctets, r.Has = n, r.Has|ColOutOctets|ColOutOctets32
		}
	}
	if !ok {
		d.bad++
	}
}

// needs32 reports whether ifs has a row without ifHighSpeed, ifHCInOctets
// or ifHCOutOctets: the next poll then reads the fallback columns.
func needs32(ifs []Interface) bool {
	const modern = ColHighSpeed | ColInOctets | ColOutOctets
	for i := range ifs {
		if !ifs[i].Has.Contains(modern) {
			return true
		}
	}
	return false
}

// has is c if the column's value decoded, else no column.
func has(ok bool, c Columns) Columns {
	if ok {
		return c
	}
	return 0
}

// asCounter returns an unsigned value only when it has the SMI type the
// MIB declares, so that a string or a Counter32 posing as Counter64 is
// reported as malformed rather than silently mixed into totals.
func asCounter(v *varbind, want gosnmp.Asn1BER) (uint64, bool) {
	if v.typ != want {
		return 0, false
	}
	return asUint(v)
}

// finish returns the interfaces sorted by ifIndex, with ifDescr standing
// in for a missing ifName. The slice is a copy the Poll may keep.
func (d *ifDecoder) finish() []Interface {
	out := make([]Interface, len(d.rows))
	copy(out, d.rows)
	for i := range out {
		if out[i].Name == "" {
			out[i].Name = out[i].Descr
		}
	}
	slices.SortFunc(out, func(a, b Interface) int { return int(a.Index) - int(b.Index) })
	return out
}
