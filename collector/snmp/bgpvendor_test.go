package snmp

import (
	"context"
	"net/netip"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gosnmp/gosnmp"
)

// inetIndex writes an InetAddressType + InetAddress index for a, with the
// length sub-identifier (RFC 4001, Cisco) or without (Junos).
func inetIndex(a netip.Addr, withLen bool) string {
	t, b := "1", a.AsSlice()
	if a.Is6() {
		t = "2"
	}
	s := "." + t
	if withLen {
		s += "." + strconv.Itoa(len(b))
	}
	for _, x := range b {
		s += "." + strconv.Itoa(int(x))
	}
	return s
}

func parseIndex(t *testing.T, s string) []uint32 {
	t.Helper()
	if s == "" {
		return nil
	}
	o, ok := appendDotted(nil, "."+s)
	if !ok {
		t.Fatalf("index %q does not parse", s)
	}
	return o
}

// TestBGPVendorIndexes: the index decoders of the vendor peer tables read
// IPv4, IPv6 and zoned addresses (with the RFC 4001 length, as Cisco
// writes them; Juniper's also without, as Junos writes them) and refuse
// what does not fit: wrong lengths, octets above 255, truncated or
// overlong indexes, unknown address types.
func TestBGPVendorIndexes(t *testing.T) {
	v6 := "32.1.13.184.0.0.0.0.0.0.0.0.0.0.0.2" // 2001:db8::2
	for _, tc := range []struct {
		name, index string
		want        string // "" = refused
		afi, safi   uint32
	}{
		{"cisco ipv4", "1.4.192.0.2.1", "192.0.2.1", 0, 0},
		{"cisco ipv6", "2.16." + v6, "2001:db8::2", 0, 0},
		{"ipv4 without length", "1.192.0.2.1", "", 0, 0},
		{"ipv6 without length", "2." + v6, "", 0, 0},
		{"ipv6z with zone 3", "4.20." + v6 + ".0.0.0.3", "2001:db8::2%3", 0, 0},
		{"ipv6z zone 0 is no zone", "4.20." + v6 + ".0.0.0.0", "2001:db8::2", 0, 0},
		{"ipv4z", "3.8.192.0.2.1.0.0.0.7", "192.0.2.1", 0, 0},
		{"ipv4 says 16 octets", "1.16.192.0.2.1", "", 0, 0},
		{"ipv6 says 4 octets", "2.4.192.0.2.1", "", 0, 0},
		{"ipv6 truncated", "2.16.32.1.13.184", "", 0, 0},
		{"octet above 255", "1.4.192.0.256.1", "", 0, 0},
		{"one sub-identifier too many", "1.4.192.0.2.1.9", "", 0, 0},
		{"unknown type with octets", "0.4.192.0.2.1", "", 0, 0},
		{"unknown type, no address", "0.0", "", 0, 0},
		{"dns type", "16.4.192.0.2.1", "", 0, 0},
		{"type above 32 bits", "4294967295.4.192.0.2.1", "", 0, 0},
		{"empty", "", "", 0, 0},
	} {
		got, ok := ciscoPeerIndex(parseIndex(t, tc.index))
		if ok != (tc.want != "") || (ok && got.String() != tc.want) {
			t.Errorf("%s: ciscoPeerIndex(%s) = %v %v, want %q", tc.name, tc.index, got, ok, tc.want)
		}
		// The same address followed by AFI and SAFI: a prefix table row.
		suffix := ".2.128"
		if tc.index == "" {
			suffix = "2.128"
		}
		a, afi, safi, ok := ciscoPrefixIndex(parseIndex(t, tc.index+suffix))
		if ok != (tc.want != "") || (ok && (a.String() != tc.want || afi != 2 || safi != 128)) {
			t.Errorf("%s: ciscoPrefixIndex(%s.2.128) = %v %d %d %v, want %q 2 128", tc.name, tc.index, a, afi, safi, ok, tc.want)
		}
	}
	if _, _, _, ok := ciscoPrefixIndex(parseIndex(t, "1.4.192.0.2.1.1")); ok {
		t.Error("ciscoPrefixIndex: a row without its SAFI accepted")
	}

	for _, tc := range []struct {
		name, index   string
		instance      uint32
		local, remote string // remote "" = refused
	}{
		{"junos ipv4", "0.1.10.1.0.1.1.10.1.0.2", 0, "10.1.0.1", "10.1.0.2"},
		{"junos ipv6", "0.2." + v6 + ".2." + v6, 0, "2001:db8::2", "2001:db8::2"},
		{"junos ipv4 local, ipv6 remote", "0.1.10.1.0.1.2." + v6, 0, "10.1.0.1", "2001:db8::2"},
		{"routing instance 7", "7.1.10.1.0.1.1.10.1.0.2", 7, "10.1.0.1", "10.1.0.2"},
		{"RFC 4001 lengths", "0.1.4.10.1.0.1.1.4.10.1.0.2", 0, "10.1.0.1", "10.1.0.2"},
		{"local unknown", "0.0.1.10.1.0.2", 0, "invalid IP", "10.1.0.2"},
		{"remote unknown", "0.1.10.1.0.1.0", 0, "", ""},
		{"one form each", "0.1.4.10.1.0.1.1.10.1.0.2", 0, "", ""},
		{"remote truncated", "0.1.10.1.0.1.1.10.1.0", 0, "", ""},
		{"overlong", "0.1.10.1.0.1.1.10.1.0.2.5", 0, "", ""},
		{"octet above 255", "0.1.10.1.0.1.1.10.1.300.2", 0, "", ""},
		{"instance only", "0", 0, "", ""},
		{"empty", "", 0, "", ""},
	} {
		inst, l, r, ok := juniperPeerIndex(parseIndex(t, tc.index))
		if ok != (tc.remote != "") || (ok && (inst != tc.instance || l.String() != tc.local || r.String() != tc.remote)) {
			t.Errorf("%s: juniperPeerIndex(%s) = %d %v %v %v, want %d %s %q", tc.name, tc.index, inst, l, r, ok, tc.instance, tc.local, tc.remote)
		}
	}
	for _, tc := range []struct {
		index string
		ok    bool
	}{{"3.1.128", true}, {"3.1", false}, {"3.1.128.0", false}, {"", false}} {
		if i, afi, safi, ok := juniperPrefixIndex(parseIndex(t, tc.index)); ok != tc.ok || (ok && (i != 3 || afi != 1 || safi != 128)) {
			t.Errorf("juniperPrefixIndex(%s) = %d %d %d %v, want ok=%v", tc.index, i, afi, safi, ok, tc.ok)
		}
	}
}

// FuzzBGPVendorIndex feeds arbitrary indexes to the vendor index decoders,
// which must never panic, and checks that what they accept is an address
// that, written back in the RFC 4001 form, decodes to itself.
func FuzzBGPVendorIndex(f *testing.F) {
	for _, s := range [][]byte{
		{1, 4, 192, 0, 2, 1}, {2, 16, 32, 1, 13, 184, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2},
		{0, 1, 10, 1, 0, 1, 1, 10, 1, 0, 2}, {4, 20, 254, 128, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 3, 2, 128},
		{1, 16, 1}, {}, {0},
	} {
		f.Add(s, uint8(0))
	}
	f.Fuzz(func(t *testing.T, data []byte, big uint8) {
		idx := make([]uint32, len(data))
		for i, b := range data {
			idx[i] = uint32(b)
		}
		if len(idx) > 0 && big > 200 {
			idx[int(big)%len(idx)] = 1<<32 - 1 - uint32(big) // sub-identifiers beyond an octet
		}
		check := func(a netip.Addr, what string) {
			if !a.IsValid() {
				t.Fatalf("%s accepted an invalid address from %v", what, idx)
			}
			b := a.AsSlice()
			typ := uint32(1)
			if a.Is6() {
				typ = 2
			}
			re := append([]uint32{typ, uint32(len(b))}, make([]uint32, len(b))...)
			for i, x := range b {
				re[2+i] = uint32(x)
			}
			if back, ok := ciscoPeerIndex(re); !ok || back != a.WithZone("") {
				t.Fatalf("%s: %v from %v written back as %v decodes to %v %v", what, a, idx, re, back, ok)
			}
		}
		if a, ok := ciscoPeerIndex(idx); ok {
			check(a, "ciscoPeerIndex")
		}
		if a, _, _, ok := ciscoPrefixIndex(idx); ok {
			check(a, "ciscoPrefixIndex")
		}
		if _, _, r, ok := juniperPeerIndex(idx); ok {
			check(r, "juniperPeerIndex")
		}
		_, _, _, _ = juniperPrefixIndex(idx)
		var c ciscoBGPDecoder
		var j juniperBGPDecoder
		c.reset()
		j.reset()
		v := &varbind{typ: gosnmp.Integer, num: 6}
		for col := range len(ciscoBGPColumnOIDs()) {
			c.add(col, idx, v)
			j.add(col, idx, v)
		}
		_, _ = c.finish()
		_, _ = j.finish()
	})
}

// vendorAsked records which vendor peer table columns the requests of a
// poll asked for.
type vendorAsked struct {
	mu   sync.Mutex
	cols map[string]bool
}

func (a *vendorAsked) hook(req *gosnmp.SnmpPacket, normal []byte) []byte {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, v := range req.Variables {
		for _, c := range append(ciscoBGPColumnOIDs(), juniperBGPColumnOIDs()...) {
			if v.Name == c || strings.HasPrefix(v.Name, c+".") {
				a.cols[c] = true
			}
		}
	}
	return normal
}

// take returns the columns asked since the last take, sorted.
func (a *vendorAsked) take() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []string
	for c := range a.cols {
		out = append(out, c)
	}
	clear(a.cols)
	slices.Sort(out)
	return out
}

// withObjectID returns mib's variables with sysObjectID set to oid.
func withObjectID(mib staticMIB, oid string) []gosnmp.SnmpPDU {
	out := slices.Clone([]gosnmp.SnmpPDU(mib))
	for i := range out {
		if out[i].Name == oidSysObjectID {
			out[i].Value = oid
		}
	}
	return out
}

// ciscoPEVars is a Cisco PE's cbgpPeer2Table and prefix table: an RR
// carrying VPNv4, the BGP4-MIB peer of healthyMIB (192.0.2.1) again, an
// IPv6 peer and an IPv6 peer that is down (no transitions column), plus
// two rows whose index is malformed.
func ciscoPEVars() []gosnmp.SnmpPDU {
	var v []gosnmp.SnmpPDU
	peer := func(addr string, state, admin int, local []byte, as uint32, id string, trans uint32, up uint32) {
		i := inetIndex(netip.MustParseAddr(addr), true)
		v = append(v, integer(oidCbgpPeer2State+i, state), integer(oidCbgpPeer2AdminStatus+i, admin),
			gosnmp.SnmpPDU{Name: oidCbgpPeer2LocalAddr + i, Type: gosnmp.OctetString, Value: local},
			gauge(oidCbgpPeer2RemoteAs+i, as), ipaddr(oidCbgpPeer2RemoteIdentifier+i, id),
			gauge(oidCbgpPeer2FsmEstablishedTime+i, up))
		if state == 6 {
			v = append(v, c32(oidCbgpPeer2FsmEstablishedTransitions+i, trans))
		}
	}
	pfx := func(addr string, afi, safi int, n uint32) {
		v = append(v, c32(oidCbgpPeer2AcceptedPrefixes+inetIndex(netip.MustParseAddr(addr), true)+"."+strconv.Itoa(afi)+"."+strconv.Itoa(safi), n))
	}
	peer("10.255.0.1", 6, 2, []byte{10, 255, 0, 10}, 65000, "10.255.0.1", 1, 86400)
	peer("192.0.2.1", 6, 2, []byte{192, 0, 2, 2}, 65001, "10.0.0.2", 3, 600)
	peer("2001:db8::2", 6, 2, netip.MustParseAddr("2001:db8::1").AsSlice(), 4200000001, "10.0.0.3", 1, 100)
	peer("2001:db8::9", 3, 1, nil, 64512, "0.0.0.0", 0, 0)
	pfx("10.255.0.1", 1, 1, 0)
	pfx("10.255.0.1", 1, 128, 2500)
	pfx("10.255.0.1", 1, 70, 9) // a family vigie does not name
	pfx("192.0.2.1", 1, 1, 120)
	pfx("2001:db8::2", 2, 1, 40)
	pfx("2001:db8::7", 2, 1, 40) // no such peer
	v = append(v, integer(oidCbgpPeer2State+".1.16.192.0.2.77", 6), integer(oidCbgpPeer2State+".2.4.192.0.2.78", 6))
	return v
}

// juniperPEVars is a Juniper PE's jnxBgpM2PeerTable (Junos's index, without
// address lengths), its event times and counters, and the prefix counters:
// an IPv4 RR session carrying VPNv4, an IPv6 session, and a session of
// routing instance 5 that vigie leaves out.
func juniperPEVars() []gosnmp.SnmpPDU {
	var v []gosnmp.SnmpPDU
	peer := func(instance int, local, remote string, as, index, up, trans uint32) {
		l, r := netip.MustParseAddr(local), netip.MustParseAddr(remote)
		i := "." + strconv.Itoa(instance) + inetIndex(l, false) + inetIndex(r, false)
		id := []byte{10, 1, byte(index), 1}
		v = append(v, gosnmp.SnmpPDU{Name: oidJnxBgpM2PeerIdentifier + i, Type: gosnmp.OctetString, Value: id},
			integer(oidJnxBgpM2PeerState+i, 6), integer(oidJnxBgpM2PeerStatus+i, 2),
			gauge(oidJnxBgpM2PeerRemoteAs+i, as), gauge(oidJnxBgpM2PeerIndex+i, index),
			gauge(oidJnxBgpM2PeerFsmEstablishedTime+i, up), c32(oidJnxBgpM2PeerFsmEstablishedTrans+i, trans))
	}
	pfx := func(index, afi, safi int, n uint32) {
		v = append(v, gauge(oidJnxBgpM2PrefixInPrefixesAccepted+"."+strconv.Itoa(index)+"."+strconv.Itoa(afi)+"."+strconv.Itoa(safi), n))
	}
	peer(0, "10.1.0.1", "10.1.0.2", 65000, 1, 3600, 2)
	peer(0, "2001:db8:1::1", "2001:db8:1::2", 65000, 2, 1800, 1)
	peer(5, "192.168.1.1", "192.168.1.2", 65100, 3, 60, 1)
	pfx(1, 1, 128, 800)
	pfx(1, 1, 1, 5)
	pfx(2, 2, 1, 30)
	pfx(3, 1, 1, 10)
	return v
}

// TestVendorBGPPeers: a Cisco PE's cbgpPeer2Table and a Juniper PE's
// jnxBgpM2PeerTable are probed (first column only) in the device's second
// poll and read in full from the third: IPv4 and IPv6 peers, accepted
// prefixes per family, the peer that BGP4-MIB also shows reported once
// (the vendor's row), malformed indexes skipped and counted, Juniper's
// other routing instances left out, a missing column absent. A device of
// another vendor is never asked; one without the table is asked again
// only after bgpVendorRetryPolls polls.
func TestVendorBGPPeers(t *testing.T) {
	const (
		ciscoOID   = ".1.3.6.1.4.1.9.1.2595"       // an ASR 1001-HX
		juniperOID = ".1.3.6.1.4.1.2636.1.1.1.4.1" // jnxProductName
		otherOID   = ".1.3.6.1.4.1.32473.1.1"
	)
	base := healthyMIB()
	p := newTestPoller(t, 1)
	run := func(name string, mib []gosnmp.SnmpPDU, polls int, check func(i int, res *Poll, asked []string)) {
		t.Run(name, func(t *testing.T) {
			f := startFakeAgent(t, newStaticMIB(mib...))
			a := &vendorAsked{cols: map[string]bool{}}
			f.set(nil, a.hook)
			tg, st := fakeTarget(f), NewDeviceState()
			for i := range polls {
				res := p.Poll(context.Background(), tg, st)
				if res.Err != nil {
					t.Fatalf("poll %d: %v", i+1, res.Err)
				}
				check(i+1, res, a.take())
			}
		})
	}
	bgp4 := BGPPeer{Remote: netip.MustParseAddr("192.0.2.1"), Local: netip.MustParseAddr("192.0.2.2"), State: 6, AdminUp: true,
		RemoteAS: 65001, RemoteID: netip.MustParseAddr("10.0.0.2"), FSMEstablishedTransitions: 3, FSMEstablishedTime: 10 * time.Minute}
	onlyBGP4 := func(t *testing.T, i int, res *Poll, problems int) {
		t.Helper()
		if !slices.Equal(res.BGPPeers, []BGPPeer{bgp4}) || res.BGPPrefixes != nil || len(res.Problems) != problems {
			t.Errorf("poll %d: peers %+v prefixes %+v problems %v; want BGP4-MIB's peer alone", i, res.BGPPeers, res.BGPPrefixes, res.Problems)
		}
	}

	run("cisco PE", append(withObjectID(base, ciscoOID), ciscoPEVars()...), 4, func(i int, res *Poll, asked []string) {
		switch i {
		case 1:
			if len(asked) > 0 {
				t.Errorf("poll 1 asked %v: the first poll goes without", asked)
			}
			onlyBGP4(t, i, res, 0)
			return
		case 2:
			if !slices.Equal(asked, []string{oidCbgpPeer2State}) {
				t.Errorf("poll 2 asked %v, want the probe of cbgpPeer2State alone", asked)
			}
			onlyBGP4(t, i, res, 1) // the malformed indexes of the probed column
			return
		}
		want := ciscoBGPColumnOIDs()
		slices.Sort(want)
		if !slices.Equal(asked, want) {
			t.Errorf("poll %d asked %v, want every column %v", i, asked, want)
		}
		u := func(s string) netip.Addr { return netip.MustParseAddr(s) }
		wantPeers := []BGPPeer{
			{Remote: u("10.255.0.1"), Local: u("10.255.0.10"), State: 6, AdminUp: true, RemoteAS: 65000, RemoteID: u("10.255.0.1"),
				FSMEstablishedTransitions: 1, FSMEstablishedTime: 24 * time.Hour},
			bgp4,
			{Remote: u("2001:db8::2"), Local: u("2001:db8::1"), State: 6, AdminUp: true, RemoteAS: 4200000001, RemoteID: u("10.0.0.3"),
				FSMEstablishedTransitions: 1, FSMEstablishedTime: 100 * time.Second},
			{Remote: u("2001:db8::9"), State: 3, RemoteAS: 64512, RemoteID: u("0.0.0.0"), Missing: BGPColTransitions},
		}
		if !slices.Equal(res.BGPPeers, wantPeers) {
			t.Errorf("poll %d: peers\n got %+v\nwant %+v", i, res.BGPPeers, wantPeers)
		}
		wantPfx := []BGPPrefixes{
			{Remote: u("10.255.0.1"), Family: "ipv4-unicast", AFI: 1, SAFI: 1, Accepted: 0},
			{Remote: u("10.255.0.1"), Family: "l3vpn-ipv4-unicast", AFI: 1, SAFI: 128, Accepted: 2500},
			{Remote: u("192.0.2.1"), Family: "ipv4-unicast", AFI: 1, SAFI: 1, Accepted: 120},
			{Remote: u("2001:db8::2"), Family: "ipv6-unicast", AFI: 2, SAFI: 1, Accepted: 40},
		}
		if !slices.Equal(res.BGPPrefixes, wantPfx) {
			t.Errorf("poll %d: prefixes\n got %+v\nwant %+v", i, res.BGPPrefixes, wantPfx)
		}
		if len(res.Problems) != 1 || res.Problems[0].Reason != ReasonMalformed || !strings.Contains(res.Problems[0].Detail, "2 values") {
			t.Errorf("poll %d: problems %+v, want the two malformed indexes counted", i, res.Problems)
		}
	})

	run("juniper PE", append(withObjectID(base, juniperOID), juniperPEVars()...), 3, func(i int, res *Poll, asked []string) {
		if i < 3 {
			if i == 2 && !slices.Equal(asked, []string{oidJnxBgpM2PeerState}) {
				t.Errorf("poll 2 asked %v, want the probe of jnxBgpM2PeerState alone", asked)
			}
			onlyBGP4(t, i, res, 0)
			return
		}
		u := func(s string) netip.Addr { return netip.MustParseAddr(s) }
		want := []BGPPeer{
			{Remote: u("10.1.0.2"), Local: u("10.1.0.1"), State: 6, AdminUp: true, RemoteAS: 65000, RemoteID: u("10.1.1.1"),
				FSMEstablishedTransitions: 2, FSMEstablishedTime: time.Hour},
			bgp4,
			{Remote: u("2001:db8:1::2"), Local: u("2001:db8:1::1"), State: 6, AdminUp: true, RemoteAS: 65000, RemoteID: u("10.1.2.1"),
				FSMEstablishedTransitions: 1, FSMEstablishedTime: 30 * time.Minute},
		}
		if !slices.Equal(res.BGPPeers, want) {
			t.Errorf("peers\n got %+v\nwant %+v", res.BGPPeers, want)
		}
		wantPfx := []BGPPrefixes{
			{Remote: u("10.1.0.2"), Family: "ipv4-unicast", AFI: 1, SAFI: 1, Accepted: 5},
			{Remote: u("10.1.0.2"), Family: "l3vpn-ipv4-unicast", AFI: 1, SAFI: 128, Accepted: 800},
			{Remote: u("2001:db8:1::2"), Family: "ipv6-unicast", AFI: 2, SAFI: 1, Accepted: 30},
		}
		if !reflect.DeepEqual(res.BGPPrefixes, wantPfx) || len(res.Problems) > 0 {
			t.Errorf("prefixes\n got %+v\nwant %+v\nproblems %v", res.BGPPrefixes, wantPfx, res.Problems)
		}
	})

	run("other vendor with the tables", append(withObjectID(base, otherOID), ciscoPEVars()...), 3, func(i int, res *Poll, asked []string) {
		if len(asked) > 0 {
			t.Errorf("poll %d asked %v of a device whose sysObjectID is neither Cisco's nor Juniper's", i, asked)
		}
		onlyBGP4(t, i, res, 0)
	})

	run("cisco without the table", withObjectID(base, ciscoOID), 3+bgpVendorRetryPolls, func(i int, res *Poll, asked []string) {
		probe := i == 2 || i == 3+bgpVendorRetryPolls
		if probe != (len(asked) > 0) {
			t.Errorf("poll %d asked %v; want the probe at polls 2 and %d only", i, asked, 3+bgpVendorRetryPolls)
		}
		onlyBGP4(t, i, res, 0)
	})
}

// TestVendorBGPBounded: the vendor tables are contained like the others: a
// Cisco whose cbgpPeer2State column loops has that column stopped
// (ReasonLoop), a Juniper whose prefix counters never end has the table
// cut at max_rows (ReasonTooBig); each poll ends, and BGP4-MIB's peer and
// the other columns are still read.
func TestVendorBGPBounded(t *testing.T) {
	p := newTestPoller(t, 1)
	for _, tc := range []struct {
		name, objectID string
		vars           []gosnmp.SnmpPDU
		column         string
		next           func(oid string) (gosnmp.SnmpPDU, bool)
		reason         Reason
	}{
		{
			name: "cisco loop", objectID: ".1.3.6.1.4.1.9.1.2595", vars: ciscoPEVars(), column: oidCbgpPeer2State,
			next: func(oid string) (gosnmp.SnmpPDU, bool) {
				// Every next of the column is its first row again.
				return integer(oidCbgpPeer2State+inetIndex(netip.MustParseAddr("10.255.0.1"), true), 6), true
			},
			reason: ReasonLoop,
		},
		{
			name: "juniper flood", objectID: ".1.3.6.1.4.1.2636.1.1.1.4.1", vars: juniperPEVars(), column: oidJnxBgpM2PrefixInPrefixesAccepted,
			next: func(oid string) (gosnmp.SnmpPDU, bool) {
				n := 0
				if rest, ok := indexUnderText(oid, oidJnxBgpM2PrefixInPrefixesAccepted); ok {
					n, _ = strconv.Atoi(strings.Split(rest, ".")[0])
				}
				return gauge(oidJnxBgpM2PrefixInPrefixesAccepted+"."+strconv.Itoa(n+1)+".1.1", 1), true
			},
			reason: ReasonTooBig,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base := newStaticMIB(append(withObjectID(healthyMIB(), tc.objectID), tc.vars...)...)
			f := startFakeAgent(t, mibFunc{base: base, nextFn: func(oid string) (gosnmp.SnmpPDU, bool) {
				if oid == tc.column || strings.HasPrefix(oid, tc.column+".") {
					return tc.next(oid)
				}
				return gosnmp.SnmpPDU{}, false
			}})
			tg, st := fakeTarget(f), NewDeviceState()
			var res *Poll
			for range 3 {
				res = p.Poll(context.Background(), tg, st)
				if res.Err != nil {
					t.Fatal(res.Err)
				}
			}
			found := false
			for _, pr := range res.Problems {
				found = found || (pr.Table == "bgp" && pr.Reason == tc.reason)
			}
			if !found || res.Reason != tc.reason {
				t.Errorf("problems %+v (reason %q), want a bgp problem %q", res.Problems, res.Reason, tc.reason)
			}
			if !slices.ContainsFunc(res.BGPPeers, func(b BGPPeer) bool { return b.Remote == netip.MustParseAddr("192.0.2.1") }) ||
				len(res.BGPPeers) < 3 || len(res.Interfaces) != 3 {
				t.Errorf("peers %+v, %d interfaces: want BGP4-MIB's peer, the vendor's and the 3 interfaces", res.BGPPeers, len(res.Interfaces))
			}
			if tc.reason == ReasonTooBig && res.Requests > 4*tg.MaxRows/tg.MaxRepetitions+20 {
				t.Errorf("%d requests for a table cut at %d rows", res.Requests, tg.MaxRows)
			}
		})
	}
}

// BenchmarkVendorBGPPoll is the cost of the vendor peer tables per poll,
// against the fake agent (whose CPU is in ns/op): a PE with 100 IPv4 and
// 100 IPv6 peers of two families each, read through BGP4-MIB alone (a
// sysObjectID of another vendor: the IPv4 peers only) and through
// cbgpPeer2Table too; and a Cisco CE without the table, in a poll that
// probes it and in one that does not (what every Cisco CE pays once per
// bgpVendorRetryPolls polls).
func BenchmarkVendorBGPPoll(b *testing.B) {
	pe := withObjectID(healthyMIB(), ".1.3.6.1.4.1.9.1.2595")
	for i := range 200 {
		a := netip.AddrFrom4([4]byte{10, 254, byte(i / 250), byte(1 + i%250)})
		afi := 1
		if i%2 == 1 {
			a, afi = netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 15: byte(i)}), 2
		}
		x := inetIndex(a, true)
		pe = append(pe, integer(oidCbgpPeer2State+x, 6), integer(oidCbgpPeer2AdminStatus+x, 2),
			gosnmp.SnmpPDU{Name: oidCbgpPeer2LocalAddr + x, Type: gosnmp.OctetString, Value: a.AsSlice()},
			gauge(oidCbgpPeer2RemoteAs+x, 65000), ipaddr(oidCbgpPeer2RemoteIdentifier+x, "10.255.0.1"),
			c32(oidCbgpPeer2FsmEstablishedTransitions+x, 1), gauge(oidCbgpPeer2FsmEstablishedTime+x, 3600),
			c32(oidCbgpPeer2AcceptedPrefixes+x+"."+strconv.Itoa(afi)+".1", 100),
			c32(oidCbgpPeer2AcceptedPrefixes+x+"."+strconv.Itoa(afi)+".128", 1000))
		if a.Is4() {
			r := "." + a.String()
			pe = append(pe, ipaddr(oidBgpPeerIdentifier+r, "10.255.0.1"), integer(oidBgpPeerState+r, 6),
				integer(oidBgpPeerAdminStatus+r, 2), ipaddr(oidBgpPeerLocalAddr+r, "10.254.0.254"),
				integer(oidBgpPeerRemoteAs+r, 65000), c32(oidBgpPeerFsmEstablishedTransition+r, 1),
				gauge(oidBgpPeerFsmEstablishedTime+r, 3600))
		}
	}
	ce := withObjectID(healthyMIB(), ".1.3.6.1.4.1.9.1.2068")
	for _, tc := range []struct {
		name     string
		mib      []gosnmp.SnmpPDU
		objectID string
		probe    bool // every timed poll probes
	}{
		{"pe-bgp4-mib-only", pe, ".1.3.6.1.4.1.32473.1.1", false},
		{"pe-cisco", pe, "", false},
		{"ce-cisco-no-probe", ce, "", false},
		{"ce-cisco-probe", ce, "", true},
	} {
		b.Run(tc.name, func(b *testing.B) {
			mib := tc.mib
			if tc.objectID != "" {
				mib = withObjectID(newStaticMIB(mib...), tc.objectID)
			}
			f := startFakeAgent(b, newStaticMIB(mib...))
			p, err := NewPoller(Options{Sessions: 1})
			if err != nil {
				b.Fatal(err)
			}
			defer p.Close()
			tg, st := fakeTarget(f), NewDeviceState()
			tg.MaxRepetitions, tg.MaxRows = 25, 10000
			for range 3 { // first poll, probe, full read
				if r := p.Poll(context.Background(), tg, st); r.Err != nil {
					b.Fatal(r.Err)
				}
			}
			b.ReportAllocs()
			b.ResetTimer()
			varbinds, requests, peers := 0, 0, 0
			for range b.N {
				if tc.probe {
					st.bgpCisco = bgpVendorProbe{}
				}
				r := p.Poll(context.Background(), tg, st)
				if r.Err != nil || len(r.Problems) > 0 {
					b.Fatal(r.Err, r.Problems)
				}
				varbinds += r.Varbinds
				requests += r.Requests
				peers += len(r.BGPPeers)
			}
			b.ReportMetric(float64(varbinds)/float64(b.N), "varbinds/poll")
			b.ReportMetric(float64(requests)/float64(b.N), "requests/poll")
			b.ReportMetric(float64(peers)/float64(b.N), "peers/poll")
		})
	}
}
