package snmp

import (
	"encoding/hex"
	"net/netip"
	"strings"
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

type lldpRow struct {
	n                       LLDPNeighbor
	chassisSub, portSub     int
	chassisRaw, portRaw     []byte
	haveChassis, havePortID bool
}

type lldpLocPort struct {
	sub       int
	id, descr string
}

// lldpDecoder joins lldpRemTable columns by index and names local ports.
type lldpDecoder struct {
	rows  []lldpRow
	byIdx map[[3]uint32]int
	local map[int32]*lldpLocPort
	bad   int
}

func (d *lldpDecoder) reset() {
	d.rows = d.rows[:0]
	if d.byIdx == nil {
		d.byIdx = make(map[[3]uint32]int, 16)
		d.local = make(map[int32]*lldpLocPort, 16)
	}
	clear(d.byIdx)
	clear(d.local)
	d.bad = 0
}

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
			var b []byte
			b, ok = asBytes(v)
			lp.id = formatPortID(lp.sub, b)
		case lldpColLocPortDesc:
			lp.descr, ok = asText(v)
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
		var b []byte
		b, ok = asBytes(v)
		r.chassisRaw = append(r.chassisRaw[:0], b...) // b aliases the answer
		r.haveChassis = ok
	case lldpColPortIDSubtype:
		r.portSub, ok = asInt(v)
	case lldpColPortID:
		var b []byte
		b, ok = asBytes(v)
		r.portRaw = append(r.portRaw[:0], b...)
		r.havePortID = ok
	case lldpColPortDesc:
		r.n.PortDescr, ok = asText(v)
	case lldpColSysName:
		r.n.SysName, ok = asText(v)
	}
	if !ok {
		d.bad++
	}
}

// finish resolves ids and local port names. ifNames maps ifIndex to
// ifName, used when the agent has no lldpLocPortTable (the local port
// number is then usually the ifIndex).
func (d *lldpDecoder) finish(ifNames func(int32) string) []LLDPNeighbor {
	out := make([]LLDPNeighbor, 0, len(d.rows))
	for i := range d.rows {
		r := &d.rows[i]
		n := r.n
		if r.haveChassis {
			n.ChassisID = formatChassisID(r.chassisSub, r.chassisRaw)
		}
		if r.havePortID {
			n.PortID = formatPortID(r.portSub, r.portRaw)
		}
		if lp := d.local[n.LocalPortNum]; lp != nil {
			switch {
			case lp.id != "" && (lp.sub == portSubtypeIfName || lp.sub == portSubtypeIfAlias || lp.sub == portSubtypeLocal):
				n.LocalPort = lp.id
			case lp.descr != "":
				n.LocalPort = lp.descr
			default:
				n.LocalPort = lp.id
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
	switch subtype {
	case chassisSubtypeMAC:
		return formatMAC(b)
	case chassisSubtypeNetwork:
		return formatNetworkAddress(b)
	}
	return textOrHex(b)
}

// formatPortID is formatChassisID for port ids.
func formatPortID(subtype int, b []byte) string {
	switch subtype {
	case portSubtypeMAC:
		return formatMAC(b)
	case portSubtypeNetwork:
		return formatNetworkAddress(b)
	}
	return textOrHex(b)
}

func formatMAC(b []byte) string {
	if len(b) != 6 {
		return textOrHex(b)
	}
	return hexColons(b)
}

func hexColons(b []byte) string {
	var sb strings.Builder
	sb.Grow(len(b) * 3)
	for i, c := range b {
		if i > 0 {
			sb.WriteByte(':')
		}
		sb.WriteString(hex.EncodeToString([]byte{c}))
	}
	return sb.String()
}

// formatNetworkAddress decodes an IANA address-family-prefixed address.
func formatNetworkAddress(b []byte) string {
	if len(b) == 5 && b[0] == 1 {
		return netip.AddrFrom4([4]byte(b[1:])).String()
	}
	if len(b) == 17 && b[0] == 2 {
		return netip.AddrFrom16([16]byte(b[1:])).String()
	}
	return textOrHex(b)
}

func textOrHex(b []byte) string {
	s := printable(b)
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return hexColons(b)
		}
	}
	return s
}
