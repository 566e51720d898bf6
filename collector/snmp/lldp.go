package snmp

import (
	"net/netip"
	"unicode"
)

// LLDP-MIB (IEEE 802.1AB-2005): the remote systems table, and the local
// port table that names lldpRemLocalPortNum.
const (
	oidLldpRemEntry           = ".1.0.8802.1.1.2.1.4.1.1"  // LLDP-MIB::lldpRemEntry, index TimeMark.LocalPortNum.RemIndex
	oidLldpRemChassisIDSubtyp = oidLldpRemEntry + ".4"     // LLDP-MIB::lldpRemChassisIdSubtype
	oidLldpRemChassisID       = oidLldpRemEntry + ".5"     // LLDP-MIB::lldpRemChassisId
	oidLldpRemPortIDSubtype   = oidLldpRemEntry + ".6"     // LLDP-MIB::lldpRemPortIdSubtype
	oidLldpRemPortID          = oidLldpRemEntry + ".7"     // LLDP-MIB::lldpRemPortId
	oidLldpRemPortDesc        = oidLldpRemEntry + ".8"     // LLDP-MIB::lldpRemPortDesc
	oidLldpRemSysName         = oidLldpRemEntry + ".9"     // LLDP-MIB::lldpRemSysName
	oidLldpLocPortEntry       = ".1.0.8802.1.1.2.1.3.7.1"  // LLDP-MIB::lldpLocPortEntry, index LocalPortNum
	oidLldpLocPortIDSubtype   = oidLldpLocPortEntry + ".2" // LLDP-MIB::lldpLocPortIdSubtype
	oidLldpLocPortID          = oidLldpLocPortEntry + ".3" // LLDP-MIB::lldpLocPortId
	oidLldpLocPortDesc        = oidLldpLocPortEntry + ".4" // LLDP-MIB::lldpLocPortDesc
)

// Column positions in lldpColumnOIDs.
const (
	lldpColChassisIDSubtype = iota
	lldpColChassisID
	lldpColPortIDSubtype
	lldpColPortID
	lldpColPortDesc
	lldpColSysName
	lldpColLocPortIDSubtype
	lldpColLocPortID
	lldpColLocPortDesc
	lldpColCount
)

// lldpColumnOIDs returns the LLDP-MIB columns in lldpCol* order.
func lldpColumnOIDs() []string {
	return []string{oidLldpRemChassisIDSubtyp, oidLldpRemChassisID, oidLldpRemPortIDSubtype, oidLldpRemPortID,
		oidLldpRemPortDesc, oidLldpRemSysName, oidLldpLocPortIDSubtype, oidLldpLocPortID, oidLldpLocPortDesc}
}

// LLDP chassis and port id subtypes (LldpChassisIdSubtype, LldpPortIdSubtype).
const (
	chassisSubtypeMAC     = 4
	chassisSubtypeNetwork = 5
	portSubtypeMAC        = 3
	portSubtypeNetwork    = 4
	portSubtypeIfName     = 5
	portSubtypeLocal      = 7
	portSubtypeIfAlias    = 1
)

// span is a value's bytes in lldpDecoder.raw.
type span struct{ off, n int }

// lldpRow is one neighbour while its columns arrive. Its byte values are
// copied into the decoder's arena (the answer's buffer is reused by the
// next request) and turned into strings by finish, which reuses the
// previous poll's strings when nothing changed.
type lldpRow struct {
	n                                LLDPNeighbor
	chassisSub, portSub              int
	chassis, portID, portDesc, sysNm span
	haveChassis, havePortID          bool
	havePortDesc, haveSysName        bool
}

type lldpLocPort struct {
	sub               int
	id, descr         span
	haveID, haveDescr bool
}

// lldpDecoder joins lldpRemTable columns by index and names local ports.
type lldpDecoder struct {
	rows    []lldpRow
	byIdx   map[[3]uint32]int
	local   map[int32]*lldpLocPort
	raw     []byte // byte values of this poll's rows
	scratch []byte // one formatted id at a time
	bad     int
}

func (d *lldpDecoder) reset() {
	d.rows = d.rows[:0]
	d.raw = d.raw[:0]
	if d.byIdx == nil {
		d.byIdx = make(map[[3]uint32]int, 16)
		d.local = make(map[int32]*lldpLocPort, 16)
	}
	clear(d.byIdx)
	clear(d.local)
	d.bad = 0
}

// keep copies an OCTET STRING value into the arena.
func (d *lldpDecoder) keep(v *varbind) (span, bool) {
	b, ok := asBytes(v)
	if !ok {
		return span{}, false
	}
	sp := span{off: len(d.raw), n: len(b)}
	d.raw = append(d.raw, b...)
	return sp, true
}

func (d *lldpDecoder) bytes(sp span) []byte { return d.raw[sp.off : sp.off+sp.n] }

// lldpRemIndex reads the index TimeMark.LocalPortNum.RemIndex.
func lldpRemIndex(index []uint32) (key [3]uint32, localPort int32, ok bool) {
	if len(index) != 3 || index[1] > 1<<31-1 || index[2] > 1<<31-1 {
		return key, 0, false
	}
	return [3]uint32(index), int32(index[1]), true
}

func (d *lldpDecoder) add(col int, index []uint32, v *varbind) {
	ok := false
	if col >= lldpColLocPortIDSubtype {
		num, good := index32(index)
		if !good {
			d.bad++
			return
		}
		lp := d.local[num]
		if lp == nil {
			lp = &lldpLocPort{}
			d.local[num] = lp
		}
		switch col {
		case lldpColLocPortIDSubtype:
			lp.sub, ok = asInt(v)
		case lldpColLocPortID:
			lp.id, ok = d.keep(v)
			lp.haveID = ok
		case lldpColLocPortDesc:
			lp.descr, ok = d.keep(v)
			lp.haveDescr = ok
		}
		if !ok {
			d.bad++
		}
		return
	}
	key, localPort, good := lldpRemIndex(index)
	if !good {
		d.bad++
		return
	}
	i, seen := d.byIdx[key]
	if !seen {
		i = len(d.rows)
		d.rows = append(d.rows, lldpRow{n: LLDPNeighbor{LocalPortNum: localPort}})
		d.byIdx[key] = i
	}
	r := &d.rows[i]
	switch col {
	case lldpColChassisIDSubtype:
		r.chassisSub, ok = asInt(v)
	case lldpColChassisID:
		r.chassis, ok = d.keep(v)
		r.haveChassis = ok
	case lldpColPortIDSubtype:
		r.portSub, ok = asInt(v)
	case lldpColPortID:
		r.portID, ok = d.keep(v)
		r.havePortID = ok
	case lldpColPortDesc:
		r.portDesc, ok = d.keep(v)
		r.havePortDesc = ok
	case lldpColSysName:
		r.sysNm, ok = d.keep(v)
		r.haveSysName = ok
	}
	if !ok {
		d.bad++
	}
}

// finish resolves ids and local port names. ifNames maps ifIndex to
// ifName, used when the agent has no lldpLocPortTable (the local port
// number is then usually the ifIndex). prev is the previous poll's
// neighbours: a neighbour at the same position on the same local port
// keeps the strings that did not change, so that a steady table costs no
// allocation beyond the returned slice.
func (d *lldpDecoder) finish(ifNames func(int32) string, prev []LLDPNeighbor) []LLDPNeighbor {
	out := make([]LLDPNeighbor, 0, len(d.rows))
	for i := range d.rows {
		r := &d.rows[i]
		n := r.n
		var p LLDPNeighbor
		if i < len(prev) && prev[i].LocalPortNum == n.LocalPortNum {
			p = prev[i]
		}
		if r.haveChassis {
			d.scratch = appendChassisID(d.scratch[:0], r.chassisSub, d.bytes(r.chassis))
			n.ChassisID = sameOrNew(p.ChassisID, d.scratch)
		}
		if r.havePortID {
			d.scratch = appendPortID(d.scratch[:0], r.portSub, d.bytes(r.portID))
			n.PortID = sameOrNew(p.PortID, d.scratch)
		}
		if r.havePortDesc {
			n.PortDescr = text(p.PortDescr, d.bytes(r.portDesc))
		}
		if r.haveSysName {
			n.SysName = text(p.SysName, d.bytes(r.sysNm))
		}
		if lp := d.local[n.LocalPortNum]; lp != nil {
			d.scratch = d.scratch[:0]
			if lp.haveID {
				d.scratch = appendPortID(d.scratch, lp.sub, d.bytes(lp.id))
			}
			switch {
			case len(d.scratch) > 0 && (lp.sub == portSubtypeIfName || lp.sub == portSubtypeIfAlias || lp.sub == portSubtypeLocal):
				n.LocalPort = sameOrNew(p.LocalPort, d.scratch)
			case lp.haveDescr && lp.descr.n > 0:
				n.LocalPort = text(p.LocalPort, d.bytes(lp.descr))
			default:
				n.LocalPort = sameOrNew(p.LocalPort, d.scratch)
			}
		}
		if n.LocalPort == "" && ifNames != nil {
			n.LocalPort = ifNames(n.LocalPortNum)
		}
		out = append(out, n)
	}
	return out
}

// formatChassisID prints a chassis id the way operators read it: MACs as
// aa:bb:cc:dd:ee:ff, network addresses as IPs, text as text, the rest hex.
func formatChassisID(subtype int, b []byte) string {
	return string(appendChassisID(nil, subtype, b))
}

// formatPortID is formatChassisID for port ids.
func formatPortID(subtype int, b []byte) string {
	return string(appendPortID(nil, subtype, b))
}

func appendChassisID(dst []byte, subtype int, b []byte) []byte {
	switch subtype {
	case chassisSubtypeMAC:
		return appendMAC(dst, b)
	case chassisSubtypeNetwork:
		return appendNetworkAddress(dst, b)
	}
	return appendTextOrHex(dst, b)
}

func appendPortID(dst []byte, subtype int, b []byte) []byte {
	switch subtype {
	case portSubtypeMAC:
		return appendMAC(dst, b)
	case portSubtypeNetwork:
		return appendNetworkAddress(dst, b)
	}
	return appendTextOrHex(dst, b)
}

func appendMAC(dst, b []byte) []byte {
	if len(b) != 6 {
		return appendTextOrHex(dst, b)
	}
	return appendHexColons(dst, b)
}

func hexColons(b []byte) string { return string(appendHexColons(make([]byte, 0, 64), b)) }

func appendHexColons(dst, b []byte) []byte {
	const digits = "0123456789abcdef"
	for i, c := range b {
		if i > 0 {
			dst = append(dst, ':')
		}
		dst = append(dst, digits[c>>4], digits[c&0xf])
	}
	return dst
}

// appendNetworkAddress decodes an IANA address-family-prefixed address.
func appendNetworkAddress(dst, b []byte) []byte {
	if len(b) == 5 && b[0] == 1 {
		return netip.AddrFrom4([4]byte(b[1:])).AppendTo(dst)
	}
	if len(b) == 17 && b[0] == 2 {
		return netip.AddrFrom16([16]byte(b[1:])).AppendTo(dst)
	}
	return appendTextOrHex(dst, b)
}

func appendTextOrHex(dst, b []byte) []byte {
	start := len(dst)
	dst = appendPrintable(dst, b)
	for _, r := range string(dst[start:]) {
		if !unicode.IsPrint(r) {
			return appendHexColons(dst[:start], b)
		}
	}
	return dst
}
