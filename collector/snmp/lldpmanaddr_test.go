package snmp

import (
	"context"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/gosnmp/gosnmp"
)

// manAddrVar is an lldpRemManAddrTable row: neighbour index idx
// ("TimeMark.LocalPortNum.RemIndex"), then the address index as the MIB
// encodes it (subtype, length, octets).
func manAddrVar(idx string, subtype int, octets ...int) gosnmp.SnmpPDU {
	var b strings.Builder
	b.WriteString(oidLldpRemManAddrIfSubtype + "." + idx + "." + strconvItoa(subtype) + "." + strconvItoa(len(octets)))
	for _, o := range octets {
		b.WriteString("." + strconvItoa(o))
	}
	return integer(b.String(), 2) // ifIndex
}

// TestLLDPManAddr: with TableNeighborAddrs a poll reads the neighbours'
// management addresses (IPv4, IPv6; a MAC-family address is skipped, not a
// fault) joined to their lldpRemTable row, and the CDP cache at the first
// poll; without it (the daemon's polls) neither is asked.
func TestLLDPManAddr(t *testing.T) {
	v := []gosnmp.SnmpPDU(healthyMIB())
	v = append(slices.Clone(v),
		manAddrVar("0.2.1", addrFamilyIPv4, 192, 0, 2, 7),
		manAddrVar("0.2.1", addrFamilyIPv6, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9),
		manAddrVar("0.2.1", 6, 0, 0x1b, 0x21, 1, 2, 3), // a MAC (IANA 6): not followed
		manAddrVar("0.5.3", addrFamilyIPv4, 198, 51, 100, 4),
	)
	v = append(v, cdpVars("2", "1", "pe-1", "Gi0/0/1", "cisco", []byte{10, 0, 0, 1})...)
	f := startFakeAgent(t, newStaticMIB(v...))
	var mu sync.Mutex
	asked := map[string]bool{}
	f.set(nil, func(req *gosnmp.SnmpPacket, normal []byte) []byte {
		mu.Lock()
		defer mu.Unlock()
		for _, pdu := range req.Variables {
			for _, p := range []string{oidLldpRemManAddrEntry, oidCdpCacheEntry} {
				if strings.HasPrefix(pdu.Name, p) {
					asked[p] = true
				}
			}
		}
		return normal
	})
	askedNow := func() []string {
		mu.Lock()
		defer mu.Unlock()
		var out []string
		for k := range asked {
			out = append(out, k)
		}
		return out
	}
	p := newTestPoller(t, 1)

	daemon := fakeTarget(f)
	res := p.Poll(context.Background(), daemon, NewDeviceState())
	if a := askedNow(); res.Err != nil || len(res.Problems) > 0 || res.LLDPManAddrs != nil || len(a) > 0 {
		t.Fatalf("daemon poll: err %v problems %v addresses %v asked %v; want neither table asked", res.Err, res.Problems, res.LLDPManAddrs, a)
	}

	crawl := fakeTarget(f)
	crawl.Tables = TableLLDP | TableNeighborAddrs
	res = p.Poll(context.Background(), crawl, NewDeviceState())
	if res.Err != nil || len(res.Problems) > 0 {
		t.Fatalf("crawl poll: err %v problems %v", res.Err, res.Problems)
	}
	want := []LLDPManAddr{
		{Neighbor: 0, LocalPortNum: 2, Addr: netip.MustParseAddr("192.0.2.7")},
		{Neighbor: 0, LocalPortNum: 2, Addr: netip.MustParseAddr("2001:db8::9")},
		{Neighbor: -1, LocalPortNum: 5, Addr: netip.MustParseAddr("198.51.100.4")},
	}
	if !slices.Equal(res.LLDPManAddrs, want) {
		t.Errorf("addresses:\n got %+v\nwant %+v", res.LLDPManAddrs, want)
	}
	if len(res.LLDP) != 1 || res.LLDP[0].SysName != "r2" {
		t.Errorf("LLDP neighbours %+v, want r2", res.LLDP)
	}
	if len(res.CDP) != 1 || res.CDP[0].Address != netip.MustParseAddr("10.0.0.1") {
		t.Errorf("CDP at the first crawl poll: %+v, want pe-1 at 10.0.0.1", res.CDP)
	}
}

// TestLLDPManAddrIndex: the index is checked whole, since it comes from the
// network: a length that disagrees with the octets, an octet over 255, an
// IPv4 address of 5 octets are refused; another family is skipped.
func TestLLDPManAddrIndex(t *testing.T) {
	for _, tc := range []struct {
		name      string
		index     []uint32
		ok, known bool
		want      string
	}{
		{"ipv4", []uint32{0, 3, 1, 1, 4, 10, 0, 0, 1}, true, true, "10.0.0.1"},
		{"ipv6", []uint32{0, 3, 1, 2, 16, 0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, true, true, "fe80::1"},
		{"ipv4-mapped ipv6", []uint32{0, 3, 1, 2, 16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 2}, true, true, "10.0.0.2"},
		{"mac family", []uint32{0, 3, 1, 6, 6, 0, 1, 2, 3, 4, 5}, true, false, ""},
		{"short", []uint32{0, 3, 1, 1}, false, false, ""},
		{"length disagrees", []uint32{0, 3, 1, 1, 4, 10, 0, 0}, false, false, ""},
		{"octet over 255", []uint32{0, 3, 1, 1, 4, 10, 0, 256, 1}, false, false, ""},
		{"ipv4 of 5 octets", []uint32{0, 3, 1, 1, 5, 10, 0, 0, 1, 1}, false, false, ""},
		{"zero length", []uint32{0, 3, 1, 1, 0}, false, false, ""},
		{"port over int32", []uint32{0, 1 << 31, 1, 1, 4, 10, 0, 0, 1}, false, false, ""},
	} {
		_, addr, ok, known := lldpManAddrIndex(tc.index)
		if ok != tc.ok || known != tc.known || (tc.want != "" && addr.String() != tc.want) {
			t.Errorf("%s: got %v ok %v known %v, want %s ok %v known %v", tc.name, addr, ok, known, tc.want, tc.ok, tc.known)
		}
	}
}
