package snmpagent

// This file is each simulated device's MIB: a sorted list of columns
// (scalars are one-row columns), every value computed at request time from
// the device's structure, its state and the clock. Nothing advances on a
// tick: counters are rates times the time the link was up.

import (
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/vigie-rie/vigie/internal/ber"
)

// value is one varbind value about to be encoded.
type value struct {
	tag byte
	i   int64
	u   uint64
	s   string
	b   []byte
	oid []uint32
}

// view is one request's look at one device: its structure, one snapshot
// of its state and one reading of the clock, so that every value in an
// answer is consistent.
type view struct {
	mib      *mib
	d        *device
	st       *state
	now      time.Time
	up       time.Duration
	scratch  []byte
	lldpRows []int32
	lldpDone bool
	// bgpRows is the device's bgpPeerTable for this request: its
	// inventory sessions plus the live ones of mib.extraBGP, in index order.
	bgpRows []session
	bgpBuf  []session
	bgpDone bool
	// missing is the device's Missing fault as a mask of MissingColumns.
	missing uint32
}

func (v *view) reset(d *device, st *state, now time.Time) {
	v.d, v.st, v.now = d, st, now
	v.up = max(now.Sub(st.boot), 0)
	v.lldpRows = v.lldpRows[:0]
	v.lldpDone = false
	v.bgpRows, v.bgpDone = nil, false
	v.missing = 0
	if st.faults.Missing != "" {
		v.missing, _ = missingMask(st.faults.Missing) // validated by SetFaults
	}
}

// sessions returns the rows of the device's bgpPeerTable, read once per
// request so that every column of an answer sees the same rows.
func (v *view) sessions() []session {
	if v.bgpDone {
		return v.bgpRows
	}
	v.bgpDone = true
	v.bgpRows = v.d.sessions
	if v.mib.extraBGP == nil {
		return v.bgpRows
	}
	extra := v.mib.extraBGP(v.d.name)
	if len(extra) == 0 {
		return v.bgpRows
	}
	rows := append(v.bgpBuf[:0], v.d.sessions...)
	for _, e := range extra {
		l, r, id := e.Local.Unmap(), e.Remote.Unmap(), e.RemoteID.Unmap()
		if !l.Is4() || !r.Is4() {
			continue
		}
		s := session{local: l.As4(), remote: r.As4(), remoteAS: e.RemoteAS, ifIdx: -1, peer: -1, since: e.Since}
		if id.Is4() {
			s.remoteID = id.As4()
		}
		rows = append(rows, s)
	}
	slices.SortStableFunc(rows, func(a, b session) int { return slices.Compare(a.remote[:], b.remote[:]) })
	rows = slices.CompactFunc(rows, func(a, b session) bool { return a.remote == b.remote })
	v.bgpBuf, v.bgpRows = rows, rows
	return rows
}

// cleared returns interface i's last counter clear since boot, if any.
func (v *view) cleared(i int) (clearMark, bool) {
	c, ok := v.st.clears[int32(i)]
	return c, ok && c.boots == v.st.boots
}

// counterSeconds is how long interface i carried traffic since its
// counters last restarted (boot or clear).
func (v *view) counterSeconds(i int) float64 {
	t := v.upSeconds(i)
	if c, ok := v.cleared(i); ok {
		t = max(t-c.upSeconds, 0)
	}
	return t
}

// peerState is the state of the device at the other end of a session:
// a reboot or power-off there shows in this device's BGP table.
func (v *view) peerState(s *session) *state { return v.mib.fleet.devices[s.peer].state.Load() }

// ifDown reports whether interface i's link is down.
func (v *view) ifDown(i int) bool { return v.st.link(int32(i)).down }

// upSeconds is how long interface i carried traffic since boot.
func (v *view) upSeconds(i int) float64 {
	ls := v.st.link(int32(i))
	down := ls.downTotal
	if ls.down {
		down += v.now.Sub(ls.since)
	}
	return max(v.up-down, 0).Seconds()
}

// counter32 is an error counter; with a WrapIn fault it starts close
// enough to 2^32 to wrap WrapIn after the fault was set.
func (v *view) counter32(i int, rate float64) uint64 {
	t := v.counterSeconds(i)
	if w := v.st.faults.WrapIn; w > 0 {
		rate = max(rate, 50)
		at := max(v.st.faultsAt.Add(w).Sub(v.st.boot), 0).Seconds()
		return uint64(uint32(int64(rate*t) - int64(rate*at)))
	}
	return uint64(uint32(rate * t))
}

// lldp returns the interfaces whose LLDP neighbour is currently seen.
func (v *view) lldp() []int32 {
	if !v.lldpDone {
		for i := range v.d.ifaces {
			it := &v.d.ifaces[i]
			if it.lldp && it.peerDev >= 0 && !v.ifDown(i) {
				v.lldpRows = append(v.lldpRows, int32(i))
			}
		}
		v.lldpDone = true
	}
	return v.lldpRows
}

// column is one MIB column (or scalar, as a one-row column indexed .0).
type column struct {
	oid    []uint32
	scalar bool
	rows   func(v *view) int
	index  func(v *view, row int, dst []uint32) []uint32
	get    func(v *view, row int, out *value)
}

// mib is the sorted column list every device serves.
type mib struct {
	cols []column
	// peers lets LLDP and BGP read the other end's name and interfaces.
	fleet *fleet
	// extraBGP is Options.BGPSessions (nil: inventory sessions only).
	extraBGP func(device string) []BGPSession
}

func cmpOID(a, b []uint32) int { return slices.Compare(a, b) }

func hasPrefix(oid, prefix []uint32) bool {
	return len(oid) >= len(prefix) && slices.Equal(oid[:len(prefix)], prefix)
}

// find returns the position of the first column that holds oid or
// follows it.
func (m *mib) find(oid []uint32) int {
	lo, hi := 0, len(m.cols)
	for lo < hi {
		h := int(uint(lo+hi) >> 1)
		c := m.cols[h].oid
		if cmpOID(c, oid) >= 0 || hasPrefix(oid, c) {
			hi = h
		} else {
			lo = h + 1
		}
	}
	return lo
}

// firstRowAfter returns the first row of c whose index is greater than
// rest (or equal, when orEqual), using the rows' sorted order.
func firstRowAfter(v *view, c *column, n int, rest []uint32, orEqual bool, buf []uint32) int {
	lo, hi := 0, n
	for lo < hi {
		h := int(uint(lo+hi) >> 1)
		k := cmpOID(c.index(v, h, buf[:0]), rest)
		if k > 0 || (orEqual && k == 0) {
			hi = h
		} else {
			lo = h + 1
		}
	}
	return lo
}

// get answers a Get of oid into out.
func (m *mib) get(v *view, oid []uint32, out *value, buf []uint32) {
	p := m.find(oid)
	if p == len(m.cols) || !hasPrefix(oid, m.cols[p].oid) {
		*out = value{tag: tagNoSuchObject}
		return
	}
	c := &m.cols[p]
	rest := oid[len(c.oid):]
	n := c.rows(v)
	r := firstRowAfter(v, c, n, rest, true, buf)
	if r < n && cmpOID(c.index(v, r, buf[:0]), rest) == 0 {
		*out = value{}
		c.get(v, r, out)
		return
	}
	*out = value{tag: tagNoSuchInstance}
}

// next answers a GetNext of oid: it appends the next OID to dst and
// writes its value into out; at the end of the MIB it returns oid itself
// with endOfMibView.
func (m *mib) next(v *view, oid []uint32, dst []uint32, out *value, buf []uint32) []uint32 {
	for p := m.find(oid); p < len(m.cols); p++ {
		c := &m.cols[p]
		n := c.rows(v)
		if n == 0 {
			continue
		}
		r := 0
		if hasPrefix(oid, c.oid) {
			if !(v.st.faults.OIDLoop && !c.scalar) {
				r = firstRowAfter(v, c, n, oid[len(c.oid):], false, buf)
			}
			// With an OID loop the table rewinds to its first row.
		}
		if r >= n {
			continue
		}
		dst = append(dst[:0], c.oid...)
		dst = c.index(v, r, dst)
		*out = value{}
		c.get(v, r, out)
		return dst
	}
	*out = value{tag: tagEndOfMibView}
	return append(dst[:0], oid...)
}

// OID prefixes, with their MIB object names.
var (
	oidLLDPLoc     = []uint32{1, 0, 8802, 1, 1, 2, 1, 3}       // LLDP-MIB lldpLocalSystemData
	oidLLDPLocPort = []uint32{1, 0, 8802, 1, 1, 2, 1, 3, 7, 1} // lldpLocPortEntry
	oidLLDPRem     = []uint32{1, 0, 8802, 1, 1, 2, 1, 4, 1, 1} // lldpRemEntry
	oidSystem      = []uint32{1, 3, 6, 1, 2, 1, 1}             // SNMPv2-MIB system
	oidInterfaces  = []uint32{1, 3, 6, 1, 2, 1, 2}             // IF-MIB interfaces
	oidIfEntry     = []uint32{1, 3, 6, 1, 2, 1, 2, 2, 1}       // ifEntry
	oidBGP         = []uint32{1, 3, 6, 1, 2, 1, 15}            // BGP4-MIB bgp
	oidBGPPeer     = []uint32{1, 3, 6, 1, 2, 1, 15, 3, 1}      // bgpPeerEntry
	oidIfXEntry    = []uint32{1, 3, 6, 1, 2, 1, 31, 1, 1, 1}   // ifXEntry
	oidUSMStats    = []uint32{1, 3, 6, 1, 6, 3, 15, 1, 1}      // SNMP-USER-BASED-SM-MIB usmStats
)

// oidLLDPRemManAddr is LLDP-MIB lldpRemManAddrEntry.
var oidLLDPRemManAddr = []uint32{1, 0, 8802, 1, 1, 2, 1, 4, 2, 1}

func sub(prefix []uint32, arcs ...uint32) []uint32 {
	return append(slices.Clip(prefix), arcs...)
}

func one(*view) int { return 1 }

func scalarIndex(_ *view, _ int, dst []uint32) []uint32 { return append(dst, 0) }

func (m *mib) scalar(oid []uint32, get func(v *view, out *value)) {
	m.cols = append(m.cols, column{oid: oid, scalar: true, rows: one, index: scalarIndex,
		get: func(v *view, _ int, out *value) { get(v, out) }})
}

func ifRows(v *view) int { return max(len(v.d.ifaces), v.st.faults.Flood) }

func ifIndex(_ *view, row int, dst []uint32) []uint32 { return append(dst, uint32(row+1)) }

// ifCol adds an ifTable/ifXTable column; rows beyond the device's real
// interfaces exist only under a Flood fault and are synthesised.
func (m *mib) ifCol(oid []uint32, real func(v *view, i int, it *iface, out *value), flood func(v *view, i int, out *value)) {
	m.cols = append(m.cols, column{oid: oid, rows: ifRows, index: ifIndex, get: func(v *view, row int, out *value) {
		if row < len(v.d.ifaces) {
			real(v, row, &v.d.ifaces[row], out)
			return
		}
		flood(v, row, out)
	}})
}

func floodName(v *view, i int, out *value) {
	v.scratch = strconv.AppendInt(append(v.scratch[:0], "flood"...), int64(i+1), 10)
	*out = value{tag: tagOctetString, b: v.scratch}
}

// churnNeighbor is column n of the LLDPChurn fault's neighbour k: named
// churn-G-K, G the seconds since the fault was set, so that every poll
// sees other neighbours.
func churnNeighbor(v *view, n uint32, k int, out *value) {
	gen := max(v.now.Sub(v.st.faultsAt), 0) / time.Second
	switch n {
	case 4: // lldpRemChassisIdSubtype: macAddress
		*out = value{tag: tagInteger, i: 4}
	case 6: // lldpRemPortIdSubtype: interfaceName
		*out = value{tag: tagInteger, i: 5}
	case 5:
		v.scratch = append(v.scratch[:0], 0x02, 0, byte(gen>>8), byte(gen), byte(k>>8), byte(k))
		*out = value{tag: tagOctetString, b: v.scratch}
	case 7, 8:
		*out = value{tag: tagOctetString, s: "p1"}
	default: // 9, lldpRemSysName
		v.scratch = strconv.AppendInt(append(v.scratch[:0], "churn-"...), int64(gen), 10)
		v.scratch = strconv.AppendInt(append(v.scratch, '-'), int64(k), 10)
		*out = value{tag: tagOctetString, b: v.scratch}
	}
}

func intValue(n int64) func(*view, int, *value) {
	return func(_ *view, _ int, out *value) { *out = value{tag: tagInteger, i: n} }
}

func gauge(tag byte, n uint64) func(*view, int, *value) {
	return func(_ *view, _ int, out *value) { *out = value{tag: tag, u: n} }
}

func ipValue(a [4]byte, v *view, out *value) {
	v.scratch = append(v.scratch[:0], a[:]...)
	*out = value{tag: tagIPAddress, b: v.scratch}
}

func newMIB(f *fleet) *mib {
	m := &mib{fleet: f}
	peer := func(it *iface) (*device, *iface) {
		p := f.devices[it.peerDev]
		return p, &p.ifaces[it.peerIf]
	}

	// LLDP-MIB local system data.
	m.scalar(sub(oidLLDPLoc, 1), func(_ *view, out *value) { *out = value{tag: tagInteger, i: 4} }) // lldpLocChassisIdSubtype: macAddress
	m.scalar(sub(oidLLDPLoc, 2), func(v *view, out *value) { *out = value{tag: tagOctetString, b: v.d.mac[:]} })
	m.scalar(sub(oidLLDPLoc, 3), func(v *view, out *value) { *out = value{tag: tagOctetString, s: v.d.name} })
	// lldpLocPortTable: every interface but lo, indexed by its ifIndex,
	// then the LLDPChurn fault's ports (churnN) after the last interface.
	locRows := func(v *view) int { return len(v.d.ifaces) - 1 + v.st.faults.LLDPChurn }
	locIndex := func(_ *view, row int, dst []uint32) []uint32 { return append(dst, uint32(row+2)) }
	for _, col := range []struct {
		n   uint32
		get func(v *view, it *iface, out *value)
	}{
		{2, func(_ *view, _ *iface, out *value) { *out = value{tag: tagInteger, i: 5} }}, // lldpLocPortIdSubtype: interfaceName
		{3, func(_ *view, it *iface, out *value) { *out = value{tag: tagOctetString, s: it.name} }},
		{4, func(_ *view, it *iface, out *value) { *out = value{tag: tagOctetString, s: it.name} }},
	} {
		m.cols = append(m.cols, column{oid: sub(oidLLDPLocPort, col.n), rows: locRows, index: locIndex,
			get: func(v *view, row int, out *value) {
				if k := row + 1 - len(v.d.ifaces); k >= 0 {
					if col.n == 2 {
						col.get(v, nil, out)
						return
					}
					v.scratch = strconv.AppendInt(append(v.scratch[:0], "churn"...), int64(k), 10)
					*out = value{tag: tagOctetString, b: v.scratch}
					return
				}
				col.get(v, &v.d.ifaces[row+1], out)
			}})
	}
	// lldpRemTable: index lldpRemTimeMark(0).lldpRemLocalPortNum.lldpRemIndex(1).
	remRows := func(v *view) int { return len(v.lldp()) + v.st.faults.LLDPChurn }
	remIndex := func(v *view, row int, dst []uint32) []uint32 {
		if k := row - len(v.lldp()); k >= 0 {
			return append(dst, 0, uint32(len(v.d.ifaces)+1+k), 1)
		}
		return append(dst, 0, uint32(v.lldp()[row]+1), 1)
	}
	for _, col := range []struct {
		n   uint32
		get func(v *view, p *device, pi *iface, out *value)
	}{
		{4, func(_ *view, _ *device, _ *iface, out *value) { *out = value{tag: tagInteger, i: 4} }}, // lldpRemChassisIdSubtype
		{5, func(v *view, p *device, _ *iface, out *value) {
			v.scratch = append(v.scratch[:0], p.mac[:]...)
			*out = value{tag: tagOctetString, b: v.scratch}
		}},
		{6, func(_ *view, _ *device, _ *iface, out *value) { *out = value{tag: tagInteger, i: 5} }}, // lldpRemPortIdSubtype
		{7, func(_ *view, _ *device, pi *iface, out *value) { *out = value{tag: tagOctetString, s: pi.name} }},
		{8, func(_ *view, _ *device, pi *iface, out *value) { *out = value{tag: tagOctetString, s: pi.name} }},
		{9, func(_ *view, p *device, _ *iface, out *value) { *out = value{tag: tagOctetString, s: p.name} }},
	} {
		m.cols = append(m.cols, column{oid: sub(oidLLDPRem, col.n), rows: remRows, index: remIndex,
			get: func(v *view, row int, out *value) {
				if k := row - len(v.lldp()); k >= 0 {
					churnNeighbor(v, col.n, k, out)
					return
				}
				p, pi := peer(&v.d.ifaces[v.lldp()[row]])
				col.get(v, p, pi, out)
			}})
	}

	// lldpRemManAddrTable: each neighbour's management address (the one it
	// is polled at), in the index after the neighbour's:
	// 0.LocalPortNum.1.ipv4(1).4.A.B.C.D; lldpRemManAddrIfSubtype
	// ifIndex(2). What vigie discover follows from device to device.
	manIndex := func(v *view, row int, dst []uint32) []uint32 {
		p, _ := peer(&v.d.ifaces[v.lldp()[row]])
		dst = append(dst, 0, uint32(v.lldp()[row]+1), 1, 1, 4)
		for _, o := range p.addr {
			dst = append(dst, uint32(o))
		}
		return dst
	}
	m.cols = append(m.cols, column{oid: sub(oidLLDPRemManAddr, 3), rows: func(v *view) int { return len(v.lldp()) },
		index: manIndex, get: intValue(2)})

	// SNMPv2-MIB system group.
	m.scalar(sub(oidSystem, 1), func(v *view, out *value) { *out = value{tag: tagOctetString, s: v.d.descr} })
	m.scalar(sub(oidSystem, 2), func(v *view, out *value) { *out = value{tag: tagOID, oid: v.d.objectID} })
	m.scalar(sub(oidSystem, 3), func(v *view, out *value) {
		*out = value{tag: tagTimeTicks, u: uint64(uint32(v.up / (10 * time.Millisecond)))}
	})
	m.scalar(sub(oidSystem, 4), func(_ *view, out *value) { *out = value{tag: tagOctetString, s: "noc@vigie-sim.invalid"} })
	m.scalar(sub(oidSystem, 5), func(v *view, out *value) { *out = value{tag: tagOctetString, s: v.d.name} })
	m.scalar(sub(oidSystem, 6), func(v *view, out *value) { *out = value{tag: tagOctetString, s: v.d.location} })
	m.scalar(sub(oidSystem, 7), func(_ *view, out *value) { *out = value{tag: tagInteger, i: 6} }) // sysServices: datalink+internet

	// IF-MIB ifNumber and ifTable.
	m.scalar(sub(oidInterfaces, 1), func(v *view, out *value) { *out = value{tag: tagInteger, i: int64(ifRows(v))} })
	name := func(_ *view, _ int, it *iface, out *value) { *out = value{tag: tagOctetString, s: it.name} }
	zero := func(_ *view, _ int, out *value) { *out = value{tag: tagCounter32} }
	m.ifCol(sub(oidIfEntry, 1), func(_ *view, i int, _ *iface, out *value) { *out = value{tag: tagInteger, i: int64(i + 1)} },
		func(_ *view, i int, out *value) { *out = value{tag: tagInteger, i: int64(i + 1)} }) // ifIndex
	m.ifCol(sub(oidIfEntry, 2), name, floodName) // ifDescr
	m.ifCol(sub(oidIfEntry, 3), func(_ *view, _ int, it *iface, out *value) { *out = value{tag: tagInteger, i: int64(it.typ)} },
		intValue(ifTypeEthernet)) // ifType
	m.ifCol(sub(oidIfEntry, 4), func(_ *view, _ int, it *iface, out *value) {
		mtu := int64(1500)
		if it.typ == ifTypeLoopback {
			mtu = 65536
		}
		*out = value{tag: tagInteger, i: mtu}
	}, intValue(1500)) // ifMtu
	m.ifCol(sub(oidIfEntry, 5), func(_ *view, _ int, it *iface, out *value) {
		*out = value{tag: tagGauge32, u: min(uint64(it.speed)*1e6, math.MaxUint32)}
	}, gauge(tagGauge32, 1e9)) // ifSpeed
	m.ifCol(sub(oidIfEntry, 6), func(v *view, i int, _ *iface, out *value) {
		v.scratch = append(v.scratch[:0], v.d.mac[:]...)
		v.scratch[0] = 0x06 | byte(i>>8)<<2
		v.scratch[1] = byte(i)
		*out = value{tag: tagOctetString, b: v.scratch}
	}, func(_ *view, _ int, out *value) { *out = value{tag: tagOctetString} }) // ifPhysAddress
	m.ifCol(sub(oidIfEntry, 7), func(_ *view, _ int, _ *iface, out *value) { *out = value{tag: tagInteger, i: 1} },
		intValue(1)) // ifAdminStatus: up
	m.ifCol(sub(oidIfEntry, 8), func(v *view, i int, _ *iface, out *value) {
		st := int64(1)
		if v.ifDown(i) {
			st = 2
		}
		*out = value{tag: tagInteger, i: st}
	}, intValue(1)) // ifOperStatus
	m.ifCol(sub(oidIfEntry, 13), func(v *view, i int, it *iface, out *value) {
		*out = value{tag: tagCounter32, u: v.counter32(i, it.errRate*3)}
	}, zero) // ifInDiscards
	m.ifCol(sub(oidIfEntry, 14), func(v *view, i int, it *iface, out *value) {
		*out = value{tag: tagCounter32, u: v.counter32(i, it.errRate)}
	}, zero) // ifInErrors
	m.ifCol(sub(oidIfEntry, 19), func(v *view, i int, it *iface, out *value) {
		*out = value{tag: tagCounter32, u: v.counter32(i, it.errRate*2)}
	}, zero) // ifOutDiscards
	m.ifCol(sub(oidIfEntry, 20), func(v *view, i int, it *iface, out *value) {
		*out = value{tag: tagCounter32, u: v.counter32(i, it.errRate/2)}
	}, zero) // ifOutErrors

	// BGP4-MIB.
	m.scalar(sub(oidBGP, 1), func(_ *view, out *value) { *out = value{tag: tagOctetString, s: "\x10"} }) // bgpVersion: 4
	m.scalar(sub(oidBGP, 2), func(v *view, out *value) { *out = value{tag: tagInteger, i: int64(v.d.localAS)} })
	bgpRows := func(v *view) int { return len(v.sessions()) }
	bgpIndex := func(v *view, row int, dst []uint32) []uint32 {
		r := v.sessions()[row].remote
		return append(dst, uint32(r[0]), uint32(r[1]), uint32(r[2]), uint32(r[3]))
	}
	for _, col := range []struct {
		n   uint32
		get func(v *view, s *session, out *value)
	}{
		{1, func(v *view, s *session, out *value) { ipValue(s.remoteID, v, out) }}, // bgpPeerIdentifier
		{2, func(v *view, s *session, out *value) { // bgpPeerState: idle(1) or established(6)
			st := int64(6)
			if s.peer >= 0 && ((s.ifIdx >= 0 && v.ifDown(int(s.ifIdx))) || v.peerState(s).off) {
				st = 1
			}
			*out = value{tag: tagInteger, i: st}
		}},
		{3, func(_ *view, _ *session, out *value) { *out = value{tag: tagInteger, i: 2} }}, // bgpPeerAdminStatus: start
		{4, func(_ *view, _ *session, out *value) { *out = value{tag: tagInteger, i: 4} }}, // bgpPeerNegotiatedVersion
		{5, func(v *view, s *session, out *value) { ipValue(s.local, v, out) }},            // bgpPeerLocalAddr
		{6, func(_ *view, _ *session, out *value) { *out = value{tag: tagInteger, i: 179} }},
		{7, func(v *view, s *session, out *value) { ipValue(s.remote, v, out) }}, // bgpPeerRemoteAddr
		{8, func(_ *view, _ *session, out *value) { *out = value{tag: tagInteger, i: 50179} }},
		{9, func(_ *view, s *session, out *value) { *out = value{tag: tagInteger, i: int64(s.remoteAS)} }},
		{15, func(v *view, s *session, out *value) { // bgpPeerFsmEstablishedTransitions
			if s.peer < 0 {
				*out = value{tag: tagCounter32, u: 1} // a live session: up once, since Since
				return
			}
			n := s.base
			if v.st.rebooted {
				n = 1
			}
			if s.ifIdx >= 0 {
				n += v.st.link(s.ifIdx).ups
			}
			if p := v.peerState(s); p.boot.After(v.st.boot) && !p.off {
				n++ // the peer rebooted since we did: the session came back once more
			}
			*out = value{tag: tagCounter32, u: uint64(n)}
		}},
		{16, func(v *view, s *session, out *value) { // bgpPeerFsmEstablishedTime, seconds
			if s.peer < 0 {
				*out = value{tag: tagGauge32, u: uint64(max(v.now.Sub(s.since), 0) / time.Second)}
				return
			}
			since := v.st.boot
			if p := v.peerState(s); p.boot.After(since) {
				since = p.boot
			}
			if s.ifIdx >= 0 {
				if ls := v.st.link(s.ifIdx); ls.since.After(since) {
					since = ls.since
				}
			}
			*out = value{tag: tagGauge32, u: uint64(max(v.now.Sub(since), 0) / time.Second)}
		}},
	} {
		m.cols = append(m.cols, column{oid: sub(oidBGPPeer, col.n), rows: bgpRows, index: bgpIndex,
			get: func(v *view, row int, out *value) { col.get(v, &v.sessions()[row], out) }})
	}
	m.scalar(sub(oidBGP, 4), func(v *view, out *value) { ipValue(v.d.routerID, v, out) }) // bgpIdentifier

	// IF-MIB ifXTable.
	m.ifCol(sub(oidIfXEntry, 1), name, floodName) // ifName
	m.ifCol(sub(oidIfXEntry, 6), func(v *view, i int, it *iface, out *value) {
		*out = value{tag: tagCounter64, u: uint64(it.inRate * v.counterSeconds(i))}
	}, gauge(tagCounter64, 0)) // ifHCInOctets
	m.ifCol(sub(oidIfXEntry, 10), func(v *view, i int, it *iface, out *value) {
		*out = value{tag: tagCounter64, u: uint64(it.outRate * v.counterSeconds(i))}
	}, gauge(tagCounter64, 0)) // ifHCOutOctets
	m.ifCol(sub(oidIfXEntry, 15), func(_ *view, _ int, it *iface, out *value) { *out = value{tag: tagGauge32, u: uint64(it.speed)} },
		gauge(tagGauge32, 1000)) // ifHighSpeed
	m.ifCol(sub(oidIfXEntry, 18), func(_ *view, _ int, it *iface, out *value) { *out = value{tag: tagOctetString, s: it.alias} },
		func(_ *view, _ int, out *value) { *out = value{tag: tagOctetString, s: "flood"} }) // ifAlias
	m.ifCol(sub(oidIfXEntry, 19), func(v *view, i int, _ *iface, out *value) {
		var ticks uint64
		if c, ok := v.cleared(i); ok {
			ticks = uint64(uint32(max(c.at.Sub(v.st.boot), 0) / (10 * time.Millisecond)))
		}
		*out = value{tag: tagTimeTicks, u: ticks}
	}, gauge(tagTimeTicks, 0)) // ifCounterDiscontinuityTime

	// A Missing fault removes columns: no rows, so Get answers
	// noSuchInstance and GetNext goes on to the next column.
	for bit, oid := range missingOIDs {
		for i := range m.cols {
			if c := &m.cols[i]; slices.Equal(c.oid, oid) {
				rows := c.rows
				c.rows = func(v *view) int {
					if v.missing&(1<<bit) != 0 {
						return 0
					}
					return rows(v)
				}
			}
		}
	}

	if !slices.IsSortedFunc(m.cols, func(a, b column) int { return cmpOID(a.oid, b.oid) }) {
		panic("snmpagent: MIB columns out of order") // a programming error caught by every test
	}
	return m
}

// appendValue appends a value.
func appendValue(e *ber.Encoder, v *value) {
	switch v.tag {
	case tagInteger:
		e.Int(tagInteger, v.i)
	case tagOctetString, tagIPAddress:
		if v.b != nil {
			e.Bytes(v.tag, v.b)
		} else {
			e.String(v.tag, v.s)
		}
	case tagOID:
		e.OID(v.oid)
	case tagCounter32, tagGauge32, tagTimeTicks, tagCounter64:
		e.Uint(v.tag, v.u)
	default:
		e.Null(v.tag)
	}
}
