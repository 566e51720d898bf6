package snmp

// bgpvendor.go reads the BGP peer tables of Cisco's and Juniper's own MIBs.
// BGP4-MIB's bgpPeerTable is indexed by an IpAddress, so it shows IPv4
// peers only; these tables index peers by InetAddressType + InetAddress
// and count the prefixes accepted per address family, which is what shows
// the IPv6 and VPNv4 sessions of PE routers.
//
// They are walked only on devices that have them: a device whose
// sysObjectID is Cisco's (Juniper's) is probed for the table's first
// column in its second poll, read at every poll once it showed a row, and
// probed again every bgpVendorRetryPolls polls while it shows none. Other
// devices cost nothing more.

import (
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gosnmp/gosnmp"
	"github.com/vigie-rie/vigie/inventory"
)

// CISCO-BGP4-MIB (ciscoMgmt 187, revision 2010-09-30 and later):
// cbgpPeer2Table, INDEX { cbgpPeer2Type, cbgpPeer2RemoteAddr }, and
// cbgpPeer2AddrFamilyPrefixTable, INDEX { cbgpPeer2Type,
// cbgpPeer2RemoteAddr, cbgpPeer2AddrFamilyAfi, cbgpPeer2AddrFamilySafi }.
// Peers of VRFs are in cbgpPeer3Table, which vigie does not read.
const (
	oidCbgpPeer2Entry                     = ".1.3.6.1.4.1.9.9.187.1.2.5.1" // CISCO-BGP4-MIB::cbgpPeer2Entry
	oidCbgpPeer2State                     = oidCbgpPeer2Entry + ".3"       // INTEGER idle(1) .. established(6)
	oidCbgpPeer2AdminStatus               = oidCbgpPeer2Entry + ".4"       // INTEGER stop(1) start(2)
	oidCbgpPeer2LocalAddr                 = oidCbgpPeer2Entry + ".6"       // InetAddress (OCTET STRING)
	oidCbgpPeer2RemoteAs                  = oidCbgpPeer2Entry + ".11"      // InetAutonomousSystemNumber (Unsigned32)
	oidCbgpPeer2RemoteIdentifier          = oidCbgpPeer2Entry + ".12"      // IpAddress
	oidCbgpPeer2FsmEstablishedTransitions = oidCbgpPeer2Entry + ".18"      // Counter32
	oidCbgpPeer2FsmEstablishedTime        = oidCbgpPeer2Entry + ".19"      // Gauge32, seconds
	// CISCO-BGP4-MIB::cbgpPeer2AcceptedPrefixes (cbgpPeer2AddrFamilyPrefixEntry 1), Counter32.
	oidCbgpPeer2AcceptedPrefixes = ".1.3.6.1.4.1.9.9.187.1.2.8.1.1"
)

// BGP4-V2-MIB-JUNIPER (jnxBgpM2, 1.3.6.1.4.1.2636.5.1.1): jnxBgpM2PeerTable,
// INDEX { jnxBgpM2PeerRoutingInstance, jnxBgpM2PeerLocalAddrType,
// jnxBgpM2PeerLocalAddr, jnxBgpM2PeerRemoteAddrType, jnxBgpM2PeerRemoteAddr },
// the tables that AUGMENT it (event times, counters), and
// jnxBgpM2PrefixCountersTable, INDEX { jnxBgpM2PeerIndex,
// jnxBgpM2PrefixCountersAfi, jnxBgpM2PrefixCountersSafi }.
const (
	oidJnxBgpM2PeerEntry      = ".1.3.6.1.4.1.2636.5.1.1.2.1.1.1" // BGP4-V2-MIB-JUNIPER::jnxBgpM2PeerEntry
	oidJnxBgpM2PeerIdentifier = oidJnxBgpM2PeerEntry + ".1"       // JnxBgpM2Identifier, OCTET STRING (SIZE (4))
	oidJnxBgpM2PeerState      = oidJnxBgpM2PeerEntry + ".2"       // INTEGER idle(1) .. established(6)
	oidJnxBgpM2PeerStatus     = oidJnxBgpM2PeerEntry + ".3"       // INTEGER halted(1) running(2)
	oidJnxBgpM2PeerRemoteAs   = oidJnxBgpM2PeerEntry + ".13"      // InetAutonomousSystemNumber (Unsigned32)
	oidJnxBgpM2PeerIndex      = oidJnxBgpM2PeerEntry + ".14"      // Unsigned32: the prefix counters' index
	// jnxBgpM2PeerEventTimesEntry 1, Gauge32 seconds.
	oidJnxBgpM2PeerFsmEstablishedTime = ".1.3.6.1.4.1.2636.5.1.1.2.4.1.1.1"
	// jnxBgpM2PeerCountersEntry 5, Counter32.
	oidJnxBgpM2PeerFsmEstablishedTrans = ".1.3.6.1.4.1.2636.5.1.1.2.6.1.1.5"
	// jnxBgpM2PrefixCountersEntry 8, Gauge32.
	oidJnxBgpM2PrefixInPrefixesAccepted = ".1.3.6.1.4.1.2636.5.1.1.2.6.2.1.8"
)

// Column positions in ciscoBGPColumnOIDs and juniperBGPColumnOIDs. The first
// column of each is the one a probe reads.
const (
	cbgpColState = iota
	cbgpColAdminStatus
	cbgpColLocalAddr
	cbgpColRemoteAs
	cbgpColRemoteID
	cbgpColTransitions
	cbgpColEstablishedTime
	cbgpColAccepted
)

const (
	jbgpColState = iota
	jbgpColStatus
	jbgpColIdentifier
	jbgpColRemoteAs
	jbgpColPeerIndex
	jbgpColEstablishedTime
	jbgpColTransitions
	jbgpColAccepted
)

func ciscoBGPColumnOIDs() []string {
	return []string{oidCbgpPeer2State, oidCbgpPeer2AdminStatus, oidCbgpPeer2LocalAddr, oidCbgpPeer2RemoteAs,
		oidCbgpPeer2RemoteIdentifier, oidCbgpPeer2FsmEstablishedTransitions, oidCbgpPeer2FsmEstablishedTime,
		oidCbgpPeer2AcceptedPrefixes}
}

func juniperBGPColumnOIDs() []string {
	return []string{oidJnxBgpM2PeerState, oidJnxBgpM2PeerStatus, oidJnxBgpM2PeerIdentifier, oidJnxBgpM2PeerRemoteAs,
		oidJnxBgpM2PeerIndex, oidJnxBgpM2PeerFsmEstablishedTime, oidJnxBgpM2PeerFsmEstablishedTrans,
		oidJnxBgpM2PrefixInPrefixesAccepted}
}

// bgpVendorRetryPolls is how many polls a device whose vendor peer table
// was probed empty goes without it (as cdpRetryPolls for CDP).
const bgpVendorRetryPolls = 60

// Enterprise prefixes of sysObjectID (SNMPv2-SMI enterprises.9 is
// ciscoSystems, enterprises.2636 juniperMIB).
const (
	ciscoEnterprise   = ".1.3.6.1.4.1.9."
	juniperEnterprise = ".1.3.6.1.4.1.2636."
)

// bgpVendorProbe is what a DeviceState remembers of one vendor peer table.
type bgpVendorProbe struct {
	// seen says a probe or a walk showed a row: the table is then read
	// in full at every poll. Until then skip counts the polls to go
	// before the next probe.
	seen bool
	skip uint8
	// probing says the walk under way reads the first column only.
	probing bool
}

// vendorBGPTable names the peer table of a vendor slot, for problems.
func vendorBGPTable(slot int) string {
	if slot == tableSlotJuniperBGP {
		return "BGP4-V2-MIB-JUNIPER jnxBgpM2PeerTable"
	}
	return "CISCO-BGP4-MIB cbgpPeer2Table"
}

// isVendorBGPSlot reports whether slot is one of the vendor peer tables.
func isVendorBGPSlot(slot int) bool { return slot == tableSlotCiscoBGP || slot == tableSlotJuniperBGP }

// planVendorBGP says whether the vendor peer table of slot is walked in this
// poll, and sets its columns: all of them for a device that showed the
// table, its first column for a probe. Only devices whose sysObjectID (from
// their previous poll: none in the first) is the vendor's are asked.
func (s *session) planVendorBGP(slot int, st *DeviceState) bool {
	pr, cols, enterprise := &st.bgpCisco, s.cbgpCols, ciscoEnterprise
	if slot == tableSlotJuniperBGP {
		pr, cols, enterprise = &st.bgpJuniper, s.jbgpCols, juniperEnterprise
	}
	pr.probing = false
	if !strings.HasPrefix(st.prevSys.ObjectID, enterprise) {
		return false
	}
	w := &s.tables[slot]
	if pr.seen {
		w.cols = cols
		return true
	}
	if pr.skip > 0 {
		pr.skip--
		return false
	}
	pr.probing = true
	w.cols = cols[:1]
	if st.rowHint[slot] == 0 {
		// Expect no row (most devices of the vendor have no BGP), so that
		// the probe rides along at the other tables' sizes.
		st.rowHint[slot] = 1
	}
	return true
}

// finishVendorBGP returns the peers of a vendor table walked in this poll,
// their prefixes, and what its decoder skipped. A probe returns none (its
// rows have only their state): it only says whether the table is there.
func (s *session) finishVendorBGP(w *tableWalk, st *DeviceState) (peers []BGPPeer, pfx []BGPPrefixes, bad int) {
	pr := &st.bgpCisco
	if w.slot == tableSlotJuniperBGP {
		pr = &st.bgpJuniper
	}
	var n int
	if w.slot == tableSlotCiscoBGP {
		n, bad = len(s.cbgpd.rows), s.cbgpd.bad
	} else {
		n, bad = len(s.jbgpd.rows), s.jbgpd.bad
	}
	if pr.probing {
		pr.probing = false
		switch {
		case n > 0:
			pr.seen = true
		case len(w.problems) == 0:
			pr.skip = bgpVendorRetryPolls
		}
		return nil, nil, bad
	}
	if w.slot == tableSlotCiscoBGP {
		peers, pfx = s.cbgpd.finish()
	} else {
		peers, pfx = s.jbgpd.finish()
	}
	return peers, pfx, bad
}

// mergeBGPPeers returns the peers of BGP4-MIB and of the vendor tables,
// each remote address once: the vendor's row, with the columns it lacks
// taken from BGP4-MIB's row of the same peer. The result is sorted by
// remote address.
func mergeBGPPeers(bgp4, vendor []BGPPeer) []BGPPeer {
	out := make([]BGPPeer, 0, len(bgp4)+len(vendor))
	out = append(out, vendor...)
	slices.SortStableFunc(out, func(a, b BGPPeer) int { return a.Remote.Compare(b.Remote) })
	out = slices.CompactFunc(out, func(a, b BGPPeer) bool { return a.Remote == b.Remote })
	n := len(out)
	for i := range bgp4 {
		b := &bgp4[i]
		j, found := slices.BinarySearchFunc(out[:n], b.Remote, func(p BGPPeer, a netip.Addr) int { return p.Remote.Compare(a) })
		if !found {
			out = append(out, *b)
			continue
		}
		fillFrom(&out[j], b)
	}
	slices.SortStableFunc(out, func(a, b BGPPeer) int { return a.Remote.Compare(b.Remote) })
	return out
}

// fillFrom copies into p the columns p lacks and b has.
func fillFrom(p, b *BGPPeer) {
	take := p.Missing &^ b.Missing
	if take&BGPColState != 0 {
		p.State = b.State
	}
	if take&BGPColAdminStatus != 0 {
		p.AdminUp = b.AdminUp
	}
	if take&BGPColRemoteAS != 0 {
		p.RemoteAS = b.RemoteAS
	}
	if take&BGPColTransitions != 0 {
		p.FSMEstablishedTransitions = b.FSMEstablishedTransitions
	}
	if take&BGPColEstablishedTime != 0 {
		p.FSMEstablishedTime = b.FSMEstablishedTime
	}
	p.Missing &^= take
	if !p.Local.IsValid() {
		p.Local = b.Local
	}
	if !p.RemoteID.IsValid() {
		p.RemoteID = b.RemoteID
	}
}

// InetAddressType values (INET-ADDRESS-MIB, RFC 4001) and the length of
// their InetAddress.
var inetAddressLen = [...]int{0: 0, 1: 4, 2: 16, 3: 8, 4: 20} // unknown, ipv4, ipv6, ipv4z, ipv6z

// inetAddress reads an InetAddressType sub-identifier and the InetAddress
// after it from idx, with the address's length before its octets
// (withLen, as RFC 4001 asks of an index that is not IMPLIED) or without
// (as Junos writes jnxBgpM2PeerTable's index, the type giving the length).
// It returns the address (invalid for type unknown(0), which has no
// octets) and what follows it. A zone index (ipv6z) is kept as the
// address's zone; IPv4 addresses have none in Go, so ipv4z loses it.
func inetAddress(idx []uint32, withLen bool) (netip.Addr, []uint32, bool) {
	if len(idx) == 0 || idx[0] >= uint32(len(inetAddressLen)) {
		return netip.Addr{}, nil, false
	}
	t, n := idx[0], inetAddressLen[idx[0]]
	i := 1
	if withLen {
		if len(idx) < 2 || idx[1] != uint32(n) {
			return netip.Addr{}, nil, false
		}
		i = 2
	}
	if len(idx)-i < n {
		return netip.Addr{}, nil, false
	}
	var b [20]byte
	for k, x := range idx[i : i+n] {
		if x > 255 {
			return netip.Addr{}, nil, false
		}
		b[k] = byte(x)
	}
	rest := idx[i+n:]
	switch t {
	case 1, 3:
		return netip.AddrFrom4([4]byte(b[:4])), rest, true
	case 2:
		return netip.AddrFrom16([16]byte(b[:16])), rest, true
	case 4:
		a := netip.AddrFrom16([16]byte(b[:16]))
		if zone := uint32(b[16])<<24 | uint32(b[17])<<16 | uint32(b[18])<<8 | uint32(b[19]); zone != 0 {
			a = a.WithZone(strconv.FormatUint(uint64(zone), 10))
		}
		return a, rest, true
	}
	return netip.Addr{}, rest, true
}

// inetAddressIndex reads an InetAddressType + InetAddress index in RFC
// 4001's form (the address's length before its octets, as Cisco writes
// it) followed by exactly after more sub-identifiers, and returns the
// address and those sub-identifiers. The address must be a valid one.
// (Reading the form without the length too would take a row that lost
// its last sub-identifier for another address.)
func inetAddressIndex(idx []uint32, after int) (netip.Addr, []uint32, bool) {
	a, rest, ok := inetAddress(idx, true)
	if !ok || len(rest) != after || !a.IsValid() {
		return netip.Addr{}, nil, false
	}
	return a, rest, true
}

// ciscoPeerIndex decodes a cbgpPeer2Table index: type, remote address.
func ciscoPeerIndex(idx []uint32) (netip.Addr, bool) {
	a, _, ok := inetAddressIndex(idx, 0)
	return a, ok
}

// ciscoPrefixIndex decodes a cbgpPeer2AddrFamilyPrefixTable index: type,
// remote address, AFI, SAFI.
func ciscoPrefixIndex(idx []uint32) (remote netip.Addr, afi, safi uint32, ok bool) {
	a, rest, ok := inetAddressIndex(idx, 2)
	if !ok {
		return netip.Addr{}, 0, 0, false
	}
	return a, rest[0], rest[1], true
}

// juniperPeerIndex decodes a jnxBgpM2PeerTable index: routing instance,
// local address type and address, remote address type and address. Junos
// writes the addresses without their length; an agent that follows RFC
// 4001 is read too: as every address length is even, the two forms of
// an index differ in length by 2 and a form one sub-identifier short fits
// neither, so no index reads both ways. The local address may be of type
// unknown(0) (a peer that never connected); the remote one must be an
// address.
func juniperPeerIndex(idx []uint32) (instance uint32, local, remote netip.Addr, ok bool) {
	if len(idx) < 1 {
		return 0, netip.Addr{}, netip.Addr{}, false
	}
	for _, withLen := range [2]bool{false, true} {
		l, rest, ok := inetAddress(idx[1:], withLen)
		if !ok {
			continue
		}
		r, rest, ok := inetAddress(rest, withLen)
		if ok && len(rest) == 0 && r.IsValid() {
			return idx[0], l, r, true
		}
	}
	return 0, netip.Addr{}, netip.Addr{}, false
}

// juniperPrefixIndex decodes a jnxBgpM2PrefixCountersTable index:
// jnxBgpM2PeerIndex, AFI, SAFI.
func juniperPrefixIndex(idx []uint32) (peerIndex, afi, safi uint32, ok bool) {
	if len(idx) != 3 {
		return 0, 0, 0, false
	}
	return idx[0], idx[1], idx[2], true
}

// bgpFamily names an AFI/SAFI pair as vigie's BGP families (GoBGP's
// names): the pairs a PE router carries. Others are left out, which keeps
// the label's values few.
func bgpFamily(afi, safi uint32) (string, bool) {
	switch afi<<8 | safi {
	case 1<<8 | 1:
		return inventory.FamilyIPv4Unicast, true
	case 2<<8 | 1:
		return inventory.FamilyIPv6Unicast, true
	case 1<<8 | 128:
		return inventory.FamilyVPNv4, true
	case 2<<8 | 128:
		return inventory.FamilyVPNv6, true
	case 1<<8 | 2:
		return "ipv4-multicast", true
	case 2<<8 | 2:
		return "ipv6-multicast", true
	case 1<<8 | 4:
		return "ipv4-labelled-unicast", true
	case 2<<8 | 4:
		return "ipv6-labelled-unicast", true
	case 25<<8 | 65:
		return "l2vpn-vpls", true
	case 25<<8 | 70:
		return "l2vpn-evpn", true
	}
	return "", false
}

// vendorRow is one peer of a vendor table while its columns arrive.
type vendorRow struct {
	p   BGPPeer
	has BGPColumns
	// peerIndex is jnxBgpM2PeerIndex (hasIndex: answered).
	peerIndex uint32
	hasIndex  bool
}

// prefixRow is one row of a prefix table: its peer (by address for Cisco,
// by jnxBgpM2PeerIndex for Juniper) and family.
type prefixRow struct {
	remote    netip.Addr
	peerIndex uint32
	pfx       BGPPrefixes
	row       int // the peer's row in the decoder, set at finish
}

// peerKey is a vendor table's row: the two ends of the session (Cisco's
// table has the remote one only).
type peerKey struct {
	local, remote netip.Addr
}

// vendorDecoder is what the two vendor decoders share: the rows, by key,
// and the prefix rows.
type vendorDecoder struct {
	rows     []vendorRow
	byKey    map[peerKey]int
	prefixes []prefixRow
	bad      int
}

func (d *vendorDecoder) reset() {
	d.rows, d.prefixes = d.rows[:0], d.prefixes[:0]
	if d.byKey == nil {
		d.byKey = make(map[peerKey]int, 8)
	}
	clear(d.byKey)
	d.bad = 0
}

// row returns the row of key, made with remote when new.
func (d *vendorDecoder) row(key peerKey, remote netip.Addr) *vendorRow {
	i, seen := d.byKey[key]
	if !seen {
		i = len(d.rows)
		d.rows = append(d.rows, vendorRow{p: BGPPeer{Remote: remote}})
		d.byKey[key] = i
	}
	return &d.rows[i]
}

// addPrefix decodes an accepted-prefixes value; a family vigie does not
// name is left out.
func (d *vendorDecoder) addPrefix(remote netip.Addr, peerIndex, afi, safi uint32, v *varbind) {
	switch v.typ {
	case gosnmp.Counter32, gosnmp.Gauge32, gosnmp.Counter64, gosnmp.Uinteger32:
	default:
		d.bad++
		return
	}
	n := v.num
	fam, known := bgpFamily(afi, safi)
	if !known {
		return
	}
	d.prefixes = append(d.prefixes, prefixRow{remote: remote, peerIndex: peerIndex,
		pfx: BGPPrefixes{Family: fam, AFI: uint16(afi), SAFI: uint8(safi), Accepted: n}})
}

// finish returns the peers sorted by remote address and their prefixes
// (prefixRow.row set by the caller, -1 for none: left out) sorted by peer,
// AFI and SAFI. Of two rows with the same remote address the first is
// kept, and of two values for one family of a peer the first.
func (d *vendorDecoder) finish() ([]BGPPeer, []BGPPrefixes) {
	out := make([]BGPPeer, len(d.rows))
	for i := range d.rows {
		out[i] = d.rows[i].p
		out[i].Missing = bgpColumnsAll &^ d.rows[i].has
	}
	slices.SortStableFunc(out, func(a, b BGPPeer) int { return a.Remote.Compare(b.Remote) })
	out = slices.CompactFunc(out, func(a, b BGPPeer) bool { return a.Remote == b.Remote })
	var pfx []BGPPrefixes
	for i := range d.prefixes {
		x := &d.prefixes[i]
		if x.row < 0 {
			continue
		}
		if pfx == nil {
			pfx = make([]BGPPrefixes, 0, len(d.prefixes)-i)
		}
		p := x.pfx
		p.Remote = d.rows[x.row].p.Remote
		pfx = append(pfx, p)
	}
	slices.SortStableFunc(pfx, comparePrefixes)
	return out, slices.CompactFunc(pfx, func(a, b BGPPrefixes) bool { return comparePrefixes(a, b) == 0 })
}

// comparePrefixes orders prefix counts by peer, AFI and SAFI.
func comparePrefixes(a, b BGPPrefixes) int {
	if c := a.Remote.Compare(b.Remote); c != 0 {
		return c
	}
	if a.AFI != b.AFI {
		return int(a.AFI) - int(b.AFI)
	}
	return int(a.SAFI) - int(b.SAFI)
}

// ciscoBGPDecoder joins cbgpPeer2Table and cbgpPeer2AddrFamilyPrefixTable
// columns by remote address.
type ciscoBGPDecoder struct {
	vendorDecoder
}

func (d *ciscoBGPDecoder) add(col int, index []uint32, v *varbind) {
	if col == cbgpColAccepted {
		remote, afi, safi, ok := ciscoPrefixIndex(index)
		if !ok {
			d.bad++
			return
		}
		d.addPrefix(remote, 0, afi, safi, v)
		return
	}
	remote, ok := ciscoPeerIndex(index)
	if !ok {
		d.bad++
		return
	}
	r := d.row(peerKey{remote: remote}, remote)
	p := &r.p
	var n uint64
	var c BGPColumns
	switch col {
	case cbgpColState:
		p.State, ok = asInt(v)
		ok = ok && p.State >= 1 && p.State <= 6
		c = BGPColState
	case cbgpColAdminStatus:
		var s int
		s, ok = asInt(v)
		ok = ok && (s == 1 || s == 2)
		p.AdminUp = s == 2
		c = BGPColAdminStatus
	case cbgpColLocalAddr:
		var b []byte
		if b, ok = asBytes(v); ok {
			p.Local, _ = netip.AddrFromSlice(b) // empty or odd: unknown
			p.Local = p.Local.Unmap()
		}
	case cbgpColRemoteAs:
		n, ok = asUint(v)
		ok = ok && n <= 1<<32-1
		p.RemoteAS = uint32(n)
		c = BGPColRemoteAS
	case cbgpColRemoteID:
		p.RemoteID, ok = asIPAddress(v)
	case cbgpColTransitions:
		n, ok = asCounter(v, gosnmp.Counter32)
		p.FSMEstablishedTransitions = uint32(n)
		c = BGPColTransitions
	case cbgpColEstablishedTime:
		n, ok = asCounter(v, gosnmp.Gauge32)
		p.FSMEstablishedTime = time.Duration(n) * time.Second
		c = BGPColEstablishedTime
	}
	if !ok {
		d.bad++
		return
	}
	r.has |= c
}

// finish joins the prefix rows to their peers by address.
func (d *ciscoBGPDecoder) finish() ([]BGPPeer, []BGPPrefixes) {
	for i := range d.prefixes {
		x := &d.prefixes[i]
		x.row = -1
		if r, ok := d.byKey[peerKey{remote: x.remote}]; ok {
			x.row = r
		}
	}
	return d.vendorDecoder.finish()
}

// juniperBGPDecoder joins jnxBgpM2PeerTable (and the tables that augment
// it) by index, and jnxBgpM2PrefixCountersTable by jnxBgpM2PeerIndex. Only
// the peers of the master routing instance (0) are kept: those of other
// instances (VRFs) may reuse addresses, which the series' labels could
// not tell apart, and cbgpPeer2Table has none either.
type juniperBGPDecoder struct {
	vendorDecoder
}

func (d *juniperBGPDecoder) add(col int, index []uint32, v *varbind) {
	if col == jbgpColAccepted {
		peerIndex, afi, safi, ok := juniperPrefixIndex(index)
		if !ok {
			d.bad++
			return
		}
		d.addPrefix(netip.Addr{}, peerIndex, afi, safi, v)
		return
	}
	instance, local, remote, ok := juniperPeerIndex(index)
	if !ok {
		d.bad++
		return
	}
	if instance != 0 {
		return
	}
	r := d.row(peerKey{local, remote}, remote)
	p := &r.p
	if !p.Local.IsValid() {
		p.Local = local
	}
	var n uint64
	var c BGPColumns
	switch col {
	case jbgpColState:
		p.State, ok = asInt(v)
		ok = ok && p.State >= 1 && p.State <= 6
		c = BGPColState
	case jbgpColStatus:
		var s int
		s, ok = asInt(v)
		ok = ok && (s == 1 || s == 2)
		p.AdminUp = s == 2 // running(2)
		c = BGPColAdminStatus
	case jbgpColIdentifier:
		var b []byte
		if b, ok = asBytes(v); ok {
			ok = len(b) == 4
			if ok {
				p.RemoteID = netip.AddrFrom4([4]byte(b))
			}
		}
	case jbgpColRemoteAs:
		n, ok = asUint(v)
		ok = ok && n <= 1<<32-1
		p.RemoteAS = uint32(n)
		c = BGPColRemoteAS
	case jbgpColPeerIndex:
		n, ok = asUint(v)
		ok = ok && n <= 1<<32-1
		r.peerIndex, r.hasIndex = uint32(n), ok
	case jbgpColEstablishedTime:
		n, ok = asCounter(v, gosnmp.Gauge32)
		p.FSMEstablishedTime = time.Duration(n) * time.Second
		c = BGPColEstablishedTime
	case jbgpColTransitions:
		n, ok = asCounter(v, gosnmp.Counter32)
		p.FSMEstablishedTransitions = uint32(n)
		c = BGPColTransitions
	}
	if !ok {
		d.bad++
		return
	}
	r.has |= c
}

// finish joins the prefix rows to their peers by jnxBgpM2PeerIndex.
func (d *juniperBGPDecoder) finish() ([]BGPPeer, []BGPPrefixes) {
	byIndex := make(map[uint32]int, len(d.rows))
	for i := range d.rows {
		if d.rows[i].hasIndex {
			byIndex[d.rows[i].peerIndex] = i
		}
	}
	for i := range d.prefixes {
		x := &d.prefixes[i]
		x.row = -1
		if r, ok := byIndex[x.peerIndex]; ok {
			x.row = r
		}
	}
	return d.vendorDecoder.finish()
}
