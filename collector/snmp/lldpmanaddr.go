package snmp

// lldpmanaddr.go reads LLDP-MIB's lldpRemManAddrTable: the management
// addresses the neighbours advertise, which is what a discovery crawl
// (vigie discover) follows from one device to the next. The daemon's polls
// do not read it (TableNeighborAddrs is not a polling.tables word).

import "net/netip"

// LLDP-MIB lldpRemManAddrTable. Its address is in the INDEX, after the
// neighbour's: lldpRemTimeMark, lldpRemLocalPortNum, lldpRemIndex,
// lldpRemManAddrSubtype (AddressFamilyNumbers), lldpRemManAddr (an OCTET
// STRING index: its length, then its octets). The table's readable columns
// say how the address relates to an interface; the walk reads only the
// first, which every row has, for its index.
const (
	oidLldpRemManAddrEntry     = ".1.0.8802.1.1.2.1.4.2.1"     // LLDP-MIB::lldpRemManAddrEntry
	oidLldpRemManAddrIfSubtype = oidLldpRemManAddrEntry + ".3" // LLDP-MIB::lldpRemManAddrIfSubtype
)

// lldpManAddrColumnOIDs returns the lldpRemManAddrTable columns walked.
func lldpManAddrColumnOIDs() []string { return []string{oidLldpRemManAddrIfSubtype} }

// AddressFamilyNumbers (IANA) of the management addresses vigie decodes.
const (
	addrFamilyIPv4 = 1
	addrFamilyIPv6 = 2
)

// LLDPManAddr is one row of LLDP-MIB lldpRemManAddrTable: an address a
// neighbour advertises to reach its management agent.
type LLDPManAddr struct {
	// Neighbor is the row of Poll.LLDP this address belongs to, -1 when
	// the poll has no such neighbour (the lldpRemTable was not read, or
	// changed between the two walks).
	Neighbor int
	// LocalPortNum is the lldpRemLocalPortNum of the index.
	LocalPortNum int32
	Addr         netip.Addr
}

// manAddrRow is one decoded row, before it is joined to the neighbours.
type manAddrRow struct {
	key  [3]uint32
	addr netip.Addr
}

// lldpManAddrDecoder decodes lldpRemManAddrTable indexes.
type lldpManAddrDecoder struct {
	rows []manAddrRow
	// other counts rows of a family vigie does not follow (a MAC, an
	// E.164 number): not faults.
	other int
	bad   int
}

func (d *lldpManAddrDecoder) reset() {
	d.rows = d.rows[:0]
	d.other, d.bad = 0, 0
}

// add decodes one varbind's index; the value itself (the interface
// numbering subtype) is not needed.
func (d *lldpManAddrDecoder) add(_ int, index []uint32, _ *varbind) {
	key, addr, ok, known := lldpManAddrIndex(index)
	switch {
	case !ok:
		d.bad++
	case !known:
		d.other++
	default:
		d.rows = append(d.rows, manAddrRow{key: key, addr: addr})
	}
}

// lldpManAddrIndex reads TimeMark.LocalPortNum.RemIndex.Subtype.Len.Octets.
// ok is false for an index that does not have that shape (or an IPv4 or
// IPv6 address of the wrong length); known is false for a well-formed
// address of another family.
func lldpManAddrIndex(index []uint32) (key [3]uint32, addr netip.Addr, ok, known bool) {
	if len(index) < 5 {
		return key, addr, false, false
	}
	key, _, good := lldpRemIndex(index[:3])
	n := index[4]
	if !good || n < 1 || n > 31 || uint32(len(index)-5) != n {
		return key, addr, false, false
	}
	octets := index[5:]
	var b [16]byte
	for i, o := range octets {
		if o > 255 {
			return key, addr, false, false
		}
		if i < len(b) {
			b[i] = byte(o)
		}
	}
	switch index[3] {
	case addrFamilyIPv4:
		if n != 4 {
			return key, addr, false, false
		}
		return key, netip.AddrFrom4([4]byte(b[:4])), true, true
	case addrFamilyIPv6:
		if n != 16 {
			return key, addr, false, false
		}
		return key, netip.AddrFrom16(b).Unmap(), true, true
	}
	return key, addr, true, false
}

// finish joins the addresses to the neighbours of the LLDP decoder (whose
// rows are Poll.LLDP in order, when haveLLDP).
func (d *lldpManAddrDecoder) finish(lldp *lldpDecoder, haveLLDP bool) []LLDPManAddr {
	out := make([]LLDPManAddr, 0, len(d.rows))
	for _, r := range d.rows {
		m := LLDPManAddr{Neighbor: -1, LocalPortNum: int32(r.key[1]), Addr: r.addr}
		if haveLLDP {
			if i, ok := lldp.byIdx[r.key]; ok {
				m.Neighbor = i
			}
		}
		out = append(out, m)
	}
	return out
}
