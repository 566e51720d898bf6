package snmp

import (
	"net/netip"
	"slices"
	"time"

	"github.com/gosnmp/gosnmp"
)

// BGP4-MIB (RFC 4273): bgpPeerTable, indexed by bgpPeerRemoteAddr.
const (
	oidBgpPeerEntry                    = ".1.3.6.1.2.1.15.3.1"   // BGP4-MIB::bgpPeerEntry
	oidBgpPeerIdentifier               = oidBgpPeerEntry + ".1"  // BGP4-MIB::bgpPeerIdentifier, IpAddress
	oidBgpPeerState                    = oidBgpPeerEntry + ".2"  // BGP4-MIB::bgpPeerState, idle(1) .. established(6)
	oidBgpPeerAdminStatus              = oidBgpPeerEntry + ".3"  // BGP4-MIB::bgpPeerAdminStatus, stop(1) start(2)
	oidBgpPeerLocalAddr                = oidBgpPeerEntry + ".5"  // BGP4-MIB::bgpPeerLocalAddr, IpAddress
	oidBgpPeerRemoteAs                 = oidBgpPeerEntry + ".9"  // BGP4-MIB::bgpPeerRemoteAs, INTEGER (0..65535)
	oidBgpPeerFsmEstablishedTransition = oidBgpPeerEntry + ".15" // BGP4-MIB::bgpPeerFsmEstablishedTransitions, Counter32
	oidBgpPeerFsmEstablishedTime       = oidBgpPeerEntry + ".16" // BGP4-MIB::bgpPeerFsmEstablishedTime, Gauge32 seconds
)

// Column positions in bgpColumnOIDs.
const (
	bgpColIdentifier = iota
	bgpColState
	bgpColAdminStatus
	bgpColLocalAddr
	bgpColRemoteAs
	bgpColTransitions
	bgpColEstablishedTime
	bgpColCount
)

// bgpColumnOIDs returns the BGP4-MIB columns in bgpCol* order.
func bgpColumnOIDs() []string {
	return []string{oidBgpPeerIdentifier, oidBgpPeerState, oidBgpPeerAdminStatus, oidBgpPeerLocalAddr,
		oidBgpPeerRemoteAs, oidBgpPeerFsmEstablishedTransition, oidBgpPeerFsmEstablishedTime}
}

// bgpDecoder joins bgpPeerTable columns by remote address.
type bgpDecoder struct {
	rows  []BGPPeer
	has   []BGPColumns // per row: the columns answered
	byIdx map[netip.Addr]int
	bad   int
}

func (d *bgpDecoder) reset() {
	d.rows, d.has = d.rows[:0], d.has[:0]
	if d.byIdx == nil {
		d.byIdx = make(map[netip.Addr]int, 8)
	}
	clear(d.byIdx)
	d.bad = 0
}

// ipv4Index reads a four-sub-identifier IpAddress index.
func ipv4Index(idx []uint32) (netip.Addr, bool) {
	if len(idx) != 4 {
		return netip.Addr{}, false
	}
	var a [4]byte
	for i, x := range idx {
		if x > 255 {
			return netip.Addr{}, false
		}
		a[i] = byte(x)
	}
	return netip.AddrFrom4(a), true
}

// asIPAddress returns an IpAddress varbind (4 octets, or 16 from agents
// that put IPv6 there).
func asIPAddress(v *varbind) (netip.Addr, bool) {
	if v.typ != gosnmp.IPAddress {
		return netip.Addr{}, false
	}
	a, ok := netip.AddrFromSlice(v.val)
	if !ok {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}

func (d *bgpDecoder) add(col int, index []uint32, v *varbind) {
	remote, ok := ipv4Index(index)
	if !ok {
		d.bad++
		return
	}
	i, seen := d.byIdx[remote]
	if !seen {
		i = len(d.rows)
		d.rows = append(d.rows, BGPPeer{Remote: remote})
		d.has = append(d.has, 0)
		d.byIdx[remote] = i
	}
	p := &d.rows[i]
	var n uint64
	var c BGPColumns
	switch col {
	case bgpColIdentifier:
		p.RemoteID, ok = asIPAddress(v)
	case bgpColLocalAddr:
		p.Local, ok = asIPAddress(v)
	case bgpColState:
		p.State, ok = asInt(v)
		ok = ok && p.State >= 1 && p.State <= 6
		c = BGPColState
	case bgpColAdminStatus:
		var s int
		s, ok = asInt(v)
		p.AdminUp = s == 2
		c = BGPColAdminStatus
	case bgpColRemoteAs:
		var as int
		as, ok = asInt(v)
		ok = ok && as >= 0 && as <= 1<<32-1
		p.RemoteAS = uint32(as)
		c = BGPColRemoteAS
	case bgpColTransitions:
		n, ok = asCounter(v, gosnmp.Counter32)
		p.FSMEstablishedTransitions = uint32(n)
		c = BGPColTransitions
	case bgpColEstablishedTime:
		n, ok = asCounter(v, gosnmp.Gauge32)
		p.FSMEstablishedTime = time.Duration(n) * time.Second
		c = BGPColEstablishedTime
	}
	if !ok {
		d.bad++
		return
	}
	d.has[i] |= c
}

// finish returns the peers sorted by remote address; the slice is a copy.
func (d *bgpDecoder) finish() []BGPPeer {
	out := slices.Clone(d.rows)
	for i := range out {
		out[i].Missing = bgpColumnsAll &^ d.has[i]
	}
	slices.SortFunc(out, func(a, b BGPPeer) int { return a.Remote.Compare(b.Remote) })
	return out
}
